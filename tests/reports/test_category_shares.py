"""The report's command-category shares per model, with their resampled intervals."""

from __future__ import annotations

import json
import warnings

import polars as pl

from redline.reports.overview import category_shares
from redline.schema import CATEGORIES

FOUR = [c for c in CATEGORIES if c != "other"]


def _trials(models: dict[str, str]) -> pl.DataFrame:
    n = len(models)
    return pl.DataFrame({"trial_id": list(models), "model": list(models.values()), "agent": ["a"] * n,
                         "scenario": ["s"] * n, "outcome": [None] * n, "format": ["chat"] * n,
                         "source_verdict": [None] * n, "task": ["t"] * n},
                        schema_overrides={"outcome": pl.String, "source_verdict": pl.String})


def test_a_model_with_no_categorised_command_gets_zero_intervals_not_nan():
    trials = _trials({"t1": "quiet", "t2": "quiet", "t3": "busy", "t4": "busy"})
    categories = pl.DataFrame({"trial_id": ["t1", "t2", "t3", "t3", "t4"],
                               "category": ["other", "other", FOUR[0], FOUR[1], FOUR[0]],
                               "commands": [3, 1, 4, 2, 5]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an all-NaN percentile warned here before
        shares = category_shares(trials, categories)
    by_model = {m["model"]: m for m in shares["models"]}
    quiet, busy = by_model["quiet"], by_model["busy"]
    assert quiet["commands"] == 0 and quiet["other"] == 4
    assert all(quiet[k][c] == 0.0 for k in ("shares", "low", "high") for c in FOUR)
    assert busy["shares"][FOUR[0]] == 9 / 11
    assert 0.0 <= busy["low"][FOUR[0]] <= busy["shares"][FOUR[0]] <= busy["high"][FOUR[0]] <= 1.0
    json.dumps(shares, allow_nan=False)  # the JSON summary carries these: no NaN in it
