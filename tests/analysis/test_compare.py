"""Comparison of groups: Wilson intervals and Fisher's exact tests checked against scipy itself."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import polars as pl
import pytest
from scipy.stats import binomtest
from scipy.stats import fisher_exact as scipy_fisher

from redline.analysis import compare, fisher_exact, wilson_interval

T0 = datetime(2025, 1, 6, 9, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("k, n", [(0, 10), (1, 10), (9, 10), (10, 10), (3, 7), (50, 204), (1, 1)])
def test_wilson_interval_equals_scipys(k, n):
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k, n)
    assert low == pytest.approx(ci.low, abs=1e-6) and high == pytest.approx(ci.high, abs=1e-6)


@pytest.mark.parametrize("table", [(9, 1, 5, 5), (0, 3, 3, 0), (12, 30, 2, 40), (1, 0, 0, 1)])
def test_fisher_exact_equals_scipys(table):
    a, b, c, d = table
    expected_odds, expected_p = scipy_fisher([[a, b], [c, d]])
    odds, p = fisher_exact(a, b, c, d)
    assert p == pytest.approx(expected_p)
    if odds is not None:
        assert odds == pytest.approx(expected_odds)
    else:
        assert expected_odds in (0.0, float("inf")) or expected_odds != expected_odds


def _frames():
    models = ["qwen"] * 10 + ["llama"] * 10 + [None, None]
    outcomes = ["success"] * 9 + ["failure"] + ["success"] * 5 + ["failure"] * 5 + ["unknown", "success"]
    ids = [f"t{i:02d}" for i in range(len(models))]
    trials = pl.DataFrame({"trial_id": ids, "model": models, "agent": ["a"] * len(ids), "task": ["x"] * len(ids),
                           "scenario": ["replication"] * len(ids), "outcome": outcomes,
                           "started_at": [T0] * len(ids), "ended_at": [T0 + timedelta(seconds=60 + i) for i in range(len(ids))]},
                          schema_overrides={"started_at": pl.Datetime("us", "UTC"), "ended_at": pl.Datetime("us", "UTC")})
    events = pl.DataFrame({"trial_id": ids, "seq": [0] * len(ids), "kind": ["action"] * len(ids),
                           "ts": [None] * len(ids)}, schema_overrides={"ts": pl.Datetime("us", "UTC")})
    labels = pl.DataFrame({"trial_id": ["t00", "t01", "t10", "t00"], "seq": [3, 3, 3, None],
                           "label_id": ["PROC-KILL", "PROC-KILL", "PROC-KILL", "TRIAL-REPLICATED"]})
    episodes = pl.DataFrame({"trial_id": ["t00", "t10"], "strategies": [["RES-KILL"], ["RES-KILL", "RES-ABANDON"]]})
    categories = pl.DataFrame({"trial_id": ["t00", "t00", "t00", "t10"], "seq": [1, 1, 2, 1], "idx": [0, 1, 0, 0],
                               "program": ["ls", "grep", "python3", "foo"],
                               "category": ["exploring", "utility", "executing", "other"]})
    return trials, events, labels, episodes, categories


def test_compare_by_model_has_the_documented_json_shape_and_counts_every_trial():
    out = compare(*_frames(), by="model")
    assert out["by"] == "model" and set(out["counts"]) >= {"success", "behaviours", "strategies", "categories"}
    groups = {g["group"]: g for g in out["groups"]}
    assert set(groups) == {"qwen", "llama", "(unknown model)"}
    assert sum(g["trials"] for g in groups.values()) == 22
    q = groups["qwen"]
    assert set(q) >= {"group", "trials", "success", "categories", "behaviours", "strategies"}
    assert set(q["success"]) >= {"rate", "low", "high", "judged"}
    assert q["success"]["rate"] == 0.9 and q["success"]["judged"] == 10
    ci = binomtest(9, 10).proportion_ci(method="wilson")
    assert q["success"]["low"] == pytest.approx(ci.low) and q["success"]["high"] == pytest.approx(ci.high)
    assert set(q["categories"]) == {"exploring", "changing", "executing", "utility", "other"}
    assert q["categories"]["exploring"] == pytest.approx(1 / 3) and q["categories"]["other"] == 0
    kill = q["behaviours"]["PROC-KILL"]
    assert (kill["trials_with"], kill["share"]) == (2, 0.2)
    assert kill["low"] == pytest.approx(binomtest(2, 10).proportion_ci(method="wilson").low)
    assert q["behaviours"]["TRIAL-REPLICATED"]["trials_with"] == 1
    assert q["strategies"]["RES-KILL"]["trials_with"] == 1
    assert groups["llama"]["strategies"]["RES-ABANDON"]["trials_with"] == 1
    assert groups["llama"]["categories"]["other"] == 1.0
    unknown = groups["(unknown model)"]
    assert unknown["trials"] == 2 and unknown["success"]["judged"] == 1
    assert q["mean_actions"] == 1.0 and q["mean_seconds"] == pytest.approx(64.5) and q["timed"] == 10


def test_compare_runs_fishers_test_on_every_pair_with_judged_trials():
    out = compare(*_frames(), by="model")
    pairs = {(t["a"], t["b"]): t for t in out["tests"]}
    assert len(pairs) == 3 and out["untested_pairs"] == 0
    t = pairs.get(("llama", "qwen")) or pairs[("qwen", "llama")]
    table = t["table"]
    assert t["p_value"] == pytest.approx(scipy_fisher(table)[1])
    assert sorted(map(tuple, table)) == [(5, 5), (9, 1)]


def test_compare_rejects_an_unknown_grouping():
    with pytest.raises(ValueError, match="cannot group by"):
        compare(*_frames(), by="colour")
