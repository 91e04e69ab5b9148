"""Undoing what ``rich`` did to text it printed into a terminal: line wraps and rules.

``rich`` wraps long lines at the terminal width. :func:`unwrap` joins the rendered rows back
into the lines rich was given, with rich's own wrap rule, so a command reads as it was run
rather than as it was displayed. :func:`trim` drops blank rows and horizontal rules (rows of
``─``, the separators mini-swe-agent prints between messages) at either end of a block of rows.
"""

from __future__ import annotations

import re

from rich.cells import cell_len

from .terminal import Row

#: a horizontal rule: a row of box-drawing dashes
RULE_RE = re.compile(r"^\s*─{20,}\s*$")


def _first_word(text: str) -> str:
    end = 0
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[:end]


def joiner(prev: str, nxt: str, width: int) -> str | None:
    """How rich joined ``prev`` and ``nxt`` if it wrapped there ("" or " "), else None.

    rich (``rich._wrap.divide_line``) breaks before a word when it does not fit in the space
    left on the line; the break keeps the previous word's trailing space, except a space that
    would pass the last column, which is dropped. A word longer than the line is folded. A row
    exactly as wide as the pane followed by a code fence is a line of that width, not a wrap:
    joining them would swallow the fence that closes a command's block.
    """
    if not nxt or nxt[0].isspace() or not prev or nxt.startswith("```"):
        return None  # (a fence opens or closes a block on its own line: it never continues one)
    used = cell_len(prev)
    if prev[-1].isspace():
        return "" if used + cell_len(_first_word(nxt)) > width else None
    if used == width:
        body = prev.lstrip()
        # a full row with inner spaces lost its trailing space; one without is a folded word
        return " " if any(ch.isspace() for ch in body) else ""
    return None


def unwrap(rows: list[Row], width: int) -> list[Row]:
    """Join the rows rich split at the pane width back into the lines it was given."""
    out: list[Row] = []
    last = ""  # the previous physical row: the wrap rule looks at it, not the joined line
    for row in rows:
        text = row.text
        if out:
            glue = joiner(last, text, width)
            if glue is not None:
                out[-1] = Row(list(out[-1].text + glue + text), out[-1].line, out[-1].time, out[-1].style)
                last = text
                continue
        out.append(Row(list(text), row.line, row.time, row.style))
        last = text
    return out


def trim(rows: list[Row]) -> list[Row]:
    """Without blank rows and mini-swe-agent's separator rules at either end."""
    def empty(row: Row) -> bool:
        return not row.text.strip() or bool(RULE_RE.match(row.text))

    start, end = 0, len(rows)
    while start < end and empty(rows[start]):
        start += 1
    while end > start and empty(rows[end - 1]):
        end -= 1
    return rows[start:end]
