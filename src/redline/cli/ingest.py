"""``redline ingest``, ``redline formats`` and ``redline audit``: reading transcripts in."""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading

import click

from .app import db_option, echo, fail, main, models_option, open_db, progress, progress_option
from .dataset import engine_options, run_dataset_ingest, shard_bytes, shard_option


#: what classifying imports, when ingest hands over to it in the same process (``--classify``)
#: (not NumPy and the models' scoring: those load once the first batch's rules are done, so that
#: they are not in memory beside the rules' work)
CLASSIFY_MODULES = ("redline.classifiers.store", "redline.classifiers.registry",
                    "redline.classifiers.models.available")


def _import_in_thread(modules) -> threading.Thread:
    """Import ``modules`` in a thread of their own (the caller joins it before using them)."""
    def work() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the caller's own import says what is wrong
                return
    thread = threading.Thread(target=work, name="redline-imports", daemon=True)
    thread.start()
    return thread


def run_ingest(paths, db_path: str, fmt: str | None, workers: int | None, force: bool,
               progress_mode: str | None = None, then=None):
    """Ingest ``paths`` into the database and print the report; ``then(con, report)``, when
    given, runs after the report on the same connection (``--classify``: one open and one
    checkpoint of the database, not one per half). What ``then`` classifies with is imported
    once every file is read, while DuckDB writes the last batches and checkpoints: those hold
    no Python lock, importing holds little else (importing beside the reading slowed both)."""
    from ..ingest import ingest

    # pyarrow, should anything of the ingest load it (its rows need it no longer): its default allocator
    # (mimalloc) keeps freed blocks for reuse; each file's tables are built, written and freed,
    # so the system allocator gives the memory back (peak ~20 MB lower). Read when pyarrow loads.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    con = open_db(db_path, create=True)
    imports: list[threading.Thread] = []

    def on_read() -> None:
        if then is not None:
            imports.append(_import_in_thread(CLASSIFY_MODULES))
    try:
        try:
            with progress("ingest", mode=progress_mode) as bar:
                report = ingest(paths, con, format=fmt, workers=workers, force=force,
                                on_file=lambda _r: bar.advance(), on_total=bar.total, on_read=on_read)
        except KeyError as exc:
            fail(str(exc.args[0]))
        for line in report.messages:
            echo(line, err=True)
        echo(report.summary())
        if then is not None:
            for thread in imports:
                thread.join()
            then(con, report)
    finally:
        con.close()
    return report


def _classify_after(db_path: str, models_dir, no_models: bool, progress_mode: str | None):
    """What ``--classify`` runs once the ingest is reported: a classify of the database on the
    ingest's connection, as ``redline classify`` does."""
    def then(con, report) -> None:
        from ..db import release_memory
        from ..limits import CLASSIFY_EVICT_MEMORY
        from .classify import classify_database

        # the ingest ended with a checkpoint (ingest.writer.checkpoints_every): what it wrote is
        # in the file, so the table blocks DuckDB still holds can go before the classify (which
        # reads again only what it needs): ~4 MB lower at the classify's peak for 1,000 Inspect
        # trials; a database in memory keeps them (they are its only copy: release_memory leaves
        # it). Trials stored just now have no labels: no need to ask whether the labels are
        # current (the run finds what is due, and says the labels are current if nothing is)
        release_memory(con, CLASSIFY_EVICT_MEMORY)
        classify_database(db_path, models_dir, no_models, progress_mode=progress_mode, con=con,
                          maybe_current=not report.trials)
    return then


def exit_status(report, strict: bool) -> int:
    """0, 1 or 2 (see ``EXIT_CODES``) for an ingest report: 2 when nothing the user named
    exists, 1 when part of it does not (or, with ``strict``, when a file could not be read)."""
    if report.named and len(report.missing) == report.named:
        return 2
    if report.missing or (strict and report.errors):
        return 1
    return 0


@main.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--format", "fmt", metavar="NAME", help="Read every file as this format (see `redline formats`).")
@click.option("--workers", "-j", type=click.IntRange(min=1),
              help="Worker processes that read the files (default: one per core, up to 8, for 8 files and 64 MiB "
                   "or more, else none: 1 reads in this process); not with --out.")
@click.option("--force", is_flag=True, help="Re-read files even when their content hash is unchanged.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any file could not be read.")
@click.option("--out", "out", type=click.Path(file_okay=False), metavar="DIR",
              help="Write a Parquet dataset in DIR (created or added to) instead of the database; each "
                   "shard's trials are labelled where they are read.")
@engine_options
@shard_option
@models_option
@click.option("--classify", "then_classify", is_flag=True,
              help="Then classify the database in the same process, as `redline classify` does (only what is "
                   "not current): ingest and classify paying the start-up once.")
@click.option("--no-models", is_flag=True, help="With --out or --classify: label with the rules only, not the "
                                                  "learned models.")
@progress_option
def ingest(paths, db_path, fmt, workers, force, strict, out, engine, ray_address, shard_mb, then_classify, models_dir,
           no_models, progress_mode):
    """Read transcripts into the database, or into a Parquet dataset (--out).

    PATHS are files, directories (read recursively) or glob patterns. Formats are detected by
    content. Unchanged files are skipped by content hash; a changed file replaces its trials.
    A file that cannot be read is reported with the reason and recorded in `ingested_files`;
    the rest are still ingested. Only regular files are read: a pipe, a device or a broken link
    is recorded and named, never opened.

    With --out DIR the files are read in shards, in this process or on a Ray cluster
    (--engine ray), and every shard's trials are labelled as they are read; `redline attach DIR`
    then gives a database to report on. Re-running skips files already in the dataset.

    With --classify the database is classified after the ingest, in the same process
    (`redline ingest PATHS --classify` is `redline ingest PATHS && redline classify`).

    Exit status: 2 when none of PATHS exists, 1 when some do not (or, with --strict, when a
    file or folder could not be read), else 0.
    """
    if out is None and engine == "ray":
        fail("--engine ray writes a dataset: give --out DIR")
    if out is not None and then_classify:
        fail("--classify labels the database; with --out every shard's trials are labelled as they are read")
    if out is not None and workers is not None:
        fail("--workers sets the processes of an ingest into the database; with --out, shards are read "
             "one after the other here, or in parallel with --engine ray")
    if out is not None:
        from .classify import load_models

        models = [] if no_models else load_models(models_dir)
        report = run_dataset_ingest(paths, out, fmt, force, engine, ray_address, shard_bytes(shard_mb), models)
    else:
        then = _classify_after(db_path, models_dir, no_models, progress_mode) if then_classify else None
        report = run_ingest(paths, db_path, fmt, workers, force, progress_mode, then)
    if report.named and len(report.missing) == report.named:
        echo("redline: nothing to ingest: none of the paths given exists", err=True)
    status = exit_status(report, strict)
    if status:
        sys.exit(status)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--markdown", is_flag=True, help="Print a Markdown table (the README's format table).")
def formats(as_json, markdown):
    """List the transcript formats redline reads, in detection order."""
    from ..ingest import FORMATS
    from ..ingest.registry import markdown_table

    if as_json:
        echo(json.dumps([{"name": f.name, "description": f.description} for f in FORMATS], indent=2))
        return
    if markdown:
        echo(markdown_table())
        return
    width = max(len(f.name) for f in FORMATS)
    for f in FORMATS:
        echo(f"{f.name:<{width}}  {f.description}")
