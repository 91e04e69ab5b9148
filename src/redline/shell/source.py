"""A piece of shell text being parsed, and the mapping of its offsets back to the line.

tree-sitter works in UTF-8 bytes; rows report character offsets in the original command line.
A :class:`Source` is the line itself or a string nested in it (``bash -c "..."``, ``eval``, a
heredoc script) and carries both mappings: bytes to characters of its own text, and characters
of its text to characters of the original line.
"""

from __future__ import annotations

from itertools import accumulate
from typing import Any

from .grammar import ts_parse
from .heredocs import Heredoc, find_heredocs, neutralize

# continuation bytes of UTF-8 count 0, every other byte starts a character and counts 1
_CHAR_START = bytes(0 if 0x80 <= b < 0xC0 else 1 for b in range(256))


class Source:
    """One piece of shell text that gets parsed: the line itself or a nested string.

    Offsets into ``text`` are mapped to the original line by ``base`` (identity + offset),
    ``omap`` (one original offset per character plus an end sentinel) or ``fixed`` (every span is
    that span: the mapping was not feasible).
    """

    __slots__ = ("text", "data", "b2c", "base", "omap", "fixed", "heredocs", "tree", "label")

    def __init__(self, text: str, base: int = 0, omap: list[int] | None = None,
                 fixed: tuple[int, int] | None = None, label: str = "") -> None:
        self.text = text
        self.base = base
        self.omap = omap
        self.fixed = fixed
        self.label = label
        self.data = b""
        self.b2c: list[int] | None = None
        self.heredocs: dict[int, Heredoc] = {}
        self.tree: Any = None

    def span(self, node: Any) -> tuple[int, int]:
        """The node's character span in ``text``."""
        b2c = self.b2c
        if b2c is None:
            return node.start_byte, node.end_byte
        return b2c[node.start_byte], b2c[node.end_byte]

    def cpos(self, byte: int) -> int:
        """The character offset in ``text`` of a byte offset in ``data``."""
        return byte if self.b2c is None else self.b2c[byte]

    def orig(self, cs: int, ce: int) -> tuple[int, int]:
        """The span in the original line of the character span ``text[cs:ce]``."""
        if self.fixed is not None:
            return self.fixed
        om = self.omap
        if om is None:
            return self.base + cs, self.base + ce
        return om[cs], (om[ce - 1] + 1 if ce > cs else om[cs])

    def sub(self, cs: int, ce: int, label: str) -> Source:
        """A source for the verbatim slice ``text[cs:ce]``."""
        text = self.text[cs:ce]
        if self.fixed is not None:
            return Source(text, fixed=self.fixed, label=label)
        if self.omap is None:
            return Source(text, base=self.base + cs, label=label)
        return Source(text, omap=self.omap[cs:ce + 1], label=label)

    def derive(self, text: str, pm: list[int], label: str) -> Source:
        """A source for ``text`` whose character i came from ``self.text[pm[i]]``."""
        if self.fixed is not None:
            return Source(text, fixed=self.fixed, label=label)
        n = len(pm)
        if n == 0:
            return Source(text, fixed=self.orig(0, 0), label=label)
        first = pm[0]
        if pm[-1] - first == n - 1 and self.text[first:first + n] == text:
            return self.sub(first, first + n, label)  # verbatim slice: no quotes/escapes inside
        end = pm[-1] + 1
        om = self.omap
        if om is None:
            b = self.base
            omap = [b + p for p in pm]
            omap.append(b + end)
        else:
            omap = [om[p] for p in pm]
            omap.append(om[end])
        return Source(text, omap=omap, label=label)


def load(src: Source, deadline: float | None = None) -> None:
    """Parse ``src.text`` into ``src.tree``, with heredocs blanked out (:mod:`.heredocs`).

    ``deadline`` bounds tree-sitter's time (see :func:`.grammar.ts_parse`).

    Also sets ``src.data`` (the text's UTF-8 bytes), ``src.b2c`` (byte to character offsets, when
    they differ) and ``src.heredocs``.
    """
    text = src.text
    data = text.encode("utf-8", "surrogatepass")
    src.data = data
    if len(data) != len(text):
        src.b2c = list(accumulate(data.translate(_CHAR_START), initial=0))
    tree = ts_parse(data, deadline)
    if b"<<" in data:
        # blank well-formed heredocs out and parse again (why: see the heredocs module)
        found = find_heredocs(tree.root_node)
        if found:
            buf = bytearray(data)
            for node in found:
                h = neutralize(node, src, buf)
                if h is not None:
                    src.heredocs[h[0]] = h[1]
            if src.heredocs:
                tree = ts_parse(bytes(buf), deadline)
    src.tree = tree
