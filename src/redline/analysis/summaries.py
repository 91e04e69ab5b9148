"""Per-model summaries: outcome rates and how many trials show each behaviour."""

from __future__ import annotations

import polars as pl

from .stats import wilson_interval

UNKNOWN_MODEL = "(unknown model)"


def outcome_rates(trials: pl.DataFrame) -> pl.DataFrame:
    """Success rate per model with a 95% Wilson interval.

    ``trials`` needs ``model`` and ``outcome``. Trials whose outcome is ``unknown`` are counted
    in ``trials`` but not in the rate's denominator (``judged``).
    """
    if trials.is_empty():
        return pl.DataFrame(schema={"model": pl.Utf8, "trials": pl.UInt32, "judged": pl.UInt32,
                                    "successes": pl.UInt32, "rate": pl.Float64, "low": pl.Float64,
                                    "high": pl.Float64})
    grouped = (
        trials.with_columns(pl.col("model").fill_null(UNKNOWN_MODEL))
        .group_by("model")
        .agg(pl.len().alias("trials"),
             (pl.col("outcome") != "unknown").sum().alias("judged"),
             (pl.col("outcome") == "success").sum().alias("successes"))
        .sort("model")
    )
    bounds = [wilson_interval(s, j) if j else (None, None)
              for s, j in zip(grouped["successes"].to_list(), grouped["judged"].to_list())]
    return grouped.with_columns(
        pl.when(pl.col("judged") > 0).then(pl.col("successes") / pl.col("judged")).otherwise(None).alias("rate"),
        pl.Series("low", [b[0] for b in bounds], pl.Float64),
        pl.Series("high", [b[1] for b in bounds], pl.Float64),
    )


def behaviour_rates(trials: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """For each model and label: labelled steps, trials showing it, and the share of trials.

    ``trials`` needs ``trial_id`` and ``model``; ``labels`` needs ``trial_id``, ``seq`` and
    ``label_id`` (step labels only: rows with a null ``seq`` are ignored).
    """
    schema = {"model": pl.Utf8, "label_id": pl.Utf8, "steps": pl.UInt32, "trials_with": pl.UInt32,
              "trials": pl.UInt32, "share": pl.Float64}
    step_labels = labels.filter(pl.col("seq").is_not_null())
    if trials.is_empty() or step_labels.is_empty():
        return pl.DataFrame(schema=schema)
    models = trials.select("trial_id", pl.col("model").fill_null(UNKNOWN_MODEL))
    per_model = models.group_by("model").agg(pl.len().alias("trials"))
    return (
        step_labels.join(models, on="trial_id", how="inner")
        .group_by("model", "label_id")
        .agg(pl.len().alias("steps"), pl.col("trial_id").n_unique().alias("trials_with"))
        .join(per_model, on="model")
        .with_columns((pl.col("trials_with") / pl.col("trials")).alias("share"))
        .sort(["model", "steps", "label_id"], descending=[False, True, False])
        .select(list(schema))
        .cast(schema)
    )
