"""redline analyse, episodes, findings and compare through the command line, and audit running them."""

from __future__ import annotations

import json

from click.testing import CliRunner
from tests.analysis.steps import mini_step as M

import redline
from redline.cli import main

PORT_BUSY = "OSError: [Errno 98] Address already in use\n"


def _db(audit) -> str:
    audit.mini("kill", [
        M("Start the app.", "python3 app.py --port 8500", PORT_BUSY, 1),
        M("Kill whatever holds 8500.", "kill -9 $(lsof -t -i:8500)"),
        M("Again.", "python3 app.py --port 8500", "listening on 8500\n"),
    ], resolved=True)
    audit.mini("other", [M("Look.", "ls", "a\n")], resolved=False, model="other/model")
    audit.run().close()
    return str(audit.db)


def test_analyse_then_episodes_findings_and_compare(audit):
    db = _db(audit)
    runner = CliRunner()
    res = runner.invoke(main, ["analyse", "--db", db])
    assert res.exit_code == 0 and "1 episodes (1 resolved)" in res.output and "over 2 trials" in res.output
    res = runner.invoke(main, ["episodes", "--db", db])
    assert res.exit_code == 0 and "OBS-PORT" in res.output and "RES-KILL" in res.output and "1 -> 3" in res.output
    [ep] = json.loads(runner.invoke(main, ["episodes", "--db", db, "--json"]).output)
    assert ep["strategies"] == ["RES-KILL"] and ep["evidence"]["RES-KILL"][0]["step"] == 2
    res = runner.invoke(main, ["episodes", "--db", db, "--trial", ep["trial_id"][:8]])
    assert res.exit_code == 0 and "RES-KILL        step 2" in res.output and "kill -9 $(lsof -t -i:8500)" in res.output
    res = runner.invoke(main, ["episodes", "--db", db, "--trial", "zzzz"])
    assert res.exit_code == 2 and "no trial matches" in res.output
    found = json.loads(runner.invoke(main, ["findings", "--db", db, "--json", "--unfold", "-n", "3"]).output)
    assert found[0]["rank"] == 1 and found[0]["subject"] == "RES-KILL" and found[0]["trial_id"] == ep["trial_id"]
    assert found[0]["step"] == 2 and found[0]["factors"]["worked"] is True and len(found) <= 3
    rows = json.loads(runner.invoke(main, ["findings", "--db", db, "--json", "-n", "3"]).output)["rows"]
    assert rows[0]["instances"] == [{**found[0], "factors": found[0]["factors"]}] and rows[0]["findings"] == 1
    res = runner.invoke(main, ["findings", "--db", db, "-n", "1"])
    assert res.output.splitlines()[1].startswith("#1 ") and "step 2" in res.output
    assert "RES-KILL after OBS-PORT" in res.output
    out = json.loads(runner.invoke(main, ["compare", "--db", db, "--json"]).output)
    groups = {g["group"]: g for g in out["groups"]}
    assert groups["deepseek/deepseek-chat"]["success"]["judged"] == 1
    assert groups["deepseek/deepseek-chat"]["strategies"]["RES-KILL"]["trials_with"] == 1
    assert out["tests"][0]["measure"] == "success"
    res = runner.invoke(main, ["compare", "--db", db, "--by", "task"])
    assert res.exit_code == 0 and "groups by task" in res.output


def test_commands_say_when_no_analysis_is_stored_or_it_is_stale(tmp_path, write_traj):
    runner = CliRunner()
    db = str(tmp_path / "plain.duckdb")
    runner.invoke(main, ["ingest", str(write_traj("r__a-1", [("ls", "a\n", 0)])), "--db", db])
    for command in ("episodes", "findings", "compare"):
        res = runner.invoke(main, [command, "--db", db])
        assert res.exit_code == 2 and "run 'redline analyse" in res.output, command
    runner.invoke(main, ["analyse", "--db", db])
    runner.invoke(main, ["classify", "--db", db])
    res = runner.invoke(main, ["episodes", "--db", db])
    assert res.exit_code == 0 and "predates the current labels" in res.output
    runner.invoke(main, ["analyse", "--db", db])
    assert "predates" not in runner.invoke(main, ["episodes", "--db", db]).output
    # a classify that never completed changes no current label: the analysis is still current
    con = redline.connect(db)
    con.execute("INSERT INTO classify_runs (run_id, status) VALUES (99, 'running')")
    con.execute("INSERT INTO labels (trial_id, seq, unit, label_id, classifier_version, score, run_id) "
                "SELECT trial_id, 0, 'action', 'EXPL-FILE', 'x', 1, 99 FROM trials")
    con.close()
    assert "predates" not in runner.invoke(main, ["episodes", "--db", db]).output
    # an auditor's decision changes current_labels without a classify run: stale until analysed again
    con = redline.connect(db)
    con.execute("INSERT INTO human_labels (decision_id, trial_id, seq, unit, label_id, decision, who) "
                "SELECT 1, trial_id, 0, 'action', 'EXPL-FILE', 'rejected', 'auditor' FROM trials")
    con.close()
    assert "predates the current labels" in runner.invoke(main, ["episodes", "--db", db]).output
    runner.invoke(main, ["analyse", "--db", db])
    assert "predates" not in runner.invoke(main, ["episodes", "--db", db]).output


def test_audit_runs_the_analysis_and_the_report_shows_episodes(tmp_path, write_traj):
    path = write_traj("r__k-1", [("python3 app.py --port 8500", PORT_BUSY, 1), ("kill -9 $(lsof -t -i:8500)", "", 0),
                                 ("python3 app.py --port 8500", "listening\n", 0)])
    db, out = str(tmp_path / "a.duckdb"), tmp_path / "r.html"
    res = CliRunner().invoke(main, ["audit", str(path), "--db", db, "-o", str(out)])
    assert res.exit_code == 0 and "1 episodes" in res.output
    html = out.read_text(encoding="utf-8")
    assert "episode 1 opens: OBS-PORT" in html and "RES-KILL (episode 1)" in html and "episode 1 resolved" in html
    assert 'class="step phase-executing labelled"' in html
