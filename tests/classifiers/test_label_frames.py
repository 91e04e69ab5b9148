"""label_frames gives one label per (step, ID), the first evidence found, however the rules'
rows come: a custom rule's repeated rows, a command rule whose line also matches its fallback,
two rules of one ID."""

from __future__ import annotations

import polars as pl

from redline.classifiers.engine import label_frames, rule_hits
from redline.classifiers.examples import steps_trial
from redline.classifiers.frames import Frames
from redline.classifiers.rule import Rule, program
from redline.convert import trials_to_arrow


def _frames(*steps: dict) -> Frames:
    return Frames.from_arrow(*trials_to_arrow([steps_trial(steps)]))


def _twice(frames: Frames) -> pl.DataFrame:
    """Each action twice, the second copy with other evidence."""
    actions = frames.actions.select("trial_id", "seq", pl.lit("first").alias("evidence"))
    return pl.concat([actions, actions.with_columns(pl.lit("second").alias("evidence"))])


def _keys(labels: pl.DataFrame) -> list[tuple]:
    return labels.select("seq", "label_id", "evidence").rows()


def test_a_custom_rule_that_finds_a_step_twice_labels_it_once_with_the_first_evidence():
    frames = _frames({"kind": "action", "text": "ls"}, {"kind": "observation", "text": "a"},
                     {"kind": "action", "text": "pwd"})
    rule = Rule(id="TEST-TWICE", name="twice", on="action", summary="s", custom=_twice)
    labels = label_frames(frames, [rule])
    assert _keys(labels) == [(0, "TEST-TWICE", "first"), (2, "TEST-TWICE", "first")]
    assert _keys(rule_hits(rule, frames)) == _keys(labels)


def test_a_step_found_by_a_command_match_and_by_the_fallback_is_labelled_once():
    # the line does not parse as a whole (an unclosed quote), so its text is read by the
    # fallback; the parser still gives its first command, which the match finds
    frames = _frames({"kind": "action", "text": "zork --go; echo 'unclosed"})
    rule = Rule(id="TEST-BOTH", name="both", on="command", summary="s", match=program("zork"),
                fallback=r"zork")
    assert frames.commands.filter(pl.col("program") == "zork").height == 1
    assert frames.actions.filter(pl.col("parse_error").is_not_null()).height == 1
    labels = label_frames(frames, [rule])
    assert _keys(labels) == [(0, "TEST-BOTH", "zork --go")]
    assert _keys(rule_hits(rule, frames)) == _keys(labels)


def test_two_rules_of_one_id_give_one_label_per_step_the_first_rules():
    frames = _frames({"kind": "action", "text": "ls"})
    first = Rule(id="TEST-SAME", name="same", on="action", summary="s", custom=_twice)
    second = Rule(id="TEST-SAME", name="same", on="action", summary="s2",
                  custom=lambda f: f.actions.select("trial_id", "seq", pl.lit("other").alias("evidence")))
    labels = label_frames(frames, [second, first])
    assert _keys(labels) == [(0, "TEST-SAME", "other")]


def test_labels_of_distinct_rules_keep_each_rules_rows_in_rule_order():
    frames = _frames({"kind": "action", "text": "ls"}, {"kind": "action", "text": "pwd"})
    a = Rule(id="TEST-A", name="a", on="action", summary="s", custom=_twice)
    b = Rule(id="TEST-B", name="b", on="action", summary="s",
             custom=lambda f: f.actions.filter(pl.col("text") == "pwd").select("trial_id", "seq"))
    labels = label_frames(frames, [b, a])
    assert labels.select("seq", "label_id").rows() == [(1, "TEST-B"), (0, "TEST-A"), (1, "TEST-A")]
