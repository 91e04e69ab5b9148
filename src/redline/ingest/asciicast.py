"""asciinema recordings (``.cast``, asciicast v2 and v3): the header and the event records.

A cast is JSON lines: a header object, then one ``[time, code, data]`` array per event::

    {"version": 2, "width": 80, "height": 24, "timestamp": 1767347880}
    [0.25, "o", "ls\\r\\nnotes.txt\\r\\n"]       terminal output
    [0.5, "i", "ls\\r"]                          keystrokes sent into the terminal

v2 stores each event's time since the start; v3 the interval since the previous event (and the
terminal size under ``"term"``). Both are read into the same :class:`Cast` with times since the
start. ``"m"`` (marker) and ``"r"`` (resize) records carry no terminal I/O and are skipped; v3's
``"x"`` record (the recorded program's exit status) is kept as :attr:`Cast.exit_status`, and its
comment lines (starting with ``#``) are skipped.

A recording whose last line was cut off mid-write (the process was killed, the disk filled), even
inside a multi-byte character, is read up to that line, with a warning; damage anywhere else is
a :class:`FormatError`. Lines are read by the shared :func:`~redline.ingest.records.iter_json_lines`.

Nothing here knows which program was recorded: this is the shared reader for any adapter of
terminal recordings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..text import truncate
from .base import FormatError, head_text
from .records import COMMENT_LINE, TRUNCATED_LINE, iter_json_lines

SUPPORTED_VERSIONS = (2, 3)

_HEADER_RE = re.compile(rb'^\s*\{\s*"version"\s*:\s*(\d+)\s*,')
_EVENT_LINE_RE = re.compile(rb'^\s*\[\s*-?[0-9.eE+]+\s*,\s*"')


def looks_like_cast(head: bytes) -> bool:
    """An asciinema v2 (or v3) header line followed by event arrays. Never raises."""
    try:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        first, _, rest = text.partition(b"\n")
        m = _HEADER_RE.match(first)
        if not m or int(m.group(1)) not in SUPPORTED_VERSIONS:
            return False
        header = head_text(first)
        if int(m.group(1)) == 2 and not ('"width"' in header and '"height"' in header):
            return False
        if int(m.group(1)) == 3 and '"term"' not in header:
            return False
        nxt = rest.lstrip(b" \t\r\n")
        while int(m.group(1)) == 3 and nxt.startswith(b"#"):  # v3 comment lines
            nxt = nxt.partition(b"\n")[2].lstrip(b" \t\r\n")
        return not nxt or bool(_EVENT_LINE_RE.match(nxt))
    except Exception:
        return False


@dataclass(slots=True)
class Cast:
    header: dict[str, Any]                  # with "width" and "height" (v3: from "term")
    outputs: list[tuple[int, float, str]]   # (cast line, time, data) of "o" records
    inputs: list[tuple[int, float, str]]    # (cast line, time, data) of "i" records
    warnings: list[str]
    n_lines: int                            # line number of the last non-blank line read
    exit_status: str | None = None          # v3 "x" record: the recorded program's exit status
    exit_time: float | None = None          # ... and its time since the start


def read_cast(path: Path) -> Cast:
    """The header and the output and input records of a cast file."""
    header: dict[str, Any] | None = None
    version = 2
    outputs: list[tuple[int, float, str]] = []
    inputs: list[tuple[int, float, str]] = []
    warnings: list[str] = []
    clock = 0.0
    last_line = 0
    exit_status: str | None = None
    exit_time: float | None = None
    try:
        for number, value in iter_json_lines(path, cut_character_truncates=True, lone_damaged_ok=True,
                                             comments=True):
            last_line = number
            if value is COMMENT_LINE:
                if header is not None and version == 3:
                    continue
                raise FormatError(f"line {number}: a comment line, which only asciicast v3 allows")
            if header is None:
                if value is TRUNCATED_LINE:
                    raise FormatError(f"line {number}: the asciicast header is damaged or cut off")
                header = _check_header(number, value)
                version = header["version"]
                continue
            if value is TRUNCATED_LINE:
                warnings.append(f"truncated: cast line {number} is cut off; kept the {len(outputs)} output records before it")
                break
            if (not isinstance(value, list) or len(value) < 3 or isinstance(value[0], bool)
                    or not isinstance(value[0], (int, float)) or not isinstance(value[1], str)):
                raise FormatError(f"line {number}: not an asciicast event [time, code, data]: {_preview(value)}")
            data = value[2]
            if not isinstance(data, str):
                raise FormatError(f"line {number}: event data is not a string: {_preview(value)}")
            t = float(value[0])
            if version == 3:  # v3 stores the interval since the previous event
                clock += t
                t = clock
            if value[1] == "o":
                outputs.append((number, t, data))
            elif value[1] == "i":
                inputs.append((number, t, data))
            elif value[1] == "x":
                exit_status, exit_time = data, t
            # "m" (marker) and "r" (resize) records carry no terminal output
    except FormatError as exc:
        if header is None and str(exc) != "empty file":
            raise FormatError(f"not an asciinema cast: {exc}") from None
        raise
    if header is None:
        raise FormatError("empty file")
    return Cast(header, outputs, inputs, warnings, last_line, exit_status, exit_time)


def pointer(line: int | None, time: float | None) -> str | None:
    """An event's ``source_pointer`` into a cast: ``cast:line:N@T.TTTs``."""
    if line is None:
        return None
    if time is None:
        return f"cast:line:{line}"
    return f"cast:line:{line}@{time:.3f}s"


def _check_header(number: int, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or "version" not in value:
        raise FormatError(
            f"line {number}: not an asciicast header (expected a JSON object like "
            f'{{"version": 2, "width": ..., "height": ...}}, found {_preview(value)})'
        )
    version = value.get("version")
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        raise FormatError(f"line {number}: asciicast version {version!r} is not supported (only v2 and v3)")
    header = dict(value)
    if version == 3:
        term = value.get("term") if isinstance(value.get("term"), dict) else {}
        header.setdefault("width", term.get("cols"))
        header.setdefault("height", term.get("rows"))
    for key in ("width", "height"):
        if not isinstance(header.get(key), int) or isinstance(header.get(key), bool) or header[key] <= 0:
            raise FormatError(f"line {number}: asciicast header has no valid {key!r}")
    return header


def _preview(value: Any, limit: int = 80) -> str:
    return truncate(repr(value), limit, "...")
