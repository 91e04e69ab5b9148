"""Fitting a model, choosing its threshold, and grouped cross-validation with intervals.

Threshold
    chosen on validation data, never on the rows it is then judged on: the training rows are
    split by trial (``GroupKFold``, :data:`INNER_FOLDS` folds), a pipeline fitted on each part
    scores the other, and the threshold is picked on those out-of-fold scores (the best F1, or
    the lowest threshold reaching the spec's ``min_precision``). The saved model is then
    fitted on every training row and keeps that threshold.

Adding threshold (``label`` models with ``union_min_precision``)
    on the same out-of-fold scores, restricted to the rows the rule of the model's ID leaves
    unlabelled (:func:`rule_hits` runs the rule on each row's text): the lowest score at which
    the model's precision there reaches ``union_min_precision`` (:func:`adding_threshold`;
    never below the threshold). It is where the union's additions are decided: a label the
    rule did not give must clear it. Saved as ``add_threshold`` (null: the model adds none).

Cross-validation (:func:`cross_validate`)
    :data:`OUTER_FOLDS` folds grouped by trial (the steps of one trial are never on both sides;
    a written example is its own group). Each fold's model is trained on the other folds,
    threshold included (nested as above), and judged on the fold's *human-labelled* rows only
    (gold files and ``human_labels``; written examples when there are none). Rule labels (weak
    supervision) can be left out of the training part to show what they add. Precision,
    recall and F1 are pooled over folds, with 95% intervals from a bootstrap over trials
    (:data:`RESAMPLES` resamples, seed :data:`SEED`).

For a ``suggestion`` model the figures are about finding steps that carry *any* of its IDs: a
step's score is its highest class probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ...convert import trials_to_arrow
from ..engine import label_frames
from ..examples import steps_trial
from ..frames import Frames
from ..rules import FAMILIES
from .files import TrainedModel
from .spec import INPUTS, ModelSpec

OUTER_FOLDS = 5
INNER_FOLDS = 3
#: fewest positive rows a class needs to be learned (the calibration splits them in three)
MIN_POSITIVES = 3
RESAMPLES = 1000
SEED = 20240601


class TrainingError(ValueError):
    """Too little data to fit or judge a model."""


@dataclass
class TrainingSet:
    """Rows to learn from: inputs, 0/1 targets per class, the group (trial) and origin of each row.

    ``origin`` is ``human`` (a gold file or an auditor's decision), ``rule`` (a rule's label,
    weak supervision) or ``example`` (the project's written examples).
    """

    spec: ModelSpec
    inputs: pl.DataFrame
    y: np.ndarray
    classes: tuple[str, ...]
    groups: np.ndarray
    origin: np.ndarray

    def __len__(self) -> int:
        return self.inputs.height

    def subset(self, mask: np.ndarray) -> TrainingSet:
        idx = np.flatnonzero(mask)
        return TrainingSet(self.spec, self.inputs[idx], self.y[idx], self.classes, self.groups[idx], self.origin[idx])

    @staticmethod
    def empty(spec: ModelSpec) -> TrainingSet:
        """A training set with no rows, shaped for ``spec``."""
        cols = {"trial_id": pl.Utf8, "seq": pl.Int32, **{n: pl.Utf8 for n in INPUTS[spec.unit]}}
        return TrainingSet(spec, pl.DataFrame(schema=cols), np.zeros((0, len(spec.labels)), dtype=np.int8),
                           spec.labels, np.array([], dtype=object), np.array([], dtype=object))

    @staticmethod
    def concat(spec: ModelSpec, parts: Sequence[TrainingSet]) -> TrainingSet:
        """The rows of several training sets of the same spec, in order."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return TrainingSet.empty(spec)
        cols = ["trial_id", "seq", *INPUTS[spec.unit]]
        return TrainingSet(spec, pl.concat([p.inputs.select(cols) for p in parts]),
                           np.concatenate([p.y for p in parts]), spec.labels,
                           np.concatenate([p.groups for p in parts]), np.concatenate([p.origin for p in parts]))

    def counts(self) -> dict[str, dict[str, int]]:
        """origin -> rows and positives (any class)."""
        out: dict[str, dict[str, int]] = {}
        for o in sorted(set(self.origin.tolist())):
            m = self.origin == o
            out[o] = {"rows": int(m.sum()), "positives": int(self.y[m].any(axis=1).sum())}
        return out


def _fit_pipeline(spec: ModelSpec, ts: TrainingSet) -> tuple[Any, tuple[str, ...]]:
    """A fitted pipeline and the classes it learned (those with enough positives)."""
    keep = [j for j in range(len(ts.classes)) if ts.y[:, j].sum() >= MIN_POSITIVES
            and (len(ts) - ts.y[:, j].sum()) >= MIN_POSITIVES]
    if not keep:
        raise TrainingError(f"{spec.id}: needs at least {MIN_POSITIVES} positive and {MIN_POSITIVES} negative "
                            f"rows for some of {', '.join(ts.classes)} (has {int(ts.y.any(axis=1).sum())} positive)")
    pipe = spec.pipeline()
    X = ts.inputs.select(list(spec.inputs))
    y = ts.y[:, keep] if spec.kind == "suggestion" else ts.y[:, keep[0]]
    pipe.fit(X, y)
    return pipe, tuple(ts.classes[j] for j in keep)


def _scores(spec: ModelSpec, pipe: Any, classes: tuple[str, ...], ts: TrainingSet) -> np.ndarray:
    """rows x ts.classes probabilities (0 for a class the pipeline did not learn)."""
    model = TrainedModel(spec, pipe, 0.5, classes)
    got = model.scores(ts.inputs)
    out = np.zeros((len(ts), len(ts.classes)))
    for j, c in enumerate(classes):
        out[:, ts.classes.index(c)] = got[:, j]
    return out


def _folds(ts: TrainingSet, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import GroupKFold

    n_groups = len(set(ts.groups.tolist()))
    if n_groups < 2:
        raise TrainingError(f"{ts.spec.id}: cross-validation needs rows from at least 2 trials")
    return list(GroupKFold(n_splits=min(n, n_groups)).split(np.zeros(len(ts)), groups=ts.groups))


def counts_at(scores: np.ndarray, truth: np.ndarray, threshold: float) -> tuple[int, int, int]:
    pred = scores >= threshold
    return int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())


def prf(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return p, r, f


def choose_threshold(scores: np.ndarray, truth: np.ndarray, min_precision: float | None = None) -> float:
    """The decision threshold for these validation scores (see the module docstring); halfway
    between the chosen score and the next lower one, so it generalises a little."""
    truth = truth.astype(bool)
    cands = np.unique(scores)[::-1]
    if not truth.any() or cands.size == 0:
        return 0.5
    best, best_f1, reach = cands[0], -1.0, None
    for t in cands:
        p, _, f = prf(*counts_at(scores, truth, t))
        if f > best_f1 + 1e-12:
            best, best_f1 = t, f
        if min_precision is not None and p >= min_precision:
            reach = t
    chosen = reach if reach is not None else best
    lower = cands[cands < chosen]
    return float((chosen + lower[0]) / 2) if lower.size else float(chosen)


def _any(ts: TrainingSet, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(score, truth) per row: the highest class score, and whether the row carries any class."""
    return scores.max(axis=1), ts.y.any(axis=1)


def validated_threshold(spec: ModelSpec, ts: TrainingSet, folds: int = INNER_FOLDS) -> tuple[float, np.ndarray]:
    """The threshold chosen on out-of-fold scores of ``ts`` (grouped by trial), and those scores."""
    oof = np.full((len(ts), len(ts.classes)), np.nan)
    for train, test in _folds(ts, folds):
        try:
            pipe, classes = _fit_pipeline(spec, ts.subset(_mask(len(ts), train)))
        except TrainingError:  # too few positives outside this fold: its rows get no validation score
            continue
        oof[test] = _scores(spec, pipe, classes, ts.subset(_mask(len(ts), test)))
    scored = ~np.isnan(oof).any(axis=1)
    if not scored.any():
        raise TrainingError(f"{spec.id}: too few positive rows to choose a threshold on validation folds")
    score, truth = _any(ts.subset(scored), oof[scored])
    return choose_threshold(score, truth, spec.min_precision), oof


def _mask(n: int, idx: np.ndarray) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[idx] = True
    return m


def rule_hits(label_id: str, texts: Sequence[str]) -> np.ndarray:
    """Whether the rule of ``label_id`` (a message rule) labels each text, as the agent's message
    of a trial of its own: the same parser and engine a classify run uses."""
    rules = [r for family in FAMILIES for r in family.RULES if r.id == label_id]
    if not rules or not len(texts):
        return np.zeros(len(texts), dtype=bool)
    trials = [steps_trial([{"kind": "message", "text": t}], source_path=f"<row {i}>") for i, t in enumerate(texts)]
    frames = Frames.from_arrow(*trials_to_arrow(trials))
    labelled = label_frames(frames, rules).filter(pl.col("label_id") == label_id)
    paths = dict(frames.trials.select("trial_id", "source_path").iter_rows())
    hit = {int(paths[t][len("<row "):-1]) for t in labelled["trial_id"].to_list()}
    return np.array([i in hit for i in range(len(texts))], dtype=bool)


def adding_threshold(scores: np.ndarray, truth: np.ndarray, min_precision: float) -> float:
    """The lowest threshold at which the validation precision reaches ``min_precision``, halfway
    to the next lower score; infinity when none does (the model then adds nothing)."""
    truth = truth.astype(bool)
    cands = np.unique(scores)[::-1]
    reach = None
    for t in cands:
        p, _, _ = prf(*counts_at(scores, truth, t))
        if p >= min_precision:
            reach = t
    if reach is None:
        return float("inf")
    lower = cands[cands < reach]
    return float((reach + lower[0]) / 2) if lower.size else float(reach)


def fit_model(spec: ModelSpec, ts: TrainingSet, meta: dict[str, Any] | None = None) -> TrainedModel:
    """Choose the threshold (and a ``label`` model's adding threshold) on validation folds, then
    fit on every row."""
    threshold, oof = validated_threshold(spec, ts)
    pipe, classes = _fit_pipeline(spec, ts)
    info: dict[str, Any] = {"training": ts.counts()}
    if spec.kind == "label" and spec.union_min_precision is not None:
        silent = ~rule_hits(spec.labels[0], ts.inputs[spec.inputs[0]].to_list())
        scored = silent & ~np.isnan(oof).any(axis=1)
        score, truth = _any(ts.subset(scored), oof[scored])
        add = max(threshold, adding_threshold(score, truth, spec.union_min_precision))
        info["add_threshold"] = add if np.isfinite(add) else None
        info["add_validation"] = {"rows": int(scored.sum()), "positives": int(truth.sum()),
                                  "min_precision": spec.union_min_precision}
    info.update(meta or {})
    return TrainedModel(spec=spec, pipeline=pipe, threshold=threshold, classes=classes, meta=info)


@dataclass
class CVResult:
    """Pooled out-of-fold figures on the judged rows, with 95% bootstrap intervals over trials."""

    model: str
    trained_on: str
    judged_on: str
    rows: int
    positives: int
    tp: int
    fp: int
    fn: int
    precision: tuple[float, float, float]
    recall: tuple[float, float, float]
    f1: tuple[float, float, float]
    thresholds: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        r = lambda v: [round(x, 4) for x in v]  # noqa: E731
        return {"model": self.model, "trained_on": self.trained_on, "judged_on": self.judged_on, "rows": self.rows,
                "positives": self.positives, "tp": self.tp, "fp": self.fp, "fn": self.fn,
                "precision": r(self.precision), "recall": r(self.recall), "f1": r(self.f1),
                "thresholds": r(self.thresholds)}


def _bootstrap(groups: np.ndarray, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, tuple[float, float]]:
    """Percentile 95% intervals of precision, recall and F1, resampling whole trials."""
    keys, inv = np.unique(groups, return_inverse=True)
    per = np.zeros((len(keys), 3))
    np.add.at(per, inv, np.stack([tp, fp, fn], axis=1))
    rng = np.random.default_rng(SEED)
    w = rng.multinomial(len(keys), np.full(len(keys), 1 / len(keys)), size=RESAMPLES).astype(float)
    t, p, f = (w @ per).T
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = {"precision": np.where(t + p > 0, t / (t + p), np.nan), "recall": np.where(t + f > 0, t / (t + f), np.nan),
                 "f1": np.where(2 * t + p + f > 0, 2 * t / (2 * t + p + f), np.nan)}
    out = {}
    for k, v in stats.items():
        v = v[~np.isnan(v)]
        out[k] = (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))) if v.size else (0.0, 0.0)
    return out


def cross_validate(spec: ModelSpec, ts: TrainingSet, *, weak: bool = True, folds: int = OUTER_FOLDS,
                   judge: tuple[str, ...] = ("human",)) -> CVResult:
    """Grouped, nested cross-validation (see the module docstring). ``weak=False`` trains without
    the rule-labelled rows; rows of the origins in ``judge`` are scored (every row when there
    are none of them)."""
    judged = np.isin(ts.origin, judge)
    judged_on = "+".join(judge)
    if not judged.any():
        judged, judged_on = np.ones(len(ts), dtype=bool), "all rows"
    scores = np.full(len(ts), np.nan)
    decided = np.zeros(len(ts), dtype=bool)
    thresholds = []
    for train, test in _folds(ts, folds):
        train_mask = _mask(len(ts), train)
        if not weak:
            train_mask &= ts.origin != "rule"
        test_mask = _mask(len(ts), test) & judged
        if not test_mask.any():
            continue
        part = ts.subset(train_mask)
        threshold, _ = validated_threshold(spec, part)
        pipe, classes = _fit_pipeline(spec, part)
        held = ts.subset(test_mask)
        s, _ = _any(held, _scores(spec, pipe, classes, held))
        scores[test_mask] = s
        decided[test_mask] = s >= threshold
        thresholds.append(threshold)
    rows = judged & ~np.isnan(scores)
    truth = ts.y.any(axis=1)
    tp = (decided & truth & rows).astype(float)
    fp = (decided & ~truth & rows).astype(float)
    fn = (~decided & truth & rows).astype(float)
    p, r, f = prf(tp.sum(), fp.sum(), fn.sum())
    ci = _bootstrap(ts.groups[rows], tp[rows], fp[rows], fn[rows])
    origins = sorted(set(ts.origin[~np.isin(ts.origin, [] if weak else ["rule"])].tolist()))
    return CVResult(
        model=spec.id, trained_on="+".join(origins), judged_on=judged_on, rows=int(rows.sum()),
        positives=int((truth & rows).sum()), tp=int(tp.sum()), fp=int(fp.sum()), fn=int(fn.sum()),
        precision=_widen(p, ci["precision"]), recall=_widen(r, ci["recall"]), f1=_widen(f, ci["f1"]),
        thresholds=thresholds)


def _widen(point: float, ci: tuple[float, float]) -> tuple[float, float, float]:
    """(point, low, high) with the interval widened to contain the point estimate."""
    return point, min(ci[0], point), max(ci[1], point)
