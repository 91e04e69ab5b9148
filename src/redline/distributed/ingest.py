"""Ingest into a dataset, shard by shard, on any executor (``redline ingest --out DIR``).

The driver (this module) finds the files as the local ingest does, groups the ones to read into
shards (:func:`redline.dataset.layout.plan_shards`) and submits one task per shard
(:func:`.tasks.ingest_shard`: read, label, write the shard's files). It commits each finished
shard to the manifest, so a run that is killed keeps every shard it committed and the next run
reads only the rest:

* a file whose path and hash the dataset already records is skipped (``--force`` reads it
  again); the hashes of known files are computed by tasks too;
* a file whose content changed is read into a new shard, and the shard that held its old rows
  is rewritten without them (:func:`.tasks.rewrite_shard`); the new shard and the rewritten ones
  are committed together, at the end, so a file's trials are never in the dataset twice;
* a shard whose worker died on every attempt is split into one task per file; a file whose
  worker still dies is recorded as an error, as the local ingest records a file it cannot read.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..classifiers.models.available import available_models
from ..classifiers.models.files import TrainedModel
from ..classifiers.registry import active_rules
from ..classifiers.rule import Rule
from ..classifiers.store import changed_rules
from ..dataset.layout import plan_shards, shard_id
from ..dataset.manifest import Shard
from ..dataset.store import Dataset
from ..ingest import registry
from ..convert import clean_path
from ..ingest.discovery import discover
from ..ingest.loader import IngestReport
from ..limits import COMMIT_SECONDS, SHARD_BYTES, SHARD_FILES
from . import tasks
from .executor import Executor, TaskError
from .runs import record_run

#: known files whose hashes one task computes
HASH_CHUNK = 256


@dataclass
class DatasetIngestReport(IngestReport):
    """The local ingest's report, plus what the dataset gained."""

    out: str = ""
    shards: int = 0
    labels: int = 0
    #: shards whose worker died on every attempt, split into one task per file
    split: list[str] = field(default_factory=list)
    #: (ID, version the dataset was labelled with, version now) of changed classifiers
    changed: list[tuple[str, str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return f"{super().summary()}; {self.labels} labels; {self.shards} shards written to {self.out}"


class _Run:
    def __init__(self, ds: Dataset, write: int, executor: Executor, report: DatasetIngestReport,
                 rules: Sequence[Rule], rule_ids: list[str] | None, on_file: Callable[[tasks.FileSummary], None] | None,
                 models: Sequence[TrainedModel] = ()):
        self.ds, self.write, self.executor, self.report = ds, write, executor, report
        self.rules, self.rule_ids, self.on_file, self.models = rules, rule_ids, on_file, list(models)
        self.run_id = ds.next_classify_run()
        self.index = 0
        self.ready: list[Shard] = []
        self.last_commit = time.monotonic()
        self.labelled_trials = 0
        self.labels = 0
        self.started = time.time()

    def next_id(self) -> str:
        sid = shard_id(self.write, self.index)
        self.index += 1
        return sid

    def submit_shard(self, jobs: list[tasks.Job], replaces: bool) -> None:
        sid = self.next_id()
        self.executor.submit(("ingest", sid, replaces, jobs), tasks.ingest_shard, str(self.ds.root), sid,
                             self.write, jobs, self.rule_ids, self.run_id, self.models)

    def count(self, result: tasks.ShardResult) -> None:
        for f in result.files:
            self.report.count(f)
            if self.on_file:
                self.on_file(f)
        self.report.shards += 1
        self.report.labels += result.labels
        if result.shard.label_run is not None:
            self.labelled_trials += result.shard.trials
            self.labels += result.labels

    def commit(self, shards: list[Shard], replaced: dict[str, Shard | None] | None = None) -> None:
        replaced = replaced or {}
        if not shards and not replaced:
            return
        runs_file = record_run(self.ds, self.run_id, self.rules, self.started, self.labelled_trials, self.labels,
                               self.models) \
            if self.labelled_trials else None

        def change(m):
            kept = []
            for s in m.shards:
                if s.id in replaced:
                    if replaced[s.id] is not None and replaced[s.id].files:
                        kept.append(replaced[s.id])
                else:
                    kept.append(s)
            m.shards = kept + list(shards)
            if runs_file:
                m.globals["classify_runs"] = runs_file
                m.classifiers.update({r.id: r.classifier_version for r in self.rules})
        self.ds.commit(change)
        self.last_commit = time.monotonic()

    def flush(self, force: bool = False) -> None:
        if self.ready and (force or time.monotonic() - self.last_commit >= COMMIT_SECONDS):
            self.commit(self.ready)
            self.ready = []


def ingest(
    paths: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    executor: Executor,
    *,
    format: str | None = None,
    force: bool = False,
    rules: Sequence[Rule] | None = None,
    shard_bytes: int = SHARD_BYTES,
    shard_files: int = SHARD_FILES,
    on_total: Callable[[int], None] | None = None,
    on_file: Callable[[tasks.FileSummary], None] | None = None,
    models: Sequence[TrainedModel] | None = None,
) -> DatasetIngestReport:
    """Read transcripts into the dataset ``out`` (created if needed), labelling each shard's
    trials where it was read. ``rules`` default to every active classifier; ``models`` are the
    learned models applied with them, as :func:`redline.classify` applies them to a database
    (None: the available ones, the user's trained models else the shipped defaults; ``()``: none)."""
    if format is not None:
        registry.get(format)  # raises KeyError with the known names
    found = discover(list(paths))
    ds = Dataset.open_or_create(out)
    report = DatasetIngestReport(messages=list(found.missing) + list(found.problems), named=found.named,
                                 missing=list(found.missing), out=str(ds.root))
    report.errors += len(found.problems)
    rule_list = active_rules() if rules is None else list(rules)
    rule_ids = None if rules is None else [r.id for r in rule_list]
    if on_total:
        on_total(len(found.files))
    with ds.writing() as write:
        report.changed = _changed_rules(ds, rule_list)
        run = _Run(ds, write, executor, report, rule_list, rule_ids, on_file,
                   available_models() if models is None else models)
        known = ds.known_files()
        # the dataset records each file under its stored name (as the local ingest does)
        new = [f for f in found.files if clean_path(f) not in known]
        changed = _changed([f for f in found.files if clean_path(f) in known], known, force, executor, report,
                           on_file)

        def jobs(group: list[str]) -> list[tasks.Job]:
            return [(p, format, p in found.explicit) for p in group]
        for replaces, todo in ((False, new), (True, changed)):
            for group in plan_shards([(p, _size(p)) for p in todo], shard_bytes, shard_files):
                run.submit_shard(jobs(group), replaces)
        stale: dict[str, list[str]] = {}
        for path in changed:
            stale.setdefault(known[clean_path(path)].shard, []).append(clean_path(path))
        for sid, drop in stale.items():
            executor.submit(("rewrite", sid), tasks.rewrite_shard, str(ds.root), ds.manifest.shard(sid), write, drop)
        held: list[Shard] = []
        rewritten: dict[str, Shard | None] = {}
        try:
            for done in executor.results():
                kind = done.key[0]
                if kind == "rewrite":
                    if done.died:
                        raise TaskError(f"shard {done.key[1]} could not be rewritten: {done.died}")
                    rewritten[done.key[1]] = done.value
                    continue
                _, sid, replaces, shard_jobs = done.key
                if done.died:
                    if len(shard_jobs) > 1:
                        report.split.append(sid)
                        for job in shard_jobs:
                            run.submit_shard([job], replaces)
                        continue
                    result = tasks.error_shard(str(ds.root), sid, write, shard_jobs[0])
                else:
                    result = done.value
                run.count(result)
                (held if replaces else run.ready).append(result.shard)
                run.flush()
        finally:
            run.flush(force=True)
        run.commit(held, rewritten)
    return report


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _changed(paths: list[str], known, force: bool, executor: Executor, report: DatasetIngestReport,
             on_file) -> list[str]:
    """The known files whose content changed (all of them with ``force``); unchanged ones are
    counted as such."""
    if force:
        return paths
    for i in range(0, len(paths), HASH_CHUNK):
        executor.submit(("hash", i), tasks.hash_files, paths[i:i + HASH_CHUNK])
    changed: list[str] = []
    for done in executor.results():
        if done.died:
            raise TaskError(f"hashing known files failed: {done.died}")
        for path, sha in done.value:
            if sha is not None and sha == known[clean_path(path)].sha256:
                summary = tasks.FileSummary(clean_path(path), "unchanged", None)
                report.count(summary)
                if on_file:
                    on_file(summary)
            else:
                changed.append(path)
    return sorted(changed)


def _changed_rules(ds: Dataset, rules: Sequence[Rule]) -> list[tuple[str, str, str]]:
    con = ds.connect()
    try:
        return changed_rules(con, rules)
    finally:
        con.close()
