"""``redline audit``: ingest, classify and report in one go."""

from __future__ import annotations

import click

from .analyse import run_analyse
from .app import db_option, fail, main
from .classify import run_classify
from .ingest import run_ingest
from .report import run_report


@main.command()
@click.argument("paths", nargs=-1)
@db_option
@click.option("--out", "-o", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="HTML file to write.")
@click.option("--format", "fmt", metavar="NAME", help="Read every file as this format.")
@click.option("--workers", "-j", type=click.IntRange(min=1), help="Parallel worker processes.")
@click.option("--title", help="Title shown at the top of the report.")
@click.option("--sample", is_flag=True, help="Also audit the sample trials bundled with redline.")
def audit(paths, db_path, out, fmt, workers, title, sample):
    """Ingest PATHS, classify every step, analyse and write the HTML report, in one go.

    With --sample, audits the bundled sample corpus (replication and shutdown-avoidance
    trials of two models) so you can see a report without data of your own.
    """
    paths = list(paths)
    if sample:
        from ..sample import sample_dir

        paths.append(str(sample_dir()))
        title = title or "redline sample audit"
    if not paths:
        fail("give PATHS to audit, or --sample for the bundled sample")
    run_ingest(paths, db_path, fmt, workers, False)
    run_classify(db_path)
    run_analyse(db_path)
    run_report(db_path, out, title)
