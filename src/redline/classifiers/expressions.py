"""What a rule's polars expressions say: their text, the columns and the regexes they use.

Rules are polars expressions, and polars compiles a regex only when an expression runs over
rows, sometimes only over rows that reach it (inside ``list.eval`` or a ``when`` branch). So a
bad pattern would surface at classify time, on some batch. :func:`check_expression` finds every
regex in an expression from its serialised form and compiles each with polars' own engine
(Rust-regex syntax) when the rule is declared, so a bad pattern fails at import, naming the
rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import polars as pl

#: polars string functions whose pattern argument is a regex (unless flagged literal)
_REGEX_FUNCTIONS = {"Contains", "Find", "CountMatches", "Replace", "Extract", "ExtractAll", "ExtractGroups"}
#: patterns compiled successfully in this process (rules share many helpers); held in an object
#: the version fingerprints do not read (:mod:`redline.classifiers.fingerprint`), since what a
#: process happened to check before must not change a rule's version
_SEEN = SimpleNamespace(checked=set())


def expression_text(expr: pl.Expr) -> str:
    """A polars expression in a stable, complete text form (its JSON serialisation)."""
    try:
        return expr.meta.serialize(format="json")
    except Exception:  # a polars that cannot serialise it: the display form
        return str(expr)


def _walk(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        call = node.get("Function")
        if isinstance(call, dict):
            fn = call.get("function")
            string_fn = fn.get("StringExpr") if isinstance(fn, dict) else None
            if string_fn is not None:
                name, options = (string_fn, None) if isinstance(string_fn, str) else next(iter(string_fn.items()))
                literal = isinstance(options, dict) and options.get("literal") is True
                inputs = call.get("input") or []
                if name in _REGEX_FUNCTIONS and not literal and len(inputs) > 1 and isinstance(inputs[1], dict):
                    pattern = inputs[1].get("Literal", {}).get("Scalar", {}).get("String")
                    if isinstance(pattern, str):
                        out.append(pattern)
        for value in node.values():
            if isinstance(value, (dict, list)):
                _walk(value, out)
    elif node and isinstance(node[0], (dict, list)):  # not a literal's bytes
        for value in node:
            _walk(value, out)


def regexes_in(expr: pl.Expr) -> list[str]:
    """Every regex pattern a polars expression uses, wherever in it."""
    try:
        tree = json.loads(expr.meta.serialize(format="json"))
    except Exception:  # cannot serialise: nothing to find
        return []
    found: list[str] = []
    _walk(tree, found)
    return found


def check_regexes(owner: str, patterns: Iterable[str]) -> None:
    """Compile each pattern with polars' regex engine; ValueError naming ``owner`` if one is bad."""
    todo = sorted({p for p in patterns if p not in _SEEN.checked})
    if not todo:
        return
    try:
        pl.select([pl.lit("").str.contains(p).alias(f"p{i}") for i, p in enumerate(todo)])
    except pl.exceptions.PolarsError:
        for pattern in todo:  # name the pattern that fails
            try:
                pl.select(pl.lit("").str.contains(pattern))
            except pl.exceptions.PolarsError as exc:
                reason = " ".join(str(exc).split())
                raise ValueError(f"{owner}: invalid regular expression {pattern!r}: {reason}") from None
    _SEEN.checked.update(todo)


def check_expression(owner: str, expr: pl.Expr, columns: Iterable[str] | None = None) -> None:
    """Check that an expression's regexes compile and (given ``columns``) that the columns it
    reads exist; ValueError naming ``owner`` otherwise."""
    if columns is not None:
        missing = sorted(set(expr.meta.root_names()) - set(columns))
        if missing:
            raise ValueError(f"{owner}: no column {', '.join(missing)} in the rows it reads")
    check_regexes(owner, regexes_in(expr))
