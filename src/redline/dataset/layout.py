"""Where a dataset keeps its files, and how a table's rows are selected to be written there.

A dataset is a folder::

    manifest.json                      what is committed (see :mod:`.manifest`)
    trials/0001-00000_w0001.parquet    one file per table per shard
    events/0001-00000_w0001.parquet
    ...
    classify_runs/g000004.parquet      corpus-level tables: one file for the whole dataset
    <table>/_empty.parquet             no rows: every table always has a file with its schema

A *shard* holds every row of a set of transcript files: their ``ingested_files`` rows, their
trials and every row of those trials in every per-trial table, so a trial never spans shards.
Files are never rewritten in place: each write gets a new name (``_w<write>`` is the number of
the redline run that wrote it), the manifest names the files that count, and files no manifest
names are removed by the next writer. Every file's columns and types are those of
:mod:`redline.schema`.
"""

from __future__ import annotations

from .. import schema
from ..grouping import greedy_groups
from ..limits import SHARD_BYTES, SHARD_FILES

#: what the manifest's ``format`` says, and the layout version this redline writes and reads
FORMAT = "redline-dataset"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
#: held (``flock``) by the one process writing a dataset
LOCK = ".lock"
#: where files are written before they are renamed into place
STAGING = "_staging"
#: the zero-row file every table folder holds, so every table has a schema and a file to read
EMPTY = "_empty.parquet"

#: tables whose rows describe the corpus, not one trial: runs, and findings ranked across the
#: whole corpus. Each is one file for the dataset; every other table is sharded.
GLOBAL_TABLES: tuple[str, ...] = ("classify_runs", "findings", "analysis_runs")
TABLES: tuple[str, ...] = tuple(t.name for t in schema.TABLES)
SHARDED_TABLES: tuple[str, ...] = tuple(name for name in TABLES if name not in GLOBAL_TABLES)
#: the per-trial tables ``redline analyse`` writes
ANALYSIS_SHARDED: tuple[str, ...] = tuple(t.name for t in schema.ANALYSIS_TABLES if t.name not in GLOBAL_TABLES)


def shard_id(write: int, index: int) -> str:
    """The ID of the ``index``-th shard created by write ``write``."""
    return f"{write:04d}-{index:05d}"


def shard_file(table: str, shard: str, write: int) -> str:
    """The file (relative to the dataset) holding ``table``'s rows of ``shard``, written by ``write``."""
    return f"{table}/{shard}_w{write:04d}.parquet"


def global_file(table: str, generation: int) -> str:
    """The file holding a corpus-level table as of manifest ``generation``."""
    return f"{table}/g{generation:06d}.parquet"


def empty_file(table: str) -> str:
    return f"{table}/{EMPTY}"


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def select_list(table: str) -> str:
    """Every column of ``table``, in schema order, cast to its schema type: what a file of the
    table holds and what a view over the files shows."""
    return ", ".join(f"CAST({ident(c.name)} AS {c.type}) AS {ident(c.name)}" for c in schema.table(table).columns)


#: the order rows are written in within a file (trial lookups read few row groups)
ORDER_BY: dict[str, str] = {
    "ingested_files": "path", "trials": "trial_id", "events": "trial_id, seq",
    "commands": "trial_id, seq, idx", "labels": "trial_id, seq NULLS FIRST, label_id",
    "classify_runs": "run_id", "episodes": "trial_id, episode_id", "phases": "trial_id, seq",
    "command_categories": "trial_id, seq, idx", "findings": "rank", "analysis_runs": "run_at",
    "human_labels": "trial_id, decision_id", "suggestions": "trial_id, seq, label_id, model",
}


def empty_select(table: str) -> str:
    """A query of no rows with ``table``'s columns and types."""
    cols = ", ".join(f"CAST(NULL AS {c.type}) AS {ident(c.name)}" for c in schema.table(table).columns)
    return f"SELECT {cols} LIMIT 0"


def plan_shards(sizes: list[tuple[str, int]], shard_bytes: int = SHARD_BYTES,
                shard_files: int = SHARD_FILES) -> list[list[str]]:
    """Group files (in the order given) into shards of at most ``shard_bytes`` bytes and
    ``shard_files`` files; a file larger than ``shard_bytes`` makes a shard of its own."""
    return greedy_groups(sizes, shard_bytes, shard_files)
