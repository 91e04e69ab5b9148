"""A rule's version, derived from its logic: a fingerprint that changes whenever the logic does.

The fingerprint hashes what decides which rows a rule labels and with what evidence:

- the unit it reads (``on``) and its status;
- a ``match`` rule's polars expression, in polars' serialised form (every column, regex and
  literal of it), the regexes its evidence comes from, and the programs each of its branches
  is screened by;
- a ``custom`` rule's source code, and, followed through the names it uses, the source of
  every function and class it calls that is redline's or its own module's (a class with the
  helpers its methods use), the expression of every match or expression it refers to, the
  version of every rule it builds on and the value of every constant it reads (compiled
  regexes included);
- its ``fallback`` regex, and its ``hits`` and ``misses`` examples;
- the logic of the stages that shape the rows every rule reads
  (:func:`~redline.classifiers.frames.build_frames`, followed the same way: scripts run at a
  step, commands run by code or a session manager, windowed outputs), since a change there
  changes which rows rules see.

Documentation, name, summary and ATT&CK techniques are left out: they do not change a label.
So are the docstrings and comments of the code followed (:func:`logic_source`), and blank lines.
Labels keep the version of the rule that wrote them (``labels.classifier_version``), so labels
written by an older rule are visibly stale, and ``redline classify`` names the rules whose
version changed since the database was last labelled.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import io
import json
import re
import textwrap
import tokenize
import types
from typing import Any

import polars as pl

from .expressions import expression_text
from .frames import build_frames

#: hex digits of the hash kept as the version
VERSION_DIGITS = 12


@functools.lru_cache(maxsize=4096)
def logic_source(source: str) -> str:
    """``source`` (a function's or a class's, as :func:`inspect.getsource` gives it) without its
    docstrings, comments, blank lines and trailing spaces: what the code does, not what it says
    about it. Source that does not parse alone is kept as it is. (Once per source: the rules
    share most of the helpers their versions follow.)"""
    text = textwrap.dedent(source)
    try:
        tree = ast.parse(text)
        comments = [(tok.start, tok.end) for tok in tokenize.generate_tokens(io.StringIO(text).readline)
                    if tok.type == tokenize.COMMENT]
    except (SyntaxError, tokenize.TokenError, IndentationError):
        return source
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def at(row: int, col: int) -> int:  # (tokenize's row and column, in characters)
        return starts[row - 1] + col

    def at_bytes(row: int, col: int) -> int:  # (ast's row and column, in UTF-8 bytes)
        return at(row, len(lines[row - 1].encode("utf-8")[:col].decode("utf-8", "ignore")))

    cuts = [(at(*start), at(*end)) for start, end in comments]
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(
                    first.value.value, str) and first.end_lineno is not None and first.end_col_offset is not None:
                cuts.append((at_bytes(first.lineno, first.col_offset), at_bytes(first.end_lineno, first.end_col_offset)))
    kept, done = [], 0
    for start, end in sorted(cuts):
        if start >= done:
            kept.append(text[done:start])
            done = end
    kept.append(text[done:])
    return "\n".join(line.rstrip() for line in "".join(kept).splitlines() if line.strip())


def code_names(code: types.CodeType) -> set[str]:
    """The global and attribute names ``code`` and the code nested in it (inner functions,
    comprehensions) use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names


class _Walk:
    """One walk through a custom rule's code and what it relies on."""

    def __init__(self, home: str) -> None:
        #: the module of the rule's function: its helpers are followed like redline's own
        self.home = home
        self.seen: set[int] = set()
        #: the polars expressions met on the way (their regexes are checked by the registry)
        self.exprs: list[pl.Expr] = []

    def value(self, value: Any) -> str | None:
        """What a name the code uses contributes (None: nothing). Rules and matches are
        recognised by their attributes: this module sits below the one that declares them."""
        if isinstance(getattr(value, "classifier_version", None), str) and isinstance(getattr(value, "id", None), str):
            return f"rule {value.id} {value.classifier_version}"
        if isinstance(getattr(value, "expr", None), pl.Expr):  # a Match
            self.exprs.append(value.expr)
            return expression_text(value.expr) + repr(getattr(value, "patterns", ()))
        if isinstance(value, pl.Expr):
            self.exprs.append(value)
            return expression_text(value)
        if isinstance(value, (str, int, float, bool, bytes)) or value is None:
            return repr(value)
        if isinstance(value, re.Pattern):
            return f"re.compile({value.pattern!r}, {int(value.flags)})"
        if isinstance(value, (tuple, list)):
            return "[" + ", ".join(self.value(v) or "?" for v in value) + "]"
        if isinstance(value, (set, frozenset)):
            return "{" + ", ".join(sorted(repr(v) for v in value)) + "}"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {self.value(v)}" for k, v in sorted(value.items(), key=repr)) + "}"
        module = getattr(value, "__module__", None) or ""
        if callable(value) and (module.startswith("redline.") or module == self.home):
            return self.klass(value) if isinstance(value, type) else self.function(value)
        return None

    def klass(self, cls: type) -> str:
        """A class: its source, and what the methods written in it rely on (methods a decorator
        such as ``dataclass`` generates have no source and are left out)."""
        if id(cls) in self.seen:
            return f"<{cls.__qualname__}>"
        self.seen.add(id(cls))
        try:
            source, path = logic_source(inspect.getsource(cls)), inspect.getsourcefile(cls)
        except (OSError, TypeError):  # defined where no source is kept
            return cls.__qualname__
        parts = [source]
        for name, member in vars(cls).items():
            fn = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
            fn = fn.fget if isinstance(fn, property) else fn
            code = getattr(fn, "__code__", None)
            if code is not None and code.co_filename == path:
                parts.append(f"{name}: {self.function(fn)}")
        return "\n".join(parts)

    def function(self, fn: Any) -> str:
        fn = inspect.unwrap(fn)
        if id(fn) in self.seen:
            return f"<{getattr(fn, '__qualname__', '?')}>"
        self.seen.add(id(fn))
        code = getattr(fn, "__code__", None)
        if code is None:
            return getattr(fn, "__qualname__", type(fn).__name__)
        try:
            source = logic_source(inspect.getsource(fn))
        except (OSError, TypeError):  # defined where no source is kept: its compiled form
            source = code.co_code.hex() + repr([c for c in code.co_consts if not isinstance(c, types.CodeType)])
        parts = [source]
        scope = getattr(fn, "__globals__", {})
        for name in sorted(code_names(code)):
            # a global that is None is left out like an object it cannot read: it is most often a
            # cache filled on first use (a parser built lazily), which must not make the version
            # depend on what ran before it was computed
            if name in scope and scope[name] is not None:
                text = self.value(scope[name])
                if text is not None:
                    parts.append(f"{name} = {text}")
        for cell, name in zip(getattr(fn, "__closure__", None) or (), code.co_freevars):
            try:
                text = self.value(cell.cell_contents)
            except ValueError:  # an empty cell
                continue
            if text is not None:
                parts.append(f"{name} = {text}")
        for default in getattr(fn, "__defaults__", None) or ():
            parts.append(self.value(default) or type(default).__name__)
        return "\n".join(parts)


@functools.lru_cache(maxsize=1)
def frames_fingerprint() -> str:
    """A hash of the logic that builds the rows rules read (:func:`~redline.classifiers.frames.build_frames`
    and what it relies on). Part of every rule's version."""
    text = _Walk(build_frames.__module__).function(build_frames)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def rule_fingerprint(rule: Any, exprs: list[pl.Expr] | None = None) -> str:
    """The version of a :class:`~redline.classifiers.rule.Rule`: a hash of its logic.

    The polars expressions a ``custom`` rule relies on are appended to ``exprs`` when given.
    """
    parts: list[str] = [frames_fingerprint(), rule.on, rule.status]
    if rule.match is not None:
        parts += [expression_text(rule.match.expr), repr(rule.match.patterns),
                  repr([None if screen is None else sorted(screen) for screen, _ in rule.match.or_branches()])]
    if rule.custom is not None:
        walk = _Walk(getattr(rule.custom, "__module__", "") or "")
        parts.append(walk.function(rule.custom))
        if exprs is not None:
            exprs.extend(walk.exprs)
    parts.append(repr(rule.fallback))
    parts.append(json.dumps([list(rule.hits), list(rule.misses)], sort_keys=True, ensure_ascii=False, default=repr))
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return digest[:VERSION_DIGITS]
