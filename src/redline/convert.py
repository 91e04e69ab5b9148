"""Canonical trials (:mod:`redline.events`) to Arrow tables in the database's schema.

The one conversion from what an adapter reads to what the database stores, used by the loader
(:mod:`redline.ingest.loader`) and by the rule examples (:mod:`redline.classifiers.examples`),
so a rule's examples go through exactly what ingested data goes through. Each action's command
line is parsed here, with :func:`redline.shell.parse`, into ``commands`` rows.

:class:`TableBuilder` takes trials one at a time, so a file's trials are converted as its
adapter yields them: only column data is kept, never the whole list of :class:`Trial` objects.
Every stored string is made valid UTF-8 and cut at a bounded length by :func:`clean_text`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from functools import lru_cache

import orjson
import pyarrow as pa

from . import schema
from .events import Trial
from .shell import parse as parse_shell
from .text import truncate

#: characters of one event's text kept in the database; longer texts are cut with a marker
MAX_TEXT_CHARS = 1_000_000
#: events converted before the pending columns become an Arrow record batch
FLUSH_EVENTS = 20_000

TRIALS_SCHEMA = schema.TRIALS.arrow_schema()
EVENTS_SCHEMA = schema.EVENTS.arrow_schema()
COMMANDS_SCHEMA = schema.COMMANDS.arrow_schema()


class ConversionError(ValueError):
    """The trials cannot be stored as given (two trials of one file share a key)."""


def clean_text(value: str | None, limit: int | None = None) -> str | None:
    """Make a transcript string safe to store: valid UTF-8, at most ``limit`` characters
    (default :data:`MAX_TEXT_CHARS`, read at call time) plus the cut marker."""
    if value is None:
        return None
    if limit is None:
        limit = MAX_TEXT_CHARS
    if not isinstance(value, str):
        value = str(value)
    value = truncate(value, limit)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _json(value) -> str | None:
    if value is None:
        return None
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


@lru_cache(maxsize=16384)
def _parse_cached(line: str):
    """Agent corpora repeat many identical command lines: parse each distinct one once."""
    return parse_shell(line)


def _int32(value: int | None) -> int | None:
    return value if value is None or -2**31 <= value < 2**31 else None


class TableBuilder:
    """Columns for the trials, events and commands tables, filled one trial at a time."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._batches: dict[str, list[pa.RecordBatch]] = {"trials": [], "events": [], "commands": []}
        self._new_columns()
        self.trials = 0
        self.events = 0

    def _new_columns(self) -> None:
        self._t: dict[str, list] = {name: [] for name in TRIALS_SCHEMA.names}
        self._e: dict[str, list] = {name: [] for name in EVENTS_SCHEMA.names}
        self._c: dict[str, list] = {name: [] for name in COMMANDS_SCHEMA.names}

    def add(self, trial: Trial) -> None:
        """Convert one trial (its events parsed and cleaned) into pending rows."""
        tid = trial.trial_id
        if tid in self._seen:
            raise ConversionError(f"two trials share the key {trial.local_key!r}")
        self._seen.add(tid)
        t_add = {name: col.append for name, col in self._t.items()}
        e_add = {name: col.append for name, col in self._e.items()}
        c_add = {name: col.append for name, col in self._c.items()}
        times = [e.timestamp for e in trial.events if e.timestamp is not None]
        started = trial.started_at or (min(times, key=_utc) if times else None)
        ended = trial.ended_at or (max(times, key=_utc) if times else None)
        t_add["trial_id"](tid)
        t_add["format"](trial.format)
        t_add["source_path"](trial.source_path)
        t_add["local_key"](trial.local_key)
        t_add["model"](clean_text(trial.model, 500))
        t_add["agent"](clean_text(trial.agent, 500))
        t_add["task"](clean_text(trial.task, 2000))
        t_add["scenario"](clean_text(trial.scenario, 500))
        t_add["started_at"](_utc(started))
        t_add["ended_at"](_utc(ended))
        t_add["outcome"](trial.outcome)
        t_add["source_verdict"](_json(trial.source_verdict))
        t_add["metadata"](_json(trial.metadata))
        for ev in trial.events:
            parse_error = None
            if ev.kind == "action" and ev.text:
                parsed = _parse_cached(ev.text[:MAX_TEXT_CHARS])
                parse_error = parsed.error
                for cmd in parsed.commands:
                    c_add["trial_id"](tid)
                    c_add["seq"](ev.seq)
                    c_add["idx"](cmd.idx)
                    c_add["parent_idx"](cmd.parent_idx)
                    c_add["depth"](cmd.depth)
                    c_add["program"](clean_text(cmd.program, 1000))
                    c_add["path"](clean_text(cmd.path, 4000))
                    c_add["argv"]([clean_text(a, 100_000) for a in cmd.argv])
                    c_add["wrappers"](list(cmd.wrappers))
                    c_add["sudo"](bool(cmd.sudo))
                    c_add["background"](bool(cmd.background))
                    c_add["operator"](cmd.operator)
                    c_add["context"](cmd.context)
                    c_add["redirects"]([clean_text(r, 4000) for r in cmd.redirects])
                    c_add["heredoc"](clean_text(cmd.heredoc))
                    c_add["code"](clean_text(cmd.code))
                    c_add["text"](clean_text(cmd.text))
                    c_add["span_start"](cmd.span_start)
                    c_add["span_end"](cmd.span_end)
            e_add["trial_id"](tid)
            e_add["seq"](ev.seq)
            e_add["ts"](_utc(ev.timestamp))
            e_add["kind"](ev.kind)
            e_add["role"](ev.role)
            e_add["text"](clean_text(ev.text))
            e_add["tool"](clean_text(ev.tool, 500))
            e_add["exit_code"](_int32(ev.exit_code))
            e_add["action_seq"](ev.action_seq)
            e_add["parse_error"](parse_error)
            e_add["source_file"](ev.source_file or trial.source_path)
            e_add["source_line"](_int32(ev.source_line))
            e_add["source_pointer"](clean_text(ev.source_pointer, 2000))
            e_add["attrs"](_json(ev.attrs) if ev.attrs else None)
        self.trials += 1
        self.events += len(trial.events)
        if len(self._e["seq"]) >= FLUSH_EVENTS:
            self._flush()

    def _flush(self) -> None:
        for name, cols, sch in (("trials", self._t, TRIALS_SCHEMA), ("events", self._e, EVENTS_SCHEMA),
                                ("commands", self._c, COMMANDS_SCHEMA)):
            if cols[sch.names[0]]:
                self._batches[name].append(pa.RecordBatch.from_pydict(cols, schema=sch))
        self._new_columns()

    def tables(self) -> tuple[pa.Table, pa.Table, pa.Table]:
        """The trials, events and commands tables of every trial added so far."""
        self._flush()
        return (
            pa.Table.from_batches(self._batches["trials"], schema=TRIALS_SCHEMA),
            pa.Table.from_batches(self._batches["events"], schema=EVENTS_SCHEMA),
            pa.Table.from_batches(self._batches["commands"], schema=COMMANDS_SCHEMA),
        )


def trials_to_arrow(trials: Iterable[Trial]) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Columns for the trials, events and commands tables; command lines are parsed here."""
    builder = TableBuilder()
    for trial in trials:
        builder.add(trial)
    return builder.tables()
