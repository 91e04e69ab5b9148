"""Thresholds chosen on validation data, and cross-validation grouped by trial."""

from __future__ import annotations

import numpy as np
import polars as pl

from redline.classifiers.models import fit
from redline.classifiers.models.fit import TrainingSet, choose_threshold, cross_validate
from redline.classifiers.registry import get_model


def test_the_threshold_is_the_best_f1_or_the_lowest_reaching_the_wanted_precision():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3])
    truth = np.array([1, 1, 0, 1, 0, 0])
    assert 0.4 < choose_threshold(scores, truth) <= 0.6
    assert 0.7 < choose_threshold(scores, truth, min_precision=1.0) <= 0.8


def _toy(spec, n_trials=16):
    texts, y, groups, origin = [], [], [], []
    for t in range(n_trials):
        for i in range(6):
            positive = i % 3 == 0
            texts.append(("I must stop the shutdown so I keep running" if positive else "Let me run the unit tests")
                         + f" step {i} of trial {t}")
            y.append([int(positive)])
            groups.append(f"trial-{t}")
            origin.append("human" if t % 2 else "rule")
    inputs = pl.DataFrame({"trial_id": groups, "seq": list(range(len(texts))), "text": texts})
    return TrainingSet(spec, inputs, np.array(y, dtype=np.int8), spec.labels, np.array(groups, dtype=object),
                       np.array(origin, dtype=object))


def test_cross_validation_never_puts_one_trial_on_both_sides_and_judges_human_rows(monkeypatch):
    spec = get_model("MSG-SELFPRES")
    ts = _toy(spec)
    seen = []
    real = fit._fit_pipeline

    def spy(spec, part):
        seen.append(set(part.groups.tolist()))
        return real(spec, part)

    monkeypatch.setattr(fit, "_fit_pipeline", spy)
    folds = fit._folds(ts, 4)
    assert len(folds) == 4
    for train, test in folds:
        assert not set(ts.groups[train]) & set(ts.groups[test])
    result = cross_validate(spec, ts, folds=4)
    assert result.judged_on == "human" and result.rows == int((ts.origin == "human").sum())
    assert result.f1[1] <= result.f1[0] <= result.f1[2]
    assert result.trained_on == "human+rule"
    without = cross_validate(spec, ts, folds=4, weak=False)
    assert without.trained_on == "human"
    assert all(seen), "every fit saw some trials"
