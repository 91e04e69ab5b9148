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
from .base import (Adapter, FormatError, content_text, first_int, head_text, json_document_or_lines,
                   partial_json)
from .records import TRUNCATED_LINE, iter_json_lines
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


def parse_arguments(raw: Any) -> Any:
    """Tool-call arguments: a JSON string is decoded, anything else returned as it is."""
    if isinstance(raw, str):
        text = raw.strip()
        if text[:1] in ("{", "["):
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:
                return raw
        return raw
    return raw


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
    trial = Trial(format=NAME, source_path=str(path), local_key=local_key)
    obj = conv if isinstance(conv, dict) else {}
    messages = conv if isinstance(conv, list) else conv.get("messages")
    msgs_ptr = base if isinstance(conv, list) else f"{base}/messages"
    meta_in = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    model = obj.get("model", meta_in.get("model"))
    trial.model = model if isinstance(model, str) else None
    agent = obj.get("agent", meta_in.get("agent"))
    trial.agent = agent if isinstance(agent, str) else None
    for key in ("task", "instance_id", "task_id", "title"):
        value = obj.get(key, meta_in.get(key))
        if isinstance(value, str) and value.strip():
            trial.task = value.strip().splitlines()[0][:200]
            break
    trial.source_verdict, trial.outcome = _verdict(obj)
    meta: dict[str, Any] = {}
    if isinstance(obj.get("id"), (str, int)):
        meta["id"] = obj["id"]
    for key, value in meta_in.items():
        if key not in ("model", "agent") and _small(value):
            meta[key] = value
    local_warnings: list[str] = []

    def where(suffix: str) -> str:
        return f"line:{line}#{suffix}" if line is not None else (suffix or "/")

    system = obj.get("system")
    if isinstance(system, (str, list)) and chat_text(system).strip():
        trial.add(Event(kind="message", role="system", text=chat_text(system), source_line=line,
                        source_pointer=where(f"{base}/system")))
    pending: dict[str, Event] = {}
    last_function: Event | None = None
    for idx, msg in enumerate(messages or []):
        ptr = f"{msgs_ptr}/{idx}"
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            local_warnings.append(f"{where(ptr)}: not a message object with a role, skipped")
            continue
        role = msg["role"]
        ts = _timestamp(msg)
        content = msg.get("content")
        if role in ("tool", "function", "ipython"):
            call_id = msg.get("tool_call_id")
            action = pending.pop(call_id, None) if isinstance(call_id, str) else None
            if action is None and role == "function" and last_function is not None:
                action, last_function = last_function, None
            text = chat_text(content)
            attrs: dict[str, Any] = {}
            if isinstance(call_id, str):
                attrs["tool_call_id"] = call_id
            if action is None:
                attrs["unmatched"] = True
            trial.add(Event(kind="observation", role="tool", text=text, exit_code=observation_exit_code(text),
                            timestamp=ts, action_seq=action.seq if action else None, source_line=line,
                            source_pointer=where(f"{ptr}/content"), attrs=attrs))
            continue
        out_role = "system" if role == "developer" else role
        blocks = content if isinstance(content, list) else [content]
        for b_idx, block in enumerate(blocks):
            b_ptr = f"{ptr}/content/{b_idx}" if isinstance(content, list) else f"{ptr}/content"
            if block is None:
                continue
            if isinstance(block, str) or (isinstance(block, dict) and block.get("type") in (
                    None, "text", "input_text", "output_text", "image", "image_url", "input_image")):
                text = chat_text([block]) if not isinstance(block, str) else block
                if not text.strip():
                    continue
                if out_role == "user" and trial.task is None:
                    trial.task = text.strip().splitlines()[0][:200]
                trial.add(Event(kind="message", role=out_role, text=text, timestamp=ts, source_line=line,
                                source_pointer=where(b_ptr)))
            elif isinstance(block, dict) and block.get("type") in ("thinking", "reasoning"):
                text = block.get("thinking", block.get("text"))
                if isinstance(text, str) and text.strip():
                    trial.add(Event(kind="message", role="assistant", text=text, timestamp=ts, source_line=line,
                                    source_pointer=where(b_ptr), attrs={"thinking": True}))
            elif isinstance(block, dict) and block.get("type") == "tool_use":
                name = block.get("name") if isinstance(block.get("name"), str) else "tool"
                args = block.get("input")
                text, kind = tool_call_text(name, args)
                attrs = {"arguments": args, "call_kind": kind}
                if isinstance(block.get("id"), str):
                    attrs["tool_call_id"] = block["id"]
                action = trial.add(Event(kind="action", role="assistant", text=text, tool=name, timestamp=ts,
                                         source_line=line, source_pointer=where(f"{b_ptr}/input"), attrs=attrs))
                if isinstance(block.get("id"), str):
                    pending[block["id"]] = action
            elif isinstance(block, dict) and block.get("type") == "tool_result":
                use_id = block.get("tool_use_id")
                action = pending.pop(use_id, None) if isinstance(use_id, str) else None
                text = chat_text(block.get("content"))
                attrs = {"tool_call_id": use_id} if isinstance(use_id, str) else {}
                if block.get("is_error") is True:
                    attrs["is_error"] = True
                if action is None:
                    attrs["unmatched"] = True
                trial.add(Event(kind="observation", role="tool", text=text, exit_code=observation_exit_code(text),
                                timestamp=ts, action_seq=action.seq if action else None, source_line=line,
                                source_pointer=where(f"{b_ptr}/content"), attrs=attrs))
            elif isinstance(block, dict) and block.get("type") == "redacted_thinking":
                continue
            else:
                text = chat_text([block])
                if text.strip():
                    trial.add(Event(kind="message", role=out_role, text=text, timestamp=ts, source_line=line,
                                    source_pointer=where(b_ptr)))
        reasoning = msg.get("reasoning_content", msg.get("reasoning"))
        if role == "assistant" and isinstance(reasoning, str) and reasoning.strip():
            # the reasoning precedes the visible reply in time; keep it before the actions
            trial.add(Event(kind="message", role="assistant", text=reasoning, timestamp=ts, source_line=line,
                            source_pointer=where(f"{ptr}/reasoning_content" if "reasoning_content" in msg
                                                 else f"{ptr}/reasoning"), attrs={"thinking": True}))
        calls = msg.get("tool_calls")
        if isinstance(calls, list):
            for c_idx, call in enumerate(calls):
                c_ptr = f"{ptr}/tool_calls/{c_idx}"
                if not isinstance(call, dict):
                    local_warnings.append(f"{where(c_ptr)}: tool call is not an object, skipped")
                    continue
                fn = call.get("function") if isinstance(call.get("function"), dict) else call
                name = fn.get("name") if isinstance(fn.get("name"), str) else "tool"
                raw = fn.get("arguments", fn.get("input"))
                args = parse_arguments(raw)
                text, kind = tool_call_text(name, args)
                attrs = {"arguments": args, "call_kind": kind}
                if isinstance(call.get("id"), str):
                    attrs["tool_call_id"] = call["id"]
                action = trial.add(Event(kind="action", role="assistant", text=text, tool=name, timestamp=ts,
                                         source_line=line, source_pointer=where(f"{c_ptr}/function/arguments"
                                                                               if "function" in call else c_ptr),
                                         attrs=attrs))
                if isinstance(call.get("id"), str):
                    pending[call["id"]] = action
        fcall = msg.get("function_call")
        if isinstance(fcall, dict) and isinstance(fcall.get("name"), str):
            args = parse_arguments(fcall.get("arguments"))
            text, kind = tool_call_text(fcall["name"], args)
            last_function = trial.add(Event(kind="action", role="assistant", text=text, tool=fcall["name"],
                                            timestamp=ts, source_line=line,
                                            source_pointer=where(f"{ptr}/function_call/arguments"),
                                            attrs={"arguments": args, "call_kind": kind}))
    if pending:
        meta["unanswered_tool_calls"] = len(pending)
    warnings.extend(local_warnings)
    trial.metadata = meta
    return trial


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
    path = Path(path)
    warnings: list[str] = []
    trials: list[Trial] = []
    doc = json_document_or_lines(path.read_bytes())
    if doc is not None:
        pairs = _conversations(doc)
        seen: set[str] = set()
        for base, conv in pairs:
            key = "" if len(pairs) == 1 else _key(conv, base.lstrip("/"), seen)
            trials.append(_build_trial(path, conv, key, base, None, warnings))
    else:
        seen = set()
        shape_errors: list[str] = []
        for number, obj in iter_json_lines(path):
            if obj is TRUNCATED_LINE:
                warnings.append(f"truncated: line {number} is cut off (file ends mid-record)")
                continue
            if not _is_conversation(obj):
                shape_errors.append(f"line {number}")
                continue
            trials.append(_build_trial(path, obj, _key(obj, f"line:{number}", seen), "", number, warnings))
        if not trials:
            raise FormatError("not a chat transcript: no line is a list of {role, content} messages or an "
                              f"object with a 'messages' list ({', '.join(shape_errors[:3])} have another shape)")
        if shape_errors:
            warnings.append(f"{len(shape_errors)} lines are not conversations, skipped ({', '.join(shape_errors[:5])})")
    if warnings:
        for trial in trials:
            trial.metadata["warnings"] = list(warnings)
    yield from trials

FORMAT = Adapter(NAME, DESCRIPTION, 1000, sniff, read)
