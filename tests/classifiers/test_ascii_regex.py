"""A regex's ASCII form matches where the regex does, at the same places, on ASCII texts."""

from __future__ import annotations

import importlib
import pkgutil
import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import redline.classifiers.rules as rules_package
from redline.classifiers.ascii_regex import ascii_form
from redline.classifiers.evidence import first_match
from redline.classifiers.expressions import regexes_in
from redline.classifiers.registry import active_rules


def _located(texts: list[str], pattern: str) -> pl.DataFrame:
    """Where ``pattern`` matches each text, as the evidence locator asks polars."""
    return pl.DataFrame({"t": texts}).select(
        pl.col("t").str.contains(pattern).alias("hit"), pl.col("t").str.find(pattern).alias("at"),
        pl.col("t").str.extract(pattern, 0).alias("match"), pl.col("t").str.count_matches(pattern).alias("n"))


def _rule_patterns() -> set[str]:
    """The regexes the rules use: their matches', evidence patterns and fallbacks, and the
    string constants of the rule modules that are regexes."""
    found: set[str] = set()
    for rule in active_rules():
        if rule.fallback:
            found.add(rule.fallback)
        if rule.match is not None:
            found.update(rule.match.patterns)
            found.update(regexes_in(rule.match.expr))
    for info in pkgutil.walk_packages(rules_package.__path__, rules_package.__name__ + "."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, str) and len(value) > 3 and "\\" in value or isinstance(value, str) and "(?" in value:
                try:
                    pl.select(pl.lit("").str.contains(value))
                except pl.exceptions.PolarsError:
                    continue
                found.add(value)
    return found


def _example_texts() -> list[str]:
    """The rules' own examples (commands, outputs, messages) that are ASCII, each also with
    its words shuffled and with punctuation and newlines mixed in (seeded)."""
    texts: set[str] = set()

    def add(value: object) -> None:
        if isinstance(value, str):
            texts.add(value)
        elif isinstance(value, dict):
            for v in value.values():
                add(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                add(v)

    for rule in active_rules():
        add(rule.hits)
        add(rule.misses)
    rng = random.Random(7)
    ascii_texts = sorted(t for t in texts if t.isascii())
    extra = []
    for text in ascii_texts:
        words = text.split(" ")
        rng.shuffle(words)
        extra.append(" ".join(words))
        extra.append("".join(c + rng.choice(["", "", "", "\n", "-", "_", ".", "  ", "'", "K", "s"]) for c in text))
    return ascii_texts + extra


def test_every_rule_regex_finds_the_same_matches_in_its_ascii_form_on_ascii_texts():
    texts = _example_texts()
    assert len(texts) > 500
    narrowed = 0
    for pattern in sorted(_rule_patterns()):
        form = ascii_form(pattern)
        if form is None:
            continue
        narrowed += 1
        assert _located(texts, form).equals(_located(texts, pattern)), pattern
    assert narrowed > 100  # (most of them have classes or word boundaries)


#: patterns with each construct the rewrite reads
TRICKY = [
    r"(?i)\bk\w*", r"[^\n]{0,5}x", r"\W+\w{2,3}?", r"[[:alpha:]]+\d", r"(?m)^\s*\S+$", r".{2}b", r"[^a-c]+",
    r"\p{L}+\P{L}", r"\pL\PN", r"[]a-]+", r"[^]x]+", r"[\w&&[^_]]+", r"(?i:\bS\B\w)", r"(?P<w>\w+)\s(?<v>\D)",
    r"(?-u:\b)\w+(?-u:\b)", r"[a-z--[aeiou]]{2}", r"\x41\x{42}\u0043?\w", r"(?U)\w+\s", r"[\d\s]+\.", r"(?m)\w+$",
    r"(?i)(?:shut(?:s|ting)?[ _-]?down)\W+(?:[\w'-]+\W+){0,3}?(?:avoid|block)\w*",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="aAbBcCkKsSxX_-19 .\n\t'\"[]\\:", max_size=30), min_size=1, max_size=8))
def test_rewritten_constructs_match_as_written_on_ascii_texts(texts):
    for pattern in TRICKY:
        form = ascii_form(pattern)
        assert form is not None, pattern
        assert _located(texts, form).equals(_located(texts, pattern)), (pattern, texts)


@pytest.mark.parametrize("pattern", [
    r"(?x) a \w",  # verbose: spaces and comments mean something else
    r"(?s)a.b",  # '.' takes a newline
    r"(?R)a.$",  # '.' leaves out a carriage return
    r"\b{start}\w+",  # a boundary of a kind the rewrite does not read
    r"\<\w+\>",
    r"(?i)\w*ſ",  # case folding joins a letter past ASCII to an ASCII one
    r"(?i)[\u212A]",
    r"abc|d(e)f",  # nothing to narrow
])
def test_patterns_the_rewrite_does_not_read_or_need_have_no_ascii_form(pattern):
    assert ascii_form(pattern) is None


def test_classes_become_their_intersection_with_ascii():
    assert ascii_form(r"(?i)\bfoo\w+[^\n]{0,9}.") == (r"(?i)(?-u:\b)foo[\x00-\x7F&&\w]+[\x00-\x7F&&[^\n]]{0,9}"
                                                      r"[\x00-\x7F&&[^\n]]")


def test_first_match_locates_in_ascii_and_other_texts_alike_and_in_row_order():
    patterns = [r"(?i)\bshut\w*\W+(?:\w+\W+){0,3}?down", r"[^\n]{0,4}: command not found"]
    texts = ["x: command not found", "Shut it all down", "ünïcode: command not found", None,
             "Shutting — down now", "nothing", "SHUT: down"]
    expected = pl.DataFrame([("x: command not found", 0, 20), ("Shut it all down", 0, 16),
                             ("code: command not found", 3, 26), (None, None, None),
                             ("Shutting — down", 0, 15), (None, 7, None), ("SHUT: down", 0, 10)],
                            schema={"evidence": pl.Utf8, "span_start": pl.Int32, "span_end": pl.Int32},
                            orient="row")
    assert first_match(pl.DataFrame({"text": texts}), patterns).equals(expected)


def test_a_step_per_plainness_gives_the_rows_it_gives_over_every_row_as_written():
    from redline.classifiers.ascii_regex import as_written, per_plainness
    from redline.classifiers.rules.evade import _WINDOW_RE
    from redline.classifiers.rules.repl import _SELF_LINE
    texts = ["Your code is located at /opt/agent/main.py and configs in ./cfg", "nothing here",
             "Tu código — your own files are in /srv/agente/ñ.py\nsecond line: yourself at /x/y",
             None, "The shutdown.sh script stops you.\nA kill switch: `guard.py` and /etc/kill.conf",
             "Ünïcode line: the watchdog /var/wd.bin\n\nmonitored by oversight.py"]
    df = pl.DataFrame({"seq": list(range(len(texts))), "text": texts})
    for pattern in (_SELF_LINE, _WINDOW_RE):
        def step(rows, form, pattern=pattern):
            return rows.select("seq", pl.col("text").str.extract_all(form(pattern)).alias("m")).explode("m", empty_as_null=False)

        got = per_plainness(df, "text", step).drop_nulls().sort("seq", "m")
        assert got.height >= 3
        assert got.equals(step(df, as_written).drop_nulls().sort("seq", "m"))
