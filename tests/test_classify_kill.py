"""A ``redline classify`` killed at any moment leaves a consistent database, and a re-run completes it.

The database first holds the labels of a complete run, marked so they can be told apart. Then
``redline classify`` runs in a subprocess and is killed with SIGKILL at a random moment, again
and again. After every kill the ``current_labels`` view must show one whole set of labels:
all from the earlier run or all from a completed new one, never a mix. A final run completes,
and leaves no label of the killed runs behind.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import redline
from redline.ingest import ingest

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

#: kills aimed at the labelling, and at most this many tries to interrupt it twice
KILLS = 5
MAX_ATTEMPTS = 25
MARK = "from the earlier run"


def _redline() -> str:
    return str(Path(sys.executable).with_name("redline"))


def _classify(db: Path) -> subprocess.Popen:
    return subprocess.Popen([_redline(), "classify", "--db", str(db), "--batch-trials", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _state(db: Path) -> tuple[set, set, list]:
    con = redline.connect(db)
    try:
        shown = con.execute("SELECT trial_id, seq, label_id, evidence FROM current_labels").fetchall()
        runs = con.execute("SELECT status FROM classify_runs ORDER BY run_id").fetchall()
    finally:
        con.close()
    return {r[:3] for r in shown}, {r[3] == MARK for r in shown}, [r[0] for r in runs]


def _mark_current(db: Path) -> None:
    con = redline.connect(db)
    try:
        con.execute("UPDATE labels SET evidence = ? WHERE run_id IN "
                    "(SELECT run_id FROM classify_runs WHERE status = 'complete')", [MARK])
    finally:
        con.close()


def test_classify_killed_at_random_moments_never_shows_a_partial_set(tmp_path, write_traj):
    db = tmp_path / "kill.duckdb"
    for i in range(6):
        write_traj(f"k__t-{i}", [(f"kill -9 {100 + i}", "", 0), ("sudo reboot", "", 0),
                                 ("python app.py", "OSError: [Errno 98] Address already in use", 1),
                                 ("pip install flask", "Successfully installed flask", 0)])
    con = redline.connect(db)
    ingest([tmp_path / "runs"], con)
    con.close()

    # the time to start (imports, the registry's checks) and the time to label, measured here
    started = time.monotonic()
    subprocess.run([_redline(), "classify", "--db", str(db), "--rule", "NOPE-NOPE"], capture_output=True, timeout=300)
    startup = time.monotonic() - started
    started = time.monotonic()
    first = _classify(db)
    assert first.wait(timeout=300) == 0, first.stderr.read()
    labelling = max(0.2, time.monotonic() - started - startup)
    expected, _, runs = _state(db)
    assert expected and runs == ["complete"]

    # each kill is aimed at a moment in [early, late] seconds after the start; a kill that came
    # before the run was recorded moves the window later, one that came after the run completed
    # moves its end earlier, so the kills land inside the labelling however loaded the machine is
    rng = random.Random(20240601)
    early, late = startup, startup + labelling
    interrupted = attempts = 0
    while attempts < KILLS or (interrupted < 2 and attempts < MAX_ATTEMPTS):
        attempts += 1
        _mark_current(db)
        recorded = len(_state(db)[2])
        proc = _classify(db)
        time.sleep(rng.uniform(early, late))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        keys, marks, runs = _state(db)
        assert keys == expected, "the labels shown are not one whole set"
        assert len(marks) == 1, "labels of the earlier run and of a new one are shown together"
        if len(runs) == recorded:  # killed before the run was recorded: aim later
            early, late = late, late + (late - early)
        elif runs[-1] == "running":
            interrupted += 1
            assert marks == {True}, "an interrupted run's labels are shown"
        else:  # the run completed before the kill: aim earlier
            late = early + (late - early) / 2
    assert interrupted >= 2, "the kills did not land while classify ran; the test proved nothing"

    last = _classify(db)
    assert last.wait(timeout=300) == 0, last.stderr.read()
    keys, marks, runs = _state(db)
    assert keys == expected and marks == {False}
    assert runs[-1] == "complete" and "running" not in runs
    con = redline.connect(db, read_only=True)
    try:
        left = con.execute("SELECT count(*) FROM labels WHERE run_id NOT IN "
                           "(SELECT run_id FROM classify_runs WHERE status = 'complete')").fetchall()[0][0]
        assert left == 0
    finally:
        con.close()
    assert os.path.exists(db)
