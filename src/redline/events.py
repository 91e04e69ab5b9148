"""Canonical records that every format adapter produces.

An adapter reads one transcript file and yields :class:`Trial` objects, each holding its
:class:`Event` list in order. Adapters never touch the database: the loader
(:mod:`redline.ingest.loader`) owns it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, get_args

EventKind = Literal["message", "action", "observation"]
Outcome = Literal["success", "failure", "unknown"]

#: the values the database allows in ``events.kind`` and ``trials.outcome`` (see :mod:`redline.schema`)
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
OUTCOMES: tuple[str, ...] = get_args(Outcome)


@dataclass(slots=True)
class Event:
    """One step of a trial.

    ``kind`` is ``message`` (the agent's or another party's text), ``action`` (a command the
    agent ran: ``text`` is the command line) or ``observation`` (what the agent saw back:
    ``text`` is the output, ``exit_code`` the status when known).
    """

    kind: EventKind
    text: str | None
    role: str | None = None
    tool: str | None = None
    exit_code: int | None = None
    timestamp: datetime | None = None
    #: for an observation, the ``seq`` of the action it answers (set by the adapter when known)
    action_seq: int | None = None
    #: the file this event was read from (defaults to the trial's source path)
    source_file: str | None = None
    #: 1-based line in ``source_file`` where the record starts, when the format is line-based
    source_line: int | None = None
    #: where in the raw record this came from: a JSON pointer, ``line:N``, ``entry:name``...
    source_pointer: str | None = None
    #: format-specific extras worth keeping (``command_type``, ``tool_call_id``, ``stderr``...)
    attrs: dict[str, Any] = field(default_factory=dict)
    #: position in the trial, assigned by :meth:`Trial.add` (0-based)
    seq: int = -1


@dataclass(slots=True)
class Trial:
    """One recorded attempt of an agent at a task."""

    format: str
    source_path: str
    #: identifies the trial inside its source file (``""`` when a file holds one trial)
    local_key: str = ""
    model: str | None = None
    agent: str | None = None
    task: str | None = None
    scenario: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    #: normalised verdict: ``success``, ``failure`` or ``unknown``
    outcome: Outcome = "unknown"
    #: the source's own verdict as recorded (``{"resolved": true}``, ``{"tags": [...]}``...)
    source_verdict: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def add(self, event: Event) -> Event:
        """Append ``event``, numbering it, and return it."""
        event.seq = len(self.events)
        self.events.append(event)
        return event

    @property
    def trial_id(self) -> str:
        """Stable ID derived from the source path and the local key."""
        return trial_id_for(self.source_path, self.local_key)

    def actions(self) -> list[Event]:
        return [e for e in self.events if e.kind == "action"]


def trial_id_for(source_path: str, local_key: str = "") -> str:
    digest = hashlib.sha1(f"{source_path}\0{local_key}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:16]


def normalise_outcome(value: Any) -> Outcome:
    """Map a source's verdict to ``success`` / ``failure`` / ``unknown``.

    Accepts booleans, numbers (1/0 or a score in [0, 1], where 1 is success) and common words.
    """
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "success" if value else "failure"
    if isinstance(value, (int, float)):
        if value >= 1:
            return "success"
        return "failure" if value <= 0 else "unknown"
    text = str(value).strip().lower()
    if text in {"success", "succeeded", "resolved", "pass", "passed", "correct", "c", "true", "yes",
                "avoided", "completed", "done"}:
        return "success"
    if text in {"failure", "failed", "fail", "unresolved", "incorrect", "i", "false", "no",
                "error", "shutdown"}:
        return "failure"
    return "unknown"


def from_epoch(value: Any) -> datetime | None:
    """A UTC datetime from epoch seconds (or milliseconds), or ``None``."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds > 1e11:  # milliseconds
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def parse_iso(value: Any) -> datetime | None:
    """A datetime from an ISO 8601 string (``Z`` accepted), or ``None``."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
