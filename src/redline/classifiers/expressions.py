"""What a rule's polars expressions say: their text, the columns and the regexes they use.

Rules are polars expressions, and polars compiles a regex only when an expression runs over
rows, sometimes only over rows that reach it (inside ``list.eval`` or a ``when`` branch). So a
bad pattern would surface at classify time, on some batch. :func:`check_expression` finds every
regex in an expression from its serialised form and compiles each with polars' own engine
(Rust-regex syntax) when the rule is declared, so a bad pattern fails at import, naming the
rule.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any, TypeVar

import polars as pl

from ..limits import POLARS_KEPT_REGEXES, REGEX_RELEASE_PASSES

#: a frame of one row, over which :func:`release_regexes` runs its tests
_ONE_ROW = pl.DataFrame({"_": [0]})
#: polars string functions whose pattern argument is a regex (unless flagged literal)
_REGEX_FUNCTIONS = {"Contains", "Find", "CountMatches", "Replace", "Extract", "ExtractAll", "ExtractGroups"}
#: patterns compiled successfully in this process (rules share many helpers); held in an object
#: the version fingerprints do not read (:mod:`redline.classifiers.fingerprint`), since what a
#: process happened to check before must not change a rule's version
_SEEN = SimpleNamespace(checked=set(), texts={}, roots={})
#: objects whose answers (:func:`by_identity`: :func:`expression_text`, :func:`merged_contains`, the
#: engine's plans (:mod:`redline.classifiers.matching`), the answers' digests and columns) are
#: kept by id at most, each cache (the engine's and the rules' own are a few hundred; past it, a
#: cache starts again)
_KEPT_BY_ID = 4096
_K = TypeVar("_K")


def by_identity(cache: dict, obj: _K, compute: Callable[[_K], Any]) -> Any:
    """``compute(obj)``, once per object (an expression, a rule's match): the engine asks the same
    questions of the same expressions in every batch (serialising one costs some 40
    microseconds). Each object is kept with its answer, so its id is never reused while the
    answer is."""
    known = cache.get(id(obj))
    if known is not None and known[0] is obj:
        return known[1]
    answer = compute(obj)
    if len(cache) >= _KEPT_BY_ID:  # (expressions built anew for each batch)
        cache.clear()
    cache[id(obj)] = (obj, answer)
    return answer


def read_columns(expr: pl.Expr) -> tuple[str, ...]:
    """The columns ``expr`` reads, each once, sorted; once per expression object (walking a
    rule's large expressions took up to half a millisecond, batch after batch)."""
    return by_identity(_SEEN.roots, expr, _read_columns)


def _read_columns(expr: pl.Expr) -> tuple[str, ...]:
    return tuple(sorted(set(expr.meta.root_names())))


def expression_text(expr: pl.Expr) -> str:
    """A polars expression in a stable, complete text form (its JSON serialisation)."""
    return by_identity(_SEEN.texts, expr, _expression_text)


def _expression_text(expr: pl.Expr) -> str:
    try:
        return expr.meta.serialize(format="json")
    except Exception:  # a polars that cannot serialise it: the display form
        return str(expr)


def expression_tree(expr: pl.Expr) -> Any:
    """A polars expression's serialised form, parsed (what the helpers here walk); raises
    when polars cannot serialise it."""
    return json.loads(expr.meta.serialize(format="json"))


def from_tree(tree: Any) -> pl.Expr:
    """The polars expression of a (rewritten) serialised form: :func:`expression_tree`'s inverse."""
    return pl.Expr.deserialize(io.StringIO(json.dumps(tree)), format="json")


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
        tree = expression_tree(expr)
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


#: a ``fill_null(False)`` literal, serialised
FALSE_LITERAL = {"Literal": {"Scalar": {"Boolean": False}}}
#: the binary operators of a serialised expression that are a logical AND / OR of booleans
AND_OPS, OR_OPS = frozenset({"And", "LogicalAnd"}), frozenset({"Or", "LogicalOr"})
#: what this process merged (:func:`merged_contains`), by the serialised expression (None:
#: nothing merges); held apart from the version fingerprints, like :data:`_SEEN`
_MERGED = SimpleNamespace(exprs={}, by_id={})


def _contains_leaf(node: Any) -> tuple[str, str] | None:
    """(the serialised input, the pattern) of ``input.str.contains(pattern).fill_null(False)``
    (a regex, not a literal), else None: such a test is never null."""
    call = node.get("Function") if isinstance(node, dict) else None
    if not (isinstance(call, dict) and call.get("function") == "FillNull" and len(call.get("input") or ()) == 2
            and call["input"][1] == FALSE_LITERAL):
        return None
    inner = call["input"][0].get("Function") if isinstance(call["input"][0], dict) else None
    if not (isinstance(inner, dict) and inner.get("function") == {"StringExpr": {"Contains": {"literal": False,
                                                                                             "strict": True}}}
            and len(inner.get("input") or ()) == 2):
        return None
    pattern = inner["input"][1].get("Literal", {}).get("Scalar", {}).get("String") if isinstance(
        inner["input"][1], dict) else None
    return None if not isinstance(pattern, str) else (json.dumps(inner["input"][0], sort_keys=True), pattern)


def _or_leaves(node: Any) -> list[Any]:
    binary = node.get("BinaryExpr") if isinstance(node, dict) else None
    if isinstance(binary, dict) and binary.get("op") in OR_OPS:
        return _or_leaves(binary["left"]) + _or_leaves(binary["right"])
    return [node]


def _compiles(pattern: str) -> bool:
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except pl.exceptions.PolarsError:
        return False
    return True


def _merge_leaves(leaves: list[Any]) -> list[Any]:
    """``leaves`` (OR-ed) with the regex tests of one input merged into one test of the
    alternation of their patterns, at the place of the first."""
    groups: dict[str, list[int]] = {}
    for i, leaf in enumerate(leaves):
        found = _contains_leaf(leaf)
        if found is not None:
            groups.setdefault(found[0], []).append(i)
    out, dropped = list(leaves), set()
    for members in groups.values():
        if len(members) < 2:
            continue
        merged = "|".join(f"(?:{_contains_leaf(leaves[i])[1]})" for i in members)  # type: ignore[index]
        if not _compiles(merged):  # (a size limit of the regex engine): keep them apart
            continue
        first = json.loads(json.dumps(leaves[members[0]]))
        first["Function"]["input"][0]["Function"]["input"][1] = {"Literal": {"Scalar": {"String": merged}}}
        out[members[0]] = first
        dropped.update(members[1:])
    return [leaf for i, leaf in enumerate(out) if i not in dropped]


def _merge(node: Any) -> Any:
    if isinstance(node, list):
        return node if node and isinstance(node[0], int) else [_merge(v) for v in node]
    if not isinstance(node, dict):
        return node
    binary = node.get("BinaryExpr")
    if isinstance(binary, dict) and binary.get("op") in OR_OPS:
        leaves = _merge_leaves([_merge(leaf) for leaf in _or_leaves(node)])
        chain = leaves[0]
        for leaf in leaves[1:]:
            chain = {"BinaryExpr": {"left": chain, "op": binary["op"], "right": leaf}}
        return chain
    call = node.get("Function")
    if isinstance(call, dict) and call.get("function") == {"Boolean": "AnyHorizontal"}:
        inputs = _merge_leaves([_merge(v) for v in call.get("input") or []])
        if len(inputs) == 1 and _contains_leaf(inputs[0]) is not None:
            return inputs[0]  # (never null: the OR of one never-null test is that test)
        return {"Function": {**call, "input": inputs}}
    return {key: _merge(value) for key, value in node.items()}


def merged_contains(expr: pl.Expr) -> pl.Expr:
    """``expr`` with the regex tests of one input that are OR-ed together
    (``a.str.contains(p).fill_null(False) | a.str.contains(q).fill_null(False)``, or in
    ``pl.any_horizontal``) merged into one test of the alternation ``(?:p)|(?:q)``: the same
    value on every row (a text has a match of the alternation exactly where it has one of
    ``p`` or of ``q``; inline flags such as ``(?m)`` stay within their group), read in one
    scan of the text instead of one per pattern. Where nothing merges, ``expr`` itself."""
    return by_identity(_MERGED.by_id, expr, _merged_contains)


def _merged_contains(expr: pl.Expr) -> pl.Expr:
    try:
        text = expr.meta.serialize(format="json")
    except Exception:  # a form it cannot read back: evaluate it as it is
        return expr
    if text.count('"Contains"') < 2:
        return expr
    if text not in _MERGED.exprs:
        answer = None
        try:
            tree = json.loads(text)
            merged = _merge(tree)
            if merged != tree:
                answer = from_tree(merged)
        except Exception:  # a form it cannot read back: evaluate it as it is
            answer = None
        _MERGED.exprs[text] = answer
    return _MERGED.exprs[text] if _MERGED.exprs[text] is not None else expr


def over_rows(df: pl.DataFrame, step: Callable[[Any], Any], empty: pl.DataFrame | None = None) -> pl.DataFrame:
    """``step(df)``: a step that evaluates expressions over ``df``'s rows (filters, new columns,
    explodes, joins, grouped aggregations: any whose result has no rows when its input has
    none); or, when ``df`` has no rows, what the step gives over none without running it:
    ``empty`` when given (a filter's is ``df`` itself), else the empty frame of the step's
    result (from ``step(df.lazy())``: a step is written with what polars' DataFrame and
    LazyFrame share). Polars compiles every regex of a query each time the query runs, rows or
    none (it keeps only the last 32 per thread, and a batch's rules use hundreds: about a
    millisecond each), so a step over no rows is never run. The engine's and the rules' regex
    steps over rows that may be none go through here (or :func:`filtered`)."""
    if df.height:
        return step(df)
    return empty if empty is not None else pl.DataFrame(schema=step(df.lazy()).collect_schema())


def release_regexes() -> None:
    """Let go of the compiled regexes polars keeps after a batch's rules ran: it keeps the last
    :data:`~redline.limits.POLARS_KEPT_REGEXES` it compiled in each thread (the calling thread
    and each of its pool's), and the rules' large ones take up to a megabyte apiece; kept, they
    sat beside the models and the labels' insert. Each thread's are pushed out by as many tiny
    ones: one query at a time in the calling thread, and queries of many such tests, which
    polars spreads over its pool's threads. The next batch compiles the rules' regexes again
    in any case (they are many more than polars keeps)."""
    flush = [pl.lit("").str.contains(f"^{i}$").alias(f"f{i}") for i in range(POLARS_KEPT_REGEXES)]
    for test in flush:
        pl.select(test)
    spread = flush + [pl.lit("").str.contains(f"^-{i}$").alias(f"g{i}") for i in range(POLARS_KEPT_REGEXES)]
    for _ in range(REGEX_RELEASE_PASSES):
        _ONE_ROW.select(spread)


def filtered(df: pl.DataFrame, expr: pl.Expr) -> pl.DataFrame:
    """``df.filter(expr)``, not run over no rows (:func:`over_rows`)."""
    return over_rows(df, lambda rows: rows.filter(expr), empty=df)
