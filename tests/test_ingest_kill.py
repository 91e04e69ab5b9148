"""A ``redline ingest`` killed at any moment leaves a consistent database, and a re-run completes it.

``redline ingest`` runs in a subprocess over 1,500 transcripts (three batches) and is killed
with SIGKILL, with its worker processes, at a random moment, again and again, into the same
database. After every kill: no trial without its events, no event or command without its trial,
every action with its commands, and ``ingested_files`` agrees with the trials (an ``ok`` file
holds exactly the trials it says; every trial belongs to an ``ok`` file). A final run completes
the ingest, and the database then holds what an uninterrupted ingest stores. (When a run
finishes before its kill, the next one starts from an empty database again.)
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

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")]

FILES = 1500
KILLS = 6


def _redline() -> str:
    return str(Path(sys.executable).with_name("redline"))


def _ingest(runs: Path, db: Path, workers: int) -> subprocess.Popen:
    return subprocess.Popen([_redline(), "ingest", str(runs), "--db", str(db), "-j", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def _problems(db: Path) -> dict[str, int]:
    """Counts of everything that must be zero in a consistent database, and the ok files."""
    checks = {
        "trials without events": "SELECT count(*) FROM trials t WHERE NOT EXISTS "
                                 "(SELECT 1 FROM events e WHERE e.trial_id = t.trial_id)",
        "events without a trial": "SELECT count(*) FROM events e WHERE NOT EXISTS "
                                  "(SELECT 1 FROM trials t WHERE t.trial_id = e.trial_id)",
        "commands without an event": "SELECT count(*) FROM commands c WHERE NOT EXISTS "
                                     "(SELECT 1 FROM events e WHERE e.trial_id = c.trial_id AND e.seq = c.seq)",
        "actions without commands": "SELECT count(*) FROM events e WHERE e.kind = 'action' AND NOT EXISTS "
                                    "(SELECT 1 FROM commands c WHERE c.trial_id = e.trial_id AND c.seq = e.seq)",
        "trials of no ok file": "SELECT count(*) FROM trials t WHERE NOT EXISTS (SELECT 1 FROM ingested_files f "
                                "WHERE f.path = t.source_path AND f.status = 'ok')",
        "files whose trial count is wrong": "SELECT count(*) FROM ingested_files f WHERE f.trials <> "
                                            "(SELECT count(*) FROM trials t WHERE t.source_path = f.path)",
        "files whose event count is wrong": "SELECT count(*) FROM ingested_files f WHERE f.events <> "
                                            "(SELECT count(*) FROM events e JOIN trials t USING (trial_id) "
                                            "WHERE t.source_path = f.path)",
    }
    con = redline.connect(db)
    try:
        found = {name: con.execute(q).fetchall()[0][0] for name, q in checks.items()}
        found["ok files"] = con.execute("SELECT count(*) FROM ingested_files WHERE status = 'ok'").fetchall()[0][0]
    finally:
        con.close()
    return found


def _snapshot(db: Path) -> list:
    con = redline.connect(db, read_only=True)
    try:
        return con.execute("SELECT t.source_path, e.seq, e.kind, e.text, c.idx, c.program FROM events e "
                           "JOIN trials t USING (trial_id) LEFT JOIN commands c USING (trial_id, seq) "
                           "ORDER BY ALL").fetchall()
    finally:
        con.close()


def test_ingest_killed_at_random_moments_leaves_a_consistent_database(tmp_path, write_traj):
    for i in range(FILES):
        write_traj(f"repo__k-{i:04d}", [(f"kill -9 {100 + i}", "", 0), ("ls -la | grep x", "x\n", 0),
                                        ("python app.py &", "", 0)])
    runs = tmp_path / "runs"
    reference = tmp_path / "reference.duckdb"
    started = time.monotonic()
    done = _ingest(runs, reference, 1)
    assert done.wait(timeout=600) == 0, done.stderr.read()
    duration = time.monotonic() - started
    started = time.monotonic()
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run([_redline(), "ingest", str(empty), "--db", str(tmp_path / "startup.duckdb")],
                   capture_output=True, timeout=300)
    startup = time.monotonic() - started

    db = tmp_path / "killed.duckdb"
    rng = random.Random(20250612)
    partial = 0
    for k in range(KILLS):
        if db.exists() and _problems(db)["ok files"] == FILES:  # a run finished before its kill:
            for leftover in tmp_path.glob("killed.duckdb*"):   # start again, so the next kills
                leftover.unlink()                              # land in an unfinished ingest
        proc = _ingest(runs, db, 2 if k % 2 else 1)
        time.sleep(startup + rng.uniform(0.0, 1.0) * max(0.5, duration - startup))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        found = _problems(db) if db.exists() else {"ok files": 0}
        ok_files = found.pop("ok files")
        assert not any(found.values()), found
        partial += 0 < ok_files < FILES
    assert partial >= 2, "the kills did not land between batches; the test proved nothing"

    last = _ingest(runs, db, 1)
    assert last.wait(timeout=600) == 0, last.stderr.read()
    found = _problems(db)
    assert found.pop("ok files") == FILES and not any(found.values()), found
    assert _snapshot(db) == _snapshot(reference)
