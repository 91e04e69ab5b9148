"""Ingest as a whole: discovery, idempotence, replacement, and bad files that stop nothing."""

from __future__ import annotations

import json

import pytest

import redline
from redline.ingest import ingest


def _count(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def test_ingest_loads_trials_events_and_parsed_commands(con, write_traj):
    path = write_traj("repo__a-1", [("ps aux | grep python", "root 1 python\n", 0),
                                    ("kill -9 4242 && echo done", "done\n", 0)])
    report = ingest([path], con)
    assert (report.ok, report.errors, report.trials) == (1, 0, 1)
    assert con.execute("SELECT format, task, model FROM trials").fetchall()[0] == (
        "mini-swe-agent", "repo__a-1", "deepseek/deepseek-chat")
    assert con.execute("SELECT count(*) FROM events WHERE kind = 'action'").fetchall()[0][0] == 2
    programs = [r[0] for r in con.execute("SELECT program FROM commands ORDER BY seq, idx").fetchall()]
    assert programs == ["ps", "grep", "kill", "echo"]
    status = con.execute("SELECT status, format, trials FROM ingested_files").fetchall()[0]
    assert status == ("ok", "mini-swe-agent", 1)


def test_reingesting_the_same_files_adds_nothing(con, write_traj):
    path = write_traj("repo__a-1", [("ls", "a\n", 0)])
    ingest([path.parent], con)
    before = {t: _count(con, t) for t in ("trials", "events", "commands", "ingested_files")}
    report = ingest([path.parent], con)
    assert report.unchanged == 1 and report.ok == 0
    assert {t: _count(con, t) for t in before} == before


def test_a_changed_file_replaces_its_trials(con, write_traj):
    path = write_traj("repo__a-1", [("ls", "a\n", 0)])
    ingest([path], con)
    write_traj("repo__a-1", [("ls", "a\n", 0), ("cat a", "x\n", 0), ("rm a", "", 0)])
    report = ingest([path], con)
    assert report.ok == 1
    assert _count(con, "trials") == 1
    assert con.execute("SELECT count(*) FROM events WHERE kind = 'action'").fetchall()[0][0] == 3
    assert _count(con, "ingested_files") == 1


def test_bad_files_are_recorded_and_the_rest_is_ingested(con, write_traj, tmp_path):
    good = write_traj("repo__good-1", [("ls", "a\n", 0)])
    runs = good.parent.parent
    (runs / "empty.json").write_bytes(b"")
    (runs / "binary.traj").write_bytes(b"\x00\x01\x02\xff" * 100)
    (runs / "latin1.log").write_bytes("caf\xe9 ol\xe9 2024-01-01".encode("latin-1"))
    full = json.dumps(json.load(open(good)))
    (runs / "truncated.traj.json").write_text(full[: len(full) // 2], encoding="utf-8")
    report = ingest([runs], con)
    assert report.ok == 1 and report.trials == 1
    rows = dict(con.execute("SELECT regexp_extract(path, '[^/]+$'), error FROM ingested_files "
                            "WHERE status = 'error'").fetchall())
    assert set(rows) == {"empty.json", "binary.traj", "latin1.log", "truncated.traj.json"}
    assert "empty" in rows["empty.json"]
    assert "binary" in rows["binary.traj"]
    assert "UTF-8" in rows["latin1.log"]
    assert "JSON" in rows["truncated.traj.json"] or "truncated" in rows["truncated.traj.json"]
    # one clear line per bad file, naming it
    errors = [m for m in report.messages if ": error: " in m]
    assert len(errors) == 4 and all(m.split(": error: ")[0].endswith(tuple(rows)) for m in errors)


def test_files_that_are_not_transcripts_are_skipped_with_a_reason(con, write_traj):
    good = write_traj("repo__good-1", [("ls", "a\n", 0)])
    (good.parent / "README.md").write_text("# notes\n", encoding="utf-8")
    (good.parent / "SOURCE.json").write_text('{"repository": "x"}', encoding="utf-8")
    report = ingest([good.parent], con)
    assert report.skipped == 2 and report.errors == 0
    reasons = [r[0] for r in con.execute("SELECT error FROM ingested_files WHERE status = 'skipped'").fetchall()]
    assert all("not a recognised transcript format" in r for r in reasons)


def test_parallel_and_serial_ingest_store_the_same_rows_in_the_same_order(tmp_path, write_traj, monkeypatch):
    from redline.ingest import loader

    monkeypatch.setattr(loader, "PARALLEL_CHUNK_FILES", 2)  # many tasks in flight, finishing in any order
    for i in range(15):
        write_traj(f"repo__p-{i}", [(f"echo {i}", f"{i}\n", 0), ("pip install x", "ok\n", 0)] * (1 + i % 4))
    (tmp_path / "runs" / "broken.json").write_text('{"trajectory": [', encoding="utf-8")
    serial = redline.connect(tmp_path / "s.duckdb")
    parallel = redline.connect(tmp_path / "p.duckdb")
    serial_report = ingest([tmp_path / "runs"], serial, workers=1)
    parallel_report = ingest([tmp_path / "runs"], parallel, workers=2)
    assert (serial_report.workers, parallel_report.workers) == (1, 2)
    parallel_report.workers = 1
    assert serial_report == parallel_report and serial_report.errors == 1
    for q in ("SELECT trial_id, seq, kind, text FROM events ORDER BY rowid",
              "SELECT trial_id, seq, idx, program, argv FROM commands ORDER BY rowid",
              "SELECT trial_id, source_path FROM trials ORDER BY rowid",
              "SELECT path, sha256, status, error, trials, events FROM ingested_files ORDER BY rowid"):
        assert serial.execute(q).fetchall() == parallel.execute(q).fetchall()
    serial.close()
    parallel.close()


def test_unknown_forced_format_is_refused(con, write_traj):
    import pytest

    path = write_traj("repo__a-1", [("ls", "a\n", 0)])
    with pytest.raises(KeyError, match="known formats"):
        ingest([path], con, format="no-such-format")


def test_an_explicitly_named_file_of_no_known_format_is_an_error(con, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n", encoding="utf-8")
    report = ingest([path], con)
    assert report.errors == 1
    assert "not a recognised transcript format" in report.messages[0]


def test_globs_expand_and_a_pattern_matching_nothing_is_reported(con, write_traj, tmp_path):
    write_traj("repo__g-1", [("ls", "", 0)])
    write_traj("repo__g-2", [("ls", "", 0)])
    report = ingest([str(tmp_path / "runs" / "*" / "*.traj.json"), str(tmp_path / "nothing" / "*.json")], con)
    assert report.ok == 2 and report.trials == 2
    assert any("no files match" in m and "nothing" in m for m in report.messages)


def test_each_event_points_back_to_its_file_and_record(con, write_traj):
    path = write_traj("repo__p-1", [("ls", "a\n", 0)])
    ingest([path], con)
    rows = con.execute("SELECT kind, source_file, source_pointer FROM events ORDER BY seq").fetchall()
    assert all(r[1] == str(path.resolve()) for r in rows)
    assert all(r[2] for r in rows)  # a JSON pointer or line reference for every step


def test_deeply_nested_json_is_an_error_not_a_crash(con, write_traj, tmp_path):
    good = write_traj("repo__n-1", [("ls", "", 0)])
    nested = good.parent / "nested.traj.json"
    nested.write_text('{"info": {"mini_version": "2"}, "messages": ' + "[" * 100_000 + "]" * 100_000 + "}",
                      encoding="utf-8")
    report = ingest([good.parent], con, format="mini-swe-agent")
    assert report.ok == 1 and report.errors == 1
    assert any("nested.traj.json" in m and "nested too deeply" in m for m in report.messages)


def test_an_overlong_output_is_stored_cut_with_a_note(con, write_traj, monkeypatch):
    from redline import convert

    monkeypatch.setattr(convert, "MAX_TEXT_CHARS", 1000)
    ingest([write_traj("repo__l-1", [("cat big.log", "y" * 5000, 0)])], con)
    text = con.execute("SELECT text FROM events WHERE kind = 'observation'").fetchall()[0][0]
    assert text.startswith("y" * 1000) and text.endswith("[redline: 4000 more characters not stored]")


def test_ingest_caps_duckdb_memory_while_it_writes_and_restores_it(con, write_traj):
    from redline.db import memory_bytes
    from redline.limits import INGEST_DUCKDB_MEMORY

    paths = [write_traj(f"repo__a-{i}", [("ls", "a\n", 0)]) for i in range(3)]
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    seen = []
    watch = con.cursor()  # on_file may run while the writer thread holds the connection
    ingest(paths, con, workers=1,
           on_file=lambda r: seen.append(watch.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]))
    assert len(seen) == 3 and all(memory_bytes(s) <= memory_bytes(INGEST_DUCKDB_MEMORY) for s in seen)
    after = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert abs(memory_bytes(after) - memory_bytes(before)) < 0.001 * memory_bytes(before)
    assert _count(con, "trials") == 3


def test_ingest_writes_on_one_duckdb_thread_and_restores_the_setting(con, write_traj):
    from redline.limits import INGEST_DUCKDB_THREADS

    con.execute("SET threads = 2")
    paths = [write_traj(f"repo__t-{i}", [("ls", "a\n", 0)]) for i in range(2)]
    seen = []
    watch = con.cursor()  # on_file may run while the writer thread holds the connection
    ingest(paths, con, workers=1,
           on_file=lambda r: seen.append(watch.execute("SELECT current_setting('threads')").fetchall()[0][0]))
    assert seen == [INGEST_DUCKDB_THREADS] * 2
    assert con.execute("SELECT current_setting('threads')").fetchall()[0][0] == 2
    assert _count(con, "trials") == 2


def _pools(monkeypatch, cores: int) -> list[int]:
    """Pretend the machine has ``cores`` cores; the worker counts of the process pools ingest starts."""
    from redline.ingest import loader

    started: list[int] = []
    real = loader.run_parallel

    def counting(chunks, work, died, workers):
        started.append(workers)
        return real(chunks, work, died, workers)

    monkeypatch.setattr(loader, "run_parallel", counting)
    monkeypatch.setattr(loader.os, "cpu_count", lambda: cores)
    return started


def test_a_small_corpus_is_read_without_worker_processes(con, write_traj, monkeypatch):
    started = _pools(monkeypatch, 8)
    root = write_traj("repo__s-0", [("ls", "a\n", 0)]).parent.parent
    for i in range(1, 12):
        write_traj(f"repo__s-{i}", [(f"echo {i}", f"{i}\n", 0)])
    report = ingest([root], con)
    assert report.ok == 12 and started == []  # 12 files of a few kB: under PARALLEL_MIN_BYTES


def test_workers_start_for_a_corpus_large_enough_or_when_asked(tmp_path, write_traj, monkeypatch):
    from redline.ingest import loader

    started = _pools(monkeypatch, 4)
    root = write_traj("repo__w-0", [("ls", "a\n", 0)]).parent.parent
    for i in range(1, 9):
        write_traj(f"repo__w-{i}", [(f"echo {i}", f"{i}\n", 0)])
    con = redline.connect(tmp_path / "asked.duckdb")
    assert ingest([root], con, workers=2).ok == 9 and started == [2]
    con.close()
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 1)  # as if the files were large
    con = redline.connect(tmp_path / "large.duckdb")
    assert ingest([root], con).ok == 9 and started == [2, 4]  # one worker per core
    con.close()


def test_two_cores_read_a_large_corpus_in_two_workers_and_one_core_in_process(tmp_path, write_traj, monkeypatch):
    from redline.ingest import loader

    root = write_traj("repo__c-0", [("ls", "a\n", 0)]).parent.parent
    for i in range(1, 9):
        write_traj(f"repo__c-{i}", [(f"echo {i}", f"{i}\n", 0)])
    monkeypatch.setattr(loader, "PARALLEL_MIN_BYTES", 1)  # as if the files were large
    for cores, pools in ((2, [2]), (1, [])):
        started = _pools(monkeypatch, cores)
        con = redline.connect(tmp_path / f"cores{cores}.duckdb")
        assert ingest([root], con).ok == 9 and started == pools
        con.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_ingest_checkpoints_and_collects_garbage_less_often_and_restores_both_after(con, write_traj, tmp_path,
                                                                                     workers):
    """With worker processes reading, the writer checkpoints less often; reading in this
    process, its writer thread checkpoints as DuckDB would (it has time to spare)."""
    import gc

    from redline.db import memory_bytes
    from redline.limits import INGEST_CHECKPOINT_WAL, INGEST_GC_THRESHOLDS

    for i in range(3):
        write_traj(f"repo__a-{i}", [("ls", "a\n", 0), ("cat a", "x\n", 0)])
    setting = "SELECT current_setting('checkpoint_threshold')"
    before = (con.execute(setting).fetchone()[0], gc.get_threshold())
    during = []
    watch = con.cursor()  # on_file may run while the writer thread holds the connection
    report = ingest([tmp_path / "runs"], con, workers=workers,
                    on_file=lambda _r: during.append((watch.execute(setting).fetchone()[0], gc.get_threshold())))
    assert report.ok == 3 and len(during) == 3 and report.workers == workers
    if workers > 1:
        assert all(memory_bytes(wal) >= memory_bytes(INGEST_CHECKPOINT_WAL) for wal, _ in during)
    else:
        assert all(wal == before[0] for wal, _ in during)
    assert all(all(now >= want for now, want in zip(gen, INGEST_GC_THRESHOLDS)) for _, gen in during)
    assert (con.execute(setting).fetchone()[0], gc.get_threshold()) == before
    # what ingest wrote is checkpointed into the database file, not left in the write-ahead log
    wal = tmp_path / "test.duckdb.wal"
    assert not wal.exists() or wal.stat().st_size == 0
    assert _count(con, "events") == report.events > 0


def test_reading_much_in_this_process_checkpoints_less_often_too(con, write_traj, tmp_path, monkeypatch):
    """Files adding up to INGEST_CHECKPOINT_MIN_BYTES, read by one worker, are checkpointed at
    INGEST_CHECKPOINT_WAL as with worker processes; the setting is restored after."""
    from redline.db import memory_bytes
    from redline.ingest import loader
    from redline.limits import INGEST_CHECKPOINT_WAL

    for i in range(3):
        write_traj(f"repo__a-{i}", [("ls", "a\n", 0)])
    monkeypatch.setattr(loader, "INGEST_CHECKPOINT_MIN_BYTES", 1)
    setting = "SELECT current_setting('checkpoint_threshold')"
    before = con.execute(setting).fetchone()[0]
    during = []
    watch = con.cursor()  # on_file may run while the writer thread holds the connection
    report = ingest([tmp_path / "runs"], con, workers=1,
                    on_file=lambda _r: during.append(watch.execute(setting).fetchone()[0]))
    assert report.ok == 3 and report.workers == 1 and len(during) == 3
    assert all(memory_bytes(wal) >= memory_bytes(INGEST_CHECKPOINT_WAL) for wal in during)
    assert con.execute(setting).fetchone()[0] == before


def test_overlapping_ingests_leave_the_collector_raised_until_the_last_one_ends():
    import gc

    from redline.ingest.workers import fewer_collections

    before = gc.get_threshold()
    first, second = fewer_collections(), fewer_collections()
    first.__enter__()
    raised = gc.get_threshold()
    second.__enter__()
    first.__exit__(None, None, None)  # the first ends while the second still runs
    assert gc.get_threshold() == raised != before
    second.__exit__(None, None, None)
    assert gc.get_threshold() == before


@pytest.mark.parametrize("threaded", [True, False])
def test_files_said_done_follow_the_batches_stored(con, write_traj, tmp_path, monkeypatch, threaded):
    import threading
    import time

    from redline.ingest import writer
    from redline.ingest.loader import process_file

    monkeypatch.setattr(writer, "BATCH_FILES", 2)
    paths = [write_traj(f"repo__s-{i}", [("ls", f"{i}\n", 0)]) for i in range(7)]
    stored, seen = [], []

    threads = set()

    def on_stored(result):
        time.sleep(0.02)  # the writer lags behind the reading
        threads.add(threading.current_thread().name)
        stored.append(result)
    writer.load(con, (process_file(str(p)) for p in paths), on_stored, on_file=lambda _r: seen.append(len(stored)),
                threaded=threaded)
    assert len(stored) == 7 and len(seen) == 7
    # stored by the writer's thread, or (not threaded) by the reading one
    assert threads == ({"redline-ingest-writer"} if threaded else {threading.current_thread().name})
    # file i belongs to batch i // 2: every batch before it is stored when it is said done
    assert all(done >= (i // 2) * 2 for i, done in enumerate(seen)), seen
    assert _count(con, "trials") == 7


def test_the_writer_threads_last_batches_shrink_so_that_little_is_left_to_write_at_the_end(con, write_traj,
                                                                                            monkeypatch):
    from redline.ingest import writer
    from redline.ingest.loader import process_file

    monkeypatch.setattr(writer, "BATCH_FILES", 4)
    paths = [write_traj(f"repo__s-{i}", [("ls", f"{i}\n", 0)]) for i in range(20)]
    batches = []
    real = writer._store

    def store(con_, batch, tables=None):
        batches.append(len(batch))
        return real(con_, batch, tables)
    monkeypatch.setattr(writer, "_store", store)
    sizes = [1000] * 20  # the files' bytes: the same for each
    stored = []
    writer.load(con, (process_file(str(p)) for p in paths), stored.append, sizes=sizes)
    assert batches == [4, 4, 4, 3, 2, 1, 1, 1] and len(stored) == 20  # the last file alone
    # without the sizes (or not threaded) the batches are the limits' alone
    batches.clear()
    writer.load(con, (process_file(str(p)) for p in paths), stored.append)
    assert batches == [4, 4, 4, 4, 4]
    batches.clear()
    writer.load(con, (process_file(str(p)) for p in paths), stored.append, threaded=False, sizes=sizes)
    assert batches == [4, 4, 4, 4, 4]
    assert _count(con, "trials") == 20


def test_a_database_that_fails_while_the_writer_thread_writes_fails_the_ingest(con, write_traj, tmp_path,
                                                                                monkeypatch):
    from redline.ingest import writer

    def broken(con_, results):
        raise RuntimeError("disk gone")
    monkeypatch.setattr(writer, "write_batch", broken)
    write_traj("repo__f-0", [("ls", "0\n", 0)])
    with pytest.raises(RuntimeError, match="disk gone"):
        ingest([tmp_path / "runs"], con)
    monkeypatch.undo()  # the connection is the caller's again, usable
    assert ingest([tmp_path / "runs"], con).ok == 1


_CLI_INGEST = """
import sys
from redline.cli import main
try:
    main(["ingest", *sys.argv[2:], "--db", sys.argv[1]], standalone_mode=False)
finally:
    print(sorted(m for m in ("pyarrow", "numpy") if m in sys.modules))
"""


@pytest.mark.parametrize("classify", [False, True])
def test_the_ingest_command_runs_without_importing_pyarrow_or_numpy(tmp_path, write_traj, classify):
    """pyarrow and the NumPy it loads add about 40 MB to a process: ingest builds its rows with
    nanoarrow and DuckDB reads them itself (with --classify, the learned models load NumPy)."""
    import subprocess
    import sys

    write_traj("r__p-1", [("ls -la", "a\n", 0), ("pkill -f server", "", 0)])
    db = tmp_path / "p.duckdb"
    args = [str(db), str(tmp_path / "runs"), *(["--classify"] if classify else [])]
    done = subprocess.run([sys.executable, "-c", _CLI_INGEST, *args], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == ("['numpy']" if classify else "[]")
    con = redline.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM events WHERE kind = 'action'").fetchone()[0] == 2
        assert _count(con, "commands") >= 2
        assert (_count(con, "labels") > 0) == classify
    finally:
        con.close()


def test_a_writer_thread_only_where_the_ingest_process_reads_the_files(tmp_path, write_traj, monkeypatch):
    from redline.ingest import loader

    asked = []
    real = loader.load

    def spy(*args, **kwargs):
        asked.append(kwargs.get("threaded"))
        return real(*args, **kwargs)
    monkeypatch.setattr(loader, "load", spy)
    root = write_traj("repo__t-0", [("ls", "a\n", 0)]).parent.parent
    for i in range(1, 9):
        write_traj(f"repo__t-{i}", [(f"echo {i}", f"{i}\n", 0)])
    for workers, threaded in ((1, True), (2, False)):
        con = redline.connect(tmp_path / f"w{workers}.duckdb")
        assert ingest([root], con, workers=workers).ok == 9
        assert _count(con, "trials") == 9
        con.close()
        assert asked[-1] is threaded
