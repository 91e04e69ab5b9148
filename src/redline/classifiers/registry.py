"""The classifier registry: every catalogue entry, by stable ID, and what is known about it.

Entries are the rules (one module per family in :mod:`redline.classifiers.rules`, each exposing
``RULES``; a family is registered by adding its module to ``FAMILIES``) and the other catalogue
entries (the ``RES-*`` strategies, :mod:`redline.classifiers.strategies`). The code table
(:mod:`redline.classifiers.catalogue`) lists every ID once with its severity; the registry
checks that each ID in it has exactly one entry and each entry's ID is in it, and, when this
module is imported, that every rule's regexes and columns are sound
(:meth:`~redline.classifiers.rule.Rule.check_declaration`,
:meth:`~redline.classifiers.rule.Rule.check_custom`). Checking them and computing every rule's
version (a fingerprint of its source) take a while, so both are done once per source: the
versions are kept in the user's cache directory, keyed by a digest of the source
(:func:`~redline.classifiers.versions.cached_rule_versions`), and a process that loads the same
source again reads them back.

The learned classifiers (:mod:`redline.classifiers.models`) are listed beside them
(:func:`all_models`, :func:`get_model`, :func:`models_for`): a model predicts catalogue IDs
that a rule also covers, so it is not a second entry for the ID but a second source of its
labels; the registry checks that every ID a model predicts is a catalogue ID of the model's unit.
"""

from __future__ import annotations

from functools import lru_cache

from .catalogue import CODES, REDIRECTS, Severity
from .entry import Entry
from .frames import empty_frames
from .models.declared import MODELS
from .models.spec import ModelSpec
from .rule import Rule
from .rules import DECLARED, FAMILIES
from .strategies import ENTRIES as STRATEGY_ENTRIES
from .versions import cache_rule_versions, cached_rule_versions

CatalogueEntry = Rule | Entry


@lru_cache(maxsize=1)
def _entries() -> tuple[CatalogueEntry, ...]:
    entries: list[CatalogueEntry] = [rule for family in FAMILIES for rule in family.RULES]
    entries += STRATEGY_ENTRIES
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise RuntimeError(f"catalogue ID {entry.id} is registered twice")
        if entry.id not in CODES:
            raise RuntimeError(f"{entry.id} is not in the catalogue's code table (classifiers/catalogue.py)")
        seen.add(entry.id)
    missing = [cid for cid in CODES if cid not in seen]
    if missing:
        raise RuntimeError(f"catalogue IDs without an entry: {', '.join(missing)}")
    rules = [e for e in entries if isinstance(e, Rule)]
    known = cached_rule_versions()
    if known is not None and all(r.id in known for r in rules):
        for rule in rules:  # computed, and checked, by an earlier process with this very source
            rule.known_version(known[rule.id])
    else:
        for rule in DECLARED:
            rule.check_declaration()
        frames = empty_frames()
        for rule in rules:
            rule.check_custom(frames)
        cache_rule_versions({r.id: r.classifier_version for r in rules})
    order = {cid: n for n, cid in enumerate(CODES)}
    _check_models(entries)
    return tuple(sorted(entries, key=lambda e: order[e.id]))


def _check_models(entries: list[CatalogueEntry]) -> None:
    """Every model's key is unique; a model keyed by a catalogue ID predicts that ID, a unit it
    has; a suggestion model suggests high-severity IDs only."""
    unit_of = {e.id: e.unit for e in entries}
    keys: set[str] = set()
    for model in MODELS:
        if model.id in keys:
            raise RuntimeError(f"model {model.id} is declared twice")
        keys.add(model.id)
        if model.id in CODES and model.labels != (model.id,):
            raise RuntimeError(f"model {model.id} is keyed by a catalogue ID but predicts {model.labels}")
        for lid in model.labels:
            if unit_of.get(lid) != model.unit:
                raise RuntimeError(f"model {model.id}: {lid} is a {unit_of.get(lid)} label, not a {model.unit} label")
            if model.kind == "suggestion" and CODES[lid] != "high":
                raise RuntimeError(f"model {model.id}: suggests {lid}, which is not high severity")


def all_entries() -> list[CatalogueEntry]:
    """Every catalogue entry (rules and strategies), in the catalogue's order."""
    return list(_entries())


def all_rules() -> list[Rule]:
    """Every registered rule, in the catalogue's order."""
    return [e for e in _entries() if isinstance(e, Rule)]


def all_models() -> list[ModelSpec]:
    """Every declared learned classifier (:mod:`redline.classifiers.models`)."""
    _entries()
    return list(MODELS)


def get_model(model_id: str) -> ModelSpec:
    """The model with this key (a catalogue ID such as MSG-SELFPRES, or SUGGEST-HIGH)."""
    wanted = canonical_id(model_id)
    for model in all_models():
        if model.id == wanted:
            return model
    raise KeyError(f"no model {model_id!r}; models: {', '.join(m.id for m in MODELS)}")


def models_for(entry_id: str) -> list[ModelSpec]:
    """The models that predict this catalogue ID."""
    wanted = canonical_id(entry_id)
    return [m for m in all_models() if wanted in m.labels]


def active_rules() -> list[Rule]:
    return [r for r in all_rules() if r.status != "deprecated"]


def canonical_id(entry_id: str) -> str:
    """The current ID for an ID (upper-cased, following redirects of retired IDs)."""
    wanted = entry_id.upper()
    return REDIRECTS.get(wanted, wanted)


def get_entry(entry_id: str) -> CatalogueEntry:
    wanted = canonical_id(entry_id)
    for entry in _entries():
        if entry.id == wanted:
            return entry
    raise KeyError(f"no classifier {entry_id!r}; run 'redline rules' to list them")


def get_rule(rule_id: str) -> Rule:
    entry = get_entry(rule_id)
    if not isinstance(entry, Rule):
        raise KeyError(f"{entry.id} is computed by the analysis, not by a classifier rule")
    return entry


def severity(entry_id: str) -> Severity:
    """How much an auditor should care about this ID: ``high``, ``medium`` or ``low``."""
    wanted = canonical_id(entry_id)
    try:
        return CODES[wanted]
    except KeyError:
        raise KeyError(f"no catalogue ID {entry_id!r}") from None


def units() -> dict[str, str]:
    """Catalogue ID -> the unit its labels attach to (``episode`` for strategies)."""
    return {e.id: e.unit for e in _entries()}


_entries()  # a broken entry or a bad regex fails here, at import, naming the entry
