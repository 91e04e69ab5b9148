"""The manifest: the one file that says what a dataset holds.

``manifest.json`` is the commit point of every write: a shard's files are renamed into place
first, and count only once the manifest names them. It is replaced atomically (written to a
temporary name, then renamed), so a reader sees the old manifest or the new one, never a mix.

Fields (``format_version`` 1)::

    format, format_version     "redline-dataset", 1
    schema_version             the redline schema version of every file (redline.db.SCHEMA_VERSION)
    redline_version            the redline that last wrote it
    created_at, updated_at     UTC times
    generation                 increases by one on every commit
    next_write                 the number the next writing run takes (file names carry it)
    classifiers                {label ID: version} of the latest complete classify run
    shards                     [{id, tables: {table: file}, files, trials, events, bytes, label_run}]
    globals                    {table: file} of the corpus-level tables
    pending                    an unfinished classify run (resumed by the next one), or null
    files                      {table: [file, ...]}: every file of each table, for readers

Paths are relative to the dataset's folder. ``files`` is what any engine needs to read a
table: ``read_parquet([DIR/f for f in files["events"]])``; globbing ``DIR/events/*.parquet``
gives the same rows whenever no writer is running.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from .layout import FORMAT, FORMAT_VERSION, GLOBAL_TABLES, TABLES, empty_file


class DatasetError(RuntimeError):
    """Not a dataset, a dataset this redline cannot read or write, or one being written."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Shard:
    """One shard: the file of each of its tables, and what it holds."""

    id: str
    tables: dict[str, str]
    #: transcript files recorded in it (``ingested_files`` rows)
    files: int = 0
    trials: int = 0
    events: int = 0
    #: bytes of those transcript files
    bytes: int = 0
    #: the classify run whose labels its ``labels`` file holds
    label_run: int | None = None


@dataclass
class Manifest:
    schema_version: int
    redline_version: str
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    generation: int = 0
    next_write: int = 1
    classifiers: dict[str, str] = field(default_factory=dict)
    shards: list[Shard] = field(default_factory=list)
    globals: dict[str, str] = field(default_factory=dict)
    pending: dict[str, Any] | None = None

    def shard(self, shard_id: str) -> Shard:
        for s in self.shards:
            if s.id == shard_id:
                return s
        raise KeyError(f"no shard {shard_id}")

    def files(self) -> dict[str, list[str]]:
        """Every committed file of every table (the zero-row file first)."""
        out: dict[str, list[str]] = {t: [empty_file(t)] for t in TABLES}
        for shard in self.shards:
            for table, path in shard.tables.items():
                out[table].append(path)
        for table, path in self.globals.items():
            out[table].append(path)
        return out

    def referenced(self) -> set[str]:
        """Every file the dataset still needs: committed ones and those of a pending run."""
        names = {path for paths in self.files().values() for path in paths}
        if self.pending:
            names |= {done["labels"] for done in self.pending.get("done", {}).values() if done.get("labels")}
        return names

    def to_json(self) -> str:
        data = {"format": FORMAT, "format_version": FORMAT_VERSION, **asdict(self), "files": self.files()}
        return json.dumps(data, indent=1, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise DatasetError(f"{where}: the manifest is not JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DatasetError(f"{where}: not a redline dataset manifest")
        if data.get("format_version") != FORMAT_VERSION:
            raise DatasetError(f"{where}: dataset layout version {data.get('format_version')}; this redline "
                               f"reads version {FORMAT_VERSION}")
        try:
            shards = [Shard(**s) for s in data["shards"]]
            globals_ = {t: p for t, p in data.get("globals", {}).items() if t in GLOBAL_TABLES}
            return cls(schema_version=int(data["schema_version"]), redline_version=str(data["redline_version"]),
                       created_at=data["created_at"], updated_at=data["updated_at"],
                       generation=int(data["generation"]), next_write=int(data["next_write"]),
                       classifiers=dict(data.get("classifiers") or {}), shards=shards, globals=globals_,
                       pending=data.get("pending"))
        except (KeyError, TypeError, ValueError) as exc:
            raise DatasetError(f"{where}: the manifest is damaged ({type(exc).__name__}: {exc})") from None
