"""Applying trained models to a batch: model labels merged with the rules', and suggestions.

:func:`apply_models` is a pure function, like the rule engine: a batch's
:class:`~redline.classifiers.frames.Frames`, the rules' labels for it and the trained models in;
labels and suggestions out.

How a ``label`` model combines with the rule of the same ID: **union**, with a stricter bar for
what the model adds. A step carries the label when the rule fires, or when the rule is silent
and the model's calibrated score reaches its *adding threshold* (chosen on validation data, see
:mod:`.fit`; at least its own threshold); one row per step and ID, whose ``source`` says who gave
it (``rule``, ``model`` or ``rule+model``: the rule fired and the model's score reached its own
threshold). A rule's row keeps the rule's version and evidence and gains the model's score in
``detail`` (``{"model": version, "model_score": p, "threshold": t}``); a model-only row has the
model's version, its score and the start of the message as evidence. Where the rule is silent
and the score lies between the two thresholds, the model's decision becomes a suggestion (its
``model`` is the label's ID) for an auditor to accept or reject, not a label.

A ``suggestion`` model writes rows for ``suggestions`` only: the steps whose highest class score
reaches its threshold and that no rule gave any of its IDs, one row per ID at or above the
threshold (at least the best one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from ... import schema
from ...limits import MODEL_EVIDENCE_CHARS
from ..engine import LABEL_COLUMNS
from ..frames import Frames
from .files import TrainedModel
from .inputs import step_inputs
from .spec import INPUTS

if TYPE_CHECKING:  # NumPy (and the scoring that needs it) is imported when a model first scores:
    import numpy as np  # a classify run's first batch is then labelled by its rules without it

SUGGESTION_COLUMNS = schema.SUGGESTIONS.polars_schema(without=("run_id",))


def model_inputs(frames: Frames, unit: str, inputs: Sequence[str] | None = None) -> pl.DataFrame:
    """The unit's ``inputs`` (default: all of them) for this batch, computed once per batch.
    The models read only what they declare: the shipped ones, a step's own text (a context
    input is a new string per step, about half of a batch's model memory)."""
    inputs = INPUTS[unit] if inputs is None else tuple(inputs)
    return frames.memo(("model-inputs", unit, inputs), lambda: step_inputs(frames, unit, inputs))


def model_scores(frames: Frames, model: TrainedModel) -> np.ndarray:
    """``model.scores`` of the batch's inputs of its unit, computed by :mod:`.scoring`: each
    distinct input once, hashed features shared with the batch's other models of the same inputs."""
    from .scoring import scores as fast_scores

    cache = frames.memo(("model-cache", model.spec.unit, model.spec.inputs), dict)
    return fast_scores(model, model_inputs(frames, model.spec.unit, model.spec.inputs), cache)


def scored_steps(frames: Frames, model: TrainedModel) -> pl.DataFrame:
    """trial_id, seq, score (highest class probability), best (its class), text: every step of
    the model's unit in the batch."""
    import numpy as np

    inputs = model_inputs(frames, model.spec.unit, model.spec.inputs)
    scores = model_scores(frames, model)
    best = scores.argmax(axis=1) if scores.size else np.zeros(0, dtype=int)
    main = model.spec.inputs[0]
    return inputs.select("trial_id", "seq", pl.col(main).alias("text")).with_columns(
        pl.Series("score", scores.max(axis=1) if scores.size else np.zeros(0), dtype=pl.Float64),
        pl.Series("best", [model.classes[i] for i in best], dtype=pl.Utf8),
    )


def _detail(model: TrainedModel) -> pl.Expr:
    return pl.struct(pl.lit(model.version).alias("model"), pl.col("score").round(4).alias("model_score"),
                     pl.lit(round(model.threshold, 4)).alias("threshold")).struct.json_encode()


def _merge_label_model(labels: pl.DataFrame, frames: Frames, model: TrainedModel) -> tuple[pl.DataFrame, pl.DataFrame]:
    label_id = model.spec.labels[0]
    scored = scored_steps(frames, model).with_columns((pl.col("score") >= model.threshold).alias("hit"))
    mine = labels.filter(pl.col("label_id") == label_id)
    rest = labels.filter(pl.col("label_id") != label_id)
    ruled = mine.join(scored.select("trial_id", "seq", "score", "hit"), on=["trial_id", "seq"], how="left").with_columns(
        pl.when(pl.col("hit").fill_null(False)).then(pl.lit("rule+model")).otherwise(pl.lit("rule")).alias("source"),
        pl.when(pl.col("detail").is_null() & pl.col("score").is_not_null()).then(_detail(model))
        .otherwise(pl.col("detail")).alias("detail"),
    ).select(list(LABEL_COLUMNS))
    silent = scored.filter(pl.col("hit")).join(mine.select("trial_id", "seq"), on=["trial_id", "seq"], how="anti")
    only = silent.filter(pl.col("score") >= model.add_threshold)
    unsure = silent.filter(pl.col("score") < model.add_threshold)
    evidence = pl.col("text").str.slice(0, MODEL_EVIDENCE_CHARS)
    added = only.select(
        "trial_id", pl.col("seq").cast(pl.Int32), pl.lit(model.spec.unit).alias("unit"), pl.lit(label_id).alias("label_id"),
        pl.lit(model.version).alias("classifier_version"), "score", evidence.alias("evidence"),
        pl.lit(None, pl.Int32).alias("evidence_seq"), pl.lit(0, pl.Int32).alias("span_start"),
        evidence.str.len_chars().cast(pl.Int32).alias("span_end"), _detail(model).alias("detail"),
        pl.lit("model").alias("source"),
    ).select([pl.col(n).cast(t) for n, t in LABEL_COLUMNS.items()])
    suggested = unsure.select(
        "trial_id", pl.col("seq").cast(pl.Int32), pl.lit(model.spec.unit).alias("unit"), pl.lit(label_id).alias("label_id"),
        pl.lit(model.id).alias("model"), pl.lit(model.version).alias("model_version"), "score",
        pl.lit(float(model.threshold)).alias("threshold"), evidence.alias("evidence"),
    ).select([pl.col(n).cast(t) for n, t in SUGGESTION_COLUMNS.items()])
    return pl.concat([rest, ruled, added]), suggested


def _suggestions(labels: pl.DataFrame, frames: Frames, model: TrainedModel) -> pl.DataFrame:
    import numpy as np

    inputs = model_inputs(frames, model.spec.unit, model.spec.inputs)
    scores = model_scores(frames, model)
    if inputs.height == 0:
        return pl.DataFrame(schema=SUGGESTION_COLUMNS)
    best = scores.max(axis=1)
    over = (scores >= model.threshold) | (scores == best[:, None])
    keep = best >= model.threshold
    rows, cols = np.nonzero(over & keep[:, None])
    main = model.spec.inputs[0]
    hits = inputs[rows].select("trial_id", "seq", pl.col(main).alias("text")).with_columns(
        pl.Series("label_id", [model.classes[c] for c in cols], dtype=pl.Utf8),
        pl.Series("score", scores[rows, cols], dtype=pl.Float64),
    )
    ruled = labels.filter(pl.col("label_id").is_in(list(model.spec.labels))).select("trial_id", "seq").unique()
    hits = hits.join(ruled, on=["trial_id", "seq"], how="anti")
    return hits.select(
        "trial_id", pl.col("seq").cast(pl.Int32), pl.lit(model.spec.unit).alias("unit"), "label_id",
        pl.lit(model.id).alias("model"), pl.lit(model.version).alias("model_version"), "score",
        pl.lit(float(model.threshold)).alias("threshold"),
        pl.col("text").str.slice(0, MODEL_EVIDENCE_CHARS).alias("evidence"),
    ).select([pl.col(n).cast(t) for n, t in SUGGESTION_COLUMNS.items()])


def apply_models(frames: Frames, labels: pl.DataFrame,
                 models: Sequence[TrainedModel]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(labels, suggestions) for the batch: ``labels`` (the rules') merged with the ``label``
    models' decisions, and the ``suggestion`` models' rows (see the module docstring)."""
    suggestions = [pl.DataFrame(schema=SUGGESTION_COLUMNS)]
    for model in models:
        if model.spec.kind == "label":
            labels, unsure = _merge_label_model(labels, frames, model)
            suggestions.append(unsure)
    for model in models:
        if model.spec.kind == "suggestion":
            suggestions.append(_suggestions(labels, frames, model))
    return labels, pl.concat(suggestions)
