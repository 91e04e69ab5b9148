"""OpenHands V1 conversations: the software-agent-sdk's folder of one JSON file per event.

The SDK (2025 on) persists a conversation as a folder::

    <conversation_id>/base_state.json                  the state without its events: the agent and
                                                        its LLM (``agent.llm.model``), the
                                                        workspace, ``execution_status``, ``stats``
    <conversation_id>/events/event-00000-<id>.json     one event per file, numbered in order

(the first releases named the files ``event-00000.json``). The events are described in
:mod:`.openhands_v1_events`. A folder is one trial.

How the folder fits ingest, which reads file by file: ``base_state.json`` is the file the trial
is read from, and stored under; reading it reads every event file of its ``events/`` folder.
Each event file is then skipped quietly, as read with that ``base_state.json``. An events folder
without a ``base_state.json`` is read from its first event file (the lowest number) instead, and
an event file not named as the SDK names them is read alone, as a conversation of its own. An
event file that cannot be read is an error of its own (named, with the reason), and the
conversation is stored without it and says so in a warning. The trial is read again when the
file it is stored under changes (the SDK rewrites ``base_state.json`` whenever the
conversation's status changes); ``redline ingest --force`` reads it again anyway.

Mapping:

- ``SystemPromptEvent`` → system message; ``MessageEvent`` → a message of its source (the
  user's first message is the task; the environment's reminders are ``user`` messages marked
  ``attrs["source"] = "environment"``); the model's visible reasoning (``reasoning_content``,
  thinking blocks) → an assistant message marked ``attrs["reasoning"]``.
- ``ActionEvent`` → its ``thought`` as an assistant message (once per model response), then an
  action: a terminal call as its command line (``tool="bash"``), a file editor call as
  ``str_replace_editor <command> <path> --key value`` (the V0 editor's name and arguments), any
  other tool as ``name --key value``. ``finish``, ``think`` and ``task_tracker`` calls are the
  agent's words: assistant messages. A call that did not run (``action`` is null, or the user
  or a hook rejected it) is an assistant message marked ``attrs["not_executed"]``, never an
  action.
- ``ObservationEvent`` → the observation of the action with its ``tool_call_id`` (else its
  ``action_id``); ``AgentErrorEvent`` → an observation with the error; a rejection → a user
  message. Bookkeeping (state updates, pauses, condensation, tokens) is not a step; the last
  ``execution_status`` is kept in the metadata.

Model: ``base_state.json``'s ``agent.llm.model``. Outcome: unknown (the SDK records no verdict).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..events import Event, Trial, parse_iso
from ..text import truncate
from .base import (Adapter, FormatError, NotATranscript, ReadWithAnother, first_json_value, first_line, load_json,
                   partial_json)
from .builder import TrialBuilder
from .openhands_v1_events import (WORD_TOOLS, event_kind, looks_like_event, observation_output, reasoning_text,
                                  render_call, text_parts, tool_name, words_of_call)

NAME = "openhands-v1"
DESCRIPTION = ("OpenHands V1 conversations (software-agent-sdk: base_state.json beside events/event-*.json; "
               "one trial per folder)")

BASE_STATE = "base_state.json"
EVENTS_DIR = "events"
#: the SDK's event file names: ``event-<index>-<event id>.json`` (``event-<index>.json`` at first)
EVENT_NAME_RE = re.compile(r"^event-(\d{5,})(?:-[0-9A-Za-z\-]{8,})?\.json$")
#: bookkeeping events that are not steps of the trial
_BOOKKEEPING = {"ConversationStateUpdateEvent", "PauseEvent", "CondensationEvent", "CondensationRequestEvent",
                "CondensationSummaryEvent", "TokenEvent", "LLMCompletionLogEvent", "HookExecutionEvent"}


def sniff(path: Path, head: bytes) -> bool:
    if first_json_value(head) != b"{":
        return False
    doc = partial_json(head)
    if Path(path).name == BASE_STATE and _looks_like_state(doc):
        return True
    return looks_like_event(doc)


def _looks_like_state(doc: Any) -> bool:
    return (isinstance(doc, dict) and isinstance(doc.get("agent"), dict)
            and ("execution_status" in doc or "persistence_dir" in doc or isinstance(doc["agent"].get("llm"), dict)))


def read(path: Path) -> Iterator[Trial]:
    path = Path(path)
    doc = load_json(path)
    if path.name == BASE_STATE and _looks_like_state(doc):
        files = _event_files(path.parent / EVENTS_DIR)
        if not files:
            raise NotATranscript(f"OpenHands conversation state with no event files beside it ({EVENTS_DIR}/event-*.json)")
        yield _conversation(path, doc, files)
        return
    if not isinstance(doc, dict) or not looks_like_event(doc):
        raise FormatError("expected an OpenHands V1 event (a JSON object with 'kind', 'source' and 'timestamp') "
                          "or a conversation's base_state.json")
    owner = _owner(path)
    if owner is not None and owner != path:
        raise ReadWithAnother(f"an event of the OpenHands conversation read from {owner}")
    files = _event_files(path.parent) if owner == path else [path]
    yield _conversation(path, None, files, first=(path, doc))


# --------------------------------------------------------------------------- the folder


def _event_files(folder: Path) -> list[Path]:
    """The folder's event files, in the SDK's order (by number, then name)."""
    try:
        found = [(int(m.group(1)), e.name) for e in os.scandir(folder)
                 if (m := EVENT_NAME_RE.match(e.name)) and e.is_file()]
    except OSError:
        return []
    return [folder / name for _, name in sorted(found)]


def _owner(path: Path) -> Path | None:
    """The file an event file's conversation is read from: the ``base_state.json`` above its
    ``events/`` folder, else the folder's first event file; None for a file the SDK did not name
    (it is read alone)."""
    if not EVENT_NAME_RE.match(path.name):
        return None
    if path.parent.name == EVENTS_DIR:
        state = path.parent.parent / BASE_STATE
        if state.is_file():
            return state
    files = _event_files(path.parent)
    return files[0] if files else path


def _conversation(path: Path, state: dict | None, files: list[Path], first: tuple[Path, dict] | None = None) -> Trial:
    stream = _Stream(Trial(format=NAME, source_path=str(path), agent="openhands"))
    loaded: list[tuple[Path, dict]] = []
    for file in files:
        if first is not None and file == first[0]:
            loaded.append(first)
            continue
        try:
            ev = load_json(file)
        except (FormatError, OSError) as exc:
            stream.build.warn(f"event file {file.name} left out: {exc}")
            continue
        if not looks_like_event(ev):
            stream.build.warn(f"event file {file.name} left out: not an OpenHands V1 event")
            continue
        loaded.append((file, ev))
    stream.rejected = {ev.get("tool_call_id") for _, ev in loaded if event_kind(ev) == "UserRejectObservation"}
    for file, ev in loaded:
        ts = parse_iso(ev.get("timestamp"))
        stream.build.at(ts=ts)
        stream.build.saw(ts)
        stream.event(ev, str(file) if file != path else None)
    return _non_empty(stream.finish(state))


def _non_empty(trial: Trial) -> Trial:
    if not trial.events:
        raise NotATranscript("OpenHands conversation with no user, agent or tool steps")
    return trial


# --------------------------------------------------------------------------- the events


class _Stream:
    """A conversation's events, in order, into its trial."""

    def __init__(self, trial: Trial) -> None:
        self.build = TrialBuilder(trial)
        self.trial = trial
        self.by_event_id: dict[str, Event] = {}   # an ActionEvent's id -> the action it became
        self.said: set[str] = set()               # model responses whose thought is already a message
        self.rejected: set[Any] = set()           # tool calls the user or a hook rejected
        self.skipped: Counter[str] = Counter()
        self.status: str | None = None
        self.errors: list[str] = []

    def event(self, ev: dict, file: str | None) -> None:
        kind = event_kind(ev)
        fields: dict[str, Any] = {"source_file": file} if file else {}
        if kind == "SystemPromptEvent":
            text = text_parts(ev.get("system_prompt"))
            extra = text_parts(ev.get("dynamic_context"))
            self.build.message("system", f"{text}\n\n{extra}" if extra else text, "/system_prompt", **fields)
        elif kind == "MessageEvent":
            self.message(ev, fields)
        elif kind == "ActionEvent":
            self.action(ev, fields)
        elif kind in ("ObservationEvent", "AgentErrorEvent"):
            self.observation(kind, ev, fields)
        elif kind == "UserRejectObservation":
            reason = ev.get("rejection_reason") if isinstance(ev.get("rejection_reason"), str) else "rejected"
            self.build.message("user", f"Action rejected: {reason}", "/rejection_reason",
                               attrs={"rejection": ev.get("rejection_source") or "user"}, **fields)
        elif kind == "ConversationStateUpdateEvent":
            if ev.get("key") == "execution_status" and isinstance(ev.get("value"), str):
                self.status = ev["value"]
        elif kind == "ConversationErrorEvent":
            detail = ev.get("detail") if isinstance(ev.get("detail"), str) else ev.get("code")
            self.errors.append(truncate(str(detail), 500, ""))
        else:
            self.skipped[kind if kind in _BOOKKEEPING else "unknown event"] += 1

    def message(self, ev: dict, fields: dict[str, Any]) -> None:
        msg = ev.get("llm_message") if isinstance(ev.get("llm_message"), dict) else {}
        source = ev.get("source")
        text = text_parts(msg.get("content"))
        if source == "agent":
            self.reasoning(msg, fields)
            if text.strip():
                self.build.message("assistant", text, "/llm_message/content", **fields)
            return
        if not text.strip():
            self.skipped[f"empty {source} message"] += 1
            return
        attrs = {"source": "environment"} if source == "environment" else {}
        if source == "user" and self.trial.task is None:
            self.trial.task = first_line(text)
        self.build.message("user", text, "/llm_message/content", attrs=attrs, **fields)

    def reasoning(self, holder: dict, fields: dict[str, Any]) -> None:
        text = reasoning_text(holder)
        if text:
            self.build.message("assistant", text, "/reasoning_content", attrs={"reasoning": True}, **fields)

    def action(self, ev: dict, fields: dict[str, Any]) -> None:
        rid = ev.get("llm_response_id") if isinstance(ev.get("llm_response_id"), str) else None
        if rid is None or rid not in self.said:
            self.reasoning(ev, fields)
            thought = text_parts(ev.get("thought")).strip()
            if thought:
                self.build.message("assistant", thought, "/thought", **fields)
        if rid:
            self.said.add(rid)
        name = tool_name(ev)
        call_id = ev.get("tool_call_id")
        if name in WORD_TOOLS:
            words = words_of_call(ev)
            if words.strip():
                self.build.message("assistant", words, "/action", attrs={"action": name}, **fields)
            return
        text, tool, attrs = render_call(ev)
        if ev.get("action") is None or call_id in self.rejected:
            # the call never ran: the agent's words, not an action
            attrs.update(not_executed=True, tool=tool)
            self.build.message("assistant", text, "/tool_call", attrs=attrs, **fields)
            return
        if isinstance(call_id, str):
            attrs["tool_call_id"] = call_id
        if ev.get("summary") and isinstance(ev["summary"], str):
            attrs["summary"] = truncate(ev["summary"], 300, "")
        made = self.build.action(text, "/action", tool=tool, call_id=call_id, attrs=attrs, **fields)
        if isinstance(ev.get("id"), str):
            self.by_event_id[ev["id"]] = made

    def observation(self, kind: str, ev: dict, fields: dict[str, Any]) -> None:
        action = self.build.call(ev.get("tool_call_id"))
        if action is None and isinstance(ev.get("action_id"), str):
            action = self.by_event_id.get(ev["action_id"])
        if action is None and tool_name(ev) in WORD_TOOLS:
            self.skipped["observation of a finish or think call"] += 1
            return
        if kind == "AgentErrorEvent":
            error = ev.get("error") if isinstance(ev.get("error"), str) else ""
            self.build.result(error, "/error", action=action, attrs={"error": True}, **fields)
            return
        text, exit_code, attrs = observation_output(ev.get("observation"))
        self.build.result(text, "/observation", action=action, exit_code=exit_code, attrs=attrs, **fields)

    def finish(self, state: dict | None) -> Trial:
        meta: dict[str, Any] = {}
        state = state or {}
        agent = state.get("agent") if isinstance(state.get("agent"), dict) else {}
        llm = agent.get("llm") if isinstance(agent.get("llm"), dict) else {}
        if isinstance(llm.get("model"), str) and llm["model"]:
            self.trial.model = llm["model"]
        if isinstance(agent.get("kind"), str):
            meta["agent_class"] = agent["kind"]
        status = state.get("execution_status") if isinstance(state.get("execution_status"), str) else self.status
        if status:
            meta["execution_status"] = status
        if isinstance(state.get("id"), str):
            meta["conversation_id"] = state["id"]
        cost = _accumulated_cost(state.get("stats"))
        if cost is not None:
            meta["accumulated_cost"] = cost
        if self.errors:
            meta["errors"] = self.errors[:10]
        if self.skipped:
            meta["skipped_events"] = dict(self.skipped)
        if self.build.unanswered:
            meta["unanswered_calls"] = self.build.unanswered
        return self.build.finish(meta)


def _accumulated_cost(stats: Any) -> float | None:
    """The conversation's cost: the sum of ``stats.usage_to_metrics.*.accumulated_cost``."""
    usage = stats.get("usage_to_metrics") if isinstance(stats, dict) else None
    if not isinstance(usage, dict):
        return None
    costs = [m["accumulated_cost"] for m in usage.values() if isinstance(m, dict)
             and isinstance(m.get("accumulated_cost"), (int, float)) and not isinstance(m["accumulated_cost"], bool)]
    return float(sum(costs)) if costs else None


FORMAT = Adapter(NAME, DESCRIPTION, 55, sniff, read)
