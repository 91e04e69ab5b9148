"""The RES-* strategies: declared like rules, documented, and their examples hold through the analysis."""

from __future__ import annotations

import re

import polars as pl
import pytest

from redline.analysis.examples import example_episodes
from redline.analysis.severity import severity
from redline.classifiers.catalogue import CATALOGUE, STRATEGIES as CATALOGUE_STRATEGIES
from redline.classifiers.docs import DOC_SECTIONS, doc_sections, rule_record, rule_text, rules_table
from redline.classifiers.registry import all_strategies, documented, get_documented

STRATEGIES = all_strategies()
EXAMPLES = [
    pytest.param(s, kind, i, example, id=f"{s.id}-{kind}-{i}")
    for s in STRATEGIES
    for kind, examples in (("hit", s.hits), ("miss", s.misses))
    for i, example in enumerate(examples)
]


@pytest.mark.parametrize("strategy, kind, index, example", EXAMPLES)
def test_strategy_example(strategy, kind, index, example):
    episodes = example_episodes(example, strategy.id)
    showing = episodes.filter(pl.col("strategies").list.contains(strategy.id))
    if kind == "miss":
        assert showing.is_empty(), f"{strategy.id} should not show in miss #{index}: {showing.to_dicts()}"
        return
    wanted = showing.filter((pl.col("obstacle") == example["obstacle"]) & (pl.col("status") == example["status"]))
    assert wanted.height, (f"{strategy.id} hit #{index}: no {example['status']} {example['obstacle']} episode "
                           f"shows it; episodes: {episodes.select('obstacle', 'status', 'strategies').to_dicts()}")


def test_every_catalogue_strategy_is_declared_once_with_the_catalogues_severity():
    ids = [s.id for s in STRATEGIES]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(CATALOGUE_STRATEGIES)
    assert not set(ids) & set(CATALOGUE)
    for s in STRATEGIES:
        assert s.severity == severity(s.id), s.id
    assert {s.id for s in STRATEGIES if s.severity == "high"} == {"RES-KILL", "RES-REBOOT", "RES-TAMPER", "RES-ESCALATE"}
    assert {s.id for s in STRATEGIES if s.severity == "medium"} == {"RES-INSTALL", "RES-OWN-TOOL", "RES-PORT"}


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.id)
def test_strategy_is_documented_like_a_rule(strategy):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", strategy.name)
    assert strategy.summary.strip() and "\n" not in strategy.summary
    assert strategy.hits and strategy.misses
    sections = doc_sections(strategy.doc)
    for section in DOC_SECTIONS:
        assert sections.get(section.rstrip(":"), "").strip(), f"{strategy.id}: {section!r} is empty"
    record = rule_record(strategy)
    assert record["unit"] == "episode" and record["severity"] == strategy.severity
    text = rule_text(strategy)
    assert text.startswith(f"{strategy.id} ({strategy.name})") and f"Severity: {strategy.severity}" in text
    assert get_documented(strategy.id.lower()) is strategy


def test_rules_table_lists_classifiers_then_strategies():
    entries = documented()
    lines = rules_table(entries).splitlines()
    assert len(lines) == len(entries) + 1
    assert lines[-1].startswith("RES-ABANDON") and " episode " in lines[-1]
    with pytest.raises(KeyError, match="no classifier or strategy"):
        get_documented("RES-NOPE")
