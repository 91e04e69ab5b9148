"""Claude Code session transcripts (``~/.claude/projects/<project>/<session>.jsonl``).

Each line is a record ``{"type": "user" | "assistant" | "summary" | "system" | ..., "message":
{"role", "content"}, "sessionId", "uuid", "parentUuid", "timestamp", "cwd", "version", ...}``.
``content`` is a string or a list of blocks: ``text``, ``thinking``, ``tool_use {id, name,
input}``, ``tool_result {tool_use_id, content, is_error}``, ``image``. Claude Code writes one
line per content block of an API message, so a turn spans several lines.

Mapping: one trial per ``sessionId`` (a file normally holds one session; ``local_key`` is the
session id only when a file holds several). User text → ``user`` message; assistant ``text``
and ``thinking`` → ``assistant`` messages (thinking marked ``attrs["thinking"]``); every
``tool_use`` → an action: ``Bash`` runs ``input.command`` (the action text), other tools are
rendered as a short command line naming what they touch (``Read /path``, ``Write /path``,
``Edit /path``, ``Grep pattern path``, ``WebFetch url``, else ``Name {json input}``), with
the raw input in ``attrs["input"]``. A ``tool_result`` → the observation of the action with
that ``tool_use_id``; ``is_error`` is kept in ``attrs``, and the ``Exit code N`` first line
Claude Code writes for a failing Bash command gives ``exit_code`` (otherwise ``None``: the
format records no exit status for successes). ``summary`` records go to
``metadata["summary"]``; ``system`` records with text become ``system`` messages. Damaged or
foreign lines inside a session (non-objects, records without a ``message`` object) are
skipped with a warning; a file where no line is a Claude Code record is an error.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ..events import Event, Trial, parse_iso
from .base import Adapter, FormatError, content_text, head_text
from .records import TRUNCATED_LINE, iter_json_lines
NAME = "claude-code"
DESCRIPTION = "Claude Code session JSONL (~/.claude/projects/*/<session>.jsonl)"

AGENT = "claude-code"
_MESSAGE_TYPES = ("user", "assistant")
_CUT_RECORD = re.compile(r'\{\s*"parentUuid"\s*:')
_EXIT_RE = re.compile(r"\A\s*(?:Error: )?Exit code (-?\d+)\b")
#: record types Claude Code writes besides messages (kept out of events)
_OTHER_TYPES = {"summary", "system", "file-history-snapshot", "queue-operation", "progress",
                "last-prompt", "custom-title", "tag", "agent-name"}


# --------------------------------------------------------------------------- detection


def _is_claude_record(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    kind = obj.get("type")
    if kind in _MESSAGE_TYPES:
        msg = obj.get("message")
        return isinstance(msg, dict) and "role" in msg and (
            "sessionId" in obj or "uuid" in obj or "parentUuid" in obj)
    if kind == "summary":
        return "leafUuid" in obj and "summary" in obj
    return False


def sniff(path: Path, head: bytes) -> bool:
    try:
        lines = [ln for ln in head_text(head).splitlines() if ln.strip()]
        if not lines:
            return False
        found = False
        for i, line in enumerate(lines[:12]):
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                if i == 0 and len(lines) > 1:
                    return False
                if i == len(lines) - 1 and _CUT_RECORD.match(line) and '"sessionId":' in line:
                    found = True  # a record longer than the head, in Claude Code's key order
                continue
            if i == 0 and not (isinstance(obj, dict) and isinstance(obj.get("type"), str)):
                return False
            if isinstance(obj, dict) and "payload" in obj and "message" not in obj:
                return False  # a Codex rollout envelope
            if _is_claude_record(obj):
                found = True
        return found
    except Exception:
        return False


# --------------------------------------------------------------------------- rendering


def _q(value: Any) -> str:
    return shlex.quote(value if isinstance(value, str) else orjson.dumps(value, default=str).decode())


def _join(*parts: Any) -> str:
    return " ".join(_q(p) for p in parts if p is not None and p != "")


def render_tool(name: str, tool_input: Any) -> str:
    """A one-line rendering of a Claude Code tool call (Bash: the command itself)."""
    inp = tool_input if isinstance(tool_input, dict) else {}
    if name == "Bash" and isinstance(inp.get("command"), str):
        return inp["command"]
    if name in ("Read", "Write", "Edit", "MultiEdit") and isinstance(inp.get("file_path"), str):
        return _join(name, inp["file_path"])
    if name in ("NotebookEdit", "NotebookRead") and isinstance(inp.get("notebook_path"), str):
        return _join(name, inp["notebook_path"])
    if name in ("Glob", "Grep") and isinstance(inp.get("pattern"), str):
        return _join(name, inp["pattern"], inp.get("path"))
    if name == "LS" and isinstance(inp.get("path"), str):
        return _join(name, inp["path"])
    if name == "WebFetch" and isinstance(inp.get("url"), str):
        return _join(name, inp["url"])
    if name == "WebSearch" and isinstance(inp.get("query"), str):
        return _join(name, inp["query"])
    if name == "Task" and isinstance(inp.get("description"), str):
        return _join(name, inp.get("subagent_type"), inp["description"])
    if tool_input is None or tool_input == {}:
        return name
    return f"{name} {orjson.dumps(tool_input, default=str).decode()}"


def _first_line(text: str, limit: int = 200) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return None


# --------------------------------------------------------------------------- reading


class _Session:
    def __init__(self, path: Path, session_id: str):
        self.session_id = session_id
        self.trial = Trial(format=NAME, source_path=str(path), agent=AGENT)
        self.pending: dict[str, Event] = {}
        self.meta: dict[str, Any] = {}
        self.uuids: set[str] = set()
        self.models: list[str] = []
        self.first_ts = None
        self.last_ts = None


def read(path: Path) -> Iterator[Trial]:
    path = Path(path)
    sessions: dict[str, _Session] = {}
    warnings: list[str] = []
    summaries: list[tuple[str | None, str]] = []
    current: _Session | None = None
    records = 0
    first_keys: Any = None

    def session_for(rec: dict) -> _Session:
        nonlocal current
        sid = rec.get("sessionId")
        if not isinstance(sid, str) or not sid:
            sid = current.session_id if current is not None else ""
        if sid not in sessions:
            sessions[sid] = _Session(path, sid)
        current = sessions[sid]
        return current

    for number, rec in iter_json_lines(path):
        if rec is TRUNCATED_LINE:
            warnings.append(f"truncated: line {number} is cut off (file ends mid-record)")
            continue
        if first_keys is None:
            first_keys = sorted(rec)[:8] if isinstance(rec, dict) else type(rec).__name__
        if not isinstance(rec, dict):
            warnings.append(f"line {number}: not a JSON object, skipped")
            continue
        kind = rec.get("type")
        if not isinstance(kind, str):
            warnings.append(f"line {number}: record without a string 'type', skipped")
            continue
        if kind == "summary":
            if isinstance(rec.get("summary"), str):
                leaf = rec.get("leafUuid")
                summaries.append((leaf if isinstance(leaf, str) else None, rec["summary"]))
                records += 1
            continue
        if kind == "system":
            text = rec.get("content")
            if isinstance(text, str) and text.strip():
                s = session_for(rec)
                records += 1
                ts = parse_iso(rec.get("timestamp"))
                attrs = {"subtype": rec["subtype"]} if isinstance(rec.get("subtype"), str) else {}
                s.trial.add(Event(kind="message", role="system", text=text, timestamp=ts, source_line=number,
                                  source_pointer=f"line:{number}#/content", attrs=attrs))
            continue
        if kind not in _MESSAGE_TYPES:
            if kind not in _OTHER_TYPES:
                warnings.append(f"line {number}: unknown record type {str(kind)[:40]!r}, skipped")
            continue
        msg = rec.get("message")
        if not isinstance(msg, dict):
            warnings.append(f"line {number}: {kind} record without a message object, skipped")
            continue
        if "content" not in msg:
            warnings.append(f"line {number}: {kind} message without content, skipped")
            continue
        records += 1
        s = session_for(rec)
        trial = s.trial
        ts = parse_iso(rec.get("timestamp"))
        if ts is not None:
            s.first_ts = ts if s.first_ts is None else min(s.first_ts, ts)
            s.last_ts = ts if s.last_ts is None else max(s.last_ts, ts)
        if isinstance(rec.get("uuid"), str):
            s.uuids.add(rec["uuid"])
        for key in ("cwd", "version", "gitBranch"):
            if key not in s.meta and isinstance(rec.get(key), str):
                s.meta[key] = rec[key]
        extra: dict[str, Any] = {}
        if rec.get("isSidechain") is True:
            extra["sidechain"] = True
        if rec.get("isMeta") is True:
            extra["meta"] = True
        content = msg["content"]
        base = f"line:{number}#/message/content"
        if kind == "assistant":
            model = msg.get("model")
            if isinstance(model, str) and model and model != "<synthetic>" and model not in s.models:
                s.models.append(model)
        blocks = content if isinstance(content, list) else [content]
        for i, block in enumerate(blocks):
            pointer = base if not isinstance(content, list) else f"{base}/{i}"
            if isinstance(block, str):
                if not block.strip():
                    continue
                role = "assistant" if kind == "assistant" else "user"
                if role == "user" and trial.task is None and not extra.get("meta"):
                    trial.task = _first_line(block)
                trial.add(Event(kind="message", role=role, text=block, timestamp=ts, source_line=number,
                                source_pointer=pointer, attrs=dict(extra)))
                continue
            if not isinstance(block, dict):
                warnings.append(f"line {number}: content block {i} is not an object, skipped")
                continue
            btype = block.get("type")
            if btype == "text":
                text = block.get("text")
                if not isinstance(text, str) or not text.strip():
                    continue
                role = "assistant" if kind == "assistant" else "user"
                if role == "user" and trial.task is None and not extra.get("meta") \
                        and not text.startswith("Caveat:"):
                    trial.task = _first_line(text)
                trial.add(Event(kind="message", role=role, text=text, timestamp=ts, source_line=number,
                                source_pointer=f"{pointer}/text", attrs=dict(extra)))
            elif btype == "thinking":
                text = block.get("thinking")
                if isinstance(text, str) and text.strip():
                    trial.add(Event(kind="message", role="assistant", text=text, timestamp=ts, source_line=number,
                                    source_pointer=f"{pointer}/thinking", attrs={**extra, "thinking": True}))
            elif btype == "tool_use":
                name = block.get("name") if isinstance(block.get("name"), str) else "tool"
                tool_input = block.get("input")
                attrs = {**extra, "input": tool_input}
                if isinstance(block.get("id"), str):
                    attrs["tool_use_id"] = block["id"]
                action = trial.add(Event(kind="action", role="assistant", text=render_tool(name, tool_input),
                                         tool=name, timestamp=ts, source_line=number,
                                         source_pointer=f"{pointer}/input", attrs=attrs))
                if isinstance(block.get("id"), str):
                    s.pending[block["id"]] = action
            elif btype == "tool_result":
                use_id = block.get("tool_use_id")
                action = s.pending.pop(use_id, None) if isinstance(use_id, str) else None
                text = content_text(block.get("content"), images=("image",))
                attrs = dict(extra)
                code = None
                if block.get("is_error") is True:
                    attrs["is_error"] = True
                    m = _EXIT_RE.match(text)
                    if m:
                        code = int(m.group(1))
                if isinstance(use_id, str):
                    attrs["tool_use_id"] = use_id
                if action is None:
                    attrs["unmatched"] = True
                tur = rec.get("toolUseResult")
                if isinstance(tur, dict) and tur.get("interrupted") is True:
                    attrs["interrupted"] = True
                trial.add(Event(kind="observation", role="tool", text=text, exit_code=code, timestamp=ts,
                                action_seq=action.seq if action is not None else None, source_line=number,
                                source_pointer=f"{pointer}/content", attrs=attrs))
            elif btype == "image":
                trial.add(Event(kind="message", role="assistant" if kind == "assistant" else "user",
                                text="[image]", timestamp=ts, source_line=number, source_pointer=pointer,
                                attrs=dict(extra)))
            elif btype == "redacted_thinking":
                continue
            else:
                warnings.append(f"line {number}: unknown content block type {str(btype)[:40]!r}, skipped")

    if records == 0:
        raise FormatError(
            "not a Claude Code session: no line is a user/assistant record with a message object "
            f"(first line has keys {first_keys})"
        )
    if not sessions:
        sessions[""] = _Session(path, "")
    many = len(sessions) > 1
    for sid, s in sessions.items():
        trial = s.trial
        trial.local_key = sid if many else ""
        trial.model = s.models[0] if s.models else None
        trial.started_at, trial.ended_at = s.first_ts, s.last_ts
        meta: dict[str, Any] = {"session_id": sid or None, **s.meta}
        if len(s.models) > 1:
            meta["models"] = s.models
        mine = [text for leaf, text in summaries if leaf in s.uuids]
        if not mine and not many:
            mine = [text for _, text in summaries]
        if mine:
            meta["summary"] = mine[-1][:1000]
        unanswered = len(s.pending)
        if unanswered:
            meta["unanswered_tool_calls"] = unanswered
        if warnings:
            meta["warnings"] = list(warnings)
        trial.metadata = meta
        yield trial

FORMAT = Adapter(NAME, DESCRIPTION, 80, sniff, read)
