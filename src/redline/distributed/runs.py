"""The ``classify_runs`` rows of a dataset: one per classify run that labelled any of its shards."""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb

from ..classifiers.models.files import TrainedModel
from ..classifiers.rule import Rule
from ..dataset.layout import global_file, quote
from ..dataset.store import Dataset, write_table


def record_run(ds: Dataset, run_id: int, rules: Sequence[Rule], started: float, trials: int, labels: int,
               models: Sequence[TrainedModel] = ()) -> str:
    """Write the dataset's ``classify_runs`` with run ``run_id`` recorded as complete (replacing
    an earlier row of the same run); returns the new file, for the next commit to name."""
    versions = json.dumps({**{r.id: r.classifier_version for r in rules},
                           **{f"model:{m.id}": m.version for m in models}})
    row = (f"SELECT CAST({int(run_id)} AS INTEGER) AS run_id, CAST(to_timestamp({float(started)}) AS TIMESTAMP) "
           f"AS started_at, CAST(current_timestamp AS TIMESTAMP) AS ended_at, 'complete' AS status, "
           f"CAST({quote(versions)} AS JSON) AS rules, CAST({int(trials)} AS INTEGER) AS trials, "
           f"CAST({int(labels)} AS BIGINT) AS labels, CAST({quote(versions)} AS JSON) AS current, "
           "CAST(NULL AS VARCHAR) AS code")
    source = f"SELECT * FROM ({ds.source('classify_runs')}) WHERE run_id <> {int(run_id)} UNION ALL {row}"
    con = duckdb.connect()
    try:
        return write_table(con, "classify_runs", ds.root, global_file("classify_runs", ds.manifest.generation + 1),
                           source=source)
    finally:
        con.close()
