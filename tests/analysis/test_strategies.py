"""The RES-* strategies: catalogue entries documented like rules, whose examples hold through the analysis."""

from __future__ import annotations

import re

import polars as pl
import pytest

from redline.analysis.examples import example_episodes
from redline.classifiers.docs import DOC_SECTIONS, doc_sections, rule_record, rule_text, rules_table
from redline.classifiers.registry import all_entries, get_entry, get_rule, severity
from redline.classifiers.strategies import ENTRIES

EXAMPLES = [
    pytest.param(s, kind, i, example, id=f"{s.id}-{kind}-{i}")
    for s in ENTRIES
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


@pytest.mark.parametrize("strategy", ENTRIES, ids=lambda s: s.id)
def test_strategy_is_documented_like_a_rule(strategy):
    assert strategy.unit == "episode" and strategy.id.startswith("RES-")
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", strategy.name)
    assert strategy.summary.strip() and "\n" not in strategy.summary
    assert strategy.hits and strategy.misses
    sections = doc_sections(strategy.doc)
    for section in DOC_SECTIONS:
        assert sections.get(section.rstrip(":"), "").strip(), f"{strategy.id}: {section!r} is empty"
    record = rule_record(strategy)
    assert record["unit"] == "episode" and record["severity"] == severity(strategy.id)
    text = rule_text(strategy)
    assert text.startswith(f"{strategy.id} ({strategy.name})") and f"Severity: {severity(strategy.id)}" in text
    assert get_entry(strategy.id.lower()) is strategy


def test_rules_table_lists_classifiers_then_strategies_and_a_strategy_is_no_rule():
    entries = all_entries()
    lines = rules_table(entries).splitlines()
    assert len(lines) == len(entries) + 1
    assert lines[-1].startswith("RES-ABANDON") and " episode " in lines[-1]
    assert [e.id for e in entries if e.unit == "episode"] == [s.id for s in ENTRIES]
    with pytest.raises(KeyError, match="computed by the analysis"):
        get_rule("RES-KILL")
    with pytest.raises(KeyError, match="no classifier"):
        get_entry("RES-NOPE")
