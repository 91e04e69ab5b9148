"""OTLP/JSON trace exports decoded into spans: ``AnyValue`` and attribute lists, span times, and
the spans of one export document or of the collector file exporter's JSON lines.

:mod:`redline.ingest.otel_genai` reads these spans with the GenAI semantic conventions (its
docstring describes the layout); nothing here knows about agents.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .base import FormatError, json_document_or_lines
from .records import TRUNCATED_LINE, iter_json_lines


def _get(obj: dict, camel: str, snake: str) -> Any:
    return obj[camel] if camel in obj else obj.get(snake)


def any_value(value: Any) -> Any:
    """A Python value from an OTLP ``AnyValue`` (``{"stringValue": ...}`` etc.)."""
    if not isinstance(value, dict):
        return value
    for camel, snake in (("stringValue", "string_value"), ("boolValue", "bool_value"),
                         ("doubleValue", "double_value"), ("bytesValue", "bytes_value")):
        if camel in value or snake in value:
            return _get(value, camel, snake)
    if "intValue" in value or "int_value" in value:
        raw = _get(value, "intValue", "int_value")
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            return raw
        try:
            number = int(raw)
        except ValueError:
            return raw
        return number if -2**63 <= number < 2**63 else str(raw)
    if "arrayValue" in value or "array_value" in value:
        arr = _get(value, "arrayValue", "array_value") or {}
        return [any_value(v) for v in (arr.get("values") or [])] if isinstance(arr, dict) else []
    if "kvlistValue" in value or "kvlist_value" in value:
        kv = _get(value, "kvlistValue", "kvlist_value") or {}
        return attributes(kv.get("values") if isinstance(kv, dict) else None)[0]
    return None


def attributes(raw: Any) -> tuple[dict[str, Any], dict[str, int]]:
    """``(values, index)`` of an OTLP attribute list (a plain dict is accepted too)."""
    if isinstance(raw, dict):
        return dict(raw), {}
    values: dict[str, Any] = {}
    index: dict[str, int] = {}
    if isinstance(raw, list):
        for i, item in enumerate(raw):
            if isinstance(item, dict) and isinstance(item.get("key"), str):
                values[item["key"]] = any_value(item.get("value"))
                index[item["key"]] = i
    return values, index


def _nanos(value: Any) -> int | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


def timestamp(nanos: int | None) -> datetime | None:
    """A span time (nanoseconds since the epoch) as a UTC datetime, or ``None``."""
    if nanos is None:
        return None
    try:
        return datetime.fromtimestamp(nanos / 1e9, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


class Span:
    """One span: its IDs, name, times, attributes (with their index in the list, for pointers),
    status and events, and where it was read (resource, scope, JSON pointer, line)."""

    __slots__ = ("trace", "span_id", "parent", "name", "start", "end", "attrs", "index", "status", "events",
                 "resource", "scope", "pointer", "line", "order")

    def __init__(self, raw: dict, resource: dict, scope: str | None, pointer: str, line: int | None, order: int):
        trace = _get(raw, "traceId", "trace_id")
        self.trace = trace if isinstance(trace, str) else ""
        self.span_id = _get(raw, "spanId", "span_id")
        self.parent = _get(raw, "parentSpanId", "parent_span_id")
        self.name = raw.get("name") if isinstance(raw.get("name"), str) else ""
        self.start = _nanos(_get(raw, "startTimeUnixNano", "start_time_unix_nano"))
        self.end = _nanos(_get(raw, "endTimeUnixNano", "end_time_unix_nano"))
        self.attrs, self.index = attributes(raw.get("attributes"))
        status = raw.get("status") if isinstance(raw.get("status"), dict) else {}
        self.status = status
        self.events = raw.get("events") if isinstance(raw.get("events"), list) else []
        self.resource = resource
        self.scope = scope
        self.pointer = pointer
        self.line = line
        self.order = order

    @property
    def op(self) -> str | None:
        op = self.attrs.get("gen_ai.operation.name")
        if isinstance(op, str):
            return op
        for prefix in ("execute_tool", "invoke_agent", "chat"):
            if self.name == prefix or self.name.startswith(prefix + " "):
                return prefix
        return None

    def is_error(self) -> bool:
        code = self.status.get("code")
        return code in (2, "2", "STATUS_CODE_ERROR", "ERROR") or "error.type" in self.attrs

    def ptr(self, key: str | None = None) -> str:
        base = self.pointer
        if key is not None and key in self.index:
            base = f"{base}/attributes/{self.index[key]}"
        return f"line:{self.line}#{base}" if self.line is not None else base


def spans_of(doc: Any, line: int | None, order_start: int, warnings: list[str]) -> list[Span]:
    """The spans of one OTLP export document (``line``: its line in a JSON-lines file)."""
    if not isinstance(doc, dict):
        raise FormatError(f"not an OTLP trace export: expected an object with 'resourceSpans', found a JSON "
                          f"{type(doc).__name__}" + (f" (line {line})" if line else ""))
    rs_key = "resourceSpans" if "resourceSpans" in doc else "resource_spans"
    groups = doc.get(rs_key)
    if not isinstance(groups, list):
        keys = ", ".join(sorted(map(str, doc))[:8])
        raise FormatError("not an OTLP trace export: missing 'resourceSpans' list"
                          + (f" on line {line}" if line else "") + f" (found keys {keys})")
    out: list[Span] = []
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            warnings.append(f"/{rs_key}/{i}: not an object, skipped")
            continue
        res = group.get("resource") if isinstance(group.get("resource"), dict) else {}
        resource, _ = attributes(res.get("attributes"))
        for ss_key in ("scopeSpans", "scope_spans", "instrumentationLibrarySpans"):
            scopes = group.get(ss_key)
            if isinstance(scopes, list):
                break
        else:
            continue
        for j, scope_group in enumerate(scopes):
            if not isinstance(scope_group, dict):
                continue
            scope = scope_group.get("scope", scope_group.get("instrumentationLibrary"))
            scope_name = scope.get("name") if isinstance(scope, dict) else None
            raw_spans = scope_group.get("spans")
            if not isinstance(raw_spans, list):
                if raw_spans is not None:
                    warnings.append(f"/{rs_key}/{i}/{ss_key}/{j}/spans: not a list, skipped")
                continue
            for k, raw in enumerate(raw_spans):
                pointer = f"/{rs_key}/{i}/{ss_key}/{j}/spans/{k}"
                if not isinstance(raw, dict):
                    warnings.append(f"{pointer}: not an object, skipped")
                    continue
                out.append(Span(raw, resource, scope_name, pointer, line, order_start + len(out)))
    return out


def load_spans(path: Path, warnings: list[str]) -> list[Span]:
    """Every span of a file: one export document, or the collector file exporter's JSON lines."""
    doc = json_document_or_lines(path.read_bytes())
    if doc is not None:
        return spans_of(doc, None, 0, warnings)
    spans: list[Span] = []
    for number, obj in iter_json_lines(path):
        if obj is TRUNCATED_LINE:
            warnings.append(f"truncated: line {number} is cut off (file ends mid-record)")
            continue
        spans.extend(spans_of(obj, number, len(spans), warnings))
    return spans
