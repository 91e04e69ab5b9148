"""A regex's form for texts that are all ASCII: the same matches there, found many times faster.

polars matches with Rust's ``regex``, in which ``\\w``, ``\\W``, ``\\s``, ``\\d``, ``\\b``,
``.`` and negated classes such as ``[^\\n]`` are Unicode's: a class such as ``\\W`` holds most
of Unicode, and a pattern that repeats one (``(?:[\\w'-]+\\W+){0,10}?``, ``[^\\n]{0,200}``)
compiles to an automaton too large for the fast engine, so finding *where* it matches falls to
the slow one (about 2 µs a byte: locating the message rules' evidence was a quarter of a
classify of the development corpus). In a text with no character past ASCII, each class can
only match its ASCII members, so :func:`ascii_form` writes every class as its intersection
with ASCII (``[\\x00-\\x7F&&\\W]``) and every word boundary as ASCII's (``(?-u:\\b)``): on such
a text the two forms find the same matches at the same places, and the second is small.

The rewrite reads the pattern's syntax only as far as it must (escapes, classes, groups and
their flags); a pattern with syntax it does not know (verbose mode, ``.`` under the ``s`` flag,
``\\b{start}``, ``\\<``...) has no ASCII form, and is matched as it is everywhere.

Where a match is located (:func:`~redline.classifiers.evidence.first_match`), the rows whose
text is ASCII are searched with the ASCII forms. Whether a text matches at all is left to the
pattern as written: that test is fast either way, and a second form of each of the rules'
regexes would be compiled in every batch beside the first (measured: no faster).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import polars as pl

from .expressions import over_rows

#: the ASCII part of a class, written as an intersection (the class itself is kept as written)
_ASCII = r"\x00-\x7F"
#: escapes that stand for a class (``\\pL``, ``\\p{Greek}`` and their negations are read apart)
_CLASS_ESCAPES = frozenset("wWsSdD")
#: escapes that stand for a literal character or an anchor, kept as they are (``\\<`` and
#: ``\\>`` are word boundaries, read as unknown)
_KEPT_ESCAPES = frozenset("AzntrfvaxuU0123456789") | frozenset(r"\.+*?()|[]{}^$#&-~ /'\"!%,:;=@`_")


class _Unknown(ValueError):
    """Syntax the rewrite does not read."""


@functools.lru_cache(maxsize=4096)
def ascii_form(pattern: str) -> str | None:
    """``pattern`` with every class narrowed to ASCII and every word boundary ASCII's: on a text
    of ASCII characters only it matches exactly where ``pattern`` does. None when the pattern
    has syntax the rewrite does not read, or nothing it would change."""
    try:
        out, folds = _rewrite(pattern)
    except _Unknown:
        return None
    if folds and (not pattern.isascii() or any(e in pattern for e in ("\\x{", "\\u", "\\U"))):
        # case folding joins a few characters past ASCII to ASCII letters (the Kelvin sign to
        # k): a class that names one would lose its ASCII partner when narrowed first
        return None
    if out == pattern or not _compiles(out):
        return None
    return out


def _compiles(pattern: str) -> bool:
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except pl.exceptions.PolarsError:  # (a size limit of the regex engine, say)
        return False
    return True


def _rewrite(p: str) -> tuple[str, bool]:
    """The rewritten pattern, and whether it turns case-insensitive matching on anywhere."""
    out: list[str] = []
    folds = False
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == "\\":
            atom, i = _escape(p, i)
            out.append(atom)
        elif c == "[":
            end = _class_end(p, i)
            out.append(f"[{_ASCII}&&{p[i:end]}]")
            i = end
        elif c == ".":
            out.append(f"[{_ASCII}&&[^\\n]]")
            i += 1
        elif c == "(" and p.startswith("(?", i):
            end, flags = _group_head_end(p, i)
            folds = folds or "i" in flags.split("-")[0]
            out.append(p[i:end])
            i = end
        else:
            out.append(c)
            i += 1
    return "".join(out), folds


def _escape(p: str, i: int) -> tuple[str, int]:
    """The rewritten escape at ``p[i]`` (a backslash), and where what follows it starts."""
    if i + 1 >= len(p):
        raise _Unknown("a trailing backslash")
    e = p[i + 1]
    if e in _CLASS_ESCAPES:
        return f"[{_ASCII}&&\\{e}]", i + 2
    if e in "bB":
        if p.startswith("{", i + 2):
            raise _Unknown("a word-boundary assertion of a kind")
        return f"(?-u:\\{e})", i + 2
    if e in "pP":
        if p.startswith("{", i + 2):
            end = _past(p, "}", i + 2, "an unclosed \\p{...}")
            return f"[{_ASCII}&&{p[i:end]}]", end
        if i + 2 >= len(p):
            raise _Unknown("a \\p without a name")
        return f"[{_ASCII}&&{p[i:i + 3]}]", i + 3
    if e == "x" and p.startswith("{", i + 2):
        end = _past(p, "}", i + 2, "an unclosed \\x{...}")
        return p[i:end], end
    if e in _KEPT_ESCAPES:
        return p[i:i + 2], i + 2
    raise _Unknown(f"the escape \\{e}")


def _past(p: str, closing: str, start: int, what: str) -> int:
    """Where ``p`` goes on after the first ``closing`` from ``start``; unknown (``what``) if none."""
    end = p.find(closing, start)
    if end < 0:
        raise _Unknown(what)
    return end + len(closing)


def _class_end(p: str, i: int) -> int:
    """Where the bracketed class that opens at ``p[i]`` ends (just past its ``]``)."""
    depth, j, n = 0, i, len(p)
    while j < n:
        c = p[j]
        if c == "\\":
            if j + 1 < n and p[j + 1] in "pPx" and p.startswith("{", j + 2):
                j = _past(p, "}", j + 2, "an unclosed escape in a class")
            else:
                j += 2
            continue
        if c == "[":
            if p.startswith("[:", j):  # an ASCII class by name, [:alpha:]
                j = _past(p, ":]", j + 2, "an unclosed [:name:]")
                continue
            depth += 1
            j += 1
            # a ']' first in a class (after an optional '^') is a literal
            if p.startswith("^", j):
                j += 1
            if p.startswith("]", j):
                j += 1
            continue
        if c == "]":
            depth -= 1
            j += 1
            if depth == 0:
                return j
            continue
        j += 1
    raise _Unknown("an unclosed class")


def _group_head_end(p: str, i: int) -> tuple[int, str]:
    """Where the head of the group opening at ``p[i]`` with ``(?`` ends: a name
    (``(?P<x>``, ``(?<x>``) or flags (``(?i)``, ``(?-u:``), kept as written; a flag the rewrite
    cannot keep equivalent (``x``: spaces and ``#`` mean something else; ``s`` and ``R``: ``.``
    takes a newline, or not a carriage return) makes the pattern unknown."""
    j = i + 2
    if p.startswith("P<", j) or (p.startswith("<", j) and not p.startswith(("<=", "<!"), j)):
        return _past(p, ">", j, "an unclosed group name"), ""
    k = j
    while k < len(p) and p[k] not in ":)":
        if p[k] not in "imsuUxR-":
            raise _Unknown(f"the group syntax (?{p[j:k + 1]}")
        k += 1
    if k >= len(p):
        raise _Unknown("an unclosed group")
    flags = p[j:k]
    if "x" in flags or (("s" in flags or "R" in flags) and "." in p):
        raise _Unknown(f"the flags (?{flags}")
    return k + 1, flags


def is_plain(column: str) -> pl.Expr:
    """Whether a row's text in ``column`` is all ASCII (a null is: nothing matches it either way)."""
    return (pl.col(column).str.len_bytes() == pl.col(column).str.len_chars()).fill_null(True)


def narrowed(pattern: str) -> str:
    """``pattern``'s ASCII form, or itself when it has none (for texts known to be ASCII)."""
    return ascii_form(pattern) or pattern


def as_written(pattern: str) -> str:
    """``pattern`` itself (for texts that may not be ASCII)."""
    return pattern


def per_plainness(df: pl.DataFrame, column: str,
                  step: Callable[[Any, Callable[[str], str]], Any]) -> pl.DataFrame:
    """``step(rows, form)`` over the rows of ``df`` whose ``column`` is ASCII (or null), with
    ``form`` giving a regex's ASCII form (:func:`narrowed`), and over the other rows, with
    ``form`` giving it as written; the two results one after the other. For a step that gives
    rows found in each input row apart (an ``extract_all``, an ``explode``), whose result is
    then grouped or taken as a set. A step over no rows is not run
    (:func:`~redline.classifiers.expressions.over_rows`)."""
    plain = df.select(is_plain(column)).to_series()
    return pl.concat([over_rows(df.filter(plain), lambda rows: step(rows, narrowed)),
                      over_rows(df.filter(~plain), lambda rows: step(rows, as_written))])
