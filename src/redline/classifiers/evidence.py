"""Where a text-unit rule's evidence is: the first matching pattern's match and its span.

Finding where a regex matches costs many times more than finding whether it does, and a row's
evidence is a function of its text alone: :func:`first_match` locates each pattern only in the
rows where it is the first to match, and in a small frame only the texts no earlier batch
located (:func:`~redline.classifiers.answers.known_values`). A text with no character past
ASCII is searched with the patterns' ASCII forms (:mod:`~redline.classifiers.ascii_regex`):
the same matches, where the patterns as written fell to regex's slowest engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import polars as pl

from ..limits import EVIDENCE_CHARS, RULE_ANSWERS_ROWS
from .answers import known_values
from .ascii_regex import is_plain, narrowed


def first_match(df: pl.DataFrame, patterns: Iterable[str], text: str = "text") -> pl.DataFrame:
    """For each row of ``df`` (same order): the match of the first pattern that matches ``text``
    (``evidence``, whole) and its character span (``span_start``, ``span_end``); where none
    does, no evidence and no end, and the start at the text's length.

    Finding where a regex matches costs many times more than finding whether it does, so each
    pattern is located only in the rows where it is the first to match. A row's evidence is a
    function of its text alone: in a small frame, only texts no earlier batch located for
    these patterns are (:func:`~redline.classifiers.answers.known_values`: outputs repeat, and
    locating them compiles the patterns)."""
    patterns = list(patterns)
    if 0 < df.height <= RULE_ANSWERS_ROWS:
        def locate(texts: list) -> list:
            found = _first_match(pl.DataFrame({"_text": texts}, schema={"_text": pl.Utf8}), patterns, "_text")
            return list(zip(*(found.get_column(c).to_list() for c in found.columns)))
        rows = known_values("first_match:" + "\0".join(patterns), df.get_column(text).to_list(), locate)
        return pl.DataFrame(rows, schema=_LOCATED, orient="row")
    return _first_match(df, patterns, text)


def located_evidence(df: pl.DataFrame, patterns: Iterable[str], text: str = "text") -> pl.DataFrame:
    """``df``'s ``trial_id`` and ``seq`` with :func:`first_match`'s evidence (cut to
    :data:`~redline.limits.EVIDENCE_CHARS`) and span: a text-unit label's evidence."""
    located = first_match(df, patterns, text)
    return df.select("trial_id", "seq").hstack(located.with_columns(pl.col("evidence").str.slice(0, EVIDENCE_CHARS)))


#: what :func:`first_match` gives per row
_LOCATED = {"evidence": pl.Utf8, "span_start": pl.Int32, "span_end": pl.Int32}


def _first_match(df: pl.DataFrame, patterns: list[str], text: str) -> pl.DataFrame:
    rows = df.select(pl.col(text).alias("_text")).with_row_index("_i")
    # a text of ASCII characters only is searched with the patterns' ASCII forms: the same
    # matches, found many times faster (:mod:`~redline.classifiers.ascii_regex`)
    forms = [narrowed(p) for p in patterns]
    if forms != patterns and rows.height:
        plain = rows.select(is_plain("_text")).to_series()
        parts = [(rows.filter(plain), forms), (rows.filter(~plain), patterns)]
    else:
        parts = [(rows, patterns)]
    found = [located for part, tried in parts for located in _located(part, tried)]
    if not found:  # (no rows)
        return pl.DataFrame(schema=_LOCATED)
    # every row is in one part, each part in row order: one part is every row in order, and
    # several are put back in order by the rows' positions
    located = found[0] if len(found) == 1 else pl.concat(found).sort("_i")
    return located.drop("_i")


def _located(rows: pl.DataFrame, patterns: list[str]) -> list[pl.DataFrame]:
    """:func:`_first_match`'s parts for ``rows`` (``_i``, ``_text``): the rows each pattern is
    the first to match, located, then the rows none matches."""
    found: list[pl.DataFrame] = []
    for pattern in patterns:
        if rows.is_empty():
            break
        # (the test evaluated once: its mask picks the rows it matches and the rows left)
        matches = rows.select(pl.col("_text").str.contains(pattern).fill_null(False)).to_series()
        if not matches.any():
            continue
        everywhere = bool(matches.all())
        hit = rows if everywhere else rows.filter(matches)
        # the two passes that locate the match, each run once (a column each, read twice
        # below); group 0 of the pattern itself is the whole match, and reuses its compiled form
        hit = hit.with_columns(char_find(pl.col("_text"), pattern).alias("_start"),
                               pl.col("_text").str.extract(pattern, 0).alias("evidence"))
        found.append(hit.select("_i", "evidence", pl.col("_start").cast(pl.Int32).alias("span_start"),
                                (pl.col("_start") + pl.col("evidence").str.len_chars()).cast(pl.Int32)
                                .alias("span_end")))
        rows = rows.clear() if everywhere else rows.filter(~matches)
    if rows.height:
        # where no pattern matches, the span starts at the text's length and has no end, as
        # labels have always had it
        found.append(rows.select("_i", pl.lit(None, pl.Utf8).alias("evidence"),
                                 pl.col("_text").str.len_chars().cast(pl.Int32).alias("span_start"),
                                 pl.lit(None, pl.Int32).alias("span_end")))
    return found


def char_find(text: pl.Expr, pattern: str | pl.Expr) -> pl.Expr:
    """The character offset in ``text`` of ``pattern``'s first match (a regex); null where it
    has none.

    ``str.find`` gives a byte offset before polars 2.2 and a character offset from 2.2 on; the
    byte offset is turned into characters through the length of the text before it."""
    start = text.str.find(pattern)
    if not _find_gives_bytes():
        return start
    return text.cast(pl.Binary).bin.slice(0, start).cast(pl.Utf8, strict=False).str.len_chars()


@cache
def _find_gives_bytes() -> bool:
    """Whether this polars' ``str.find`` counts bytes (a two-byte letter before the match)."""
    return pl.Series(["\u00e9."]).str.find(".", literal=True).item() == 2
