"""Regex tests OR-ed in a filter and read as one alternation give every row the same value.

:func:`redline.classifiers.expressions.merged_contains` rewrites
``a.str.contains(p).fill_null(False) | a.str.contains(q).fill_null(False)`` (and the same in
``pl.any_horizontal``) into one test of ``(?:p)|(?:q)``. These tests compare both forms over
the patterns the rules use, with inline flags (``(?m)``, ``(?i)``) that must stay within their
own alternative, over texts built from pieces that make those patterns match and miss.
"""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from redline.classifiers.expressions import merged_contains, regexes_in
from redline.classifiers.registry import active_rules
from redline.classifiers.rules.obs.missing import CMD_MISSING_PATTERNS, FILE_MISSING_PATTERNS

#: patterns whose inline flags would change what the others match if they leaked
FLAGGED = [r"(?i)abc", r"ABD", r"(?m)^x$", r"^y", r"(?s)a.b", r"a.c", r"(?-u:\b)w\b", r"(?x) z z "]
PIECES = ["abc", "ABC", "abd", "ABD", "x", "y", "\n", "a\nb", "a\nc", "w", "é", "zz", " ", "Error: ", "No such file",
          "bash: foo: command not found", "ls: cannot access 'x': No such file or directory", "Traceback (most recent call last):", "FAILED tests/a.py::t", ": Not a directory"]


def _rule_patterns() -> list[str]:
    found: set[str] = set()
    for rule in active_rules():
        exprs = [rule.match.expr] if rule.match is not None else list(rule._logic[1])
        for expr in exprs:
            found.update(regexes_in(expr))
    return sorted(found)


PATTERNS = FLAGGED + _rule_patterns()


def _tests(patterns: list[str], column: str = "text") -> list[pl.Expr]:
    return [pl.col(column).str.contains(p).fill_null(False) for p in patterns]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PATTERNS), min_size=2, max_size=8),
       st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map("".join), min_size=1, max_size=20),
       st.booleans())
def test_a_merged_alternation_matches_where_one_of_its_patterns_does(patterns, texts, horizontal):
    tests = _tests(patterns)
    expr = pl.any_horizontal(tests) if horizontal else pl.Expr.__or__(tests[0], pl.any_horizontal(tests[1:]))
    merged = merged_contains(expr)
    assert str(merged) != str(expr)
    frame = pl.DataFrame({"text": [*texts, None]}, schema={"text": pl.Utf8})
    assert frame.select(merged.alias("m"))["m"].to_list() == frame.select(expr.alias("m"))["m"].to_list()


def test_inline_flags_stay_within_their_alternative():
    frame = pl.DataFrame({"text": ["abd", "ABC", "a\ny", "a\nx", "a\nb"]})
    merged = merged_contains(pl.any_horizontal(_tests([r"(?i)abc", r"ABD", r"(?m)^x", r"^y", r"(?s)a.b"])))
    assert frame.select(merged.alias("m"))["m"].to_list() == [False, True, False, True, True]


def test_only_regex_tests_of_one_input_that_are_never_null_merge():
    a, b = _tests(["p", "q"])
    other = pl.col("argv").list.join(" ").str.contains("r").fill_null(False)
    nullable = pl.col("text").str.contains("s")  # no fill_null: may be null, kept apart
    literal = pl.col("text").str.contains("t", literal=True).fill_null(False)
    merged = merged_contains(a | other | b | nullable | literal)
    shown = str(merged)
    assert "(?:p)|(?:q)" in shown
    assert shown.count("str.contains") == 4  # p|q merged; r (another input), s (nullable), t (literal) apart
    and_ = merged_contains(a & b)  # an AND is not an alternation
    assert str(and_) == str(a & b)


def test_the_rules_or_ed_regexes_are_merged_and_give_the_same_rows():
    """Over texts made of the pieces above, every OR of one column's tests in the rules' filters
    gives the rows it gave before merging."""
    texts = ["".join(PIECES[i:i + k]) for i in range(len(PIECES)) for k in (1, 2, 3)]
    frame = pl.DataFrame({"text": texts + [None]}, schema={"text": pl.Utf8})
    for patterns in (CMD_MISSING_PATTERNS, FILE_MISSING_PATTERNS):
        expr = pl.any_horizontal(_tests(patterns))
        merged = merged_contains(expr)
        assert str(merged).count("str.contains") == 1
        assert frame.select(merged.alias("m")).equals(frame.select(expr.alias("m")))
        assert frame.select(merged.alias("m"))["m"].any()
