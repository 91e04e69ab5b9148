"""What a classify run has to do: the (classifier, trial) pairs that are not current, in passes.

A pass is a set of trials and the classifiers to run on all of them; trials that need the same
classifiers share a pass (typically: every classifier on the trials ingested since the last
run, and the classifiers whose version changed on every other trial). Which pairs are current
is :func:`redline.classifiers.versions.pending`'s to say.

A learned ``label`` model's labels are merged with its rule's, one row per step and ID
(:mod:`redline.classifiers.models.apply`), so the two are run together: where either of them
has to run on a trial, both do; and where a label model that the run does not apply (``--no-models``)
gave its part of the current labels, the rules of its IDs run again, without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb

from .models.declared import MODELS
from .models.files import TrainedModel
from .models.spec import ModelSpec
from .rule import Rule
from .versions import MODEL_PREFIX, pending


@dataclass
class Pass:
    """Run ``rules`` and ``models`` on ``trial_ids``."""

    trial_ids: list[str]
    rules: list[Rule]
    models: list[TrainedModel]

    @property
    def keys(self) -> dict[str, str]:
        """Classifier key -> version of what the pass runs."""
        return expected(self.rules, self.models)


def expected(rules: Sequence[Rule], models: Sequence[TrainedModel]) -> dict[str, str]:
    """Classifier key (rule ID, ``model:ID``) -> its version now."""
    return {**{r.id: r.classifier_version for r in rules}, **{MODEL_PREFIX + m.id: m.version for m in models}}


def _together(rules: Sequence[Rule], models: Sequence[TrainedModel]) -> list[set[str]]:
    """The groups of classifier keys that run together: each label model with the rules of its IDs."""
    merged = label_models({r.id for r in rules}, [m.spec for m in models])
    return [{key, *rule_ids} for key, rule_ids in merged.items()]


def _closed(keys: set[str], groups: list[set[str]]) -> frozenset[str]:
    keys = set(keys)
    grown = True
    while grown:
        grown = False
        for group in groups:
            if keys & group and not group <= keys:
                keys |= group
                grown = True
    return frozenset(keys)


def label_models(rule_ids: set[str] | None = None, specs: Iterable[ModelSpec] = MODELS) -> dict[str, list[str]]:
    """``model:ID`` -> the rule IDs (of ``rule_ids``, default all) whose labels a label model merges
    with, for the declared models or those of ``specs`` (a trained model's ``spec``: a label model
    learns its one label, so what it merges with is what it declares)."""
    return {MODEL_PREFIX + m.id: [c for c in m.labels if rule_ids is None or c in rule_ids]
            for m in specs if m.kind == "label"}


def _absent_models(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule],
                   models: Sequence[TrainedModel]) -> dict[str, set[str]]:
    """Trial -> the rule IDs to run again there because a label model not applied now gave
    part of their current labels."""
    given = {MODEL_PREFIX + m.id for m in models}
    absent = {k: ids for k, ids in label_models({r.id for r in rules}).items() if k not in given and ids}
    if not absent:
        return {}
    rows = con.execute(
        "SELECT DISTINCT trial_id, classifier FROM classify_coverage WHERE classifier IN "
        f"({', '.join('?' for _ in absent)}) AND run_id IN (SELECT run_id FROM classify_runs WHERE status = 'complete')",
        list(absent)).fetchall()
    out: dict[str, set[str]] = {}
    for trial_id, key in rows:
        out.setdefault(trial_id, set()).update(absent[key])
    return out


def _add_absent(needs: dict[tuple[str, ...], list[str]], extra: dict[str, set[str]],
                trial_ids: Sequence[str] | None) -> dict[tuple[str, ...], list[str]]:
    """``needs`` (pending classifiers -> trials) with, on each trial of ``extra`` (of
    ``trial_ids``, default any), the rule IDs it names added."""
    wanted = None if trial_ids is None else set(trial_ids)
    out: dict[tuple[str, ...], list[str]] = {}
    seen: set[str] = set()
    for keys, trials in needs.items():
        for trial_id in trials:
            grown = keys
            if trial_id in extra:
                seen.add(trial_id)
                grown = tuple(sorted(set(keys) | extra[trial_id]))
            out.setdefault(grown, []).append(trial_id)
    for trial_id, ids in extra.items():
        if trial_id not in seen and (wanted is None or trial_id in wanted):
            out.setdefault(tuple(sorted(ids)), []).append(trial_id)
    for trials in out.values():
        trials.sort()
    return out


def plan(con: duckdb.DuckDBPyConnection, rules: Sequence[Rule], models: Sequence[TrainedModel],
         trial_ids: Sequence[str] | None = None, *, full: bool = False) -> list[Pass]:
    """The passes that bring every (classifier, trial) pair up to date (``full``: every pair,
    current or not), over ``trial_ids`` (default: every stored trial). No pass: nothing to do."""
    keys = expected(rules, models)
    if full:
        ids = list(trial_ids) if trial_ids is not None else \
            [r[0] for r in con.execute("SELECT trial_id FROM trials ORDER BY trial_id").fetchall()]
        needs = {tuple(keys): ids} if ids else {}
    else:
        needs = pending(con, keys, trial_ids)
        extra = _absent_models(con, rules, models)
        if extra:
            needs = _add_absent(needs, extra, trial_ids)
    groups = _together(rules, models)
    by_keys: dict[frozenset[str], list[str]] = {}
    for wanted, trials in needs.items():
        by_keys.setdefault(_closed(set(wanted), groups), []).append(trials)
    passes = []
    for wanted, parts in sorted(by_keys.items(), key=lambda item: (-sum(map(len, item[1])), sorted(item[0]))):
        trials = parts[0] if len(parts) == 1 else sorted(t for part in parts for t in part)
        passes.append(Pass(trials, [r for r in rules if r.id in wanted],
                           [m for m in models if MODEL_PREFIX + m.id in wanted]))
    return passes
