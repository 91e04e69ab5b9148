"""``redline analyse --dataset DIR``: the analysis of a whole dataset, stored in the dataset.

Episodes, phases and command categories are per trial, but findings are not: they rank every
step against the whole corpus (how rare a behaviour is across all trials and within a task, the
repeats of one subject, trials unlike their peers). So the analysis runs once, in this process,
over the whole dataset read through views (:meth:`redline.dataset.store.Dataset.connect`), with
the same code as on a database (:func:`redline.analysis.store.analyse`); it needs the memory the
same analysis of a database that size needs. Its per-trial tables are then written into the
shards of their trials, findings and ``analysis_runs`` as corpus-level files, in one commit.
"""

from __future__ import annotations

import os

import pyarrow as pa

from .. import schema
from ..analysis.store import AnalyseReport
from ..analysis.store import analyse as run_analysis
from ..dataset.export import write_partitioned
from ..dataset.layout import ANALYSIS_SHARDED, global_file, quote
from ..dataset.store import Dataset, write_table

#: the tables the analysis writes into its workspace, and keeps from earlier runs
_OUTPUTS = tuple(schema.ANALYSIS_TABLES) + (schema.table("analysis_runs"),)


def analyse(root: str | os.PathLike[str]) -> AnalyseReport:
    """Run the analysis over the dataset at ``root`` and store its tables there."""
    ds = Dataset.open(root)
    with ds.writing() as write:
        con = ds.connect()
        try:
            earlier_runs = ds.source("analysis_runs")
            for table in _OUTPUTS:
                con.execute(f"DROP VIEW {table.name}")
                for statement in table.create_sql():
                    con.execute(statement)
            con.execute(f"INSERT INTO analysis_runs SELECT * FROM ({earlier_runs})")
            report = run_analysis(con)
            shards = [s for s in ds.manifest.shards if "trials" in s.tables]
            owner = pa.table({"filename": pa.array([ds.path(s.tables["trials"]) for s in shards], pa.string()),
                              "_shard": pa.array(range(len(shards)), pa.int32())})
            con.register("_rl_owner", owner)
            files = ", ".join(quote(f) for f in owner.column("filename").to_pylist())
            con.execute("CREATE TEMP TABLE _rl_trials AS SELECT t.trial_id, o._shard FROM "
                        f"read_parquet([{files}], filename=true) t JOIN _rl_owner o USING (filename)"
                        if shards else "CREATE TEMP TABLE _rl_trials (trial_id VARCHAR, _shard INTEGER)")
            written = write_partitioned(con, ds.root, write, [s.id for s in shards], ANALYSIS_SHARDED)
            generation = ds.manifest.generation + 1
            globals_ = {name: write_table(con, name, ds.root, global_file(name, generation))
                        for name in ("findings", "analysis_runs")}
        finally:
            con.close()

        def change(m):
            index = {s.id: i for i, s in enumerate(shards)}
            for shard in m.shards:
                for table in ANALYSIS_SHARDED:
                    shard.tables.pop(table, None)
                if shard.id in index:
                    shard.tables.update(written.get(index[shard.id], {}))
            m.globals.update(globals_)
        ds.commit(change)
    return report
