"""A ``redline ingest`` killed at any moment leaves a consistent database, and a re-run completes it.

``redline ingest --progress lines`` runs in a subprocess over 1,500 transcripts (stored 500 files
at a time, ``BATCH_FILES``) and prints a line on stderr as it finishes each file; the test reads those lines and
kills the process, with its worker processes, with SIGKILL right after the N-th, again and again
into the same database. No clock is involved: the lines come through a pipe of one page, so the
process can never be more than a page of lines ahead of the test, and each kill lands after a
known number of files, whatever the machine's load: the batches stored before it are known, and
the run is known not to have finished. After every kill: no trial without its events, no event
or command without its trial, every action with its commands, and ``ingested_files`` agrees with
the trials (an ``ok`` file holds exactly the trials it says; every trial belongs to an ``ok``
file), and every batch finished before the kill is stored. A final run completes the ingest, and
the database then holds what an uninterrupted ingest stores. (When a kill point lies past the
files left, the run starts from an empty database again.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import redline
from redline.limits import BATCH_FILES

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system
    fcntl = None

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"),
              pytest.mark.skipif(not hasattr(fcntl, "F_SETPIPE_SZ"), reason="needs a pipe of a set size (Linux)")]

FILES = 1500
#: files the loader stores at a time (the events and bytes of these files stay far below its
#: other two bounds)
BATCH = BATCH_FILES
#: kill right after this many files of each run (the unchanged files it skips come first): inside
#: the first batch, just past a stored batch, in the middle, at the first file
NEW_FILES_BEFORE_KILL = (700, 520, 1, 250, 999, 60)
#: the shortest progress line of this ingest (``done`` and ``batch`` of one digit)
SHORTEST_LINE = len(f"progress stage=ingest batch=1 done=1 total={FILES}\n")


def _redline() -> str:
    return str(Path(sys.executable).with_name("redline"))


def _ingest(runs: Path, db: Path, workers: int) -> subprocess.Popen:
    return subprocess.Popen([_redline(), "ingest", str(runs), "--db", str(db), "-j", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            start_new_session=True)


def _ingest_killed_after(runs: Path, db: Path, workers: int, lines: int) -> int:
    """Run ingest with its progress lines on a one-page pipe, SIGKILL it (and its workers) right
    after the ``lines``-th; return how many lines it may have written beyond those read."""
    read_fd, write_fd = os.pipe()
    page = fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, 4096)
    proc = subprocess.Popen([_redline(), "ingest", str(runs), "--db", str(db), "-j", str(workers),
                             "--progress", "lines"], stdout=subprocess.DEVNULL, stderr=write_fd,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    os.close(write_fd)
    seen = 0
    with os.fdopen(read_fd, encoding="utf-8") as stream:
        for line in stream:
            seen += line.startswith("progress ")
            if seen == lines:
                break
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert seen == lines, f"ingest ended after {seen} progress lines"
    return page // SHORTEST_LINE + 1


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


def test_ingest_killed_after_known_numbers_of_files_leaves_a_consistent_database(tmp_path, write_traj):
    for i in range(FILES):
        write_traj(f"repo__k-{i:04d}", [(f"kill -9 {100 + i}", "", 0), ("ls -la | grep x", "x\n", 0),
                                        ("python app.py &", "", 0)])
    runs = tmp_path / "runs"
    reference = tmp_path / "reference.duckdb"
    done = _ingest(runs, reference, 1)
    assert done.wait(timeout=600) == 0, done.stderr.read()

    db = tmp_path / "killed.duckdb"
    partial = 0
    for k, new in enumerate(NEW_FILES_BEFORE_KILL):
        unchanged = _problems(db)["ok files"] if db.exists() else 0
        if unchanged + new + 200 >= FILES:  # too near the end to be sure the kill lands first:
            for leftover in tmp_path.glob("killed.duckdb*"):  # start again from nothing
                leftover.unlink()
            unchanged = 0
        ahead = _ingest_killed_after(runs, db, 2 if k % 2 else 1, unchanged + new)
        assert unchanged + new + ahead < FILES  # so the run cannot have reached its last store
        found = _problems(db) if db.exists() else {"ok files": 0}
        ok_files = found.pop("ok files")
        assert not any(found.values()), found
        assert ok_files >= unchanged + (new - 1) // BATCH * BATCH, "a batch finished before the kill is missing"
        assert ok_files < FILES
        partial += ok_files > 0
    assert partial >= 4

    last = _ingest(runs, db, 1)
    assert last.wait(timeout=600) == 0, last.stderr.read()
    found = _problems(db)
    assert found.pop("ok files") == FILES and not any(found.values()), found
    assert _snapshot(db) == _snapshot(reference)
