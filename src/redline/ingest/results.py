"""What ingest makes of a file (:class:`FileResult`), of a run (:class:`IngestReport`), and how
the results of many files travel from a worker process to the writer (:class:`Packed`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..convert import LAYOUTS, concat, deserialize, serialize

__all__ = ["FileResult", "IngestReport", "Packed", "pack"]

#: the tables a file's rows are written to, in the order they are written
TABLES = tuple(LAYOUTS)


@dataclass
class FileResult:
    """What a worker made of one file.

    ``status`` is ``ok``, ``error`` (a file that is, or should be, a transcript could not be
    read), ``skipped`` (not a transcript, or not a regular file: nothing wrong with it) or
    ``unchanged``. ``path`` is the path as stored (:func:`redline.convert.clean_path`).
    ``notice`` marks a skip worth a line on stderr (a special file, a transcript without trials).
    """

    path: str
    sha256: str | None
    size_bytes: int | None
    format: str | None
    status: str  # ok | error | skipped | unchanged
    error: str | None = None
    #: the file's rows of each table (:class:`~redline.convert.Rows`)
    trials: Any = None
    events: Any = None
    commands: Any = None
    notice: bool = False
    #: the bytes of its tables, kept when they become slices of larger ones (see :class:`Packed`)
    arrow_bytes: int | None = None

    @property
    def n_trials(self) -> int:
        return 0 if self.trials is None else self.trials.num_rows

    @property
    def n_events(self) -> int:
        return 0 if self.events is None else self.events.num_rows

    @property
    def nbytes(self) -> int:
        """The bytes of its tables' buffers (quick to add up, unlike Arrow's ``nbytes``)."""
        if self.arrow_bytes is not None:
            return self.arrow_bytes
        return sum(t.get_total_buffer_size() for t in (self.trials, self.events, self.commands) if t is not None)


@dataclass
class IngestReport:
    files: int = 0
    ok: int = 0
    errors: int = 0
    skipped: int = 0
    unchanged: int = 0
    trials: int = 0
    events: int = 0
    #: one line per file with an error or a warning, per notable skip and per unreadable folder
    messages: list[str] = field(default_factory=list)
    #: how many inputs were named, and those that matched nothing (``NAME: why``)
    named: int = 0
    missing: list[str] = field(default_factory=list)
    #: the processes that read the files: 1 is this process, more are worker processes
    workers: int = 1

    def summary(self) -> str:
        return (
            f"{self.files} files: {self.ok} ingested, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {self.errors} errors; {self.trials} trials, {self.events} events"
        )

    def count(self, result: FileResult) -> None:
        """Count one file as stored, with its line when it has one."""
        self.files += 1
        if result.status == "ok":
            self.ok += 1
            self.trials += result.n_trials
            self.events += result.n_events
            if result.error:
                self.messages.append(f"{result.path}: warning: {result.error}")
        elif result.status == "error":
            self.errors += 1
            self.messages.append(f"{result.path}: error: {result.error}")
        elif result.status == "skipped":
            self.skipped += 1
            if result.notice:
                self.messages.append(f"{result.path}: skipped: {result.error}")
        else:
            self.unchanged += 1




@dataclass
class Packed:
    """The results of consecutive files, packed to travel between processes: each table's rows
    of all the files as one Arrow IPC stream, and the files' results without their tables.

    Pickling many small tables costs far more than the bytes they hold (each column of each
    table an object of its own, rebuilt on arrival); one stream of bytes per kind for many
    files travels at the speed of copying them. The rows are built, written and read back with
    nanoarrow (:func:`redline.convert.serialize`), as the rows of files read in this process
    are: neither side loads pyarrow (its import and its memory in every process). :meth:`unpack`
    cuts the rows back into each file's without copying them."""

    results: list[FileResult]
    #: per table: every file's rows, in the files' order, as an Arrow IPC stream (None when no
    #: file has any)
    tables: dict[str, bytes | None]
    #: per table: each file's number of rows
    rows: dict[str, list[int]]

    def unpack(self) -> list[FileResult]:
        """Each file's result with its tables (slices of the packed ones, not copies)."""
        parts: dict[str, list[Any]] = {}
        for name in TABLES:
            counts = self.rows[name]
            data = self.tables[name]
            if data is None:
                parts[name] = [None] * len(counts)
                continue
            sliced = deserialize(LAYOUTS[name], data, [max(n, 0) for n in counts])
            parts[name] = [rows if n >= 0 else None for rows, n in zip(sliced, counts)]
        return [replace(result, **{name: parts[name][i] for name in TABLES})
                for i, result in enumerate(self.results)]


def pack(results: list[FileResult]) -> Packed:
    """The results of consecutive files packed for the trip to the writer (see :class:`Packed`):
    each table's rows of all the files built once, joined (:func:`redline.convert.concat`)."""
    tables: dict[str, bytes | None] = {}
    rows: dict[str, list[int]] = {}
    for name in TABLES:
        parts = [getattr(r, name) for r in results]
        # -1: the file has no such table at all (as opposed to one of no rows)
        rows[name] = [-1 if t is None else t.num_rows for t in parts]
        present = [t for t in parts if t is not None]
        tables[name] = serialize(concat(present)) if present else None
    bare = [replace(r, trials=None, events=None, commands=None, arrow_bytes=r.nbytes) for r in results]
    return Packed(bare, tables, rows)
