"""OpenHands event streams: a JSON array of action and observation events.

Each event has ``id``, ``timestamp``, ``source`` (``agent``/``user``/``environment``) and either
``action`` + ``args`` or ``observation`` + ``content`` + ``extras``; an observation's ``cause``
is the ``id`` of the action it answers. Also read: a JSON object holding such a list under
``history`` or ``events`` (OpenHands evaluation records: ``instance_id``, ``metadata``,
``test_result``; OpenDevin's 2024 records hold ``history`` as ``[action, observation]`` pairs),
and JSON lines of either events (one trial) or evaluation records (one trial per line).

Mapping:

- agent ``run`` → action (``tool="bash"``, text = ``args.command``); ``run_ipython`` → action
  (``tool="ipython"``, text = the code); ``read``/``write``/``edit`` → action rendered as the
  editor call the agent made, ``str_replace_editor <command> <path> --arg value...`` (taken
  from the tool call in ``tool_call_metadata`` when present, else from ``args``); ``browse``,
  ``browse_interactive``, ``call_tool_mcp`` and other tool calls → actions rendered likewise.
- the ``thought`` of an agent action → an assistant message before it (once per model
  response); agent ``message``/``think``/``finish`` → assistant messages; ``system`` → system
  message; user ``message`` → user message. Environment bookkeeping (``change_agent_state``,
  ``agent_state_changed``, ``null``, ``recall``, condensation) is not a step.
- observations → observations linked through ``cause``; a command's output is what the agent
  saw (``prefix + content + suffix`` from ``extras.metadata``); exit code from
  ``extras.metadata.exit_code`` or ``extras.exit_code``, where ``-1`` (OpenHands: the command
  had not exited, e.g. a server still running or a soft timeout) is stored as unknown with
  ``attrs["raw_exit_code"] = -1``.

Model: the first ``tool_call_metadata.model_response.model``, else ``llm_metrics``, else the
record's ``metadata.llm_config.model`` (``metadata.model_name`` in OpenDevin's records).
Outcome: a ``finish`` action's ``outputs`` or an evaluation record's ``test_result`` when they
hold a verdict, else unknown.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ..events import Event, Trial, normalise_outcome, parse_iso
from ..text import truncate
from .base import Adapter, FormatError, NotATranscript, first_json_value, first_line, head_text, load_json, read_head
from .builder import TrialBuilder
from .openhands_events import (agent_words, event_model, observation_text, render_action, response_id, response_text,
                               text_of)
from .records import TRUNCATED_LINE, iter_json_lines

NAME = "openhands"
DESCRIPTION = "OpenHands event streams (JSON array of action/observation events linked by cause)"

_SOURCE = re.compile(r'"source"\s*:\s*"(?:agent|user|environment)"')
_KIND = re.compile(r'"(?:action|observation)"\s*:\s*"[a-z_]+"')
_INSPECT_EVAL = re.compile(r'"eval"\s*:\s*\{')
#: agent actions that are the agent's text, not something it ran
_TEXT_ACTIONS = {"message", "think", "finish", "reject", "delegate", "task_tracking"}
#: bookkeeping events that are not steps of the trial
_SKIP_ACTIONS = {"change_agent_state", "null", "recall", "condensation", "condensation_request",
                 "loop_recovery"}
_SKIP_OBSERVATIONS = {"agent_state_changed", "null", "recall", "condense", "think"}
_VERDICT_KEYS = ("resolved", "success", "is_resolved", "passed", "outcome", "result")


def sniff(path: Path, head: bytes) -> bool:
    if first_json_value(head) not in (b"[", b"{"):
        return False
    text = head_text(head)
    if _INSPECT_EVAL.search(text):
        return False  # an Inspect AI log (its sandbox events also have "action" keys)
    return bool(_SOURCE.search(text) and _KIND.search(text)) and (
        '"timestamp"' in text or '"args"' in text or '"extras"' in text
    )


def read(path: Path) -> Iterator[Trial]:
    path = Path(path)
    try:
        data = _load(path)
    except _NotOneDocument:
        yield from _read_lines(path)
        return
    if isinstance(data, list):
        if data and all(isinstance(x, dict) and isinstance(x.get("history"), list) for x in data):
            for i, record in enumerate(data):
                yield _record_trial(path, record, f"/{i}", key=_record_key(record, str(i)))
            return
        yield _non_empty(_events_trial(path, data, lambda i: f"/{i}"))
        return
    if isinstance(data, dict):
        for key in ("history", "events"):
            if isinstance(data.get(key), list):
                yield _record_trial(path, data, "", key="")
                return
        if _is_event(data):
            yield _non_empty(_events_trial(path, [data], lambda i: ""))
            return
    raise FormatError(f"expected a JSON array of OpenHands events, got a JSON {_kind(data)}"
                      + (" without 'history' or 'events'" if isinstance(data, dict) else ""))


# --------------------------------------------------------------------------- reading


class _NotOneDocument(Exception):
    """The file holds more than one JSON document (JSON lines)."""


def _load(path: Path) -> Any:
    """The file's one JSON document; :class:`_NotOneDocument` when objects follow one another."""
    try:
        return load_json(path)
    except FormatError as exc:
        if "unexpected content after document" in str(exc) and first_json_value(read_head(path)) == b"{":
            raise _NotOneDocument() from None
        raise


def _read_lines(path: Path) -> Iterator[Trial]:
    """JSON lines of evaluation records (a trial each, yielded as read) or of events (one trial)."""
    events: list[tuple[int, dict]] = []
    held: Trial | None = None  # the latest record's trial: a cut last line is said on it
    truncated_at = None
    for number, value in iter_json_lines(path):
        if value is TRUNCATED_LINE:
            truncated_at = number
            continue
        if not isinstance(value, dict):
            raise FormatError(f"line {number}: expected a JSON object, got a JSON {_kind(value)}")
        if isinstance(value.get("history"), list):
            if held is not None:
                yield held
            held = _record_trial(path, value, f"line:{number}#", key=_record_key(value, f"line:{number}"), line=number)
        elif _is_event(value):
            events.append((number, value))
        else:
            raise FormatError(f"line {number}: neither an OpenHands event nor a record with 'history'")
    last = held if held is not None else _lines_trial(path, events)
    if truncated_at:
        last.metadata.setdefault("warnings", []).append(f"truncated: line {truncated_at} is cut off")
    yield last


def _lines_trial(path: Path, events: list[tuple[int, dict]]) -> Trial:
    lines = [n for n, _ in events]
    return _non_empty(_events_trial(path, [e for _, e in events], lambda i: f"line:{lines[i]}", lines=lines))


def _non_empty(trial: Trial) -> Trial:
    """A stream of bookkeeping only (agent state changes) holds no trial: skip it, saying why."""
    if not trial.events:
        raise NotATranscript("OpenHands event stream with no user, agent or tool steps")
    return trial


def _record_key(record: dict, fallback: str) -> str:
    value = record.get("instance_id")
    return str(value) if value not in (None, "") else fallback


def _record_trial(path: Path, record: dict, prefix: str, key: str, line: int | None = None) -> Trial:
    events_key = "history" if isinstance(record.get("history"), list) else "events"
    history, places = _unpaired(record[events_key])
    trial = _events_trial(path, history, lambda i: f"{prefix}/{events_key}/{places[i]}",
                          lines=[line] * len(history) if line else None)
    trial.local_key = key
    meta = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    llm = meta.get("llm_config") if isinstance(meta.get("llm_config"), dict) else {}
    if not trial.model and isinstance(llm.get("model"), str):
        trial.model = llm["model"]
    if not trial.model and isinstance(meta.get("model_name"), str) and meta["model_name"]:
        trial.model = meta["model_name"]  # OpenDevin's 2024 records
    if isinstance(meta.get("agent_class"), str):
        trial.metadata["agent_class"] = meta["agent_class"]
    if record.get("instance_id") not in (None, ""):
        trial.task = str(record["instance_id"])
    test_result = record.get("test_result")
    if isinstance(test_result, dict):
        report = test_result.get("report") if isinstance(test_result.get("report"), dict) else test_result
        verdict = {k: report[k] for k in _VERDICT_KEYS if isinstance(report.get(k), (bool, int, float, str))}
        if verdict:
            trial.source_verdict = verdict
            trial.outcome = normalise_outcome(next(iter(verdict.values())))
    if isinstance(record.get("error"), str) and record["error"]:
        trial.metadata["error"] = truncate(record["error"], 500, "")
    return trial


def _unpaired(history: list) -> tuple[list, list[str]]:
    """The events of a ``history`` and where each is in it (its index, as a pointer suffix).

    OpenDevin's evaluation records (2024) store ``history`` as ``[action, observation]`` pairs;
    each pair becomes its two events, the observation answering the pair's action (its
    ``cause``) when it names none of its own. A flat history is returned as it is."""
    if not any(isinstance(x, list) for x in history):
        return history, [str(i) for i in range(len(history))]
    events: list = []
    places: list[str] = []
    for i, item in enumerate(history):
        if not isinstance(item, list):
            events.append(item)
            places.append(str(i))
            continue
        pair = list(item)
        if (len(pair) == 2 and all(isinstance(x, dict) for x in pair) and isinstance(pair[0].get("action"), str)
                and isinstance(pair[1].get("observation"), str) and "cause" not in pair[1]):
            own = pair[0].get("id")
            link = own if isinstance(own, (str, int)) and not isinstance(own, bool) else f"pair:{i}"
            pair = [{**pair[0], "id": link}, {**pair[1], "cause": link}]
        for j, ev in enumerate(pair):
            events.append(ev)
            places.append(f"{i}/{j}")
    return events, places


def _is_event(value: Any) -> bool:
    return isinstance(value, dict) and ("action" in value or "observation" in value) and (
        "source" in value or "timestamp" in value)


# --------------------------------------------------------------------------- events


def _events_trial(path: Path, events: list, pointer, lines: list[int] | None = None) -> Trial:
    stream = _Stream(Trial(format=NAME, source_path=str(path), agent="openhands"))
    for i, ev in enumerate(events):
        if not isinstance(ev, dict):
            stream.skipped["not an object"] += 1
            continue
        stream.build.at(line=lines[i] if lines else None, ts=parse_iso(ev.get("timestamp")))
        stream.event(i, ev, pointer(i))
    return stream.finish()


class _Stream:
    """An OpenHands event stream, in order, into its trial."""

    def __init__(self, trial: Trial):
        self.build = TrialBuilder(trial)
        self.trial = trial
        self.by_id: dict[Any, Event | None] = {}   # event id -> the step it became
        self.said: set[str] = set()                  # model responses whose text is already a message
        self.skipped: Counter[str] = Counter()
        self.model: str | None = None
        self.finish_outputs: dict | None = None
        self.cost: Any = None

    def event(self, i: int, ev: dict, ptr: str) -> None:
        self.model = self.model or event_model(ev)
        metrics = ev.get("llm_metrics")
        if isinstance(metrics, dict) and isinstance(metrics.get("accumulated_cost"), (int, float)):
            self.cost = metrics["accumulated_cost"]
        if isinstance(ev.get("action"), str):
            made = self.action(i, ev, ptr)
            if "id" in ev:
                self.by_id[ev["id"]] = made
        elif isinstance(ev.get("observation"), str):
            self.observation(ev, ptr)
        else:
            self.skipped["unknown event"] += 1

    def action(self, i: int, ev: dict, ptr: str) -> Event | None:
        kind = ev["action"]
        args = ev.get("args") if isinstance(ev.get("args"), dict) else {}
        source = ev.get("source")
        if kind in _SKIP_ACTIONS:
            self.skipped[kind] += 1
        elif kind == "system":
            return self.build.message("system", text_of(args.get("content")), ptr)
        elif source == "user":
            if kind != "message":
                self.skipped[f"user {kind}"] += 1
                return None
            text = text_of(args.get("content")) or text_of(ev.get("message"))
            if self.trial.task is None and text.strip():
                self.trial.task = first_line(text)
            return self.build.message("user", text, ptr)
        elif source == "environment":
            self.skipped[f"environment {kind}"] += 1
        elif kind in _TEXT_ACTIONS:
            return self.agent_text(i, kind, args, ev, ptr)
        else:
            return self.agent_action(kind, args, ev, ptr)
        return None

    def agent_text(self, i: int, kind: str, args: dict, ev: dict, ptr: str) -> Event | None:
        made = None
        text = agent_words(kind, args, ev)
        if text:
            made = self.build.message("assistant", text, ptr, attrs={"action": kind} if kind != "message" else {})
            self.said.add(response_id(ev) or f"event:{i}")
        if kind == "finish" and isinstance(args.get("outputs"), dict):
            self.finish_outputs = args["outputs"]
        return made

    def agent_action(self, kind: str, args: dict, ev: dict, ptr: str) -> Event | None:
        rendered = render_action(kind, args, ev)
        if rendered is None:
            self.skipped[kind] += 1
            return None
        text, tool, attrs = rendered
        thought = text_of(args.get("thought")).strip()
        rid = response_id(ev)
        if not thought and rid and rid not in self.said:
            thought = response_text(ev).strip()
        if thought and (rid is None or rid not in self.said):
            self.build.message("assistant", thought, f"{ptr}/args/thought" if args.get("thought") else ptr)
        if rid:
            self.said.add(rid)
        return self.build.action(text, ptr, tool=tool, attrs=attrs)

    def observation(self, ev: dict, ptr: str) -> None:
        kind = ev["observation"]
        if kind == "agent_state_changed":
            extras = ev.get("extras") if isinstance(ev.get("extras"), dict) else {}
            if isinstance(extras.get("agent_state"), str):
                self.trial.metadata["agent_state"] = extras["agent_state"]
            return
        if kind in _SKIP_OBSERVATIONS:
            self.skipped[f"observation {kind}"] += 1
            return
        cause = self.by_id.get(ev.get("cause")) if "cause" in ev else None
        if cause is not None and cause.kind != "action" and kind != "error":
            self.skipped[f"observation {kind}"] += 1  # answers a message: nothing was run
            return
        text, exit_code, attrs = observation_text(kind, ev)
        action = cause if cause is not None and cause.kind == "action" else None
        self.build.result(text, ptr, action=action, exit_code=exit_code, attrs=attrs)

    def finish(self) -> Trial:
        trial = self.trial
        trial.model = self.model
        outputs = self.finish_outputs
        if outputs:
            verdict = {k: outputs[k] for k in _VERDICT_KEYS if k in outputs}
            trial.source_verdict = outputs if len(orjson.dumps(outputs, default=str)) < 5000 else verdict
            if verdict:
                trial.outcome = normalise_outcome(next(iter(verdict.values())))
        if self.cost is not None:
            trial.metadata["accumulated_cost"] = self.cost
        if self.skipped:
            trial.metadata["skipped_events"] = dict(self.skipped)
        return trial


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


FORMAT = Adapter(NAME, DESCRIPTION, 60, sniff, read)
