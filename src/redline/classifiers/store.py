"""Classifying a database: reading batches of stored rows, writing labels in recorded runs.

Every :func:`classify` that has something to do is a *run*, recorded in ``classify_runs`` with
the IDs and versions of the classifiers it runs, and the ``current_labels`` view shows the
labels of complete runs only. A run does only what is not current
(:mod:`redline.classifiers.plan`, :mod:`redline.classifiers.versions`): each classifier on the
trials it has not covered in its present version (``full`` runs every pair); with nothing to
do, no run is recorded, except once per redline source: a run of 0 trials that notes every
classifier's version under this source's digest, so the next classify answers from the
database alone (see :func:`~redline.classifiers.versions.labels_current`).

1. **start**: labels, suggestions and coverage of earlier runs that never completed (a classify
   killed midway) are deleted and those runs marked ``abandoned``; the new run is recorded as
   ``running``;
2. **label**: the trials are read and labelled in batches, taken in the order the trials are
   stored (so each batch is read from blocks of its own), of at most :data:`~redline.limits.CLASSIFY_BATCH_TRIALS`
   trials, :data:`~redline.limits.CLASSIFY_BATCH_CHARS` characters of text and
   :data:`~redline.limits.CLASSIFY_BATCH_ROWS` rows (memory stays bounded by the batch), each batch's
   labels written in one statement, carrying the run's ID; once a pass's batches are done, one
   statement writes its ``classify_coverage``: a row per trial and classifier it ran;
3. **complete**, in one transaction: what the run supersedes is deleted (on each trial it
   covered, the labels of the IDs it ran there, the suggestions of the models it ran there and
   the earlier coverage of those classifiers, written by any other run) and the run is marked
   ``complete``.

Killed at any point, a run leaves the labels that were current before it current, and its own
invisible until the next run removes them; nothing half-done is ever shown, and the pairs it did
not complete are still not current for the next run.

Learned models (:mod:`redline.classifiers.models`) run in the same pass, on the same batches:
a ``label`` model's decisions are merged with the rule of its ID (union, one row per step and ID,
``source`` saying who gave it: :mod:`redline.classifiers.models.apply`; its unsure additions go
to ``suggestions``), a ``suggestion`` model's rows go to ``suggestions``, and both are superseded, recorded and made current exactly
like rule labels (the run records each model as ``model:ID`` with its version).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

import duckdb
import polars as pl

from ..db import memory_capped, release_memory, transaction
from ..grouping import greedy_groups
from ..queries import labelled_versions
from .engine import LABEL_COLUMNS, label_frames
from .expressions import release_regexes
from ..limits import (CLASSIFY_BATCH_CHARS, CLASSIFY_BATCH_ROWS, CLASSIFY_BATCH_TRIALS, CLASSIFY_DUCKDB_MEMORY,
                      CLASSIFY_EVICT_MEMORY, CLASSIFY_READ_MEMORY, CLASSIFY_WRITE_ROWS, OUTPUT_WINDOW)
from .frames import EVENT_CONTEXT_COLUMNS, WINDOW_GAP, Frames, build_frames, detached, owned
from .models.apply import apply_models
from .models.files import TrainedModel
from .models.inputs import model_frames
from .plan import expected, label_models, plan
from .registry import active_rules
from .rule import Rule
from .scripts import WRITE_TOOLS
from .versions import MODEL_PREFIX, recorded_versions, source_digest

#: an output longer than this is read by its head and tail only (see
#: :func:`~redline.classifiers.frames.window_outputs`); it is cut in the query, before it
#: reaches Python
_WINDOWED = 2 * OUTPUT_WINDOW + len(WINDOW_GAP)
_LONG_OUTPUT = f"kind = 'observation' AND length(text) > {_WINDOWED}"

_T = TypeVar("_T")


class _Stream:
    """A polars frame DuckDB can scan (``con.register``) through the Arrow C stream interface,
    without pyarrow: DuckDB reads a polars frame itself through pyarrow, whose libraries add
    about 25 MB to the process; classify has no other use for them. Every scan opens a new stream."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema=None):
        return self.frame.__arrow_c_stream__(requested_schema)


def _strings(values) -> _Stream:
    return _Stream(pl.DataFrame({"value": list(values)}, schema={"value": pl.Utf8}))


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
    con.register("_classify_ids", _Stream(pl.DataFrame({"value": ids, "_t": pl.int_range(len(ids), dtype=pl.Int32,
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


@dataclass
class ClassifyReport:
    #: trials the run labelled (with at least one classifier)
    trials: int = 0
    labels: int = 0
    #: rules the run ran (on some trials at least)
    rules: int = 0
    #: trained models applied, and the suggestions they wrote
    models: int = 0
    suggestions: int = 0
    #: the run that wrote the labels (``classify_runs.run_id``); None when nothing had to run
    run_id: int | None = None
    #: (ID, version the database was last labelled with, version now) of every classifier whose
    #: logic changed since then
    changed: list[tuple[str, str, str]] = field(default_factory=list)
    #: the trials in scope and the classifiers (rules and models) asked for
    total_trials: int = 0
    classifiers: int = 0
    #: (classifier, trial) pairs run, of ``total_trials * classifiers``
    pairs: int = 0

    @property
    def current(self) -> bool:
        """Nothing had to run: every pair was current."""
        return self.run_id is None

    def summary(self) -> str:
        if self.current:
            return f"labels are current ({self.total_trials} trials, {self.classifiers} classifiers)"
        models = f" and {self.models} models ({self.suggestions} suggestions)" if self.models else ""
        out = f"{self.labels} labels from {self.rules} classifiers{models} over {self.trials} trials"
        if self.pairs < self.total_trials * self.classifiers:
            out += (f" ({self.pairs} of {self.total_trials * self.classifiers} trial-classifier pairs were not "
                    "current; the others kept their labels)")
        return out


def changed_rules(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule] | None = None) -> list[tuple[str, str, str]]:
    """(ID, version labelled with, version now) of the classifiers (default: every active one)
    whose logic changed since the database was last labelled with them: their stored labels are
    stale until the next classify."""
    previous = labelled_versions(con)
    return [(r.id, previous[r.id], r.classifier_version) for r in (active_rules() if rules is None else rules)
            if r.id in previous and previous[r.id] != r.classifier_version]


def _abandon_unfinished(con: duckdb.DuckDBPyConnection) -> None:
    """Remove what runs that never completed wrote, and mark them abandoned."""
    if not con.execute("SELECT count(*) FROM classify_runs WHERE status = 'running'").fetchall()[0][0]:
        return
    with transaction(con):
        for table in ("labels", "suggestions", "classify_coverage"):
            con.execute(f"DELETE FROM {table} WHERE run_id IN "
                        "(SELECT run_id FROM classify_runs WHERE status = 'running')")
        con.execute("UPDATE classify_runs SET status = 'abandoned', ended_at = current_timestamp "
                    "WHERE status = 'running'")


def _start_run(con: duckdb.DuckDBPyConnection, ran: dict[str, str], current: dict[str, str], n_trials: int,
               code: str | None) -> int:
    """Record a new running run; return its ID. ``ran``: the classifiers it runs (key ->
    version); ``current``: every classifier it brings up to date."""
    return _insert_run(con, ran, current, n_trials, code, complete=False)


def _record_check(con: duckdb.DuckDBPyConnection, current: dict[str, str], code: str) -> None:
    """Record a run that labelled nothing: every pair was already current under this source.
    The next classify of an unchanged source then answers from the database alone
    (:func:`~redline.classifiers.versions.labels_current`) instead of loading the rules again."""
    _insert_run(con, {}, current, 0, code, complete=True)


def _insert_run(con: duckdb.DuckDBPyConnection, ran: dict[str, str], current: dict[str, str], n_trials: int,
                code: str | None, complete: bool) -> int:
    """Insert the next ``classify_runs`` row, running, or complete with no label; its ID."""
    with transaction(con):
        run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM classify_runs").fetchall()[0][0]
        con.execute("INSERT INTO classify_runs (run_id, status, rules, trials, labels, current, code, ended_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN current_timestamp END)",
                    [run_id, "complete" if complete else "running", json.dumps(ran), n_trials,
                     0 if complete else None, json.dumps(current), code, complete])
    return run_id


def _cover(con: duckdb.DuckDBPyConnection, run_id: int, trial_ids: Sequence[str], keys: dict[str, str]) -> None:
    """Record that the run covered these trials with these classifiers (visible once it completes)."""
    con.register("_cover_trials", _strings(trial_ids))
    con.register("_cover_keys", _Stream(pl.DataFrame({"classifier": list(keys), "version": list(keys.values())},
                                                     schema={"classifier": pl.Utf8, "version": pl.Utf8})))
    try:
        con.execute(
            "INSERT INTO classify_coverage (run_id, trial_id, classifier, version, ingested_at) "
            "SELECT ?, t.trial_id, k.classifier, k.version, f.ingested_at FROM trials t "
            "LEFT JOIN ingested_files f ON f.path = t.source_path CROSS JOIN _cover_keys k "
            "WHERE t.trial_id IN (SELECT value FROM _cover_trials)", [run_id])
    finally:
        con.unregister("_cover_trials")
        con.unregister("_cover_keys")


def _complete_run(con: duckdb.DuckDBPyConnection, run_id: int, rules: Sequence[Rule],
                  models: Sequence[TrainedModel] = ()) -> int:
    """Delete what the run supersedes (on each trial it covered, the earlier labels of the IDs
    it ran there, the earlier suggestions of the models it ran there and the earlier coverage of
    those classifiers) and mark it complete, atomically; return its label count. DuckDB's freed
    memory is handed back after each deletion (:func:`~redline.db.release_memory`): its allocator
    otherwise keeps it for a second, and these statements' pages added up to about 25 MB beside
    the labels written (1,000 Inspect trials)."""
    pairs = [(r.id, r.id) for r in rules]
    pairs += [(MODEL_PREFIX + m.id, c) for m in models if m.spec.kind == "label" for c in m.classes]
    con.register("_run_map", _Stream(pl.DataFrame(pairs, schema={"classifier": pl.Utf8, "label_id": pl.Utf8},
                                                  orient="row")))
    merged = [(key, lid) for key, ids in label_models().items() for lid in ids]
    con.register("_label_models", _Stream(pl.DataFrame(merged, schema={"model": pl.Utf8, "label_id": pl.Utf8},
                                                       orient="row")))
    run, prefixed = {"run": run_id}, {"run": run_id, "prefix": MODEL_PREFIX}
    deletions = [
        ("DELETE FROM labels USING (SELECT DISTINCT c.trial_id, m.label_id FROM classify_coverage c "
         "JOIN _run_map m USING (classifier) WHERE c.run_id = $run) AS s "
         "WHERE labels.trial_id = s.trial_id AND labels.label_id = s.label_id "
         "AND labels.run_id IS DISTINCT FROM $run", run),
        ("DELETE FROM suggestions USING (SELECT trial_id, classifier FROM classify_coverage "
         "WHERE run_id = $run) AS s WHERE suggestions.trial_id = s.trial_id "
         "AND $prefix || suggestions.model = s.classifier AND suggestions.run_id IS DISTINCT FROM $run", prefixed),
        ("DELETE FROM classify_coverage USING (SELECT trial_id, classifier FROM classify_coverage "
         "WHERE run_id = $run) AS s WHERE classify_coverage.trial_id = s.trial_id "
         "AND classify_coverage.classifier = s.classifier AND classify_coverage.run_id <> $run", run),
        # a rule run again without the label model of its ID: that model's part is gone
        ("DELETE FROM classify_coverage USING (SELECT c.trial_id, m.model FROM classify_coverage c "
         "JOIN _label_models m ON m.label_id = c.classifier WHERE c.run_id = $run) AS s "
         "WHERE classify_coverage.trial_id = s.trial_id AND classify_coverage.classifier = s.model "
         "AND classify_coverage.run_id <> $run", run),
        ("DELETE FROM classify_coverage WHERE trial_id NOT IN (SELECT trial_id FROM trials)", None),
    ]
    try:
        with transaction(con):
            for statement, params in deletions:
                con.execute(statement, params)
                release_memory(con)
            count = con.execute("SELECT count(*) FROM labels WHERE run_id = ?", [run_id]).fetchall()[0][0]
            con.execute("UPDATE classify_runs SET status = 'complete', ended_at = current_timestamp, labels = ? "
                        "WHERE run_id = ?", [count, run_id])
    finally:
        con.unregister("_run_map")
        con.unregister("_label_models")
    return count


def _write(con: duckdb.DuckDBPyConnection, table: str, rows, run_id: int) -> None:
    """Insert a frame's rows into ``table``, carrying the run's ID, :data:`CLASSIFY_WRITE_ROWS`
    rows per statement, DuckDB's freed memory handed back after each
    (:func:`~redline.db.release_memory`)."""
    cols = ", ".join(rows.columns)
    for start in range(0, rows.height, CLASSIFY_WRITE_ROWS):
        con.register("_rows", _Stream(rows.slice(start, CLASSIFY_WRITE_ROWS)))
        try:
            con.execute(f"INSERT INTO {table} ({cols}, run_id) SELECT {cols}, ? FROM _rows", [run_id])
        finally:
            con.unregister("_rows")
        release_memory(con)


def classify(
    con: duckdb.DuckDBPyConnection,
    rules: Sequence[Rule] | None = None,
    *,
    trial_ids: Sequence[str] | None = None,
    batch_trials: int = CLASSIFY_BATCH_TRIALS,
    batch_chars: int = CLASSIFY_BATCH_CHARS,
    batch_rows: int = CLASSIFY_BATCH_ROWS,
    on_batch: Callable[[int], None] | None = None,
    models: Sequence[TrainedModel] = (),
    full: bool = False,
) -> ClassifyReport:
    """Label the stored steps in one recorded run (see the module docstring).

    ``rules`` defaults to every active classifier; ``trial_ids`` to every trial; ``models`` (the
    trained models to apply, e.g. :func:`~redline.classifiers.models.available.available_models`)
    to none. Only the (classifier, trial) pairs that are not current run
    (:mod:`redline.classifiers.versions`); ``full`` runs every pair. Where the run labels a
    trial, its labels replace the earlier labels of the same IDs, and its suggestions the
    earlier suggestions of the same models; the other pairs keep theirs. With nothing to run,
    no run is recorded (but the first such check under a new redline source, see above) and the
    report says the labels are current.
    ``on_batch`` is called with the number of trials of each finished batch. The report names
    the classifiers whose logic changed since the database was last labelled with them.
    """
    code = None
    if rules is None:
        rules = active_rules()
        code = source_digest()
    with memory_capped(con, CLASSIFY_DUCKDB_MEMORY):
        return _classify(con, list(rules), trial_ids, (batch_trials, batch_chars, batch_rows), on_batch, list(models),
                         full, code)


def _classify(con: duckdb.DuckDBPyConnection, rules: list[Rule], trial_ids: Sequence[str] | None,
              bounds: tuple[int, int, int], on_batch: Callable[[int], None] | None,
              models: list[TrainedModel], full: bool, code: str | None) -> ClassifyReport:
    _abandon_unfinished(con)
    passes = plan(con, rules, models, trial_ids, full=full)
    current = expected(rules, models)
    total = len(trial_ids) if trial_ids is not None else con.execute("SELECT count(*) FROM trials").fetchall()[0][0]
    report = ClassifyReport(total_trials=total, classifiers=len(current), changed=changed_rules(con, rules))
    if not passes:
        if code is not None and trial_ids is None and recorded_versions(con, code) is None:
            _record_check(con, current, code)
        return report
    ran = {k: v for p in passes for k, v in p.keys.items()}
    report.run_id = run_id = _start_run(con, ran, current, len({t for p in passes for t in p.trial_ids}), code)
    report.rules = sum(1 for k in ran if not k.startswith(MODEL_PREFIX))
    report.models = len(ran) - report.rules
    stored = None  # where each trial's rows are: read once a run (it writes none), if a pass has several batches
    for step in passes:
        keys = step.keys
        chunks = batches(con, step.trial_ids, batch_trials=bounds[0], batch_chars=bounds[1], batch_rows=bounds[2],
                         stored_order=True)
        if stored is None and len(chunks) > 1:
            stored = stored_rows(con)
        for chunk in chunks:
            frames = read_frames(con, chunk, stored=stored)
            labels = label_frames(frames, step.rules)
            release_regexes()  # (the rules' compiled regexes, which polars keeps, before the models and the insert)
            suggestions = None
            if step.models:
                # the models need none of what the rules worked out for this batch (it is held in
                # the frames' memo) and read only the events and trials: the rest goes before the
                # models build their inputs
                frames = model_frames(frames)
                labels = detached(labels)
                labels, suggestions = apply_models(frames, labels, step.models)
                report.suggestions += suggestions.height
            # the labels' strings copied out of the frames' buffers, so that these go now,
            # before the inserts, which take memory of their own
            labels = detached(labels)
            suggestions = None if suggestions is None else detached(suggestions)
            del frames
            _write(con, "labels", labels.select(list(LABEL_COLUMNS)), run_id)
            if suggestions is not None:
                _write(con, "suggestions", suggestions, run_id)
            del labels, suggestions
            release_memory(con)
            report.pairs += len(chunk) * len(keys)
            if on_batch:
                on_batch(len(chunk))
        _cover(con, run_id, step.trial_ids, keys)
        release_memory(con)  # the coverage insert's buffers (about 20 MB for 1,000 Inspect trials)
    report.trials = len({t for p in passes for t in p.trial_ids})
    report.labels = _complete_run(con, run_id, rules, models)
    return report
