"""Canonical trials (:mod:`redline.events`) to Arrow tables in the database's schema.

The one conversion from what an adapter reads to what the database stores, used by the loader
(:mod:`redline.ingest.loader`) and by the rule examples (:mod:`redline.classifiers.examples`),
so a rule's examples go through exactly what ingested data goes through. Each action's command
line is parsed here, with :func:`redline.shell.parse`, into ``commands`` rows.

:class:`TableBuilder` takes trials one at a time, so a file's trials are converted as its
adapter yields them: only column data is kept, never the whole list of :class:`Trial` objects.
Every stored value is bounded here, where the rows are built (the limits are in
:mod:`redline.limits`), by :mod:`.clean`: a string is made valid UTF-8 and cut with a marker by
:func:`clean_text`, a JSON value by :func:`clean_json`, a file path made storable by
:func:`clean_path`. A command line is parsed, and its rows cleaned, once per distinct line
(:class:`~.commands.ParseCache`). Pending rows become a record batch every :data:`FLUSH_EVENTS` events,
:data:`FLUSH_COMMANDS` commands or :data:`FLUSH_CHARS` characters of text, its columns built into
Arrow arrays without pyarrow when they are first read, joined with the other files' of a batch
(:class:`~.arrow.Rows`: DuckDB reads them through the Arrow C stream interface);
:func:`trials_to_arrow` gives them as pyarrow tables.

Events are converted a column at a time (a trial's texts, roles, pointers... each checked in
bulk) when every string among them is stored as it is, which is nearly always; a trial with a
string to cut or mend, an exit code past 32 bits or text that does not fit the pending batch
goes one event at a time through the same cleaning. Both store exactly the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from itertools import compress
from typing import TYPE_CHECKING

import orjson

from .. import schema
from ..events import Trial
from ..limits import (
    FLUSH_CHARS,
    FLUSH_COMMANDS,
    FLUSH_EVENTS,
    MAX_ATTRS_CHARS,
    MAX_FILE_COMMANDS,
    MAX_METADATA_CHARS,
    MAX_NAME_CHARS,
    MAX_PARSE_TIMEOUTS,
    MAX_POINTER_CHARS,
    MAX_TASK_CHARS,
    MAX_TEXT_CHARS,
    MAX_VERDICT_CHARS,
    MAX_WORD_CHARS,
    UNBUDGETED_BYTES,
)
from ..shell import ParsedLine
from .arrow import Layout, Rows, concat, deserialize, rows_of, serialize, share, to_arrow
from .clean import clean_json, clean_list, clean_path, clean_text, utc
from .commands import ParseCache

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = ["LAYOUTS", "ConversionError", "Layout", "ParseCache", "Rows", "TableBuilder",
           "clean_json", "clean_list", "clean_path", "clean_text", "concat", "deserialize", "rows_of", "serialize",
           "share", "to_arrow", "trials_to_arrow", "utc"]

TRIALS = Layout(schema.TRIALS)
EVENTS = Layout(schema.EVENTS)
COMMANDS = Layout(schema.COMMANDS)
#: the tables a transcript's rows are written to, in the order they are written, and their layouts
LAYOUTS = {"trials": TRIALS, "events": EVENTS, "commands": COMMANDS}


class ConversionError(ValueError):
    """The trials cannot be stored as given (two trials of one file share a key)."""


_CACHE = ParseCache()

#: the order of the values in the rows :class:`TableBuilder` collects (checked against the
#: schema below, so a new column cannot be forgotten here)
_TRIAL_COLUMNS = ("trial_id", "format", "source_path", "local_key", "model", "agent", "task", "scenario",
                  "started_at", "ended_at", "outcome", "source_verdict", "metadata")
_EVENT_COLUMNS = ("trial_id", "seq", "ts", "kind", "role", "text", "tool", "exit_code", "action_seq",
                  "parse_error", "source_file", "source_line", "source_pointer", "attrs")
_COMMAND_COLUMNS = ("trial_id", "seq", "idx", "parent_idx", "depth", "program", "path", "argv", "wrappers",
                    "sudo", "background", "operator", "context", "redirects", "heredoc", "code", "text",
                    "span_start", "span_end")
for _names, _layout in ((_TRIAL_COLUMNS, TRIALS), (_EVENT_COLUMNS, EVENTS), (_COMMAND_COLUMNS, COMMANDS)):
    if _layout.names != _names:  # pragma: no cover - a schema change must be made here too
        raise RuntimeError(f"convert's columns {_names} differ from the schema's {_layout.names}")


def _int32(value: int | None) -> int | None:
    return value if value is None or -2**31 <= value < 2**31 else None


def _stored_as_is(values: list, limit: int, room: int) -> int | None:
    """The characters of ``values`` (strings or None) when :func:`clean_text` keeps every one
    of them as it is (within ``limit`` characters, valid UTF-8) and they come to at most
    ``room`` characters together; else None."""
    present = [v for v in values if v is not None]
    if not present:
        return 0
    sizes = list(map(len, present))
    chars = sum(sizes)
    if chars > room or max(sizes) > limit:
        return None
    joined = "".join(present)  # a value that is not a string raises: the caller's fallback
    if not joined.isascii():
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: clean_text replaces it
            return None
    return chars


def _attrs_json(values: list) -> list[str | None]:
    """Each value as :func:`clean_json` stores it within :data:`MAX_ATTRS_CHARS` (None when
    empty): what orjson writes, when it can and it fits, as for nearly every ``attrs``."""
    dumps = orjson.dumps
    try:
        out = [dumps(v, default=str, option=orjson.OPT_NON_STR_KEYS).decode() if v else None for v in values]
    except (orjson.JSONEncodeError, RecursionError):
        return [clean_json(v, MAX_ATTRS_CHARS) if v else None for v in values]
    if max(map(len, filter(None, out)), default=0) > MAX_ATTRS_CHARS:
        return [v if v is None or len(v) <= MAX_ATTRS_CHARS else clean_json(a, MAX_ATTRS_CHARS)
                for v, a in zip(out, values)]
    return out


def _names_as_is(values: list) -> bool:  # of a few distinct values: the stored roles and tools
    return all(v is None or (v.__class__ is str and len(v) <= MAX_NAME_CHARS and v.isascii())
               for v in set(values))


def _int32s(values: list) -> bool:  # whether every value is None or fits an int32 column
    present = [v for v in values if v is not None]
    return not present or (-2**31 <= min(present) and max(present) < 2**31)


class TableBuilder:
    """Rows for the trials, events and commands tables, filled one trial at a time and turned
    into Arrow columns in bulk (a record batch at a time)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._timeouts = 0  # command lines of this file that ran out of parse time
        self._commands = 0  # commands recorded from this file
        #: what the conversion left out of this file, for the file's warnings
        self.warnings: set[str] = set()
        self._batches: dict[str, list] = {name: [] for name in LAYOUTS}
        self._bytes = dict.fromkeys(self._batches, 0)  # about the bytes of each table's batches
        self._t: list[tuple] = []  # pending trials and commands rows; events a list per column
        self._ecols: list[list] = [[] for _ in _EVENT_COLUMNS]
        self._c: list[tuple] = []
        self._chars = 0  # characters of text pending
        self.trials = 0
        self.events = 0

    def add(self, trial: Trial) -> None:
        """Convert one trial (its events parsed and cleaned) into pending rows."""
        tid = trial.trial_id
        if tid in self._seen:
            raise ConversionError(f"two trials share the key {trial.local_key!r}")
        self._seen.add(tid)
        source = clean_path(trial.source_path)
        stamps = [None if e.timestamp is None else utc(e.timestamp) for e in trial.events]
        times = [t for t in stamps if t is not None]
        started = utc(trial.started_at) or (min(times) if times else None)
        ended = utc(trial.ended_at) or (max(times) if times else None)
        verdict = clean_json(trial.source_verdict, MAX_VERDICT_CHARS)
        metadata = clean_json(trial.metadata, MAX_METADATA_CHARS)
        self._t.append((
            tid, trial.format, source, clean_text(trial.local_key, MAX_POINTER_CHARS),
            clean_text(trial.model, MAX_NAME_CHARS), clean_text(trial.agent, MAX_NAME_CHARS),
            clean_text(trial.task, MAX_TASK_CHARS), clean_text(trial.scenario, MAX_NAME_CHARS),
            started, ended, trial.outcome, verdict, metadata,
        ))
        self._chars += len(verdict or "") + len(metadata or "")
        events = trial.events
        start, total = 0, len(events)
        while start < total:  # at most a batch's worth of events at a time
            stop = min(total, start + max(FLUSH_EVENTS - len(self._ecols[0]), 1))
            part, times = (events, stamps) if stop - start == total else (events[start:stop], stamps[start:stop])
            if not self._columns(tid, source, part, times):
                for ev, ts in zip(part, times):
                    self._event(tid, source, ev, ts)
                    if self._full():
                        self._flush()  # a trial's rows may span record batches
            if self._full():
                self._flush()
            start = stop
        self.trials += 1
        self.events += total

    def _full(self) -> bool:
        return (len(self._ecols[0]) >= FLUSH_EVENTS or len(self._c) >= FLUSH_COMMANDS
                or self._chars >= FLUSH_CHARS)

    def _columns(self, tid: str, source: str | None, events: list, stamps: list) -> bool:
        """Add ``events`` a column at a time, when every string of theirs is stored as it is
        (what :func:`clean_text` returns for it: a string within its limit that is valid
        UTF-8) and their text fits in the pending batch; False, having added nothing, when
        one is not (:meth:`_event` then adds them one at a time, cleaning what needs it)."""
        try:
            texts = [e.text for e in events]
            text_chars = _stored_as_is(texts, MAX_TEXT_CHARS, FLUSH_CHARS - self._chars)
            pointers, roles, tools = ([e.source_pointer for e in events], [e.role for e in events],
                                      [e.tool for e in events])
            exit_codes, lines = [e.exit_code for e in events], [e.source_line for e in events]
            if (text_chars is None or _stored_as_is(pointers, MAX_POINTER_CHARS, FLUSH_CHARS) is None
                    or not (_names_as_is(roles) and _names_as_is(tools) and _int32s(exit_codes) and _int32s(lines))):
                return False
            kinds = [e.kind for e in events]
            attrs = _attrs_json([e.attrs for e in events])
            files = [source if e.source_file is None else (clean_path(e.source_file) or source) for e in events]
            seqs = [e.seq for e in events]
            answers = [e.action_seq for e in events]
        except Exception:  # noqa: BLE001 - one at a time, the failing event raises as it would alone
            return False
        chars = text_chars + sum(map(len, filter(None, attrs)))
        errors: list[str | None] = [None] * len(events)
        # each action's command line parsed into commands rows (the actions found without a loop here)
        for i in compress(range(len(kinds)), map("action".__eq__, kinds)):
            raw = texts[i]
            if not raw:
                continue
            parsed, rows, n_chars = self._parse(raw[:MAX_TEXT_CHARS])
            error = parsed.error
            if self._commands + len(rows) > MAX_FILE_COMMANDS:
                error = f"commands not recorded: the file holds more than {MAX_FILE_COMMANDS}"
                self.warnings.add(f"more than {MAX_FILE_COMMANDS} commands; later actions have none recorded")
            elif rows:
                self._commands += len(rows)
                self._c.extend([(tid, seqs[i]) + row for row in rows])
                self._chars += n_chars
                if len(self._c) >= FLUSH_COMMANDS or self._chars >= FLUSH_CHARS:
                    self._flush()  # rows of these events not added yet go to the next batch
            if error is not None:
                errors[i] = clean_text(error, MAX_WORD_CHARS)
        for column, values in zip(self._ecols, (
                [tid] * len(events), seqs, stamps, kinds, roles, texts, tools, exit_codes, answers, errors,
                files, lines, pointers, attrs)):
            column.extend(values)
        self._chars += chars
        return True

    def _event(self, tid: str, source: str | None, ev, ts: datetime | None) -> None:
        """One event's row, each value cleaned as it needs (when :meth:`_columns` cannot)."""
        parse_error = None
        text = clean_text(ev.text, MAX_TEXT_CHARS) if ev.text is not None else None
        chars = 0
        if ev.kind == "action" and ev.text:
            parsed, rows, chars = self._parse(ev.text[:MAX_TEXT_CHARS])
            parse_error = parsed.error
            if self._commands + len(rows) > MAX_FILE_COMMANDS:
                parse_error = f"commands not recorded: the file holds more than {MAX_FILE_COMMANDS}"
                self.warnings.add(f"more than {MAX_FILE_COMMANDS} commands; later actions have none recorded")
                chars = 0
            elif rows:
                self._commands += len(rows)
                self._c.extend([(tid, ev.seq) + row for row in rows])
        attrs = clean_json(ev.attrs, MAX_ATTRS_CHARS) if ev.attrs else None
        for column, value in zip(self._ecols, (
            tid, ev.seq, ts, ev.kind, clean_text(ev.role, MAX_NAME_CHARS), text,
            clean_text(ev.tool, MAX_NAME_CHARS), _int32(ev.exit_code), ev.action_seq,
            clean_text(parse_error, MAX_WORD_CHARS),
            source if ev.source_file is None else (clean_path(ev.source_file) or source),
            _int32(ev.source_line), clean_text(ev.source_pointer, MAX_POINTER_CHARS), attrs,
        )):
            column.append(value)
        self._chars += len(text or "") + len(attrs or "") + chars

    def _parse(self, line: str) -> tuple[ParsedLine, tuple[tuple, ...], int]:
        """The parse of one action's command line and its rows (see :meth:`ParseCache.rows`).
        After :data:`MAX_PARSE_TIMEOUTS` lines of this file ran out of parse time, long lines
        are not parsed at all (rules match their text)."""
        if self._timeouts >= MAX_PARSE_TIMEOUTS and len(line) > UNBUDGETED_BYTES:
            return ParsedLine([], f"not parsed: {self._timeouts} earlier command lines of this file "
                                  "ran out of parse time"), (), 0
        parsed, rows, chars = _CACHE.rows(line)
        if parsed.timed_out:
            self._timeouts += 1
            if self._timeouts == MAX_PARSE_TIMEOUTS:
                self.warnings.add(f"{MAX_PARSE_TIMEOUTS} command lines ran out of parse time; "
                                  "later long lines were not parsed")
        return parsed, rows, chars

    def _flush(self) -> None:
        # each part's bytes as Rows estimates them: its text (counted as it was added, whatever
        # the table) and eight bytes a value
        text = self._chars
        for name, rows, layout in (("trials", self._t, TRIALS), ("commands", self._c, COMMANDS)):
            if rows:
                self._batches[name].append(list(zip(*rows)))
                self._bytes[name] += 8 * len(rows) * len(layout.names) + text
                text = 0
        if self._ecols[0]:
            self._batches["events"].append(self._ecols)
            self._bytes["events"] += 8 * len(self._ecols[0]) * len(_EVENT_COLUMNS) + text
        self._t, self._c = [], []
        self._ecols = [[] for _ in _EVENT_COLUMNS]
        self._chars = 0

    def tables(self) -> tuple[Rows, Rows, Rows]:
        """The trials, events and commands rows of every trial added so far, their Arrow
        arrays not built yet (see :class:`~.arrow.Rows`)."""
        self._flush()
        return tuple(Rows(layout, self._batches[name], self._bytes[name])  # type: ignore[return-value]
                     for name, layout in LAYOUTS.items())


def trials_to_arrow(trials: Iterable[Trial]) -> tuple[pa.Table, pa.Table, pa.Table]:
    """pyarrow tables of the trials, events and commands rows; command lines are parsed here."""
    builder = TableBuilder()
    for trial in trials:
        builder.add(trial)
    return tuple(rows.to_arrow() for rows in builder.tables())  # type: ignore[return-value]
