"""Score the database's labels against a gold file: match, predict, count, summarise."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import duckdb
import pyarrow as pa

from .. import gold as goldmod
from ..classifiers.registry import REDIRECTS, active_rules, all_models, units
from ..gold import UNITS, GoldRow
from .bootstrap import bootstrap_f1
from .metrics import averages, confusion, label_stats
from .results import EvalResult, RowResult


def load_gold(path: str | os.PathLike[str]) -> list[GoldRow]:
    """Read and check a gold file against the catalogue (see :func:`redline.gold.load_gold`)."""
    return goldmod.load_gold(path, units(), REDIRECTS)


def registry_universe() -> dict[str, tuple[str, ...]]:
    """Label IDs scored per unit: those an active registered rule gives for that unit."""
    out: dict[str, list[str]] = {u: [] for u in UNITS}
    for rule in active_rules():
        if rule.unit in out:
            out[rule.unit].append(rule.id)
    return {u: tuple(ids) for u, ids in out.items()}


#: label sources ``redline eval`` can score separately: which ``labels.source`` values count
#: (``model`` also counts a label model's decisions kept as suggestions: where the rule was silent
#: and the score lay between the model's threshold and its adding threshold)
SOURCES: dict[str, tuple[str, ...]] = {
    "rule": ("rule", "rule+model"),
    "model": ("model", "rule+model"),
}


def _step_predictions(
    con: duckdb.DuckDBPyConnection, steps: list[tuple[str, int]], universe: Mapping[str, Iterable[str]],
    source: str | None = None,
) -> dict[tuple[str, int], dict[str, frozenset[str]]]:
    """(trial_id, action seq) -> unit -> current label IDs on the steps the gold row is about
    (only those a ``source`` gave, when one is named)."""
    result: dict[tuple[str, int], dict[str, set[str]]] = {s: {u: set() for u in UNITS} for s in steps}
    wanted = [(lid, unit) for unit, ids in universe.items() for lid in ids]
    targets = goldmod.step_targets(con, steps)
    if not wanted or not targets:
        return {s: {u: frozenset() for u in UNITS} for s in steps}
    con.register("_eval_targets", pa.table({
        "trial_id": [t[0] for t in targets], "step": pa.array([t[1] for t in targets], pa.int32()),
        "unit": [t[2] for t in targets], "target": pa.array([t[3] for t in targets], pa.int32())}))
    con.register("_eval_labels", pa.table({"label_id": [w[0] for w in wanted], "unit": [w[1] for w in wanted]}))
    labels = "current_labels"
    if source is not None:
        labels = ("(SELECT trial_id, seq, unit, label_id, source FROM current_labels WHERE source IN ("
                  + ", ".join(f"'{s}'" for s in SOURCES[source]) + ")"
                  + (" UNION ALL SELECT trial_id, seq, unit, label_id, 'model' FROM current_suggestions "
                     "WHERE model = label_id" if source == "model" else "") + ")")
    try:
        rows = con.execute(
            f"""
            SELECT DISTINCT t.trial_id, t.step, t.unit, l.label_id
            FROM _eval_targets t
            JOIN {labels} l ON l.trial_id = t.trial_id AND l.seq = t.target AND l.unit = t.unit
            JOIN _eval_labels w ON w.label_id = l.label_id AND w.unit = l.unit
            """
        ).fetchall()
    finally:
        con.unregister("_eval_targets")
        con.unregister("_eval_labels")
    for tid, step, unit, lid in rows:
        result[(tid, step)][unit].add(lid)
    return {s: {u: frozenset(v) for u, v in by_unit.items()} for s, by_unit in result.items()}


def evaluate(
    con: duckdb.DuckDBPyConnection,
    gold_path: str | os.PathLike[str],
    root: str | os.PathLike[str] | None = None,
    *,
    universe: Mapping[str, Iterable[str]] | None = None,
    source: str | None = None,
) -> EvalResult:
    """Score the database's labels against a gold file (see :mod:`redline.evaluation`).

    ``universe`` overrides the label IDs scored per unit (default: :func:`registry_universe`).
    ``source`` (``rule`` or ``model``) scores only the labels that source gave (a label both
    gave counts for each); None scores every current label, auditors' decisions included.
    """
    if source is not None and source not in SOURCES:
        raise ValueError(f"unknown label source {source!r} (one of {', '.join(SOURCES)})")
    rows = load_gold(gold_path)
    scored = (registry_universe() if universe is None
              else {u: tuple(universe.get(u, ())) for u in UNITS})
    results = [RowResult(m.gold, m.trial_id, m.seq, m.matched_by) for m in goldmod.match_rows(con, rows, root)]
    steps = sorted({(r.trial_id, r.seq) for r in results if r.matched})  # type: ignore[misc]
    preds = _step_predictions(con, steps, scored, source)
    for r in results:
        r.predicted = preds[(r.trial_id, r.seq)] if r.matched else {u: frozenset() for u in UNITS}  # type: ignore[index]

    # which labels to list: in the universe and present in gold or predictions
    not_scored: dict[str, int] = {}
    present: dict[str, set[str]] = {u: set() for u in UNITS}
    for r in results:
        for u in UNITS:
            for lid in r.gold.labels[u]:
                if lid in scored[u]:
                    present[u].add(lid)
                else:
                    not_scored[lid] = not_scored.get(lid, 0) + 1
            present[u] |= set(r.predicted[u])
    ordered = [(u, lid) for u in UNITS for lid in scored[u] if lid in present[u]]

    tp, fp, fn, misses = confusion(results, ordered, scored)
    low, high = bootstrap_f1(tp, fp, fn)
    labels = label_stats(ordered, tp, fp, fn, low, high)
    micro, macro = averages(labels, UNITS)
    # worst labels first (most errors), then false negatives before false positives, in gold order
    errors = {lid: s.fp + s.fn for lid, s in labels.items()}
    order_index = {lid: j for j, (_, lid) in enumerate(ordered)}
    misses.sort(key=lambda m: (-errors[m.label], order_index[m.label], m.kind != "FN"))
    return EvalResult(
        labels=labels, micro=micro, macro=macro,
        matched=sum(r.matched for r in results),
        unmatched=[r.gold.item_id for r in results if not r.matched],
        rows=results, misses=misses, universe=dict(scored),
        not_scored=dict(sorted(not_scored.items())),
        ordinal_fallbacks=[r.gold.item_id for r in results if r.matched_by == "ordinal"],
    )


def model_covered(universe: Mapping[str, Iterable[str]] | None = None) -> list[str]:
    """The scored IDs that a ``label`` model predicts as well as a rule."""
    scored = registry_universe() if universe is None else universe
    ids = {lid for m in all_models() if m.kind == "label" for lid in m.labels}
    return [lid for unit in UNITS for lid in scored.get(unit, ()) if lid in ids]


def evaluate_sources(
    con: duckdb.DuckDBPyConnection,
    gold_path: str | os.PathLike[str],
    root: str | os.PathLike[str] | None = None,
) -> dict[str, EvalResult]:
    """The same gold file scored three ways: ``combined`` (every current label), ``rule`` and
    ``model`` (only what each source gave), over the IDs a model covers."""
    ids = model_covered()
    universe = {u: tuple(lid for lid in registry_universe()[u] if lid in ids) for u in UNITS}
    return {name: evaluate(con, gold_path, root, universe=universe, source=source)
            for name, source in (("rule", "rule"), ("model", "model"), ("combined", None))}
