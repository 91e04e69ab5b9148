"""Describing a syntax error: where the first ERROR or MISSING node is and what went wrong."""

from __future__ import annotations

from typing import Any

from .source import Source


def describe_error(root: Any, src: Source) -> str:
    """A short reason for the first ERROR or MISSING node: where it is and what went wrong."""
    node = root
    while True:
        nxt = None
        for ch in node.children:
            if ch.is_missing or ch.is_error:
                nxt = ch
                break
            if ch.has_error:
                nxt = ch
                break
        if nxt is None:
            break
        node = nxt
        if node.is_missing or node.is_error:
            break
    if not (node.is_missing or node.is_error):
        return "syntax error"
    text = src.text
    cs, ce = src.span(node)
    line = text.count("\n", 0, cs) + 1
    col = cs - (text.rfind("\n", 0, cs) + 1) + 1
    where = f"near line {line}, column {col}"
    if node.is_missing:
        what = f"missing {node.type!r}" if not node.is_named else f"missing {node.type}"
    else:
        leaf = node
        while leaf.child_count:
            leaf = leaf.children[0]
        ls, le = src.span(leaf)
        tok = text[ls:le] or text[cs:ce]
        if tok[:1] in ("'", '"', "`") and ce >= len(text.rstrip()):
            what = "unterminated quoted string"
        elif tok in ("<<", "<<-"):
            what = "unterminated heredoc"
        else:
            what = f"unexpected {tok[:20]!r}" if tok else "unexpected end of input"
    return f"syntax error {where}: {what}"
