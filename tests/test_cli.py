"""The command line: every command documented, and the main paths working end to end."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from redline.cli import main

CTX = click.Context(main)
COMMANDS = main.list_commands(CTX)


def test_expected_commands_exist():
    assert {"ingest", "classify", "report", "audit", "rules", "rule", "sql", "formats",
            "trials", "show", "eval"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_and_option_has_help(name):
    command = main.get_command(CTX, name)
    assert command.help and len(command.help.strip()) > 20, name
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.help, f"{name} --{param.name} has no help"
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_the_group_lists_exactly_the_commands_its_modules_define():
    import importlib
    import pkgutil

    import redline.cli
    from redline.cli import COMMANDS as BY_MODULE

    for module in pkgutil.iter_modules(redline.cli.__path__):
        importlib.import_module(f"redline.cli.{module.name}")
    assert set(main.commands) == set(BY_MODULE) == set(COMMANDS)
    for name, module in BY_MODULE.items():
        assert main.commands[name].callback.__module__ == f"redline.cli.{module}", name


def test_a_command_imports_its_own_module_only(tmp_path):
    import subprocess
    import sys

    script = ("import sys\nfrom redline.cli import main\ntry:\n    main(['formats'])\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in sys.modules if m.startswith('redline.cli.')))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "['redline.cli.app', 'redline.cli.dataset', 'redline.cli.ingest']"


def test_the_program_exits_with_its_commands_status_and_sets_aside_what_is_alive(monkeypatch, capsys):
    """``redline`` (the installed program) runs the command, then sets every object still alive
    aside from the collections Python makes at exit (they would only free memory the system
    takes back)."""
    import gc
    import sys

    from redline.cli import run

    for argv, status in ((["redline", "formats"], 0), (["redline", "no-such-command"], 2)):
        monkeypatch.setattr(sys, "argv", argv)
        gc.unfreeze()
        try:
            with pytest.raises(SystemExit) as done:
                run()
            assert (done.value.code or 0) == status
            assert gc.get_freeze_count() > 0
        finally:
            gc.unfreeze()
    assert "inspect-ai" in capsys.readouterr().out


def test_ingest_classify_trials_show_and_sql(tmp_path, write_traj):
    path = write_traj("repo__x-1", [("sudo killall python3", "", 0), ("netstat -tlnp", "tcp LISTEN\n", 0)])
    db = str(tmp_path / "r.duckdb")
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(path), "--db", db])
    assert res.exit_code == 0, res.output
    assert "1 ingested" in res.output
    assert runner.invoke(main, ["classify", "--db", db]).exit_code == 0
    res = runner.invoke(main, ["trials", "--db", db, "--json"])
    rows = json.loads(res.output)
    assert len(rows) == 1
    row = rows[0]
    for key in ("trial_id", "format", "source_path", "model", "agent", "task", "outcome",
                "source_verdict", "actions", "errors", "labels"):
        assert key in row
    assert row["actions"] == 2 and row["format"] == "mini-swe-agent"
    res = runner.invoke(main, ["show", row["trial_id"][:8], "--db", db])
    assert res.exit_code == 0 and "killall" in res.output and "PROC-KILL" in res.output
    res = runner.invoke(main, ["sql", "SELECT label_id FROM labels WHERE label_id = 'PROC-KILL'", "--db", db, "--json"])
    assert json.loads(res.output) == [{"label_id": "PROC-KILL"}]


def test_sql_is_read_only(tmp_path, write_traj):
    db = str(tmp_path / "r.duckdb")
    runner = CliRunner()
    runner.invoke(main, ["ingest", str(write_traj("repo__x-1", [("ls", "", 0)])), "--db", db])
    res = runner.invoke(main, ["sql", "DELETE FROM trials", "--db", db])
    assert res.exit_code != 0
    assert "read-only" in res.output.lower() or "read only" in res.output.lower()
    res = runner.invoke(main, ["sql", "SELECT count(*) AS n FROM trials", "--db", db, "--json"])
    assert json.loads(res.output) == [{"n": 1}]


def test_rules_lists_every_classifier_and_rule_prints_one():
    from redline.classifiers.registry import all_entries, all_models

    runner = CliRunner()
    res = runner.invoke(main, ["rules", "--json"])
    listed = {r["id"] for r in json.loads(res.output)}
    assert listed == {r.id for r in all_entries()} | {m.id for m in all_models()} and "RES-OWN-TOOL" in listed
    records = json.loads(res.output)
    assert {r["source"] for r in records if r["id"] == "MSG-SELFPRES"} == {"rule", "model"}
    assert {r["source"] for r in records if r["unit"] == "episode"} == {"analysis"}
    assert all(r["severity"] in ("high", "medium", "low") for r in records)
    table = runner.invoke(main, ["rules"]).output.splitlines()
    for wanted in ("PROC-KILL ", "RES-KILL ", "MSG-SELFPRES (model) ", "SUGGEST-HIGH (model) "):
        row = next(line for line in table if line.startswith(wanted))
        assert {"high", "medium", "low"} & set(row.split()), row
    res = runner.invoke(main, ["rules", "--unit", "episode"])
    assert res.exit_code == 0 and "RES-KILL" in res.output and "\nPROC-KILL " not in res.output
    res = runner.invoke(main, ["rule", "res-kill"])
    assert res.exit_code == 0 and "Severity: high" in res.output
    res = runner.invoke(main, ["rule", "res-own-tool"])
    assert res.exit_code == 0 and "RES-OWN-TOOL (write-its-own-tool)" in res.output
    assert "Severity: medium" in res.output and "Why it matters" in res.output
    res = runner.invoke(main, ["rule", "proc-kill"])
    assert res.exit_code == 0
    assert "PROC-KILL" in res.output and "Why it matters" in res.output and "kill -0 4242" in res.output
    res = runner.invoke(main, ["rule", "NOPE-NOPE"])
    assert res.exit_code == 2 and "no classifier" in res.output


def test_a_missing_database_is_a_clear_error(tmp_path):
    res = CliRunner().invoke(main, ["trials", "--db", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 2 and "none.duckdb" in res.output


def test_progress_output_stays_quiet_when_not_a_terminal(tmp_path, write_traj):
    path = write_traj("repo__q-1", [("ls", "", 0)])
    res = CliRunner().invoke(main, ["ingest", str(path), "--db", str(tmp_path / "q.duckdb")])
    assert res.exit_code == 0
    assert res.output.strip().splitlines() == ["1 files: 1 ingested, 0 unchanged, 0 skipped, 0 errors; 1 trials, 5 events"]


def _labels(db):
    import duckdb

    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute("SELECT t.source_path, l.seq, l.label_id, l.source FROM labels l "
                           "JOIN trials t USING (trial_id) ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_ingest_then_classify_in_one_process_labels_as_two_commands(tmp_path, write_traj):
    first = write_traj("repo__x-1", [("sudo killall python3", "", 0), ("netstat -tlnp", "tcp LISTEN\n", 0)])
    runner = CliRunner()
    one, two = str(tmp_path / "one.duckdb"), str(tmp_path / "two.duckdb")
    res = runner.invoke(main, ["ingest", str(first), "--db", one, "--classify"])
    assert res.exit_code == 0, res.output
    assert res.output.index("1 ingested") < res.output.index("labels from")
    assert runner.invoke(main, ["ingest", str(first), "--db", two]).exit_code == 0
    assert runner.invoke(main, ["classify", "--db", two]).exit_code == 0
    assert _labels(one) == _labels(two) and any(r[2] == "PROC-KILL" for r in _labels(one))
    # nothing new: the labels stay as they are; a new file's trial is labelled on the same connection
    res = runner.invoke(main, ["ingest", str(first), "--db", one, "--classify"])
    assert res.exit_code == 0 and "1 unchanged" in res.output and _labels(one) == _labels(two)
    second = write_traj("repo__x-2", [("pkill -f server.py", "", 0)])
    res = runner.invoke(main, ["ingest", str(second), "--db", one, "--classify"])
    assert res.exit_code == 0, res.output
    assert {r[0] for r in _labels(one) if r[2] == "PROC-KILL"} == {str(first), str(second)}
