"""What row-wise tests answered for values that earlier batches of a run already tested.

Polars compiles every regex of a query each time the query runs, rows or none, and keeps only
the last 32 per thread; the rules use some three hundred, so every batch compiled each of them
again (about a millisecond apiece): a fixed cost per batch whatever its size. Most of a rule's
regex tests run over few values (the distinct commands that run one of a few programs, the
distinct values of a column such as the program), and agents repeat their commands and tools'
outputs across trials, so a small batch's values have often all been tested before.
:func:`known_filter` keeps the answer of a row-wise test (one whose value on a row depends on
that row's values alone: :func:`~redline.classifiers.rowwise.row_wise`) for each value it was
evaluated on, and evaluates a test only on values it has not answered, so a test whose values
were all seen is not run at all.

Only small frames are answered this way (:data:`~redline.limits.RULE_ANSWERS_ROWS`); the answers
kept are bounded (:data:`~redline.limits.RULE_ANSWERS_BYTES` in all) and
held in an object the version fingerprints do not read (:mod:`redline.classifiers.fingerprint`).
"""

from __future__ import annotations

import hashlib
from collections import ChainMap
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

import polars as pl

from ..limits import RULE_ANSWERS_BYTES, RULE_ANSWERS_ROWS
from .expressions import by_identity, filtered, over_rows, read_columns

#: per test (a digest of its serialised form), each value's answer; about how many bytes they hold; and
#: the texts of the expressions seen, by id
_ANSWERS = SimpleNamespace(by_test={}, size=0, texts={})
#: a test's answers over no values (every value answered before: the test is not run)
_NO_VALUES = pl.DataFrame(schema={"_holds": pl.Boolean})


def _key(value: Any) -> Any:
    """A value of a row (a tuple of its columns) in a hashable form."""
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _key(v)) for k, v in value.items())
    return value


def _size(key: Any) -> int:
    """About the bytes an answer for ``key`` holds (its entry, its tuple, its strings)."""
    if isinstance(key, tuple):
        return 64 + sum(_size(k) for k in key)
    return 56 + len(key) if isinstance(key, str) else 32


def _text(expr: pl.Expr) -> str | None:
    """A digest of ``expr``'s serialised form (None: it has none), once per expression object (the
    engine passes the same objects batch after batch)."""
    return by_identity(_ANSWERS.texts, expr, _digest)


def _digest(expr: pl.Expr) -> str | None:
    try:
        return hashlib.blake2b(expr.meta.serialize(format="json").encode(), digest_size=16).hexdigest()
    except Exception:
        return None


def known_filter(df: pl.DataFrame, expr: pl.Expr) -> pl.DataFrame:
    """``df.filter(expr)`` for a row-wise ``expr``: on a small frame, evaluated only on the rows
    whose values (of the columns ``expr`` reads) no earlier call answered for this test (over
    none, not run: :func:`~redline.classifiers.expressions.over_rows`)."""
    holds = _answers(df, expr)
    if holds is None:  # a large frame, or no complete text to know the test by: evaluate it
        return filtered(df, expr)
    if not any(holds):  # (most tests of a batch hold nowhere)
        return df.clear()
    if all(holds):
        return df
    # (a gather of the rows that hold: a filter by a mask costs a query several times over)
    return df[[i for i, h in enumerate(holds) if h]]


def known_column(df: pl.DataFrame, expr: pl.Expr, column: str) -> pl.Series:
    """``known_filter(df, expr)[column]``: only that column of the rows kept is taken (the
    engine's frames of distinct commands carry every column of a command, and it reads one)."""
    holds = _answers(df, expr)
    if holds is None:
        return filtered(df, expr).get_column(column)
    values = df.get_column(column)
    if not any(holds):
        return values.clear()
    return values if all(holds) else values.filter(pl.Series(holds, dtype=pl.Boolean))


def known_mask(df: pl.DataFrame, expr: pl.Expr) -> pl.Series:
    """Whether ``expr`` (row-wise) holds on each row of ``df``, as :func:`known_filter` finds it."""
    holds = _answers(df, expr)
    if holds is None:
        return over_rows(df, lambda rows: rows.select(expr.alias("_holds")), empty=_NO_VALUES)["_holds"]
    return pl.Series("_holds", holds, dtype=pl.Boolean)


def known_values(test: str, values: list, compute: Callable[[list], list]) -> list:
    """``compute(values)`` (one result per value, a function of the value alone) for a small
    list of values: computed only for the distinct values no earlier call answered for ``test``
    (a name for what ``compute`` does), each result kept within the answers' bound."""
    if len(values) > RULE_ANSWERS_ROWS:
        return compute(values)
    answers = _ANSWERS.by_test.setdefault(test, {})
    unknown = list(dict.fromkeys(v for v in values if v not in answers))
    if not unknown:
        return [answers[v] for v in values]
    new = dict(zip(unknown, compute(unknown)))
    known = _kept(answers, new, sum(_size(v) + _size(result) for v, result in new.items()))
    return [known[v] for v in values]


def _answers(df: pl.DataFrame, expr: pl.Expr) -> list[bool] | None:
    """Whether ``expr`` holds on each row of ``df``, evaluated only on the values no earlier call
    answered (None: not answered this way, a large frame or a test with no text to know it by)."""
    roots = read_columns(expr)
    text = _text(expr) if roots and df.height <= RULE_ANSWERS_ROWS else None
    if text is None:
        return None
    answers = _ANSWERS.by_test.setdefault(text, {})
    keys = _keys(df, roots)
    unknown = [i for i, key in enumerate(keys) if key not in answers]
    if not unknown:  # (most of a later batch's tests: nothing to evaluate, nothing to keep)
        return [answers[key] for key in keys]
    # (the rows of values not answered, and only the columns the test reads)
    found = over_rows(df.select(roots)[unknown], lambda rows: rows.select(expr.alias("_holds")),
                      empty=_NO_VALUES)["_holds"]
    new = {keys[i]: holds is True for i, holds in zip(unknown, found.to_list())}
    known = _kept(answers, new, sum(_size(key) for key in new))
    return [known[key] for key in keys]


def _kept(answers: dict, new: dict, size: int) -> Mapping:
    """A test's ``new`` answers (about ``size`` bytes) kept with its earlier ``answers`` while
    every test's answers stay within :data:`~redline.limits.RULE_ANSWERS_BYTES`; what answers
    the values asked for either way."""
    if _ANSWERS.size + size > RULE_ANSWERS_BYTES:
        return ChainMap(new, answers)
    answers.update(new)
    _ANSWERS.size += size
    return answers


def _keys(df: pl.DataFrame, roots: tuple[str, ...]) -> list:
    """Each row's values of ``roots``, as :func:`known_filter` keeps answers by them: a tuple of
    the row's values, each in a hashable form (:func:`_key`), read column by column (a column of
    strings or numbers as it comes, without a walk over its values)."""
    columns = [values if column.dtype in _FLAT else [_key(v) for v in values]
               for name in roots for column in [df.get_column(name)] for values in [column.to_list()]]
    return [(v,) for v in columns[0]] if len(columns) == 1 else list(zip(*columns))


#: column types whose values are hashable as they come (what :func:`_key` leaves as it is)
_FLAT = frozenset({pl.Utf8, pl.Boolean, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32,
                   pl.UInt64, pl.Float32, pl.Float64})
