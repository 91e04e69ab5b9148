"""Canonical trials (:mod:`redline.events`) to Arrow tables in the database's schema.

The one conversion from what an adapter reads to what the database stores, used by the loader
(:mod:`redline.ingest.loader`) and by the rule examples (:mod:`redline.classifiers.examples`),
so a rule's examples go through exactly what ingested data goes through. Each action's command
line is parsed here, with :func:`redline.shell.parse`, into ``commands`` rows.

:class:`TableBuilder` takes trials one at a time, so a file's trials are converted as its
adapter yields them: only column data is kept, never the whole list of :class:`Trial` objects.
Every stored value is bounded here, where the rows are built (the limits are in
:mod:`redline.limits`): a string is made valid UTF-8 and cut with a marker by
:func:`clean_text`, a JSON value by :func:`clean_json`, a file path made storable by
:func:`clean_path`. Pending rows become an Arrow record batch every :data:`FLUSH_EVENTS` events,
:data:`FLUSH_COMMANDS` commands or :data:`FLUSH_CHARS` characters of text.

Events are converted a column at a time (a trial's texts, roles, pointers... each checked in
bulk) when every string among them is stored as it is, which is nearly always; a trial with a
string to cut or mend, an exit code past 32 bits or text that does not fit the pending batch
goes one event at a time through the same cleaning. Both store exactly the same rows.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import orjson
import pyarrow as pa

from . import schema
from .events import Trial
from .limits import (
    FLUSH_CHARS,
    FLUSH_COMMANDS,
    FLUSH_EVENTS,
    MAX_ARG_CHARS,
    MAX_ARGS,
    MAX_ATTRS_CHARS,
    MAX_CACHE_CHARS,
    MAX_CACHED_LINE_CHARS,
    MAX_FILE_COMMANDS,
    MAX_JSON_DEPTH,
    MAX_METADATA_CHARS,
    MAX_NAME_CHARS,
    MAX_PARSE_TIMEOUTS,
    MAX_POINTER_CHARS,
    MAX_PROGRAM_CHARS,
    MAX_TASK_CHARS,
    MAX_TEXT_CHARS,
    MAX_VERDICT_CHARS,
    MAX_WORD_CHARS,
    UNBUDGETED_BYTES,
)
from .shell import ParsedLine
from .shell import parse as parse_shell
from .text import truncate

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
    if value.__class__ is str and len(value) <= limit and value.isascii():
        return value  # the common case, without a call: already short and valid
    if not isinstance(value, str):
        value = str(value)
    value = truncate(value, limit)
    if value.isascii():  # constant time, and ASCII is valid UTF-8: no encoded copy to make
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def clean_path(value: str | os.PathLike[str] | None) -> str | None:
    """A file path as stored: a name that is not valid UTF-8 (read from the file system with
    ``surrogateescape``) shows each bad byte as ``\\xNN``, so the path stays visible and storable.
    The loader stores ``ingested_files.path`` the same way, so a trial's ``source_path`` and its
    file's row always agree."""
    if value is None:
        return None
    text = os.fspath(value)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a lone surrogate that no file system produced
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def clean_json(value: Any, limit: int) -> str | None:
    """``value`` as JSON text of at most ``limit`` characters (about; the cut notes add a few).

    A larger value keeps its structure with every long string cut (with the usual marker); if
    that is still too large, it is stored as ``{"redline_cut": NOTE, "head": START}``: a note of
    its size and the start of its JSON text. What JSON cannot hold is stored as text (an object),
    as null (NaN and infinities) or as a string of digits (integers past 64 bits); a value nested
    deeper than :data:`MAX_JSON_DEPTH` keeps a note in place of the deeper part.
    """
    if value is None:
        return None
    try:
        text = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (orjson.JSONEncodeError, RecursionError):
        value = _jsonable(value, 0)
        text = json.dumps(value, ensure_ascii=False)
    if len(text) <= limit:
        return text
    cut = _cut_strings(value, max(limit // 20, 200), 0)
    text = json.dumps(cut, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return text
    return json.dumps({"redline_cut": f"JSON value of {len(text)} characters not stored in full",
                       "head": text[: limit // 2]}, ensure_ascii=False)


def _jsonable(value: Any, depth: int) -> Any:
    """``value`` made of what JSON holds: see :func:`clean_json`."""
    if depth > MAX_JSON_DEPTH:
        return "[redline: nested too deeply to store]"
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value if -2**63 <= value < 2**64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    return str(value)


def _cut_strings(value: Any, limit: int, depth: int) -> Any:
    """``value`` (already JSON-able) with every string longer than ``limit`` cut."""
    if isinstance(value, str):
        return truncate(value, limit)
    if depth > MAX_JSON_DEPTH:
        return "[redline: nested too deeply to store]"
    if isinstance(value, dict):
        return {truncate(str(k), limit): _cut_strings(v, limit, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cut_strings(v, limit, depth + 1) for v in value]
    return _jsonable(value, depth)


def _clean_list(values: list[str], limit: int) -> list[str | None]:
    """Each string cut to ``limit``; at most :data:`MAX_ARGS` of them, then a note of the rest."""
    kept = [clean_text(v, limit) for v in values[:MAX_ARGS]]
    if len(values) > MAX_ARGS:
        kept.append(f"[redline: {len(values) - MAX_ARGS} more not stored]")
    return kept


def _utc(value: datetime | None) -> datetime | None:
    """``value`` in UTC (naive means UTC); None when it has no UTC equivalent."""
    if value is None:
        return None
    tz = value.tzinfo
    if tz is timezone.utc:
        return value
    try:
        if tz is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


class ParseCache:
    """Parses of short command lines, kept while they fit in :data:`MAX_CACHE_CHARS`: agent
    corpora repeat many identical lines. The oldest entries go first. Next to each parse the
    cache keeps its ``commands`` rows, cleaned once (:meth:`rows`): a repeated line costs a
    dictionary look-up, not a parse and a conversion."""

    def __init__(self, budget: int = MAX_CACHE_CHARS) -> None:
        self.budget = budget
        self.used = 0
        self._entries: dict[str, list] = {}  # line -> [parsed, size, rows or None]

    def _entry(self, line: str) -> list:
        if len(line) > MAX_CACHED_LINE_CHARS:
            return [parse_shell(line), 0, None]
        hit = self._entries.get(line)
        if hit is not None:
            return hit
        parsed = parse_shell(line)
        size = len(line) + sum(len(c.text) + sum(map(len, c.argv)) + 200 for c in parsed.commands)
        entry = [parsed, size, None]
        while self._entries and self.used + size > self.budget:
            oldest = next(iter(self._entries))
            self.used -= self._entries.pop(oldest)[1]
        if size <= self.budget:
            self._entries[line] = entry
            self.used += size
        return entry

    def parse(self, line: str) -> ParsedLine:
        return self._entry(line)[0]

    def rows(self, line: str) -> tuple[ParsedLine, tuple[tuple, ...], int]:
        """The parse of ``line``, its commands as cleaned ``commands`` rows without their
        ``trial_id`` and ``seq``, and the characters of text those rows hold."""
        entry = self._entry(line)
        if entry[2] is None:
            entry[2] = _command_rows(entry[0])
        return entry[0], *entry[2]


def _command_rows(parsed: ParsedLine) -> tuple[tuple[tuple, ...], int]:
    """Each command of ``parsed`` as a cleaned ``commands`` row from ``idx`` on, and the
    characters of text the rows hold (see :data:`_COMMAND_COLUMNS`)."""
    rows = []
    chars = 0
    for cmd in parsed.commands:
        text = clean_text(cmd.text)
        heredoc = clean_text(cmd.heredoc)
        code = clean_text(cmd.code)
        argv = _clean_list(cmd.argv, MAX_ARG_CHARS)
        rows.append((
            cmd.idx, cmd.parent_idx, cmd.depth, clean_text(cmd.program, MAX_PROGRAM_CHARS),
            clean_text(cmd.path, MAX_WORD_CHARS), argv, _clean_list(cmd.wrappers, MAX_PROGRAM_CHARS),
            bool(cmd.sudo), bool(cmd.background), cmd.operator, cmd.context,
            _clean_list(cmd.redirects, MAX_WORD_CHARS), heredoc, code, text, cmd.span_start, cmd.span_end,
        ))
        chars += len(text or "") + len(heredoc or "") + len(code or "") + sum(len(a or "") for a in argv)
    return tuple(rows), chars


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
for _names, _schema in ((_TRIAL_COLUMNS, TRIALS_SCHEMA), (_EVENT_COLUMNS, EVENTS_SCHEMA),
                        (_COMMAND_COLUMNS, COMMANDS_SCHEMA)):
    if tuple(_schema.names) != _names:  # pragma: no cover - a schema change must be made here too
        raise RuntimeError(f"convert's columns {_names} differ from the schema's {_schema.names}")


#: a few rows become a record batch in one call, as structs (a call per column costs more)
_ROW_TYPES = {id(sch): pa.struct(list(sch)) for sch in (TRIALS_SCHEMA, EVENTS_SCHEMA, COMMANDS_SCHEMA)}
_FEW_ROWS = 2_000


def _batch(sch: pa.Schema, rows: list[tuple] | None = None, columns: list[list] | None = None) -> pa.RecordBatch:
    """Rows (tuples in the schema's column order) or columns as one record batch."""
    if len(rows if rows is not None else columns[0]) <= _FEW_ROWS:  # type: ignore[index]
        rows = rows if rows is not None else list(zip(*columns))  # type: ignore[misc]
        return pa.RecordBatch.from_struct_array(pa.array(rows, type=_ROW_TYPES[id(sch)]))
    columns = columns if columns is not None else list(zip(*rows))  # type: ignore[misc]
    return pa.RecordBatch.from_arrays([pa.array(col, type=f.type) for col, f in zip(columns, sch)], schema=sch)


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
    if any(len(v) > MAX_ATTRS_CHARS for v in out if v is not None):
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
        self._batches: dict[str, list[pa.RecordBatch]] = {"trials": [], "events": [], "commands": []}
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
        stamps = [None if e.timestamp is None else _utc(e.timestamp) for e in trial.events]
        times = [t for t in stamps if t is not None]
        started = _utc(trial.started_at) or (min(times) if times else None)
        ended = _utc(trial.ended_at) or (max(times) if times else None)
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
        chars = text_chars + sum(len(a) for a in attrs if a)
        errors: list[str | None] = [None] * len(events)
        for i, kind in enumerate(kinds):  # each action's command line parsed into commands rows
            raw = texts[i]
            if not raw or kind != "action":
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
        text = clean_text(ev.text) if ev.text is not None else None
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
        for name, rows, sch in (("trials", self._t, TRIALS_SCHEMA), ("commands", self._c, COMMANDS_SCHEMA)):
            if rows:
                self._batches[name].append(_batch(sch, rows=rows))
        if self._ecols[0]:
            self._batches["events"].append(_batch(EVENTS_SCHEMA, columns=self._ecols))
        self._t, self._c = [], []
        self._ecols = [[] for _ in _EVENT_COLUMNS]
        self._chars = 0

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
