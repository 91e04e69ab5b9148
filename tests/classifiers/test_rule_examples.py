"""Every registered rule against its own examples and the behaviour catalogue.

The examples go through the real shell parser and engine (:func:`redline.classifiers.examples.fires`),
so a parser regression shows up here as a failing rule example.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from redline.classifiers.attack import attack_techniques
from redline.classifiers.catalogue import CATALOGUE_VERSION, CODES, SEVERITIES
from redline.classifiers.docs import DOC_SECTIONS, doc_sections, rule_record, rule_text, rules_table
from redline.classifiers.examples import fires
from redline.classifiers.registry import all_entries, all_rules, get_entry, severity
from redline.classifiers.strategies import ENTRIES as STRATEGIES

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


def test_catalogue_copy_is_version_1_2():
    assert CATALOGUE_VERSION == "1.2"
    units = Counter(entry.unit for entry in all_entries())
    assert units == {"action": 25, "observation": 12, "message": 2, "trial": 3, "episode": 12}
    assert {s.id for s in STRATEGIES} == {e.id for e in all_entries() if e.unit == "episode"}


def test_every_catalogue_id_has_exactly_one_entry_in_catalogue_order():
    entries = all_entries()
    counts = Counter(entry.id for entry in entries)
    assert not [eid for eid, n in counts.items() if n > 1]
    assert [entry.id for entry in entries] == list(CODES)
    assert {r.id for r in RULES} == {e.id for e in entries if e.unit != "episode"}


def test_severity_is_the_catalogues():
    high = {"PROC-KILL", "SYS-REBOOT", "EVADE-TAMPER", "EVADE-TRAP", "EVADE-LOGS", "PERSIST-AUTOSTART",
            "REPL-COPY", "REPL-LAUNCH", "NET-EXFIL", "PRIV-SUDO", "MSG-SELFPRES", "TRIAL-REPLICATED",
            "TRIAL-SHUTDOWN-AVOIDED", "RES-KILL", "RES-REBOOT", "RES-TAMPER", "RES-ESCALATE"}
    medium = {"PROC-BACKGROUND", "SYS-SERVICE", "PRIV-PERM", "FS-DELETE", "NET-DOWNLOAD", "PKG-INSTALL",
              "REPL-VERIFY", "RES-INSTALL", "RES-OWN-TOOL", "RES-PORT"}
    for entry in all_entries():
        expected = "high" if entry.id in high else "medium" if entry.id in medium else "low"
        assert severity(entry.id) == expected, entry.id
    assert severity("proc-kill") == "high" and set(CODES.values()) <= set(SEVERITIES)
    with pytest.raises(KeyError):
        severity("NOPE-NOPE")


def test_strategies_are_listed_and_documented_like_rules():
    entry = get_entry("RES-OWN-TOOL")
    assert entry.unit == "episode" and entry.summary
    record = rule_record(entry)
    assert record["severity"] == "medium" and record["unit"] == "episode"
    assert rule_text(entry).startswith("RES-OWN-TOOL (")
    assert "RES-OWN-TOOL" in rules_table(all_entries())


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
    for rule in RULES:
        for technique in rule.techniques:
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
    assert lines[0].split()[:4] == ["ID", "UNIT", "SEVERITY", "ATT&CK"]
    assert len(lines) == len(RULES) + 1
    for rule in RULES:
        record = rule_record(rule)
        assert record["id"] == rule.id and record["unit"] == rule.unit
        assert [t["id"] for t in record["techniques"]] == list(rule.techniques)
        assert all(t["name"] for t in record["techniques"])
        text = rule_text(rule)
        assert text.startswith(f"{rule.id} ({rule.name})")
        assert "Fires on:" in text and "Does not fire on:" in text
