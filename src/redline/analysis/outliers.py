"""Trials unlike the rest of their model and task: an isolation forest over behaviour profiles.

Each trial becomes a profile (:func:`profiles`): the share of its actions carrying each action
label, the number of its messages carrying each message label, its episodes per strategy and
obstacle, the shares of its commands per category, and how long it is. Trials are compared
with their peers only: the same model and task when at least :data:`MIN_GROUP` trials share
both, else the same model when that many share it; smaller groups are not scored (their trials
get no flag, and the reason is returned).

Within a group a scikit-learn :class:`~sklearn.ensemble.IsolationForest` flags the
:data:`CONTAMINATION` share of trials that are easiest to isolate. Each flag is explained by the
features that drive it: each feature in turn is set to the group's median and the change in the
forest's score is measured (occlusion); the features whose reset makes the trial look most
ordinary are named, with the trial's value and the group's median.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.ensemble import IsolationForest

#: the fewest trials a group needs to be scored
MIN_GROUP = 10
#: the share of a group flagged as unusual
CONTAMINATION = 0.05
#: features named per flag
EXPLAIN = 3
TREES = 100
SEED = 0


def profiles(trials: pl.DataFrame, actions: pl.DataFrame, labels: pl.DataFrame, episodes: pl.DataFrame,
             categories: pl.DataFrame) -> pl.DataFrame:
    """One row per trial: ``trial_id`` and numeric feature columns (named for humans)."""
    base = trials.select("trial_id")
    n_actions = actions.group_by("trial_id").agg(pl.len().alias("actions"))
    step = labels.filter(pl.col("seq").is_not_null())
    act = step.filter(pl.col("unit") == "action").group_by("trial_id", "label_id").agg(pl.len().alias("n")) \
        .join(n_actions, on="trial_id").with_columns((pl.col("n") / pl.col("actions")).alias("v")) \
        .select("trial_id", pl.concat_str([pl.col("label_id"), pl.lit(" share of actions")]).alias("f"), "v")
    msg = step.filter(pl.col("unit").is_in(["message", "observation"])).group_by("trial_id", "label_id") \
        .agg(pl.len().cast(pl.Float64).alias("v")) \
        .select("trial_id", pl.concat_str([pl.col("label_id"), pl.lit(" steps")]).alias("f"), "v")
    parts = [act, msg]
    if episodes.height:
        parts.append(episodes.select("trial_id", "strategies").explode("strategies", empty_as_null=False).drop_nulls()
                     .group_by("trial_id", "strategies").agg(pl.len().cast(pl.Float64).alias("v"))
                     .select("trial_id", pl.concat_str([pl.col("strategies"), pl.lit(" episodes")]).alias("f"), "v"))
        parts.append(episodes.group_by("trial_id", "obstacle").agg(pl.len().cast(pl.Float64).alias("v"))
                     .select("trial_id", pl.concat_str([pl.col("obstacle"), pl.lit(" episodes")]).alias("f"), "v"))
    if categories.height:
        parts.append(categories.group_by("trial_id", "category").agg(pl.len().alias("n"))
                     .with_columns((pl.col("n") / pl.col("n").sum().over("trial_id")).alias("v"))
                     .select("trial_id", pl.concat_str([pl.col("category"), pl.lit(" share of commands")]).alias("f"),
                             "v"))
    parts.append(n_actions.select("trial_id", pl.lit("log actions").alias("f"),
                                  pl.col("actions").cast(pl.Float64).log1p().alias("v")))
    long = pl.concat([p.with_columns(pl.col("v").cast(pl.Float64)) for p in parts], how="vertical_relaxed")
    if long.is_empty():
        return base
    wide = long.pivot(on="f", index="trial_id", values="v", aggregate_function="sum")
    wide = base.join(wide, on="trial_id", how="left").fill_null(0.0)
    return wide.select("trial_id", *sorted(c for c in wide.columns if c != "trial_id"))


def _describe(feature: str, value: float, median: float) -> str:
    if feature == "log actions":
        return f"{int(round(np.expm1(value)))} actions (peers' median {int(round(np.expm1(median)))})"
    if feature.endswith("share of actions") or feature.endswith("share of commands"):
        return f"{feature.split(' share')[0]} in {value:.0%} of its {feature.rsplit(' ', 1)[-1]} " \
               f"(peers' median {median:.0%})"
    return f"{int(value)} {feature} (peers' median {median:g})"


def flag_outliers(profile: pl.DataFrame, trials: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """The flagged trials (``trial_id``, ``group``, ``peers``, ``strength`` in [0, 1], ``drivers``:
    a list of sentences) and notes about the groups that could not be scored."""
    schema = {"trial_id": pl.Utf8, "group": pl.Utf8, "peers": pl.Int32, "strength": pl.Float64,
              "drivers": pl.List(pl.Utf8), "features": pl.Utf8}
    notes: list[str] = []
    if profile.width <= 1 or profile.is_empty():
        return pl.DataFrame(schema=schema), notes
    keys = trials.select("trial_id", pl.col("model").fill_null("(unknown model)"), pl.col("task").fill_null("(no task)"))
    sizes_mt = keys.group_by("model", "task").len().rename({"len": "n_mt"})
    sizes_m = keys.group_by("model").len().rename({"len": "n_m"})
    keyed = keys.join(sizes_mt, on=["model", "task"]).join(sizes_m, on="model").with_columns(
        pl.when(pl.col("n_mt") >= MIN_GROUP).then(pl.concat_str(["model", pl.lit(" · "), "task"]))
        .when(pl.col("n_m") >= MIN_GROUP).then(pl.col("model")).otherwise(None).alias("group"))
    unscored = keyed.filter(pl.col("group").is_null()).height
    if unscored:
        notes.append(f"{unscored} trials are in groups of fewer than {MIN_GROUP} trials of their model "
                     f"(and task) and were not scored for unusualness")
    rows: list[dict[str, Any]] = []
    features = [c for c in profile.columns if c != "trial_id"]
    for (group,), members in keyed.filter(pl.col("group").is_not_null()).partition_by(
            "group", as_dict=True, maintain_order=True).items():
        data = members.select("trial_id").join(profile, on="trial_id", how="left").fill_null(0.0)
        x = data.select(features).to_numpy().astype(float)
        live = x.std(axis=0) > 0
        if not live.any():
            continue
        xs = x[:, live]
        names = [f for f, keep in zip(features, live) if keep]
        forest = IsolationForest(n_estimators=TREES, contamination=CONTAMINATION, random_state=SEED).fit(xs)
        decision = forest.decision_function(xs)
        flagged = np.where(forest.predict(xs) == -1)[0]
        median = np.median(xs, axis=0)
        spread = float(decision.max() - decision.min()) or 1.0
        for i in flagged:
            moved = np.where(xs[i] != median)[0]
            if len(moved):
                probes = np.repeat(xs[i][None, :], len(moved), axis=0)
                probes[np.arange(len(moved)), moved] = median[moved]
                scores = forest.decision_function(probes) - decision[i]
                gains = sorted(((float(g), int(j)) for g, j in zip(scores, moved)), reverse=True)
            else:
                gains = []
            drivers = [_describe(names[j], xs[i, j], median[j]) for gain, j in gains[:EXPLAIN] if gain > 0]
            rows.append({"trial_id": data["trial_id"][int(i)], "group": group, "peers": len(xs),
                         "strength": float(min(1.0, (decision.max() - decision[i]) / spread)),
                         "drivers": drivers or ["its profile as a whole"],
                         "features": ", ".join(names[j] for _, j in gains[:EXPLAIN])})
    if not rows:
        return pl.DataFrame(schema=schema), notes
    return pl.DataFrame(rows, schema=schema), notes
