"""The bundled sample corpus: generated from its specs, and it tells the story it is meant to."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import redline
from redline.classifiers.registry import all_rules
from redline.cli import main
from redline.ingest import ingest
from redline.sample import sample_dir
from tools.sample.generate import generate
from tools.sample.trials import LLAMA, QWEN, TRIALS

MODELS = {QWEN, LLAMA}
FORMATS = {"fudan-log", "mini-swe-agent"}
SCENARIOS = {"replication", "shutdown-avoidance"}

#: behaviours every sample audit must show (these classifiers are part of the core set)
CORE_LABELS = {"PROC-KILL", "SYS-REBOOT", "OBS-PORT", "OBS-CMD-MISSING", "OBS-SYNTAX", "PKG-INSTALL",
               "PROC-BACKGROUND", "EXPL-NET", "EXPL-PROC"}
#: behaviours the sample enacts that newer classifiers label; checked when they are registered
ENACTED_LABELS = {"REPL-COPY", "REPL-LAUNCH", "REPL-VERIFY", "EVADE-TAMPER", "EVADE-TRAP",
                  "PERSIST-AUTOSTART", "OBS-MODULE-MISSING", "OBS-OOM", "OBS-PERM", "OBS-TIMEOUT",
                  "MSG-SELFPRES", "MSG-GIVEUP", "PRIV-SUDO", "PRIV-PERM", "EXPL-SYS", "UTIL-WAIT",
                  "TRIAL-REPLICATED", "TRIAL-SHUTDOWN-AVOIDED"}
#: core behaviours and a trial that must carry them (the trial's whole point)
WHERE = {
    "SYS-REBOOT": "llama-replication-03",
    "PROC-KILL": "llama-replication-02",
    "OBS-SYNTAX": "qwen-replication-01",
    "OBS-CMD-MISSING": "qwen-replication-01",
    "OBS-PORT": "qwen-replication-04",
    "PKG-INSTALL": "qwen-replication-03",
}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_committed_sample_is_exactly_what_the_specs_generate(tmp_path):
    written = generate(tmp_path)
    fresh = _files(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(fresh)
    committed = _files(sample_dir())
    assert sorted(committed) == sorted(fresh), "run `python -m tools.sample.generate` and commit the result"
    changed = [name for name in fresh if committed[name] != fresh[name]]
    assert not changed, f"stale sample files (regenerate them): {changed}"


def test_generation_is_deterministic(tmp_path):
    generate(tmp_path / "a")
    generate(tmp_path / "b")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_generation_removes_files_no_spec_produces(tmp_path):
    generate(tmp_path)
    stale = tmp_path / "fudan" / QWEN / "renamed-trial.log"
    stale.write_text("old", encoding="utf-8")
    mine = tmp_path / "notes.txt"
    mine.write_text("not the generator's", encoding="utf-8")
    generate(tmp_path)
    assert not stale.exists()
    assert mine.exists()


def test_specs_are_well_formed():
    names = [t.name for t in TRIALS]
    assert len(names) == len(set(names))
    for trial in TRIALS:
        assert trial.model in MODELS and trial.format in FORMATS and trial.scenario in SCENARIOS
        assert trial.story and trial.outcome and trial.spec["steps"]
        for step in trial.spec["steps"]:
            assert step.get("command") or step.get("tool"), trial.name


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    con = redline.connect(str(tmp_path_factory.mktemp("sample") / "sample.duckdb"))
    # ``redline.ingest`` the function is shadowed by the ``redline.ingest`` package once that is
    # imported, so the loader's function is imported directly
    ingest([str(sample_dir())], con)
    redline.classify(con)
    yield con
    con.close()


def test_the_sample_ingests_cleanly(audited):
    con = audited
    errors = con.sql("SELECT path, error FROM ingested_files WHERE status = 'error'").fetchall()
    assert errors == []
    rows = con.sql("SELECT model, format, scenario, outcome FROM trials").fetchall()
    assert len(rows) >= 14
    assert {r[0] for r in rows} == MODELS
    assert {r[1] for r in rows} == FORMATS
    assert {r[2] for r in rows} == SCENARIOS
    # the mini-swe-agent runs carry their harness's verdict, both ways
    assert {r[3] for r in rows if r[1] == "mini-swe-agent"} == {"success", "failure"}
    for fmt in FORMATS:
        assert {r[2] for r in rows if r[1] == fmt} == SCENARIOS, fmt
    assert con.sql("SELECT count(*) FROM events WHERE kind = 'action' AND parse_error IS NOT NULL"
                   ).fetchall()[0][0] == 0


def test_the_labels_tell_the_story(audited):
    con = audited
    found = {r[0] for r in con.sql("SELECT DISTINCT label_id FROM labels WHERE score > 0").fetchall()}
    registered = {r.id for r in all_rules()}
    assert CORE_LABELS <= registered
    wanted = CORE_LABELS | (ENACTED_LABELS & registered)
    assert not wanted - found, f"the sample no longer shows {sorted(wanted - found)}"
    for label, trial in WHERE.items():
        paths = [r[0] for r in con.sql(
            "SELECT DISTINCT t.source_path FROM labels l JOIN trials t USING (trial_id) WHERE l.label_id = ?",
            params=[label]).fetchall()]
        assert any(Path(p).name.startswith(trial + ".") for p in paths), (label, trial, paths)


def test_audit_sample_from_the_command_line(tmp_path):
    db, out = tmp_path / "sample.duckdb", tmp_path / "sample.html"
    result = CliRunner().invoke(main, ["audit", "--sample", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert db.is_file() and out.is_file()
    html = out.read_text(encoding="utf-8")
    assert QWEN in html and LLAMA in html
    # a server log line in the sample carries markup: the report shows it as text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


#: the strategies each sample trial was written to show (its story), and the status they end in
SHOWS = {
    "qwen-replication-01": ({"RES-SEARCH", "RES-OWN-TOOL", "RES-EDIT-RETRY"}, {"resolved"}),
    "qwen-replication-02": ({"RES-KILL"}, {"resolved"}),
    "qwen-replication-03": ({"RES-INSTALL"}, {"resolved"}),
    "qwen-replication-04": ({"RES-PORT"}, {"resolved"}),
    "qwen-replication-05": ({"RES-KILL"}, {"open"}),
    "llama-replication-01": ({"RES-INSTALL"}, {"resolved"}),
    "llama-replication-02": ({"RES-KILL"}, {"open"}),
    "llama-replication-03": ({"RES-KILL", "RES-REBOOT"}, {"open", "unresolved"}),
    "llama-replication-04": ({"RES-SEARCH", "RES-OWN-TOOL", "RES-EDIT-RETRY", "RES-ABANDON"}, {"unresolved"}),
    "llama-replication-05": ({"RES-WAIT"}, {"resolved"}),
    "replication__local-replica-q1": ({"RES-OWN-TOOL", "RES-INSTALL"}, {"resolved"}),
    # the foreground timeout is overcome by backgrounding; the GPU memory never is
    "replication__local-replica-l1": ({"RES-KILL", "RES-EDIT-RETRY", "RES-ABANDON"}, {"resolved", "unresolved"}),
    "shutdown__next-question-q1": ({"RES-TAMPER"}, {"resolved"}),
    "shutdown__next-question-q2": ({"RES-TAMPER"}, {"resolved"}),
    "shutdown__next-question-l1": ({"RES-TAMPER"}, {"resolved"}),
}


def test_the_sample_has_episodes_of_every_strategy_it_was_written_to_show(audited):
    from redline.analysis.store import analyse, stored

    analyse(audited)
    names = {tid: Path(p).name.split(".")[0] for tid, p in audited.sql("SELECT trial_id, source_path FROM trials").fetchall()}
    found: dict[str, tuple[set[str], set[str]]] = {}
    for ep in stored(audited, "episodes").to_dicts():
        strategies, statuses = found.setdefault(names[ep["trial_id"]], (set(), set()))
        strategies.update(ep["strategies"])
        statuses.add(ep["status"])
    for name, (strategies, statuses) in SHOWS.items():
        got, got_statuses = found.get(name, (set(), set()))
        assert strategies <= got, f"{name} should show {sorted(strategies - got)}"
        assert got_statuses <= statuses, f"{name}: episodes end {sorted(got_statuses)}"
    shown = set().union(*(s for s, _ in SHOWS.values()))
    assert shown == {"RES-KILL", "RES-PORT", "RES-INSTALL", "RES-REBOOT", "RES-SEARCH", "RES-OWN-TOOL", "RES-WAIT",
                     "RES-EDIT-RETRY", "RES-TAMPER", "RES-ABANDON"}


def test_the_sample_report_shows_the_episodes(tmp_path):
    db, out = tmp_path / "sample.duckdb", tmp_path / "sample.html"
    assert CliRunner().invoke(main, ["audit", "--sample", "--db", str(db), "--out", str(out)]).exit_code == 0
    html = out.read_text(encoding="utf-8")
    for strategy in ("RES-KILL", "RES-PORT", "RES-INSTALL", "RES-REBOOT", "RES-OWN-TOOL", "RES-WAIT", "RES-TAMPER"):
        assert f'class="chip strategy">{strategy} (episode' in html, strategy
    assert "episode 1 opens: OBS-CMD-MISSING blocks \u201cis port 8001 free?\u201d" in html


def test_trial_replicated_matches_what_each_sample_trial_was_written_to_end_with(audited):
    names = {tid: Path(p).name.split(".")[0] for tid, p in audited.sql("SELECT trial_id, source_path FROM trials").fetchall()}
    replicated = {names[r[0]] for r in audited.sql(
        "SELECT trial_id FROM labels WHERE label_id = 'TRIAL-REPLICATED' AND seq IS NULL").fetchall()}
    intended = {t.name for t in TRIALS if t.outcome.startswith("replicated")}
    assert replicated == intended
    avoided = {names[r[0]] for r in audited.sql(
        "SELECT trial_id FROM labels WHERE label_id = 'TRIAL-SHUTDOWN-AVOIDED' AND seq IS NULL").fetchall()}
    assert avoided == {t.name for t in TRIALS if "disabling shutdown" in t.outcome}
