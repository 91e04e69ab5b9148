"""mini-swe-agent's steps recovered from its console output, as rendered by :mod:`.terminal`.

mini-swe-agent prints (with ``rich``) a header for each message, ``System:``, ``User:`` (and in
2.x ``Tool:`` and ``Exit:``: the message's role, capitalised), and ``mini-swe-agent (step N,
$C):`` before each model reply. When the headers are styled, only styled rows count as headers
(so a reply quoting one does not split itself). Example blocks quoted in the prompt are part of
the ``System:``/``User:`` messages, never actions.

1.x: a reply's single fenced ```` ```bash ```` block is the command it ran (the same rule
mini-swe-agent applies; replies with zero or several blocks run nothing), and the ``User:``
message after it is its observation (``<returncode>``, ``<output>``, or a timeout). 2.x with
text-based actions works the same with a ```` ```mswea_bash_command ```` block.

2.x with tool calls (its default): the console prints a reply as its text, then each tool call's
command in a bare ```` ``` ```` fence (``get_content_string``), and runs every call; each call's
output follows as a ``Tool:`` message, in order, printed from the JSON observation as
``<returncode>`` / the code / ``<output>`` / the text (``<output_head>``, ``<output_tail>``,
``<elided_chars>``, ``<warning>`` for a long one; ``<exception_info>`` when the command did not
run normally). So the calls of a reply are the last fences of its text, one per ``Tool:``
message after it (all its trailing fences when none follows: the recording stopped). The
submission's call is shown as not executed, and the ``Exit:`` message that ends the run holds
the submission (or the exit status, when it did not submit).

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
_ROLE_RE = re.compile(r"^(System|User|Assistant|Tool|Exit):\s*$")
_BANNER_RE = re.compile(r"This is mini-swe-agent version (\S+?)\.?\s*$")
_SAVED_RE = re.compile(r"^Saved trajectory to '([^']*)'")
#: mini-swe-agent's own rule for the action in a reply (1.x ``DefaultAgent.parse_action``)
_ACTION_RE = re.compile(r"```bash\s*\n(.*?)\n```", re.DOTALL)
#: ... and 2.x's with text-based actions (``action_regex`` of its text-based models)
_TEXT_ACTION_RE = re.compile(r"```mswea_bash_command\s*\n(.*?)\n```", re.DOTALL)
#: a tool call's command as the 2.x console prints it after the reply's text
_CALL_RE = re.compile(r"^```\n(.*?)\n```$", re.DOTALL | re.MULTILINE)
#: the keys of a 2.x observation, each printed on a line of its own before its value
_OBS_KEYS = ("returncode", "output", "output_head", "output_tail", "elided_chars", "warning", "exception_info")
_OBS_KEY_RE = re.compile(r"^<(" + "|".join(_OBS_KEYS) + r")>$")
#: the output 2.x shows for a call it did not run (the submission's, or after an interruption)
_NOT_EXECUTED = "action was not executed"
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
_FORMAT_ERROR_RE = re.compile(r"Please always provide EXACTLY ONE action in triple backticks|^Tool call error:", re.M)
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
    toolcalls = any(sec.kind == "tool" for sec in sections)  # 2.x, tool calls
    pending: list[Event] = []  # actions of the last reply still waiting for their output
    for i, sec in enumerate(sections):
        head = sec.header
        if sec.kind == "step":
            facts["steps"] += 1
            facts["cost"] = sec.cost
            # 2.x: a call per Tool: message after the reply; none when something else follows
            # (a format error); every trailing fence when nothing does (the recording ends)
            calls = (_tools_after(sections, i) or (-1 if i == len(sections) - 1 else 0)) if toolcalls else None
            pending = _reply_events(trial, sec, width, when, calls)
            continue
        if sec.kind == "system":
            body = unwrap(trim(sec.rows), width)
            trial.add(Event(
                kind="message", role="system", text=rows_text(body), timestamp=when(head.time),
                source_line=head.line, source_pointer=pointer(head.line, head.time),
            ))
            continue
        if sec.kind == "tool":
            _tool_output(trial, sec, width, when, pending.pop(0) if pending else None, facts)
            continue
        if sec.kind == "exit":
            _exit(trial, sec, width, when, facts)
            continue
        # a User: message is the task prompt, an observation (1.x, 2.x text-based), or a complaint
        # about the format
        if toolcalls or not pending:
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
        action = pending.pop(0)
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


def _tools_after(sections: list[Section], i: int) -> int:
    """How many ``Tool:`` messages follow the reply ``sections[i]`` (its calls' outputs)."""
    n = 0
    for sec in sections[i + 1:]:
        if sec.kind != "tool":
            break
        n += 1
    return n


def _reply_events(trial: Trial, sec: Section, width: int, when, calls: int | None) -> list[Event]:
    """The reply's message and the actions it ran (``calls``: how many tool calls the 2.x console
    showed the output of, -1 for all it shows, None for text-based actions); returns the actions."""
    head = sec.header
    rows = unwrap(trim(_drop_noise(sec.rows)), width)
    reply = rows_text(rows)
    if calls is not None:
        blocks = _trailing_calls(reply, calls)
        thought = reply[: blocks[0].start()].rstrip() if blocks else reply
        extra: dict[str, Any] = {}
    else:
        found = list(_TEXT_ACTION_RE.finditer(reply)) or list(_ACTION_RE.finditer(reply))
        blocks = found if len(found) == 1 else []
        thought = reply
        if blocks:
            b = blocks[0]
            thought = (reply[: b.start()].rstrip() + "\n\n" + reply[b.end():].lstrip()).strip()
        extra = {"actions_in_reply": len(found)} if len(found) != 1 else {}
    first = rows[0] if rows else head
    at = first.time if first.time is not None else head.time
    trial.add(Event(
        kind="message", role="assistant", text=thought.strip(), timestamp=when(at),
        source_line=first.line or head.line, source_pointer=pointer(first.line or head.line, at),
        attrs={"step": sec.step, "cost": float(sec.cost) if sec.cost else None, **extra},
    ))
    actions = []
    for b in blocks:
        row = row_at(rows, b.start(1)) or first
        actions.append(trial.add(Event(
            kind="action", role="assistant", text=b.group(1).strip(), tool="bash",
            timestamp=when(row.time), source_line=row.line,
            source_pointer=pointer(row.line, row.time), attrs={"step": sec.step},
        )))
    return actions


def _trailing_calls(reply: str, n: int) -> list[re.Match[str]]:
    """The fenced tool calls that end a 2.x reply: the last ``n`` (every trailing one when ``n``
    is -1), each followed by nothing but blank space and the next."""
    found = list(_CALL_RE.finditer(reply)) if n else []
    calls: list[re.Match[str]] = []
    end = len(reply.rstrip())
    for m in reversed(found):
        if reply[m.end():end].strip() or len(calls) == n:
            break
        calls.insert(0, m)
        end = m.start()
    return calls


def _tool_output(trial: Trial, sec: Section, width: int, when, action: Event | None, facts: dict[str, Any]) -> None:
    """A 2.x ``Tool:`` message: the output of the reply's next call."""
    head = sec.header
    body = _observation_body(unwrap(trim(sec.rows), width))
    output, exit_code, attrs = _parse_tool_observation(rows_text(body))
    if action is not None and attrs.get("exception_info") == _NOT_EXECUTED:
        if _SUBMIT_RE.match(action.text or ""):
            facts["submitted"] = True  # the submission follows as the Exit: message
            facts["submit_action"] = action
            return
        attrs["not_executed"] = True
    if not body:
        return  # the recording stops before the output was printed
    trial.add(Event(
        kind="observation", role="tool", text=output, exit_code=exit_code,
        action_seq=action.seq if action is not None else None, timestamp=when(head.time), source_line=head.line,
        source_pointer=pointer(head.line, head.time), attrs=attrs,
    ))


def _exit(trial: Trial, sec: Section, width: int, when, facts: dict[str, Any]) -> None:
    """2.x's ``Exit:`` message: the submission (the output of the submit call), or the exit status."""
    head = sec.header
    text = rows_text(unwrap(trim(_drop_noise(sec.rows)), width))
    action = facts.pop("submit_action", None)
    if action is None:
        if text.strip():
            facts["exit_status"] = text.strip().splitlines()[0][:200]
        return
    if text.strip():
        trial.add(Event(
            kind="observation", role="tool", text=text, action_seq=action.seq, timestamp=when(head.time),
            source_line=head.line, source_pointer=pointer(head.line, head.time), attrs={"submission": True},
        ))


def _parse_tool_observation(text: str) -> tuple[str, int | None, dict[str, Any]]:
    """A 2.x observation as its console prints it: ``<key>`` lines, each followed by its value.
    Text in another shape (a custom template's) is read as a 1.x observation."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "<returncode>":
        return _parse_observation(text)
    fields: dict[str, list[str]] = {}
    key = None
    for line in lines:
        m = _OBS_KEY_RE.match(line.strip())
        if m and m.group(1) not in fields:
            key = m.group(1)
            fields[key] = []
        elif key is not None:
            fields[key].append(line)
    value = {k: "\n".join(v) for k, v in fields.items()}
    attrs: dict[str, Any] = {}
    code = value.get("returncode", "").strip()
    exit_code = int(code) if re.fullmatch(r"-?\d+", code) else None
    if "output" in value:
        output = value["output"]
    else:
        output = "\n".join(value[k] for k in ("output_head", "output_tail") if k in value)
        attrs["elided"] = True
    info = value.get("exception_info", "").strip()
    if info:
        attrs["exception_info"] = info
        output = f"{output}\n{info}" if output.strip() else info
    if exit_code == -1 and info:
        attrs["raw_exit_code"] = -1  # it did not exit: it timed out, or did not run
        exit_code = None
    return output, exit_code, attrs


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
