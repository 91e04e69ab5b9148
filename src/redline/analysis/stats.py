"""Small, honest statistics for proportions over few trials."""

from __future__ import annotations

import math


def wilson_interval(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval for a proportion (95% by default).

    Unlike the normal approximation it stays inside [0, 1] and is sensible for 0 or n
    successes, which is the common case with ten trials per model.
    """
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({successes} of {n})")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def fisher_exact(a_yes: int, a_no: int, b_yes: int, b_no: int) -> tuple[float | None, float]:
    """Fisher's exact test (two-sided) on the 2x2 table ``[[a_yes, a_no], [b_yes, b_no]]``:
    ``(odds ratio, p-value)``; the odds ratio is None where a zero cell leaves it undefined."""
    from scipy.stats import fisher_exact as _fisher

    odds, p = _fisher([[a_yes, a_no], [b_yes, b_no]], alternative="two-sided")
    odds = float(odds)
    return (odds if math.isfinite(odds) and not math.isnan(odds) else None), float(p)
