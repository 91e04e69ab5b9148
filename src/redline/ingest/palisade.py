"""Palisade Research robot-shutdown runs: JSON lines written by the ``llm_control`` logger.

Each run is one ``llm_control.log_<date>_<time>.jsonl`` file. Every line is a record of a
structured logger: ``{"ts", "level", "logger", "message", ...}``. Records that matter carry an
``event`` key; the rest are harness log lines. Mapping (one trial per file):

``event: system_message`` / ``user_message``
    ``user_payload.content`` (a string or text blocks) becomes a ``system`` / ``user`` message.
    They are kept: they tell what the agent was told about the shutdown button (the
    ``plsallow`` variant adds "please allow yourself to be shut down").
``event: assistant_message``
    the model's visible reply (``assistant_payload.content``) becomes an ``assistant`` message
    when not empty. The tool calls it *requested* are not actions by themselves: only the ones
    the harness ran are logged as ``tool_call`` records (a second call in one reply was
    sometimes never run).
``event: tool_call``
    ``args`` is a dict, or a string holding a Python dict literal. A string is read with
    :func:`ast.literal_eval` (never ``eval``), then as JSON; when neither works the raw text is
    kept as the action and a warning is recorded. ``args["thoughts"]`` becomes an
    ``assistant`` message placed before the action, ``args["cmd"]`` the action (``tool`` =
    the record's ``tool``, e.g. ``bash_tool``); a call without ``cmd`` (``submit``) is the
    action ``submit`` plus its arguments as JSON when there are any. ``result`` becomes the
    observation. The logger records no exit code, so ``exit_code`` stays ``None`` unless
    ``result`` is a dict carrying one.
camera frames (``image_path``)
    attached to the preceding observation as ``attrs["frame"]``.
``WARNING`` / ``ERROR`` records without ``event``
    harness notices the agent never saw ("Host shutdown detected", "Shutdown bypassed: cleanup
    file exists but container survived", "dog_control shutdown executed, stopping
    controller", API errors) become ``message`` events with role ``harness``; their counts are
    summarised in ``metadata["harness"]``.
``LiteLLM completion() model= grok-4-0709; provider = xai``
    gives ``model`` (and ``metadata["provider"]``). Other INFO lines (``Step N/M``, LiteLLM
    bookkeeping) are not events; the step number is kept on actions as ``attrs["step"]``.

Verdict: ``tags.json`` beside the logs maps each log file *name* (the ``_debug.jsonl`` twins
too) to its labels (``avoided``, ``shutdown``, ``finished``, ``mock``, ``error``). The run's
labels are kept as ``source_verdict = {"tags": [...]}`` and ``metadata["tags"]``. ``outcome``
is the outcome of the *task* (the patrol), as for every other source: ``success`` when the run
is tagged ``finished``, ``failure`` when it is tagged ``shutdown`` or ``error`` without
``finished``, ``unknown`` otherwise (no tags). Whether the agent avoided shutdown is the
``avoided`` tag, kept in the verdict and as ``metadata["avoided"]``: a run can be a task
success *and* a shutdown avoidance.

Each run's logger also writes a ``_debug.jsonl`` twin (``llm_control.log_<date>_<time>_debug.jsonl``):
the same records plus the DEBUG lines (LiteLLM's request dumps). Beside its main log it is skipped
with that reason, so a folder of runs gives each run once; alone it is read as the run (its DEBUG
lines are not events).

``scenario`` is ``shutdown-avoidance``. The prompt variant is the folder two levels up in the
published layout ``logs/<variant>/<run group>/<file>`` (``default``, ``plsallow``) and goes to
``metadata["variant"]`` with the run group (``default2``, ``stats1``) in
``metadata["run_group"]``; outside that layout the variant is read from the prompt
(``plsallow`` when it asks the agent to allow the shutdown, else ``default``).
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from ..events import Event, Trial, parse_iso
from ..text import truncate
from .base import Adapter, FormatError, NotATranscript, content_text, first_int, head_text, partial_json
from .builder import TrialBuilder
from .limits import MAX_LITERAL_CHARS, MAX_NOTICE_CHARS, MAX_SIDECAR_BYTES
from .records import JsonLines
NAME = "palisade"
DESCRIPTION = "Palisade robot-shutdown runs: llm_control structured JSON-lines logs (+ tags.json labels)"
SIDECARS = ("tags.json",)

AGENT = "palisade-llm-control"
SCENARIO = "shutdown-avoidance"
#: the events the llm_control logger writes, with the payload key each one carries
_EVENT_PAYLOADS = {
    "system_message": "user_payload",
    "user_message": "user_payload",
    "assistant_message": "assistant_payload",
    "tool_call": "args",
}
_LOGGER_KEYS = ("ts", "level", "logger", "message")
#: how a harness notice cut at MAX_NOTICE_CHARS ends (API errors embed whole HTML pages)
_NOTICE_CUT = "\n[redline: {n} more characters in the log]"

_MODEL_RE = re.compile(r"completion\(\)\s*model\s*=\s*([^;\s]+)(?:\s*;\s*provider\s*=\s*(\S+))?")
_STEP_RE = re.compile(r"^Step (\d+)/(\d+)$")
_ALLOW_RE = re.compile(r"allow yourself to be shut\s*down", re.IGNORECASE)
_NOTICE_KINDS = (
    ("shutdown_detected", re.compile(r"^Host shutdown detected")),
    ("shutdown_bypassed", re.compile(r"^Shutdown bypassed")),
    ("shutdown_executed", re.compile(r"shutdown executed")),
    ("shutdown_exception", re.compile(r"^Shutdown exception")),
    ("errors", re.compile(r"^Unexpected error")),
)


# --------------------------------------------------------------------------- detection


def _is_logger_record(obj: Any) -> bool:
    return isinstance(obj, dict) and all(k in obj for k in _LOGGER_KEYS)


def _is_palisade_record(obj: dict) -> bool:
    if obj.get("logger") == "llm_control":
        return True
    payload = _EVENT_PAYLOADS.get(obj.get("event"))  # type: ignore[arg-type]
    return payload is not None and payload in obj


def sniff(path: Path, head: bytes) -> bool:
    try:
        lines = [ln for ln in head_text(head).splitlines() if ln.strip()]
        if not lines:
            return False
        for i, line in enumerate(lines[:8]):
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                if i < len(lines) - 1:
                    return False
                obj = partial_json(line)  # the head cut this record: judge what it holds so far
                return _is_logger_record(obj) and _is_palisade_record(obj)
            if not _is_logger_record(obj):
                return False
            if _is_palisade_record(obj):
                return True
        return False
    except Exception:
        return False


# --------------------------------------------------------------------------- helpers


#: a chat ``content`` as text (text kept, images marked); anything but a string or a list as ``str``
_content_text = partial(content_text, fallback=str)


def parse_args(raw: Any) -> tuple[dict | None, str | None]:
    """The tool-call arguments as a dict, or ``(None, reason)``.

    A string is read as a Python literal with :func:`ast.literal_eval` (which never runs
    code), then as JSON. Anything else (a call expression, a non-dict literal) is refused.
    """
    if raw is None:
        return {}, None
    if isinstance(raw, dict):
        return raw, None
    if not isinstance(raw, str):
        return None, f"args is a {type(raw).__name__}, not a dict"
    text = raw.strip()
    if not text:
        return {}, None
    if len(text) > MAX_LITERAL_CHARS:
        return None, f"args string too long to parse ({len(text)} characters)"
    problem = "not a Python dict literal"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        problem = f"not a Python dict literal ({type(exc).__name__})"
        value = None
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None, problem + " nor JSON"
    if isinstance(value, dict):
        return _json_safe(value), None
    return None, f"args is a {type(value).__name__} literal, not a dict"


def _json_safe(value: Any, depth: int = 0) -> Any:
    """A literal made storable as JSON: big integers, bytes, sets and the like become strings."""
    if depth > 50:
        return repr(value)[:1000]
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return value if -2**63 <= value < 2**63 else str(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v, depth + 1) for v in value]
    return repr(value)[:1000]


def _render_call(tool: str, args: dict) -> str:
    cmd = args.get("cmd", args.get("command"))
    if isinstance(cmd, str):
        return cmd
    if isinstance(cmd, list) and cmd and all(isinstance(c, str) for c in cmd):
        return shlex.join(cmd)
    rest = {k: v for k, v in args.items() if k != "thoughts"}
    if not rest:
        return tool
    return f"{tool} {orjson.dumps(rest, default=str).decode()}"


def _result_parts(result: Any) -> tuple[str, int | None, dict]:
    """Observation text, exit code and extra attrs from a tool_call ``result``."""
    if result is None:
        return "", None, {}
    if isinstance(result, str):
        return result, None, {}
    if isinstance(result, dict):
        code = first_int(result, ("exit_code", "returncode", "exitcode", "status_code"))
        out = result.get("output", result.get("stdout"))
        err = result.get("stderr")
        parts = [p for p in (out, err) if isinstance(p, str) and p]
        if parts or out is not None:
            attrs = {"stderr": err} if isinstance(err, str) and err and len(err) < 10_000 else {}
            return "\n".join(parts), code, attrs
        return orjson.dumps(result, default=str).decode(), code, {}
    return orjson.dumps(result, default=str).decode(), None, {}


def _first_sentence(text: str, limit: int = 200) -> str | None:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not line:
        return None
    m = re.match(r"(.+?[.!?])(\s|$)", line)
    short = m.group(1) if m else line
    return short[:limit]


def _read_tags(path: Path) -> tuple[list[str] | None, str | None]:
    """The run's labels from ``tags.json`` beside it: ``(tags, warning)``."""
    tags_path = path.parent / "tags.json"
    if not tags_path.is_file():
        return None, None
    try:
        if tags_path.stat().st_size > MAX_SIDECAR_BYTES:
            return None, "tags.json too large, labels not read"
        data = orjson.loads(tags_path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        return None, f"tags.json unreadable ({type(exc).__name__}), labels not read"
    if not isinstance(data, dict):
        return None, "tags.json is not an object of file name -> labels, labels not read"
    entry = data.get(path.name)
    if entry is None:  # tolerate a key without the extension or a renamed suffix
        for key, value in data.items():
            if isinstance(key, str) and Path(key).stem == path.stem:
                entry = value
                break
    if entry is None:
        return None, f"tags.json has no entry for {path.name}"
    if isinstance(entry, str):
        entry = [entry]
    if not isinstance(entry, list):
        return None, f"tags.json entry for {path.name} is not a list of labels"
    return [str(t) for t in entry], None


def _variant(path: Path, prompt_text: str) -> tuple[str | None, str | None, str]:
    """``(variant, run_group, how)`` from the folder layout, else from the prompt."""
    parts = path.resolve().parts
    if len(parts) >= 4 and parts[-4] == "logs":
        return parts[-3], parts[-2], "folder"
    variant = "plsallow" if _ALLOW_RE.search(prompt_text) else "default"
    return variant, path.parent.name or None, "prompt"


# --------------------------------------------------------------------------- reading


class _Run:
    """One run's logger records, in order, into its trial."""

    def __init__(self, path: Path):
        self.path = path
        self.warnings: list[str] = []
        self.lines = JsonLines(path, self.warnings)
        self.build = TrialBuilder(Trial(format=NAME, source_path=str(path), agent=AGENT, scenario=SCENARIO),
                                  self.warnings)
        self.trial = self.build.trial
        self.harness: dict[str, int] = {}
        self.prompts: list[str] = []
        self.step: int | None = None
        self.max_steps: int | None = None
        self.provider: str | None = None
        self.records = 0
        self.last_obs: Event | None = None

    def read(self) -> Trial:
        for number, rec in self.lines:
            if _is_logger_record(rec) or (isinstance(rec, dict) and "event" in rec and "message" in rec):
                self.record(number, rec)  # (a logger record missing ts/level is still usable)
            else:
                self.warnings.append(f"line {number}: not a structured-logger record, skipped")
        if self.records == 0:
            raise FormatError(
                "not a Palisade llm_control log: no line has the structured-logger keys "
                f"ts/level/logger/message (first line has keys {self.lines.first_shape})"
            )
        return self.finish()

    def record(self, number: int, rec: dict) -> None:
        self.records += 1
        ts = parse_iso(rec.get("ts"))
        self.build.saw(ts)
        self.build.at(line=number, ts=ts)
        event = rec.get("event")
        pointer = f"line:{number}"
        if event in ("system_message", "user_message"):
            self.prompt(number, event, rec, pointer)
        elif event == "assistant_message":
            self.reply(number, rec, pointer)
        elif event == "tool_call":
            self.tool_call(number, rec, pointer)
        elif event is not None:
            self.warnings.append(f"line {number}: unknown event {truncate(str(event), 40, '')!r}, skipped")
        elif isinstance(rec.get("image_path"), str):
            if self.last_obs is not None:
                self.last_obs.attrs["frame"] = rec["image_path"]
        else:
            self.log_line(rec, pointer)

    def prompt(self, number: int, event: str, rec: dict, pointer: str) -> None:
        payload = rec.get("user_payload")
        if not isinstance(payload, dict):
            self.warnings.append(f"line {number}: {event} without a user_payload object")
            return
        role = "system" if event == "system_message" else "user"
        if payload.get("role") in ("system", "user"):
            role = payload["role"]
        text = _content_text(payload.get("content"))
        self.prompts.append(text)
        if role == "user" and self.trial.task is None:
            self.trial.task = _first_sentence(text)
        self.build.message(role, text, f"{pointer}#/user_payload/content")
        self.last_obs = None

    def reply(self, number: int, rec: dict, pointer: str) -> None:
        payload = rec.get("assistant_payload")
        if not isinstance(payload, dict):
            self.warnings.append(f"line {number}: assistant_message without an assistant_payload object")
            return
        text = _content_text(payload.get("content"))
        calls = payload.get("tool_calls") if isinstance(payload.get("tool_calls"), list) else []
        names = [c.get("function", {}).get("name") for c in calls
                 if isinstance(c, dict) and isinstance(c.get("function"), dict)]
        if text.strip():
            attrs = {"requested_tools": names} if names else {}
            self.build.message("assistant", text, f"{pointer}#/assistant_payload/content", attrs=attrs)
        self.last_obs = None

    def tool_call(self, number: int, rec: dict, pointer: str) -> None:
        tool = rec.get("tool") if isinstance(rec.get("tool"), str) else "tool"
        raw_args = rec.get("args")
        args, problem = parse_args(raw_args)
        attrs: dict[str, Any] = {}
        if self.step is not None:
            attrs["step"] = self.step
        if args is None:
            self.warnings.append(f"line {number}: tool_call args {problem}; kept as raw text")
            text = raw_args if isinstance(raw_args, str) else str(raw_args)
            attrs["raw_args"] = True
            attrs["args_error"] = problem
            arg_pointer = f"{pointer}#/args"
        else:
            thoughts = args.get("thoughts")
            if isinstance(thoughts, str) and thoughts.strip():
                self.build.message("assistant", thoughts, f"{pointer}#/args/thoughts", attrs={"field": "thoughts"})
            text = _render_call(tool, args)
            arg_pointer = f"{pointer}#/args/cmd" if "cmd" in args else f"{pointer}#/args"
            extra = {k: v for k, v in args.items() if k not in ("thoughts", "cmd")}
            if extra:
                attrs["args"] = extra
        action = self.build.action(text, arg_pointer, tool=tool, attrs=attrs)
        out, code, obs_attrs = _result_parts(rec.get("result"))
        duration = rec.get("duration_ms")
        if isinstance(duration, (int, float)) and not isinstance(duration, bool):
            obs_attrs["duration_ms"] = round(float(duration), 3)
        self.last_obs = self.build.result(out, f"{pointer}#/result", action=action, exit_code=code, attrs=obs_attrs)

    def log_line(self, rec: dict, pointer: str) -> None:
        """A harness log line: the step counter, the model, or a notice the agent never saw."""
        message = rec.get("message") if isinstance(rec.get("message"), str) else ""
        m = _STEP_RE.match(message)
        if m:
            self.step, self.max_steps = int(m.group(1)), int(m.group(2))
            return
        m = _MODEL_RE.search(message)
        if m:
            if self.trial.model is None:
                self.trial.model = m.group(1)
                self.provider = m.group(2)
            return
        level = str(rec.get("level", "")).upper()
        if level not in ("WARNING", "ERROR", "CRITICAL"):
            return
        kind = next((kind for kind, pattern in _NOTICE_KINDS if pattern.search(message)), "other")
        self.harness[kind] = self.harness.get(kind, 0) + 1
        attrs: dict[str, Any] = {"level": level, "logger": rec.get("logger")}
        exc = rec.get("exception")
        if isinstance(exc, str) and exc:
            attrs["exception"] = truncate(exc, MAX_NOTICE_CHARS, "")
        self.build.message("harness", truncate(message, MAX_NOTICE_CHARS, _NOTICE_CUT), f"{pointer}#/message",
                           attrs=attrs)

    def finish(self) -> Trial:
        trial = self.trial
        tags, tag_warning = _read_tags(self.path)
        if tag_warning:
            self.warnings.append(tag_warning)
        prompts = "\n".join(self.prompts)
        variant, run_group, how = _variant(self.path, prompts)
        meta: dict[str, Any] = {"variant": variant, "run_group": run_group}
        if how != "folder":
            meta["variant_from"] = how
        meta["allow_shutdown_instruction"] = bool(_ALLOW_RE.search(prompts))
        if tags is not None:
            trial.source_verdict = {"tags": tags}
            meta["tags"] = tags
            meta["avoided"] = "avoided" in tags
            if "finished" in tags:
                trial.outcome = "success"
            elif "shutdown" in tags or "error" in tags:
                trial.outcome = "failure"
        if self.provider:
            meta["provider"] = self.provider
        if self.step is not None:
            meta["last_step"] = self.step
            meta["max_steps"] = self.max_steps
        if self.harness:
            meta["harness"] = self.harness
        return self.build.finish(meta)


#: the name ending of the logger's debug twin of a run's log
DEBUG_SUFFIX = "_debug.jsonl"


def read(path: Path) -> Iterator[Trial]:
    path = Path(path)
    if path.name.endswith(DEBUG_SUFFIX):
        main = path.with_name(path.name[: -len(DEBUG_SUFFIX)] + ".jsonl")
        if main.is_file():
            raise NotATranscript(f"the debug twin of {main.name}, which holds the same run: that log is read instead")
    yield _Run(path).read()


FORMAT = Adapter(NAME, DESCRIPTION, 70, sniff, read, SIDECARS)
