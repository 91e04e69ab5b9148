"""``redline export`` and ``redline attach``: Parquet datasets; and the options the commands
that work on a dataset share (``--engine``, ``--ray-address``, ``--shard-mb``)."""

from __future__ import annotations

import click

from .app import db_option, echo, fail, main, open_db, progress

ENGINES = ("local", "ray")


def engine_options(f):
    """``--engine`` and ``--ray-address``."""
    f = click.option("--ray-address", metavar="ADDR",
                     help="Ray cluster to run on (auto, HOST:PORT, ray://HOST:10001; default: RAY_ADDRESS, "
                          "else a local Ray started for this command).")(f)
    return click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True,
                        help="Where a dataset's shards are processed: in this process, or on Ray "
                             "(pip install 'redline[ray]').")(f)


def shard_option(f):
    return click.option("--shard-mb", type=click.FloatRange(min=0.001), metavar="MB",
                        help="Transcript megabytes per shard (default 64).")(f)


def shard_bytes(shard_mb: float | None) -> int:
    from ..limits import SHARD_BYTES

    return SHARD_BYTES if shard_mb is None else max(1, int(shard_mb * 2**20))


def make_executor(engine: str, address: str | None):
    """The executor of ``--engine``, or one line saying what is missing."""
    from ..distributed import executor

    try:
        return executor(engine, address=address)
    except ImportError as exc:  # ray_engine.RayMissing
        fail(str(exc))
    except Exception as exc:  # ray.init could not reach the cluster
        fail(f"cannot start the Ray engine: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")


@main.command()
@click.argument("out", type=click.Path(file_okay=False))
@db_option
@shard_option
def export(out, db_path, shard_mb):
    """Write the database's tables as a Parquet dataset in OUT (a new or empty folder).

    One folder per table (trials/, events/, commands/, labels/, ingested_files/, and the
    analysis tables), one file per shard; a shard holds every row of a set of transcript files,
    so a trial never spans shards. labels/ holds the current labels (complete classify runs).
    manifest.json names every file and records the schema and classifier versions. Read it with
    `redline attach`, or with any Parquet reader.
    """
    from ..dataset import DatasetError
    from ..dataset import export as run_export

    con = open_db(db_path, read_only=True)
    try:
        result = run_export(con, out, shard_bytes=shard_bytes(shard_mb))
    except DatasetError as exc:
        fail(str(exc))
    finally:
        con.close()
    echo(result.summary())


@main.command()
@click.argument("dataset")
@db_option
def attach(dataset, db_path):
    """Make --db a DuckDB file whose tables are views over the Parquet DATASET.

    DATASET is a folder written by `redline export` or `redline ingest --out`, or its URI in
    object storage (s3://bucket/prefix, gs://bucket/prefix; read through DuckDB's httpfs with
    the credentials DuckDB finds). The views follow the dataset as it grows or is labelled
    again; every command that reads a database works on the file (report, sql, check, trials,
    show, eval, episodes, findings, compare; sql reads the dataset and nothing else). Commands
    that write refuse it: work on the dataset with `ingest --out`, `classify --dataset` and
    `analyse --dataset`.
    """
    from ..dataset import DatasetError
    from ..dataset import attach as run_attach

    try:
        result = run_attach(dataset, db_path)
    except DatasetError as exc:
        fail(str(exc))
    echo(f"{result.db_path}: views over {result.uri} ({result.shards} shards, {result.trials} trials)")


def run_dataset_ingest(paths, out: str, fmt: str | None, force: bool, engine: str, address: str | None,
                       nbytes: int, models=()):
    """``redline ingest --out``: returns the run's report (an ingest report: exit statuses as
    the local ingest's)."""
    from ..dataset import DatasetError
    from ..distributed import TaskError
    from ..distributed.ingest import ingest as run

    executor = make_executor(engine, address)
    try:
        with progress("ingest") as bar:
            report = run(paths, out, executor, format=fmt, force=force, shard_bytes=nbytes,
                         on_total=bar.total, on_file=lambda _f: bar.advance(), models=models)
    except KeyError as exc:
        fail(str(exc.args[0]))
    except (DatasetError, TaskError) as exc:
        fail(str(exc))
    finally:
        executor.close()
    for line in report.messages:
        echo(line, err=True)
    for sid in report.split:
        echo(f"shard {sid}: its worker died on every attempt; its files were read one at a time", err=True)
    if report.changed:
        echo(f"{len(report.changed)} classifiers changed since the dataset was last labelled: "
             + ", ".join(f"{rule_id} ({old} -> {new})" for rule_id, old, new in report.changed)
             + f"; earlier shards keep their labels until 'redline classify --dataset {out}'")
    echo(report.summary())
    return report


def run_dataset_classify(dataset: str, rules, engine: str, address: str | None, batch_trials: int, models=()):
    """``redline classify --dataset``: returns the run's report."""
    from ..dataset import DatasetError
    from ..distributed import TaskError
    from ..distributed.classify import classify as run

    executor = make_executor(engine, address)
    try:
        with progress("classify") as bar:
            report = run(dataset, executor, rules, on_shard=bar.advance, batch_trials=batch_trials, models=models)
    except (DatasetError, TaskError) as exc:
        fail(str(exc))
    finally:
        executor.close()
    return report


def run_dataset_analyse(dataset: str) -> None:
    """``redline analyse --dataset``."""
    from ..dataset import DatasetError
    from ..distributed.analyse import analyse as run

    try:
        report = run(dataset)
    except DatasetError as exc:
        fail(str(exc))
    echo(report.summary())
