from __future__ import annotations

import polars as pl
import pytest

from redline.analysis import behaviour_rates, outcome_rates, wilson_interval


def test_wilson_interval_matches_known_values_and_stays_in_bounds():
    low, high = wilson_interval(9, 10)
    assert low == pytest.approx(0.5958, abs=1e-3) and high == pytest.approx(0.9821, abs=1e-3)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_outcome_rates_leave_unknown_verdicts_out_of_the_denominator():
    trials = pl.DataFrame({"model": ["q", "q", "q", "l", None],
                           "outcome": ["success", "failure", "unknown", "unknown", "success"]})
    rates = {r["model"]: r for r in outcome_rates(trials).to_dicts()}
    assert rates["q"]["trials"] == 3 and rates["q"]["judged"] == 2 and rates["q"]["rate"] == 0.5
    assert rates["l"]["rate"] is None and rates["l"]["low"] is None
    assert rates["(unknown model)"]["successes"] == 1


def test_behaviour_rates_count_steps_and_trials_per_model():
    trials = pl.DataFrame({"trial_id": ["a", "b", "c"], "model": ["q", "q", "l"]})
    labels = pl.DataFrame({"trial_id": ["a", "a", "b", "c", "c"], "seq": [1, 5, 2, None, 3],
                           "label_id": ["PROC-KILL", "PROC-KILL", "PROC-KILL", "TRIAL-OUTCOME", "SYS-REBOOT"]})
    out = {(r["model"], r["label_id"]): r for r in behaviour_rates(trials, labels).to_dicts()}
    assert out[("q", "PROC-KILL")]["steps"] == 3 and out[("q", "PROC-KILL")]["trials_with"] == 2
    assert out[("q", "PROC-KILL")]["share"] == 1.0
    assert out[("l", "SYS-REBOOT")]["share"] == 1.0
    assert ("l", "TRIAL-OUTCOME") not in out
