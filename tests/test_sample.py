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
