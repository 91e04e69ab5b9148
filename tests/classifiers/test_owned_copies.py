"""Rows read from the database are copied into buffers of their own (frames.owned): the values
stay the same whichever way a column is copied (row by row for a column of few bytes, each
distinct string once for one of many)."""

from __future__ import annotations

import polars as pl

from redline.classifiers import frames
from redline.classifiers.frames import owned
from redline.limits import DISTINCT_COPY_BYTES


def _frame(rows: int, width: int) -> pl.DataFrame:
    texts = [None if i % 7 == 0 else f"{i % 3}:" + "x" * width for i in range(rows)]
    return pl.DataFrame({"trial_id": [f"t{i % 4}" for i in range(rows)], "seq": list(range(rows)),
                         "text": texts, "short": ["ab"] * rows, "empty": [None] * rows},
                        schema={"trial_id": pl.Utf8, "seq": pl.Int32, "text": pl.Utf8, "short": pl.Utf8,
                                "empty": pl.Utf8})


def test_a_small_column_and_a_large_one_keep_their_values_rows_and_order():
    for rows, width in ((20, 40), (4000, 1000)):
        frame = _frame(rows, width)
        assert (frame["text"].str.len_bytes().sum() > DISTINCT_COPY_BYTES) == (rows == 4000)
        out = owned(frame)
        assert out.columns == frame.columns
        assert out.equals(frame)


def test_a_large_column_copied_row_by_row_or_each_distinct_string_once_is_the_same(monkeypatch):
    frame = _frame(4000, 1000)
    once = owned(frame)
    monkeypatch.setattr(frames, "DISTINCT_COPY_BYTES", 10**12)  # every column counts as small
    assert owned(frame).equals(once)
    assert once.equals(frame)
