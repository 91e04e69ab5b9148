"""Which rows an expression over the ``commands`` frame reads: its own row only (:func:`row_wise`),
the rows of its own step (:func:`within_step`), or any rows.

The engine (:mod:`redline.classifiers.matching`) evaluates a row-wise expression once per distinct
command, output or message, and an expression that looks within a step over the steps of some
rows only; both are told from the expression's serialised form.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import polars as pl

from .expressions import AND_OPS, FALSE_LITERAL, OR_OPS, expression_tree, from_tree


#: command-frame columns that say where a row is, not what it runs
PLACE_COLUMNS = frozenset({"trial_id", "seq", "idx", "parent_idx", "depth", "span_start", "span_end", "evidence_seq"})
#: polars nodes and functions whose value for a row depends on other rows (outside ``list.eval``,
#: where they act within one row's list)
_CROSS_ROW = frozenset({
    "Over", "Window", "Agg", "Filter", "Slice", "Sort", "SortBy", "Gather", "Explode", "Rolling", "Shift",
    "ShiftAndFill", "CumSum", "CumProd", "CumMin", "CumMax", "CumCount", "CumReduce", "CumFold", "Diff",
    "Rank", "Unique", "Reverse", "Any", "All", "IsFirstDistinct", "IsLastDistinct", "IsUnique",
    "IsDuplicated", "FillNullWithStrategy", "Interpolate", "ArgUnique", "UniqueCounts", "ValueCounts",
    "Mode", "PctChange", "EwmMean", "EwmStd", "EwmVar", "ConcatVertical", "Len", "Count", "NUnique",
    "Implode", "RollingExpr", "Cumulative", "ForwardFill", "BackwardFill", "Repeat",
})


#: function namespaces whose every function acts within one row's list (``list.slice``,
#: ``list.shift``): their names say nothing about other rows
_WITHIN_ROW_NAMESPACES = frozenset({"ListExpr", "ArrayExpr"})


def _cross_row(node: Any) -> bool:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _WITHIN_ROW_NAMESPACES:
                continue  # (its inputs are the function's "input", read apart)
            if key == "StringExpr" and value == "Slice":  # a slice of each row's text
                continue
            if key in _CROSS_ROW:
                return True
            if key == "Eval" and isinstance(value, dict):  # the evaluation runs within a row's list
                if _cross_row(value.get("expr")):
                    return True
                continue
            if isinstance(value, str) and value in _CROSS_ROW:
                return True
            if isinstance(value, (dict, list)) and _cross_row(value):
                return True
        return False
    if isinstance(node, list):
        if node and isinstance(node[0], int):  # a literal's bytes (a list of values, serialised)
            return False
        for v in node:
            if isinstance(v, (dict, list)) and _cross_row(v):
                return True
    return False


#: what this process worked out about the expressions it has seen, by id (each is kept, so its
#: id is never reused): ``row_wise`` (:func:`row_wise`; AND distributed over OR puts one
#: conjunct object in many branches), ``within_step`` (:func:`within_step`) and ``screens``
#: (:func:`implied_test`). Held in an
#: object the version fingerprints do not read (:mod:`redline.classifiers.fingerprint`): what
#: a process happened to evaluate before must not change a rule's version
_SEEN = SimpleNamespace(row_wise={}, within_step={}, screens={})


def row_wise(expr: pl.Expr) -> bool:
    """Whether an expression's value for a command row depends on that row's content only: it
    reads none of :data:`PLACE_COLUMNS` and nothing in it looks at other rows (a window, a
    shift, an aggregate). Such an expression can be evaluated over distinct contents, or over
    any subset of the rows, with the same result for each row."""
    known = _SEEN.row_wise.get(id(expr))
    if known is not None and known[0] is expr:
        return known[1]
    answer = _row_wise(expr)
    _SEEN.row_wise[id(expr)] = (expr, answer)
    return answer


#: any name of :data:`_CROSS_ROW` as it appears in an expression's JSON form
_CROSS_ROW_TOKEN = re.compile('"(?:' + "|".join(sorted(_CROSS_ROW)) + ')"')


def _row_wise(expr: pl.Expr) -> bool:
    if not set(expr.meta.root_names()).isdisjoint(PLACE_COLUMNS):
        return False
    try:
        text = expr.meta.serialize(format="json")
    except Exception:  # cannot tell: evaluate it over the whole frame
        return False
    if _CROSS_ROW_TOKEN.search(text) is None:  # no such name anywhere: nothing to read apart
        return True
    return not _cross_row(json.loads(text))


#: the columns that name a step: a window partitioned by both stays within one step
_STEP = ({"Column": "trial_id"}, {"Column": "seq"})


def _within_step(node: Any) -> bool:
    """Whether a serialised expression reads other rows only through windows over a step (or a
    part of one): ``.over(["trial_id", "seq"])``, with row-wise partition and order keys."""
    if isinstance(node, dict):
        over = node.get("Over")
        if isinstance(over, dict):
            keys = over.get("partition_by") or []
            order = over.get("order_by")
            return (all(k in keys for k in _STEP) and over.get("mapping") == "GroupsToRows"
                    and not _cross_row(keys) and not (order and _cross_row(order[0]))
                    and "Over" not in json.dumps(over.get("function")))
        if any(key in _CROSS_ROW or (isinstance(value, str) and value in _CROSS_ROW) for key, value in node.items()
               if key not in _WITHIN_ROW_NAMESPACES and not (key == "StringExpr" and value == "Slice")):
            return not _cross_row(node)  # (the same reading as row_wise's, where it allows them)
        return all(_within_step(v) for v in node.values() if isinstance(v, (dict, list)))
    if isinstance(node, list):
        if node and isinstance(node[0], int):
            return True
        return all(_within_step(v) for v in node if isinstance(v, (dict, list)))
    return True


def within_step(expr: pl.Expr) -> bool:
    """Whether an expression's value for a command row depends on the rows of its own step only
    (its windows are over ``trial_id`` and ``seq``): it can be evaluated over just the steps of
    some rows, with the same result for each of them."""
    known = _SEEN.within_step.get(id(expr))
    if known is not None and known[0] is expr:
        return known[1]
    try:
        answer = _within_step(expression_tree(expr))
    except Exception:  # cannot tell
        answer = False
    _SEEN.within_step[id(expr)] = (expr, answer)
    return answer


#: command-frame columns whose values repeat far more than whole commands do (most commands run
#: no code, write no file, come through one of a few tools): a test of one of them is evaluated
#: once per distinct value (:func:`implied_test`)
SCREEN_COLUMNS = ("program", "path", "tool", "command_type", "context", "code", "heredoc", "redirects",
                  "wrappers", "operator", "sudo", "background")


def _screen_nodes(node: Any, column: str) -> Any:
    """A boolean expression (serialised) that reads ``column`` only and holds wherever ``node``
    does (``None``: none found). ``A & B`` holds only where both do, ``A | B`` where either does,
    ``A.fill_null(False)`` where ``A`` does: through those, a conjunct that reads ``column``
    alone is implied by the whole."""
    if not isinstance(node, dict):
        return None
    binary = node.get("BinaryExpr")
    if isinstance(binary, dict) and binary.get("op") in AND_OPS | OR_OPS:
        left, right = _screen_nodes(binary.get("left"), column), _screen_nodes(binary.get("right"), column)
        if binary["op"] in OR_OPS:
            return None if left is None or right is None else {"BinaryExpr": {"left": left, "op": "Or", "right": right}}
        if left is None or right is None:
            return left if right is None else right
        return {"BinaryExpr": {"left": left, "op": "And", "right": right}}
    call = node.get("Function")
    if (isinstance(call, dict) and call.get("function") == "FillNull" and len(call.get("input") or ()) == 2
            and call["input"][1] == FALSE_LITERAL):
        inner = _screen_nodes(call["input"][0], column)
        return None if inner is None else {"Function": {**call, "input": [inner, call["input"][1]]}}
    return node if _columns(node, set()) == {column} else None


def _columns(node: Any, out: set[str]) -> set[str]:
    """The columns a serialised expression reads."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Column" and isinstance(value, str):
                out.add(value)
            elif isinstance(value, (dict, list)):
                _columns(value, out)
    elif isinstance(node, list) and not (node and isinstance(node[0], int)):
        for value in node:
            _columns(value, out)
    return out


def implied_test(expr: pl.Expr, column: str) -> pl.Expr | None:
    """For a :func:`row_wise` boolean expression over commands that reads other columns too: an
    expression over ``column`` alone that is true wherever ``expr`` is (a conjunct that tests
    that column, through the ANDs, ORs and ``fill_null(False)`` above it), or None. The engine
    evaluates it once per distinct value of the column, and ``expr`` only on the commands whose
    value passes it."""
    key = (id(expr), column)
    known = _SEEN.screens.get(key)
    if known is not None and known[0] is expr:
        return known[1]
    answer = None
    roots = set(expr.meta.root_names())
    if column in roots and roots != {column} and row_wise(expr):
        try:
            found = _screen_nodes(expression_tree(expr), column)
            if found is not None:
                answer = from_tree(found)
        except Exception:  # a form it cannot read back: no screen
            answer = None
    _SEEN.screens[key] = (expr, answer)
    return answer
