"""Writing files' results to the database: in batches, each file's rows replaced atomically.

A batch is bounded by :data:`~redline.limits.BATCH_EVENTS`, :data:`~redline.limits.BATCH_FILES`
and :data:`~redline.limits.BATCH_BYTES` and written in one transaction; a file the database
refuses is stored alone, as an error, so it never costs the rest of its batch.

Where this process reads the files (one worker), batches are written by a thread of their own
(:class:`_Writer`) while the caller reads the next files: DuckDB lets go of Python's interpreter
lock while it inserts and commits, so on two cores the writing (about a third of a small ingest)
is done beside the reading instead of after it.
At most :data:`~redline.limits.WRITE_AHEAD` batches wait for the writer. DuckDB takes the lock
back for moments while it reads a batch's rows (each record batch handed over, each one let go):
Python hands the lock to a thread asking for it only every switch interval (5 ms by default),
so while the writer runs the interval is :data:`~redline.limits.INGEST_SWITCH_INTERVAL`.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import duckdb

from .. import db as dbmod
from .. import schema
from ..convert import Layout, Rows, clean_text, concat, rows_of, share
from ..limits import BATCH_BYTES, BATCH_EVENTS, BATCH_FILES, INGEST_SWITCH_INTERVAL, WRITE_AHEAD
from .results import TABLES, FileResult

__all__ = ["checkpoints_every", "describe_db_error", "joined", "load", "threads", "write_batch"]

_FILES = Layout(schema.INGESTED_FILES)
#: the columns of each table a file's rows are written to, in the order its rows hold them
_COLUMNS = {t.name: ", ".join(c.name for c in t.written()) for t in (schema.TRIALS, schema.EVENTS, schema.COMMANDS)}
#: the stored trials of a batch's files (files read before, whose rows the batch replaces)
_OLD = "SELECT trial_id FROM trials WHERE source_path IN (SELECT path FROM _batch_paths)"
_PATHS = Layout(schema.Table("_batch_paths", "the paths of a batch's files",
                             (schema.Column("path", "VARCHAR", "a file's path as stored"),)))


def joined(results: list[FileResult]) -> dict[str, Any]:
    """Each table's rows of these files, one after the other (None where none has any): built
    once for all of them, each file's own rows then slices of these
    (:func:`~redline.convert.share`); rows from worker processes are joined as they are."""
    tables: dict[str, Any] = {}
    for name in TABLES:
        parts = [t for r in results if (t := getattr(r, name)) is not None]
        if not parts:
            tables[name] = None
        elif all(isinstance(p, Rows) for p in parts):
            tables[name] = share(parts)
        else:
            tables[name] = concat(parts)
    return tables


def write_batch(con: duckdb.DuckDBPyConnection, results: list[FileResult],
                tables: dict[str, Any] | None = None) -> None:
    """Replace what the database holds for these files with the new results, atomically
    (``tables``: their rows as :func:`joined` gives them, when joined already)."""
    if not results:
        return
    paths = rows_of(_PATHS, [[r.path for r in results]])
    if tables is None:
        tables = joined(results)
    files = rows_of(_FILES, [
        [r.path for r in results], [r.sha256 for r in results], [r.size_bytes for r in results],
        [r.format for r in results], [r.status for r in results], [clean_text(r.error, 4000) for r in results],
        [r.n_trials for r in results], [r.n_events for r in results]])
    with dbmod.transaction(con):
        con.register("_batch_paths", paths)
        if con.execute(f"SELECT count(*) FROM ({_OLD})").fetchone()[0]:  # files read before: replace them
            # (their trials kept apart first: deleting from trials changes what _OLD selects)
            con.execute(f"CREATE OR REPLACE TEMP TABLE _old AS {_OLD}")
            for table in ("labels", "suggestions", "commands", "events", "trials"):
                con.execute(f"DELETE FROM {table} WHERE trial_id IN (SELECT trial_id FROM _old)")
            con.execute("DROP TABLE _old")
        con.execute("DELETE FROM ingested_files WHERE path IN (SELECT path FROM _batch_paths)")
        for table, data in tables.items():
            if data is not None:
                con.register("_batch_data", data)
                cols = _COLUMNS[table]
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _batch_data")
                con.unregister("_batch_data")
        con.register("_batch_files", files)
        cols = ", ".join(_FILES.names)
        con.execute(f"INSERT INTO ingested_files ({cols}) SELECT {cols} FROM _batch_files")
        con.unregister("_batch_files")
        con.unregister("_batch_paths")


def _store(con: duckdb.DuckDBPyConnection, batch: list[FileResult],
           tables: dict[str, Any] | None = None) -> list[FileResult]:
    """Write a batch (its rows joined already: ``tables``); if the database refuses it, write
    its files one at a time, so one file the database cannot hold becomes an error row instead
    of costing the batch. Returns the results as stored."""
    try:
        write_batch(con, batch, tables)
        return batch
    except Exception:  # noqa: BLE001 - find the file at fault below
        pass
    stored = []
    for result in batch:
        try:
            write_batch(con, [result])
        except Exception as exc:  # noqa: BLE001 - the database or Arrow refused this file's rows
            reason = describe_db_error(exc)
            result = FileResult(result.path, result.sha256, result.size_bytes, result.format, "error",
                                f"could not be stored in the database: {reason}")
            write_batch(con, [result])  # if even this fails, the database itself fails: raise
        stored.append(result)
    return stored


def describe_db_error(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:300] if lines else type(exc).__name__


def threads(con: duckdb.DuckDBPyConnection, threads: int) -> AbstractContextManager[bool]:
    """DuckDB's threads set to ``threads`` inside the block (fewer only), restored after."""
    return dbmod.setting_while(con, "threads", str(int(threads)), lambda before: int(before) > threads)


@contextmanager
def checkpoints_every(con: duckdb.DuckDBPyConnection, wal: str | None) -> Iterator[None]:
    """DuckDB's automatic checkpoint made when its write-ahead log reaches ``wal`` (only ever
    later than it was; None: as it was) inside the block, restored after; the block's writes are
    checkpointed at its end, so what follows (a classify in the same process) finds them in the
    database file, their blocks in memory released, as closing the connection would have left them.

    Each checkpoint compresses the table's last row group again, rows already written with it:
    at DuckDB's default (16 MB) every batch of ingest made one, and checkpointing took about
    as long as inserting (see :data:`~redline.limits.INGEST_CHECKPOINT_WAL`)."""
    wanted = None if wal is None else dbmod.memory_bytes(wal)

    def later(before: str) -> bool:
        now = dbmod.memory_bytes(before)
        return now is not None and wanted is not None and wanted > now
    with dbmod.setting_while(con, "checkpoint_threshold", wal or "", later):
        yield
        try:
            con.execute("CHECKPOINT")
        except duckdb.Error:  # another transaction is open: DuckDB checkpoints later, as it would have
            pass


#: a batch's files and their rows joined (see :func:`joined`)
_Batch = tuple[list[FileResult], dict[str, Any]]


class _Writer:
    """Batches stored (:func:`_store`) in order by a thread of its own, ``on_stored`` called
    there; the caller's connection is the writer's until the block ends, which waits for the
    last batch to be stored and raises what storing raised.

    ``on_file`` is called in the caller's thread for each file read, as soon as every batch
    before the file's own is stored, never sooner: a file said to be done has had every batch
    before its own stored, as when ingest wrote each batch before reading on (a run killed after
    the N-th file said done holds every batch completed before it)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, on_stored: Callable[[FileResult], None],
                 on_file: Callable[[FileResult], None] | None, threaded: bool = True) -> None:
        self.con, self.on_stored, self.on_file, self.threaded = con, on_stored, on_file, threaded
        self.queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=WRITE_AHEAD)
        self.changed = threading.Condition()  # a batch taken from the queue, or stored
        self.given = 0  # batches put
        self.stored = 0  # batches stored
        self.error: BaseException | None = None
        self.held: deque[tuple[int, FileResult]] = deque()  # files read, not yet said done
        self.thread = threading.Thread(target=self._run, name="redline-ingest-writer", daemon=True)

    def _run(self) -> None:
        while (batch := self.queue.get()) is not None:
            with self.changed:
                self.changed.notify_all()
            self._write(batch)

    def _write(self, batch: _Batch) -> None:
        if self.error is None:  # after an error, drain: the caller raises it
            try:
                for stored in _store(self.con, *batch):
                    self.on_stored(stored)
            except BaseException as exc:  # noqa: BLE001 - raised in the caller's thread
                self.error = exc
        with self.changed:
            self.stored += 1
            self.changed.notify_all()

    def read(self, result: FileResult) -> None:
        """A file read: said done as soon as the batches before its own are stored."""
        self.held.append((self.given, result))
        self._say_done()

    def _say_done(self) -> None:
        stored = self.stored
        while self.held and self.held[0][0] <= stored:
            result = self.held.popleft()[1]
            if self.on_file:
                self.on_file(result)

    def put(self, batch: list[FileResult]) -> None:
        """Hand a batch to the writer, waiting while :data:`~redline.limits.WRITE_AHEAD` wait
        already (saying files done as batches are stored); not threaded, store it here. Its
        rows are joined here first (:func:`joined`), so a batch waiting holds them as Arrow data."""
        item: _Batch = (batch, joined(batch))
        if not self.threaded:
            self.given += 1
            self._write(item)
            if self.error is not None:
                raise self.error
            self._say_done()
            return
        while True:
            if self.error is not None:
                raise self.error
            with self.changed:
                try:
                    self.queue.put_nowait(item)
                    break
                except queue.Full:
                    self.changed.wait()
            self._say_done()
        self.given += 1

    def __enter__(self) -> _Writer:
        if self.threaded:
            self.interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self.interval, INGEST_SWITCH_INTERVAL))
            self.thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.threaded:
            self.queue.put(None)
            self.thread.join()
            sys.setswitchinterval(self.interval)
        if exc is None:
            self._say_done()
            if self.error is not None:
                raise self.error


def load(
    con: duckdb.DuckDBPyConnection,
    results: Iterable[FileResult],
    on_stored: Callable[[FileResult], None],
    on_file: Callable[[FileResult], None] | None = None,
    on_read: Callable[[], None] | None = None,
    threaded: bool = True,
    sizes: list[int] | None = None,
) -> None:
    """Write files' results to the database in batches (bounded by :data:`~redline.limits.BATCH_EVENTS`,
    :data:`~redline.limits.BATCH_FILES` and :data:`~redline.limits.BATCH_BYTES`), stored by a
    writer thread while the next are read (unless ``threaded`` is false); ``on_stored`` gets
    each result as stored (an error, when the database refused its rows), in the thread that
    stored it; ``on_file`` each file read, in
    this one, once the batches before its own are stored (see :class:`_Writer`); ``on_read()``
    once every result is taken, while the last batches may still be written. The local ingest
    and each shard of a dataset ingest (:mod:`redline.distributed.tasks`) load through it.

    ``threaded=False`` stores each batch in this thread before reading on: where the results
    come from worker processes, the reading is theirs and a writer thread would only hold one
    more batch in memory (about 100 MB more for the process tree at 5 GB) for no time gained.

    ``sizes``, the bytes of each result's file in order, lets the writer thread's last batches
    be small: nothing runs beside the writing of the last one, so a batch is also handed over
    once its files hold at least half as many bytes as are left to read (the batches shrink
    toward the end: 20 Inspect logs were written four at a time, the last one alone now)."""
    batch: list[FileResult] = []
    pending_events = pending_bytes = 0
    left = sum(sizes) if sizes is not None and threaded else None  # bytes of input not read yet
    read = 0  # ...and of the pending batch's files
    with _Writer(con, on_stored, on_file, threaded) as writer:
        for n, result in enumerate(results):
            batch.append(result)
            pending_events += result.n_events
            pending_bytes += result.nbytes
            writer.read(result)
            if left is not None and sizes is not None:
                left, read = left - sizes[n], read + sizes[n]
            if (pending_events >= BATCH_EVENTS or len(batch) >= BATCH_FILES or pending_bytes >= BATCH_BYTES
                    or (left is not None and 2 * read >= left > 0)):
                writer.put(batch)
                batch, pending_events, pending_bytes, read = [], 0, 0, 0
        if batch:
            writer.put(batch)
        if on_read:
            on_read()
