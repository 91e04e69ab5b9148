"""Ingest: find files, detect their format, parse them (in parallel), load them in bulk.

Each file becomes Arrow tables (trials, events, commands), in this process or in worker
processes (:mod:`.workers`) that read consecutive files ahead of the writer and send their rows
back packed (:class:`~.results.Packed`); this process owns the database and writes each batch
in one transaction, in the files' order (:mod:`.writer`). A file that fails becomes one
``ingested_files`` row with status ``error`` and the reason; it never stops the others: not a
file the adapter chokes on (:mod:`.reasons` says why in a sentence), not a pipe or a device
(never opened, see :mod:`.discovery`), not a worker killed mid-file (:mod:`.workers`), not a
file the database refuses (it is stored alone, or as an error).

What is an error and what is skipped: a file that is, or should be, a transcript and cannot be
read is an ``error`` (a file named on the command line, a format's file that fails to parse, a
file with a transcript extension whose content is damaged, a broken link with such a name); a
file that is not a transcript is ``skipped`` (unknown content, a metadata file, a file read as
part of another file's trial, a transcript with no trial, anything but a regular file). Every error is a line on stderr; so is every skip
of a file the user may have meant (not a regular file, a broken link, a transcript with no
trial; not a file read with another, :class:`~.base.ReadWithAnother`). Batches are bounded by :data:`~redline.limits.BATCH_EVENTS`,
:data:`~redline.limits.BATCH_FILES` and :data:`~redline.limits.BATCH_BYTES`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import duckdb
import jiter
import orjson

from .. import db as dbmod
from ..convert import ConversionError, TableBuilder, clean_path
from ..grouping import greedy_groups
from ..limits import (INGEST_CHECKPOINT_MIN_BYTES, INGEST_CHECKPOINT_WAL, INGEST_DUCKDB_MEMORY,
                      INGEST_DUCKDB_THREADS, PARALLEL_CHUNK_BYTES, PARALLEL_CHUNK_FILES, PARALLEL_MAX_WORKERS,
                      PARALLEL_MIN_BYTES, PARALLEL_MIN_FILES)
from . import registry
from .base import BOM, FormatError, NotATranscript, ReadWithAnother, head_text
from .discovery import BadLink, Discovery, NotRegular, discover, examine, open_regular
from .limits import HEAD_BYTES
from .reasons import describe, os_error
from .results import FileResult, IngestReport, Packed, pack
from .workers import DIED, fewer_collections, run_parallel
from .writer import checkpoints_every, load, threads, write_batch

#: file extensions that are expected to hold transcripts: an unreadable one is an error
TRANSCRIPT_EXTENSIONS = (".json", ".jsonl", ".log", ".traj", ".eval", ".cast", ".txt", ".ndjson")
#: of those, the ones that hold JSON (one document, or one per line): a file that is not valid
#: JSON as far as its head shows is damaged, an error
JSON_EXTENSIONS = {".json": "document", ".traj": "document", ".jsonl": "lines", ".ndjson": "lines",
                   ".cast": "lines"}

__all__ = ["FileResult", "IngestReport", "died", "discover", "ingest", "load", "process_file", "write_batch"]


# --------------------------------------------------------------------------- one file


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a regular file (:class:`NotRegular` for anything else)."""
    h = hashlib.sha256()
    with open_regular(os.fspath(path)) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_regular(path: str) -> tuple[int, str, bytes]:
    """Size, SHA-256 and head of a regular file, read once, never blocking."""
    h = hashlib.sha256()
    size = 0
    head = b""
    with open_regular(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            if size < HEAD_BYTES:
                head += chunk[: HEAD_BYTES - size]
            size += len(chunk)
            h.update(chunk)
    return size, h.hexdigest(), head


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


def _why_damaged(path: Path, head: bytes, size: int) -> str | None:
    """For a file no format recognised: why its content is damaged for its extension, if it is
    (a ``.json`` that is not JSON, an ``.eval`` that is not a zip archive), else None."""
    suffix = path.suffix.lower()
    if suffix == ".eval":
        return None if head.startswith(b"PK\x03\x04") else "damaged: not a zip archive (an .eval log is one)"
    kind = JSON_EXTENSIONS.get(suffix)
    if kind is None:
        return None
    data = head.removeprefix(BOM).lstrip()
    whole = size <= len(head)
    if kind == "lines":
        end = data.find(b"\n")
        whole = end >= 0 or whole
        data = data[:end] if end >= 0 else data
    if whole:
        try:
            orjson.loads(data)
            return None
        except orjson.JSONDecodeError as exc:
            what = "first line" if kind == "lines" else "document"
            return f"damaged: its {what} is truncated or invalid JSON ({exc})"
    try:
        jiter.from_json(data, partial_mode="trailing-strings")
    except ValueError as exc:
        return f"damaged: not valid JSON as far as its first {len(head)} bytes go ({exc})"
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
    """Detect, read and convert one file. Never raises: failures become an error result.

    Only a regular file is opened: anything else (a pipe, a device, a broken link) gives a
    skipped or error result without blocking.
    """
    shown = clean_path(path)
    try:
        examine(path)
        size, sha, head = _read_regular(path)
    except NotRegular as exc:
        return FileResult(shown, None, None, forced_format, "skipped", str(exc), notice=True)
    except BadLink as exc:
        status = "error" if _expected(Path(path), explicit) else "skipped"
        return FileResult(shown, None, None, forced_format, status, str(exc), notice=True)
    except OSError as exc:
        return FileResult(shown, None, None, forced_format, "error", os_error(exc))
    p = Path(path)
    fmt_name = forced_format
    if fmt_name is None:
        fmt_name = detect(p, head)
    if fmt_name is None:
        return _unrecognised(p, shown, sha, size, head, explicit)
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
        return FileResult(shown, sha, size, fmt_name, "skipped", str(exc), notice=not isinstance(exc, ReadWithAnother))
    except (FormatError, ConversionError) as exc:
        return FileResult(shown, sha, size, fmt_name, "error", str(exc))
    except Exception as exc:  # hostile input must not stop the run; say what happened
        return FileResult(shown, sha, size, fmt_name, "error", describe(exc))
    warnings |= builder.warnings
    return FileResult(shown, sha, size, fmt_name, "ok", "; ".join(sorted(warnings)) or None, *tables)


def _unrecognised(p: Path, shown: str, sha: str, size: int, head: bytes, explicit: bool) -> FileResult:
    """The result for a file no format recognised: an error when it should have been a
    transcript (named by the user, or a transcript extension with damaged content), else skipped."""
    expected = _expected(p, explicit)
    unreadable = _why_unreadable(head)
    if expected and unreadable:
        return FileResult(shown, sha, size, None, "error", unreadable)
    sidecar_of = registry.sidecar_owner(p.name)
    if sidecar_of:
        return FileResult(shown, sha, size, None, "skipped", f"metadata file read with {sidecar_of} transcripts")
    damaged = _why_damaged(p, head, size) if expected else None
    if damaged:
        return FileResult(shown, sha, size, None, "error", damaged)
    if explicit:
        return FileResult(shown, sha, size, None, "error", "not a recognised transcript format")
    reason = unreadable or f"not a recognised transcript format ({_describe(head)})"
    return FileResult(shown, sha, size, None, "skipped", reason)


def _expected(p: Path, explicit: bool) -> bool:
    """Whether the file should be a transcript: named by the user, or a transcript extension."""
    return explicit or p.suffix.lower() in TRANSCRIPT_EXTENSIONS


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


Job = tuple[str, "str | None", bool]


def _worker_count(requested: int | None, jobs: list[Job], sizes: list[int]) -> int:
    """Worker processes for parsing: ``requested`` when given, else one (parsing in this process)
    unless the work pays for more: at least :data:`~redline.limits.PARALLEL_MIN_FILES` files
    adding up to :data:`~redline.limits.PARALLEL_MIN_BYTES`, on two cores or more. Then one
    worker per core (at most :data:`~redline.limits.PARALLEL_MAX_WORKERS`): the parent's share,
    DuckDB's inserts, is a small part of parsing and runs while the workers parse ahead."""
    if requested is not None:
        return max(1, requested)
    cores = os.cpu_count() or 1
    if len(jobs) < PARALLEL_MIN_FILES or cores < 2 or sum(sizes) < PARALLEL_MIN_BYTES:
        return 1
    return min(cores, PARALLEL_MAX_WORKERS)


def _sizes(jobs: list[Job]) -> list[int]:
    """Each file's size (0 for a file that cannot be examined)."""
    sizes = []
    for path, _fmt, _explicit in jobs:
        try:
            sizes.append(os.stat(path).st_size)
        except OSError:
            sizes.append(0)
    return sizes


def _chunks(jobs: list[Job], sizes: list[int]) -> list[list[Job]]:
    """Consecutive files grouped into a worker's tasks: at most
    :data:`~redline.limits.PARALLEL_CHUNK_FILES` files and :data:`~redline.limits.PARALLEL_CHUNK_BYTES`
    (a larger file is a task of its own)."""
    return greedy_groups(zip(jobs, sizes), PARALLEL_CHUNK_BYTES, PARALLEL_CHUNK_FILES)


def _process_chunk(jobs: list[Job]) -> Packed:
    """A worker's task: read consecutive files, their results packed for the trip back."""
    with fewer_collections():
        return pack([process_file(*job) for job in jobs])


def died(job: Job) -> FileResult:
    """The result of a file whose worker process died even when it read the file alone."""
    return FileResult(clean_path(job[0]), None, None, job[1], "error", DIED)


def _died_packed(job: Job) -> Packed:
    return pack([died(job)])


def _results(jobs: list[Job], workers: int, sizes: list[int]) -> Iterator[FileResult]:
    """Each file's result in the files' order: read here, or in worker processes (see
    :mod:`.workers`) that read ahead while this process writes."""
    if workers <= 1:
        for job in jobs:
            yield process_file(*job)
        return
    for packed in run_parallel(_chunks(jobs, sizes), _process_chunk, _died_packed, workers):
        yield from packed.unpack()


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    con: duckdb.DuckDBPyConnection,
    *,
    format: str | None = None,
    workers: int | None = None,
    force: bool = False,
    on_file: Callable[[FileResult], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    on_read: Callable[[], None] | None = None,
) -> IngestReport:
    """Ingest transcripts into an open database (see :func:`redline.db.connect`).

    ``format`` forces one adapter for every file. Unchanged files (same content hash) are not
    re-read unless ``force``. ``on_file`` is called once per file (for progress display; it
    may run while the writer thread writes: it must not use ``con``);
    ``on_read()`` once every file is read, while DuckDB may still be writing the last of them
    (and then checkpoints): it lets go of Python's lock meanwhile, for other work of the caller.
    The report names the inputs that matched nothing (``missing``) and, in ``messages``, every
    file with an error or a warning, every notable skip and every folder that could not be read.
    """
    if format is not None:
        registry.get(format)  # raises KeyError with the known names
    found: Discovery = discover(list(paths))
    report = IngestReport(messages=list(found.missing) + list(found.problems), named=found.named,
                          missing=list(found.missing))
    report.errors += len(found.problems)
    known = {} if force else _known_hashes(con)
    jobs: list[Job] = []
    for f in found.files:
        prev = known.get(clean_path(f))
        if prev is not None:
            try:
                if file_sha256(f) == prev:
                    report.count(FileResult(clean_path(f), prev, None, None, "unchanged"))
                    if on_file:
                        on_file(FileResult(clean_path(f), prev, None, None, "unchanged"))
                    continue
            except (OSError, NotRegular):
                pass
        jobs.append((f, format, f in found.explicit))
    if on_total:
        on_total(len(found.files))
    sizes = _sizes(jobs)
    report.workers = _worker_count(workers, jobs, sizes)
    # read here, the files are written by a thread beside the reading (see writer.load), which
    # has time to spare: it checkpoints beside the reading too, as DuckDB's default has it,
    # unless there is much to read (see INGEST_CHECKPOINT_MIN_BYTES)
    reads_here = report.workers == 1
    wal = None if reads_here and sum(sizes) < INGEST_CHECKPOINT_MIN_BYTES else INGEST_CHECKPOINT_WAL
    with (dbmod.memory_capped(con, INGEST_DUCKDB_MEMORY), threads(con, INGEST_DUCKDB_THREADS),
          checkpoints_every(con, wal), fewer_collections()):
        load(con, _results(jobs, report.workers, sizes), report.count, on_file, on_read, threaded=reads_here,
             sizes=sizes)
    return report
