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
from typing import NamedTuple

from .limits import MAX_ESCAPE_CHARS, MAX_ROW_CHARS, MAX_TERMINAL_CELLS, MAX_TERMINAL_SIZE, MAX_TERMINAL_ROWS

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
#: private modes that switch to the alternate screen (full-screen programs: tmux, vim, less)
_ALT_SCREEN_MODES = {"?1049", "?1047", "?47"}


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
    """A line-oriented terminal: unbounded history, no auto-wrap, per-row provenance.

    The screen that absolute cursor moves address is the last ``height`` rows of the current
    *page*. Clearing the screen or switching to the alternate screen (a full-screen program
    such as tmux or vim) starts a new page below what was shown, so a redraw never overwrites
    history; leaving the alternate screen continues below it. While the alternate screen is on,
    a row redrawn with other text takes the provenance of the record that redrew it. A scroll
    region (``ESC[t;br``) scrolls by inserting a row below its bottom margin, so a status line
    under it stays put. Cursor moves stop at the right margin (the last column of the terminal,
    or of the row's text when that is longer). Everything is bounded by :mod:`.limits`: the row width
    (``MAX_ROW_CHARS``), the terminal size believed (``MAX_TERMINAL_SIZE``) and the whole
    rendering (``MAX_TERMINAL_CELLS`` characters, ``MAX_TERMINAL_ROWS`` rows); output past the
    last two is dropped and ``full`` says so.
    """

    def __init__(self, height: int = 40, width: int = 80) -> None:
        self.height = min(max(1, height), MAX_TERMINAL_SIZE)
        self.width = min(max(1, width), MAX_TERMINAL_SIZE)
        self.rows: list[Row] = [Row()]
        self.row = 0
        self.col = 0
        self.style = ""
        self._carry = ""
        self.cut_rows: set[int] = set()
        self.cells = 0          # characters held in all rows
        self.full = False       # the rendering budget ran out: later output was dropped
        self._page: int | None = None  # first row of the current page (None: no page started)
        self._alt = False       # the alternate screen is on
        self._region: tuple[int, int] | None = None  # scroll region (top, bottom), 0-based on screen

    def feed(self, data: str, line: int, time: float) -> None:
        data = self._carry + data
        self._carry = ""
        last = data.rfind("\x1b")
        if last >= 0 and _PARTIAL_ESC_RE.fullmatch(data, last):
            if len(data) - last <= MAX_ESCAPE_CHARS:
                self._carry = data[last:]
            data = data[:last]
        for m in _TOKEN_RE.finditer(data):
            if self.full:
                return
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

    def _margin(self) -> int:
        """The rightmost column the cursor may move to on the current row."""
        return min(max(self.width, len(self._cur().chars)) - 1, MAX_ROW_CHARS)

    def _write(self, run: str, line: int, time: float) -> None:
        row = self._cur()
        chars = row.chars
        before = len(chars)
        if self._alt and self.col == 0 and row.line is not None and run.strip() and row.text[:len(run)] != run:
            row.line = None  # a full-screen program redrew this row: it now shows this record
        if row.line is None and run.strip():
            row.line, row.time, row.style = line, time, self.style
        if self.col + len(run) > MAX_ROW_CHARS:
            run = run[: max(0, MAX_ROW_CHARS - self.col)]
            self.cut_rows.add(self.row)
        if self.col > len(chars):
            chars.extend(" " * (self.col - len(chars)))
        chars[self.col:self.col + len(run)] = run
        self.col += len(run)
        self._grew(len(chars) - before)

    def _grew(self, cells: int, rows: int = 0) -> None:
        self.cells += cells
        if self.cells > MAX_TERMINAL_CELLS or len(self.rows) + rows > MAX_TERMINAL_ROWS:
            self.full = True

    def _newline(self) -> None:
        if self._region is not None and self.row == self._screen_top() + self._region[1]:
            self._grew(0, 1)
            self.rows.insert(self.row + 1, Row())  # scroll the region: lines below it stay below
            self.row += 1
            self.col = 0
            return
        self.row += 1
        if self.row >= len(self.rows):
            self._grew(0, 1)
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
            self.col = min((self.col // 8 + 1) * 8, MAX_ROW_CHARS)  # at most 8 cells a byte

    def _screen_top(self) -> int:
        return max(self._page or 0, len(self.rows) - self.height)

    def _goto_row(self, r: int) -> None:
        """Move to screen row ``r`` (0-based), creating the rows a fresh page does not have yet."""
        top = self._screen_top()
        target = top + min(max(r, 0), self.height - 1)
        if self._page is not None and target >= len(self.rows):
            self._grew(0, target - len(self.rows) + 1)
            self.rows.extend(Row() for _ in range(target - len(self.rows) + 1))
        self.row = min(target, len(self.rows) - 1)

    def _new_page(self) -> None:
        """Continue on a fresh row below everything shown so far; absolute moves address it."""
        if any(r.chars for r in self.rows[self.row:]) or self.row < len(self.rows) - 1:
            self._grew(0, 1)
            self.rows.append(Row())
        self.row = len(self.rows) - 1
        self.col = 0
        self._page = self.row
        self._region = None

    def _private_mode(self, params: str, final: str) -> None:
        if final not in "hl" or not set(params.split(";")) & _ALT_SCREEN_MODES:
            return  # other private modes (cursor visibility, bracketed paste...) change nothing here
        on = final == "h"
        if on != self._alt:
            self._alt = on
            self._new_page()

    def _csi(self, params: str, final: str) -> None:
        if params.startswith("?") or params.startswith(">"):
            self._private_mode(params, final)
            return
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        n = nums[0] if nums else 0
        if final == "m":
            self.style = "" if not params or params == "0" else params
        elif final == "K":
            self._erase_line(self._cur(), n)
        elif final == "J":
            self._erase_display(self._cur(), n)
        elif final == "r":
            top, bottom = (nums + [0, 0])[:2]
            self._region = None if not nums or (top <= 1 and bottom in (0, self.height)) else (
                max(top, 1) - 1, (bottom or self.height) - 1)
        elif final in "ABCDGHfd":
            self._move(final, nums, n)

    def _move(self, final: str, nums: list[int], n: int) -> None:
        """Cursor moves: up/down stay on the screen, right stops at the margin."""
        if final == "A":
            self.row = max(self.row - max(n, 1), self._screen_top())
        elif final == "B":
            self.row = min(self.row + max(n, 1), len(self.rows) - 1)
        elif final == "C":
            self.col = max(self.col, min(self.col + max(n, 1), self._margin()))
        elif final == "D":
            self.col = max(0, self.col - max(n, 1))
        elif final == "G":
            self.col = min(max(n, 1) - 1, self._margin())
        elif final == "d":
            self._goto_row((n or 1) - 1)
        else:  # H, f
            self._goto_row((nums[0] if nums and nums[0] else 1) - 1)
            self.col = min((nums[1] if len(nums) > 1 and nums[1] else 1) - 1, self._margin())

    def _erase_line(self, row: Row, n: int) -> None:
        before = len(row.chars)
        if n == 0:
            del row.chars[self.col:]
        elif n == 1:
            row.chars[: self.col + 1] = " " * min(len(row.chars), self.col + 1)
        else:
            row.chars.clear()
        self.cells += len(row.chars) - before
        if not "".join(row.chars).strip():
            row.line = row.time = None
            row.style = ""

    def _erase_display(self, row: Row, n: int) -> None:
        at_home = self.row == self._screen_top() and self.col == 0
        if n in (2, 3) or at_home:
            # clear screen: a log keeps what was shown and starts a fresh page below it
            if n != 3 and any(r.chars for r in self.rows[self.row:]):
                self._new_page()
            elif n != 3 and self._alt:
                self._page = self.row
        else:
            before = len(row.chars) + sum(len(r.chars) for r in self.rows[self.row + 1:])
            del row.chars[self.col:]
            del self.rows[self.row + 1:]
            self.cells -= before - len(row.chars)

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


#: control keys that end a typed line, kept by name in :func:`typed_lines` (C-x, C-o and C-s
#: are how nano and emacs save and exit; a lone ESC leaves vim's insert mode)
KEY_NAMES = {"\x03": "C-c", "\x04": "C-d", "\x1a": "C-z", "\x1c": "C-\\", "\x18": "C-x", "\x0f": "C-o",
             "\x13": "C-s", "\x1b": "Esc"}
#: tmux's prefix key: with the key after it, a command to tmux (``C-b d`` detaches)
TMUX_PREFIX = "\x02"
#: escape sequences in the input that are not keys to keep: arrows and function keys (CSI, SS3)
#: and the terminal's answers to a program's queries (OSC and DCS strings)
_INPUT_SEQ_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|\][^\x07\x1b]*(?:\x07|\x1b\\)?|P[^\x1b]*(?:\x1b\\)?)")


class Typed(NamedTuple):
    """A line typed into the pane (ended by Enter), or a named key (``key`` is True)."""

    line: int      # cast line of the record holding its first character
    time: float    # that record's time offset
    text: str      # the line, or the key's name (``C-c``, ``Esc``, ``C-b d``)
    key: bool = False


def typed_lines(inputs: list[tuple[int, float, str]]) -> list[Typed]:
    """The lines typed into the pane, one per Enter, and the control keys between them.

    A line may span several records (long keystroke batches are split) and hold newlines
    typed inside quotes; arrow keys and the terminal's answers to queries are dropped,
    backspaces applied. A control key of :data:`KEY_NAMES` (or tmux's prefix and the key after
    it) ends the line typed so far and is kept by name.
    """
    typed: list[Typed] = []
    buf: list[str] = []
    start: tuple[int, float] | None = None
    prefix = False

    def flush() -> None:
        nonlocal buf, start
        if start is not None and "".join(buf).strip():
            typed.append(Typed(start[0], start[1], "".join(buf)))
        buf, start = [], None

    for line, t, data in inputs:
        for ch in _INPUT_SEQ_RE.sub("", data):
            if prefix:
                typed.append(Typed(line, t, f"C-b {ch if ch >= ' ' else repr(ch)}", True))
                prefix = False
            elif ch == TMUX_PREFIX:
                flush()
                prefix = True
            elif ch == "\r":
                flush()
            elif ch in KEY_NAMES:
                flush()
                typed.append(Typed(line, t, KEY_NAMES[ch], True))
            elif ch in "\x7f\b":
                if buf:
                    buf.pop()
            elif ch >= " " or ch in "\n\t":
                if start is None:
                    start = (line, t)
                buf.append(ch)
    flush()
    return typed
