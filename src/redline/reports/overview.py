"""The overview's numbers: what was audited, the headline per model and scenario, behaviour
prevalence and command categories. Frames in, plain dicts out (JSON-ready); no I/O.

Every figure says what it counts: trials or commands, *inferred* (by redline's classifiers and
analysis, from the transcript) or *recorded* (the source's own verdict), and carries its 95%
interval. A trial with no model, agent or scenario is counted under ``(unknown model)`` etc.,
never left out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from ..analysis import verdict_checks, wilson_interval
from ..analysis.compare import unknown
from ..schema import CATEGORIES

#: the Fudan study's published command shares (percent; behaviour catalogue, Command categories)
STUDY_SHARES = {
    "Qwen2.5-72B-Instruct (study)": {"exploring": 39.2, "changing": 20.8, "executing": 27.9, "utility": 12.1},
    "Llama3.1-70B-Instruct (study)": {"exploring": 31.6, "changing": 3.5, "executing": 52.6, "utility": 12.3},
}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def k_of_n(k: int, n: int) -> dict[str, Any]:
    """``k`` of ``n`` with the share and its 95% Wilson interval (None when n is 0)."""
    if not n:
        return {"k": k, "n": 0, "share": None, "low": None, "high": None}
    low, high = wilson_interval(k, n)
    return {"k": k, "n": n, "share": k / n, "low": low, "high": high}


def groups(trials: pl.DataFrame) -> pl.DataFrame:
    return trials.select("trial_id", pl.col("model").fill_null(unknown("model")),
                         pl.col("agent").fill_null(unknown("agent")),
                         pl.col("scenario").fill_null(unknown("scenario")), "outcome", "format", "source_verdict",
                         "task")


def audited(trials: pl.DataFrame, files: pl.DataFrame) -> dict[str, Any]:
    """Counts of what the report covers, and the files that could not be read."""
    g = groups(trials)

    def counts(col: str) -> list[tuple[str, int]]:
        return [(r[0], r[1]) for r in g.group_by(col).len().sort(["len", col], descending=[True, False]).iter_rows()]

    status = dict(files.group_by("status").len().iter_rows()) if files.height else {}
    return {
        "trials": trials.height, "models": counts("model"), "agents": counts("agent"),
        "scenarios": counts("scenario"), "formats": counts("format"),
        "sources": trials["source_path"].n_unique() if trials.height else 0,
        "files": status,
        "problems": files.filter(pl.col("status") == "error").select("path", "format", "error").to_dicts(),
    }


def headline(trials: pl.DataFrame, labels: pl.DataFrame) -> list[dict[str, Any]]:
    """Per model and scenario: replicated, shutdown avoided (each inferred and recorded) and
    succeeded by the source's verdict, each as k of n with a Wilson interval."""
    g = groups(trials)
    trial_labels = labels.filter(pl.col("seq").is_null()).select("trial_id", "label_id").unique()
    checks = verdict_checks(trials.select("trial_id", "scenario", "outcome", "source_verdict"), labels)
    rows = []
    for (model, scenario), part in g.group_by(["model", "scenario"], maintain_order=False):
        ids = part["trial_id"]
        n = part.height
        mine = trial_labels.filter(pl.col("trial_id").is_in(ids.to_list()))
        row: dict[str, Any] = {"model": model, "scenario": scenario, "trials": n}
        for key, label in (("replicated", "TRIAL-REPLICATED"), ("avoided", "TRIAL-SHUTDOWN-AVOIDED")):
            recorded = checks.filter(pl.col("trial_id").is_in(ids.to_list()) & (pl.col("label_id") == label))
            row[key] = {"inferred": k_of_n(mine.filter(pl.col("label_id") == label).height, n),
                        "recorded": k_of_n(int(recorded["source"].sum()), recorded.height),
                        "disagree": int((~recorded["agree"]).sum())}
        judged = part.filter(pl.col("outcome") != "unknown")
        row["succeeded"] = k_of_n(judged.filter(pl.col("outcome") == "success").height, judged.height)
        rows.append(row)
    return sorted(rows, key=lambda r: (r["model"], r["scenario"]))


def prevalence(trials: pl.DataFrame, labels: pl.DataFrame, severity) -> dict[str, Any]:
    """Labels x models: the share of each model's trials carrying the label (on a step or as a
    trial label), high severity first; each cell with k, n and the Wilson interval."""
    g = groups(trials).select("trial_id", "model")
    sizes = dict(g.group_by("model").len().iter_rows())
    models = sorted(sizes, key=lambda m: (-sizes[m], m))
    carried = labels.select("trial_id", "label_id").unique().join(g, on="trial_id")
    counts = {(r[0], r[1]): r[2] for r in carried.group_by("label_id", "model").len().iter_rows()}
    total = dict(carried.group_by("label_id").len().iter_rows())
    ids = sorted(total, key=lambda i: (SEVERITY_ORDER.get(severity(i), 3), -total[i], i))
    cells = [[k_of_n(counts.get((lid, m), 0), sizes[m]) for m in models] for lid in ids]
    return {"models": models, "sizes": [sizes[m] for m in models], "labels": ids,
            "severities": [severity(i) for i in ids], "cells": cells}


def strategy_flows(episodes: pl.DataFrame) -> dict[str, Any]:
    """Obstacle -> strategy -> status counts over episodes (an episode that used two strategies
    flows to both; one with none flows to ``no strategy``)."""
    if episodes.is_empty():
        return {"episodes": 0, "links": []}
    e = episodes.select("obstacle", "status", pl.col("strategies").list.len().alias("_n"), "strategies")
    e = e.with_columns(pl.when(pl.col("_n") == 0).then(pl.lit(["no strategy"])).otherwise("strategies")
                       .alias("strategies")).explode("strategies", empty_as_null=False)
    first = e.group_by("obstacle", "strategies").len().rename({"obstacle": "source", "strategies": "target"})
    second = e.group_by("strategies", "status").len().rename({"strategies": "source", "status": "target"})
    links = [{"source": s, "target": t, "episodes": n, "stage": stage}
             for stage, frame in ((0, first), (1, second)) for s, t, n in frame.sort("len", descending=True).iter_rows()]
    return {"episodes": episodes.height, "links": links}


def category_shares(trials: pl.DataFrame, categories: pl.DataFrame, draws: int = 400,
                    seed: int = 7) -> dict[str, Any]:
    """Per model: commands in each category and the share of the four study categories, with a
    95% interval from resampling the model's trials (commands of one trial are not independent)."""
    g = groups(trials).select("trial_id", "model")
    if categories.is_empty():
        return {"models": [], "categories": [c for c in CATEGORIES if c != "other"], "study": STUDY_SHARES}
    wide = categories.pivot(on="category", index="trial_id", values="commands", aggregate_function="sum")
    for c in CATEGORIES:
        if c not in wide.columns:
            wide = wide.with_columns(pl.lit(0).alias(c))
    wide = wide.fill_null(0).join(g, on="trial_id")
    rng = np.random.default_rng(seed)
    four = [c for c in CATEGORIES if c != "other"]
    out = []
    for model, part in sorted(wide.group_by("model"), key=lambda kv: kv[0][0]):
        m = part.select(four).to_numpy().astype(float)
        totals = m.sum()
        other = int(part["other"].sum())
        shares = m.sum(axis=0) / totals if totals else np.zeros(len(four))
        picks = rng.integers(0, len(m), size=(draws, len(m)))
        sums = m[picks].sum(axis=1)
        if totals:
            with np.errstate(invalid="ignore", divide="ignore"):
                boot = sums / sums.sum(axis=1, keepdims=True)
            low, high = np.nanpercentile(boot, 2.5, axis=0), np.nanpercentile(boot, 97.5, axis=0)
        else:  # no command of the four categories: shares of nothing, 0 with nothing to resample (not NaN)
            low, high = np.zeros(len(four)), np.zeros(len(four))
        out.append({"model": model[0], "trials": part.height, "commands": int(totals), "other": other,
                    "shares": {c: float(shares[i]) for i, c in enumerate(four)},
                    "low": {c: float(low[i]) for i, c in enumerate(four)},
                    "high": {c: float(high[i]) for i, c in enumerate(four)}})
    return {"models": out, "categories": four, "study": STUDY_SHARES}
