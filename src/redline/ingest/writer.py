"""Writing files' results to the database: in batches, each file's rows replaced atomically.

A batch is bounded by :data:`~redline.limits.BATCH_EVENTS`, :data:`~redline.limits.BATCH_FILES`
and :data:`~redline.limits.BATCH_BYTES` and written in one transaction; a file the database
refuses is stored alone, as an error, so it never costs the rest of its batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager

import duckdb

from .. import db as dbmod
from .. import schema
from ..convert import Layout, clean_text, concat, rows_of
from ..limits import BATCH_BYTES, BATCH_EVENTS, BATCH_FILES
from .results import FileResult

__all__ = ["checkpoints_every", "describe_db_error", "load", "threads", "write_batch"]

_FILES = Layout(schema.INGESTED_FILES)
#: the columns of each table a file's rows are written to, in the order its rows hold them
_COLUMNS = {t.name: ", ".join(c.name for c in t.written()) for t in (schema.TRIALS, schema.EVENTS, schema.COMMANDS)}
_PATHS = Layout(schema.Table("_batch_paths", "the paths of a batch's files",
                             (schema.Column("path", "VARCHAR", "a file's path as stored"),)))


def write_batch(con: duckdb.DuckDBPyConnection, results: list[FileResult]) -> None:
    """Replace what the database holds for these files with the new results, atomically."""
    if not results:
        return
    paths = rows_of(_PATHS, [[r.path for r in results]])
    tables = {
        "trials": [r.trials for r in results if r.trials is not None],
        "events": [r.events for r in results if r.events is not None],
        "commands": [r.commands for r in results if r.commands is not None],
    }
    files = rows_of(_FILES, [
        [r.path for r in results], [r.sha256 for r in results], [r.size_bytes for r in results],
        [r.format for r in results], [r.status for r in results], [clean_text(r.error, 4000) for r in results],
        [r.n_trials for r in results], [r.n_events for r in results]])
    with dbmod.transaction(con):
        con.register("_batch_paths", paths)
        con.execute("CREATE OR REPLACE TEMP TABLE _old AS SELECT trial_id FROM trials WHERE source_path IN (SELECT path FROM _batch_paths)")
        if con.execute("SELECT count(*) FROM _old").fetchone()[0]:  # files read before: replace them
            for table in ("labels", "suggestions", "commands", "events", "trials"):
                con.execute(f"DELETE FROM {table} WHERE trial_id IN (SELECT trial_id FROM _old)")
        con.execute("DELETE FROM ingested_files WHERE path IN (SELECT path FROM _batch_paths)")
        for table, parts in tables.items():
            if parts:
                data = concat(parts)
                con.register("_batch_data", data)
                cols = _COLUMNS[table]
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _batch_data")
                con.unregister("_batch_data")
        con.register("_batch_files", files)
        cols = ", ".join(_FILES.names)
        con.execute(f"INSERT INTO ingested_files ({cols}) SELECT {cols} FROM _batch_files")
        con.unregister("_batch_files")
        con.unregister("_batch_paths")
        con.execute("DROP TABLE IF EXISTS _old")


def _store(con: duckdb.DuckDBPyConnection, batch: list[FileResult]) -> list[FileResult]:
    """Write a batch; if the database refuses it, write its files one at a time, so one file
    the database cannot hold becomes an error row instead of costing the batch. Returns the
    results as stored."""
    try:
        write_batch(con, batch)
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
def checkpoints_every(con: duckdb.DuckDBPyConnection, wal: str) -> Iterator[None]:
    """DuckDB's automatic checkpoint made when its write-ahead log reaches ``wal`` (only ever
    later than it was) inside the block, restored after; the block's writes are checkpointed at
    its end, so what follows (a classify in the same process) finds them in the database file,
    their blocks in memory released, as closing the connection would have left them.

    Each checkpoint compresses the table's last row group again, rows already written with it:
    at DuckDB's default (16 MB) every batch of ingest made one, and checkpointing took about
    as long as inserting (see :data:`~redline.limits.INGEST_CHECKPOINT_WAL`)."""
    wanted = dbmod.memory_bytes(wal)

    def later(before: str) -> bool:
        now = dbmod.memory_bytes(before)
        return now is not None and wanted is not None and wanted > now
    with dbmod.setting_while(con, "checkpoint_threshold", wal, later):
        yield
        try:
            con.execute("CHECKPOINT")
        except duckdb.Error:  # another transaction is open: DuckDB checkpoints later, as it would have
            pass


def load(
    con: duckdb.DuckDBPyConnection,
    results: Iterable[FileResult],
    on_stored: Callable[[FileResult], None],
    on_file: Callable[[FileResult], None] | None = None,
) -> None:
    """Write files' results to the database in batches (bounded by :data:`~redline.limits.BATCH_EVENTS`,
    :data:`~redline.limits.BATCH_FILES` and :data:`~redline.limits.BATCH_BYTES`); ``on_stored``
    gets each result as stored (an error, when the database refused its rows). The local ingest
    and each shard of a dataset ingest (:mod:`redline.distributed.tasks`) load through it."""
    batch: list[FileResult] = []
    pending_events = pending_bytes = 0
    for result in results:
        batch.append(result)
        pending_events += result.n_events
        pending_bytes += result.nbytes
        if on_file:
            on_file(result)
        if pending_events >= BATCH_EVENTS or len(batch) >= BATCH_FILES or pending_bytes >= BATCH_BYTES:
            for stored in _store(con, batch):
                on_stored(stored)
            batch, pending_events, pending_bytes = [], 0, 0
    if batch:
        for stored in _store(con, batch):
            on_stored(stored)
