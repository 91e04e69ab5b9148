"""Ingest: find files, detect their format, parse them (in parallel), load them in bulk.

Workers turn one file into Arrow tables (trials, events, commands); the parent process owns
the database and writes each batch in one transaction. A file that fails becomes one
``ingested_files`` row with status ``error`` and the reason; it never stops the others.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from .. import db as dbmod
from .. import schema
from ..convert import ConversionError, TableBuilder
from . import registry
from .base import FormatError, NotATranscript, head_text, read_head

#: flush to the database once this many events are waiting
BATCH_EVENTS = 50_000
#: file extensions that are expected to hold transcripts: an unreadable one is an error
TRANSCRIPT_EXTENSIONS = (".json", ".jsonl", ".log", ".traj", ".eval", ".cast", ".txt", ".ndjson")
#: folder names never walked into
SKIP_DIRS = {".git", "__pycache__", ".venv", "node_modules", ".pytest_cache", ".hypothesis"}


@dataclass
class FileResult:
    """What a worker made of one file."""

    path: str
    sha256: str | None
    size_bytes: int | None
    format: str | None
    status: str  # ok | error | skipped | unchanged
    error: str | None = None
    trials: pa.Table | None = None
    events: pa.Table | None = None
    commands: pa.Table | None = None

    @property
    def n_trials(self) -> int:
        return 0 if self.trials is None else self.trials.num_rows

    @property
    def n_events(self) -> int:
        return 0 if self.events is None else self.events.num_rows


@dataclass
class IngestReport:
    files: int = 0
    ok: int = 0
    errors: int = 0
    skipped: int = 0
    unchanged: int = 0
    trials: int = 0
    events: int = 0
    messages: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.files} files: {self.ok} ingested, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {self.errors} errors; {self.trials} trials, {self.events} events"
        )


# --------------------------------------------------------------------------- discovery


def discover(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[str]]:
    """Expand files, directories (recursively) and glob patterns into a sorted file list.

    Returns ``(files, problems)`` where problems name inputs that matched nothing.
    """
    found: dict[str, Path] = {}
    problems: list[str] = []
    for raw in paths:
        text = os.fspath(raw)
        candidates: list[Path]
        if Path(text).exists():
            candidates = [Path(text)]
        elif glob.has_magic(text):
            candidates = [Path(p) for p in sorted(glob.glob(text, recursive=True))]
            if not candidates:
                problems.append(f"{text}: no files match this pattern")
        else:
            problems.append(f"{text}: no such file or directory")
            continue
        for cand in candidates:
            if cand.is_dir():
                for root, dirs, files in os.walk(cand):
                    dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
                    for name in sorted(files):
                        p = Path(root, name)
                        found.setdefault(str(p.resolve()), p.resolve())
            elif cand.is_file():
                found.setdefault(str(cand.resolve()), cand.resolve())
    return [found[k] for k in sorted(found)], problems


# --------------------------------------------------------------------------- one file


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _why_unreadable(head: bytes) -> str | None:
    """A reason the head shows the file cannot be a text transcript, or None."""
    if not head.strip():
        return "empty file"
    if head.startswith(b"PK\x03\x04"):
        return None  # zip: an adapter may claim it
    if b"\x00" in head:
        return "binary content, not a text transcript"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a multi-byte char cut at the head's end
            return f"not valid UTF-8 text (bad byte 0x{head[exc.start]:02x} at offset {exc.start})"
    return None


def detect(path: Path, head: bytes) -> str | None:
    """The name of the first registered format whose sniff accepts the file."""
    for fmt in registry.FORMATS:
        try:
            if fmt.sniff(path, head):
                return fmt.name
        except Exception:  # a sniff must never take ingest down
            continue
    return None


def process_file(path: str, forced_format: str | None = None, explicit: bool = False) -> FileResult:
    """Detect, read and convert one file. Never raises: failures become an error result."""
    p = Path(path)
    try:
        size = p.stat().st_size
        sha = file_sha256(p)
        head = read_head(p)
    except OSError as exc:
        return FileResult(path, None, None, forced_format, "error", f"cannot read file: {exc.strerror or exc}")
    fmt_name = forced_format
    if fmt_name is None:
        fmt_name = detect(p, head)
    if fmt_name is None:
        sidecar_of = registry.sidecar_owner(p.name)
        unreadable = _why_unreadable(head)
        if unreadable and (explicit or p.suffix.lower() in TRANSCRIPT_EXTENSIONS):
            return FileResult(path, sha, size, None, "error", unreadable)
        if sidecar_of:
            return FileResult(path, sha, size, None, "skipped", f"metadata file read with {sidecar_of} transcripts")
        if explicit:
            return FileResult(path, sha, size, None, "error", "not a recognised transcript format")
        reason = unreadable or f"not a recognised transcript format ({_describe(head)})"
        return FileResult(path, sha, size, None, "skipped", reason)
    fmt = registry.get(fmt_name)
    # trials are converted as the adapter yields them: only their columns are kept
    builder = TableBuilder()
    warnings: set[str] = set()
    try:
        for trial in fmt.read(p):
            builder.add(trial)
            warnings.update(trial.metadata.get("warnings", []))
        if not builder.trials:
            raise FormatError("no trials found in file")
        tables = builder.tables()
    except NotATranscript as exc:
        return FileResult(path, sha, size, fmt_name, "skipped", str(exc))
    except (FormatError, ConversionError) as exc:
        return FileResult(path, sha, size, fmt_name, "error", str(exc))
    except RecursionError:
        return FileResult(path, sha, size, fmt_name, "error", "structure nested too deeply")
    except MemoryError:
        return FileResult(path, sha, size, fmt_name, "error", "out of memory while reading")
    except Exception as exc:  # hostile input must not stop the run; say what happened
        return FileResult(path, sha, size, fmt_name, "error", f"{type(exc).__name__}: {exc}")
    return FileResult(path, sha, size, fmt_name, "ok", "; ".join(sorted(warnings)) or None, *tables)


def _describe(head: bytes) -> str:
    text = head_text(head[:4096]).lstrip()
    if not text:
        return "empty"
    if text[0] in "{[":
        return "JSON of an unknown shape"
    return "text of an unknown shape"


# --------------------------------------------------------------------------- loading


def _known_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT path, sha256 FROM ingested_files WHERE sha256 IS NOT NULL").fetchall())


def write_batch(con: duckdb.DuckDBPyConnection, results: list[FileResult]) -> None:
    """Replace what the database holds for these files with the new results, atomically."""
    if not results:
        return
    paths = pa.table({"path": [r.path for r in results]})
    tables = {
        "trials": [r.trials for r in results if r.trials is not None],
        "events": [r.events for r in results if r.events is not None],
        "commands": [r.commands for r in results if r.commands is not None],
    }
    files = pa.table({
        "path": [r.path for r in results], "sha256": [r.sha256 for r in results],
        "size_bytes": [r.size_bytes for r in results], "format": [r.format for r in results],
        "status": [r.status for r in results], "error": [r.error for r in results],
        "trials": [r.n_trials for r in results], "events": [r.n_events for r in results],
    }, schema=schema.INGESTED_FILES.arrow_schema())
    with dbmod.transaction(con):
        con.register("_batch_paths", paths)
        con.execute("CREATE OR REPLACE TEMP TABLE _old AS SELECT trial_id FROM trials WHERE source_path IN (SELECT path FROM _batch_paths)")
        for table in ("labels", "commands", "events", "trials"):
            con.execute(f"DELETE FROM {table} WHERE trial_id IN (SELECT trial_id FROM _old)")
        con.execute("DELETE FROM ingested_files WHERE path IN (SELECT path FROM _batch_paths)")
        for table, parts in tables.items():
            if parts:
                data = pa.concat_tables(parts)
                con.register("_batch_data", data)
                cols = ", ".join(data.schema.names)
                con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _batch_data")
                con.unregister("_batch_data")
        con.register("_batch_files", files)
        cols = ", ".join(files.schema.names)
        con.execute(f"INSERT INTO ingested_files ({cols}) SELECT {cols} FROM _batch_files")
        con.unregister("_batch_files")
        con.unregister("_batch_paths")
        con.execute("DROP TABLE IF EXISTS _old")


def _worker_count(requested: int | None, n_files: int) -> int:
    """Worker processes for parsing. The parent also needs a core for DuckDB's inserts, and
    shipping each file's tables between processes costs a copy: on two cores, parsing in the
    parent measured faster (benchmarks/run.py), so parallel parsing starts at three cores."""
    if requested is not None:
        return max(1, requested)
    cores = os.cpu_count() or 1
    if n_files < 8 or cores <= 2:
        return 1
    return min(cores - 1, 8)


def _results(
    files: list[Path], forced_format: str | None, explicit: set[str], workers: int
) -> Iterator[FileResult]:
    """Process files, in parallel when it helps, keeping a bounded number in flight."""
    if workers <= 1:
        for f in files:
            yield process_file(str(f), forced_format, str(f) in explicit)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: set[Future[FileResult]] = set()
        todo = iter(files)
        limit = workers * 2
        while True:
            while len(pending) < limit:
                nxt = next(todo, None)
                if nxt is None:
                    break
                pending.add(pool.submit(process_file, str(nxt), forced_format, str(nxt) in explicit))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    con: duckdb.DuckDBPyConnection,
    *,
    format: str | None = None,
    workers: int | None = None,
    force: bool = False,
    on_file: Callable[[FileResult], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest transcripts into an open database (see :func:`redline.db.connect`).

    ``format`` forces one adapter for every file. Unchanged files (same content hash) are not
    re-read unless ``force``. ``on_file`` is called once per file (for progress display).
    """
    if format is not None:
        registry.get(format)  # raises KeyError with the known names
    path_list = list(paths)
    files, problems = discover(path_list)
    report = IngestReport(messages=list(problems))
    explicit = {str(Path(p).resolve()) for p in path_list if Path(p).is_file()}
    known = {} if force else _known_hashes(con)
    todo: list[Path] = []
    for f in files:
        prev = known.get(str(f))
        if prev is not None:
            try:
                if file_sha256(f) == prev:
                    report.files += 1
                    report.unchanged += 1
                    if on_file:
                        on_file(FileResult(str(f), prev, None, None, "unchanged"))
                    continue
            except OSError:
                pass
        todo.append(f)
    if on_total:
        on_total(len(files))
    batch: list[FileResult] = []
    batch_events = 0
    for result in _results(todo, format, explicit, _worker_count(workers, len(todo))):
        report.files += 1
        if result.status == "ok":
            report.ok += 1
            report.trials += result.n_trials
            report.events += result.n_events
            if result.error:
                report.messages.append(f"{result.path}: warning: {result.error}")
        elif result.status == "error":
            report.errors += 1
            report.messages.append(f"{result.path}: error: {result.error}")
        else:
            report.skipped += 1
        batch.append(result)
        batch_events += result.n_events
        if on_file:
            on_file(result)
        if batch_events >= BATCH_EVENTS or len(batch) >= 500:
            write_batch(con, batch)
            batch, batch_events = [], 0
    write_batch(con, batch)
    return report

