"""Percentile bootstrap intervals for F1 over gold rows."""

from __future__ import annotations

import numpy as np

from .metrics import f1_score

RESAMPLES = 1000
SEED = 20240601


def bootstrap_f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Percentile 95% intervals of F1 per label; inputs are (rows x labels) 0/1 matrices.

    :data:`RESAMPLES` resamples with the fixed seed :data:`SEED`. A resample in which a label
    neither occurs nor is predicted says nothing about its F1 (0/0) and is left out of that
    label's percentiles.
    """
    n, k = tp.shape
    if n == 0 or k == 0:
        return np.zeros(k), np.zeros(k)
    rng = np.random.default_rng(SEED)
    # resample-count matrix: how often each gold row is drawn in each resample
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=RESAMPLES).astype(float)
    t, p, f = weights @ tp, weights @ fp, weights @ fn  # resamples x labels
    f1s = np.where(2 * t + p + f > 0, f1_score(t, p, f), np.nan)
    low = np.zeros(k)
    high = np.zeros(k)
    seen = ~np.all(np.isnan(f1s), axis=0)
    if seen.any():
        low[seen] = np.nanpercentile(f1s[:, seen], 2.5, axis=0)
        high[seen] = np.nanpercentile(f1s[:, seen], 97.5, axis=0)
    return low, high
