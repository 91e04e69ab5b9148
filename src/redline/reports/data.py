"""Everything a report reads from the database, read once and in bulk.

This is the reports' only database access: a handful of queries over whole tables (labels
through the ``current_labels`` view), never one query per trial. The rest of the reports work
on the frames of :class:`ReportData`.

Texts are cut in the query, not after it: a step's text reaches the report as its first
``TEXT_HEAD`` and last ``TEXT_TAIL`` characters with the number left out between them
(``text_chars`` is the whole length), so a 100 MB output costs the report 20 KB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import duckdb
import orjson
import polars as pl

from ..analysis.store import last_run
from ..classifiers.store import changed_rules
from ..db import frame as dbframe

#: characters of a step's text the report keeps from its start and from its end
TEXT_HEAD = 12_000
TEXT_TAIL = 4_000


@dataclass
class ReportData:
    """The frames a report is built from (columns as in :mod:`redline.schema`)."""

    trials: pl.DataFrame
    events: pl.DataFrame
    labels: pl.DataFrame
    episodes: pl.DataFrame
    phases: pl.DataFrame
    findings: pl.DataFrame
    categories: pl.DataFrame
    files: pl.DataFrame
    #: classifier IDs whose stored labels an older version of them wrote
    stale_rules: list[str] = field(default_factory=list)
    #: the analysis is missing (None) or older than the labels (True)
    analysis_stale: bool | None = None
    version: str = "dev"

    def events_of(self, trial_ids: list[str]) -> pl.DataFrame:
        return self.events.filter(pl.col("trial_id").is_in(trial_ids))


_CUT = f"""CASE WHEN length(text) > {TEXT_HEAD + TEXT_TAIL}
    THEN left(text, {TEXT_HEAD}) || chr(10) || '… [' || CAST(length(text) - {TEXT_HEAD + TEXT_TAIL} AS VARCHAR)
         || ' characters not shown in the report] …' || chr(10) || right(text, {TEXT_TAIL})
    ELSE text END"""


def load(con: duckdb.DuckDBPyConnection, trial_ids: list[str] | None = None) -> ReportData:
    """Read what the report needs, for every trial (or for ``trial_ids``)."""
    where = ""
    params: list = []
    if trial_ids is not None:
        where = "WHERE trial_id IN (SELECT unnest(?))"
        params = [list(trial_ids)]
    trials = dbframe(con, f"""
        SELECT trial_id, format, source_path, model, agent, task, scenario, outcome,
               CAST(source_verdict AS VARCHAR) AS source_verdict, started_at, ended_at
        FROM trials {where} ORDER BY model NULLS LAST, scenario NULLS LAST, task NULLS LAST, source_path, trial_id""",
                     params)
    events = dbframe(con, f"""
        SELECT trial_id, seq, kind, role, tool, exit_code, action_seq, parse_error, source_file, source_line,
               source_pointer, length(text) AS text_chars, {_CUT} AS text
        FROM events {where} ORDER BY trial_id, seq""", params)
    labels = dbframe(con, f"""
        SELECT trial_id, seq, unit, label_id, evidence, evidence_seq, span_start, span_end,
               CAST(detail AS VARCHAR) AS detail, classifier_version, source
        FROM current_labels {where} {'AND' if where else 'WHERE'} score > 0
        ORDER BY trial_id, seq NULLS FIRST, label_id""", params)
    episodes = dbframe(con, f"SELECT * REPLACE (CAST(evidence AS VARCHAR) AS evidence) FROM episodes {where} "
                            "ORDER BY trial_id, episode_id", params)
    phases = dbframe(con, f"SELECT trial_id, seq, step, phase FROM phases {where} ORDER BY trial_id, seq", params)
    findings = dbframe(con, f"SELECT * REPLACE (CAST(factors AS VARCHAR) AS factors) FROM findings {where} "
                            "ORDER BY rank", params)
    categories = dbframe(con, f"SELECT trial_id, category, count(*) AS commands FROM command_categories {where} "
                              "GROUP BY ALL ORDER BY ALL", params)
    files = dbframe(con, "SELECT path, format, status, error, trials FROM ingested_files ORDER BY status, path")
    run = last_run(con)
    try:
        redline_version = version("redline")
    except PackageNotFoundError:  # pragma: no cover
        redline_version = "dev"
    return ReportData(
        trials=trials, events=events, labels=labels, episodes=episodes, phases=phases, findings=findings,
        categories=categories, files=files, stale_rules=[rule_id for rule_id, _, _ in changed_rules(con)],
        analysis_stale=None if run is None else bool(run["stale"]), version=redline_version,
    )


def load_carried(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What each trial carries, for the CI gate: ``(trials, carried)`` where ``carried`` has
    one row per trial, ID (a label, or a strategy of an episode) and step (the action's number
    in the trial; null for a trial label)."""
    trials = dbframe(con, "SELECT trial_id, model, agent, task, scenario, source_path FROM trials ORDER BY trial_id")
    labels = dbframe(con, """
        WITH acts AS (SELECT trial_id, seq, row_number() OVER (PARTITION BY trial_id ORDER BY seq) AS step
                      FROM events WHERE kind = 'action'),
        placed AS (SELECT l.trial_id, l.label_id AS id, l.seq, coalesce(e.action_seq, l.seq) AS at
                   FROM current_labels l LEFT JOIN events e ON e.trial_id = l.trial_id AND e.seq = l.seq
                   WHERE l.score > 0)
        SELECT p.trial_id, p.id, CASE WHEN p.seq IS NULL THEN NULL ELSE a.step END AS step
        FROM placed p ASOF LEFT JOIN acts a ON p.trial_id = a.trial_id AND p.at >= a.seq""")
    rows = []
    for tid, evidence in con.execute("SELECT trial_id, CAST(evidence AS VARCHAR) FROM episodes").fetchall():
        for strategy, items in orjson.loads(evidence or "{}").items():
            rows += [(tid, strategy, item.get("step")) for item in items] or [(tid, strategy, None)]
    strategies = pl.DataFrame(rows, schema={"trial_id": pl.Utf8, "id": pl.Utf8, "step": pl.Int64}, orient="row")
    carried = pl.concat([labels.with_columns(pl.col("step").cast(pl.Int64)),
                         strategies.with_columns(pl.col("step").cast(pl.Int64))], how="vertical_relaxed")
    return trials, carried.unique().sort("trial_id", "id", "step", nulls_last=True)
