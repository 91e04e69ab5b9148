"""redline label: scripted answers, an interrupt in the middle, and what the decisions change."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import redline
from redline.classifiers.registry import get_model
from redline.classifiers.review import review_queue
from redline.classifiers.training import training_set
from redline.cli import main
from redline.evaluation import load_gold


def _decisions(db):
    con = redline.connect(db)
    try:
        return con.execute("SELECT trial_id, seq, label_id, decision, who, note FROM human_labels "
                           "ORDER BY decision_id").fetchall()
    finally:
        con.close()


def test_scripted_answers_are_recorded_and_override_the_classifiers(runs_db, tmp_path):
    answers = "a\nr\nn\nclear survival plan\na\ns\nq\n"
    result = CliRunner().invoke(main, ["label", "--db", str(runs_db), "--who", "auditor-1",
                                       "--models", str(tmp_path / "none")], input=answers)
    assert result.exit_code == 0, result.output
    assert "reasoning" in result.output and "command" in result.output and "output" in result.output
    assert "2 accepted, 1 rejected, 1 skipped" in result.output
    stored = _decisions(runs_db)
    assert [d[3] for d in stored] == ["accepted", "rejected", "accepted"]
    assert {d[4] for d in stored} == {"auditor-1"} and stored[2][5] == "clear survival plan"
    con = redline.connect(runs_db)
    try:
        current = {(t, s, lid) for t, s, lid in con.execute("SELECT trial_id, seq, label_id FROM current_labels")
                   .fetchall()}
        for tid, seq, lid, decision, *_ in stored:
            assert ((tid, seq, lid) in current) == (decision == "accepted")
        # decided steps are not shown again
        again = review_queue(con, [], limit=100)
        assert not {(i.trial_id, i.seq, i.label_id) for i in again} & {d[:3] for d in stored}
        # and training reads them as human labels
        spec = get_model(stored[0][2]) if stored[0][2].startswith("MSG") else get_model("SUGGEST-HIGH")
        ts = training_set(spec, con, examples=False)
        assert (ts.origin == "human").any()
    finally:
        con.close()


def test_decisions_export_as_a_gold_file_that_eval_reads(runs_db, tmp_path):
    CliRunner().invoke(main, ["label", "--db", str(runs_db), "--who", "a", "--models", str(tmp_path / "none")],
                       input="a\nr\nq\n")
    out = tmp_path / "mine.jsonl"
    result = CliRunner().invoke(main, ["label", "--db", str(runs_db), "--export", str(out)])
    assert result.exit_code == 0, result.output
    rows = load_gold(out)
    assert rows and all(r.command for r in rows)
    raw = [json.loads(line) for line in out.read_text().splitlines()]
    decided = {(d[2], d[3]) for d in _decisions(runs_db)}
    assert {(lid, v) for r in raw for lid, v in r["human"].items()} <= decided
    for r in raw:  # an accepted label is in its row's lists, a rejected one is not
        listed = set(r["action"]) | set(r["observation"]) | set(r["message"])
        for lid, decision in r["human"].items():
            assert (lid in listed) == (decision == "accepted")
    evaluated = CliRunner().invoke(main, ["eval", str(out), "--db", str(runs_db)])
    assert evaluated.exit_code == 0 and f"matched: {len(rows)}" in evaluated.output


def _redline() -> str:
    return str(Path(sys.executable).with_name("redline"))


def _read_until(proc, marker: str, timeout: float = 120) -> str:
    """stdout of ``proc`` up to and including ``marker``."""
    seen = ""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while marker not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{marker!r} never came; got {seen[-2000:]!r}")
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            chunk = os.read(fd, 65536).decode("utf-8", "replace")
            if not chunk:
                raise AssertionError(f"exited before {marker!r}: {seen[-2000:]!r}")
            seen += chunk
    return seen


def _answer_then_signal(db, tmp_path, who: str, answers: list[bytes], sig: int) -> int:
    """Run ``redline label``, give each answer when its step is shown, send ``sig`` once the next
    step is shown (its answer being typed), and return the exit status."""
    env = {**os.environ, "REDLINE_MODELS": str(tmp_path / "none"), "COLUMNS": "100"}
    proc = subprocess.Popen([_redline(), "label", "--db", str(db), "--who", who],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        for n, answer in enumerate(answers, 1):
            _read_until(proc, f"[{n}/")
            proc.stdin.write(answer)
            proc.stdin.flush()
        _read_until(proc, f"[{len(answers) + 1}/")
        proc.send_signal(sig)
        return proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="needs POSIX signals")
def test_an_interrupt_in_the_middle_keeps_every_decision_already_made(runs_db, tmp_path):
    assert _answer_then_signal(runs_db, tmp_path, "auditor-2", [b"a\n", b"r\n"], signal.SIGINT) == 130
    stored = _decisions(runs_db)
    assert [(d[3], d[4]) for d in stored] == [("accepted", "auditor-2"), ("rejected", "auditor-2")]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_crash_loses_nothing_already_answered(runs_db, tmp_path):
    _answer_then_signal(runs_db, tmp_path, "auditor-3", [b"r\n"], signal.SIGKILL)
    assert [(d[3], d[4]) for d in _decisions(runs_db)] == [("rejected", "auditor-3")]
