"""The project's written examples: training rows every model starts from.

``data/examples.jsonl`` (package data) holds one JSON object per line: ``unit`` (``message`` or
``action``), the inputs (``text``, ``prev``, ``task`` for a message; ``command``, ``thought``
for an action; missing context is empty), ``labels`` (the catalogue IDs that apply, of that
unit; an empty list is a negative example for every model of the unit), ``group`` (examples
of one group are kept on one side of a cross-validation split) and ``origin``: ``written``
(messages and commands written for this project, positives and hard negatives for each
label) or ``sample`` (the bundled sample's steps, labelled by hand; refreshed by
``tools/train_default.py --refresh-sample``). Nothing in it comes from a third-party transcript.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources

import numpy as np
import polars as pl

from .fit import TrainingSet
from .inputs import example_inputs
from .spec import ModelSpec


def examples_path():
    """The examples file (package data)."""
    return resources.files("redline.classifiers.models") / "data" / "examples.jsonl"


def written_examples(unit: str | None = None) -> list[dict]:
    """The project's written examples (of one unit, or all)."""
    out = []
    for n, line in enumerate(examples_path().read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            rec = json.loads(line)
            rec.setdefault("group", f"example-{n}")
            if unit is None or rec["unit"] == unit:
                out.append(rec)
    return out


def targets(labels: Sequence[Sequence[str]], classes: tuple[str, ...]) -> np.ndarray:
    """rows x classes 0/1 matrix of the classes each row's labels name."""
    y = np.zeros((len(labels), len(classes)), dtype=np.int8)
    for i, ls in enumerate(labels):
        for lid in ls:
            if lid in classes:
                y[i, classes.index(lid)] = 1
    return y


def example_set(spec: ModelSpec, records: list[dict] | None = None) -> TrainingSet:
    """The written examples of the spec's unit as training rows (each its own group)."""
    records = written_examples(spec.unit) if records is None else [r for r in records if r["unit"] == spec.unit]
    if not records:
        return TrainingSet.empty(spec)
    inputs = example_inputs(records, spec.unit).with_columns(
        pl.Series("trial_id", [f"example:{r['group']}" for r in records], dtype=pl.Utf8),
        pl.Series("seq", [0] * len(records), dtype=pl.Int32))
    return TrainingSet(spec, inputs, targets([r.get("labels", []) for r in records], spec.labels), spec.labels,
                       np.array([f"example:{r['group']}" for r in records], dtype=object),
                       np.array(["example"] * len(records), dtype=object))
