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
   labels written :data:`~redline.limits.CLASSIFY_WRITE_ROWS` rows a statement, carrying the run's
   ID; once a pass's batches are done, one statement writes its ``classify_coverage``: a row per
   trial and classifier it ran;
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

import gc
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb
import polars as pl

from ..db import memory_capped, release_memory, transaction
from ..queries import labelled_versions
from .engine import LABEL_COLUMNS, label_frames
from .expressions import release_regexes
from ..limits import CLASSIFY_BATCH_CHARS, CLASSIFY_BATCH_ROWS, CLASSIFY_BATCH_TRIALS, CLASSIFY_DUCKDB_MEMORY, CLASSIFY_WRITE_ROWS
from .frames import detached
from .models.apply import apply_models
from .models.files import TrainedModel
from .models.inputs import model_frames
from .plan import expected, label_models, plan
from .reading import Stream, batches, read_frames, stored_rows, values_stream
from .registry import active_rules
from .rule import Rule
from .versions import MODEL_PREFIX, recorded_versions, source_digest


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
    con.register("_cover_trials", values_stream(trial_ids))
    con.register("_cover_keys", Stream(pl.DataFrame({"classifier": list(keys), "version": list(keys.values())},
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
    con.register("_run_map", Stream(pl.DataFrame(pairs, schema={"classifier": pl.Utf8, "label_id": pl.Utf8},
                                                  orient="row")))
    merged = [(key, lid) for key, ids in label_models().items() for lid in ids]
    con.register("_label_models", Stream(pl.DataFrame(merged, schema={"model": pl.Utf8, "label_id": pl.Utf8},
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
    (:func:`~redline.db.release_memory`). Each statement commits by itself: committing a batch's
    statements together cost as much in the commit (measured on 8,000 trials of a million
    actions: 0.85 to 0.97 CPU s of autocommitted inserts, 0.94 to 1.07 in a transaction a batch),
    though alone, without a classify's reads between, it took 3.1 CPU s against 3.7."""
    cols = ", ".join(rows.columns)
    for start in range(0, rows.height, CLASSIFY_WRITE_ROWS):
        con.register("_rows", Stream(rows.slice(start, CLASSIFY_WRITE_ROWS)))
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
    with memory_capped(con, CLASSIFY_DUCKDB_MEMORY), _gc_frozen():
        return _classify(con, list(rules), trial_ids, (batch_trials, batch_chars, batch_rows), on_batch, list(models),
                         full, code)


@contextmanager
def _gc_frozen() -> Iterator[None]:
    """Python's cyclic garbage collector leaves the objects alive when the block starts (the
    modules, the rules) out of its full collections inside it (:func:`gc.freeze`): a run makes
    and drops many Python objects a batch (the tracing of kills, the scripts), and each full
    collection walked every object of the process (measured on 4,000 trials of a million
    actions: 0.10 CPU s of collections, 0.04 so). Nothing is done when something else froze
    objects already (a freeze is the whole process's)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
