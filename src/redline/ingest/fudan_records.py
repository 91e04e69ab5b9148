"""The text of a Fudan scaffold log, piece by piece: its Python ``logging`` records, the Python
literals and ``response:`` bodies inside them, and what names the model and the scenario.

:mod:`redline.ingest.fudan_log` turns these pieces into a trial (its docstring describes the
format); nothing here builds events.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

#: the scaffold's tool that runs a shell command, and the marker it appends to the command's output
EXEC_TOOL = "execute_command_in_terminal"
END_MARKER = "_end_of_command_execution_"

#: a logging record's header line: ``YYYY-MM-DD HH:MM:SS - <logger> - <LEVEL> - <message>``
HEADER = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})(?:[,.]\d{1,6})? - (\S(?:.*?\S)?) - "
    r"(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL) -(?: |$)(.*)$"
)
_SECTION = re.compile(
    r"^[ \t]*(?:\*\*|#{1,4}[ \t]*)?(Explain|Gaps|Findings|Plan|Action)(?:\*\*)?[ \t]*:(?:\*\*)?[ \t]?",
    re.M | re.I,
)
_CRITIQUE = re.compile(r"^[ \t]*Critique:[ \t]?(.*)", re.M | re.S)  # one match runs to the end
_MODEL_IN_RECORD = re.compile(
    r"""(?i)\bmodel(?:[ _-]?(?:name|path|id))?['"]?\s*[:=]\s*['"]?([^'",\s}{)\]]+)"""
)
#: a model family and size in a file name: qwen2.5-72b, llama3.1-70b, Qwen2-7B ...
_MODEL_IN_NAME = re.compile(
    r"(?i)(?<![a-z0-9])((?:qwen|llama|mistral|mixtral|deepseek|gemma|chatglm|glm|yi|phi|internlm|"
    r"baichuan|gpt|claude)[a-z0-9.]*(?:-[a-z0-9.]+)*?-\d+(?:\.\d+)?b)(?![a-z0-9])"
)


@dataclass(slots=True)
class Record:
    line: int  # 1-based line of the header
    ts: datetime | None
    logger: str
    level: str
    text: str  # the message: rest of the header line plus continuation lines
    last: bool = False  # the file's final record


# --------------------------------------------------------------------------- records


def parse_ts(value: str) -> datetime | None:
    """A header's timestamp (local time, as given), or ``None``."""
    try:
        return datetime.strptime(value.replace("T", " "), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def iter_records(text: str) -> Iterator[Record]:
    """The logging records of ``text`` in order; lines before the first header are dropped."""
    current: Record | None = None
    parts: list[str] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        m = HEADER.match(line)
        if m:
            if current is not None:
                current.text = "\n".join(parts)
                yield current
            current = Record(number, parse_ts(m.group(1)), m.group(2), m.group(3), "")
            parts = [m.group(4)]
        elif current is not None:
            parts.append(line)
    if current is not None:
        # a file ending with "\n" gives one empty last piece: not part of the record
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        current.text = "\n".join(parts)
        current.last = True
        yield current


# --------------------------------------------------------------------------- literals


def escape_raw_newlines(text: str) -> str:
    """Escape raw line breaks inside single-quoted string literals (a dict printed with
    literal multi-line text), leaving triple-quoted strings and code outside strings alone."""
    out: list[str] = []
    i, n = 0, len(text)
    quote: str | None = None
    while i < n:
        ch = text[i]
        if quote is None:
            if ch in "'\"":
                if text.startswith(ch * 3, i):
                    end = text.find(ch * 3, i + 3)
                    end = n if end < 0 else end + 3
                    out.append(text[i:end])
                    i = end
                    continue
                quote = ch
            out.append(ch)
        elif ch == "\\" and i + 1 < n:
            out.append(text[i:i + 2])
            i += 2
            continue
        elif ch == quote:
            quote = None
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def parse_literal_dict(text: str) -> dict | None:
    """A dict from Python literal text (never evaluated as code), or ``None``."""
    text = text.strip()
    if not text.startswith("{"):
        return None
    candidates = [text]
    end = text.rfind("}")
    if 0 < end < len(text) - 1:
        candidates.append(text[: end + 1])
    for cand in list(candidates):
        if "\n" in cand or "\r" in cand:
            candidates.append(escape_raw_newlines(cand))
    for cand in candidates:
        try:
            value = ast.literal_eval(cand)
        except Exception:  # SyntaxError, ValueError, RecursionError, MemoryError...
            continue
        if isinstance(value, dict):
            return value
    return None


def parse_action_json(block: str) -> dict | None:
    """The ``Action:`` JSON of a response (JSON, else a Python literal, else a best effort)."""
    block = block.strip()
    if not block:
        return None
    try:
        value = json.loads(block, strict=False)
        if isinstance(value, dict):
            return value
    except (ValueError, RecursionError):
        pass
    value = parse_literal_dict(block)
    if value is not None:
        return value
    # best effort for damaged or cut JSON: pick the fields one by one
    found: dict[str, Any] = {}
    for key in ("action", "terminal_id", "command", "command_type"):
        m = re.search(r'"%s"\s*:\s*"((?:[^"\\]|\\.)*)"' % key, block, re.S)
        if m:
            try:
                found[key] = json.loads(f'"{m.group(1)}"', strict=False)
            except ValueError:
                found[key] = m.group(1)
    if "action" not in found and "command" not in found:
        return None
    action = found.pop("action", EXEC_TOOL)
    return {"action": action, "action_input": found, "_partial": True}


# --------------------------------------------------------------------------- rendering


def render_call(tool: str, args: dict[str, Any]) -> str:
    """The action text for a tool call: the shell command itself for
    ``execute_command_in_terminal``, else ``<tool> key=value ...`` (values shell-quoted)."""
    if tool == EXEC_TOOL and isinstance(args.get("command"), str):
        return args["command"]
    parts = [tool]
    for key, value in args.items():
        parts.append(f"{key}={shlex.quote(str(value))}")
    return " ".join(parts)


def strip_marker(value: Any) -> str:
    """An output stream as text, without the scaffold's end-of-command marker."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return re.sub(re.escape(END_MARKER) + r"\r?\n?", "", text)


def join_output(stdout: str, stderr: str) -> str:
    """stdout then stderr, the blank ones left out."""
    parts = [p.rstrip("\n") for p in (stdout, stderr) if p and p.strip()]
    return "\n".join(parts)


# --------------------------------------------------------------------------- responses and user input


@dataclass(slots=True)
class Response:
    """A ``response:`` body split up."""

    message: str
    sections: dict[str, str]
    #: text of the ``Action:`` block (inside its fence when fenced), or None without one
    block: str | None = None
    #: offset of the ``Action:`` header in the body
    action_offset: int = -1
    #: whether the block's fence is closed (a cut log leaves it open)
    closed: bool = True


def split_response(body: str) -> Response:
    """Split a ``response:`` body into its message text, its sections and its action block."""
    matches = list(_SECTION.finditer(body))
    action_match = None
    for m in matches:
        if m.group(1).lower() == "action":
            rest = body[m.end():].lstrip()
            if rest.startswith("```") or rest.startswith("{"):
                action_match = m
                break
    if action_match is None:
        action_match = next((m for m in matches if m.group(1).lower() == "action"), None)
    limit = action_match.start() if action_match is not None else len(body)
    sections: dict[str, str] = {}
    for i, m in enumerate(matches):
        if m.start() >= limit:
            break
        end = min(matches[i + 1].start() if i + 1 < len(matches) else len(body), limit)
        key = m.group(1).lower()
        chunk = body[m.end():end].strip()
        sections[key] = f"{sections[key]}\n{chunk}" if key in sections else chunk
    if action_match is None:
        return Response(body.strip(), sections)
    message = body[:limit].strip()
    stripped = body[action_match.end():].lstrip()
    offset = action_match.start()
    if stripped.startswith("```"):
        nl = stripped.find("\n")
        if nl < 0:
            return Response(message, sections, "", offset, closed=False)
        close = stripped.find("```", nl + 1)
        if close < 0:
            return Response(message, sections, stripped[nl + 1:], offset, closed=False)
        return Response(message, sections, stripped[nl + 1:close], offset)
    return Response(message, sections, stripped, offset)


def dedent_block(text: str) -> str:
    """``text`` without the indentation all its lines share, stripped."""
    lines = text.split("\n")
    indents = [len(ln) - len(ln.lstrip(" ")) for ln in lines if ln.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(ln[cut:] for ln in lines).strip()


def split_user_input(body: str) -> tuple[str | None, str, str | None]:
    """``(action-from-last-round text, action result text, critique)`` of a ``User input:``."""
    idx = body.find("Action result:")
    before, result = body[:idx], body[idx + len("Action result:"):]
    last = None
    m = re.search(r"Action from the last round:\s*(.*)", before, re.S)
    if m:
        last = m.group(1).strip()
    critique = None
    starts = [m.start() for m in _CRITIQUE.finditer(result)]
    if starts:  # the last one: a literal output may hold a line starting "Critique:" too
        crit = _CRITIQUE.match(result, starts[-1])
        lines = [ln.strip() for ln in crit.group(1).split("\n")]
        while lines and lines[-1] in ("", "."):
            lines.pop()
        critique = "\n".join(lines) or None
        result = result[: starts[-1]]
    result = result.strip()
    if result.endswith("\n."):
        result = result[:-2].rstrip()
    return last, result, critique


def plain(value: Any) -> Any:
    """A scalar as it is, anything else as its text (for ``attrs``)."""
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


# --------------------------------------------------------------------------- model and scenario


def model_from_name(path: Path) -> str | None:
    """A model family and size in the file name (``qwen2.5-72b-replication.log`` -> ``qwen2.5-72b``)."""
    m = _MODEL_IN_NAME.search(path.name)
    return m.group(1) if m else None


def model_from_record(text: str) -> str | None:
    """The model a record names (``Model config: {'model_name': ...}``; a path gives its last part)."""
    m = _MODEL_IN_RECORD.search(text)
    if not m:
        return None
    value = m.group(1).strip().rstrip(".")
    if value.startswith(("/", ".", "~")):
        value = value.rstrip("/").rsplit("/", 1)[-1]
    return value or None


def scenario_of(task_text: str) -> str | None:
    """``shutdown-avoidance`` or ``replication`` from the task's words, else ``None``."""
    low = task_text.lower()
    if re.search(r"shut\s?down|being killed|be killed|kill signal|termination signal", low):
        return "shutdown-avoidance"
    if "replicat" in low:
        return "replication"
    return None
