"""Building one trial: what every adapter does once it has found a record's meaning.

:class:`TrialBuilder` adds events with the record's place filled in (``at(line=..., ts=...)``
sets the line and time the next events share), pairs each tool call with its result by call
id, collects warnings, follows the trial's first and last timestamps, and finishes the trial
with its metadata. The adapter says only what the record means.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..events import Event, Trial


class TrialBuilder:
    """Events, tool-call pairing, warnings and the time span of one trial."""

    def __init__(self, trial: Trial, warnings: list[str] | None = None) -> None:
        self.trial = trial
        self.warnings: list[str] = [] if warnings is None else warnings
        #: tool calls waiting for their result, by call id
        self.calls: dict[str, Event] = {}
        self.first_ts: datetime | None = None
        self.last_ts: datetime | None = None
        self._line: int | None = None
        self._ts: datetime | None = None

    # ------------------------------------------------------------------ where events come from

    def at(self, *, line: int | None = None, ts: datetime | None = None) -> TrialBuilder:
        """The source line and timestamp of the events added next (until the next ``at``)."""
        self._line, self._ts = line, ts
        return self

    def saw(self, ts: datetime | None) -> None:
        """Widen the trial's time span to include ``ts``."""
        if ts is None:
            return
        self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
        self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    # ------------------------------------------------------------------ events

    def add(self, kind: str, text: str | None, pointer: str | None = None, **fields: Any) -> Event:
        """Append an event; ``timestamp`` and ``source_line`` default to the current ``at``."""
        fields.setdefault("timestamp", self._ts)
        fields.setdefault("source_line", self._line)
        return self.trial.add(Event(kind=kind, text=text, source_pointer=pointer, **fields))  # type: ignore[arg-type]

    def message(self, role: str, text: str, pointer: str | None = None, **fields: Any) -> Event:
        return self.add("message", text, pointer, role=role, **fields)

    def action(self, text: str, pointer: str | None = None, *, call_id: Any = None, **fields: Any) -> Event:
        """A command the agent ran; with a string ``call_id`` its result can find it later."""
        fields.setdefault("role", "assistant")
        event = self.add("action", text, pointer, **fields)
        if isinstance(call_id, str):
            self.calls[call_id] = event
        return event

    def call(self, call_id: Any) -> Event | None:
        """The waiting tool call with this id, taken off the waiting list (None if unknown)."""
        return self.calls.pop(call_id, None) if isinstance(call_id, str) else None

    def result(self, text: str, pointer: str | None = None, *, action: Event | None = None,
               **fields: Any) -> Event:
        """What the agent saw back from ``action`` (an observation; unpaired when None)."""
        fields.setdefault("role", "tool")
        return self.add("observation", text, pointer, action_seq=action.seq if action is not None else None,
                        **fields)

    # ------------------------------------------------------------------ the end

    @property
    def unanswered(self) -> int:
        """Tool calls that never got a result."""
        return len(self.calls)

    def finish(self, metadata: dict[str, Any] | None = None, *, span: bool = True) -> Trial:
        """The trial with ``metadata`` (plus the warnings) and, with ``span``, the time span seen."""
        meta = dict(metadata or {})
        if self.warnings:
            meta["warnings"] = list(self.warnings)
        self.trial.metadata = meta
        if span:
            self.trial.started_at, self.trial.ended_at = self.first_ts, self.last_ts
        return self.trial
