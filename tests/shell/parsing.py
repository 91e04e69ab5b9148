"""What every parse result must satisfy, and short views of parsed commands, for the shell
parser's tests (imported by module path, not through ``conftest``)."""

from __future__ import annotations

from redline.shell import parse
from redline.shell.parsed import ParsedLine, SimpleCommand


def ok(line: str) -> list[SimpleCommand]:
    """Parse a line that must parse cleanly; check invariants every result must satisfy."""
    result = parse(line)
    assert result.error is None, result.error
    check_invariants(line, result)
    return result.commands


def check_invariants(line: str, result: ParsedLine) -> None:
    assert isinstance(result, ParsedLine)
    for i, c in enumerate(result.commands):
        assert c.idx == i
        assert 0 <= c.span_start <= c.span_end <= len(line)
        assert c.parent_idx is None or 0 <= c.parent_idx < i
        if c.depth == 0:
            assert line[c.span_start:c.span_end] == c.text


def summary(cmds: list[SimpleCommand]) -> list[tuple]:
    return [(c.program, c.operator, c.context, c.depth, c.parent_idx) for c in cmds]
