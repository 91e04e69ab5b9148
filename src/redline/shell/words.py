"""Words: quote and backslash removal, with a map from each output character to its source.

A :class:`Word` keeps its value (quotes removed, expansions such as ``$x`` or ``$(...)`` kept
verbatim) next to its raw text. :func:`word_text_map` also returns, for every character of the
value, the offset in the source text it came from, so a string nested in a word (``bash -c
"..."``) can be parsed and its spans mapped back to the line (:meth:`.source.Source.derive`).
"""

from __future__ import annotations

from typing import Any

from .grammar import EXPANSIONS, PLAIN_WORDS
from .source import Source

# ``$'...'`` escapes that stand for one fixed character
_ANSI_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a",
                "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "v": "\v", "?": "?"}
# characters a backslash escapes inside double quotes (before others it stays)
_DQ_ESCAPABLE = frozenset('$`"\\\n')
_HEX = frozenset("0123456789abcdefABCDEF")


def _lit(text: str, a: int, b: int, buf: list[str], pm: list[int] | None) -> None:
    """Copy ``text[a:b]`` verbatim."""
    if b > a:
        buf.append(text[a:b])
        if pm is not None:
            pm.extend(range(a, b))


def _unescape(text: str, a: int, b: int, buf: list[str], pm: list[int] | None,
              escapable: frozenset[str] | None) -> None:
    """Backslash removal: unquoted (``escapable`` None: any char) or inside double quotes."""
    if text.find("\\", a, b) < 0:
        _lit(text, a, b, buf, pm)
        return
    i = a
    while i < b:
        c = text[i]
        if c == "\\" and i + 1 < b:
            n = text[i + 1]
            if n == "\n":
                i += 2
                continue
            if escapable is None or n in escapable:
                buf.append(n)
                if pm is not None:
                    pm.append(i + 1)
                i += 2
                continue
        buf.append(c)
        if pm is not None:
            pm.append(i)
        i += 1


def _ansi_c(text: str, a: int, b: int, buf: list[str], pm: list[int] | None) -> None:
    """Decode the inside of ``$'...'``; every output character maps to its escape's backslash."""
    i = a
    while i < b:
        c = text[i]
        if c != "\\" or i + 1 >= b:
            buf.append(c)
            if pm is not None:
                pm.append(i)
            i += 1
            continue
        n = text[i + 1]
        j = i + 2
        out: str
        if n in _ANSI_SIMPLE:
            out = _ANSI_SIMPLE[n]
        elif n in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[n]
            k = j
            while k < b and k - j < width and text[k] in _HEX:
                k += 1
            try:
                out = chr(int(text[j:k], 16)) if k > j else "\\" + n
            except (ValueError, OverflowError):
                out = text[i:k]
            j = k
        elif "0" <= n <= "7":
            k = i + 1
            while k < b and k - i - 1 < 3 and "0" <= text[k] <= "7":
                k += 1
            out = chr(int(text[i + 1:k], 8) & 0xFF)
            j = k
        elif n == "c" and j < b:
            out = chr(ord(text[j]) & 0x1F)
            j += 1
        else:
            out = "\\" + n
        buf.append(out)
        if pm is not None:
            pm.extend([i] * len(out))
        i = j


class Word:
    """A word: char span in its source, value (quotes removed; expansions kept verbatim), raw
    text, whether it contains an expansion, and its node (None for recovered words)."""

    __slots__ = ("s", "e", "value", "raw", "exp", "node")

    def __init__(self, s: int, e: int, value: str, raw: str, exp: bool, node: Any) -> None:
        self.s = s
        self.e = e
        self.value = value
        self.raw = raw
        self.exp = exp
        self.node = node

    @property
    def disp(self) -> str:
        return self.raw if self.exp else self.value


def _render(node: Any, src: Source, buf: list[str], pm: list[int] | None) -> bool:
    """Append the word's value to ``buf`` (and source positions to ``pm``); True if it holds an
    expansion (whose text is copied verbatim)."""
    t = node.type
    text = src.text
    cs, ce = src.span(node)
    if t in PLAIN_WORDS:
        _unescape(text, cs, ce, buf, pm, None)
        return False
    if t == "raw_string":
        _lit(text, cs + 1, max(cs + 1, ce - 1), buf, pm)
        return False
    if t == "string" or t == "translated_string":
        start = cs + (2 if t == "translated_string" else 1)
        end = ce - 1 if ce - 1 >= start and text[ce - 1] == '"' else ce
        has = False
        pos = start
        for ch in node.children:
            if ch.type in EXPANSIONS:
                a, b = src.span(ch)
                if a < pos:
                    continue
                _unescape(text, pos, a, buf, pm, _DQ_ESCAPABLE)
                _lit(text, a, b, buf, pm)
                pos = b
                has = True
        _unescape(text, pos, max(pos, end), buf, pm, _DQ_ESCAPABLE)
        return has
    if t == "ansi_c_string":
        _ansi_c(text, cs + 2, max(cs + 2, ce - 1), buf, pm)
        return False
    if t == "concatenation" or t == "variable_assignment":
        has = False
        pos = cs
        for ch in node.children:
            a, b = src.span(ch)
            if a < pos:
                continue
            if a > pos:
                _unescape(text, pos, a, buf, pm, None)
            if ch.is_named:
                has = _render(ch, src, buf, pm) or has
            else:
                _lit(text, a, b, buf, pm)
            pos = b
        if pos < ce:
            _unescape(text, pos, ce, buf, pm, None)
        return has
    _lit(text, cs, ce, buf, pm)
    return True


def read_word(node: Any, src: Source) -> Word:
    """The word of a tree-sitter node (no position map: see :func:`word_text_map`)."""
    b2c = src.b2c
    if b2c is None:
        cs, ce = node.start_byte, node.end_byte
    else:
        cs, ce = b2c[node.start_byte], b2c[node.end_byte]
    raw = src.text[cs:ce]
    if node.type in PLAIN_WORDS and "\\" not in raw:
        return Word(cs, ce, raw, raw, False, node)
    buf: list[str] = []
    exp = _render(node, src, buf, None)
    return Word(cs, ce, "".join(buf), raw, exp, node)


def word_text_map(w: Word, src: Source) -> tuple[str, list[int]]:
    """The word's value with one source position per character."""
    buf: list[str] = []
    pm: list[int] = []
    if w.node is None:
        _lit(src.text, w.s, w.e, buf, pm)
    else:
        _render(w.node, src, buf, pm)
    text = "".join(buf)
    if len(pm) != len(text):  # multi-char output from one escape etc.: keep lengths aligned
        pm = (pm + [pm[-1] if pm else w.s] * len(text))[: len(text)]
    return text, pm


def program_and_path(w: Word) -> tuple[str, str]:
    """(program, path) for the program word."""
    v = w.value
    if not w.exp:
        return (v.rsplit("/", 1)[-1] or v), v
    k = v.rfind("/")
    if k >= 0 and not any(c in v[k:] for c in ")}`"):
        return (v[k + 1:] or v), w.raw
    return v, w.raw
