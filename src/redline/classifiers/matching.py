"""Where a rule's match holds: the rows of a batch it selects, found faster than a filter.

:func:`command_rows` finds the ``commands`` rows of a match branch by branch: a branch that names
programs only over the distinct commands that run one of them, its row-wise conjuncts once per
distinct command (:func:`distinct_commands`), the conjuncts that read a step's context or a
neighbouring command over every row (or over the candidates' steps alone).
:func:`command_hits` makes those rows a ``command`` rule's hits (a step's first matching
command). :func:`match_rows` does the same for a text unit (actions, outputs, messages), its
tests of the text once per distinct text. Each gives exactly the rows of ``df.filter(match.expr)``;
:mod:`redline.classifiers.engine` makes them labels.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

import polars as pl

from ..limits import DISTINCT_CHUNK_ROWS, EVIDENCE_CHARS, PLACE_WHOLE_ROWS
from .answers import known_column
from .distinct import distinct_rows, exploded, filter_rows, matching_rows
from .expressions import by_identity, expression_text, merged_contains, over_rows, read_columns
from .frames import Frames
from .rowwise import PLACE_COLUMNS, SCREEN_COLUMNS, implied_test, row_wise, within_step
from .rule import Match

#: the plans (:func:`_plan`) this process made for the matches it has seen, by id
#: (:func:`~redline.classifiers.expressions.by_identity`), and the ORs it made of a group's parts
#: (:func:`_any`), by the parts' ids (each kept), and :func:`command_hits` over no rows, by the
#: rows' schema. Held in an object the version fingerprints do
#: not read (:mod:`redline.classifiers.fingerprint`): what a process happened to evaluate before
#: must not change a rule's version
_SEEN = SimpleNamespace(plans={}, ors={}, no_hits={})


@dataclass(frozen=True)
class _Plan:
    """How a command match is evaluated: per (screen, the AND of its other conjuncts) group, the
    OR of the groups' row-wise parts (``None``: none, every row of the screen); the other
    conjuncts are kept apart, so each is evaluated once per batch."""

    groups: tuple[tuple[frozenset[str] | None, tuple[pl.Expr, ...], tuple[pl.Expr | None, ...]], ...]


def _and(exprs: list[pl.Expr]) -> pl.Expr | None:
    return functools.reduce(operator.and_, exprs) if exprs else None


def _plan(match: Match) -> _Plan:
    """How ``match`` is evaluated, made once per match object (:func:`~redline.classifiers.expressions.by_identity`)."""
    return by_identity(_SEEN.plans, match, _make_plan)


def _make_plan(match: Match) -> _Plan:
    grouped: dict[tuple[frozenset[str] | None, tuple[str, ...]], tuple[tuple[pl.Expr, ...], list[pl.Expr | None]]] = {}
    for screen, conjuncts in match.or_branches():
        content = [c for c in conjuncts if row_wise(c)]
        place = tuple(c for c in conjuncts if not row_wise(c))
        key = (screen, tuple(expression_text(c) for c in place))
        grouped.setdefault(key, (place, []))[1].append(_and(content))
    return _Plan(tuple((screen, place, tuple(parts)) for (screen, _), (place, parts) in grouped.items()))


def distinct_commands(frames: Frames) -> pl.DataFrame:
    """The batch's distinct command contents (every column but :data:`PLACE_COLUMNS`), each with
    ``_rows``: the positions of the ``commands`` rows that carry it. Agents repeat their command
    lines, so a row-wise expression evaluated here reads each distinct command once. Once per
    batch."""
    def compute() -> pl.DataFrame:
        content = [c for c in frames.commands.columns if c not in PLACE_COLUMNS]
        rows = frames.commands.select(content).with_row_index("_row")
        # (a piece of rows at a time, then the pieces' groups: :data:`~redline.limits.DISTINCT_CHUNK_ROWS`;
        # the same groups in the same order, each with its rows in order)
        parts = [rows.slice(start, DISTINCT_CHUNK_ROWS).group_by(content, maintain_order=True).agg("_row")
                 for start in range(0, max(rows.height, 1), DISTINCT_CHUNK_ROWS)]
        if len(parts) > 1:
            parts = [pl.concat(parts).group_by(content, maintain_order=True)
                     .agg(pl.col("_row").explode(empty_as_null=False))]
        return parts[0].rename({"_row": "_rows"})
    return frames.memo("distinct_commands", compute)


def commands_by_program(frames: Frames) -> _ByProgram:
    """:func:`distinct_commands` by program, so a branch that names programs reads only theirs.
    (A branch that names none reads :func:`distinct_commands` whole, in one piece: scripts run by
    path make thousands of programs, and a frame of thousands of pieces is slow to read.) A
    program's piece is taken when a rule first asks for it: most programs a rule names are not
    in a small batch, and cutting every piece cost a query each."""
    def compute() -> _ByProgram:
        commands = distinct_commands(frames)
        rows: dict[str | None, list[int]] = {}
        for i, program in enumerate(commands.get_column("program").to_list()):
            rows.setdefault(program, []).append(i)
        return _ByProgram(commands, rows)
    return frames.memo("commands_by_program", compute)


class _ByProgram:
    """The rows of a frame of distinct commands by program (each program's in order), each
    piece cut once, when first asked for."""

    def __init__(self, commands: pl.DataFrame, rows: dict[str | None, list[int]]) -> None:
        self._commands, self._rows, self._pieces = commands, rows, {}

    def __contains__(self, program: str | None) -> bool:
        return program in self._rows

    def __getitem__(self, program: str | None) -> pl.DataFrame:
        piece = self._pieces.get(program)
        if piece is None:
            rows = self._rows[program]
            piece = self._pieces[program] = (self._commands if len(rows) == self._commands.height
                                             else self._commands[rows])
        return piece


def step_rows(frames: Frames) -> tuple[pl.Series, pl.Series]:
    """(each ``commands`` row's step number, each step's rows), once per batch (what reads the
    rows by step groups them here, once: grouping by the keys held some 6 MB for a moment)."""
    def compute() -> tuple[pl.Series, pl.Series]:
        steps = frames.commands.select("trial_id", "seq").with_row_index("_row").group_by(
            ["trial_id", "seq"], maintain_order=True).agg("_row")
        numbered = steps.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_step"), "_row").explode(
            "_row", empty_as_null=False)
        return numbered.sort("_row")["_step"], steps["_row"]
    return frames.memo("step_rows", compute)


def _place_mask(frames: Frames, conjuncts: tuple[pl.Expr, ...], rows: pl.Series) -> pl.Series:
    """For the command rows ``rows``: the AND of conjuncts that read where rows are (or other
    rows). The conjuncts that look only within a step (:func:`within_step`; such as "not in a
    scaffold's edit body", a window over every step) are evaluated over the steps of ``rows``
    only, while they are a small part of a large batch (past :data:`~redline.limits.PLACE_WHOLE_ROWS`
    rows), together (the steps found once, one pass over them); the others over every row, once
    per batch however many rules and branches share them (in a small batch that costs less than
    the queries that find the steps)."""
    masks: list[pl.Series] = []
    in_steps: list[pl.Expr] = []
    for expr in conjuncts:
        key = ("place", expression_text(expr))
        known = frames.memoized(key)
        if (known is None and frames.commands.height > PLACE_WHOLE_ROWS and 4 * len(rows) < frames.commands.height
                and within_step(expr)):
            in_steps.append(expr)
            continue
        if known is None:
            known = frames.memo(key, lambda: frames.commands.select(expr.fill_null(False).alias("m"))["m"])
        masks.append(known.gather(rows))
    if in_steps:
        step_of, of_step = step_rows(frames)
        subset = of_step.gather(step_of.gather(rows).unique()).explode(empty_as_null=False).sort()
        roots = [read_columns(expr) for expr in in_steps]
        read = sorted(set().union(*roots)) if all(roots) else frames.commands.columns
        both = _and([expr.fill_null(False) for expr in in_steps]).alias("m")  # type: ignore[union-attr]
        mask = frames.commands.select(read)[subset].select(both)["m"]
        masks.append(mask.gather(subset.search_sorted(rows)))
    return functools.reduce(operator.and_, masks)


def _any(parts: Iterable[pl.Expr]) -> pl.Expr:
    """The OR of ``parts``, with their regex tests of one column merged
    (:func:`~redline.classifiers.expressions.merged_contains`); made once per process for the
    same parts."""
    parts = tuple(parts)
    key = tuple(id(p) for p in parts)
    known = _SEEN.ors.get(key)
    if known is None or any(a is not b for a, b in zip(known[0], parts)):
        known = _SEEN.ors[key] = (parts, merged_contains(functools.reduce(operator.or_, parts)))
    return known[1]


def _indexed_commands(frames: Frames) -> pl.DataFrame:
    """:func:`distinct_commands` with ``_i``, each row's position there, once per batch."""
    return frames.memo("indexed_commands", lambda: distinct_commands(frames).with_row_index("_i"))


def _passing(frames: Frames, column: str, test: pl.Expr) -> pl.Series:
    """The positions in :func:`distinct_commands` (sorted) of the commands whose ``column`` passes
    ``test`` (an expression over that column alone), evaluated once per distinct value of the
    column; once per batch for each test, whichever rules share it."""
    def compute() -> pl.Series:
        values = distinct_rows(frames, distinct_commands(frames), (column,))
        return exploded(known_column(values, test, "_row")).sort()
    return frames.memo(("passing", column, expression_text(test)), compute)


def _screened_commands(frames: Frames, screens: tuple[tuple[str, pl.Expr], ...]) -> pl.DataFrame:
    """The rows of :func:`_indexed_commands` that pass every one of ``screens`` ((column, an
    expression over that column alone): :func:`~redline.classifiers.rowwise.implied_test`)."""
    def compute() -> pl.DataFrame:
        passing = sorted((_passing(frames, column, test) for column, test in screens), key=len)
        rows = passing[0]
        for other in passing[1:]:
            if rows.is_empty():
                break
            rows = rows.filter(rows.is_in(other.implode()))
        return _indexed_commands(frames)[rows]
    return frames.memo(("screened", tuple((c, expression_text(t)) for c, t in screens)), compute)


def _unscreened_rows(frames: Frames, parts: list[pl.Expr]) -> pl.Series:
    """The ``commands`` rows (positions, unordered, perhaps repeated) where the OR of ``parts``
    (row-wise expressions of a branch group that names no programs) holds, read as cheaply as
    each part allows: the parts that read one column whose values repeat far more than whole
    commands do (:data:`~redline.classifiers.rowwise.SCREEN_COLUMNS`: the code of a command, its
    redirections, its tool) together once per distinct value of that column; a part that
    implies tests of such columns (the program, the tool, the code:
    :func:`~redline.classifiers.rowwise.implied_test`), each test
    evaluated once per distinct value of its column, only over the distinct commands that pass
    them all; the rest together over every distinct command (:func:`distinct_commands`). Each is
    exact: a row-wise part gives each row the same value over any subset of the rows or over
    distinct values, and it holds nowhere its tests do not."""
    commands = distinct_commands(frames)
    found: list[pl.Series] = []
    single: dict[str, list[pl.Expr]] = {}
    screened: dict[tuple[str, ...], tuple[tuple[tuple[str, pl.Expr], ...], list[pl.Expr]]] = {}
    general: list[pl.Expr] = []
    for part in parts:
        roots = read_columns(part)
        if len(roots) == 1 and roots[0] in SCREEN_COLUMNS:
            single.setdefault(roots[0], []).append(part)
            continue
        tests = tuple((column, test) for column in SCREEN_COLUMNS if column in roots
                      for test in [implied_test(part, column)] if test is not None)
        if tests:
            key = tuple(f"{column}:{expression_text(test)}" for column, test in tests)
            screened.setdefault(key, (tests, []))[1].append(part)
        else:
            general.append(part)
    for column, group in single.items():
        found.append(matching_rows(frames, commands, [_any(group)], (column,)))
    for tests, group in screened.values():
        candidates = _screened_commands(frames, tests)
        if not candidates.is_empty():  # (merging the group's regexes compiles them: not for no rows)
            found.append(known_column(candidates, _any(group), "_i"))
    if general:
        found.append(known_column(_indexed_commands(frames), _any(general), "_i"))
    found = [f for f in found if len(f)]
    if not found:  # (most groups of a small batch)
        return exploded(commands["_rows"].head(0))
    return commands["_rows"].gather(pl.concat(found).unique(maintain_order=True)).explode(empty_as_null=False)


def command_rows(frames: Frames, match: Match, columns: list[str] | None = None) -> pl.DataFrame:
    """The ``commands`` rows where ``match`` holds, in frame order: the rows of
    ``frames.commands.filter(match.expr)``, found faster (only ``columns``, when given).

    The match is evaluated branch by branch (:attr:`~redline.classifiers.rule.Match.branches`):
    a branch that requires some programs only over the distinct commands that run one of them
    (:func:`distinct_commands`), its row-wise conjuncts (:func:`row_wise`) once per distinct
    command (the branches that name no programs part by part, each over the commands that pass
    the tests it implies of columns whose values repeat: :func:`_unscreened_rows`), and its other
    conjuncts (a step's context, a neighbouring command) over every row.
    """
    commands = frames.commands
    plan = None if commands.is_empty() else _plan(match)
    if plan is None or all(not any(p is not None for p in parts) for _, _, parts in plan.groups):
        # (over no rows, the filter's schema: the registry runs a rule over an empty batch to
        # check the columns it reads)
        found_all = over_rows(commands, lambda rows: rows.filter(match.expr))
        return found_all if columns is None else found_all.select(columns)
    if columns is not None:  # (the same few columns for every command rule: projected once per batch)
        commands = frames.memo(("command_columns", tuple(columns)), lambda: frames.commands.select(columns))
    found: list[pl.Series] = []
    for screen, place, parts in plan.groups:
        if screen is None:
            candidates = distinct_commands(frames)
        else:
            by_program = commands_by_program(frames)
            present = [by_program[name] for name in sorted(screen) if name in by_program]
            if not present:
                continue
            candidates = pl.concat(present, rechunk=False) if len(present) > 1 else present[0]
        if any(p is None for p in parts):  # a branch with no row-wise conjunct: all candidates
            rows = exploded(candidates["_rows"])
        elif screen is None:
            rows = _unscreened_rows(frames, parts)  # type: ignore[arg-type]
        else:
            rows = exploded(known_column(candidates, _any(parts), "_rows"))
        if place and len(rows):
            rows = rows.filter(_place_mask(frames, place, rows))
        found.append(rows)
    found = [r for r in found if len(r)]
    if not found:
        return commands.clear()
    return commands[pl.concat(found).unique(maintain_order=True).sort()]


def command_hits(frames: Frames, match: Match) -> pl.DataFrame:
    """Where ``match`` holds, as a ``command`` rule's labels have it: one row per step (its
    first matching command) with ``trial_id``, ``seq``, ``evidence`` (the command's text),
    ``span_start``, ``span_end`` and ``evidence_seq``."""
    hit = command_rows(frames, match, ["trial_id", "seq", "idx", "text", "span_start", "span_end", "evidence_seq"])
    if hit.is_empty():  # (most rules in a small batch: the frame of none, made once per schema)
        key = tuple(hit.schema.items())
        if key not in _SEEN.no_hits:
            _SEEN.no_hits[key] = over_rows(hit, _first_command)
        return _SEEN.no_hits[key].clear()
    return _first_command(hit)



def _first_command(hit: pl.DataFrame | pl.LazyFrame):
    # (each step's first row in idx order, steps in the order of their first: a grouping's
    # ``first``, for about half its cost)
    return hit.sort("idx").unique(subset=["trial_id", "seq"], keep="first", maintain_order=True).select(
        "trial_id", "seq",
        pl.col("text").str.slice(0, EVIDENCE_CHARS).alias("evidence"),
        "span_start", "span_end", pl.col("evidence_seq").cast(pl.Int32),
    )


def match_rows(frames: Frames, df: pl.DataFrame, match: Match) -> pl.DataFrame:
    """``df.filter(match.expr)`` for a text unit (actions, outputs, messages), found faster:
    branch by branch (:meth:`~redline.classifiers.rule.Match.or_branches`), the conjuncts of a
    branch that read ``text`` alone once per distinct text (one grouping per batch, shared by
    every rule that reads the frame; ``text`` repeats far more than ``text`` with the exit
    status and the command), the branch's other conjuncts only on the rows that pass those.
    (A row is kept where some branch has every conjunct true: where ``match.expr`` is.)"""
    branches = match.or_branches()
    conjuncts = [c for _, cs in branches for c in cs]
    if df.height < 2 or len(conjuncts) < 2 or not all(row_wise(c) for c in conjuncts):
        return filter_rows(frames, df, match.expr)
    found: list[pl.Series] = []
    for _, cs in branches:
        on_text = [c for c in cs if read_columns(c) == ("text",)]
        rest = [c for c in cs if not any(c is t for t in on_text)]
        if on_text:
            rows = matching_rows(frames, df, on_text, ("text",))
            if rest:
                rest_expr = _and(rest).alias("_holds")  # type: ignore[union-attr]
                rows = rows.filter(over_rows(df[rows], lambda on: on.select(rest_expr))["_holds"])
        else:
            rest_expr = _and(rest)  # type: ignore[assignment]
            roots = read_columns(rest_expr)
            rows = (matching_rows(frames, df, [rest_expr], roots) if roots else
                    df.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
                              rest_expr.alias("_holds")).filter("_holds")["_row"])
        found.append(rows)
    rows = pl.concat(found).unique()
    if rows.is_empty():
        return df.clear()
    return df[rows.sort()]
