"""Every registered rule against its own examples and the behaviour catalogue.

The examples go through the real shell parser and engine (:func:`redline.classifiers.examples.fires`),
so a parser regression shows up here as a failing rule example.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from redline.classifiers.catalogue import CATALOGUE, CATALOGUE_VERSION, STRATEGIES, attack_techniques
from redline.classifiers.docs import DOC_SECTIONS, doc_sections, rule_record, rule_text, rules_table
from redline.classifiers.examples import fires
from redline.classifiers.registry import all_rules

RULES = all_rules()
EXAMPLES = [
    pytest.param(rule, kind, i, example, id=f"{rule.id}-{kind}-{i}")
    for rule in RULES
    for kind, examples in (("hit", rule.hits), ("miss", rule.misses))
    for i, example in enumerate(examples)
]

TECHNIQUE_ID = re.compile(r"T\d{4}(\.\d{3})?")


@pytest.mark.parametrize("rule, kind, index, example", EXAMPLES)
def test_rule_example(rule, kind, index, example):
    fired = fires(rule, example)
    if kind == "hit":
        assert fired, f"{rule.id} should fire on hit #{index}: {example!r}"
    else:
        assert not fired, f"{rule.id} should not fire on miss #{index}: {example!r}"


def test_catalogue_copy_is_version_1_1():
    assert CATALOGUE_VERSION == "1.1"
    units = Counter(unit for unit, _, _ in CATALOGUE.values())
    assert units == {"action": 25, "observation": 12, "message": 2, "trial": 3}
    assert not set(STRATEGIES) & set(CATALOGUE)


def test_every_catalogue_id_is_implemented_exactly_once():
    counts = Counter(rule.id for rule in RULES)
    twice = sorted(rid for rid, n in counts.items() if n > 1)
    missing = sorted(set(CATALOGUE) - set(counts))
    unknown = sorted(set(counts) - set(CATALOGUE))
    assert not twice, f"registered more than once: {twice}"
    assert not missing, f"catalogue IDs without a classifier: {missing}"
    assert not unknown, f"classifiers whose ID is not in the catalogue: {unknown}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_matches_catalogue_unit_and_techniques(rule):
    assert rule.id in CATALOGUE, f"{rule.id} is not a catalogue ID"
    unit, _name, techniques = CATALOGUE[rule.id]
    assert rule.unit == unit
    assert tuple(rule.techniques) == techniques


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_techniques_are_real_attack_ids(rule):
    known = attack_techniques()
    for technique in rule.techniques:
        assert TECHNIQUE_ID.fullmatch(technique), f"{rule.id}: malformed technique {technique!r}"
        assert technique in known, f"{rule.id}: {technique} is not an Enterprise ATT&CK technique"


def test_attack_table_holds_every_catalogue_technique_and_parent():
    known = attack_techniques()
    assert known["T1057"] == "Process Discovery"
    assert known["T1546.005"] == "Trap"
    assert known["T1070.004"] == "File Deletion"
    for _unit, _name, techniques in CATALOGUE.values():
        for technique in techniques:
            assert technique in known
            assert technique.split(".")[0] in known  # the parent of a sub-technique
    assert all(TECHNIQUE_ID.fullmatch(t) for t in known)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented_with_examples(rule):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), f"{rule.id}: name {rule.name!r} is not kebab-case"
    assert rule.summary.strip() and "\n" not in rule.summary
    assert len(rule.hits) >= 1 and len(rule.misses) >= 1, f"{rule.id} needs hits and misses"
    sections = doc_sections(rule.doc)
    for section in DOC_SECTIONS:
        assert section in rule.doc, f"{rule.id}: doc lacks {section!r}"
        assert sections.get(section.rstrip(":"), "").strip(), f"{rule.id}: {section!r} is empty"


def test_docs_render_every_rule():
    table = rules_table(RULES)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["ID", "UNIT", "ATT&CK"]
    assert len(lines) == len(RULES) + 1
    for rule in RULES:
        record = rule_record(rule)
        assert record["id"] == rule.id and record["unit"] == rule.unit
        assert [t["id"] for t in record["techniques"]] == list(rule.techniques)
        assert all(t["name"] for t in record["techniques"])
        text = rule_text(rule)
        assert text.startswith(f"{rule.id} ({rule.name})")
        assert "Fires on:" in text and "Does not fire on:" in text
