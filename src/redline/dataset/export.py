"""``redline export``: a database's tables as a sharded Parquet dataset.

The transcript files the database recorded are grouped into shards in path order (at most
:data:`~redline.limits.SHARD_BYTES` of transcripts and :data:`~redline.limits.SHARD_FILES` files each, the
same plan the distributed ingest makes), and every per-trial table is written in one pass per
table, partitioned by shard, so a trial and everything about it lands in the shard of its file.
Labels are the current ones (the ``current_labels`` view: the labels of complete classify
runs), with the runs that wrote them in ``classify_runs``. The corpus-level tables
(``classify_runs``, ``findings``, ``analysis_runs``) are one file each.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ..queries import labelled_versions
from ..limits import SHARD_BYTES, SHARD_FILES
from .layout import (GLOBAL_TABLES, ORDER_BY, SHARDED_TABLES, STAGING, global_file,
                     plan_shards, quote, select_list, shard_file, shard_id)
from .manifest import Shard
from .store import Dataset, count, write_table

#: where each table's rows are read from when exported (labels: the current ones only)
SOURCES = {"labels": "current_labels"}


@dataclass
class Exported:
    out: str
    shards: int
    trials: int
    labels: int

    def summary(self) -> str:
        return f"wrote {self.trials} trials and {self.labels} labels in {self.shards} shards to {self.out}"


def _plan(con: duckdb.DuckDBPyConnection, shard_bytes: int, shard_files: int) -> list[list[str]]:
    """Every transcript path the database knows (files, and trials' sources), grouped into shards."""
    sizes = con.execute(
        "SELECT path, max(size) FROM (SELECT path, coalesce(size_bytes, 0) AS size FROM ingested_files "
        "UNION ALL SELECT source_path, 0 FROM trials) GROUP BY path ORDER BY path").fetchall()
    return plan_shards(sizes, shard_bytes, shard_files)


def _partitioned(con: duckdb.DuckDBPyConnection, table: str, staging: Path) -> dict[int, Path]:
    """Write ``table``'s rows partitioned by shard number; returns {shard number: file}."""
    source = SOURCES.get(table, table)
    key = "path" if table == "ingested_files" else "trial_id"
    mapping = "_rl_paths" if table == "ingested_files" else "_rl_trials"
    folder = staging / table
    con.execute(
        f"COPY (SELECT {select_list(table)}, m._shard FROM {source} JOIN {mapping} m USING ({key}) "
        f"ORDER BY {ORDER_BY[table]}) TO {quote(str(folder))} "
        "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (_shard))")
    out: dict[int, Path] = {}
    if not folder.is_dir():
        return out
    for part in folder.iterdir():
        files = sorted(part.glob("*.parquet"))
        number = int(part.name.split("=", 1)[1])
        if len(files) > 1:  # DuckDB split one partition: make it one file
            merged = part / "merged.parquet"
            listed = ", ".join(quote(str(f)) for f in files)
            con.execute(f"COPY (SELECT * FROM read_parquet([{listed}]) ORDER BY {ORDER_BY[table]}) "
                        f"TO {quote(str(merged))} (FORMAT parquet, COMPRESSION zstd)")
            files = [merged]
        out[number] = files[0]
    return out


def write_partitioned(con: duckdb.DuckDBPyConnection, root: Path, write: int, ids: list[str],
                      tables: tuple[str, ...]) -> dict[int, dict[str, str]]:
    """Write each of ``tables`` in one pass, one file per shard, into the dataset at ``root``;
    returns {shard number: {table: file}}. The connection holds temporary tables ``_rl_trials``
    (trial_id, _shard) and, for ``ingested_files``, ``_rl_paths`` (path, _shard): the shard
    number (an index into ``ids``) of each trial and file."""
    staging = root / STAGING / uuid.uuid4().hex
    staging.mkdir(parents=True)
    out: dict[int, dict[str, str]] = {}
    try:
        for table in tables:
            for number, path in _partitioned(con, table, staging).items():
                rel = shard_file(table, ids[number], write)
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, root / rel)
                out.setdefault(number, {})[table] = rel
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def export(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str], *, shard_bytes: int = SHARD_BYTES,
           shard_files: int = SHARD_FILES) -> Exported:
    """Write the database ``con`` holds as a new dataset in ``out`` (a new or empty folder)."""
    ds = Dataset.create(out)
    with ds.writing() as write:
        groups = _plan(con, shard_bytes, shard_files)
        ids = [shard_id(write, i) for i in range(len(groups))]
        paths = pa.table({"path": pa.array([p for g in groups for p in g], pa.string()),
                          "_shard": pa.array([i for i, g in enumerate(groups) for _ in g], pa.int32())})
        con.register("_rl_paths_arrow", paths)
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE _rl_paths AS SELECT * FROM _rl_paths_arrow")
            con.execute("CREATE OR REPLACE TEMP TABLE _rl_trials AS "
                        "SELECT t.trial_id, p._shard FROM trials t JOIN _rl_paths p ON p.path = t.source_path")
            written = write_partitioned(con, ds.root, write, ids, SHARDED_TABLES)
            tables = {i: written.get(i, {}) for i in range(len(groups))}
            shards = _summaries(con, ids, tables)
            generation = ds.manifest.generation + 1
            globals_ = {table: write_table(con, table, ds.root, global_file(table, generation))
                        for table in GLOBAL_TABLES if count(con, table)}
            versions = labelled_versions(con)
        finally:
            for temp in ("_rl_paths", "_rl_trials"):
                con.execute(f"DROP TABLE IF EXISTS {temp}")
            con.unregister("_rl_paths_arrow")

        def change(m):
            m.shards, m.globals, m.classifiers = shards, globals_, versions
        ds.commit(change)
    return Exported(out=str(ds.root), shards=len(shards), trials=sum(s.trials for s in shards),
                    labels=count(con, "current_labels"))


def _summaries(con: duckdb.DuckDBPyConnection, ids: list[str], tables: dict[int, dict[str, str]]) -> list[Shard]:
    """Each shard's manifest entry: its files and counts."""
    def per_shard(query: str) -> dict[int, tuple]:
        return {row[0]: row[1:] for row in con.execute(query).fetchall()}

    files = per_shard("SELECT p._shard, count(*), coalesce(sum(f.size_bytes), 0) FROM ingested_files f "
                      "JOIN _rl_paths p USING (path) GROUP BY 1")
    trials = per_shard("SELECT _shard, count(*) FROM _rl_trials GROUP BY 1")
    events = per_shard("SELECT m._shard, count(*) FROM events JOIN _rl_trials m USING (trial_id) GROUP BY 1")
    runs = per_shard(f"SELECT m._shard, max(l.run_id) FROM {SOURCES['labels']} l JOIN _rl_trials m USING (trial_id) "
                     "GROUP BY 1")
    return [Shard(id=ids[i], tables=tables[i], files=files.get(i, (0, 0))[0], trials=trials.get(i, (0,))[0],
                  events=events.get(i, (0,))[0], bytes=int(files.get(i, (0, 0))[1]), label_run=runs.get(i, (None,))[0])
            for i in range(len(ids))]
