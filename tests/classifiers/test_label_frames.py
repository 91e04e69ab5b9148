"""label_frames gives one label per (step, ID), the first evidence found, however the rules'
rows come: a custom rule's repeated rows, a command rule whose line also matches its fallback,
two rules of one ID; and it lets a once-per-batch helper's result go once no later rule reads it."""

from __future__ import annotations

import dataclasses
import weakref

import polars as pl
import pytest

from redline.classifiers.distinct import filter_rows
from redline.classifiers.engine import label_frames, rule_hits
from redline.classifiers.examples import steps_trial
from redline.classifiers.frames import Frames, per_batch
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


# --------------------------------------------------------------------------- helpers' results let go

CALLS: list[str] = []
KEPT: dict[str, weakref.ref] = {}


@per_batch
def _actions_seen(frames: Frames) -> pl.DataFrame:
    CALLS.append("actions_seen")
    out = frames.actions.select("trial_id", "seq")
    KEPT["actions_seen"] = weakref.ref(out)
    return out


@per_batch
def _built_on(frames: Frames) -> pl.DataFrame:
    CALLS.append("built_on")
    return _actions_seen(frames).head(1)


def _first(frames: Frames) -> pl.DataFrame:
    return _actions_seen(frames)


def _second(frames: Frames) -> pl.DataFrame:
    return _actions_seen(frames).tail(1)


def _after(frames: Frames) -> pl.DataFrame:
    import gc
    gc.collect()
    gone = KEPT["actions_seen"]() is None
    return frames.actions.select("trial_id", "seq", pl.lit(f"gone={gone}").alias("evidence"))


def _through(frames: Frames) -> pl.DataFrame:
    return _built_on(frames)


def _uses_rule(frames: Frames) -> pl.DataFrame:
    return rule_hits(SECOND, frames).select("trial_id", "seq")


FIRST = Rule(id="TEST-FIRST", name="first", on="action", summary="s", custom=_first)
SECOND = Rule(id="TEST-SECOND", name="second", on="action", summary="s", custom=_second)
AFTER = Rule(id="TEST-AFTER", name="after", on="action", summary="s", custom=_after)


@pytest.fixture
def calls():
    CALLS.clear()
    KEPT.clear()
    return CALLS


def test_a_helpers_result_goes_once_the_last_rule_that_reads_it_has_run(calls):
    frames = _frames({"kind": "action", "text": "ls"}, {"kind": "action", "text": "pwd"})
    labels = label_frames(frames, [FIRST, SECOND, AFTER])
    assert calls == ["actions_seen"]  # computed once for both rules that read it
    assert labels.filter(pl.col("label_id") == "TEST-AFTER")["evidence"].unique().to_list() == ["gone=True"]
    assert labels.filter(pl.col("label_id") == "TEST-SECOND")["seq"].to_list() == [1]


def test_a_helper_read_through_another_helper_or_rule_is_kept_while_a_later_rule_reads_it(calls):
    frames = _frames({"kind": "action", "text": "ls"}, {"kind": "action", "text": "pwd"})
    through = Rule(id="TEST-THROUGH", name="through", on="action", summary="s", custom=_through)
    uses = Rule(id="TEST-USES", name="uses", on="action", summary="s", custom=_uses_rule)
    labels = label_frames(frames, [FIRST, through, uses, AFTER])
    # TEST-USES runs TEST-SECOND (not in the list), which reads the helper: kept until then
    assert calls == ["actions_seen", "built_on"]
    assert labels.filter(pl.col("label_id") == "TEST-USES")["seq"].to_list() == [1]
    assert labels.filter(pl.col("label_id") == "TEST-AFTER")["evidence"].unique().to_list() == ["gone=True"]


def test_a_helper_no_rule_after_reads_is_not_kept_past_the_batch_but_computes_again_when_asked(calls):
    frames = _frames({"kind": "action", "text": "ls"})
    label_frames(frames, [FIRST])
    assert _actions_seen(frames).height == 1
    assert calls == ["actions_seen", "actions_seen"]


def _through_again(frames: Frames) -> pl.DataFrame:
    _built_on(frames)  # kept: it does not run again, so neither does what it read
    return _after(frames)


def test_what_a_kept_helper_read_goes_once_the_helper_has_run(calls):
    frames = _frames({"kind": "action", "text": "ls"}, {"kind": "action", "text": "pwd"})
    through = Rule(id="TEST-THROUGH", name="through", on="action", summary="s", custom=_through)
    again = Rule(id="TEST-AGAIN", name="again", on="action", summary="s", custom=_through_again)
    labels = label_frames(frames, [through, again])
    assert calls == ["built_on", "actions_seen"]
    assert labels.filter(pl.col("label_id") == "TEST-AGAIN")["evidence"].unique().to_list() == ["gone=True"]


@per_batch
def _texts(frames: Frames) -> pl.DataFrame:
    out = frames.actions.select("trial_id", "seq", "text")
    KEPT["texts"] = weakref.ref(out)
    return out


def _grouped(frames: Frames) -> pl.DataFrame:
    # a row-wise test over two rows or more: evaluated per distinct text, through a grouping of the frame
    return filter_rows(frames, _texts(frames), pl.col("text").str.contains("^ls")).select("trial_id", "seq")


def _texts_after(frames: Frames) -> pl.DataFrame:
    import gc
    gc.collect()
    gone = KEPT["texts"]() is None
    return frames.actions.select("trial_id", "seq", pl.lit(f"gone={gone}").alias("evidence"))


def test_a_helpers_frame_that_a_rule_filtered_goes_with_its_grouping(calls):
    frames = _frames({"kind": "action", "text": "ls"}, {"kind": "action", "text": "pwd"},
                     {"kind": "action", "text": "ls"})
    grouped = Rule(id="TEST-GROUPED", name="grouped", on="action", summary="s", custom=_grouped)
    after = Rule(id="TEST-TEXTS-AFTER", name="after", on="action", summary="s", custom=_texts_after)
    labels = label_frames(frames, [grouped, after])
    assert labels.filter(pl.col("label_id") == "TEST-GROUPED")["seq"].to_list() == [0, 2]
    assert labels.filter(pl.col("label_id") == "TEST-TEXTS-AFTER")["evidence"].unique().to_list() == ["gone=True"]


def test_the_memo_computes_once_peeks_without_computing_and_forgets_on_request():
    frames = _frames({"kind": "action", "text": "ls"})
    made: list[int] = []
    assert frames.memoized("k") is None
    assert frames.memo("k", lambda: made.append(1) or len(made)) == 1
    assert frames.memo("k", lambda: made.append(1) or len(made)) == 1 and made == [1]
    assert frames.memoized("k") == 1
    assert frames.forget("k") == 1 and frames.memoized("k") is None and frames.forget("k") is None
    assert frames.memo("k", lambda: made.append(1) or len(made)) == 2
    # a copy with other rows keeps nothing the original worked out
    assert dataclasses.replace(frames, actions=frames.actions.clear()).memoized("k") is None


def test_events_with_their_long_strings_copied_are_the_same_events():
    """build_frames first copies the events' long strings into buffers of their own: the same
    values, nulls and order, short and long strings alike."""
    from redline.classifiers.frames import INLINE_BYTES, own_strings

    long = "x" * (INLINE_BYTES + 1)
    events = pl.DataFrame({"trial_id": ["t-with-a-long-id", "t-with-a-long-id", "t2"], "seq": [0, 1, 0],
                           "kind": ["action", "observation", "message"], "text": [long, None, "é" * 40],
                           "attrs": ['{"a": 1}', None, None]})
    assert own_strings(events).equals(events, null_equal=True)
    assert own_strings(events.clear()).equals(events.clear())


def test_conjuncts_after_one_that_keeps_nothing_are_not_evaluated():
    """matching_rows stops at the first conjunct that keeps no row: a later one is not read at
    all (here a pattern that would not even compile), and over no rows filter_rows gives the
    frame as it is."""
    from redline.classifiers.distinct import matching_rows

    frames = _frames({"kind": "action", "text": "ls"}, {"kind": "observation", "text": "ok"},
                     {"kind": "action", "text": "pwd"})
    never = pl.col("text").str.contains("^nothing here$").fill_null(False)
    broken = pl.col("text").str.contains("(").fill_null(False)
    assert matching_rows(frames, frames.actions, [never, broken], ("text",)).is_empty()
    with pytest.raises(pl.exceptions.PolarsError):
        matching_rows(frames, frames.actions, [broken], ("text",))
    none = frames.actions.clear()
    assert filter_rows(frames, none, broken).equals(none)
