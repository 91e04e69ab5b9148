"""The work of one shard, as plain functions: what a Ray task (or the local executor) runs.

Each function builds a private in-memory redline database, does what the local commands do in
it with the same code (:func:`redline.ingest.loader.process_file` and
:func:`~redline.ingest.loader.write_batch` to read transcripts, :func:`redline.classifiers.store.classify`
to label them), and writes the result as one shard of a dataset with
:func:`redline.dataset.store.write_shard`, every file renamed into place whole. A task run twice
(Ray retries one whose worker died) writes the same file names with the same rows, so a retry
is harmless. Tasks return small summaries; the driver commits them to the manifest.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from .. import db as dbmod
from ..classifiers.models.files import TrainedModel
from ..classifiers.registry import active_rules, get_rule
from ..classifiers.rule import Rule
from ..classifiers.store import classify
from ..dataset.layout import SHARDED_TABLES, quote
from ..dataset.manifest import Shard
from ..dataset.store import count, shard_summary, write_shard
from ..ingest import loader
from ..ingest.discovery import NotRegular
from ..limits import CLASSIFY_BATCH_TRIALS

#: a transcript file to read: (path, forced format or None, named on the command line)
Job = tuple[str, "str | None", bool]

#: the environment variable an executor sets to the CPUs it gave a task (DuckDB's threads in it)
TASK_THREADS = "REDLINE_TASK_THREADS"


@dataclass
class FileSummary:
    """What became of one transcript file (its ``ingested_files`` row, without the tables): what
    :meth:`redline.ingest.loader.IngestReport.count` reads of a file's result."""

    path: str
    status: str
    error: str | None
    n_trials: int = 0
    n_events: int = 0
    #: a skip worth a line on stderr (as :attr:`redline.ingest.loader.FileResult.notice`)
    notice: bool = False


@dataclass
class ShardResult:
    shard: Shard
    files: list[FileSummary]
    labels: int = 0


@dataclass
class LabelResult:
    shard: str
    #: the new labels file (None: the shard has no labels now), and the trials file it labelled
    labels: str | None
    trials: str | None
    count: int
    #: the new suggestions file (None: the shard has no suggestions now)
    suggestions: str | None = None
    #: suggestions this run wrote
    suggested: int = 0


def _rules(rule_ids: Sequence[str] | None) -> list[Rule]:
    return active_rules() if rule_ids is None else [get_rule(r) for r in rule_ids]


def _workspace() -> duckdb.DuckDBPyConnection:
    """A private, empty redline database in memory (with the threads the task was given)."""
    con = dbmod.connect(":memory:")
    threads = os.environ.get(TASK_THREADS)
    if threads and threads.isdigit():
        con.execute(f"SET threads = {int(threads)}")
    return con


def _summary(result: loader.FileResult) -> FileSummary:
    return FileSummary(result.path, result.status, result.error, result.n_trials, result.n_events, result.notice)


def _relabelled(run_id: int, own_run: int | None, source: str = "labels") -> str:
    """The rows to store of ``source`` (``labels``: ``current_labels``; ``suggestions``: the
    suggestions of complete runs), those of the workspace's own classify run given the
    dataset's run ID."""
    rows = ("SELECT * FROM current_labels" if source == "labels" else
            "SELECT * FROM suggestions WHERE run_id IN (SELECT run_id FROM classify_runs WHERE status = 'complete')")
    if own_run is None:
        return rows
    return (f"SELECT * REPLACE (CASE WHEN run_id = {int(own_run)} THEN {int(run_id)} ELSE run_id END AS run_id) "
            f"FROM ({rows})")


def _sources(run_id: int, own_run: int | None) -> dict[str, str]:
    return {table: _relabelled(run_id, own_run, table) for table in ("labels", "suggestions")}


def load_shard(con: duckdb.DuckDBPyConnection, root: str, tables: dict[str, str]) -> None:
    """Load a shard's files into the workspace's tables; the classify runs its labels came from
    are recorded as complete runs (so ``current_labels`` shows them, as the dataset does)."""
    for table, rel in tables.items():
        con.execute(f"INSERT INTO {table} SELECT * FROM read_parquet({quote(str(Path(root) / rel))})")
    con.execute("INSERT INTO classify_runs (run_id, status) SELECT DISTINCT run_id, 'complete' FROM "
                "(SELECT run_id FROM labels UNION SELECT run_id FROM suggestions) WHERE run_id IS NOT NULL")


def warm() -> int:
    """Load the classifiers in this worker (a worker that starts pays it once); returns how many."""
    return len(active_rules())


def hash_files(paths: Sequence[str]) -> list[tuple[str, str | None]]:
    """(path, SHA-256 or None when it cannot be read) of each file: which files changed."""
    out: list[tuple[str, str | None]] = []
    for path in paths:
        try:
            out.append((path, loader.file_sha256(path)))
        except (OSError, NotRegular):
            out.append((path, None))
    return out


def ingest_shard(root: str, shard_id: str, write: int, jobs: Sequence[Job], rule_ids: Sequence[str] | None,
                 run_id: int, models: Sequence[TrainedModel] = ()) -> ShardResult:
    """Read ``jobs`` as the local ingest does, label their trials (with the rules and the
    learned ``models``), write them as one shard."""
    con = _workspace()
    try:
        summaries: list[FileSummary] = []
        results = (loader.process_file(path, fmt, explicit) for path, fmt, explicit in jobs)
        loader.load(con, results, lambda stored: summaries.append(_summary(stored)))
        own_run, labels = None, 0
        if count(con, "trials"):
            report = classify(con, _rules(rule_ids), models=models)
            own_run, labels = report.run_id, report.labels
        tables = write_shard(con, Path(root), shard_id, write, sources=_sources(run_id, own_run))
        shard = shard_summary(con, shard_id, tables, run_id if labels else None)
        return ShardResult(shard, summaries, labels)
    finally:
        con.close()


def error_shard(root: str, shard_id: str, write: int, job: Job) -> ShardResult:
    """A shard recording one file as an error: the worker reading it died on every attempt,
    recorded as the local ingest records a file whose worker died (:func:`redline.ingest.loader.died`)."""
    con = _workspace()
    try:
        result = loader.died(job)
        loader.write_batch(con, [result])
        tables = write_shard(con, Path(root), shard_id, write)
        return ShardResult(shard_summary(con, shard_id, tables, None), [_summary(result)])
    finally:
        con.close()


def classify_shard(root: str, shard: Shard, write: int, rule_ids: Sequence[str] | None, run_id: int,
                   batch_trials: int = CLASSIFY_BATCH_TRIALS, models: Sequence[TrainedModel] = ()) -> LabelResult:
    """Label a shard's trials again as ``redline classify`` labels a database (``batch_trials``
    at a time, the rules and the learned ``models``): its labels of these classifiers and its
    suggestions of these models are replaced, any others kept. Writes new labels and
    suggestions files."""
    con = _workspace()
    try:
        load_shard(con, root, {t: f for t, f in shard.tables.items()
                               if t in ("trials", "events", "commands", "labels", "human_labels", "suggestions")})
        # a shard is labelled again whole: a dataset keeps no record of which trials are current
        report = classify(con, _rules(rule_ids), batch_trials=batch_trials, models=models, full=True)
        sources = _sources(run_id, report.run_id)
        n = count(con, f"({sources['labels']})")
        written = write_shard(con, Path(root), shard.id, write, tables=("labels", "suggestions"), sources=sources)
        return LabelResult(shard.id, written.get("labels"), shard.tables.get("trials"), n, written.get("suggestions"),
                           report.suggestions)
    finally:
        con.close()


def rewrite_shard(root: str, shard: Shard, write: int, drop: Sequence[str]) -> Shard:
    """The shard without the transcript files ``drop`` (changed files, read again elsewhere):
    their ``ingested_files`` rows and every row of their trials, in every table."""
    con = _workspace()
    try:
        load_shard(con, root, shard.tables)
        con.register("_rl_drop", pa.table({"path": pa.array(list(drop), pa.string())}))
        con.execute("CREATE TEMP TABLE _rl_gone AS SELECT trial_id FROM trials WHERE source_path IN "
                    "(SELECT path FROM _rl_drop)")
        for table in SHARDED_TABLES:
            if table == "ingested_files":
                con.execute("DELETE FROM ingested_files WHERE path IN (SELECT path FROM _rl_drop)")
            elif table != "trials":
                con.execute(f"DELETE FROM {table} WHERE trial_id IN (SELECT trial_id FROM _rl_gone)")
        con.execute("DELETE FROM trials WHERE trial_id IN (SELECT trial_id FROM _rl_gone)")
        tables = write_shard(con, Path(root), shard.id, write)
        return shard_summary(con, shard.id, tables, shard.label_run)
    finally:
        con.close()

