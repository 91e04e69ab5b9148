"""Row-wise tests answered once per value across a run's batches, and queries over no rows not
run: the same rows as running them, and no evaluation where the answer is already known."""

from __future__ import annotations

import polars as pl

from redline.classifiers.answers import known_filter
from redline.classifiers.distinct import filter_rows
from redline.classifiers.expressions import filtered, over_rows
from redline.classifiers.frames import empty_frames
from redline.limits import RULE_ANSWERS_ROWS


#: the values :func:`_holds` was evaluated on (a module-level function and list: a test's
#: serialised form names them, so it stays the same as the list grows)
CALLS: list = []


def _holds(row: dict) -> bool | None:
    CALLS.append(row["program"])
    if row["program"] is None:
        return None
    return "kill" in row["program"] or "kill" in " ".join(row["argv"] or [])


def _counting() -> pl.Expr:
    """A row-wise test of ``program`` and ``argv`` that records each value it is evaluated on.
    (Evaluated once here: polars' serialised form of a Python function's expression changes
    after its first run, and the answers are kept by that form.)"""
    test = pl.struct("program", "argv").map_elements(_holds, return_dtype=pl.Boolean)
    pl.DataFrame({"program": ["-"], "argv": [["-"]]}).filter(test)
    return test


def test_known_filter_keeps_the_rows_filter_keeps_and_runs_only_on_new_values():
    test = _counting()
    calls = CALLS
    calls.clear()
    first = pl.DataFrame({"program": ["kill", "ls", None, "pkill", "ls"],
                          "argv": [["-9", "1"], ["-l"], None, ["-f", "srv"], ["-l"]], "_row": [0, 1, 2, 3, 4]})
    found = known_filter(first, test)
    assert sorted(calls, key=str) == sorted(["kill", "ls", None, "pkill", "ls"], key=str)
    assert found["_row"].to_list() == [0, 3] and found.equals(first.filter(_counting()))
    calls.clear()
    # a later batch: the values seen before are answered without evaluating the test again
    second = pl.DataFrame({"program": ["ls", "killall", "kill", None],
                           "argv": [["-l"], ["x"], ["-9", "1"], None], "_row": [7, 8, 9, 10]})
    assert known_filter(second, test)["_row"].to_list() == [8, 9]
    assert calls == ["killall"]
    calls.clear()
    # the same program with other arguments is another value
    third = pl.DataFrame({"program": ["ls"], "argv": [["kill-notes.txt"]], "_row": [11]})
    assert known_filter(third, test)["_row"].to_list() == [11]
    assert calls == ["ls"]


def test_answers_past_the_bound_are_given_but_not_kept(monkeypatch):
    """Once the answers held reach RULE_ANSWERS_BYTES, new ones are still right for the call that
    found them, and found again by the next (none is kept)."""
    from redline.classifiers import answers

    test = _counting()
    monkeypatch.setattr(answers, "RULE_ANSWERS_BYTES", 0)
    frame = pl.DataFrame({"program": ["pkill", "ls", "pkill"], "argv": [["-f", "bound"], ["-a"], ["-f", "bound"]],
                          "_row": [0, 1, 2]})
    for _ in range(2):
        CALLS.clear()
        assert known_filter(frame, test)["_row"].to_list() == [0, 2]
        assert sorted(CALLS) == ["ls", "pkill", "pkill"]  # (every row no earlier call answered)
    computed: list = []

    def lengths(values: list) -> list:
        computed.extend(values)
        return [len(v) for v in values]

    for _ in range(2):
        assert answers.known_values("test-of-the-bound", ["ab", "abc", "ab"], lengths) == [2, 3, 2]
    assert computed == ["ab", "abc", "ab", "abc"]


def test_known_filter_filters_a_large_frame_whole_and_an_empty_one_not_at_all():
    test = _counting()
    calls = CALLS
    calls.clear()
    big = pl.DataFrame({"program": [f"p{i}" for i in range(RULE_ANSWERS_ROWS + 1)],
                        "argv": [["kill"] if i % 2 else ["x"] for i in range(RULE_ANSWERS_ROWS + 1)]})
    assert known_filter(big, test).height == RULE_ANSWERS_ROWS // 2
    assert len(calls) == RULE_ANSWERS_ROWS + 1
    calls.clear()
    # the large frame's answers were not kept: a small frame of the same values is evaluated
    assert known_filter(big.head(3), test)["program"].to_list() == ["p1"]
    assert len(calls) == 3
    calls.clear()
    empty = big.clear()
    assert known_filter(empty, test).schema == empty.schema and calls == []


def test_over_rows_gives_the_schema_of_a_step_over_no_rows_without_running_it():
    def names(rows):
        return (rows.select("trial_id", pl.col("text").str.extract_all(r"[\w.]+\.sh").alias("name"))
                .explode("name", empty_as_null=False).group_by("trial_id", "name").agg(pl.len()))
    some = pl.DataFrame({"trial_id": ["a", "a"], "text": ["run watchdog.sh now", "see a.sh and b.sh"]})
    assert sorted(over_rows(some, names).rows()) == [("a", "a.sh", 1), ("a", "b.sh", 1), ("a", "watchdog.sh", 1)]
    none = some.clear()
    out = over_rows(none, names)
    assert out.is_empty() and out.schema == names(none).schema
    # never run: a pattern that would fail when compiled is not reached
    bad = pl.col("text").str.contains(r"(unclosed")
    assert over_rows(none, lambda rows: rows.select(bad)).schema == {"text": pl.Boolean}
    assert filtered(none, bad).schema == none.schema
    assert filter_rows(empty_frames(), none, bad).schema == none.schema
