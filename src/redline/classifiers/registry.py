"""The classifier registry: every rule, by stable ID.

Built-in rule families live in :mod:`redline.classifiers.rules`, one module per family; each
module exposes ``RULES``. A family is registered by adding its module to ``FAMILIES``.
"""

from __future__ import annotations

from .catalogue import CATALOGUE
from .rule import Rule
from .rules import FAMILIES
from .strategies import STRATEGIES, Strategy, get_strategy

#: retired or renamed IDs and the ID that replaces them (IDs are never reused)
REDIRECTS: dict[str, str] = {}


def all_rules() -> list[Rule]:
    """Every registered rule, in the behaviour catalogue's order (IDs outside it last)."""
    order = {rule_id: n for n, rule_id in enumerate(CATALOGUE)}
    rules = sorted((rule for family in FAMILIES for rule in family.RULES),
                   key=lambda r: order.get(r.id, len(order)))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuntimeError(f"classifier ID {rule.id} is registered twice")
        seen.add(rule.id)
    return rules


def active_rules() -> list[Rule]:
    return [r for r in all_rules() if r.status != "deprecated"]


def get_rule(rule_id: str) -> Rule:
    wanted = REDIRECTS.get(rule_id.upper(), rule_id.upper())
    for rule in all_rules():
        if rule.id == wanted:
            return rule
    raise KeyError(f"no classifier {rule_id!r}; run 'redline rules' to list them")


def all_strategies() -> list[Strategy]:
    """The obstacle-resolution strategies (``RES-*``): found by the analysis, documented here."""
    return list(STRATEGIES)


def documented() -> list[Rule | Strategy]:
    """What ``redline rules`` lists: every classifier, then every strategy."""
    return [*all_rules(), *all_strategies()]


def get_documented(entry_id: str) -> Rule | Strategy:
    """A classifier or a strategy by ID (``redline rule ID``)."""
    try:
        return get_rule(entry_id)
    except KeyError:
        try:
            return get_strategy(entry_id)
        except KeyError:
            raise KeyError(f"no classifier or strategy {entry_id!r}; run 'redline rules' to list them") from None
