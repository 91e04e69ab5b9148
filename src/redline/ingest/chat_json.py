"""Generic chat transcripts in JSON or JSON lines: OpenAI or Anthropic message lists.

Accepted shapes (the last-resort format: detected only when no specific format claims a file):

* a bare list of messages ``[{"role": ..., "content": ...}, ...]`` (one trial);
* an object ``{"messages": [...], "model"?, "metadata"?, "id"?, "system"?}`` (one trial);
* a list of such objects, or JSON lines with one such object (or bare list) per line: one
  trial each, ``local_key`` = the object's ``id`` when present and unique, else its position
  (``"3"``) or line (``"line:3"``).

Messages: OpenAI chat (``tool_calls: [{id, type: "function", function: {name, arguments}}]``
answered by ``{"role": "tool", "tool_call_id", "content"}``; the legacy ``function_call`` /
``role: "function"`` pair too) and Anthropic (``content`` blocks ``text`` / ``thinking`` /
``tool_use {id, name, input}`` / ``tool_result {tool_use_id, content, is_error}``).
``system`` / ``developer`` → ``system`` messages, ``user`` text → ``user`` messages, assistant
text → ``assistant`` messages placed before the turn's actions.

Every tool call is an action (:func:`tool_call_text`): when the arguments hold a shell
command (a ``command`` / ``cmd`` / ``bash`` / ``script`` key, or a string argument of a tool
named ``bash`` / ``shell`` / ``terminal`` / ``execute*`` / ``run_command``) the text is that
command (an argv list is joined as a shell line); Python code (a ``code`` key of a
python / ipython / code-interpreter / execute tool) is the code; any other call is rendered
``name {json arguments}``. Raw arguments are kept in ``attrs["arguments"]``. A tool reply is
the observation of the call with its id; its exit code is read from a ``<returncode>N``
tag, an ``Exit code: N`` first line or a JSON reply's ``exit_code`` / ``returncode``, else
``None``. The verdict, when the object carries one (``resolved``, ``success``, ``passed``,
``outcome``, ``score``... at top level or in ``metadata``), gives ``outcome``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from ..events import Event, Trial, from_epoch, normalise_outcome, parse_iso
from ..text import truncate
from .base import (Adapter, FormatError, content_text, first_int, head_text, json_document_or_lines, parse_arguments,
                   partial_json)
from .records import TRUNCATED_LINE, iter_json_lines
from .builder import TrialBuilder
from .codex import argv_command

NAME = "chat-json"
DESCRIPTION = "Generic chat transcripts: OpenAI / Anthropic message lists in JSON or JSON lines"

ROLES = {"system", "developer", "user", "assistant", "tool", "function", "ipython"}
COMMAND_KEYS = ("command", "cmd", "bash", "script", "shell_command", "commands")
SHELL_TOOL_RE = re.compile(r"^(bash|sh|shell|zsh|terminal|run_shell|run_command|run_terminal_cmd|"
                           r"execute.*|exec|exec_command|container\.exec|local_shell|cmd|command)$", re.I)
PYTHON_TOOL_RE = re.compile(r"(python|ipython|jupyter|code_interpreter|notebook|execute|run_code)", re.I)
VERDICT_KEYS = ("outcome", "resolved", "is_resolved", "success", "passed", "correct", "score", "reward", "status")
_RETURNCODE_RE = re.compile(r"<returncode>\s*(-?\d+)\s*</returncode>")
_EXIT_RE = re.compile(r"\A\s*(?:Error: )?Exit code:? (-?\d+)\b", re.I)
_OTHER_FORMAT_KEYS = {"trajectory_format", "trajectory", "resourceSpans", "resource_spans", "samples", "eval",
                      "payload", "sessionId"}


# --------------------------------------------------------------------------- tool calls


def tool_call_text(name: str, args: Any) -> tuple[str, str]:
    """``(text, kind)`` of a tool call; kind is ``shell``, ``code`` or ``call``."""
    name = name or "tool"
    if isinstance(args, dict):
        for key in COMMAND_KEYS:
            value = args.get(key)
            if isinstance(value, str) and value.strip():
                return value, "shell"
            if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
                if key == "commands":
                    return "\n".join(value), "shell"
                return argv_command(value), "shell"
        code = args.get("code")
        if isinstance(code, str) and (PYTHON_TOOL_RE.search(name) or SHELL_TOOL_RE.match(name)):
            return code, "code"
        if SHELL_TOOL_RE.match(name):
            strings = [v for v in args.values() if isinstance(v, str)]
            if len(args) == 1 and len(strings) == 1:
                return strings[0], "shell"
    elif isinstance(args, str) and args.strip():
        if SHELL_TOOL_RE.match(name):
            return args, "shell"
        if PYTHON_TOOL_RE.search(name):
            return args, "code"
        return f"{name} {args}", "call"
    if args is None or args == {} or args == "":
        return name, "call"
    return f"{name} {orjson.dumps(args, default=str).decode()}", "call"


def observation_exit_code(text: str) -> int | None:
    m = _RETURNCODE_RE.search(text[:4000])
    if m:
        return int(m.group(1))
    m = _EXIT_RE.match(text)
    if m:
        return int(m.group(1))
    if text.lstrip().startswith("{"):
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
        if isinstance(value, dict):
            return first_int(value, ("exit_code", "returncode", "exitCode"))
    return None


#: message content as text, as every chat dialect writes it (parts, nested ``content``, a bare ``{text}``)
chat_text = partial(content_text, loose=True)


# --------------------------------------------------------------------------- detection


def _is_message(obj: Any) -> bool:
    return (isinstance(obj, dict) and isinstance(obj.get("role"), str) and obj["role"] in ROLES
            and ("content" in obj or "tool_calls" in obj or "function_call" in obj))


def _is_conversation(obj: Any) -> bool:
    if isinstance(obj, list):
        return bool(obj) and _is_message(obj[0])
    if isinstance(obj, dict):
        if _OTHER_FORMAT_KEYS & obj.keys():
            return False
        info = obj.get("info")
        if isinstance(info, dict) and ({"mini_version", "model_stats", "exit_status"} & info.keys()):
            return False  # a mini-swe-agent trajectory (its 'trajectory_format' key comes last)
        msgs = obj.get("messages")
        return isinstance(msgs, list) and bool(msgs) and _is_message(msgs[0])
    return False


def sniff(path: Path, head: bytes) -> bool:
    """A conversation (or JSON lines of them), judged from the head alone: the first record may
    be far longer than the head (a 200 MB transcript), so it is read as far as the head goes."""
    try:
        text = head_text(head).lstrip()
        if not text or text[0] not in "[{":
            return False
        first = partial_json(text.split("\n", 1)[0])  # a JSON-lines record, maybe cut
        if _is_conversation(first):
            return True
        value = partial_json(text)
        if isinstance(value, dict):
            return _is_conversation(value)
        if isinstance(value, list) and value:
            return _is_message(value[0]) or _is_conversation(value[0])
        return False
    except Exception:
        return False


# --------------------------------------------------------------------------- reading


def _timestamp(msg: dict) -> Any:
    for key in ("timestamp", "created_at", "time", "ts"):
        value = msg.get(key)
        if isinstance(value, str):
            ts = parse_iso(value)
            if ts is not None:
                return ts
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            return from_epoch(value)
    return None


def _small(value: Any, limit: int = 2000) -> bool:
    try:
        return len(orjson.dumps(value, default=str)) <= limit
    except Exception:
        return False


def _verdict(obj: dict) -> tuple[Any, str]:
    for source in (obj, obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}):
        for key in VERDICT_KEYS:
            if key in source and isinstance(source[key], (bool, int, float, str)):
                value = source[key]
                if key == "status" and normalise_outcome(value) == "unknown":
                    continue
                return {key: value}, normalise_outcome(value)
    return None, "unknown"


def _build_trial(path: Path, conv: Any, local_key: str, base: str, line: int | None,
                 warnings: list[str]) -> Trial:
    """One trial from a conversation (a message list or an object with ``messages``)."""
    return _Conversation(path, conv, local_key, base, line).build(warnings)


class _Conversation:
    """One conversation's messages, in order, into its trial."""

    def __init__(self, path: Path, conv: Any, local_key: str, base: str, line: int | None):
        self.obj = conv if isinstance(conv, dict) else {}
        self.messages = conv if isinstance(conv, list) else conv.get("messages")
        self.msgs_ptr = base if isinstance(conv, list) else f"{base}/messages"
        self.base, self.line = base, line
        self.build_ = TrialBuilder(Trial(format=NAME, source_path=str(path), local_key=local_key))
        self.trial = self.build_.trial
        self.warnings: list[str] = []
        self.last_function: Event | None = None  # a legacy function_call waiting for its reply

    def where(self, suffix: str) -> str:
        return f"line:{self.line}#{suffix}" if self.line is not None else (suffix or "/")

    def build(self, warnings: list[str]) -> Trial:
        trial, obj = self.trial, self.obj
        meta_in = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        model = obj.get("model", meta_in.get("model"))
        trial.model = model if isinstance(model, str) else None
        agent = obj.get("agent", meta_in.get("agent"))
        trial.agent = agent if isinstance(agent, str) else None
        for key in ("task", "instance_id", "task_id", "title"):
            value = obj.get(key, meta_in.get(key))
            if isinstance(value, str) and value.strip():
                trial.task = _title(value)
                break
        trial.source_verdict, trial.outcome = _verdict(obj)
        meta: dict[str, Any] = {}
        if isinstance(obj.get("id"), (str, int)):
            meta["id"] = obj["id"]
        for key, value in meta_in.items():
            if key not in ("model", "agent") and _small(value):
                meta[key] = value
        system = obj.get("system")
        self.build_.at(line=self.line)
        if isinstance(system, (str, list)) and chat_text(system).strip():
            self.build_.message("system", chat_text(system), self.where(f"{self.base}/system"))
        for idx, msg in enumerate(self.messages or []):
            self.message(idx, msg)
        if self.build_.unanswered:
            meta["unanswered_tool_calls"] = self.build_.unanswered
        warnings.extend(self.warnings)
        trial.metadata = meta
        return trial

    def message(self, idx: int, msg: Any) -> None:
        ptr = f"{self.msgs_ptr}/{idx}"
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            self.warnings.append(f"{self.where(ptr)}: not a message object with a role, skipped")
            return
        role = msg["role"]
        self.build_.at(line=self.line, ts=_timestamp(msg))
        if role in ("tool", "function", "ipython"):
            self.reply(role, msg, ptr)
            return
        content = msg.get("content")
        out_role = "system" if role == "developer" else role
        blocks = content if isinstance(content, list) else [content]
        for b_idx, block in enumerate(blocks):
            b_ptr = f"{ptr}/content/{b_idx}" if isinstance(content, list) else f"{ptr}/content"
            self.block(block, out_role, b_ptr)
        reasoning = msg.get("reasoning_content", msg.get("reasoning"))
        if role == "assistant" and isinstance(reasoning, str) and reasoning.strip():
            # the reasoning precedes the visible reply in time; keep it before the actions
            key = "reasoning_content" if "reasoning_content" in msg else "reasoning"
            self.build_.message("assistant", reasoning, self.where(f"{ptr}/{key}"), attrs={"thinking": True})
        if isinstance(msg.get("tool_calls"), list):
            for c_idx, call in enumerate(msg["tool_calls"]):
                self.tool_call(call, f"{ptr}/tool_calls/{c_idx}")
        fcall = msg.get("function_call")
        if isinstance(fcall, dict) and isinstance(fcall.get("name"), str):
            args = parse_arguments(fcall.get("arguments"))
            text, kind = tool_call_text(fcall["name"], args)
            self.last_function = self.build_.action(text, self.where(f"{ptr}/function_call/arguments"),
                                                    tool=fcall["name"], attrs={"arguments": args, "call_kind": kind})

    def reply(self, role: str, msg: dict, ptr: str) -> None:
        call_id = msg.get("tool_call_id")
        action = self.build_.call(call_id)
        if action is None and role == "function" and self.last_function is not None:
            action, self.last_function = self.last_function, None
        self.result(chat_text(msg.get("content")), action, call_id, self.where(f"{ptr}/content"), {})

    def result(self, text: str, action: Event | None, call_id: Any, pointer: str, attrs: dict[str, Any]) -> None:
        attrs = {"tool_call_id": call_id, **attrs} if isinstance(call_id, str) else attrs
        if action is None:
            attrs["unmatched"] = True
        self.build_.result(text, pointer, action=action, exit_code=observation_exit_code(text), attrs=attrs)

    def block(self, block: Any, role: str, b_ptr: str) -> None:
        if block is None:
            return
        btype = block.get("type") if isinstance(block, dict) else None
        if isinstance(block, str) or (isinstance(block, dict) and btype in _TEXT_BLOCKS):
            text = chat_text([block]) if not isinstance(block, str) else block
            if text.strip():
                if role == "user" and self.trial.task is None:
                    self.trial.task = _title(text)
                self.build_.message(role, text, self.where(b_ptr))
        elif btype in ("thinking", "reasoning"):
            text = block.get("thinking", block.get("text"))
            if isinstance(text, str) and text.strip():
                self.build_.message("assistant", text, self.where(b_ptr), attrs={"thinking": True})
        elif btype == "tool_use":
            name = block.get("name") if isinstance(block.get("name"), str) else "tool"
            args = block.get("input")
            text, kind = tool_call_text(name, args)
            attrs = {"arguments": args, "call_kind": kind}
            if isinstance(block.get("id"), str):
                attrs["tool_call_id"] = block["id"]
            self.build_.action(text, self.where(f"{b_ptr}/input"), call_id=block.get("id"), tool=name, attrs=attrs)
        elif btype == "tool_result":
            use_id = block.get("tool_use_id")
            attrs = {"is_error": True} if block.get("is_error") is True else {}
            self.result(chat_text(block.get("content")), self.build_.call(use_id), use_id,
                        self.where(f"{b_ptr}/content"), attrs)
        elif btype != "redacted_thinking":
            text = chat_text([block])
            if text.strip():
                self.build_.message(role, text, self.where(b_ptr))

    def tool_call(self, call: Any, c_ptr: str) -> None:
        if not isinstance(call, dict):
            self.warnings.append(f"{self.where(c_ptr)}: tool call is not an object, skipped")
            return
        fn = call.get("function") if isinstance(call.get("function"), dict) else call
        name = fn.get("name") if isinstance(fn.get("name"), str) else "tool"
        args = parse_arguments(fn.get("arguments", fn.get("input")))
        text, kind = tool_call_text(name, args)
        attrs = {"arguments": args, "call_kind": kind}
        if isinstance(call.get("id"), str):
            attrs["tool_call_id"] = call["id"]
        pointer = self.where(f"{c_ptr}/function/arguments" if "function" in call else c_ptr)
        self.build_.action(text, pointer, call_id=call.get("id"), tool=name, attrs=attrs)


#: content blocks that are text to show (images as ``[image]``)
_TEXT_BLOCKS = (None, "text", "input_text", "output_text", "image", "image_url", "input_image")


def _title(text: str) -> str:
    return truncate(text.strip().splitlines()[0], 200, "")


def _conversations(doc: Any) -> list[tuple[str, Any]]:
    """``(pointer base, conversation)`` pairs in a whole JSON document."""
    if isinstance(doc, list) and doc and _is_message(doc[0]):
        return [("", doc)]
    if isinstance(doc, dict):
        if _is_conversation(doc):
            return [("", doc)]
        keys = ", ".join(sorted(map(str, doc))[:8])
        raise FormatError("not a chat transcript: expected a list of {role, content} messages or an object "
                          f"with a 'messages' list of them (found an object with keys {keys})")
    if isinstance(doc, list) and doc and all(_is_conversation(d) for d in doc[:50]):
        return [(f"/{i}", d) for i, d in enumerate(doc)]
    what = "an empty list" if isinstance(doc, list) and not doc else f"a JSON {type(doc).__name__}"
    if isinstance(doc, list) and doc:
        first = doc[0]
        what = f"a list whose first item is {type(first).__name__}" + (
            f" with keys {', '.join(sorted(map(str, first))[:8])}" if isinstance(first, dict) else "")
    raise FormatError("not a chat transcript: expected a list of {role, content} messages or an object with "
                      f"a 'messages' list of them (found {what})")


def _key(conv: Any, fallback: str, seen: set[str]) -> str:
    cid = conv.get("id") if isinstance(conv, dict) else None
    key = str(cid) if isinstance(cid, (str, int)) and not isinstance(cid, bool) else fallback
    if key in seen:
        key = fallback
    seen.add(key)
    return key


def read(path: Path) -> Iterator[Trial]:
    """Each conversation's trial, yielded as soon as it is read; a trial's warnings are its own,
    and what concerns the whole file (a cut last line, lines of another shape) goes with the last."""
    path = Path(path)
    doc = json_document_or_lines(path.read_bytes())
    if doc is None:
        yield from _read_lines(path)
        return
    pairs = _conversations(doc)
    seen: set[str] = set()
    for base, conv in pairs:
        key = "" if len(pairs) == 1 else _key(conv, base.lstrip("/"), seen)
        yield _with_warnings(_build_trial(path, conv, key, base, None, warnings := []), warnings)


def _read_lines(path: Path) -> Iterator[Trial]:
    seen: set[str] = set()
    shape_errors: list[str] = []
    file_warnings: list[str] = []
    held: Trial | None = None  # the latest trial: the file's own warnings are known only at the end
    for number, obj in iter_json_lines(path):
        if obj is TRUNCATED_LINE:
            file_warnings.append(f"truncated: line {number} is cut off (file ends mid-record)")
            continue
        if not _is_conversation(obj):
            shape_errors.append(f"line {number}")
            continue
        if held is not None:
            yield held
        held = _with_warnings(_build_trial(path, obj, _key(obj, f"line:{number}", seen), "", number,
                                           warnings := []), warnings)
    if held is None:
        raise FormatError("not a chat transcript: no line is a list of {role, content} messages or an "
                          f"object with a 'messages' list ({', '.join(shape_errors[:3])} have another shape)")
    if shape_errors:
        file_warnings.append(f"{len(shape_errors)} lines are not conversations, skipped ({', '.join(shape_errors[:5])})")
    yield _with_warnings(held, file_warnings)


def _with_warnings(trial: Trial, warnings: list[str]) -> Trial:
    if warnings:
        trial.metadata.setdefault("warnings", []).extend(warnings)
    return trial


FORMAT = Adapter(NAME, DESCRIPTION, 1000, sniff, read)
