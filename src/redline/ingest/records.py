"""The one reader of JSON-lines files every line-based adapter shares.

:func:`iter_json_lines` yields ``(line number, value)`` for each non-blank line. A damaged line
raises :class:`~redline.ingest.base.FormatError` naming it, except a damaged *last* line, the
mark of a file cut off mid-write: it is yielded as ``(n, TRUNCATED_LINE)`` so the adapter keeps
what came before and says the file was truncated. A UTF-8 byte order mark before the first line
is skipped.

Formats differ on two points, each an option: whether a last line cut inside a multi-byte
UTF-8 character is a truncation too (terminal recordings are full of box-drawing characters
and emoji), and whether a file whose only line is damaged still yields that line as truncated
(a recording cut inside its header: the cast reader says so in its own words).

:class:`JsonLines` wraps the reader for adapters: it turns the truncated last line into a
warning, remembers the first record's shape for the error an adapter raises when no line is
its own, and can skip (with a warning) lines that are not JSON objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from .base import BOM, FormatError

#: yielded by :func:`iter_json_lines` in place of a damaged last line (a file cut off mid-write)
TRUNCATED_LINE = object()
#: yielded by :func:`iter_json_lines` with ``comments=True`` for a line starting with ``#``
COMMENT_LINE = object()


def iter_json_lines(path: Path, *, cut_character_truncates: bool = False,
                    lone_damaged_ok: bool = False, comments: bool = False) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, value)`` for each non-blank line of a JSON-lines file.

    ``cut_character_truncates``: a last line that is not valid UTF-8 (cut inside a character)
    is yielded as truncated instead of failing the file. ``lone_damaged_ok``: a file whose only line is damaged yields it as truncated instead of
    raising. ``comments``: a line after the first that starts with ``#`` is yielded as
    :data:`COMMENT_LINE` instead of being parsed (asciicast v3 allows comment lines).
    """
    number = 0
    seen = 0
    pending: tuple[int, str] | None = None
    with open(path, "rb") as fh:
        for raw in fh:
            number += 1
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            if pending is not None:
                raise FormatError(f"line {pending[0]}: {pending[1]}")
            if not raw.strip():
                continue
            if b"\x00" in raw:
                raise FormatError(f"line {number}: binary content, not JSON text")
            if comments and number > 1 and raw.lstrip().startswith(b"#"):
                yield number, COMMENT_LINE  # the caller decides whether its format allows comments
                continue
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problem = f"not valid UTF-8 text (bad byte 0x{raw[exc.start]:02x} at offset {exc.start})"
                if not cut_character_truncates:
                    raise FormatError(f"line {number}: {problem}") from None
                pending = (number, problem)
                continue
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                pending = (number, f"invalid JSON: {exc}")
                continue
            seen += 1
            yield number, value
    if pending is not None:
        if seen == 0 and not lone_damaged_ok:
            raise FormatError(f"line {pending[0]}: {pending[1]}")
        yield pending[0], TRUNCATED_LINE
    elif seen == 0:
        raise FormatError("empty file")


def shape(value: Any) -> Any:
    """What a record looks like, for an error message: its first keys, or its JSON type."""
    return sorted(value)[:8] if isinstance(value, dict) else type(value).__name__


class JsonLines:
    """A JSON-lines file read record by record, collecting the reader's warnings.

    Iterating yields ``(line number, value)`` for every readable line; a truncated last line
    becomes the warning ``truncated: line N is cut off (file ends mid-record)``.
    :meth:`objects` yields only JSON objects and warns of the rest. ``warnings`` may be a list
    the adapter shares, so that its own warnings and the reader's stay in file order.
    """

    def __init__(self, path: Path, warnings: list[str] | None = None) -> None:
        self.path = Path(path)
        self.warnings: list[str] = [] if warnings is None else warnings
        #: the shape of the first readable record (see :func:`shape`), for error messages
        self.first_shape: Any = None
        #: the line cut off at the end of the file, if any
        self.truncated_at: int | None = None

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        for number, value in iter_json_lines(self.path):
            if value is TRUNCATED_LINE:
                self.truncated_at = number
                self.warnings.append(f"truncated: line {number} is cut off (file ends mid-record)")
                continue
            if self.first_shape is None:
                self.first_shape = shape(value)
            yield number, value

    def objects(self) -> Iterator[tuple[int, dict]]:
        """The records that are JSON objects; any other value is skipped with a warning."""
        for number, value in self:
            if isinstance(value, dict):
                yield number, value
            else:
                self.warnings.append(f"line {number}: not a JSON object, skipped")
