"""Training data for the learned classifiers: written examples, human labels and rule labels.

A model learns from rows of its unit (messages or actions), each with the inputs it reads
(:mod:`redline.classifiers.models.inputs`), 0/1 targets for its IDs, the trial it comes from
(the cross-validation group) and its origin:

``example``
    the project's own written examples (package data ``models/data/examples.jsonl``: realistic
    messages and commands written for each label, positives and hard negatives). Used unless
    ``examples=False``.
``human``
    steps a person labelled: gold files (:mod:`redline.gold`; a gold row's message labels
    apply to the assistant messages of its turn, its action labels to its action) and the
    auditors' decisions in ``human_labels`` (the latest per step and ID; a decision overrides a
    gold row for the same step).
``rule``
    weak supervision: every other step of the unit in the database, labelled with what the
    rules gave it (labels whose source includes ``rule``; never a model's own labels). At most
    :data:`~redline.limits.MAX_WEAK_ROWS` such rows are used (a fixed sample beyond that). Used unless
    ``weak=False``.

A gold file's rows point at transcripts in the user's database: their text is read from there and
never copied anywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa

from .. import gold as goldmod
from ..limits import MAX_WEAK_ROWS
from .models.examples import example_set, targets
from .models.fit import TrainingSet
from .models.inputs import step_inputs
from .models.spec import ModelSpec
from .registry import REDIRECTS, units
from .reading import batches, read_frames



def gold_labels(con: duckdb.DuckDBPyConnection, spec: ModelSpec, gold_files: Sequence[str | os.PathLike[str]],
                root: str | os.PathLike[str] | None = None) -> dict[tuple[str, int], set[str]]:
    """(trial_id, seq) -> the spec's IDs a gold file gives that step (empty set: judged, none)."""
    out: dict[tuple[str, int], set[str]] = {}
    for path in gold_files:
        rows = goldmod.load_gold(path, units(), REDIRECTS)
        matches = [m for m in goldmod.match_rows(con, rows, root) if m.matched]
        by_step = {(m.trial_id, m.seq): m.gold for m in matches}
        for tid, step, unit, target in goldmod.step_targets(con, list(by_step)):
            if unit == spec.unit:
                ids = set(by_step[(tid, step)].labels[unit]) & set(spec.labels)
                out.setdefault((tid, target), set()).update(ids)
    return out


def human_labels(con: duckdb.DuckDBPyConnection, spec: ModelSpec) -> dict[tuple[str, int], dict[str, bool]]:
    """(trial_id, seq) -> {ID: accepted?} from the auditors' latest decisions on the spec's IDs."""
    con.register("_model_ids", pa.table({"label_id": list(spec.labels)}))
    try:
        rows = con.execute(
            "SELECT trial_id, seq, label_id, decision FROM human_decisions WHERE unit = ? AND seq IS NOT NULL "
            "AND label_id IN (SELECT label_id FROM _model_ids)", [spec.unit]).fetchall()
    finally:
        con.unregister("_model_ids")
    out: dict[tuple[str, int], dict[str, bool]] = {}
    for tid, seq, lid, decision in rows:
        out.setdefault((tid, seq), {})[lid] = decision == "accepted"
    return out


def rule_labels(con: duckdb.DuckDBPyConnection, spec: ModelSpec) -> pl.DataFrame:
    """trial_id, seq, rule_ids: the spec's IDs that rules gave each labelled step."""
    con.register("_model_ids", pa.table({"label_id": list(spec.labels)}))
    try:
        return con.sql(
            "SELECT trial_id, seq, list(DISTINCT label_id ORDER BY label_id) AS rule_ids FROM current_labels "
            "WHERE unit = ? AND source IN ('rule', 'rule+model') AND seq IS NOT NULL "
            "AND label_id IN (SELECT label_id FROM _model_ids) GROUP BY ALL", params=[spec.unit]).pl()
    finally:
        con.unregister("_model_ids")


def database_set(con: duckdb.DuckDBPyConnection, spec: ModelSpec, gold_files: Sequence[str | os.PathLike[str]] = (),
                 root: str | os.PathLike[str] | None = None, *, weak: bool = True) -> TrainingSet:
    """Rows from the database: human-labelled steps (gold files, human_labels) and, with
    ``weak``, every other step of the unit with its rule labels."""
    gold = gold_labels(con, spec, gold_files, root)
    human = human_labels(con, spec)
    ruled = {(r["trial_id"], r["seq"]): set(r["rule_ids"]) for r in rule_labels(con, spec).iter_rows(named=True)}
    trial_ids = [r[0] for r in con.execute("SELECT trial_id FROM trials ORDER BY trial_id").fetchall()]
    if not weak:
        wanted = {k[0] for k in gold} | {k[0] for k in human}
        trial_ids = [t for t in trial_ids if t in wanted]
    parts = []
    for batch in batches(con, trial_ids):  # bounded by trials and by characters, as classify reads
        parts.append(step_inputs(read_frames(con, batch), spec.unit))
    if not parts or not sum(p.height for p in parts):
        return TrainingSet.empty(spec)
    inputs = pl.concat(parts)
    labels, origin, keep = [], [], []
    for i, (tid, seq) in enumerate(inputs.select("trial_id", "seq").iter_rows()):
        key = (tid, seq)
        base = ruled.get(key, set())
        if key in human or key in gold:
            ids = set(gold[key]) if key in gold else set(base)
            for lid, accepted in human.get(key, {}).items():
                if accepted:
                    ids.add(lid)
                else:
                    ids.discard(lid)
            labels.append(sorted(ids))
            origin.append("human")
            keep.append(i)
        elif weak:
            labels.append(sorted(base))
            origin.append("rule")
            keep.append(i)
    inputs = inputs[keep]
    origin_arr = np.array(origin, dtype=object)
    ts = TrainingSet(spec, inputs, targets(labels, spec.labels), spec.labels,
                     inputs["trial_id"].to_numpy().astype(object), origin_arr)
    weak_rows = np.flatnonzero(origin_arr == "rule")
    if weak_rows.size > MAX_WEAK_ROWS:
        rng = np.random.default_rng(0)
        drop = rng.choice(weak_rows, weak_rows.size - MAX_WEAK_ROWS, replace=False)
        mask = np.ones(len(ts), dtype=bool)
        mask[drop] = False
        ts = ts.subset(mask)
    return ts


def training_set(spec: ModelSpec, con: duckdb.DuckDBPyConnection | None = None,
                 gold_files: Sequence[str | os.PathLike[str]] = (), root: str | os.PathLike[str] | None = None, *,
                 weak: bool = True, examples: bool = True) -> TrainingSet:
    """Every row ``spec`` learns from (see the module docstring)."""
    parts = [example_set(spec)] if examples else []
    if con is not None:
        parts.append(database_set(con, spec, gold_files, root, weak=weak))
    return TrainingSet.concat(spec, parts)
