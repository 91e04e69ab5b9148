"""Row-wise tests evaluated once per distinct value of what they read, within a batch.

Agents repeat their command lines and words, tools their outputs, and a row-wise test (one
whose value on a row depends on that row's values alone:
:func:`~redline.classifiers.rowwise.row_wise`) gives rows of the same values the same answer.
So a frame is grouped by the columns a test reads (:func:`distinct_rows`: once per batch for
each frame and columns, shared by every rule that reads them) and the test is evaluated once
per group (:func:`matching_rows`, :func:`filter_rows`). Across a run's batches,
:mod:`redline.classifiers.answers` keeps the answers themselves.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from .answers import known_filter
from .expressions import filtered, merged_contains, read_columns
from .frames import Frames
from .rowwise import row_wise

def exploded(lists: pl.Series) -> pl.Series:
    """``lists.explode()`` for a column of lists (an empty list gives no row); for none, made
    without a query (exploding costs one, and most of a small batch's tests hold nowhere)."""
    if not len(lists):
        return pl.Series(lists.name, [], dtype=lists.dtype.inner)  # type: ignore[union-attr]
    return lists.explode(empty_as_null=False)


#: the memo key (:meth:`~redline.classifiers.frames.Frames.memo`) of a batch's groupings: by (the
#: frame's id, the columns), the frame and its grouping
_GROUPINGS = "distinct_rows"


def distinct_rows(frames: Frames, df: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """The distinct combinations of ``columns`` in ``df``, each with ``_row``: the positions of
    the rows that carry it. Made once per batch for each frame and columns, shared by every rule
    that reads them, and kept with the frame until :func:`forget_groupings` lets it go."""
    groupings = frames.memo(_GROUPINGS, dict)
    key = (id(df), columns)
    known = groupings.get(key)
    if known is None or known[0] is not df:  # (or another frame since collected at the same address)
        known = groupings[key] = (df, df.select(columns).with_row_index("_row").group_by(columns).agg("_row"))
    return known[1]


def forget_groupings(frames: Frames, value: Any) -> None:
    """Let go of the groupings (:func:`distinct_rows`) of the frames in ``value`` (a result the
    batch's memo let go: a frame, or a tuple with some), with the frames."""
    held = {id(v) for v in (value if isinstance(value, tuple) else (value,)) if isinstance(v, pl.DataFrame)}
    groupings = frames.memoized(_GROUPINGS) or {}
    for key in [key for key in groupings if key[0] in held]:
        del groupings[key]


def matching_rows(frames: Frames, df: pl.DataFrame, conjuncts: list[pl.Expr], roots: tuple[str, ...]) -> pl.Series:
    """The positions (in no order) of the rows of ``df`` where every row-wise conjunct holds,
    evaluated once per distinct combination of ``roots``, the columns they read: each only on
    the distinct values the ones before it keep (polars evaluates both sides of an ``&`` on every
    row: a rare first conjunct spares the rest most of their work), and not at all once none is
    kept: merging a conjunct's regexes (:func:`~redline.classifiers.expressions.merged_contains`)
    compiles their alternation, which polars keeps (the largest of the rules' take about 10 MB)."""
    kept = distinct_rows(frames, df, roots)
    for conjunct in conjuncts:
        if kept.is_empty():  # (nothing to test: not even the merged regexes are compiled)
            break
        kept = known_filter(kept, merged_contains(conjunct))
    return exploded(kept["_row"])


def filter_rows(frames: Frames, df: pl.DataFrame, expr: pl.Expr) -> pl.DataFrame:
    """``df.filter(expr)``, found faster: an expression that is :func:`row_wise` is evaluated
    once per distinct combination of the columns it reads (:func:`matching_rows`)."""
    if df.is_empty():
        return df
    roots = read_columns(expr)
    if df.height < 2 or not roots or not row_wise(expr):
        return filtered(df, merged_contains(expr))
    rows = matching_rows(frames, df, [expr], roots)
    if rows.is_empty():
        return df.clear()
    return df[rows.sort()]
