"""Analysing a database: read the labelled steps, run the analysis, store what it found.

The rest of :mod:`redline.analysis` is pure (frames in, frames out); this module is its I/O, as
:mod:`redline.classifiers.store` is the classifiers': :func:`load_inputs` reads the frames from
a database, :func:`analyse` (``redline analyse``, and :func:`redline.analyse`) runs every
analysis step and replaces the ``episodes``, ``phases``, ``command_categories`` and
``findings`` tables in one transaction (their columns are in :mod:`redline.schema`), recording
the run in ``analysis_runs``; :func:`stored` reads them back (:func:`folded_findings` the findings folded for the
auditor) and :func:`last_run` says whether they are out of date.

Labels are read through the ``current_labels`` view: the labels of complete classify runs, with
the auditors' decisions applied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb
import polars as pl

from .. import schema
from ..db import frame as dbframe
from ..db import transaction
from .folding import fold
from .inputs import TEXT_EDGE, Inputs
from .pipeline import run

#: the ORDER BY each analysis table is read back in
_ORDER = {"episodes": "trial_id, episode_id", "phases": "trial_id, seq", "findings": "rank",
          "command_categories": "trial_id, seq, idx"}
ANALYSIS_TABLES: tuple[str, ...] = tuple(t.name for t in schema.ANALYSIS_TABLES)


def load_inputs(con: duckdb.DuckDBPyConnection) -> Inputs:
    """The analysis inputs for every trial in the database (long texts cut to their head and
    tail: the analysis reads no more)."""
    trials = dbframe(con, "SELECT trial_id, format, model, agent, task, scenario, outcome, "
                          "CAST(source_verdict AS VARCHAR) AS source_verdict, started_at, ended_at, "
                          "CAST(metadata AS VARCHAR) AS metadata FROM trials ORDER BY trial_id")
    events = dbframe(con, f"""
        SELECT trial_id, seq, ts, kind, role, tool, exit_code, action_seq, CAST(attrs AS VARCHAR) AS attrs,
               CASE WHEN length(text) > {2 * TEXT_EDGE}
                    THEN left(text, {TEXT_EDGE}) || chr(10) || '…' || chr(10) || right(text, {TEXT_EDGE})
                    ELSE text END AS text
        FROM events ORDER BY trial_id, seq""")
    commands = dbframe(con, "SELECT * EXCLUDE (span_start, span_end) FROM commands ORDER BY trial_id, seq, idx")
    labels = dbframe(con, "SELECT * FROM current_labels WHERE score > 0 ORDER BY trial_id, seq NULLS FIRST, label_id")
    return Inputs(trials, events, commands, labels)


@dataclass
class AnalyseReport:
    trials: int
    episodes: int
    findings: int
    seconds: float
    statuses: dict[str, int]

    def summary(self) -> str:
        states = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())) or "none"
        return (f"{self.episodes} episodes ({states}) and {self.findings} findings over {self.trials} trials "
                f"in {self.seconds:.1f}s")


def _latest_classify_run(con: duckdb.DuckDBPyConnection) -> int | None:
    """The newest complete classify run that labelled trials (a run that found every label
    current, recorded with 0 trials, changes no label and leaves the analysis fresh)."""
    return con.execute("SELECT max(run_id) FROM classify_runs WHERE status = 'complete' "
                       "AND trials IS DISTINCT FROM 0").fetchall()[0][0]


def _write(con: duckdb.DuckDBPyConnection, table: schema.Table, df: pl.DataFrame) -> None:
    """Insert ``df`` into ``table``, its columns taken and typed as the schema states them."""
    if df.is_empty():
        return
    columns = table.polars_schema()
    rows = df.select([pl.col(name).cast(dtype) for name, dtype in columns.items()])
    con.register("_analysis_rows", rows.to_arrow())
    try:
        cols = ", ".join(columns)
        con.execute(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM _analysis_rows")
    finally:
        con.unregister("_analysis_rows")


def analyse(con: duckdb.DuckDBPyConnection) -> AnalyseReport:
    """Run the whole analysis over the database and replace its analysis tables."""
    start = time.perf_counter()
    classify_run = _latest_classify_run(con)
    inputs = load_inputs(con)
    result = run(inputs)
    frames = {"episodes": result.episodes, "phases": result.phases, "command_categories": result.categories,
              "findings": result.findings}
    with transaction(con):
        for table in schema.ANALYSIS_TABLES:
            con.execute(f"DELETE FROM {table.name}")
            _write(con, table, frames[table.name])
        seconds = time.perf_counter() - start
        con.execute("INSERT INTO analysis_runs (trials, episodes, findings, seconds, classify_run) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [inputs.trials.height, result.episodes.height, result.findings.height, seconds, classify_run])
    statuses = dict(result.episodes.group_by("status").len().iter_rows()) if result.episodes.height else {}
    return AnalyseReport(inputs.trials.height, result.episodes.height, result.findings.height,
                         time.perf_counter() - start, statuses)


def last_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The latest analysis run (``run_at``, counts, ``stale``: a classify run completed since, an
    auditor decided on a label since (``redline label`` changes ``current_labels`` without a
    classify run), or the number of trials changed), or None."""
    rows = con.execute("SELECT run_at, trials, episodes, findings, seconds, classify_run FROM analysis_runs "
                       "ORDER BY run_at DESC LIMIT 1").fetchall()
    if not rows:
        return None
    run_at, trials, eps, findings, seconds, classify_run = rows[0]
    newest = _latest_classify_run(con)
    count = con.execute("SELECT count(*) FROM trials").fetchall()[0][0]
    decided = con.execute("SELECT count(*) FROM human_labels WHERE decided_at >= ?", [run_at]).fetchall()[0][0]
    stale = newest is not None and (classify_run is None or newest > classify_run) or count != trials or decided > 0
    return {"run_at": run_at, "trials": trials, "episodes": eps, "findings": findings, "seconds": seconds,
            "stale": stale}


def stored(con: duckdb.DuckDBPyConnection, table: str, trial_id: str | None = None) -> pl.DataFrame:
    """One of the analysis tables, for every trial or for one."""
    if table not in ANALYSIS_TABLES:
        raise ValueError(f"{table!r} is not an analysis table ({', '.join(ANALYSIS_TABLES)})")
    if trial_id is None:
        return dbframe(con, f"SELECT * FROM {table} ORDER BY {_ORDER[table]}")
    return dbframe(con, f"SELECT * FROM {table} WHERE trial_id = ? ORDER BY {_ORDER[table]}", [trial_id])


def folded_findings(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The stored findings folded for the auditor (:func:`redline.analysis.folding.fold`): one
    row per kind and subject at one severity in one task by one model, every finding in its
    ``instances``."""
    trials = dbframe(con, "SELECT trial_id, task, scenario, model FROM trials")
    return fold(stored(con, "findings"), trials)
