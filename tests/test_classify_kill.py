"""A ``redline classify`` killed at any moment leaves a consistent database, and a re-run completes it.

The database first holds the labels of a complete run, marked so they can be told apart. Then
``redline classify --batch-trials 1 --progress lines`` runs in a subprocess, one trial per
batch, printing a line on stderr as each batch is stored; the test reads those lines and sends
SIGKILL right after the N-th, for kill points spread over the batches. No clock is involved:
each kill lands after a known number of stored batches, however loaded the machine. After every
kill the ``current_labels`` view must show one whole set of labels: all from the earlier run or
all from a completed new one, never a mix; a run killed before its end must have stored at least
the batches it reported. A final run completes, and leaves no label of the killed runs behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import redline
from redline.cli.app import progress_line
from redline.ingest import ingest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

TRIALS = 8
#: kill right after the N-th batch line: early, middle and late batches, and after the last one
#: (while the run is being completed)
KILL_AFTER = (1, 2, 4, 6, 8)
MARK = "from the earlier run"


def _redline() -> str:
    return str(Path(sys.executable).with_name("redline"))


def _classify(db: Path) -> subprocess.Popen:
    return subprocess.Popen([_redline(), "classify", "--db", str(db), "--batch-trials", "1", "--progress", "lines",
                             "--all"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _kill_after(proc: subprocess.Popen, batches: int) -> list[str]:
    """Read the progress lines until the ``batches``-th, then SIGKILL; return the lines read."""
    seen = []
    for line in proc.stderr:
        if line.startswith("progress "):
            seen.append(line.strip())
            if len(seen) == batches:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return seen


def _state(db: Path) -> tuple[set, set, list, int]:
    con = redline.connect(db)
    try:
        shown = con.execute("SELECT trial_id, seq, label_id, evidence FROM current_labels").fetchall()
        runs = con.execute("SELECT status FROM classify_runs ORDER BY run_id").fetchall()
        stored = con.execute("SELECT count(DISTINCT trial_id) FROM labels WHERE run_id = "
                             "(SELECT max(run_id) FROM classify_runs)").fetchall()[0][0]
    finally:
        con.close()
    return {r[:3] for r in shown}, {r[3] == MARK for r in shown}, [r[0] for r in runs], stored


def _mark_current(db: Path) -> None:
    con = redline.connect(db)
    try:
        con.execute("UPDATE labels SET evidence = ? WHERE run_id IN "
                    "(SELECT run_id FROM classify_runs WHERE status = 'complete')", [MARK])
    finally:
        con.close()


def test_progress_lines_report_each_stored_batch(tmp_path, write_traj):
    write_traj("p__t-0", [("ls", "a\n", 0)])
    write_traj("p__t-1", [("ls", "b\n", 0)])
    db = tmp_path / "p.duckdb"
    con = redline.connect(db)
    ingest([tmp_path / "runs"], con)
    con.close()
    out = subprocess.run([_redline(), "classify", "--db", str(db), "--batch-trials", "1", "--progress", "lines",
                          "--no-models"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.startswith("progress ")]
    assert lines == [progress_line("classify", 1, 1, 2), progress_line("classify", 2, 2, 2)]
    assert lines[0] == "progress stage=classify batch=1 done=1 total=2"
    quiet = subprocess.run([_redline(), "classify", "--db", str(db), "--no-models"], capture_output=True, text=True,
                           timeout=300, env={**os.environ, "REDLINE_PROGRESS": "none"})
    assert quiet.returncode == 0 and "progress " not in quiet.stderr


def test_classify_killed_after_each_batch_never_shows_a_partial_set(tmp_path, write_traj):
    db = tmp_path / "kill.duckdb"
    for i in range(TRIALS):
        write_traj(f"k__t-{i}", [(f"kill -9 {100 + i}", "", 0), ("sudo reboot", "", 0),
                                 ("python app.py", "OSError: [Errno 98] Address already in use", 1),
                                 ("pip install flask", "Successfully installed flask", 0)])
    con = redline.connect(db)
    ingest([tmp_path / "runs"], con)
    redline.classify(con)
    con.close()
    expected, _, runs, _ = _state(db)
    assert expected and runs == ["complete"]

    interrupted = 0
    for n in KILL_AFTER:
        _mark_current(db)
        proc = _classify(db)
        seen = _kill_after(proc, n)
        assert len(seen) == n and seen[-1] == progress_line("classify", n, n, TRIALS), seen
        keys, marks, runs, stored = _state(db)
        assert keys == expected, "the labels shown are not one whole set"
        assert len(marks) == 1, "labels of the earlier run and of a new one are shown together"
        if runs[-1] == "running":
            interrupted += 1
            assert marks == {True}, "an interrupted run's labels are shown"
            assert stored >= n, "a batch reported as stored is missing"
    # the first kills leave most batches undone: they land inside the run whatever the machine's load
    assert interrupted >= 2, "the kills did not land while classify ran; the test proved nothing"

    last = _classify(db)
    assert last.wait(timeout=300) == 0, last.stderr.read()
    keys, marks, runs, _ = _state(db)
    assert keys == expected and marks == {False}
    assert runs[-1] == "complete" and "running" not in runs
    con = redline.connect(db, read_only=True)
    try:
        left = con.execute("SELECT count(*) FROM labels WHERE run_id NOT IN "
                           "(SELECT run_id FROM classify_runs WHERE status = 'complete')").fetchall()[0][0]
        assert left == 0
    finally:
        con.close()
