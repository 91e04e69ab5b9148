"""``redline audit``: ingest, classify, analyse and report in one go (:func:`redline.audit`)."""

from __future__ import annotations

import sys

import click

from .. import audit as run_audit
from .. import db as dbmod
from .app import db_option, echo, fail, main, progress, progress_option


@main.command()
@click.argument("paths", nargs=-1)
@db_option
@click.option("--out", "-o", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="HTML file to write.")
@click.option("--format", "fmt", metavar="NAME", help="Read every file as this format.")
@click.option("--workers", "-j", type=click.IntRange(min=1), help="Parallel worker processes.")
@click.option("--title", help="Title shown at the top of the report.")
@click.option("--sample", is_flag=True, help="Also audit the sample trials bundled with redline.")
@progress_option
def audit(paths, db_path, out, fmt, workers, title, sample, progress_mode):
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
    missing = []
    with progress("ingest", mode=progress_mode) as bar:
        def ingested(report) -> None:
            for line in report.messages:
                echo(line, err=True)
            if report.named and len(report.missing) == report.named:
                fail("nothing to audit: none of the paths given exists")
            missing.extend(report.missing)
            echo(report.summary())
            bar.stage("classify")

        def classified(report) -> None:
            echo(report.summary())
            bar.stage("analyse")

        try:
            path = run_audit(paths, db_path, out, title=title, format=fmt, workers=workers,
                             on_file=lambda _r: bar.advance(), on_total=bar.total, on_ingest=ingested,
                             on_classify=classified, on_analyse=lambda report: echo(report.summary()),
                             on_batch=bar.advance)
        except KeyError as exc:  # an unknown --format
            fail(str(exc.args[0]))
        except dbmod.SchemaError as exc:
            fail(str(exc))
        except Exception as exc:  # DuckDB's own errors: say which file (DuckDB is imported by then)
            import duckdb

            if not isinstance(exc, duckdb.Error):
                raise
            fail(f"{db_path}: {str(exc).splitlines()[0]}")
    echo(f"wrote {path}")
    if missing:
        sys.exit(1)
