"""mini-swe-agent's steps recovered from its console output, as rendered by :mod:`.terminal`.

mini-swe-agent prints (with ``rich``) ``System:`` / ``User:`` headers for the prompts and
observations, and ``mini-swe-agent (step N, $C):`` before each model reply. When the headers
are styled, only styled rows count as headers (so a reply quoting one does not split itself).
A reply's single fenced ```` ```bash ```` block is the command it ran (the same rule
mini-swe-agent applies; replies with zero or several blocks run nothing). Example blocks quoted
in the prompt are part of the ``System:``/``User:`` messages, never actions. The ``User:``
message after an action is its observation (``<returncode>``, ``<output>``, or a timeout).

Lines written by the agent's logging (LiteLLM errors and their tracebacks, retry warnings, the
"Waiting for the LM" spinner) are removed from replies, and rich's line wraps are undone
(:mod:`.rich_output`). The agent's messages end at ``Saved trajectory to ...`` or at the first
shell prompt after the last header: what follows is the harness's shell again.

Here only the agent's own output is interpreted; the recording and trial folder around it are
:mod:`.terminal_bench`'s. (Trajectory files written by mini-swe-agent are read by
:mod:`.mini_swe_agent`.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..events import Event, Trial
from .asciicast import pointer
from .rich_output import RULE_RE, trim, unwrap
from .terminal import SHELL_PROMPT_RE, Row, row_at, rows_text

_STEP_RE = re.compile(r"^mini-swe-agent \(step (\d+), \$([0-9.]+)\):\s*$")
_ROLE_RE = re.compile(r"^(System|User|Assistant):\s*$")
_BANNER_RE = re.compile(r"This is mini-swe-agent version (\S+?)\.?\s*$")
_SAVED_RE = re.compile(r"^Saved trajectory to '([^']*)'")
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
class Section:
    """One message of mini-swe-agent's output: its header row and the rows under it."""

    kind: str            # "system" | "user" | "step"
    header: Row
    rows: list[Row]
    step: int | None = None
    cost: str | None = None


def find_sections(rows: list[Row]) -> tuple[int, list[Section], int] | None:
    """Split the rendered rows into mini-swe-agent's messages, or None if it is not there."""
    styled = any(_is_header(r, True) for r in rows)
    start = None
    for i, row in enumerate(rows):
        if _BANNER_RE.search(row.text) or _is_header(row, styled):
            start = i
            break
    if start is None:
        return None
    sections: list[Section] = []
    end = len(rows)
    current: Section | None = None
    last_header = max(i for i in range(start, len(rows)) if _is_header(rows[i], styled) or i == start)
    for i in range(start, len(rows)):
        row = rows[i]
        hit = _is_header(row, styled)
        if hit:
            kind, m = hit
            current = Section(kind if kind != "assistant" else "step", row, [])
            if kind == "step":
                current.step, current.cost = int(m.group(1)), m.group(2)
            sections.append(current)
            continue
        text = row.text
        if sections and (_SAVED_RE.match(text) or (i > last_header and SHELL_PROMPT_RE.match(text))):
            end = i  # the agent has exited: what follows is the harness's shell again
            break
        if current is not None:
            current.rows.append(row)
    if not sections:
        return None
    return start, sections, end


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


def add_events(trial: Trial, sections: list[Section], width: int, when) -> dict[str, Any]:
    """Turn mini-swe-agent's sections into events; returns facts for the trial metadata."""
    facts: dict[str, Any] = {"steps": 0, "format_errors": 0}
    pending_action: Event | None = None
    for sec in sections:
        head = sec.header
        if sec.kind == "step":
            facts["steps"] += 1
            facts["cost"] = sec.cost
            pending_action = None
            rows = unwrap(trim(_drop_noise(sec.rows)), width)
            reply = rows_text(rows)
            blocks = list(_ACTION_RE.finditer(reply))
            thought = reply
            if len(blocks) == 1:
                b = blocks[0]
                thought = (reply[: b.start()].rstrip() + "\n\n" + reply[b.end():].lstrip()).strip()
            first = rows[0] if rows else head
            trial.add(Event(
                kind="message", role="assistant", text=thought.strip(),
                timestamp=when(first.time if first.time is not None else head.time),
                source_line=first.line or head.line, source_pointer=pointer(first.line or head.line, first.time if first.time is not None else head.time),
                attrs={"step": sec.step, "cost": float(sec.cost) if sec.cost else None,
                       **({"actions_in_reply": len(blocks)} if len(blocks) != 1 else {})},
            ))
            if len(blocks) == 1:
                b = blocks[0]
                row = row_at(rows, b.start(1)) or first
                pending_action = trial.add(Event(
                    kind="action", role="assistant", text=b.group(1).strip(), tool="bash",
                    timestamp=when(row.time), source_line=row.line,
                    source_pointer=pointer(row.line, row.time), attrs={"step": sec.step},
                ))
            continue
        if sec.kind == "system":
            body = unwrap(trim(sec.rows), width)
            trial.add(Event(
                kind="message", role="system", text=rows_text(body), timestamp=when(head.time),
                source_line=head.line, source_pointer=pointer(head.line, head.time),
            ))
            continue
        # a User: message is the task prompt, an observation, or a complaint about the format
        if pending_action is None:
            body = unwrap(trim(_drop_noise(sec.rows)), width)
            text = rows_text(body)
            if _FORMAT_ERROR_RE.search(text):
                facts["format_errors"] += 1
            if not text and facts["steps"]:
                continue
            trial.add(Event(
                kind="message", role="user", text=text, timestamp=when(head.time),
                source_line=head.line, source_pointer=pointer(head.line, head.time),
            ))
            if "task" not in facts and text:
                facts["task"] = text
            continue
        body = _observation_body(unwrap(trim(sec.rows), width))
        output, exit_code, attrs = _parse_observation(rows_text(body))
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
            source_pointer=pointer(head.line, head.time), attrs=attrs,
        ))
    return facts


def agent_version(rows: list[Row], start: int) -> str | None:
    """The version in mini-swe-agent's start-up banner, looked for around row ``start``."""
    return next((m.group(1) for r in rows[max(0, start - 5): start + 5] if (m := _BANNER_RE.search(r.text))), None)


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


def _observation_body(rows: list[Row]) -> list[Row]:
    """The rows of mini-swe-agent's observation message, without log lines around it."""
    rows = trim(rows)
    first = next((i for i, r in enumerate(rows) if r.text.lstrip().startswith(("<returncode>", "The last command", "Please always provide"))), None)
    if first is None:
        return trim(_drop_noise(rows))
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
        if RULE_RE.match(r.text) or _LOG_LINE_RE.match(r.text.strip()):
            return trim(rows[:i])
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
