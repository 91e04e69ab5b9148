"""``redline ingest``, ``redline formats`` and ``redline audit``: reading transcripts in."""

from __future__ import annotations

import json
import sys

import click

from .app import db_option, echo, fail, main, open_db, progress, progress_option



def run_ingest(paths, db_path: str, fmt: str | None, workers: int | None, force: bool,
               progress_mode: str | None = None):
    from ..ingest import ingest

    con = open_db(db_path, create=True)
    try:
        with progress("ingest", mode=progress_mode) as bar:
            report = ingest(paths, con, format=fmt, workers=workers, force=force,
                            on_file=lambda _r: bar.advance(), on_total=bar.total)
    except KeyError as exc:
        fail(str(exc.args[0]))
    finally:
        con.close()
    for line in report.messages:
        echo(line, err=True)
    echo(report.summary())
    return report


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
@click.option("--workers", "-j", type=click.IntRange(min=1), help="Parallel worker processes (default: up to the CPU count).")
@click.option("--force", is_flag=True, help="Re-read files even when their content hash is unchanged.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any file could not be read.")
@progress_option
def ingest(paths, db_path, fmt, workers, force, strict, progress_mode):
    """Read transcripts into the database.

    PATHS are files, directories (read recursively) or glob patterns. Formats are detected by
    content. Unchanged files are skipped by content hash; a changed file replaces its trials.
    A file that cannot be read is reported with the reason and recorded in `ingested_files`;
    the rest are still ingested. Only regular files are read: a pipe, a device or a broken link
    is recorded and named, never opened.

    Exit status: 2 when none of PATHS exists, 1 when some do not (or, with --strict, when a
    file or folder could not be read), else 0.
    """
    report = run_ingest(paths, db_path, fmt, workers, force, progress_mode)
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
