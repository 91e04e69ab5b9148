"""Comparison of groups of trials (by model, agent, scenario or task).

:func:`compare` gives, per group: how many trials; the success rate among the trials whose
source recorded a verdict, with its 95% Wilson interval; the share of the group's trials that
show each behaviour (a label on at least one step, or a trial label) and each strategy (in at
least one episode), each with its interval; the mean number of actions and of seconds per trial;
and the share of its simple commands in the study's four categories plus ``other``. Between
every pair of groups it runs Fisher's exact test on success. A trial whose group value is
missing forms a group of its own (``(unknown model)``), counted like any other.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import polars as pl

from .categories import CATEGORIES, category_shares
from .stats import fisher_exact, wilson_interval

GROUPINGS = ("model", "agent", "scenario", "task")
#: what each figure counts, printed with the figures
COUNTS = {
    "trials": "trials in the group (recorded)",
    "success": "trials the source judged a success, among those it judged at all (recorded verdicts); "
               "95% Wilson interval",
    "behaviours": "trials with the label on at least one step, or as a trial label (inferred by the classifiers), "
                  "of all the group's trials; 95% Wilson interval",
    "strategies": "trials with at least one episode using the strategy (inferred by the analysis), "
                  "of all the group's trials; 95% Wilson interval",
    "categories": "share of the group's simple commands in each category (recorded commands, categorised by "
                  "program); share_of_four leaves 'other' out, as the study does",
    "mean_actions": "actions per trial (recorded)",
    "mean_seconds": "seconds from the first to the last timestamp, over the trials that have timestamps (timed)",
    "tests": "Fisher's exact test (two-sided) on successes and failures among judged trials, per pair of groups",
}


def unknown(by: str) -> str:
    return f"(unknown {by})"


def _interval(k: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(k, n) if n else (None, None)
    return {"trials_with": k, "share": (k / n) if n else None, "low": low, "high": high}


def trial_groups(trials: pl.DataFrame, by: str) -> pl.DataFrame:
    """``trial_id`` -> ``by`` (missing values as ``(unknown <by>)``)."""
    if by not in GROUPINGS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(GROUPINGS)}")
    return trials.select("trial_id", pl.col(by).cast(pl.Utf8).fill_null(unknown(by)).alias(by))


def _durations(trials: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    spans = events.group_by("trial_id").agg(pl.col("ts").min().alias("_t0"), pl.col("ts").max().alias("_t1"),
                                            (pl.col("kind") == "action").sum().alias("actions"))
    t = trials.select("trial_id", "started_at", "ended_at").join(spans, on="trial_id", how="left")
    start = pl.coalesce("started_at", "_t0")
    end = pl.coalesce("ended_at", "_t1")
    return t.select("trial_id", pl.col("actions").fill_null(0),
                    pl.when(end > start).then((end - start).dt.total_milliseconds() / 1000.0)
                    .otherwise(None).alias("seconds"))


def compare(trials: pl.DataFrame, events: pl.DataFrame, labels: pl.DataFrame, episodes: pl.DataFrame,
            categories: pl.DataFrame, by: str = "model") -> dict[str, Any]:
    """The comparison as a JSON-ready dict: ``{"by", "counts", "groups": [...], "tests": [...]}``
    (see the module doc; ``counts`` says what each figure counts)."""
    groups = trial_groups(trials, by)
    sizes = groups.group_by(by).agg(pl.len().alias("trials")).sort(by)
    outcome = trials.select("trial_id", "outcome").join(groups, on="trial_id")
    success = outcome.group_by(by).agg((pl.col("outcome") != "unknown").sum().alias("judged"),
                                       (pl.col("outcome") == "success").sum().alias("successes"))
    with_label = labels.filter(pl.col("label_id") != "TRIAL-OUTCOME").select("trial_id", "label_id").unique() \
        .join(groups, on="trial_id").group_by(by, "label_id").agg(pl.len().alias("k"))
    strategy_trials = (episodes.select("trial_id", "strategies").explode("strategies", empty_as_null=False).drop_nulls()
                       .unique().join(groups, on="trial_id").group_by(by, "strategies").agg(pl.len().alias("k"))
                       if episodes.height else pl.DataFrame(schema={by: pl.Utf8, "strategies": pl.Utf8, "k": pl.UInt32}))
    durations = _durations(trials, events).join(groups, on="trial_id").group_by(by).agg(
        pl.col("actions").mean().alias("mean_actions"), pl.col("seconds").mean().alias("mean_seconds"),
        pl.col("seconds").is_not_null().sum().alias("timed"))
    shares = category_shares(categories, groups, by)
    label_ids = sorted(with_label["label_id"].unique().to_list())
    strategy_ids = sorted(strategy_trials["strategies"].unique().to_list()) if strategy_trials.height else []
    lk = {(r[by], r["label_id"]): r["k"] for r in with_label.iter_rows(named=True)}
    sk = {(r[by], r["strategies"]): r["k"] for r in strategy_trials.iter_rows(named=True)}
    succ = {r[by]: r for r in success.iter_rows(named=True)}
    dur = {r[by]: r for r in durations.iter_rows(named=True)}
    out_groups = []
    for row in sizes.iter_rows(named=True):
        g, n = row[by], row["trials"]
        s = succ.get(g, {"judged": 0, "successes": 0})
        low, high = wilson_interval(s["successes"], s["judged"]) if s["judged"] else (None, None)
        cats = shares.filter(pl.col(by) == g)
        d = dur.get(g, {})
        out_groups.append({
            "group": g, "trials": n,
            "success": {"rate": s["successes"] / s["judged"] if s["judged"] else None, "low": low, "high": high,
                        "judged": s["judged"], "successes": s["successes"]},
            "categories": {r["category"]: r["share"] for r in cats.iter_rows(named=True)},
            "categories_of_four": {r["category"]: r["share_of_four"] for r in cats.iter_rows(named=True)
                                   if r["category"] != "other"},
            "commands": {r["category"]: r["commands"] for r in cats.iter_rows(named=True)},
            "behaviours": {lid: _interval(lk.get((g, lid), 0), n) for lid in label_ids},
            "strategies": {sid: _interval(sk.get((g, sid), 0), n) for sid in strategy_ids},
            "mean_actions": d.get("mean_actions"), "mean_seconds": d.get("mean_seconds"),
            "timed": d.get("timed", 0),
        })
    tests = []
    for a, b in combinations(out_groups, 2):
        sa, sb = a["success"], b["success"]
        if not sa["judged"] or not sb["judged"]:
            continue
        odds, p = fisher_exact(sa["successes"], sa["judged"] - sa["successes"],
                               sb["successes"], sb["judged"] - sb["successes"])
        tests.append({"a": a["group"], "b": b["group"], "measure": "success",
                      "table": [[sa["successes"], sa["judged"] - sa["successes"]],
                                [sb["successes"], sb["judged"] - sb["successes"]]],
                      "odds_ratio": odds, "p_value": p})
    tests.sort(key=lambda t: t["p_value"])
    return {"by": by, "counts": COUNTS, "categories": list(CATEGORIES), "groups": out_groups, "tests": tests,
            "untested_pairs": len(out_groups) * (len(out_groups) - 1) // 2 - len(tests)}
