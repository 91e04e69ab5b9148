"""``redline report``: the HTML report."""

from __future__ import annotations

from pathlib import Path

import click

from .app import db_option, echo, main, open_db



def run_report(db_path: str, out: str, title: str | None) -> Path:
    from ..reports import write_html

    con = open_db(db_path, read_only=True)
    try:
        path = write_html(con, out, title=title)
    finally:
        con.close()
    echo(f"wrote {path}")
    return path


@main.command()
@db_option
@click.option("--out", "-o", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="HTML file to write.")
@click.option("--title", help="Title shown at the top of the report.")
def report(db_path, out, title):
    """Write a self-contained HTML report (opens offline; all transcript text escaped)."""
    run_report(db_path, out, title)
