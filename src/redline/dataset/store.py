"""A dataset folder: creating and opening it, writing its files, committing, cleaning up.

One process writes a dataset at a time (:meth:`Dataset.writing` holds a lock on it); any number
may read it. Writers follow one protocol, so that a reader never sees half of a write and a
writer killed at any moment leaves the dataset as it was before that write:

1. every Parquet file is written under ``_staging/`` and renamed into its table's folder under a
   name never used before (:func:`write_table`);
2. the manifest, replaced atomically, is the commit (:meth:`Dataset.commit`): a file counts only
   once the manifest names it;
3. files no manifest names (left by a killed writer, or superseded by a commit) are removed when
   a writer starts and when it finishes (:meth:`Dataset.collect_garbage`).

Workers of a distributed run write their shards' files themselves (steps 1), on a filesystem
every worker and the driver see; the driver commits (step 2).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .. import db as dbmod
from ..files import write_whole
from ..migrations import dataset_readable, dataset_versions
from .attach import create_views, snapshot_sources
from ..limits import MANIFEST_MAX_BYTES
from .layout import (EMPTY, LOCK, MANIFEST, ORDER_BY, SHARDED_TABLES, STAGING, TABLES,
                     empty_file, empty_select, quote, select_list, shard_file)
from .manifest import DatasetError, Manifest, Shard, now


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("redline")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "unknown"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(con: duckdb.DuckDBPyConnection, query: str, root: Path, rel: str) -> str:
    """Write the rows of ``query`` to ``root/rel`` as Parquet, atomically: written under
    ``_staging/`` and renamed into place (a file of that name is replaced whole). Returns ``rel``."""
    staging = root / STAGING
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f"{uuid.uuid4().hex}.parquet"
    try:
        con.execute(f"COPY ({query}) TO {quote(str(tmp))} (FORMAT parquet, COMPRESSION zstd)")
        _fsync(tmp)
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return rel


def write_table(con: duckdb.DuckDBPyConnection, table: str, root: Path, rel: str, source: str | None = None) -> str:
    """Write ``table``'s rows (or those of the query ``source``, which has the table's columns)
    to ``root/rel``, with the schema's columns and types, in :data:`~.layout.ORDER_BY` order."""
    src = table if source is None else f"({source})"
    return write_file(con, f"SELECT {select_list(table)} FROM {src} ORDER BY {ORDER_BY[table]}", root, rel)


def count(con: duckdb.DuckDBPyConnection, source: str) -> int:
    return con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0]


@dataclass
class KnownFile:
    """A transcript file the dataset holds: its recorded hash and the shard holding its rows."""

    sha256: str | None
    shard: str


class Dataset:
    """A dataset folder on a filesystem this process can write (local or shared)."""

    def __init__(self, root: str | os.PathLike[str], manifest: Manifest):
        self.root = Path(root).resolve()
        self.manifest = manifest

    # ------------------------------------------------------------------ opening

    @classmethod
    def create(cls, root: str | os.PathLike[str]) -> Dataset:
        """A new, empty dataset in ``root`` (which must not exist, or be an empty folder)."""
        path = Path(root)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise DatasetError(f"{root}: exists and is not an empty folder; name a new folder for the dataset")
        path.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect()
        try:
            for table in TABLES:
                write_file(con, empty_select(table), path.resolve(), empty_file(table))
        finally:
            con.close()
        ds = cls(path, Manifest(schema_version=dbmod.SCHEMA_VERSION, redline_version=_version()))
        ds._write_manifest()
        return ds

    @classmethod
    def open(cls, root: str | os.PathLike[str]) -> Dataset:
        path = Path(root)
        if not (path / MANIFEST).is_file():
            what = "no such folder" if not path.exists() else f"no {MANIFEST} in it"
            raise DatasetError(f"{root}: not a redline dataset ({what})")
        manifest = cls._read(path)
        if not dataset_readable(manifest.schema_version):
            raise DatasetError(
                f"{root}: a dataset of schema version {manifest.schema_version}; this redline writes version "
                f"{dbmod.SCHEMA_VERSION} and reads versions {dataset_versions()}. Datasets are not migrated in "
                "place: attach it with the redline that wrote it and export it again from a database")
        return cls(path, manifest)

    @classmethod
    def open_or_create(cls, root: str | os.PathLike[str]) -> Dataset:
        path = Path(root)
        if (path / MANIFEST).is_file():
            return cls.open(path)
        return cls.create(path)

    @staticmethod
    def _read(root: Path) -> Manifest:
        where = str(root / MANIFEST)
        try:
            text = (root / MANIFEST).read_text(encoding="utf-8")
        except OSError as exc:
            raise DatasetError(f"{where}: cannot read the manifest: {exc.strerror or exc}") from None
        return Manifest.from_json(text, where)

    # ------------------------------------------------------------------ writing

    @contextmanager
    def writing(self) -> Iterator[int]:
        """Hold the dataset for one writing run; yields the run's write number (its files'
        names carry it). Files left by an earlier, killed writer are removed first, and files
        this run's commits superseded are removed when it finishes."""
        fd = os.open(self.root / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise DatasetError(f"{self.root}: another redline is writing this dataset; wait for it to finish") \
                    from None
            self.manifest = self._read(self.root)
            self.collect_garbage()
            write = self.manifest.next_write
            self.commit(lambda m: setattr(m, "next_write", write + 1))
            yield write
            self.collect_garbage()
        finally:
            os.close(fd)  # releases the lock

    def commit(self, change: Callable[[Manifest], None]) -> None:
        """Apply ``change`` to the manifest and replace the manifest file atomically."""
        change(self.manifest)
        self.manifest.generation += 1
        self.manifest.updated_at = now()
        self.manifest.redline_version = _version()
        self._write_manifest()

    def _write_manifest(self) -> None:
        text = self.manifest.to_json()
        if len(text.encode("utf-8")) > MANIFEST_MAX_BYTES:
            raise DatasetError(f"{self.root}: the manifest would exceed {MANIFEST_MAX_BYTES >> 20} MiB "
                               f"({len(self.manifest.shards)} shards); write larger shards (--shard-mb)")
        write_whole(self.root / MANIFEST, text, durable=True)

    def collect_garbage(self) -> int:
        """Remove files no manifest names and the staging folder; returns the files removed."""
        keep = self.manifest.referenced()
        removed = 0
        for table in TABLES:
            folder = self.root / table
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                rel = f"{table}/{path.name}"
                if path.name != EMPTY and rel not in keep and path.is_file():
                    path.unlink(missing_ok=True)
                    removed += 1
        shutil.rmtree(self.root / STAGING, ignore_errors=True)
        # a manifest's temporary file left by a writer that died (and by older redlines' writer)
        for stale in [*self.root.glob(f".{MANIFEST}.*.tmp"), *self.root.glob(f"{MANIFEST}.*.tmp")]:
            stale.unlink(missing_ok=True)
        return removed

    # ------------------------------------------------------------------ reading

    def path(self, rel: str) -> str:
        return str(self.root / rel)

    def files(self, table: str) -> list[str]:
        """The committed files of ``table``, as absolute paths."""
        return [self.path(rel) for rel in self.manifest.files()[table]]

    def source(self, table: str) -> str:
        """A ``read_parquet`` of ``table``'s committed files, with its schema columns."""
        files = ", ".join(quote(f) for f in self.files(table))
        return f"SELECT {select_list(table)} FROM read_parquet([{files}])"

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection whose tables are views over this dataset's committed
        files as they are now (the views :mod:`.attach` makes, on a snapshot)."""
        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{dbmod.MEMORY_LIMIT}'")
        create_views(con, snapshot_sources({table: self.files(table) for table in TABLES}))
        return con

    def known_files(self) -> dict[str, KnownFile]:
        """Every transcript file the dataset records (``ingested_files``): path -> hash, shard."""
        owner = {self.path(s.tables["ingested_files"]): s.id for s in self.manifest.shards
                 if "ingested_files" in s.tables}
        if not owner:
            return {}
        con = duckdb.connect()
        try:
            files = ", ".join(quote(f) for f in owner)
            rows = con.execute(f"SELECT path, sha256, filename FROM read_parquet([{files}], filename=true)").fetchall()
        finally:
            con.close()
        return {path: KnownFile(sha, owner[filename]) for path, sha, filename in rows}

    def next_classify_run(self) -> int:
        """The ID the next classify run over this dataset takes."""
        con = duckdb.connect()
        try:
            last = con.execute(f"SELECT max(run_id) FROM ({self.source('classify_runs')})").fetchall()[0][0]
        finally:
            con.close()
        pending = (self.manifest.pending or {}).get("run_id") or 0
        return max(last or 0, pending) + 1


def shard_summary(con: duckdb.DuckDBPyConnection, shard_id: str, tables: dict[str, str],
                  label_run: int | None) -> Shard:
    """The manifest entry of a shard whose rows are the tables of ``con``."""
    files, nbytes = con.execute("SELECT count(*), coalesce(sum(size_bytes), 0) FROM ingested_files").fetchall()[0]
    return Shard(id=shard_id, tables=tables, files=files, trials=count(con, "trials"), events=count(con, "events"),
                 bytes=int(nbytes), label_run=label_run)


def write_shard(con: duckdb.DuckDBPyConnection, root: Path, shard_id: str, write: int,
                tables: tuple[str, ...] = SHARDED_TABLES, sources: dict[str, str] | None = None) -> dict[str, str]:
    """Write the rows ``con`` holds in ``tables`` as shard ``shard_id`` of write ``write``;
    returns {table: file} for the tables that have rows. ``sources`` gives a query to read a
    table's rows from instead of the table (``labels`` from ``current_labels``, say)."""
    sources = sources or {}
    written = {}
    for table in tables:
        src = sources.get(table, table)
        if count(con, f"({src})" if src != table else table):
            written[table] = write_table(con, table, root, shard_file(table, shard_id, write),
                                         source=src if src != table else None)
    return written


__all__ = ["Dataset", "DatasetError", "KnownFile", "shard_summary", "write_file", "write_shard",
           "write_table"]
