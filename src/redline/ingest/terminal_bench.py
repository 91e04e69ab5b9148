"""Terminal-Bench trials: an asciinema recording of the agent's terminal plus the trial folder.

A Terminal-Bench trial is a folder::

    <run_id>/run_metadata.json               model, agent name, dataset (one or two levels up)
    <run_id>/<task>/<trial>/results.json      task_id, is_resolved, failure_mode, timestamps
    <run_id>/<task>/<trial>/sessions/agent.cast   asciinema v2 recording of the agent's pane

The unit of ingestion is the ``.cast`` file; the JSON files beside it are read as metadata.
``sessions/tests.cast`` records the harness's test run, not the agent: it is skipped.

Recovering steps from a terminal stream
---------------------------------------
The ``"o"`` records are replayed through a small line-oriented terminal model
(:class:`_Terminal`): carriage returns, erase-line/erase-display and cursor moves are applied
so progress bars and spinners collapse to what a reader finally saw, SGR colours and other
escapes are dropped, and every rendered row remembers the cast line and time of the record
that wrote it. A full screen emulator (``pyte``) was not used: it hard-wraps at the pane width,
keeps only a fixed-height screen and loses which record each character came from, while a log
needs unbounded history, the program's own line breaks and a pointer back to the raw record.

The agent in these recordings is mini-swe-agent: it prints (with ``rich``) ``System:`` /
``User:`` headers for the prompts and observations, and ``mini-swe-agent (step N, $C):`` before
each model reply. A reply's single fenced ```` ```bash ```` block is the command it ran (the
same rule mini-swe-agent applies; replies with zero or several blocks run nothing). Example
blocks quoted in the prompt are part of the ``System:``/``User:`` messages, never actions.
Everything printed before the agent starts (asciinema, ``clear``, the harness installing the
agent, the launch command) is harness set-up; its keystrokes are kept in
``metadata["harness_commands"]``. Lines written by the agent's logging (LiteLLM errors and
their tracebacks, retry warnings, the "Waiting for the LM" spinner) are removed from replies.
``rich`` wraps long lines at the pane width; the wraps are undone with rich's own rule, so a
command reads as it was run rather than as it was displayed.

Recordings of other agents (no mini-swe-agent markers) fall back to the keystrokes sent into
the pane (``"i"`` records): each line typed after the harness set-up is an action and the
output up to the next keystroke its observation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from rich.cells import cell_len

from ..events import Event, Trial, from_epoch, normalise_outcome, parse_iso
from .base import FormatError, NotATranscript, head_text, load_json

NAME = "terminal-bench"
DESCRIPTION = "Terminal-Bench trial recordings (asciinema v2 sessions/agent.cast beside results.json)"
#: files of a Terminal-Bench trial folder that are not transcripts (read as metadata or
#: duplicates of the cast: agent.log is the same stream as raw text)
SIDECARS = (
    "results.json", "run_metadata.json", "commands.txt", "pre-agent.txt", "post-agent.txt",
    "post-test.txt", "agent.log", "tests.log", "run.log", "tb.lock",
)

SUPPORTED_VERSIONS = (2, 3)
#: the harness's recording of its own test run
TESTS_CAST = "tests.cast"
#: keystrokes kept per harness command in metadata
MAX_HARNESS_CHARS = 300

_HEADER_RE = re.compile(rb'^\s*\{\s*"version"\s*:\s*(\d+)\s*,')
_EVENT_LINE_RE = re.compile(rb'^\s*\[\s*-?[0-9.eE+]+\s*,\s*"')


# --------------------------------------------------------------------------- sniff


def sniff(path: Path, head: bytes) -> bool:
    """An asciinema v2 (or v3) header line followed by event arrays."""
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
        return not nxt or bool(_EVENT_LINE_RE.match(nxt))
    except Exception:
        return False


# --------------------------------------------------------------------------- terminal model


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


class _Terminal:
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


# --------------------------------------------------------------------------- reading the cast


@dataclass(slots=True)
class _Cast:
    header: dict[str, Any]
    outputs: list[tuple[int, float, str]]   # (cast line, time, data) of "o" records
    inputs: list[tuple[int, float, str]]    # (cast line, time, data) of "i" records
    warnings: list[str]
    n_lines: int


_CUT = object()  # a last line cut off mid-write


def _iter_cast_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` per non-blank line; a damaged last line yields ``_CUT``.

    Like :func:`redline.ingest.base.iter_json_lines`, but a recording cut off inside a
    multi-byte character (box-drawing rules, spinners and emoji are common in casts) is also
    read as truncated rather than as a file in another encoding.
    """
    number = 0
    pending: tuple[int, str] | None = None
    with open(path, "rb") as fh:
        for raw in fh:
            number += 1
            if pending is not None:
                raise FormatError(f"line {pending[0]}: {pending[1]}")
            if not raw.strip():
                continue
            if b"\x00" in raw:
                raise FormatError(f"line {number}: binary content, not JSON text")
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                pending = (number, f"not valid UTF-8 text (bad byte 0x{raw[exc.start]:02x} at offset {exc.start})")
                continue
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                pending = (number, f"invalid JSON: {exc}")
                continue
            yield number, value
    if pending is not None:
        yield pending[0], _CUT
    elif number == 0:
        raise FormatError("empty file")


def _read_cast(path: Path) -> _Cast:
    header: dict[str, Any] | None = None
    version = 2
    outputs: list[tuple[int, float, str]] = []
    inputs: list[tuple[int, float, str]] = []
    warnings: list[str] = []
    clock = 0.0
    last_line = 0
    try:
        for number, value in _iter_cast_lines(path):
            last_line = number
            if header is None:
                if value is _CUT:
                    raise FormatError(f"line {number}: the asciicast header is damaged or cut off")
                header = _check_header(number, value)
                version = header["version"]
                continue
            if value is _CUT:
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
            # "m" (marker) and "r" (resize) records carry no terminal output
    except FormatError as exc:
        if header is None and str(exc) != "empty file":
            raise FormatError(f"not an asciinema cast: {exc}") from None
        raise
    if header is None:
        raise FormatError("empty file")
    return _Cast(header, outputs, inputs, warnings, last_line)


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
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# --------------------------------------------------------------------------- rich line wraps


def _first_word(text: str) -> str:
    end = 0
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[:end]


def _joiner(prev: str, nxt: str, width: int) -> str | None:
    """How rich joined ``prev`` and ``nxt`` if it wrapped there ("" or " "), else None.

    rich (``rich._wrap.divide_line``) breaks before a word when it does not fit in the space
    left on the line; the break keeps the previous word's trailing space, except a space that
    would pass the last column, which is dropped. A word longer than the line is folded.
    """
    if not nxt or nxt[0].isspace() or not prev:
        return None
    used = cell_len(prev)
    if prev[-1].isspace():
        return "" if used + cell_len(_first_word(nxt)) > width else None
    if used == width:
        body = prev.lstrip()
        # a full row with inner spaces lost its trailing space; one without is a folded word
        return " " if any(ch.isspace() for ch in body) else ""
    return None


def _unwrap(rows: list[Row], width: int) -> list[Row]:
    """Join the rows rich split at the pane width back into the lines it was given."""
    out: list[Row] = []
    last = ""  # the previous physical row: the wrap rule looks at it, not the joined line
    for row in rows:
        text = row.text
        if out:
            glue = _joiner(last, text, width)
            if glue is not None:
                out[-1] = Row(list(out[-1].text + glue + text), out[-1].line, out[-1].time, out[-1].style)
                last = text
                continue
        out.append(Row(list(text), row.line, row.time, row.style))
        last = text
    return out


# --------------------------------------------------------------------------- mini-swe-agent


_STEP_RE = re.compile(r"^mini-swe-agent \(step (\d+), \$([0-9.]+)\):\s*$")
_ROLE_RE = re.compile(r"^(System|User|Assistant):\s*$")
_BANNER_RE = re.compile(r"This is mini-swe-agent version (\S+?)\.?\s*$")
_SAVED_RE = re.compile(r"^Saved trajectory to '([^']*)'")
_PROMPT_RE = re.compile(r"^[\w.-]+@[\w.-]+:[^\n]*?[#$] ")
_SEPARATOR_RE = re.compile(r"^\s*─{20,}\s*$")
#: mini-swe-agent's own rule for the action in a reply (``DefaultAgent.parse_action``)
_ACTION_RE = re.compile(r"```bash\s*\n(.*?)\n```", re.DOTALL)
_SPINNER_RE = re.compile(r"^\s*[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\s+Waiting for the LM to respond")
_LOG_LINE_RE = re.compile(r"^\d\d:\d\d:\d\d - LiteLLM(?::\w+|\.\w+)")
_NOISE_LINE_RE = re.compile(
    r"^(?:Retrying minisweagent\.|Give Feedback / Get Help: https://github\.com/BerriAI/litellm"
    r"|LiteLLM\.Info: |\x1b)"
)
_TRACEBACK_START = "Traceback (most recent call last):"
_CHAIN_LINES = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_EXC_LINE_RE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning)\b")
_RETURNCODE_RE = re.compile(r"^\s*<returncode>(-?\d+)</returncode>[ \t]*\n?")
_FORMAT_ERROR_RE = re.compile(r"Please always provide EXACTLY ONE action in triple backticks")
_TIMEOUT_RE = re.compile(r"^\s*The last command <command>")
#: the command with which mini-swe-agent submits (1.x; MINI_SWE_AGENT_FINAL_OUTPUT before it)
_SUBMIT_RE = re.compile(r"^\s*echo\s+(?:COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT|MINI_SWE_AGENT_FINAL_OUTPUT)\b")


@dataclass(slots=True)
class _Section:
    kind: str            # "system" | "user" | "step"
    header: Row
    rows: list[Row]
    step: int | None = None
    cost: str | None = None


def _is_header(row: Row, styled_only: bool) -> tuple[str, re.Match[str]] | None:
    text = row.text.strip()
    if styled_only and not row.style:
        return None
    m = _STEP_RE.match(text)
    if m:
        return "step", m
    m = _ROLE_RE.match(text)
    if m:
        return m.group(1).lower(), m
    return None


def _traceback_end(rows: list[Row], i: int) -> int:
    """Index after the traceback (or chained tracebacks) starting at ``rows[i]``."""
    n = len(rows)
    j = i + 1
    while j < n:
        text = rows[j].text.rstrip()
        if not text or text[0].isspace() or text.startswith(_TRACEBACK_START) or text in _CHAIN_LINES:
            j += 1
            continue
        if _EXC_LINE_RE.match(text):
            j += 1
            # a chained traceback continues after a blank line and a chaining sentence
            k = j
            while k < n and not rows[k].text.strip():
                k += 1
            if k < n and rows[k].text.strip() in _CHAIN_LINES:
                j = k + 1
                continue
            return j
        return j
    return j


def _is_agent_traceback(rows: list[Row], start: int, end: int) -> bool:
    body = "\n".join(r.text for r in rows[start:end])
    return "site-packages/litellm/" in body or "minisweagent" in body


def _drop_noise(rows: list[Row]) -> list[Row]:
    """Remove the agent process's log output (LiteLLM errors, retries, spinner) from a reply."""
    out: list[Row] = []
    i = 0
    n = len(rows)
    while i < n:
        text = rows[i].text.strip()
        if _SPINNER_RE.match(text) or _NOISE_LINE_RE.match(text):
            i += 1
            continue
        if _LOG_LINE_RE.match(text):
            j = i + 1
            if j < n and rows[j].text.startswith(_TRACEBACK_START):
                j = _traceback_end(rows, j)
            i = j
            continue
        if text.startswith(_TRACEBACK_START):
            j = _traceback_end(rows, i)
            if _is_agent_traceback(rows, i, j):
                i = j
                continue
        out.append(rows[i])
        i += 1
    return out


def _trim(rows: list[Row]) -> list[Row]:
    """Without blank rows and mini-swe-agent's separator rules at either end."""
    def empty(row: Row) -> bool:
        return not row.text.strip() or bool(_SEPARATOR_RE.match(row.text))

    start, end = 0, len(rows)
    while start < end and empty(rows[start]):
        start += 1
    while end > start and empty(rows[end - 1]):
        end -= 1
    return rows[start:end]


def _text(rows: list[Row]) -> str:
    """The rows as text; trailing spaces are kept (they can belong to a heredoc's content)."""
    return "\n".join(r.text for r in rows)


def _find_mini_sections(rows: list[Row]) -> tuple[int, list[_Section], int] | None:
    """Split the rendered rows into mini-swe-agent's messages, or None if it is not there."""
    styled = any(_is_header(r, True) for r in rows)
    start = None
    for i, row in enumerate(rows):
        if _BANNER_RE.search(row.text) or _is_header(row, styled):
            start = i
            break
    if start is None:
        return None
    sections: list[_Section] = []
    end = len(rows)
    current: _Section | None = None
    last_header = max(i for i in range(start, len(rows)) if _is_header(rows[i], styled) or i == start)
    for i in range(start, len(rows)):
        row = rows[i]
        hit = _is_header(row, styled)
        if hit:
            kind, m = hit
            current = _Section(kind if kind != "assistant" else "step", row, [])
            if kind == "step":
                current.step, current.cost = int(m.group(1)), m.group(2)
            sections.append(current)
            continue
        text = row.text
        if sections and (_SAVED_RE.match(text) or (i > last_header and _PROMPT_RE.match(text))):
            end = i  # the agent has exited: what follows is the harness's shell again
            break
        if current is not None:
            current.rows.append(row)
    if not sections:
        return None
    return start, sections, end


def _observation_body(rows: list[Row]) -> list[Row]:
    """The rows of mini-swe-agent's observation message, without log lines around it."""
    rows = _trim(rows)
    first = next((i for i, r in enumerate(rows) if r.text.lstrip().startswith(("<returncode>", "The last command", "Please always provide"))), None)
    if first is None:
        return _trim(_drop_noise(rows))
    rows = rows[first:]
    closers = ("</output>", "</output_tail>", "</warning>")
    last = None
    for i, r in enumerate(rows):
        t = r.text.strip()
        if t in closers or t.endswith("Please try another command and make sure to avoid those requiring interactive input."):
            last = i
    if last is not None:
        return rows[: last + 1]
    # the message ends before the separator rule or the agent's log lines
    for i, r in enumerate(rows):
        if _SEPARATOR_RE.match(r.text) or _LOG_LINE_RE.match(r.text.strip()):
            return _trim(rows[:i])
    return rows


def _parse_observation(text: str) -> tuple[str, int | None, dict[str, Any]]:
    attrs: dict[str, Any] = {}
    exit_code = None
    m = _RETURNCODE_RE.match(text)
    if m:
        exit_code = int(m.group(1))
        text = text[m.end():]
    if _TIMEOUT_RE.match(text):
        attrs["timeout"] = True
        return text.strip("\n"), exit_code, attrs
    stripped = text.strip("\n")
    if stripped.startswith("<output>") and stripped.endswith("</output>") and stripped.count("<output>") == 1:
        inner = stripped[len("<output>"):-len("</output>")]
        if inner.startswith("\n"):
            inner = inner[1:]
        if inner.endswith("\n"):
            inner = inner[:-1]
        return inner, exit_code, attrs
    if "<output_head>" in stripped:
        attrs["elided"] = True
    return stripped, exit_code, attrs


def _mini_events(trial: Trial, sections: list[_Section], width: int, when) -> dict[str, Any]:
    """Turn mini-swe-agent's sections into events; returns facts for the trial metadata."""
    facts: dict[str, Any] = {"steps": 0, "format_errors": 0}
    pending_action: Event | None = None
    for sec in sections:
        head = sec.header
        if sec.kind == "step":
            facts["steps"] += 1
            facts["cost"] = sec.cost
            pending_action = None
            rows = _unwrap(_trim(_drop_noise(sec.rows)), width)
            reply = _text(rows)
            blocks = list(_ACTION_RE.finditer(reply))
            thought = reply
            if len(blocks) == 1:
                b = blocks[0]
                thought = (reply[: b.start()].rstrip() + "\n\n" + reply[b.end():].lstrip()).strip()
            first = rows[0] if rows else head
            trial.add(Event(
                kind="message", role="assistant", text=thought.strip(),
                timestamp=when(first.time if first.time is not None else head.time),
                source_line=first.line or head.line, source_pointer=_pointer(first.line or head.line, first.time if first.time is not None else head.time),
                attrs={"step": sec.step, "cost": float(sec.cost) if sec.cost else None,
                       **({"actions_in_reply": len(blocks)} if len(blocks) != 1 else {})},
            ))
            if len(blocks) == 1:
                b = blocks[0]
                row = _row_at(rows, b.start(1)) or first
                pending_action = trial.add(Event(
                    kind="action", role="assistant", text=b.group(1).strip(), tool="bash",
                    timestamp=when(row.time), source_line=row.line,
                    source_pointer=_pointer(row.line, row.time), attrs={"step": sec.step},
                ))
            continue
        if sec.kind == "system":
            body = _unwrap(_trim(sec.rows), width)
            trial.add(Event(
                kind="message", role="system", text=_text(body), timestamp=when(head.time),
                source_line=head.line, source_pointer=_pointer(head.line, head.time),
            ))
            continue
        # a User: message is the task prompt, an observation, or a complaint about the format
        if pending_action is None:
            body = _unwrap(_trim(_drop_noise(sec.rows)), width)
            text = _text(body)
            if _FORMAT_ERROR_RE.search(text):
                facts["format_errors"] += 1
            if not text and facts["steps"]:
                continue
            trial.add(Event(
                kind="message", role="user", text=text, timestamp=when(head.time),
                source_line=head.line, source_pointer=_pointer(head.line, head.time),
            ))
            if "task" not in facts and text:
                facts["task"] = text
            continue
        body = _observation_body(_unwrap(_trim(sec.rows), width))
        output, exit_code, attrs = _parse_observation(_text(body))
        action, pending_action = pending_action, None
        if _SUBMIT_RE.match(action.text or "") and exit_code is None:
            # the submission: mini-swe-agent ends the run and shows what followed the marker
            facts["submitted"] = True
            if not output.strip():
                continue
            attrs["submission"] = True
        elif not body:
            continue  # the recording stops before the observation was printed
        trial.add(Event(
            kind="observation", role="tool", text=output, exit_code=exit_code, action_seq=action.seq,
            timestamp=when(head.time), source_line=head.line,
            source_pointer=_pointer(head.line, head.time), attrs=attrs,
        ))
    return facts


def _row_at(rows: list[Row], offset: int) -> Row | None:
    """The row holding character ``offset`` of ``_text(rows)``."""
    pos = 0
    for row in rows:
        end = pos + len(row.text) + 1
        if offset < end:
            return row
        pos = end
    return None


def _pointer(line: int | None, time: float | None) -> str | None:
    if line is None:
        return None
    if time is None:
        return f"cast:line:{line}"
    return f"cast:line:{line}@{time:.3f}s"


# --------------------------------------------------------------------------- keystroke fallback


#: keystrokes the Terminal-Bench harness itself sends before the agent's own
_HARNESS_INPUT_RE = re.compile(
    r"^(?:clear|asciinema rec\b.*|source /installed-agent/.*|bash\s+/tests/run-tests\.sh.*|exit)$"
)
_WAIT_SUFFIX_RE = re.compile(r";\s*tmux wait -S done\s*$")


_KEY_NAMES = {"\x03": "C-c", "\x04": "C-d", "\x1a": "C-z", "\x1c": "C-\\"}
_INPUT_ESC_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|O.|.)?")


def _typed_lines(inputs: list[tuple[int, float, str]]) -> list[tuple[int, float, str]]:
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
            elif ch in _KEY_NAMES:
                if start is not None and "".join(buf).strip():
                    typed.append((start[0], start[1], "".join(buf)))
                typed.append((line, t, _KEY_NAMES[ch]))
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


def _keystroke_events(trial: Trial, cast: _Cast, rows: list[Row], when) -> int:
    """Actions from the lines typed into the pane (agents that drive tmux directly)."""
    typed = [x for x in _typed_lines(cast.inputs) if x[2] not in _KEY_NAMES.values()]
    n = 0
    for k, (line, t, text) in enumerate(typed):
        command = _WAIT_SUFFIX_RE.sub("", text).strip()
        if _HARNESS_INPUT_RE.match(command):
            continue
        action = trial.add(Event(
            kind="action", role="assistant", text=command, tool="keystrokes", timestamp=when(t),
            source_line=line, source_pointer=_pointer(line, t),
        ))
        n += 1
        until = typed[k + 1][0] if k + 1 < len(typed) else None
        out = [r for r in rows if r.line is not None and r.line > line and (until is None or r.line < until)]
        out = [r for r in _trim(out) if not _PROMPT_RE.match(r.text)]
        if out and "\n" not in text and out[0].text.rstrip().endswith(text.strip()):
            out = _trim(out[1:])  # the shell's echo of what was typed
        if out:
            trial.add(Event(
                kind="observation", role="tool", text=_text(out), action_seq=action.seq,
                timestamp=when(out[0].time), source_line=out[0].line,
                source_pointer=_pointer(out[0].line, out[0].time),
            ))
    return n


# --------------------------------------------------------------------------- trial folder


def _trial_dir(path: Path) -> Path:
    return path.parent.parent if path.parent.name == "sessions" else path.parent


def _load_meta(path: Path) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """results.json of the trial and run_metadata.json of its run (one or two levels up)."""
    warnings: list[str] = []
    trial_dir = _trial_dir(path)
    results: dict[str, Any] = {}
    run_meta: dict[str, Any] = {}
    res_path = trial_dir / "results.json"
    if res_path.is_file():
        results = _json_object(res_path, warnings)
    for folder in (trial_dir, trial_dir.parent, trial_dir.parent.parent):
        cand = folder / "run_metadata.json"
        if cand.is_file():
            run_meta = _json_object(cand, warnings)
            break
    return results, run_meta, warnings


def _json_object(path: Path, warnings: list[str]) -> dict[str, Any]:
    try:
        value = load_json(path, path.name)
    except (FormatError, OSError) as exc:
        warnings.append(f"{path.name} beside the cast not read: {exc}")
        return {}
    if not isinstance(value, dict):
        warnings.append(f"{path.name} beside the cast is not a JSON object")
        return {}
    return value


def _short(text: Any, limit: int = 200) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    first = text.strip().splitlines()[0].strip()
    return first if len(first) <= limit else first[: limit - 3] + "..."


def _launch_info(inputs: list[tuple[int, float, str]]) -> dict[str, str]:
    typed = "".join(d for _, _, d in inputs)
    info: dict[str, str] = {}
    m = re.search(r"(?:^|[\r\n;&|]\s*)mini\s+(?:[^\r\n]*?\s)?-m\s+(\S+)", typed)
    if m:
        info["model"] = m.group(1).strip("'\"")
    return info


# --------------------------------------------------------------------------- read


def read(path: Path) -> Iterator[Trial]:
    path = Path(path)
    if path.name == TESTS_CAST:
        raise NotATranscript("the harness's recording of its test run (tests.cast), not agent steps")
    cast = _read_cast(path)
    header = cast.header
    width = int(header["width"])
    term = _Terminal(int(header["height"]))
    for line, t, data in cast.outputs:
        term.feed(data, line, t)
    rows = term.finish()
    if term.cut_rows:
        cast.warnings.append(f"{len(term.cut_rows)} terminal lines longer than {MAX_ROW_CHARS} characters were cut")

    results, run_meta, meta_warnings = _load_meta(path)
    base_ts = header.get("timestamp")
    base = float(base_ts) if isinstance(base_ts, (int, float)) and not isinstance(base_ts, bool) else None

    def when(offset: float | None):
        if base is None or offset is None:
            return None
        return from_epoch(base + offset)

    trial = Trial(format=NAME, source_path=str(path))
    warnings = list(cast.warnings) + meta_warnings
    metadata: dict[str, Any] = {}
    harness = [_WAIT_SUFFIX_RE.sub("", d).strip()[:MAX_HARNESS_CHARS] for _, _, d in _typed_lines(cast.inputs)]

    found = _find_mini_sections(rows)
    if found is not None:
        start, sections, end = found
        facts = _mini_events(trial, sections, width, when)
        trial.agent = "mini-swe-agent"
        banner = next((m.group(1) for r in rows[max(0, start - 5): start + 5] if (m := _BANNER_RE.search(r.text))), None)
        if banner:
            metadata["agent_version"] = banner
        metadata["steps"] = facts["steps"]
        if facts.get("cost") is not None:
            metadata["cost"] = float(facts["cost"])
        if facts["format_errors"]:
            metadata["format_errors"] = facts["format_errors"]
        if facts.get("submitted"):
            metadata["exit_status"] = "Submitted"
        elif end == len(rows):
            metadata["exit_status"] = "still running when the recording ended"
        else:
            metadata["exit_status"] = "exited without submitting"
        metadata["setup_rows"] = start
        if facts.get("task"):
            trial.task = _short(re.sub(r"^Please solve this issue:\s*", "", facts["task"]))
        if harness:
            metadata["harness_commands"] = harness
    else:
        n = _keystroke_events(trial, cast, rows, when)
        if n == 0:
            warnings.append("no agent steps recognised in the terminal stream")
        harness = [h for h in harness if _HARNESS_INPUT_RE.match(h)]
        if harness:
            metadata["harness_commands"] = harness

    # metadata from the trial folder
    trial.model = run_meta.get("model_name") or _launch_info(cast.inputs).get("model")
    trial.agent = run_meta.get("agent_name") or trial.agent
    trial.task = results.get("task_id") or trial.task or _task_from_folder(path)
    if run_meta.get("dataset_name"):
        version = run_meta.get("dataset_version")
        trial.scenario = f"{run_meta['dataset_name']}@{version}" if version else run_meta["dataset_name"]
    if results:
        trial.source_verdict = {"is_resolved": results.get("is_resolved"), "failure_mode": results.get("failure_mode")}
        trial.outcome = normalise_outcome(results.get("is_resolved"))
        trial.started_at = parse_iso(results.get("trial_started_at"))
        trial.ended_at = parse_iso(results.get("trial_ended_at"))
        for key in ("trial_name", "agent_started_at", "agent_ended_at", "test_started_at", "test_ended_at"):
            if results.get(key):
                metadata[key] = results[key]
        if isinstance(results.get("parser_results"), dict) and len(results["parser_results"]) <= 200:
            metadata["parser_results"] = results["parser_results"]
        for key in ("total_input_tokens", "total_output_tokens"):
            if isinstance(results.get(key), int):
                metadata[key] = results[key]
    else:
        warnings.append("no results.json in the trial folder: outcome unknown")
    if run_meta.get("run_id"):
        metadata["run_id"] = run_meta["run_id"]
    if trial.started_at is None and base is not None:
        trial.started_at = from_epoch(base)
    if trial.ended_at is None and base is not None and (cast.outputs or cast.inputs):
        trial.ended_at = from_epoch(base + max([t for _, t, _ in cast.outputs + cast.inputs]))
    metadata["cast"] = {"version": header["version"], "width": width, "height": int(header["height"]),
                        "records": cast.n_lines - 1}
    if warnings:
        metadata["warnings"] = warnings
    trial.metadata = metadata
    yield trial


def _task_from_folder(path: Path) -> str | None:
    """``<task>.<n>-of-<m>.<run_id>`` trial folders name their task."""
    name = _trial_dir(path).name
    m = re.match(r"^(.+?)\.\d+-of-\d+\.", name)
    return m.group(1) if m else None
