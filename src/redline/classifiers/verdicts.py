"""Verdicts of row-wise expressions, remembered across the batches of one classify run.

The engine evaluates an expression that is :func:`~redline.classifiers.rowwise.row_wise` once
per distinct combination of the columns it reads in a batch (a distinct output, a distinct
command). Agents repeat themselves across trials as well as within one, so later batches meet
mostly texts an earlier batch has judged already: on a million generated actions, half the
distinct command lines and actions of a batch were seen by an earlier batch.

A row-wise expression's value for a row is a function of the values of that row's columns
alone (that is what ``row_wise`` proves from the expression: no column that says where the row
is, nothing that reads other rows), so it can be remembered by those values. :class:`Verdicts`
gives each distinct combination of a table's key columns a *slot*, found by a 128-bit hash of
the values (two independent 64-bit hashes of the row; a collision between two of a run's
million distinct values has a chance of about one in 10^26), and keeps, per expression (by its
complete serialised form, :func:`~redline.classifiers.expressions.expression_text`), one
verdict per slot: true, false or not yet evaluated. A batch then evaluates each expression only
on the values no earlier batch evaluated it on.

Memory is bounded by :data:`~redline.limits.CLASSIFY_VERDICT_BYTES`: about 20 bytes a slot
(its hashes and number) and 2 bits a slot per expression; once the bound is reached, new values
get no slot and are evaluated in every batch that has them, as without the memo. The memo lives
for one run (:func:`~redline.classifiers.store.classify`, when a pass has more than one batch):
rules are not told which trials share a batch, and nothing is kept between runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from ..limits import CLASSIFY_VERDICT_BYTES
from .expressions import expression_text

#: the seeds of the two hashes that make a value's 128-bit key
_SEEDS = (0x2545F4914F6CDD1D, 0x9E3779B97F4A7C15)
#: bytes a slot costs in its table (two 64-bit hashes and a 32-bit slot number) ...
_SLOT_BYTES = 20
#: ... and bits per expression remembered (a boolean and whether it is known)
_VERDICT_BITS = 2


@dataclass
class _Table:
    """The slots of one kind of distinct row (the key columns of one frame's shape)."""

    known: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(
        schema={"_h1": pl.UInt64, "_h2": pl.UInt64, "_slot": pl.UInt32}))
    #: expression text -> one verdict per slot (null: not evaluated yet)
    verdicts: dict[str, pl.Series] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.known.height

    def bytes(self) -> int:
        return self.size * _SLOT_BYTES + self.size * len(self.verdicts) * _VERDICT_BITS // 8


class Verdicts:
    """The row-wise verdicts one classify run has worked out, by value (see the module docstring).

    ``limit``: bytes the memo may hold (estimated as above)."""

    def __init__(self, limit: int = CLASSIFY_VERDICT_BYTES) -> None:
        self.limit = limit
        self._tables: dict[tuple, _Table] = {}
        #: rows judged from memory, and rows evaluated, since the run began
        self.remembered = 0
        self.evaluated = 0
        #: each expression met (by id: it is kept, so its id is not reused while the run lasts)
        #: with its text
        self._texts: dict[int, tuple[pl.Expr, str]] = {}

    def _text(self, expr: pl.Expr) -> str:
        known = self._texts.get(id(expr))
        if known is None or known[0] is not expr:
            known = self._texts[id(expr)] = (expr, expression_text(expr))
        return known[1]

    def bytes(self) -> int:
        """What the memo holds now, as estimated for :attr:`limit`."""
        return sum(table.bytes() for table in self._tables.values())

    def slots(self, table: tuple, values: pl.DataFrame) -> pl.Series:
        """Each row's slot in ``table`` (``values``: the key columns, rows distinct); a value
        seen first is given a new slot while the memo has room (null: none)."""
        memo = self._tables.setdefault(table, _Table())
        keys = pl.DataFrame({"_h1": values.hash_rows(seed=_SEEDS[0]), "_h2": values.hash_rows(seed=_SEEDS[1])})
        slot = keys.join(memo.known, on=["_h1", "_h2"], how="left", maintain_order="left")["_slot"]
        new = slot.is_null()
        if not new.any():
            return slot
        per_slot = _SLOT_BYTES + len(memo.verdicts) * _VERDICT_BITS / 8
        room = max(0, int((self.limit - self.bytes()) // per_slot))
        positions = new.arg_true()[:room]
        if len(positions):
            fresh = pl.int_range(memo.size, memo.size + len(positions), dtype=pl.UInt32, eager=True)
            slot = slot.scatter(positions, fresh)
            memo.known = pl.concat([memo.known, keys[positions].with_columns(fresh.alias("_slot"))], rechunk=False)
        return slot

    def holds(self, table: tuple, rows: pl.DataFrame, expr: pl.Expr) -> pl.Series:
        """``expr`` (row-wise, reading only ``table``'s key columns) on each of ``rows`` (rows
        of ``table``, with their ``_slot``), null read as false: from memory where an earlier
        batch evaluated it (the same expression: the same complete text), evaluated on the others."""
        memo = self._tables[table]
        key = self._text(expr)
        stored = memo.verdicts.get(key)
        if stored is None and self.bytes() + memo.size * _VERDICT_BITS // 8 <= self.limit:
            stored = memo.verdicts[key] = pl.Series(key, [], pl.Boolean)
        if stored is not None and len(stored) < memo.size:
            stored = memo.verdicts[key] = stored.extend_constant(None, memo.size - len(stored))
        slots = rows["_slot"]
        found = (stored.gather(slots) if stored is not None
                 else pl.Series(key, [None] * rows.height, pl.Boolean)).rename("_holds")
        todo = found.is_null().arg_true()
        self.remembered += rows.height - len(todo)
        if not len(todo):
            return found
        self.evaluated += len(todo)
        read = rows.select(sorted(set(expr.meta.root_names())) or rows.columns[:1])
        fresh = read[todo].with_columns(expr.fill_null(False).alias("_holds"))["_holds"]
        found = found.scatter(todo, fresh)
        if stored is not None:
            into = slots.gather(todo)
            kept = into.is_not_null()
            memo.verdicts[key] = stored.scatter(into.filter(kept), fresh.filter(kept))
        return found
