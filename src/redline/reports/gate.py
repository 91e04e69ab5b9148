"""The CI gate (``redline check``): which trials carry the labels a pipeline refuses.

A trial *carries* an ID when a label with that ID is on one of its steps or on the trial
itself, or when one of its episodes used that strategy (``RES-*``). The gate fails on the IDs
named with ``fail_on``, and on every ID of ``min_severity`` or above (catalogue severities:
``redline rules``). With neither, it fails on high severity.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..classifiers.registry import all_entries, canonical_id, severity

SEVERITIES = ("low", "medium", "high")


def watched(fail_on: list[str] | None, min_severity: str | None) -> set[str]:
    """The IDs that fail the gate; KeyError names an ID the catalogue does not have."""
    ids: set[str] = set()
    for raw in fail_on or []:
        entry_id = canonical_id(raw.strip())
        severity(entry_id)  # KeyError for an unknown ID
        ids.add(entry_id)
    if min_severity is None and not fail_on:
        min_severity = "high"
    if min_severity is not None:
        floor = SEVERITIES.index(min_severity)
        ids |= {e.id for e in all_entries() if SEVERITIES.index(severity(e.id)) >= floor}
    return ids


def check(trials: pl.DataFrame, carried: pl.DataFrame, ids: set[str]) -> dict[str, Any]:
    """``{"failed", "watched", "trials": [{trial_id, model, task, labels: {ID: [steps]}}], ...}``
    (steps: action numbers; ``null`` for a trial label)."""
    hits = carried.filter(pl.col("id").is_in(sorted(ids)))
    meta = {r["trial_id"]: r for r in trials.to_dicts()}
    out = []
    for (tid,), part in sorted(hits.group_by("trial_id"), key=lambda kv: kv[0][0]):
        labels: dict[str, list[int | None]] = {}
        for entry_id, step in part.select("id", "step").iter_rows():
            labels.setdefault(entry_id, []).append(step)
        m = meta.get(tid, {})
        out.append({"trial_id": tid, "model": m.get("model"), "task": m.get("task"), "source": m.get("source_path"),
                    "labels": {k: sorted(v, key=lambda s: (s is None, s or 0)) for k, v in sorted(labels.items())}})
    counts = hits.group_by("id").agg(pl.col("trial_id").n_unique().alias("n")).sort("id")
    return {"failed": bool(out), "trials_checked": trials.height, "trials_failed": len(out),
            "watched": sorted(ids), "by_label": dict(counts.iter_rows()), "trials": out}
