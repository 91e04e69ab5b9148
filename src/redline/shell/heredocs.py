"""The heredoc pre-pass: take heredocs out of the text before the real parse.

tree-sitter-bash attaches whatever follows ``<<EOF`` on the same line (``| bash``, ``> file;
next``) to the heredoc node, sometimes as garbage. So :func:`~.source.load` records each
well-formed heredoc, replaces ``<<EOF`` by a same-length ``<____`` redirect and blanks the body
(keeping newlines and byte offsets), then parses again: the line now parses like any other, and
the walk finds the heredoc again by the placeholder's offset (``Source.heredocs``) when it reads
the command's redirections.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol


class Source(Protocol):
    """What the pre-pass reads of a :class:`~.source.Source` (which imports this module)."""

    data: bytes
    text: str

    def cpos(self, byte: int) -> int: ...

# every byte but newline becomes a space: blanks a heredoc body, keeping lines and offsets
_BLANK = bytes(10 if b == 10 else 32 for b in range(256))


class Heredoc(NamedTuple):
    """A well-formed heredoc taken out of the text by :func:`neutralize`."""

    redirect: str  # '<<EOF', "<<'EOF'", '<<-EOF'
    body_start: int  # char offsets of the raw body in the source text
    body_end: int
    strip_tabs: bool
    quoted: bool
    body_node: Any  # heredoc_body node of the first parse (for $(...) in unquoted bodies)


def find_heredocs(root: Any) -> list[Any]:
    """Every ``heredoc_redirect`` node in the tree (not those nested in one)."""
    out = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "heredoc_redirect":
            out.append(node)
            continue
        if node.child_count:
            stack.extend(node.children)
    return out


def neutralize(node: Any, src: Source, buf: bytearray) -> tuple[int, Heredoc] | None:
    """Blank the heredoc ``node`` out of ``buf`` (a copy of ``src.data``).

    ``<<EOF`` becomes the same-length placeholder redirect ``<____`` and the body and delimiter
    line become blanks. Returns the byte offset of the placeholder word (where the second parse
    puts the redirect's destination) and the heredoc, or None if it is not well-formed.
    """
    op = start = end = body = None
    before_body = node.start_byte
    for ch in node.children:
        t = ch.type
        if t in ("<<", "<<-") and op is None:
            op = ch
        elif t == "heredoc_start":
            start = ch
        elif t == "heredoc_end":
            end = ch
        elif t == "heredoc_body":
            body = ch
        if t not in ("heredoc_body", "heredoc_end"):
            before_body = max(before_body, ch.end_byte)
    if op is None or start is None or end is None or end.is_missing or start.is_missing:
        return None
    data = src.data
    nl = data.find(b"\n", before_body)
    if nl < 0 or nl + 1 > end.start_byte or start.end_byte <= op.start_byte:
        return None
    body_start = nl + 1
    a, b = op.start_byte, start.end_byte
    buf[a:b] = b"<" + b"_" * (b - a - 1)
    buf[body_start:end.end_byte] = bytes(buf[body_start:end.end_byte]).translate(_BLANK)
    text = src.text
    oc, sc = src.cpos(a), src.cpos(b)
    delim = text[src.cpos(start.start_byte):sc]
    heredoc = Heredoc(
        redirect="".join(text[oc:sc].split()),
        body_start=src.cpos(body_start),
        body_end=src.cpos(end.start_byte),
        strip_tabs=op.type == "<<-",
        quoted=any(c in delim for c in "'\"\\"),
        body_node=body,
    )
    return a + 1, heredoc
