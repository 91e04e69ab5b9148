"""One Inspect AI sample's ``messages`` as events (see :mod:`.inspect_ai` for the format).

This is ingest's per-event hot path for Inspect logs (a log holds about a hundred messages per
sample): each message becomes its events directly, without a builder call or a copied dict per
message; a message whose content is a plain string (the common case) takes no detour through
the content-parts reader; and with no attachments in the sample nothing is resolved.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..events import Event, Trial, parse_iso
from .base import tool_call_line

_SHELL_ARGS = ("cmd", "command", "code")
_ATTACHMENT = "attachment://"
_LONE_SHELL_KEYS = ("cmd", "code")


class SampleMessages:
    """One sample's messages, in order, into its trial's events."""

    def __init__(self, trial: Trial, sample: dict, events: list):
        self.trial = trial
        self.events = trial.events
        attachments = sample.get("attachments") if isinstance(sample.get("attachments"), dict) else {}
        #: attachment references resolved, or None when the sample has none (nothing to resolve)
        self.attachments: dict | None = attachments or None
        self.tool_events, self.exit_codes = tool_event_info(events)
        self.call_seq: dict[str, int] = {}
        self.think_ids: set[str] = set()
        self.n_calls = 0

    def _add(self, kind: str, text: Any, ptr: str, role: str | None, tool: str | None = None,
             exit_code: int | None = None, timestamp: Any = None, action_seq: int | None = None,
             attrs: dict | None = None) -> int:
        events = self.events
        seq = len(events)
        events.append(Event(kind, text, role, tool, exit_code, timestamp, action_seq, None, None, ptr,
                            {} if attrs is None else attrs, seq))
        return seq

    def resolve(self, value: Any) -> Any:
        """``value`` with an ``attachment://`` reference replaced by the attachment's text."""
        if self.attachments is not None and isinstance(value, str) and value.startswith(_ATTACHMENT):
            found = self.attachments.get(value[len(_ATTACHMENT):])
            return found if isinstance(found, str) else value
        return value

    def content(self, content: Any) -> tuple[str, str]:
        """``(reasoning, text)`` of a message's content (see :func:`assistant_text`)."""
        if content.__class__ is str:
            return "", (self.resolve(content) if self.attachments is not None else content)
        return assistant_text(content, self.resolve)

    def read(self, messages: list, at: str) -> None:
        """Every message of the sample, in order; message ``j``'s pointer is ``f"{at}{j}"``."""
        message = self.message
        j = 0
        for msg in messages:
            if isinstance(msg, dict):
                message(msg, f"{at}{j}")
            j += 1

    def message(self, msg: dict, ptr: str) -> None:
        role = msg.get("role")
        if role == "tool":
            self.tool_message(msg, ptr)
            return
        if role != "system" and role != "user" and role != "assistant":
            return
        content = msg.get("content")
        if content.__class__ is str and self.attachments is None:
            reasoning, text = "", content
        else:
            reasoning, text = self.content(content)
        events = self.events
        if role != "assistant":
            events.append(Event("message", f"{reasoning}\n{text}" if reasoning and text else reasoning or text,
                                role, None, None, None, None, None, None, ptr, {}, len(events)))
            return
        if reasoning:
            self._add("message", reasoning, ptr, "assistant", attrs={"reasoning": True})
        if text.strip():
            events.append(Event("message", text, "assistant", None, None, None, None, None, None, ptr, {},
                                len(events)))
        calls = msg.get("tool_calls")
        if calls:
            k = 0
            for call in calls:
                if isinstance(call, dict):
                    self.tool_call(call, f"{ptr}/tool_calls/{k}")
                k += 1

    def tool_call(self, call: dict, ptr: str) -> None:
        self.n_calls += 1
        call_id = call.get("id")
        if call_id.__class__ is not str:
            call_id = call_id if isinstance(call_id, str) else None
        fn = call.get("function")
        if fn.__class__ is not str and not isinstance(fn, str):
            fn = "tool"
        args = call.get("arguments")
        if self.attachments is not None and isinstance(args, dict):
            args = {key: self.resolve(v) for key, v in args.items()}
        tev = self.tool_events.get(call_id) if call_id and self.tool_events else None
        ts = parse_iso(tev.get("timestamp")) if tev else None
        if fn == "think" and isinstance(args, dict) and isinstance(args.get("thought"), str):
            if call_id:
                self.think_ids.add(call_id)
            self._add("message", args["thought"], ptr, "assistant", timestamp=ts, attrs={"tool": "think"})
            return
        text, attrs = render_call(fn, args)
        if call_id:
            attrs["tool_call_id"] = call_id
        if "parse_error" in call and isinstance(call["parse_error"], str):
            attrs["parse_error"] = call["parse_error"]
        events = self.events
        if call_id:
            self.call_seq[call_id] = len(events)
        events.append(Event("action", text, "assistant", fn, None, ts, None, None, None, ptr, attrs, len(events)))

    def tool_message(self, msg: dict, ptr: str) -> None:
        call_id = msg.get("tool_call_id")
        if call_id.__class__ is not str and not isinstance(call_id, str):
            call_id = None
        elif call_id in self.think_ids:
            return
        content = msg.get("content")
        if content.__class__ is str and self.attachments is None:
            text = content
        else:
            reasoning, text = self.content(content)
            if reasoning:
                text = f"{reasoning}\n{text}" if text else reasoning
        function = msg.get("function")
        attrs: dict[str, Any] = {"function": function} if isinstance(function, str) else {}
        error = msg.get("error")
        if error is not None and isinstance(error, dict):
            text = with_error(text, error, attrs)
        seq = exit_code = ts = None
        if call_id:
            seq = self.call_seq.get(call_id)
            if seq is not None and self.exit_codes:
                exit_code = self.exit_codes.get(call_id)
            if self.tool_events:
                tev = self.tool_events.get(call_id)
                if tev:
                    ts = parse_iso(tev.get("completed"))
        events = self.events
        events.append(Event("observation", text, "tool", None, exit_code, ts, seq, None, None, ptr, attrs,
                            len(events)))


def with_error(text: str, error: dict, attrs: dict[str, Any]) -> str:
    """A tool's output with its error added (``[<type> error] <message>``), unless it says it already."""
    etype = error.get("type") or "tool"
    emsg = error.get("message") if isinstance(error.get("message"), str) else ""
    attrs["error_type"] = etype
    note = f"[{etype} error] {emsg}".rstrip()
    if emsg.strip() and emsg.strip() != text.strip():
        return f"{text}\n{note}" if text else note
    return text or note


def render_call(fn: str, args: Any) -> tuple[str, dict]:
    """``(text, attrs)`` of one tool call (its tool is ``fn``)."""
    if not isinstance(args, dict):
        raw = args if isinstance(args, str) else orjson.dumps(args, default=str).decode()
        return f"{fn} {raw}".strip(), {"arguments": args}
    if len(args) == 1:  # the common case: {"cmd": ...} or {"code": ...} alone
        for key in _LONE_SHELL_KEYS:
            value = args.get(key)
            if isinstance(value, str):
                return value, {}
    for key in _LONE_SHELL_KEYS:
        if isinstance(args.get(key), str) and set(args) <= {key, "timeout", "user"}:
            return args[key], ({"arguments": args} if len(args) > 1 else {})
    if fn == "bash_session" and isinstance(args.get("input"), str) and args.get("action") in ("type_submit", "type"):
        return args["input"], {"arguments": args}
    return tool_call_line(fn, args), {"arguments": args}


def tool_event_info(events: list) -> tuple[dict[str, dict], dict[str, int]]:
    """Tool events by call id, and exit codes of shell-like calls from their one sandbox exec."""
    tool_events: dict[str, dict] = {}
    spans: dict[str, dict] = {}
    span_of_call: dict[str, str] = {}
    pending: dict[str, list[str]] = {}  # tool name -> tool span ids not yet paired with an event
    execs: dict[str, list[dict]] = {}
    for e in events:
        if not isinstance(e, dict):
            continue
        kind = e.get("event")
        if kind == "span_begin" and isinstance(e.get("id"), str):
            spans[e["id"]] = e
            if e.get("type") == "tool":
                pending.setdefault(str(e.get("name")), []).append(e["id"])
        elif kind == "tool" and isinstance(e.get("id"), str):
            tool_events[e["id"]] = e
            own = e.get("span_id")
            if isinstance(own, str) and spans.get(own, {}).get("type") == "tool":
                span_of_call[e["id"]] = own
                queue = pending.get(str(e.get("function")), [])
                if own in queue:
                    queue.remove(own)
            else:
                queue = pending.get(str(e.get("function")), [])
                if queue:
                    span_of_call[e["id"]] = queue.pop(0)
            for sub in e.get("events") or []:  # older logs nest the tool's events
                if isinstance(sub, dict) and sub.get("event") == "sandbox" and sub.get("action") == "exec":
                    execs.setdefault(f"call:{e['id']}", []).append(sub)
        elif kind == "sandbox" and e.get("action") == "exec":
            span = _enclosing(spans, e.get("span_id"), "tool")
            if span:
                execs.setdefault(span, []).append(e)
    codes: dict[str, int] = {}
    for call_id, tev in tool_events.items():
        args = tev.get("arguments") if isinstance(tev.get("arguments"), dict) else {}
        if not any(isinstance(args.get(k), str) for k in _SHELL_ARGS):
            continue
        found = execs.get(f"call:{call_id}") or execs.get(span_of_call.get(call_id, ""), [])
        if len(found) == 1 and isinstance(found[0].get("result"), int) and not isinstance(found[0].get("result"), bool):
            codes[call_id] = found[0]["result"]
    return tool_events, codes


def _enclosing(spans: dict[str, dict], span_id: Any, span_type: str) -> str | None:
    seen = 0
    while isinstance(span_id, str) and span_id in spans and seen < 1000:
        if spans[span_id].get("type") == span_type:
            return span_id
        span_id = spans[span_id].get("parent_id")
        seen += 1
    return None


def assistant_text(content: Any, resolve) -> tuple[str, str]:
    """``(reasoning, text)`` of a message's content (a string or a list of content parts)."""
    if content is None:
        return "", ""
    if isinstance(content, str):
        return "", resolve(content)
    if not isinstance(content, list):
        return "", orjson.dumps(content, default=str).decode()
    reasoning: list[str] = []
    text: list[str] = []
    for part in content:
        if isinstance(part, str):
            text.append(resolve(part))
            continue
        if not isinstance(part, dict):
            continue
        ptype = part.get("type")
        if ptype == "text" and isinstance(part.get("text"), str):
            text.append(resolve(part["text"]))
        elif ptype == "reasoning":
            if part.get("redacted"):
                reasoning.append("[redacted reasoning]")
            elif isinstance(part.get("reasoning"), str):
                reasoning.append(resolve(part["reasoning"]))
        elif ptype == "tool_use":
            text.append(f"[tool_use {part.get('name') or part.get('tool_type') or ''}]".replace(" ]", "]"))
        elif ptype:
            text.append(f"[{ptype}]")
    return "\n".join(reasoning), "\n".join(text)
