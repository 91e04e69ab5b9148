"""Command lines parsed once and their ``commands`` rows cleaned once (:class:`ParseCache`).

Agent corpora repeat many identical command lines: each distinct short line is parsed with
:func:`redline.shell.parse` and its rows cleaned (:mod:`.clean`) once, and a repeated line costs
a dictionary look-up.
"""

from __future__ import annotations

from ..limits import (MAX_ARG_CHARS, MAX_CACHE_CHARS, MAX_CACHED_LINE_CHARS, MAX_PROGRAM_CHARS,
                      MAX_WORD_CHARS)
from ..shell import ParsedLine
from ..shell import parse as parse_shell
from .clean import clean_list, clean_text


class ParseCache:
    """Parses of short command lines, kept while they fit in :data:`MAX_CACHE_CHARS`: agent
    corpora repeat many identical lines. The oldest entries go first. Next to each parse the
    cache keeps its ``commands`` rows, cleaned once (:meth:`rows`): a repeated line costs a
    dictionary look-up, not a parse and a conversion."""

    def __init__(self, budget: int = MAX_CACHE_CHARS) -> None:
        self.budget = budget
        self.used = 0
        self._entries: dict[str, list] = {}  # line -> [parsed, size, rows or None]

    def _entry(self, line: str) -> list:
        if len(line) > MAX_CACHED_LINE_CHARS:
            return [parse_shell(line), 0, None]
        hit = self._entries.get(line)
        if hit is not None:
            return hit
        parsed = parse_shell(line)
        size = len(line) + sum(len(c.text) + sum(map(len, c.argv)) + 200 for c in parsed.commands)
        entry = [parsed, size, None]
        while self._entries and self.used + size > self.budget:
            oldest = next(iter(self._entries))
            self.used -= self._entries.pop(oldest)[1]
        if size <= self.budget:
            self._entries[line] = entry
            self.used += size
        return entry

    def parse(self, line: str) -> ParsedLine:
        return self._entry(line)[0]

    def rows(self, line: str) -> tuple[ParsedLine, tuple[tuple, ...], int]:
        """The parse of ``line``, its commands as cleaned ``commands`` rows without their
        ``trial_id`` and ``seq``, and the characters of text those rows hold."""
        entry = self._entry(line)
        if entry[2] is None:
            entry[2] = command_rows(entry[0])
        return entry[0], *entry[2]


def command_rows(parsed: ParsedLine) -> tuple[tuple[tuple, ...], int]:
    """Each command of ``parsed`` as a cleaned ``commands`` row from ``idx`` on, and the
    characters of text the rows hold (the columns of ``commands`` from ``idx`` on, in the schema's order)."""
    rows = []
    chars = 0
    for cmd in parsed.commands:
        text = clean_text(cmd.text)
        heredoc = clean_text(cmd.heredoc)
        code = clean_text(cmd.code)
        argv = clean_list(cmd.argv, MAX_ARG_CHARS)
        rows.append((
            cmd.idx, cmd.parent_idx, cmd.depth, clean_text(cmd.program, MAX_PROGRAM_CHARS),
            clean_text(cmd.path, MAX_WORD_CHARS), argv, clean_list(cmd.wrappers, MAX_PROGRAM_CHARS),
            bool(cmd.sudo), bool(cmd.background), cmd.operator, cmd.context,
            clean_list(cmd.redirects, MAX_WORD_CHARS), heredoc, code, text, cmd.span_start, cmd.span_end,
        ))
        chars += len(text or "") + len(heredoc or "") + len(code or "") + sum(len(a or "") for a in argv)
    return tuple(rows), chars
