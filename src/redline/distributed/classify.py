"""Label a dataset again, shard by shard, on any executor (``redline classify --dataset DIR``).

One recorded classify run, as on a database: each shard's trials are labelled by a task
(:func:`.tasks.classify_shard`) that writes a new labels file for the shard, and when every
shard is done one commit points every shard at its new file and records the run as complete.
Until then the dataset shows the labels it had, as an interrupted ``redline classify`` leaves a
database's labels as they were. The run's progress is kept in the manifest (``pending``): a
run that was killed is resumed by the next one with the same classifiers, which labels only the
shards not done yet.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

from ..classifiers.models.available import available_models
from ..classifiers.models.files import TrainedModel
from ..classifiers.registry import active_rules
from ..classifiers.rule import Rule
from ..classifiers.store import ClassifyReport, changed_rules
from ..dataset.store import Dataset
from ..limits import CLASSIFY_BATCH_TRIALS, PROGRESS_SECONDS
from . import tasks
from .executor import Executor, TaskError
from .runs import record_run


def classify(root: str | os.PathLike[str], executor: Executor, rules: Sequence[Rule] | None = None, *,
             on_shard: Callable[[int], None] | None = None, batch_trials: int = CLASSIFY_BATCH_TRIALS,
             models: Sequence[TrainedModel] | None = None) -> ClassifyReport:
    """Label every shard of the dataset at ``root`` with ``rules`` (default: every active
    classifier) and the learned ``models`` (None: the available ones, as :func:`redline.classify`;
    ``()``: none), ``batch_trials`` of a shard's trials at a time;
    ``on_shard`` gets the trial count of each shard done."""
    rule_list = active_rules() if rules is None else list(rules)
    rule_ids = None if rules is None else [r.id for r in rule_list]
    versions = {r.id: r.classifier_version for r in rule_list}
    models = available_models() if models is None else list(models)
    #: what the run applies, so a resumed run is the same run (the models' versions too)
    applied = {**versions, **{f"model:{m.id}": m.version for m in models}}
    ds = Dataset.open(root)
    with ds.writing() as write:
        con = ds.connect()
        try:
            changed = changed_rules(con, rule_list)
        finally:
            con.close()
        pending = ds.manifest.pending
        if not (pending and pending.get("kind") == "classify" and pending.get("rules") == applied):
            pending = {"kind": "classify", "run_id": ds.next_classify_run(), "rules": applied,
                       "started": time.time(), "done": {}}
        run_id = pending["run_id"]
        ds.commit(lambda m: setattr(m, "pending", pending))
        done: dict[str, dict] = pending["done"]
        report = ClassifyReport(rules=len(rule_list), run_id=run_id, changed=changed)
        trials = {s.id: s.trials for s in ds.manifest.shards}
        for shard in ds.manifest.shards:
            previous = done.get(shard.id)
            if previous is not None and previous.get("trials") == shard.tables.get("trials"):
                continue
            if not shard.trials:
                done[shard.id] = {"labels": None, "suggestions": None, "trials": shard.tables.get("trials"),
                                  "count": 0}
                continue
            executor.submit(shard.id, tasks.classify_shard, str(ds.root), shard, write, rule_ids, run_id, batch_trials,
                            models)
        last = time.monotonic()
        for result in executor.results():
            if result.died:
                ds.commit(lambda m: None)
                raise TaskError(f"shard {result.key} could not be labelled: {result.died}; its labels are "
                                "unchanged, and running the same classify again resumes the run")
            value: tasks.LabelResult = result.value
            done[value.shard] = {"labels": value.labels, "suggestions": value.suggestions, "trials": value.trials,
                                 "count": value.count, "suggested": value.suggested}
            if on_shard:
                on_shard(trials.get(value.shard, 0))
            if time.monotonic() - last >= PROGRESS_SECONDS:
                ds.commit(lambda m: None)  # the pending run's progress, for a resume
                last = time.monotonic()
        report.trials = sum(s.trials for s in ds.manifest.shards)
        report.labels = sum(done[s.id]["count"] for s in ds.manifest.shards if s.id in done)
        runs_file = record_run(ds, run_id, rule_list, pending["started"], report.trials, report.labels, models)
        report.models = len(models)
        report.suggestions = sum(done[s.id].get("suggested", 0) for s in ds.manifest.shards if s.id in done)

        def complete(m):
            for shard in m.shards:
                entry = done[shard.id]
                for table in ("labels", "suggestions"):
                    if entry.get(table):
                        shard.tables[table] = entry[table]
                    else:
                        shard.tables.pop(table, None)
                shard.label_run = run_id if entry["labels"] else shard.label_run
            m.globals["classify_runs"] = runs_file
            m.classifiers.update(versions)
            m.pending = None
        ds.commit(complete)
    return report
