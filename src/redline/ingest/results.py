"""What ingest makes of a file (:class:`FileResult`), of a run (:class:`IngestReport`), and how
the results of many files travel from a worker process to the writer (:class:`Packed`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..convert import concat, to_arrow

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = ["FileResult", "IngestReport", "Packed", "pack"]

#: the tables a file's rows are written to, in the order they are written
TABLES = ("trials", "events", "commands")


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
    #: the file's rows of each table: :class:`~redline.convert.Rows` as read, pyarrow tables once
    #: they travelled from a worker process (DuckDB reads either)
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
    of all the files as one contiguous Arrow table, and the files' results without their tables.

    Pickling many small Arrow tables costs far more than the bytes they hold (each column of
    each table is an object of its own, rebuilt on arrival); one table per kind for many files
    travels at the speed of copying its buffers. :meth:`results` cuts the tables back into each
    file's rows without copying them. They travel as pyarrow tables (a worker's
    :class:`~redline.convert.Rows` become one there): pyarrow pickles its buffers."""

    results: list[FileResult]
    #: per table: every file's rows, in the files' order (None when no file has any)
    tables: dict[str, pa.Table | None]
    #: per table: each file's number of rows
    rows: dict[str, list[int]]

    def unpack(self) -> list[FileResult]:
        """Each file's result with its tables (slices of the packed ones, not copies)."""
        out = []
        offsets = dict.fromkeys(TABLES, 0)
        for i, result in enumerate(self.results):
            tables = {}
            for name in TABLES:
                n = self.rows[name][i]
                table = self.tables[name]
                tables[name] = table.slice(offsets[name], n) if n >= 0 and table is not None else None
                offsets[name] += max(n, 0)
            out.append(replace(result, **tables))
        return out


def pack(results: list[FileResult]) -> Packed:
    """The results of consecutive files packed for the trip to the writer (see :class:`Packed`)."""
    tables: dict[str, pa.Table | None] = {}
    rows: dict[str, list[int]] = {}
    for name in TABLES:
        parts = [getattr(r, name) for r in results]
        # -1: the file has no such table at all (as opposed to one of no rows)
        rows[name] = [-1 if t is None else t.num_rows for t in parts]
        present = [t for t in parts if t is not None]
        tables[name] = _joined(present) if present else None
    bare = [replace(r, trials=None, events=None, commands=None, arrow_bytes=r.nbytes) for r in results]
    return Packed(bare, tables, rows)


def _joined(tables: list) -> pa.Table:
    """The tables one after the other, in one chunk per column when there are several files'
    (a single file's table is left in its record batches, already large). Rows not yet built
    are built here, joined (:func:`redline.convert.concat`): once for all the files."""
    import pyarrow as pa

    joined = to_arrow(concat(tables))
    if len(tables) == 1 or joined.column(0).num_chunks <= 1:
        return joined
    try:
        return joined.combine_chunks()
    except (pa.ArrowInvalid, pa.ArrowCapacityError):  # a column past 2 GiB of text: stays in chunks
        return joined
