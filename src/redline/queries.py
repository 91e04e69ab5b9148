"""Read-side queries shared by the CLI, the reports and notebooks.

Labels are read through the ``current_labels`` view (see :mod:`redline.schema`): the labels of
complete classify runs only.
"""

from __future__ import annotations

import json

import duckdb
import polars as pl

from .db import frame as dbframe

def labelled_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Classifier ID -> the version the latest complete classify run that ran it had."""
    versions: dict[str, str] = {}
    for (rules,) in con.execute(
            "SELECT rules FROM classify_runs WHERE status = 'complete' ORDER BY run_id DESC").fetchall():
        for rule_id, version in json.loads(rules or "{}").items():
            versions.setdefault(rule_id, version)
    return versions


def trial_summaries(con: duckdb.DuckDBPyConnection, *, fmt: str | None = None) -> pl.DataFrame:
    """One row per trial: metadata, outcome, counts of steps, and trial-level label IDs.

    ``errors`` counts observations that report a failure: a non-zero exit status or an
    obstacle (``OBS-*``) label.
    """
    where = "WHERE t.format = ?" if fmt else ""
    params = [fmt] if fmt else []
    return dbframe(con, 
        f"""
        WITH counts AS (
            SELECT trial_id,
                   count(*) FILTER (WHERE kind = 'action') AS actions,
                   count(*) FILTER (WHERE kind = 'observation') AS observations,
                   count(*) FILTER (WHERE kind = 'message') AS messages
            FROM events GROUP BY trial_id
        ),
        errs AS (
            SELECT e.trial_id, count(*) AS errors FROM events e
            WHERE e.kind = 'observation' AND (coalesce(e.exit_code, 0) <> 0 OR EXISTS (
                SELECT 1 FROM current_labels l
                WHERE l.trial_id = e.trial_id AND l.seq = e.seq AND l.unit = 'observation'))
            GROUP BY e.trial_id
        ),
        tl AS (
            SELECT trial_id, list(DISTINCT label_id ORDER BY label_id) AS labels
            FROM current_labels WHERE seq IS NULL AND score > 0 GROUP BY trial_id
        ),
        beh AS (
            SELECT trial_id, list(DISTINCT label_id ORDER BY label_id) AS behaviours
            FROM current_labels WHERE seq IS NOT NULL GROUP BY trial_id
        )
        SELECT t.trial_id, t.format, t.source_path, t.model, t.agent, t.task, t.scenario,
               t.outcome, t.source_verdict, t.started_at, t.ended_at,
               coalesce(c.actions, 0) AS actions, coalesce(c.observations, 0) AS observations,
               coalesce(c.messages, 0) AS messages, coalesce(errs.errors, 0) AS errors,
               coalesce(tl.labels, []) AS labels, coalesce(beh.behaviours, []) AS behaviours
        FROM trials t
        LEFT JOIN counts c USING (trial_id)
        LEFT JOIN errs USING (trial_id)
        LEFT JOIN tl USING (trial_id)
        LEFT JOIN beh USING (trial_id)
        {where}
        ORDER BY t.format, t.model NULLS LAST, t.task NULLS LAST, t.source_path, t.trial_id
        """,
        params,
    )


def resolve_trial(con: duckdb.DuckDBPyConnection, key: str) -> str:
    """The trial ID for an ID or a unique ID prefix; LookupError otherwise."""
    rows = con.execute(
        "SELECT trial_id FROM trials WHERE trial_id = ? OR starts_with(trial_id, ?) ORDER BY trial_id LIMIT 6",
        [key, key],
    ).fetchall()
    exact = [r[0] for r in rows if r[0] == key]
    if exact:
        return exact[0]
    if not rows:
        raise LookupError(f"no trial matches {key!r} (see 'redline trials')")
    if len(rows) > 1:
        raise LookupError(f"{key!r} matches several trials: {', '.join(r[0] for r in rows[:5])}")
    return rows[0][0]


def trial_steps(con: duckdb.DuckDBPyConnection, trial_id: str) -> pl.DataFrame:
    """The trial's events in order, each with its labels (ID list) and label evidence."""
    return dbframe(con, 
        """
        SELECT e.seq, e.ts, e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq,
               e.parse_error, e.source_file, e.source_line, e.source_pointer,
               coalesce(list(l.label_id ORDER BY l.label_id) FILTER (WHERE l.label_id IS NOT NULL), []) AS labels,
               coalesce(list({'label_id': l.label_id, 'evidence': l.evidence, 'span_start': l.span_start,
                               'span_end': l.span_end, 'evidence_seq': l.evidence_seq}
                             ORDER BY l.label_id) FILTER (WHERE l.label_id IS NOT NULL), []) AS evidence
        FROM events e LEFT JOIN current_labels l ON l.trial_id = e.trial_id AND l.seq = e.seq
        WHERE e.trial_id = ?
        GROUP BY ALL
        ORDER BY e.seq
        """,
        [trial_id],
    )
