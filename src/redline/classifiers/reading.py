"""Reading a database's trials for classification: the batches they are cut into and each
batch's :class:`~redline.classifiers.frames.Frames`.

A batch is at most :data:`~redline.limits.CLASSIFY_BATCH_TRIALS` trials,
:data:`~redline.limits.CLASSIFY_BATCH_CHARS` characters of text and
:data:`~redline.limits.CLASSIFY_BATCH_ROWS` rows (:func:`batches`), read from the blocks the
trials are stored in, under DuckDB's read cap (:data:`~redline.limits.CLASSIFY_READ_MEMORY`),
and copied out of DuckDB's results (:func:`read_frames`). :mod:`redline.classifiers.store` runs
the rules and models over these batches and records the labels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

import duckdb
import polars as pl

from ..db import memory_capped, release_memory
from ..grouping import greedy_groups
from ..limits import (CLASSIFY_BATCH_CHARS, CLASSIFY_BATCH_ROWS, CLASSIFY_BATCH_TRIALS, CLASSIFY_EVICT_MEMORY,
                      CLASSIFY_READ_MEMORY, OUTPUT_WINDOW)
from .frames import EVENT_CONTEXT_COLUMNS, WINDOW_GAP, Frames, build_frames, owned
from .scripts import WRITE_TOOLS

#: an output longer than this is read by its head and tail only (see
#: :func:`~redline.classifiers.frames.window_outputs`); it is cut in the query, before it
#: reaches Python
_WINDOWED = 2 * OUTPUT_WINDOW + len(WINDOW_GAP)
_LONG_OUTPUT = f"kind = 'observation' AND length(text) > {_WINDOWED}"

_T = TypeVar("_T")


class Stream:
    """A polars frame DuckDB can scan (``con.register``) through the Arrow C stream interface,
    without pyarrow: DuckDB reads a polars frame itself through pyarrow, whose libraries add
    about 25 MB to the process; classify has no other use for them. Every scan opens a new stream."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema=None):
        return self.frame.__arrow_c_stream__(requested_schema)


def values_stream(values) -> Stream:
    return Stream(pl.DataFrame({"value": list(values)}, schema={"value": pl.Utf8}))


def _frame(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> pl.DataFrame:
    """A query's result as a polars frame, taken through the Arrow C stream interface (no pyarrow)."""
    return pl.DataFrame(con.sql(query, params=params))


def _is_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``table`` is a table of the current schema (a view, such as the tables of a
    database attached to a dataset, has no rowid)."""
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                            "AND schema_name = current_schema() AND table_name = ?", [table]).fetchall()[0][0])


#: the tables whose rows :func:`read_frames` reads by stored range
_RANGED = ("events", "commands")


def stored_rows(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame | None]:
    """Where each trial's rows are stored, per table of :data:`_RANGED`: a frame of
    (``trial_id``, ``first``, ``last`` rowid), or None for a view (no rowid). Read once for
    a whole run (a scan of each table's ``trial_id``), it spares every batch's
    :func:`read_frames` a scan of its own."""
    out = {table: _frame(con, f"SELECT trial_id, min(rowid) AS first, max(rowid) AS last FROM {table} "
                              "GROUP BY trial_id") if _is_table(con, table) else None for table in _RANGED}
    release_memory(con)  # the aggregates' buffers (about 6 MB for 1,000 Inspect trials)
    return out


def _stored_between(con: duckdb.DuckDBPyConnection, table: str, trial_ids: Sequence[str],
                    stored: dict[str, pl.DataFrame | None] | None) -> str:
    """A condition on ``rowid`` that holds the rows of ``table`` of the trials in ``_classify_ids``:
    from the first to the last of them as stored. DuckDB skips the blocks outside it unread,
    where a join with the trials reads (and decompresses) every block of the columns asked for
    that holds any of them; a trial's rows are stored together, so a batch of trials stored
    together (:func:`batches` with ``stored_order``) is read from its own blocks, where one
    scattered over the table makes every batch read the whole table (about three times the
    batch's own cost on a million actions). The range comes from ``stored``
    (:func:`stored_rows`) when given, else from reading the ``trial_id`` column.
    A view (the tables of a database attached to a dataset) has no rowid: it is read whole."""
    if stored is None:
        if not _is_table(con, table):
            return "true"
        first, last = con.execute(f"SELECT min(rowid), max(rowid) FROM {table} "
                                  "WHERE trial_id IN (SELECT value FROM _classify_ids)").fetchall()[0]
    else:
        ranges = stored[table]
        if ranges is None:
            return "true"
        first, last = ranges.filter(pl.col("trial_id").is_in(list(trial_ids))).select(
            pl.col("first").min(), pl.col("last").max()).row(0)
    return "false" if first is None else f"rowid BETWEEN {int(first)} AND {int(last)}"


def _capped(con: duckdb.DuckDBPyConnection, read: Callable[[], _T]) -> _T:
    """``read()`` with DuckDB's memory capped at :data:`~redline.limits.CLASSIFY_READ_MEMORY`: the
    table blocks a read scans pass through DuckDB's buffer pool, which would otherwise keep them
    until the read ends, up to the run's cap. Should DuckDB run out of memory under it (a batch
    of very long texts), ``read()`` runs again under the run's cap."""
    try:
        with memory_capped(con, CLASSIFY_READ_MEMORY):
            return read()
    except (duckdb.Error, pl.exceptions.ComputeError) as error:  # (polars passes on DuckDB's errors)
        if "Out of Memory" not in str(error):
            raise
    return read()


def _in_order(frame: pl.DataFrame, keys: Sequence[str]) -> pl.DataFrame:
    """``frame`` sorted by its integer ``keys`` (stable: rows that tie keep their order), or
    ``frame`` itself when its rows are in that order already (a test of the keys alone: no
    column is gathered)."""
    later, same = pl.lit(False), pl.lit(True)
    for key in keys:
        step = pl.col(key).diff()
        later, same = later | (same & (step > 0)), same & (step == 0)
    if frame.select((later | same).slice(1).all()).item():
        return frame
    return frame.sort(keys, maintain_order=True)


def _with_trial_ids(frame: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """``frame`` with ``trial_id`` (first) in place of ``_t``, its trial's position in ``ids``:
    every row's ID points at the one copy in ``ids`` (16 bytes a row), where an ID read from the
    database is a copy of its own in DuckDB's result (about 50 bytes a row, a sixth of an
    Inspect batch's events frame)."""
    return frame.select(ids.gather(frame["_t"]).alias("trial_id"), pl.exclude("_t"))


def _ordered(frame: pl.DataFrame, keys: Sequence[str], ids: pl.Series) -> pl.DataFrame:
    """A query's rows in the order of their integer ``keys`` (the first is ``_t``), with their
    ``trial_id`` (:func:`_with_trial_ids`), in buffers of their own
    (:func:`~redline.classifiers.frames.owned`)."""
    ordered = _in_order(frame, keys)
    return owned(_with_trial_ids(ordered, ids), moved=ordered is not frame)


def read_frames(con: duckdb.DuckDBPyConnection, trial_ids: Sequence[str], *,
                stored: dict[str, pl.DataFrame | None] | None = None) -> Frames:
    """The :class:`~redline.classifiers.frames.Frames` of these trials, read from the database
    (``stored``: where each trial's rows are, :func:`stored_rows`, when the caller reads many
    batches).

    Outputs longer than the window come as their head and tail, with their length in
    ``text_chars``, so a batch never holds a long output whole. ``events`` keeps only the
    columns the rules and models read (:data:`~redline.classifiers.frames.EVENT_CONTEXT_COLUMNS`)
    once the other frames are built from it: a string column costs 16 bytes a row even where it
    is empty, and the event's tool, parse error and attributes (about a third of a batch's
    events frame for Inspect logs) are read from ``actions``, or only while building. Of the
    attributes, only those of Write and Edit actions are read (the one use of them,
    :func:`~redline.classifiers.scripts.script_commands`), and none when the batch has none.

    The rows are copied out of DuckDB's results, each distinct long string once
    (:func:`~redline.classifiers.frames.owned`): a result goes as soon as its rows are copied,
    instead of staying whole (in DuckDB's allocator) as long as any of its strings or numbers
    is kept. Measured on 1,000 Inspect trials: the frames held 41 MB (and 10 MB of a result),
    now 30 MB; the read's own peak and its end are about 25 to 30 MB lower."""
    ids = pl.Series("trial_id", sorted(set(trial_ids)), dtype=pl.Utf8)
    con.register("_classify_ids", Stream(pl.DataFrame({"value": ids, "_t": pl.int_range(len(ids), dtype=pl.Int32,
                                                                                         eager=True)})))
    try:
        trials, events, commands = _capped(con, lambda: _read(con, trial_ids, ids, stored))
    finally:
        con.unregister("_classify_ids")
        release_memory(con, CLASSIFY_EVICT_MEMORY)  # the query buffers, and the table blocks read
    frames = build_frames(trials, events, commands, own_buffers=True)
    return replace(frames, events=frames.events.select(EVENT_CONTEXT_COLUMNS))


def _read(con: duckdb.DuckDBPyConnection, trial_ids: Sequence[str], ids: pl.Series,
          stored: dict[str, pl.DataFrame | None] | None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The trials, events and commands rows of :func:`read_frames`, each row's trial by its
    position in ``ids`` (registered as ``_classify_ids``).

    The rows are put in order by polars, not DuckDB: DuckDB's sort copies every text it carries
    (about two fifths of the query's CPU), polars' moves 16-byte views of them; the order is of
    integers (the trial's position in ``ids``, sorted), tested before any column is moved.
    Each query's rows are copied out of its result once DuckDB has let go of the table blocks
    it read (they are not needed beside the copy), and the events' result goes before the
    commands are read."""
    trials = _frame(con, "SELECT * FROM trials WHERE trial_id IN (SELECT value FROM _classify_ids)")
    events = _frame(con,
        "SELECT _t, seq, kind, role, "
        f"CASE WHEN {_LONG_OUTPUT} THEN left(text, {OUTPUT_WINDOW}) || ? || right(text, {OUTPUT_WINDOW}) "
        "ELSE text END AS text, "
        f"CASE WHEN {_LONG_OUTPUT} THEN length(text) END AS text_chars, "
        "tool, exit_code, action_seq, parse_error, attrs->>'command_type' AS command_type, "
        f"CASE WHEN kind = 'action' AND tool IN ({', '.join(map(repr, WRITE_TOOLS))}) THEN attrs END AS attrs "
        f"FROM events JOIN _classify_ids ON trial_id = value WHERE {_stored_between(con, 'events', trial_ids, stored)}",
        [WINDOW_GAP])
    if events["attrs"].null_count() == events.height:
        events = events.drop("attrs")
    release_memory(con, CLASSIFY_EVICT_MEMORY)  # the blocks read, before the copy is made beside them
    events = _ordered(events, ("_t", "seq"), ids)
    commands = _frame(con,
        "SELECT _t, * EXCLUDE (trial_id, value, _t) FROM commands JOIN _classify_ids ON trial_id = value "
        f"WHERE {_stored_between(con, 'commands', trial_ids, stored)}")
    release_memory(con, CLASSIFY_EVICT_MEMORY)
    return owned(trials), events, _ordered(commands, ("_t", "seq", "idx"), ids)


def batches(con: duckdb.DuckDBPyConnection, trial_ids: Sequence[str] | None = None, *,
            batch_trials: int = CLASSIFY_BATCH_TRIALS, batch_chars: int = CLASSIFY_BATCH_CHARS,
            batch_rows: int = CLASSIFY_BATCH_ROWS, stored_order: bool = False) -> list[list[str]]:
    """The trials (default: all) in classification batches, in trial order: each batch at most
    ``batch_trials`` trials and, unless it is one trial, at most ``batch_chars`` characters of
    text as :func:`read_frames` reads them and ``batch_rows`` rows (events and commands).

    ``stored_order``: in the order the trials' events are stored instead (within a batch, in
    trial order), so that :func:`read_frames` reads each batch from blocks of its own, whatever
    the size of the database; a batch's labels do not depend on which trials share it."""
    order = "e.first NULLS LAST, t.trial_id" if stored_order else "t.trial_id"
    sizes = _capped(con, lambda: con.execute(
        "SELECT t.trial_id, coalesce(e.chars, 0), coalesce(e.n, 0) + coalesce(c.n, 0) FROM trials t "
        f"LEFT JOIN (SELECT trial_id, sum(CASE WHEN {_LONG_OUTPUT} THEN {_WINDOWED} ELSE length(text) END) AS chars, "
        "count(*) AS n, min(rowid) AS first FROM events GROUP BY trial_id) e USING (trial_id) "
        "LEFT JOIN (SELECT trial_id, count(*) AS n FROM commands GROUP BY trial_id) c USING (trial_id) "
        f"ORDER BY {order}").fetchall())
    release_memory(con, CLASSIFY_EVICT_MEMORY)  # the aggregates' buffers and the blocks of text read
    if trial_ids is not None:
        wanted = set(trial_ids)
        sizes = [row for row in sizes if row[0] in wanted]
    groups = greedy_groups([(tid, (chars, rows)) for tid, chars, rows in sizes], (batch_chars, batch_rows), batch_trials)
    return [sorted(group) for group in groups] if stored_order else groups
