"""OpenTelemetry GenAI spans in OTLP/JSON (an export, or the collector file exporter's JSON lines).

Layout: ``{"resourceSpans": [{"resource": {"attributes": [...]}, "scopeSpans": [{"scope": {...},
"spans": [{"traceId", "spanId", "parentSpanId", "name", "startTimeUnixNano",
"endTimeUnixNano", "attributes": [{"key", "value": {"stringValue" | "intValue" | ...}}],
"status": {"code"}, "events": [...]}]}]}]}``; the file exporter writes one such export per
line. snake_case field names (``resource_spans``) are accepted too.

Spans are grouped into trials by ``traceId`` (``local_key``) and ordered by start time. They
are read with the GenAI semantic conventions (``gen_ai.operation.name``):

``execute_tool``
    an action: ``gen_ai.tool.name`` with ``gen_ai.tool.call.arguments`` rendered like a chat
    tool call (:func:`redline.ingest.chat_json.tool_call_text`: the shell command or code when
    the arguments hold one, else ``name {json}``), then an observation holding
    ``gen_ai.tool.call.result``. A span with status ERROR (or ``error.type``) adds the error
    (type, status message, exception events) to the observation text; exit code stays
    ``None`` (spans carry none).
``chat`` / ``text_completion`` / ``generate_content``
    the first such span's ``gen_ai.system_instructions`` and ``system`` / ``user`` input
    messages become the prompt messages (later spans repeat the history); every span's
    ``gen_ai.output.messages`` text and reasoning parts become ``assistant`` messages. When a
    trace has no ``execute_tool`` span at all, the output's ``tool_call`` parts become the
    actions and later inputs' ``tool_call_response`` parts their observations. Older
    attribute styles (``gen_ai.prompt`` / ``gen_ai.completion``, indexed
    ``gen_ai.completion.0.content``) are read as text.
``invoke_agent``
    names the agent (``gen_ai.agent.name``); its messages are used only when the trace has
    no chat span.

``model`` is the first ``gen_ai.response.model`` (the exact model), else the first
``gen_ai.request.model``; ``agent`` the
first ``gen_ai.agent.name``, else the resource's ``service.name``. Outcome is ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ..events import Trial
from ..text import truncate
from .base import Adapter, FormatError, head_text
from .builder import TrialBuilder
from .base import parse_arguments
from .chat_json import chat_text, tool_call_text
from .otel_spans import Span, attributes, load_spans, timestamp

NAME = "otel-genai"
DESCRIPTION = "OpenTelemetry GenAI spans (OTLP/JSON export or collector file-exporter JSON lines)"

CHAT_OPS = {"chat", "text_completion", "generate_content"}
_HEAD_RE = re.compile(r'^\s*\{\s*"resource_?[sS]pans"\s*:')


# --------------------------------------------------------------------------- detection


def sniff(path: Path, head: bytes) -> bool:
    try:
        text = head_text(head)
        return bool(_HEAD_RE.match(text)) and "gen_ai." in text
    except Exception:
        return False


# --------------------------------------------------------------------------- messages


def _json_attr(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _messages(value: Any) -> list[dict]:
    """Messages in the GenAI JSON schema (``[{role, parts: [...]}]``), tolerating chat shapes."""
    value = _json_attr(value)
    if isinstance(value, dict):
        value = value.get("messages", [value])
    if not isinstance(value, list):
        return []
    return [m for m in value if isinstance(m, dict)]


def _parts(msg: dict) -> list[dict]:
    parts = msg.get("parts")
    if isinstance(parts, list):
        return [p for p in parts if isinstance(p, dict)]
    out: list[dict] = []
    if "content" in msg and msg["content"] is not None:
        out.append({"type": "text", "content": chat_text(msg["content"])})
    for call in msg.get("tool_calls") or []:
        if isinstance(call, dict):
            fn = call.get("function") if isinstance(call.get("function"), dict) else call
            out.append({"type": "tool_call", "id": call.get("id"), "name": fn.get("name"),
                        "arguments": fn.get("arguments")})
    return out


def _part_text(part: dict) -> str:
    for key in ("content", "text"):
        if isinstance(part.get(key), str):
            return part[key]
    return ""


def _indexed(attrs: dict, prefix: str) -> list[dict]:
    """OpenLLMetry-style ``gen_ai.prompt.0.role`` / ``.content`` attributes as messages."""
    found: dict[int, dict] = {}
    pattern = re.compile(re.escape(prefix) + r"\.(\d+)\.(role|content)$")
    for key, value in attrs.items():
        m = pattern.match(key)
        if m:
            found.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return [found[i] for i in sorted(found)]


def _span_input(span: Span) -> tuple[list[dict], Any, str]:
    """``(messages, system instructions, attribute key)`` a span records as its input."""
    attrs = span.attrs
    system = _json_attr(attrs.get("gen_ai.system_instructions"))
    for key in ("gen_ai.input.messages", "gen_ai.prompt"):
        if key in attrs:
            msgs = _messages(attrs[key])
            if not msgs and isinstance(attrs[key], str):
                msgs = [{"role": "user", "parts": [{"type": "text", "content": attrs[key]}]}]
            return msgs, system, key
    indexed = _indexed(attrs, "gen_ai.prompt")
    if indexed:
        return indexed, system, "gen_ai.prompt"
    for ev in span.events:
        if isinstance(ev, dict):
            ev_attrs, _ = attributes(ev.get("attributes"))
            if "gen_ai.input.messages" in ev_attrs:
                return _messages(ev_attrs["gen_ai.input.messages"]), system, "gen_ai.input.messages"
    return [], system, "gen_ai.input.messages"


def _span_output(span: Span) -> tuple[list[dict], str]:
    attrs = span.attrs
    for key in ("gen_ai.output.messages", "gen_ai.completion"):
        if key in attrs:
            msgs = _messages(attrs[key])
            if not msgs and isinstance(attrs[key], str):
                msgs = [{"role": "assistant", "parts": [{"type": "text", "content": attrs[key]}]}]
            return msgs, key
    indexed = _indexed(attrs, "gen_ai.completion")
    if indexed:
        return indexed, "gen_ai.completion"
    for ev in span.events:
        if isinstance(ev, dict):
            ev_attrs, _ = attributes(ev.get("attributes"))
            if "gen_ai.output.messages" in ev_attrs:
                return _messages(ev_attrs["gen_ai.output.messages"]), "gen_ai.output.messages"
    return [], "gen_ai.output.messages"


def _error_text(span: Span) -> str:
    bits = []
    etype = span.attrs.get("error.type")
    if etype is not None:
        bits.append(f"error.type: {etype}")
    msg = span.status.get("message")
    if isinstance(msg, str) and msg:
        bits.append(f"status: {msg}")
    for ev in span.events:
        if isinstance(ev, dict) and ev.get("name") == "exception":
            ev_attrs, _ = attributes(ev.get("attributes"))
            exc = " ".join(str(ev_attrs[k]) for k in ("exception.type", "exception.message") if k in ev_attrs)
            if exc:
                bits.append(f"exception: {exc}")
    return "[error] " + ("; ".join(bits) if bits else "span status ERROR")


# --------------------------------------------------------------------------- reading


def read(path: Path) -> Iterator[Trial]:
    path = Path(path)
    warnings: list[str] = []
    spans = load_spans(path, warnings)
    if not spans:
        raise FormatError("no spans in the OTLP export")
    if not any(isinstance(k, str) and k.startswith("gen_ai.") for s in spans for k in s.attrs):
        raise FormatError("no GenAI spans: no span has a gen_ai.* attribute (not an agent trace)")
    traces: dict[str, list[Span]] = {}
    for span in spans:
        traces.setdefault(span.trace, []).append(span)
    for trace_id, group in traces.items():
        group.sort(key=lambda s: (s.start if s.start is not None else 0, s.order))
        yield _trial(path, trace_id, group, warnings)


def _trial(path: Path, trace_id: str, spans: list[Span], warnings: list[str]) -> Trial:
    return _Trace(path, trace_id, spans).build(warnings)


class _Trace:
    """One trace's spans, in start order, into its trial."""

    def __init__(self, path: Path, trace_id: str, spans: list[Span]):
        self.spans = spans
        self.build_ = TrialBuilder(Trial(format=NAME, source_path=str(path), local_key=trace_id))
        self.trial = self.build_.trial
        self.meta: dict[str, Any] = {"trace_id": trace_id or None, "spans": len(spans)}
        self.has_tools = any(s.op == "execute_tool" for s in spans)
        self.has_chat = any(s.op in CHAT_OPS for s in spans)
        self.prompt_done = False
        self.errors = self.in_tokens = self.out_tokens = 0
        self.models: list[str | None] = [None, None]  # first response model, first request model

    def build(self, warnings: list[str]) -> Trial:
        for span in self.spans:
            self.span_facts(span)
            start, end = timestamp(span.start), timestamp(span.end)
            if span.op == "execute_tool":
                self.build_.at(line=span.line, ts=start)
                self.execute_tool(span, end or start)
            elif span.op in CHAT_OPS or (span.op == "invoke_agent" and not self.has_chat):
                self.chat(span, start, end or start)
        return self.finish(warnings)

    def span_facts(self, span: Span) -> None:
        """Model, agent, provider, tokens and errors a span records."""
        a, meta = span.attrs, self.meta
        for key, slot in (("gen_ai.response.model", 0), ("gen_ai.request.model", 1)):
            if self.models[slot] is None and isinstance(a.get(key), str) and a[key]:
                self.models[slot] = a[key]
        if self.trial.agent is None and isinstance(a.get("gen_ai.agent.name"), str):
            self.trial.agent = a["gen_ai.agent.name"]
        for key, meta_key in (("gen_ai.provider.name", "provider"), ("gen_ai.system", "provider"),
                              ("gen_ai.conversation.id", "conversation_id")):
            if isinstance(a.get(key), str) and meta_key not in meta:
                meta[meta_key] = a[key]
        if span.op in CHAT_OPS:
            if isinstance(a.get("gen_ai.usage.input_tokens"), int):
                self.in_tokens += a["gen_ai.usage.input_tokens"]
            if isinstance(a.get("gen_ai.usage.output_tokens"), int):
                self.out_tokens += a["gen_ai.usage.output_tokens"]
        if span.is_error():
            self.errors += 1

    def execute_tool(self, span: Span, end: Any) -> None:
        a = span.attrs
        name = a.get("gen_ai.tool.name")
        if not isinstance(name, str) or not name:
            name = span.name[len("execute_tool"):].strip() or "tool"
        args = parse_arguments(a.get("gen_ai.tool.call.arguments"))
        text, kind = tool_call_text(name, args)
        attrs: dict[str, Any] = {"arguments": args, "call_kind": kind, "span_id": span.span_id}
        if isinstance(a.get("gen_ai.tool.call.id"), str):
            attrs["tool_call_id"] = a["gen_ai.tool.call.id"]
        action = self.build_.action(text, span.ptr("gen_ai.tool.call.arguments"), tool=name, attrs=attrs)
        result = a.get("gen_ai.tool.call.result")
        if result is None and not span.is_error():
            return
        out = "" if result is None else result if isinstance(result, str) else orjson.dumps(result, default=str).decode()
        obs_attrs: dict[str, Any] = {"span_id": span.span_id}
        if span.is_error():
            out = "\n".join(p for p in (out, _error_text(span)) if p)
            obs_attrs["error"] = True
        self.build_.result(out, span.ptr("gen_ai.tool.call.result"), action=action, timestamp=end, attrs=obs_attrs)

    def chat(self, span: Span, start: Any, end: Any) -> None:
        msgs, system, in_key = _span_input(span)
        self.build_.at(line=span.line, ts=start)
        if not self.prompt_done and (msgs or system):
            self.prompt_done = True
            self.prompt(span, msgs, system, in_key)
        if not self.has_tools:
            self.tool_responses(span, msgs, in_key)
        out_msgs, out_key = _span_output(span)
        self.build_.at(line=span.line, ts=end)
        for msg in out_msgs:
            for part in _parts(msg):
                self.output_part(span, part, out_key)

    def prompt(self, span: Span, msgs: list[dict], system: Any, in_key: str) -> None:
        sys_text = chat_text(system) if isinstance(system, list) else system
        if isinstance(sys_text, str) and sys_text.strip():
            self.build_.message("system", sys_text, span.ptr("gen_ai.system_instructions"))
        for msg in msgs:
            role = msg.get("role")
            if role not in ("system", "user", "developer"):
                continue
            text = "\n".join(_part_text(p) for p in _parts(msg) if _part_text(p))
            if text.strip():
                role = "system" if role == "developer" else role
                if role == "user" and self.trial.task is None:
                    self.trial.task = truncate(text.strip().splitlines()[0], 200, "")
                self.build_.message(role, text, span.ptr(in_key))

    def tool_responses(self, span: Span, msgs: list[dict], in_key: str) -> None:
        """Results of tool calls read from a chat's output, found in a later chat's input."""
        for msg in msgs:
            for part in _parts(msg):
                if part.get("type") != "tool_call_response" or not isinstance(part.get("id"), str):
                    continue
                action = self.build_.call(part["id"])
                if action is None:
                    continue
                resp = part.get("response", part.get("result"))
                out = resp if isinstance(resp, str) else orjson.dumps(resp, default=str).decode()
                self.build_.result(out, span.ptr(in_key), action=action, attrs={"tool_call_id": part["id"]})

    def output_part(self, span: Span, part: dict, out_key: str) -> None:
        ptype = part.get("type")
        text = _part_text(part)
        if ptype in ("text", None) and text.strip():
            self.build_.message("assistant", text, span.ptr(out_key))
        elif ptype in ("reasoning", "thinking") and text.strip():
            self.build_.message("assistant", text, span.ptr(out_key), attrs={"thinking": True})
        elif ptype == "tool_call" and not self.has_tools:
            name = part.get("name") if isinstance(part.get("name"), str) else "tool"
            args = parse_arguments(part.get("arguments"))
            text, kind = tool_call_text(name, args)
            attrs = {"arguments": args, "call_kind": kind, "from": "output_messages"}
            if isinstance(part.get("id"), str):
                attrs["tool_call_id"] = part["id"]
            self.build_.action(text, span.ptr(out_key), call_id=part.get("id"), tool=name, attrs=attrs)

    def finish(self, warnings: list[str]) -> Trial:
        trial, meta, spans = self.trial, self.meta, self.spans
        trial.model = self.models[0] or self.models[1]
        service = next((s.resource.get("service.name") for s in spans
                        if isinstance(s.resource.get("service.name"), str)), None)
        if trial.agent is None:
            trial.agent = service
        if service:
            meta["service_name"] = service
        if self.errors:
            meta["error_spans"] = self.errors
        if self.in_tokens or self.out_tokens:
            meta["input_tokens"], meta["output_tokens"] = self.in_tokens, self.out_tokens
        starts = [s.start for s in spans if s.start is not None]
        ends = [s.end for s in spans if s.end is not None]
        trial.started_at = timestamp(min(starts)) if starts else None
        trial.ended_at = timestamp(max(ends)) if ends else trial.started_at
        if warnings:
            meta["warnings"] = list(warnings)
        trial.metadata = meta
        return trial


FORMAT = Adapter(NAME, DESCRIPTION, 100, sniff, read)
