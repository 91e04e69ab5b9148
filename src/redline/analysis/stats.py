"""Small, honest statistics for proportions over few trials."""

from __future__ import annotations

import math

from scipy.stats import binomtest, norm
from scipy.stats import fisher_exact as _fisher


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval for a proportion (95% by default; ``z`` is the normal quantile).

    Unlike the normal approximation it stays inside [0, 1] and is sensible for 0 or n
    successes, which is the common case with ten trials per model. Computed by
    :func:`scipy.stats.binomtest`; ``n = 0`` gives ``(0, 1)``.
    """
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({successes} of {n})")
    interval = binomtest(successes, n).proportion_ci(confidence_level=2 * norm.cdf(z) - 1, method="wilson")
    low = 0.0 if successes == 0 else float(interval.low)
    high = 1.0 if successes == n else float(interval.high)
    return (low, high)


def fisher_exact(a_yes: int, a_no: int, b_yes: int, b_no: int) -> tuple[float | None, float]:
    """Fisher's exact test (two-sided) on the 2x2 table ``[[a_yes, a_no], [b_yes, b_no]]``:
    ``(odds ratio, p-value)``; the odds ratio is None where a zero cell leaves it undefined."""
    odds, p = _fisher([[a_yes, a_no], [b_yes, b_no]], alternative="two-sided")
    odds = float(odds)
    return (odds if math.isfinite(odds) and not math.isnan(odds) else None), float(p)
