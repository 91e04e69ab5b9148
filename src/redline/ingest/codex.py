"""OpenAI Codex CLI rollouts (``~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl``).

Current files wrap every line as ``{"timestamp", "type", "payload"}`` with ``type`` one of
``session_meta`` (id, cwd, cli_version, originator...), ``turn_context`` (model, approval and
sandbox policy), ``response_item`` (what the model saw and said) and ``event_msg`` (UI events);
older files ("bare" era, 2025) start with ``{"id", "timestamp", "instructions"}`` and hold
bare response items and ``{"record_type": "state"}`` markers; the first, TypeScript CLI (spring
2025) wrote one JSON document per session, ``rollout-<date>-<id>.json``:
``{"session": {"timestamp", "id", "instructions"}, "items": [<response items>]}``. All are read.

Mapping (one trial per file): ``response_item`` ``message`` → a message (``developer`` is
shown as ``system``; user messages the CLI injects, such as ``<environment_context>`` or
AGENTS.md instructions, are marked ``attrs["injected"]``); ``reasoning`` summaries →
``assistant`` messages marked ``attrs["reasoning"]`` (``encrypted_content`` is never read);
``function_call`` / ``local_shell_call`` / ``custom_tool_call`` → actions, ``*_output`` →
the observation of the action with the same ``call_id``. Shell calls are rendered as the
command line the agent ran: an argv ``["bash", "-lc", SCRIPT]`` is the script itself, any other
argv is ``shlex.join``-ed; ``exec_command``'s ``cmd`` and ``shell_command``'s ``command`` are
strings already. ``apply_patch`` is ``apply_patch '<patch>'`` (as Codex once ran it through the
shell); other tools (MCP ``server__tool`` calls...) are ``name {json arguments}``. The exit
code comes from the output's ``metadata.exit_code`` (JSON output), from an ``Exit code: N`` /
``Process exited with code N`` header (text output) or from an ``exec_command_end`` event.
``event_msg`` ``user_message`` / ``agent_message`` / ``agent_reasoning`` repeat response
items and are used only when a file has no response-item messages. Outcome is ``unknown``:
a rollout records no verdict.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from ..events import Event, Trial, parse_iso
from .base import Adapter, FormatError, content_text, first_line, head_text, load_json, read_head
from .builder import TrialBuilder
from .records import JsonLines

NAME = "codex"
DESCRIPTION = "OpenAI Codex CLI rollout JSONL (~/.codex/sessions/**/rollout-*.jsonl)"

AGENT = "codex"
ENVELOPE_TYPES = {"session_meta", "response_item", "event_msg", "turn_context", "compacted", "world_state",
                  "inter_agent_communication", "inter_agent_communication_metadata"}
ITEM_TYPES = {"message", "reasoning", "function_call", "function_call_output", "custom_tool_call",
              "custom_tool_call_output", "local_shell_call", "local_shell_call_output", "web_search_call",
              "tool_search_call", "tool_search_call_output", "image_generation_call", "compaction",
              "context_compaction"}
CALL_TYPES = {"function_call", "custom_tool_call", "local_shell_call"}
OUTPUT_TYPES = {"function_call_output", "custom_tool_call_output", "local_shell_call_output"}
SHELLS = {"bash", "sh", "zsh", "dash", "ksh"}
INJECTED_MARKERS = ("<environment_context>", "<user_instructions>", "# AGENTS.md", "<permissions",
                    "<collaboration_mode>", "<apps_instructions>", "<multi_agent_mode>", "<INSTRUCTIONS>",
                    "<user_shell_command>", "<turn_aborted>")
_REQUEST_MARKER = "## My request for Codex:"
_META_PREFIX = re.compile(r'\{\s*"timestamp"\s*:\s*"[^"]*"\s*,\s*"type"\s*:\s*"session_meta"\s*,\s*"payload"\s*:\s*\{')
#: the TypeScript CLI's rollout: one JSON document ``{"session": {...}, "items": [...]}``
_DOCUMENT_PREFIX = re.compile(r'^\s*\{\s*"session"\s*:\s*\{')
_EXIT_RES = (re.compile(r"^Exit code: (-?\d+)\s*$", re.M), re.compile(r"^Process exited with code (-?\d+)\s*$", re.M))


# --------------------------------------------------------------------------- detection


def _stype(obj: dict) -> str | None:
    value = obj.get("type")
    return value if isinstance(value, str) else None


def _is_envelope(obj: Any) -> bool:
    return (isinstance(obj, dict) and _stype(obj) in ENVELOPE_TYPES and isinstance(obj.get("payload"), dict)
            and "timestamp" in obj)


def _is_legacy_meta(obj: Any) -> bool:
    return (isinstance(obj, dict) and "type" not in obj and isinstance(obj.get("id"), str)
            and "timestamp" in obj and ("instructions" in obj or "git" in obj))


def _is_bare_item(obj: Any) -> bool:
    return isinstance(obj, dict) and (obj.get("record_type") == "state" or (
        _stype(obj) in ITEM_TYPES and "payload" not in obj and "sessionId" not in obj))


def _is_document(text: str, path: Path) -> bool:
    """The head of a TypeScript CLI rollout (its items may lie past a long ``instructions``)."""
    return bool(_DOCUMENT_PREFIX.match(text)) and (
        bool(re.search(r'"items"\s*:\s*\[', text)) or (path.name.startswith("rollout-") and path.suffix == ".json"))


def sniff(path: Path, head: bytes) -> bool:
    try:
        if _is_document(head_text(head), path):
            return True
        lines = [ln for ln in head_text(head).splitlines() if ln.strip()]
        objs = []
        for i, line in enumerate(lines[:6]):
            try:
                objs.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                if i == 0:
                    # a first line longer than the head (a session_meta with long instructions)
                    return len(lines) == 1 and bool(_META_PREFIX.match(line))
                break
        if not objs:
            return False
        if _is_envelope(objs[0]):
            return True
        if _is_legacy_meta(objs[0]):
            return any(_is_bare_item(o) for o in objs[1:]) or len(objs) == 1
        return False
    except Exception:
        return False


# --------------------------------------------------------------------------- rendering


def argv_command(argv: list[str]) -> str:
    """The command line an argv runs: the script of ``bash -lc SCRIPT``, else ``shlex.join``."""
    if (len(argv) == 3 and Path(argv[0]).name in SHELLS and argv[1] in ("-lc", "-c", "-cl", "-ic")):
        return argv[2]
    return shlex.join(argv)


def _json_args(raw: Any) -> tuple[Any, bool]:
    """Parsed ``arguments`` (a JSON string) and whether parsing worked."""
    if isinstance(raw, (dict, list)):
        return raw, True
    if not isinstance(raw, str):
        return raw, False
    try:
        return orjson.loads(raw), True
    except orjson.JSONDecodeError:
        return raw, False


def render_call(name: str, args: Any) -> tuple[str, bool]:
    """``(text, is_shell)`` for a Codex tool call with parsed ``args``."""
    if isinstance(args, dict):
        cmd = args.get("command", args.get("cmd"))
        if name in ("shell", "container.exec", "local_shell", "shell_command", "exec_command", "exec",
                    "unified_exec") or (cmd is not None and name not in ("write_stdin",)):
            if isinstance(cmd, list) and cmd and all(isinstance(a, str) for a in cmd):
                return argv_command(cmd), True
            if isinstance(cmd, str):
                return cmd, True
        if name == "apply_patch" and isinstance(args.get("input"), str):
            return shlex.join(["apply_patch", args["input"]]), False
    if args is None or args == {}:
        return name, False
    if isinstance(args, str):
        return f"{name} {args}", False
    return f"{name} {orjson.dumps(args, default=str).decode()}", False


#: message or tool-output content as text (the Responses API marks images ``input_image``)
_content_text = partial(content_text, images=("input_image", "image"))


def _output(raw: Any) -> tuple[str, int | None, dict]:
    """Observation text, exit code and attrs from a ``*_output`` item's ``output``."""
    attrs: dict[str, Any] = {}
    value = raw
    if isinstance(raw, str) and raw.lstrip().startswith("{"):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            value = raw
    if isinstance(value, dict):
        meta = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        code = meta.get("exit_code", value.get("exit_code"))
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        if isinstance(meta.get("duration_seconds"), (int, float)):
            attrs["duration_seconds"] = meta["duration_seconds"]
        if value.get("success") is False:
            attrs["success"] = False
        body = value.get("output", value.get("content"))
        if body is not None:
            return _content_text(body), code, attrs
        return orjson.dumps(value, default=str).decode(), code, attrs
    if isinstance(value, list):
        return _content_text(value), None, attrs
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    code = None
    header = text.split("\nOutput:", 1)[0] if "\nOutput:" in text[:2000] else text[:300]
    for pattern in _EXIT_RES:
        m = pattern.search(header)
        if m:
            code = int(m.group(1))
            break
    return text, code, attrs


def _is_injected(text: str) -> bool:
    stripped = text.lstrip()
    return stripped.startswith(INJECTED_MARKERS)


def _task_from(text: str) -> str | None:
    if _REQUEST_MARKER in text:
        text = text.split(_REQUEST_MARKER, 1)[1]
    return first_line(text)


# --------------------------------------------------------------------------- reading


def _rows(lines: JsonLines) -> list[tuple[int, str | None, Any, str, Any]]:
    """``(line, kind, payload, pointer prefix, timestamp)`` of every rollout record."""
    rows: list[tuple[int, str | None, Any, str, Any]] = []
    recognised = 0
    for number, rec in lines.objects():
        if _is_envelope(rec):
            rows.append((number, rec["type"], rec["payload"], f"line:{number}#/payload", parse_iso(rec.get("timestamp"))))
        elif rec.get("record_type") is not None:
            pass  # a state marker
        elif _is_legacy_meta(rec):
            rows.append((number, "session_meta", rec, f"line:{number}#", None))
        elif _stype(rec) in ITEM_TYPES and "sessionId" not in rec:
            rows.append((number, "response_item", rec, f"line:{number}#", parse_iso(rec.get("timestamp"))))
        elif not (isinstance(rec.get("type"), str) and isinstance(rec.get("payload"), dict)):
            lines.warnings.append(f"line {number}: not a Codex rollout record, skipped")
            continue
        recognised += 1  # (a record type newer than this reader is recognised and skipped quietly)
    if recognised == 0:
        raise FormatError(
            "not a Codex rollout: no line is a {timestamp, type, payload} record or a bare response item "
            f"(first line has keys {lines.first_shape})"
        )
    return rows


class _Rollout:
    """One rollout's records, in order, into its trial."""

    def __init__(self, path: Path, warnings: list[str], use_event_messages: bool):
        self.build = TrialBuilder(Trial(format=NAME, source_path=str(path), agent=AGENT), warnings)
        self.trial = self.build.trial
        self.meta: dict[str, Any] = {}
        self.models: list[str] = []
        self.by_call: dict[str, Event] = {}
        self.use_event_messages = use_event_messages
        self.compactions = self.aborted = 0
        self.number = 0  # the line being read

    def add_model(self, model: Any) -> None:
        if isinstance(model, str) and model and model not in self.models:
            self.models.append(model)

    def session_meta(self, payload: dict, ts: Any, ptr: str) -> None:
        meta = self.meta
        if "session_id" in meta:
            meta.setdefault("replayed_sessions", []).append(payload.get("id"))
            return
        meta["session_id"] = payload.get("id")
        if ts is None:
            self.build.saw(parse_iso(payload.get("timestamp")))
        for key in ("cwd", "cli_version", "originator", "model_provider", "source"):
            if isinstance(payload.get(key), str):
                meta[key] = payload[key]
        git = payload.get("git")
        if isinstance(git, dict):
            meta["git"] = {k: git[k] for k in ("branch", "commit_hash", "repository_url") if k in git}
        self.add_model(payload.get("model"))

    def turn_context(self, payload: dict, ts: Any, ptr: str) -> None:
        meta = self.meta
        self.add_model(payload.get("model"))
        if "approval_policy" in payload and "approval_policy" not in meta:
            meta["approval_policy"] = payload["approval_policy"]
        sp = payload.get("sandbox_policy")
        if "sandbox_policy" not in meta and sp is not None:
            meta["sandbox_policy"] = sp.get("type", sp.get("mode")) if isinstance(sp, dict) else sp
        if "cwd" not in meta and isinstance(payload.get("cwd"), str):
            meta["cwd"] = payload["cwd"]

    def compacted(self, payload: dict, ts: Any, ptr: str) -> None:
        self.compactions += 1

    def event_msg(self, payload: dict, ts: Any, ptr: str) -> None:
        etype = payload.get("type")
        if etype == "token_count" and isinstance(payload.get("info"), dict):
            total = payload["info"].get("total_token_usage")
            if isinstance(total, dict) and isinstance(total.get("total_tokens"), int):
                self.meta["total_tokens"] = total["total_tokens"]
        elif etype == "turn_aborted":
            self.aborted += 1
        elif etype == "exec_command_end":
            self.exit_code(self.by_call.get(payload.get("call_id")), payload.get("exit_code"))
        elif self.use_event_messages and etype in ("user_message", "agent_message", "agent_reasoning"):
            text = payload.get("message", payload.get("text"))
            if isinstance(text, str) and text.strip():
                role = "user" if etype == "user_message" else "assistant"
                if role == "user" and self.trial.task is None:
                    self.trial.task = _task_from(text)
                self.build.message(role, text, f"{ptr}/message" if "message" in payload else f"{ptr}/text",
                                   attrs={"reasoning": True} if etype == "agent_reasoning" else {})

    def exit_code(self, action: Event | None, code: Any) -> None:
        """An exit code reported after the output: it fills the output's when that has none."""
        if action is None or not isinstance(code, int):
            return
        for ev in reversed(self.trial.events):
            if ev.kind == "observation" and ev.action_seq == action.seq:
                if ev.exit_code is None:
                    ev.exit_code = code
                return

    def response_item(self, item: dict, ts: Any, ptr: str) -> None:
        itype = _stype(item)
        if itype in _ITEM_READERS:
            _ITEM_READERS[itype](self, item, ptr)
        elif itype in CALL_TYPES:
            self.call(itype, item, ptr)
        elif itype in OUTPUT_TYPES:
            self.output(item, ptr)

    def message(self, item: dict, ptr: str) -> None:
        role = item.get("role")
        text = _content_text(item.get("content"))
        if not text.strip():
            return
        attrs: dict[str, Any] = {}
        if role == "developer":
            role = "system"
        elif role not in ("user", "assistant", "system"):
            role = "user" if role is None else str(role)
        if role == "user" and _is_injected(text):
            attrs["injected"] = True
        elif role == "user" and self.trial.task is None:
            self.trial.task = _task_from(text)
        if isinstance(item.get("phase"), str):
            attrs["phase"] = item["phase"]
        self.build.message(role, text, f"{ptr}/content", attrs=attrs)

    def reasoning(self, item: dict, ptr: str) -> None:
        parts = []
        for key in ("summary", "content"):
            value = item.get(key)
            if isinstance(value, list):
                parts.extend(b["text"] for b in value if isinstance(b, dict) and isinstance(b.get("text"), str))
        text = "\n".join(p for p in parts if p.strip())
        if text:
            self.build.message("assistant", text, f"{ptr}/summary", attrs={"reasoning": True})

    def call(self, itype: str, item: dict, ptr: str) -> None:
        call_id = item.get("call_id") if isinstance(item.get("call_id"), str) else item.get("id")
        name, text, args, pointer, attrs = _CALL_RENDERERS[itype](item, ptr)
        if attrs.get("raw_arguments"):
            self.build.warn(f"line {self.number}: function_call arguments are not JSON; kept as raw text")
        attrs["arguments"] = args
        if isinstance(call_id, str):
            attrs["call_id"] = call_id
        action = self.build.action(text, pointer, call_id=call_id, tool=name, attrs=attrs)
        if isinstance(call_id, str):
            self.by_call[call_id] = action

    def output(self, item: dict, ptr: str) -> None:
        call_id = item.get("call_id")
        action = self.build.call(call_id)
        text, code, attrs = _output(item.get("output"))
        if isinstance(call_id, str):
            attrs["call_id"] = call_id
        if action is None:
            attrs["unmatched"] = True
        self.build.result(text, f"{ptr}/output", action=action, exit_code=code, attrs=attrs)

    def web_search(self, item: dict, ptr: str) -> None:
        act = item.get("action") if isinstance(item.get("action"), dict) else {}
        query = act.get("query")
        text = shlex.join(["web_search", query]) if isinstance(query, str) else render_call("web_search", act)[0]
        self.build.action(text, f"{ptr}/action", tool="web_search", attrs={"arguments": act})

    def finish(self) -> Trial:
        meta = self.meta
        if self.compactions:
            meta["compactions"] = self.compactions
        if self.aborted:
            meta["turns_aborted"] = self.aborted
        if len(self.models) > 1:
            meta["models"] = self.models
        if self.build.unanswered:
            meta["unanswered_tool_calls"] = self.build.unanswered
        self.trial.model = self.models[0] if self.models else None
        return self.build.finish(meta)


def _local_shell_call(item: dict, ptr: str) -> tuple[str, str, Any, str, dict]:
    action_obj = item.get("action") if isinstance(item.get("action"), dict) else {}
    argv = action_obj.get("command")
    if isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv):
        text = argv_command(argv)
    else:
        text, _ = render_call("local_shell", action_obj)
    return "local_shell", text, action_obj, f"{ptr}/action/command", {}


def _custom_tool_call(item: dict, ptr: str) -> tuple[str, str, Any, str, dict]:
    name = item.get("name") if isinstance(item.get("name"), str) else "custom_tool"
    raw = item.get("input")
    text = shlex.join([name, raw]) if isinstance(raw, str) else render_call(name, raw)[0]
    return name, text, raw, f"{ptr}/input", {}


def _function_call(item: dict, ptr: str) -> tuple[str, str, Any, str, dict]:
    name = item.get("name") if isinstance(item.get("name"), str) else "function"
    args, ok = _json_args(item.get("arguments"))
    attrs = {"raw_arguments": True} if not ok and item.get("arguments") not in (None, "") else {}
    return name, render_call(name, args)[0], args, f"{ptr}/arguments", attrs


_CALL_RENDERERS = {"local_shell_call": _local_shell_call, "custom_tool_call": _custom_tool_call,
                   "function_call": _function_call}
_ITEM_READERS = {"message": _Rollout.message, "reasoning": _Rollout.reasoning,
                 "web_search_call": _Rollout.web_search}
_RECORD_READERS = {"session_meta": _Rollout.session_meta, "turn_context": _Rollout.turn_context,
                   "compacted": _Rollout.compacted, "event_msg": _Rollout.event_msg,
                   "response_item": _Rollout.response_item}


def _document_rows(path: Path) -> list[tuple[int | None, str | None, Any, str, Any]]:
    """The rows of a TypeScript CLI rollout (one JSON document): its session, then its items."""
    data = load_json(path, "Codex rollout JSON")
    if not isinstance(data, dict) or not isinstance(data.get("session"), dict) or not isinstance(
            data.get("items"), list):
        raise FormatError("not a Codex rollout: expected a JSON object with a 'session' object and an 'items' list")
    rows: list[tuple[int | None, str | None, Any, str, Any]] = [(None, "session_meta", data["session"], "/session",
                                                                 None)]
    for i, item in enumerate(data["items"]):
        if isinstance(item, dict) and _stype(item) in ITEM_TYPES:
            rows.append((None, "response_item", item, f"/items/{i}", None))
    return rows


def read(path: Path) -> Iterator[Trial]:
    path = Path(path)
    warnings: list[str] = []
    if _is_document(head_text(read_head(path)), path):
        rows = _document_rows(path)
    else:
        rows = _rows(JsonLines(path, warnings))
    has_item_messages = any(kind == "response_item" and isinstance(p, dict) and p.get("type") == "message"
                            for _, kind, p, _, _ in rows)
    rollout = _Rollout(path, warnings, use_event_messages=not has_item_messages)
    for number, kind, payload, ptr, ts in rows:
        rollout.build.saw(ts)
    for number, kind, payload, ptr, ts in rows:
        rollout.number = number
        rollout.build.at(line=number, ts=ts)
        reader = _RECORD_READERS.get(kind)  # type: ignore[arg-type]
        if reader is not None:
            reader(rollout, payload, ts, ptr)
    yield rollout.finish()


FORMAT = Adapter(NAME, DESCRIPTION, 90, sniff, read)
