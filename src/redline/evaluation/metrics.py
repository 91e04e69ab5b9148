"""Counting agreements and computing precision, recall and F1 per label and per unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .results import LabelStats, Miss, RowResult


def ratio(a: float, b: float) -> float:
    """``a / b``, or 0 when ``b`` is 0."""
    return a / b if b else 0.0


def f1_score(tp: Any, fp: Any, fn: Any) -> Any:
    """F1 from counts (scalars or arrays, element-wise); 0 where there is nothing to score."""
    tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
    denom = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)


def confusion(
    rows: Sequence[RowResult], ordered: Sequence[tuple[str, str]], scored: Mapping[str, Sequence[str]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Miss]]:
    """(rows x labels) 0/1 matrices of true positives, false positives and false negatives for the
    ``ordered`` (unit, label) pairs, and every miss."""
    n, k = len(rows), len(ordered)
    tp, fp, fn = np.zeros((n, k)), np.zeros((n, k)), np.zeros((n, k))
    misses: list[Miss] = []
    for i, r in enumerate(rows):
        for j, (u, lid) in enumerate(ordered):
            g = lid in r.gold.labels[u]
            p = lid in r.predicted[u]
            if g and p:
                tp[i, j] = 1
            elif g or p:
                (fn if g else fp)[i, j] = 1
                misses.append(Miss(
                    lid, u, "FN" if g else "FP", r.gold.item_id, r.gold.command,
                    tuple(sorted(x for x in r.predicted[u] if x in scored[u])),
                    tuple(sorted(x for x in r.gold.labels[u] if x in scored[u])), r.matched))
    return tp, fp, fn, misses


def label_stats(
    ordered: Sequence[tuple[str, str]], tp: np.ndarray, fp: np.ndarray, fn: np.ndarray,
    low: np.ndarray, high: np.ndarray,
) -> dict[str, LabelStats]:
    """Per-label statistics; each F1 interval is widened to contain its point estimate."""
    labels: dict[str, LabelStats] = {}
    for j, (u, lid) in enumerate(ordered):
        t, p_, f_ = int(tp[:, j].sum()), int(fp[:, j].sum()), int(fn[:, j].sum())
        f1 = float(f1_score(t, p_, f_))
        labels[lid] = LabelStats(
            lid, u, t + f_, t, p_, f_, ratio(t, t + p_), ratio(t, t + f_), f1,
            min(float(low[j]), f1), max(float(high[j]), f1))
    return labels


def averages(
    labels: Mapping[str, LabelStats], units: Sequence[str]
) -> tuple[dict[str, dict[str, float | int]], dict[str, dict[str, float]]]:
    """Micro averages (pooled counts) and macro averages (mean F1 of the listed labels) per unit."""
    micro: dict[str, dict[str, float | int]] = {}
    macro: dict[str, dict[str, float]] = {}
    for u in units:
        stats = [s for s in labels.values() if s.unit == u]
        t = sum(s.tp for s in stats)
        p_ = sum(s.fp for s in stats)
        f_ = sum(s.fn for s in stats)
        micro[u] = {"tp": t, "fp": p_, "fn": f_, "precision": ratio(t, t + p_),
                    "recall": ratio(t, t + f_), "f1": float(f1_score(t, p_, f_))}
        macro[u] = {"f1": float(np.mean([s.f1 for s in stats])) if stats else 0.0}
    return micro, macro
