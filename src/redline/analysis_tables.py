"""The analysis tables: read the labelled steps, run the analysis, store what it found (``redline analyse``).

The analysis itself is pure (:mod:`redline.analysis`, frames in, frames out); this module is
the I/O around it: :func:`load_inputs` reads the frames from a database, :func:`analyse` runs
every analysis step and replaces the ``episodes``, ``phases``, ``command_categories`` and
``findings`` tables (see :mod:`redline.db`), and :func:`stored` reads them back.

Labels are read as the newest classifier version of each ID wrote them
(:data:`redline.queries.CURRENT_LABELS`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb
import polars as pl

from . import analysis
from .db import ANALYSIS_TABLES
from .db import frame as dbframe
from .analysis.inputs import TEXT_EDGE
from .queries import CURRENT_LABELS


def _labels_query() -> str:
    return f"SELECT * FROM ({CURRENT_LABELS}) WHERE score > 0"


def load_inputs(con: duckdb.DuckDBPyConnection) -> analysis.Inputs:
    """The analysis inputs for every trial in the database (long texts cut to their head and
    tail: the analysis reads no more)."""
    trials = dbframe(con, "SELECT trial_id, format, model, agent, task, scenario, outcome, "
                          "CAST(source_verdict AS VARCHAR) AS source_verdict, started_at, ended_at, "
                          "CAST(metadata AS VARCHAR) AS metadata FROM trials")
    events = dbframe(con, f"""
        SELECT trial_id, seq, ts, kind, role, tool, exit_code, action_seq, CAST(attrs AS VARCHAR) AS attrs,
               CASE WHEN length(text) > {2 * TEXT_EDGE}
                    THEN left(text, {TEXT_EDGE}) || chr(10) || '…' || chr(10) || right(text, {TEXT_EDGE})
                    ELSE text END AS text
        FROM events ORDER BY trial_id, seq""")
    commands = dbframe(con, "SELECT * EXCLUDE (span_start, span_end) FROM commands ORDER BY trial_id, seq, idx")
    labels = dbframe(con, _labels_query())
    return analysis.Inputs(trials, events, commands, labels)


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


def analyse(con: duckdb.DuckDBPyConnection) -> AnalyseReport:
    """Run the whole analysis over the database and replace its analysis tables."""
    start = time.perf_counter()
    inputs = load_inputs(con)
    result = analysis.run(inputs)
    labels_at = con.execute("SELECT max(created_at) FROM labels").fetchall()[0][0]
    con.execute("BEGIN TRANSACTION")
    try:
        for table in ANALYSIS_TABLES:
            con.execute(f"DELETE FROM {table}")
        for table, df in (("episodes", result.episodes), ("phases", result.phases),
                          ("command_categories", result.categories), ("findings", result.findings)):
            if df.is_empty():
                continue
            con.register("_analysis_rows", df.to_arrow())
            cols = ", ".join(df.columns)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _analysis_rows")
            con.unregister("_analysis_rows")
        seconds = time.perf_counter() - start
        con.execute("INSERT INTO analysis_runs (trials, episodes, findings, seconds, labels_at) VALUES (?, ?, ?, ?, ?)",
                    [inputs.trials.height, result.episodes.height, result.findings.height, seconds, labels_at])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    statuses = dict(result.episodes.group_by("status").len().iter_rows()) if result.episodes.height else {}
    return AnalyseReport(inputs.trials.height, result.episodes.height, result.findings.height,
                         time.perf_counter() - start, statuses)


def last_run(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The latest analysis run (``run_at``, counts, ``stale``: labels written since), or None."""
    rows = con.execute("SELECT run_at, trials, episodes, findings, seconds, labels_at FROM analysis_runs "
                       "ORDER BY run_at DESC LIMIT 1").fetchall()
    if not rows:
        return None
    run_at, trials, eps, findings, seconds, labels_at = rows[0]
    newest = con.execute("SELECT max(created_at) FROM labels").fetchall()[0][0]
    count = con.execute("SELECT count(*) FROM trials").fetchall()[0][0]
    stale = newest is not None and (labels_at is None or newest > labels_at) or count != trials
    return {"run_at": run_at, "trials": trials, "episodes": eps, "findings": findings, "seconds": seconds,
            "stale": stale}


def stored(con: duckdb.DuckDBPyConnection, table: str, trial_id: str | None = None) -> pl.DataFrame:
    """One of the analysis tables, for every trial or for one."""
    if table not in ANALYSIS_TABLES:
        raise ValueError(f"{table!r} is not an analysis table ({', '.join(ANALYSIS_TABLES)})")
    order = {"episodes": "trial_id, episode_id", "phases": "trial_id, seq", "findings": "rank",
             "command_categories": "trial_id, seq, idx"}[table]
    if trial_id is None:
        return dbframe(con, f"SELECT * FROM {table} ORDER BY {order}")
    return dbframe(con, f"SELECT * FROM {table} WHERE trial_id = ? ORDER BY {order}", [trial_id])
