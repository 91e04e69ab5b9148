"""Classifying a database: reading batches of stored rows, writing labels in recorded runs.

Every :func:`classify` is a *run*, recorded in ``classify_runs`` with the IDs and versions of
the classifiers it runs, and the ``current_labels`` view shows the labels of complete runs only:

1. **start**: labels of earlier runs that never completed (a classify killed midway) are
   deleted and those runs marked ``abandoned``; the new run is recorded as ``running``;
2. **label**: the trials are read and labelled in batches of at most :data:`~redline.limits.CLASSIFY_BATCH_TRIALS`
   trials and :data:`~redline.limits.CLASSIFY_BATCH_CHARS` characters of text (memory stays bounded by the batch), each batch's
   labels written in one statement, carrying the run's ID;
3. **complete**, in one transaction: the labels the run supersedes (the same classifier IDs on
   the same trials, written by any other run) are deleted and the run is marked ``complete``.

Killed at any point, a run leaves the labels that were current before it current, and its own
invisible until the next run removes them; nothing half-done is ever shown.

Learned models (:mod:`redline.classifiers.models`) run in the same pass, on the same batches:
a ``label`` model's decisions are merged with the rule of its ID (union, one row per step and ID,
``source`` saying who gave it: :mod:`redline.classifiers.models.apply`; its unsure additions go
to ``suggestions``), a ``suggestion`` model's rows go to ``suggestions``, and both are superseded, recorded and made current exactly
like rule labels (the run records each model as ``model:ID`` with its version).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from ..db import frame as dbframe
from ..db import memory_capped, transaction
from ..queries import labelled_versions
from .engine import LABEL_COLUMNS, label_frames
from ..limits import CLASSIFY_BATCH_CHARS, CLASSIFY_BATCH_TRIALS, CLASSIFY_DUCKDB_MEMORY, OUTPUT_WINDOW
from .frames import WINDOW_GAP, Frames, build_frames
from .models.apply import apply_models
from .models.files import TrainedModel
from .registry import active_rules
from .rule import Rule

#: an output longer than this is read by its head and tail only (see
#: :func:`~redline.classifiers.frames.window_outputs`); it is cut in the query, before it
#: reaches Python
_WINDOWED = 2 * OUTPUT_WINDOW + len(WINDOW_GAP)
_LONG_OUTPUT = f"kind = 'observation' AND length(text) > {_WINDOWED}"


def read_frames(con: duckdb.DuckDBPyConnection, trial_ids: Sequence[str]) -> Frames:
    """The :class:`~redline.classifiers.frames.Frames` of these trials, read from the database.

    Outputs longer than the window come as their head and tail, with their length in
    ``text_chars``, so a batch never holds a long output whole."""
    ids = pa.table({"trial_id": pa.array(list(trial_ids), pa.string())})
    con.register("_classify_ids", ids)
    try:
        trials = dbframe(con, "SELECT * FROM trials WHERE trial_id IN (SELECT trial_id FROM _classify_ids)")
        events = dbframe(con,
            "SELECT trial_id, seq, ts, kind, role, "
            f"CASE WHEN {_LONG_OUTPUT} THEN left(text, {OUTPUT_WINDOW}) || ? || right(text, {OUTPUT_WINDOW}) "
            "ELSE text END AS text, "
            f"CASE WHEN {_LONG_OUTPUT} THEN length(text) END AS text_chars, "
            "tool, exit_code, action_seq, parse_error, "
            "attrs->>'command_type' AS command_type, attrs FROM events "
            "WHERE trial_id IN (SELECT trial_id FROM _classify_ids) ORDER BY trial_id, seq", [WINDOW_GAP]
        )
        commands = dbframe(con,
            "SELECT * FROM commands WHERE trial_id IN (SELECT trial_id FROM _classify_ids) "
            "ORDER BY trial_id, seq, idx"
        )
    finally:
        con.unregister("_classify_ids")
    return build_frames(trials, events, commands)


def batches(con: duckdb.DuckDBPyConnection, trial_ids: Sequence[str] | None = None, *,
            batch_trials: int = CLASSIFY_BATCH_TRIALS, batch_chars: int = CLASSIFY_BATCH_CHARS) -> list[list[str]]:
    """The trials (default: all) in classification batches, in trial order: each batch at most
    ``batch_trials`` trials and, unless it is one trial, at most ``batch_chars`` characters of
    text as :func:`read_frames` reads them."""
    sizes = con.execute(
        f"SELECT t.trial_id, coalesce(sum(CASE WHEN {_LONG_OUTPUT} THEN {_WINDOWED} ELSE length(text) END), 0) "
        "FROM trials t LEFT JOIN events e USING (trial_id) GROUP BY t.trial_id ORDER BY t.trial_id").fetchall()
    if trial_ids is not None:
        wanted = set(trial_ids)
        sizes = [row for row in sizes if row[0] in wanted]
    out: list[list[str]] = []
    current: list[str] = []
    chars = 0
    for trial_id, size in sizes:
        if current and (len(current) >= batch_trials or chars + size > batch_chars):
            out.append(current)
            current, chars = [], 0
        current.append(trial_id)
        chars += size
    if current:
        out.append(current)
    return out


@dataclass
class ClassifyReport:
    trials: int = 0
    labels: int = 0
    rules: int = 0
    #: trained models applied, and the suggestions they wrote
    models: int = 0
    suggestions: int = 0
    #: the run that wrote the labels (``classify_runs.run_id``)
    run_id: int | None = None
    #: (ID, version the database was last labelled with, version now) of every classifier whose
    #: logic changed since then
    changed: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        models = f" and {self.models} models ({self.suggestions} suggestions)" if self.models else ""
        return f"{self.labels} labels from {self.rules} classifiers{models} over {self.trials} trials"


def changed_rules(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule] | None = None) -> list[tuple[str, str, str]]:
    """(ID, version labelled with, version now) of the classifiers (default: every active one)
    whose logic changed since the database was last labelled with them: their stored labels are
    stale until the next classify."""
    previous = labelled_versions(con)
    return [(r.id, previous[r.id], r.classifier_version) for r in (active_rules() if rules is None else rules)
            if r.id in previous and previous[r.id] != r.classifier_version]


def _start_run(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule], n_trials: int,
               models: Sequence[TrainedModel] = ()) -> int:
    """Clean up runs that never completed and record a new running one; return its ID."""
    with transaction(con):
        con.execute("DELETE FROM labels WHERE run_id IN (SELECT run_id FROM classify_runs WHERE status = 'running')")
        con.execute("DELETE FROM suggestions WHERE run_id IN "
                    "(SELECT run_id FROM classify_runs WHERE status = 'running')")
        con.execute("UPDATE classify_runs SET status = 'abandoned', ended_at = current_timestamp "
                    "WHERE status = 'running'")
        run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM classify_runs").fetchall()[0][0]
        versions = json.dumps({**{r.id: r.classifier_version for r in rules},
                               **{f"model:{m.id}": m.version for m in models}})
        con.execute("INSERT INTO classify_runs (run_id, status, rules, trials) VALUES (?, 'running', ?, ?)",
                    [run_id, versions, n_trials])
    return run_id


def _complete_run(con: duckdb.DuckDBPyConnection, run_id: int, rules: Sequence[Rule],
                  trial_ids: Sequence[str] | None, models: Sequence[TrainedModel] = ()) -> int:
    """Delete what the run supersedes and mark it complete, atomically; return its label count."""
    label_ids = sorted({r.id for r in rules} | {lid for m in models if m.spec.kind == "label" for lid in m.classes})
    con.register("_run_ids", pa.table({"label_id": pa.array(label_ids, pa.string())}))
    con.register("_run_models", pa.table({"model": pa.array([m.id for m in models], pa.string())}))
    scope = ""
    if trial_ids is not None:
        con.register("_run_trials", pa.table({"trial_id": pa.array(list(trial_ids), pa.string())}))
        scope = "AND trial_id IN (SELECT trial_id FROM _run_trials)"
    try:
        with transaction(con):
            con.execute(
                f"DELETE FROM labels WHERE run_id IS DISTINCT FROM ? "
                f"AND label_id IN (SELECT label_id FROM _run_ids) {scope}", [run_id])
            con.execute(
                f"DELETE FROM suggestions WHERE run_id IS DISTINCT FROM ? "
                f"AND model IN (SELECT model FROM _run_models) {scope}", [run_id])
            count = con.execute("SELECT count(*) FROM labels WHERE run_id = ?", [run_id]).fetchall()[0][0]
            con.execute("UPDATE classify_runs SET status = 'complete', ended_at = current_timestamp, labels = ? "
                        "WHERE run_id = ?", [count, run_id])
    finally:
        con.unregister("_run_ids")
        con.unregister("_run_models")
        if trial_ids is not None:
            con.unregister("_run_trials")
    return count


def _write(con: duckdb.DuckDBPyConnection, table: str, rows, run_id: int) -> None:
    """Insert a frame's rows into ``table`` in one statement, carrying the run's ID."""
    if rows.is_empty():
        return
    con.register("_rows", rows.to_arrow())
    try:
        cols = ", ".join(rows.columns)
        con.execute(f"INSERT INTO {table} ({cols}, run_id) SELECT {cols}, ? FROM _rows", [run_id])
    finally:
        con.unregister("_rows")


def classify(
    con: duckdb.DuckDBPyConnection,
    rules: Sequence[Rule] | None = None,
    *,
    trial_ids: Sequence[str] | None = None,
    batch_trials: int = CLASSIFY_BATCH_TRIALS,
    batch_chars: int = CLASSIFY_BATCH_CHARS,
    on_batch: Callable[[int], None] | None = None,
    models: Sequence[TrainedModel] = (),
) -> ClassifyReport:
    """Label the stored steps in one recorded run (see the module docstring).

    ``rules`` defaults to every active classifier; ``trial_ids`` to every trial; ``models`` (the
    trained models to apply, e.g. :func:`~redline.classifiers.models.available.available_models`)
    to none. The run's labels replace, for those trials, every earlier label of the same IDs,
    and its suggestions every earlier suggestion of the same models.
    ``on_batch`` is called with the number of trials of each finished batch. The report names
    the classifiers whose logic changed since the database was last labelled with them.
    """
    rules = active_rules() if rules is None else list(rules)
    with memory_capped(con, CLASSIFY_DUCKDB_MEMORY):
        return _classify(con, rules, trial_ids, batch_trials, batch_chars, on_batch, list(models))


def _classify(con: duckdb.DuckDBPyConnection, rules: list[Rule], trial_ids: Sequence[str] | None,
              batch_trials: int, batch_chars: int, on_batch: Callable[[int], None] | None,
              models: list[TrainedModel]) -> ClassifyReport:
    chunks = batches(con, trial_ids, batch_trials=batch_trials, batch_chars=batch_chars)
    changed = changed_rules(con, rules)
    run_id = _start_run(con, rules, sum(len(chunk) for chunk in chunks), models)
    report = ClassifyReport(rules=len(rules), run_id=run_id, changed=changed, models=len(models))
    for chunk in chunks:
        frames = read_frames(con, chunk)
        labels = label_frames(frames, rules)
        suggestions = None
        if models:
            labels, suggestions = apply_models(frames, labels, models)
            report.suggestions += suggestions.height
        _write(con, "labels", labels.select(list(LABEL_COLUMNS)), run_id)
        if suggestions is not None:
            _write(con, "suggestions", suggestions, run_id)
        report.trials += len(chunk)
        if on_batch:
            on_batch(len(chunk))
    report.labels = _complete_run(con, run_id, rules, trial_ids, models)
    return report
