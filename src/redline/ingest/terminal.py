"""A small line-oriented terminal model: what a reader saw, row by row, and which record wrote it.

:class:`Terminal` replays a terminal's output stream: carriage returns, backspaces, tabs,
erase-line/erase-display and cursor moves are applied, so progress bars and spinners collapse
to what a reader finally saw; SGR colours and other escapes are dropped (the SGR state is kept
per row as ``style``), and every rendered :class:`Row` remembers the line and time of the
record that wrote it. An escape sequence split across two records is completed by the second.

A full screen emulator (``pyte``) was not used: it hard-wraps at the pane width, keeps only a
fixed-height screen and loses which record each character came from, while a log needs
unbounded history, the program's own line breaks and a pointer back to the raw record. Only the
last ``height`` rows form the "screen" that absolute cursor moves address.

:func:`typed_lines` does the same for the input side: the lines typed into the terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- output


_TOKEN_RE = re.compile(
    r"\x1b\[([0-?]*)[ -/]*([@-~])"          # CSI: params, final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"    # OSC ... BEL/ST
    r"|\x1b[PX^_][^\x1b]*\x1b\\"             # DCS/SOS/PM/APC ... ST
    r"|\x1b[ -/]*[0-~]"                      # other escapes (charset selection, keypad...)
    r"|[\x00-\x1f\x7f]"                      # single control characters
    r"|[^\x00-\x1f\x7f\x1b]+"                # printable run
)
#: an escape sequence cut at the end of a record, completed by the next one
_PARTIAL_ESC_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[PX^_][^\x1b]*|[ -/]*)?")
#: an unfinished escape longer than this is garbage, not something the next record completes
MAX_CARRY = 4096
#: characters kept per rendered row (a runaway line without newlines must not eat memory)
MAX_ROW_CHARS = 100_000


@dataclass(slots=True)
class Row:
    """One rendered terminal line and where it came from."""

    chars: list[str] = field(default_factory=list)
    line: int | None = None      # cast line of the record that wrote its first visible char
    time: float | None = None    # that record's time offset
    style: str = ""              # SGR state when that char was written ("" = default)

    @property
    def text(self) -> str:
        return "".join(self.chars)


class Terminal:
    """A line-oriented terminal: unbounded history, no auto-wrap, per-row provenance."""

    def __init__(self, height: int = 40) -> None:
        self.height = max(1, height)
        self.rows: list[Row] = [Row()]
        self.row = 0
        self.col = 0
        self.style = ""
        self._carry = ""
        self.cut_rows: set[int] = set()

    def feed(self, data: str, line: int, time: float) -> None:
        data = self._carry + data
        self._carry = ""
        last = data.rfind("\x1b")
        if last >= 0 and _PARTIAL_ESC_RE.fullmatch(data, last):
            if len(data) - last <= MAX_CARRY:
                self._carry = data[last:]
            data = data[:last]
        for m in _TOKEN_RE.finditer(data):
            tok = m.group(0)
            first = tok[0]
            if first == "\x1b":
                if m.group(2):
                    self._csi(m.group(1), m.group(2))
                continue
            if first < " " or first == "\x7f":
                self._control(first)
                continue
            self._write(tok, line, time)

    def _cur(self) -> Row:
        return self.rows[self.row]

    def _write(self, run: str, line: int, time: float) -> None:
        row = self._cur()
        chars = row.chars
        if row.line is None and run.strip():
            row.line, row.time, row.style = line, time, self.style
        if self.col + len(run) > MAX_ROW_CHARS:
            run = run[: max(0, MAX_ROW_CHARS - self.col)]
            self.cut_rows.add(self.row)
        if self.col > len(chars):
            chars.extend(" " * (self.col - len(chars)))
        chars[self.col:self.col + len(run)] = run
        self.col += len(run)

    def _newline(self) -> None:
        self.row += 1
        if self.row >= len(self.rows):
            self.rows.append(Row())
        self.col = 0

    def _control(self, ch: str) -> None:
        if ch == "\n":
            self._newline()
        elif ch == "\r":
            self.col = 0
        elif ch == "\b":
            self.col = max(0, self.col - 1)
        elif ch == "\t":
            self.col = min((self.col // 8 + 1) * 8, MAX_ROW_CHARS)

    def _screen_top(self) -> int:
        return max(0, len(self.rows) - self.height)

    def _csi(self, params: str, final: str) -> None:
        if params.startswith("?") or params.startswith(">"):
            return  # private modes (cursor visibility, bracketed paste...)
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        n = nums[0] if nums else 0
        row = self._cur()
        if final == "m":
            self.style = "" if not params or params == "0" else params
        elif final == "K":
            if n == 0:
                del row.chars[self.col:]
            elif n == 1:
                row.chars[: self.col + 1] = " " * min(len(row.chars), self.col + 1)
            else:
                row.chars.clear()
            if not "".join(row.chars).strip():
                row.line = row.time = None
                row.style = ""
        elif final == "A":
            self.row = max(self.row - max(n, 1), self._screen_top())
        elif final == "B":
            self.row = min(self.row + max(n, 1), len(self.rows) - 1)
        elif final == "C":
            self.col = min(self.col + max(n, 1), MAX_ROW_CHARS)
        elif final == "D":
            self.col = max(0, self.col - max(n, 1))
        elif final == "G":
            self.col = min(max(n, 1) - 1, MAX_ROW_CHARS)
        elif final in "Hf":
            r = (nums[0] if nums and nums[0] else 1) - 1
            c = (nums[1] if len(nums) > 1 and nums[1] else 1) - 1
            self.row = min(self._screen_top() + r, len(self.rows) - 1)
            self.col = min(c, MAX_ROW_CHARS)
        elif final == "J":
            at_home = self.row == self._screen_top() and self.col == 0
            if n in (2, 3) or at_home:
                # clear screen: a log keeps what was shown and starts a fresh page below it
                if n != 3 and any(r.chars for r in self.rows[self.row:]):
                    self.rows.append(Row())
                    self.row = len(self.rows) - 1
                    self.col = 0
            else:
                del row.chars[self.col:]
                del self.rows[self.row + 1:]

    def finish(self) -> list[Row]:
        return self.rows


# --------------------------------------------------------------------------- rendered rows


def rows_text(rows: list[Row]) -> str:
    """The rows as text; trailing spaces are kept (they can belong to a heredoc's content)."""
    return "\n".join(r.text for r in rows)


def row_at(rows: list[Row], offset: int) -> Row | None:
    """The row holding character ``offset`` of ``rows_text(rows)``."""
    pos = 0
    for row in rows:
        end = pos + len(row.text) + 1
        if offset < end:
            return row
        pos = end
    return None


#: a shell prompt at the start of a row (``root@4f2a:/app# ``)
SHELL_PROMPT_RE = re.compile(r"^[\w.-]+@[\w.-]+:[^\n]*?[#$] ")


# --------------------------------------------------------------------------- keystrokes


#: control keys that end a typed line, kept by name in :func:`typed_lines`
KEY_NAMES = {"\x03": "C-c", "\x04": "C-d", "\x1a": "C-z", "\x1c": "C-\\"}
_INPUT_ESC_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?")


def typed_lines(inputs: list[tuple[int, float, str]]) -> list[tuple[int, float, str]]:
    """The lines typed into the pane: ``(cast line, time, text)`` per Enter or control key.

    A line may span several records (long keystroke batches are split) and hold newlines
    typed inside quotes; arrow keys and other escapes are dropped, backspaces applied.
    """
    typed: list[tuple[int, float, str]] = []
    buf: list[str] = []
    start: tuple[int, float] | None = None
    for line, t, data in inputs:
        data = _INPUT_ESC_RE.sub("", data)
        for ch in data:
            if ch == "\r":
                if start is not None and "".join(buf).strip():
                    typed.append((start[0], start[1], "".join(buf)))
                buf, start = [], None
            elif ch in KEY_NAMES:
                if start is not None and "".join(buf).strip():
                    typed.append((start[0], start[1], "".join(buf)))
                typed.append((line, t, KEY_NAMES[ch]))
                buf, start = [], None
            elif ch in "\x7f\b":
                if buf:
                    buf.pop()
            elif ch >= " " or ch in "\n\t":
                if start is None:
                    start = (line, t)
                buf.append(ch)
    if start is not None and "".join(buf).strip():
        typed.append((start[0], start[1], "".join(buf)))
    return typed
