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
``metadata["summary"]`` (a file of summary lines only, which Claude Code leaves beside the
sessions it names, is skipped with that reason); ``system`` records with text become
``system`` messages. Damaged or
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

from ..events import Trial, parse_iso
from ..text import truncate
from .base import Adapter, FormatError, NotATranscript, content_text, first_line, head_text
from .builder import TrialBuilder
from .records import JsonLines
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


# --------------------------------------------------------------------------- reading


class _Session:
    """One session's trial being built, and what its records say about it."""

    def __init__(self, path: Path, session_id: str, warnings: list[str]):
        self.session_id = session_id
        self.build = TrialBuilder(Trial(format=NAME, source_path=str(path), agent=AGENT), warnings)
        self.meta: dict[str, Any] = {}
        self.uuids: set[str] = set()
        self.models: list[str] = []

    def trial(self, many: bool, summaries: list[tuple[str | None, str]]) -> Trial:
        trial = self.build.trial
        trial.local_key = self.session_id if many else ""
        trial.model = self.models[0] if self.models else None
        meta: dict[str, Any] = {"session_id": self.session_id or None, **self.meta}
        if len(self.models) > 1:
            meta["models"] = self.models
        mine = [text for leaf, text in summaries if leaf in self.uuids]
        if not mine and not many:
            mine = [text for _, text in summaries]
        if mine:
            meta["summary"] = truncate(mine[-1], 1000, "")
        if self.build.unanswered:
            meta["unanswered_tool_calls"] = self.build.unanswered
        return self.build.finish(meta)


class _Reader:
    """Claude Code records, line by line, into one trial per session."""

    def __init__(self, path: Path):
        self.path = path
        self.warnings: list[str] = []
        self.lines = JsonLines(path, self.warnings)
        self.sessions: dict[str, _Session] = {}
        self.summaries: list[tuple[str | None, str]] = []
        self.current: _Session | None = None
        self.records = 0

    def session_for(self, rec: dict) -> _Session:
        sid = rec.get("sessionId")
        if not isinstance(sid, str) or not sid:
            sid = self.current.session_id if self.current is not None else ""
        if sid not in self.sessions:
            self.sessions[sid] = _Session(self.path, sid, self.warnings)
        self.current = self.sessions[sid]
        return self.current

    def read(self) -> Iterator[Trial]:
        for number, rec in self.lines.objects():
            self.record(number, rec)
        if self.records == 0:
            raise FormatError(
                "not a Claude Code session: no line is a user/assistant record with a message object "
                f"(first line has keys {self.lines.first_shape})"
            )
        if not self.sessions:
            # Claude Code leaves files of summary lines only (titles of sessions kept elsewhere)
            raise NotATranscript(f"Claude Code summaries only ({len(self.summaries)} session titles), "
                                 "no messages: the sessions they name are in other files")
        many = len(self.sessions) > 1
        for session in self.sessions.values():
            yield session.trial(many, self.summaries)

    def record(self, number: int, rec: dict) -> None:
        kind = rec.get("type")
        if not isinstance(kind, str):
            self.warnings.append(f"line {number}: record without a string 'type', skipped")
        elif kind == "summary":
            if isinstance(rec.get("summary"), str):
                leaf = rec.get("leafUuid")
                self.summaries.append((leaf if isinstance(leaf, str) else None, rec["summary"]))
                self.records += 1
        elif kind == "system":
            self.system(number, rec)
        elif kind in _MESSAGE_TYPES:
            self.message(number, kind, rec)
        elif kind not in _OTHER_TYPES:
            self.warnings.append(f"line {number}: unknown record type {truncate(kind, 40, '')!r}, skipped")

    def system(self, number: int, rec: dict) -> None:
        text = rec.get("content")
        if not isinstance(text, str) or not text.strip():
            return
        build = self.session_for(rec).build
        self.records += 1
        attrs = {"subtype": rec["subtype"]} if isinstance(rec.get("subtype"), str) else {}
        build.at(line=number, ts=parse_iso(rec.get("timestamp")))
        build.message("system", text, f"line:{number}#/content", attrs=attrs)

    def message(self, number: int, kind: str, rec: dict) -> None:
        msg = rec.get("message")
        if not isinstance(msg, dict):
            self.warnings.append(f"line {number}: {kind} record without a message object, skipped")
            return
        if "content" not in msg:
            self.warnings.append(f"line {number}: {kind} message without content, skipped")
            return
        self.records += 1
        session = self.session_for(rec)
        ts = parse_iso(rec.get("timestamp"))
        session.build.saw(ts)
        session.build.at(line=number, ts=ts)
        if isinstance(rec.get("uuid"), str):
            session.uuids.add(rec["uuid"])
        for key in ("cwd", "version", "gitBranch"):
            if key not in session.meta and isinstance(rec.get(key), str):
                session.meta[key] = rec[key]
        extra: dict[str, Any] = {}
        if rec.get("isSidechain") is True:
            extra["sidechain"] = True
        if rec.get("isMeta") is True:
            extra["meta"] = True
        if kind == "assistant":
            model = msg.get("model")
            if isinstance(model, str) and model and model != "<synthetic>" and model not in session.models:
                session.models.append(model)
        content = msg["content"]
        base = f"line:{number}#/message/content"
        blocks = content if isinstance(content, list) else [content]
        for i, block in enumerate(blocks):
            pointer = base if not isinstance(content, list) else f"{base}/{i}"
            _Block(session.build, kind, extra, rec, pointer).add(block, number, i, self.warnings)


class _Block:
    """One content block of a user or assistant record, added to the session's trial."""

    def __init__(self, build: TrialBuilder, kind: str, extra: dict[str, Any], rec: dict, pointer: str):
        self.build, self.kind, self.extra, self.rec, self.pointer = build, kind, extra, rec, pointer
        self.role = "assistant" if kind == "assistant" else "user"

    def add(self, block: Any, number: int, i: int, warnings: list[str]) -> None:
        if isinstance(block, str):
            self.text(block, self.pointer, caveat_ok=True)
        elif not isinstance(block, dict):
            warnings.append(f"line {number}: content block {i} is not an object, skipped")
        elif block.get("type") in _BLOCK_READERS:
            _BLOCK_READERS[block["type"]](self, block)
        elif block.get("type") != "redacted_thinking":
            btype = block.get("type")
            warnings.append(f"line {number}: unknown content block type {truncate(str(btype), 40, '')!r}, skipped")

    def text(self, text: Any, pointer: str, caveat_ok: bool = False) -> None:
        if not isinstance(text, str) or not text.strip():
            return
        trial = self.build.trial
        if (self.role == "user" and trial.task is None and not self.extra.get("meta")
                and (caveat_ok or not text.startswith("Caveat:"))):
            trial.task = first_line(text)
        self.build.message(self.role, text, pointer, attrs=dict(self.extra))

    def text_block(self, block: dict) -> None:
        self.text(block.get("text"), f"{self.pointer}/text")

    def thinking(self, block: dict) -> None:
        text = block.get("thinking")
        if isinstance(text, str) and text.strip():
            self.build.message("assistant", text, f"{self.pointer}/thinking", attrs={**self.extra, "thinking": True})

    def tool_use(self, block: dict) -> None:
        name = block.get("name") if isinstance(block.get("name"), str) else "tool"
        tool_input = block.get("input")
        attrs = {**self.extra, "input": tool_input}
        if isinstance(block.get("id"), str):
            attrs["tool_use_id"] = block["id"]
        self.build.action(render_tool(name, tool_input), f"{self.pointer}/input", call_id=block.get("id"),
                          tool=name, attrs=attrs)

    def tool_result(self, block: dict) -> None:
        use_id = block.get("tool_use_id")
        action = self.build.call(use_id)
        text = content_text(block.get("content"), images=("image",))
        attrs = dict(self.extra)
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
        tur = self.rec.get("toolUseResult")
        if isinstance(tur, dict) and tur.get("interrupted") is True:
            attrs["interrupted"] = True
        self.build.result(text, f"{self.pointer}/content", action=action, exit_code=code, attrs=attrs)

    def image(self, block: dict) -> None:
        self.build.message(self.role, "[image]", self.pointer, attrs=dict(self.extra))


_BLOCK_READERS = {"text": _Block.text_block, "thinking": _Block.thinking, "tool_use": _Block.tool_use,
                  "tool_result": _Block.tool_result, "image": _Block.image}


def read(path: Path) -> Iterator[Trial]:
    yield from _Reader(Path(path)).read()


FORMAT = Adapter(NAME, DESCRIPTION, 80, sniff, read)
