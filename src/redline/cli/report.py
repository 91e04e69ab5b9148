"""``redline report``: the HTML report (one file or a static site), or its summary as Markdown or JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .app import db_option, echo, main, open_db


def run_report(db_path: str, out: str, title: str | None, single: bool | None = None) -> Path:
    from ..reports import write_report
    from ..reports.render import is_site

    con = open_db(db_path, read_only=True)
    try:
        path = write_report(con, out, title=title, single=single)
    finally:
        con.close()
    if not is_site(out) and path != Path(out):
        echo(f"{out}: too many trials for one file; wrote a site instead (open {path}; {out} points to it)",
             err=True)
    echo(f"wrote {path}")
    return path


@main.command()
@db_option
@click.option("--out", "-o", type=click.Path(), metavar="PATH",
              help="Where to write: a file (report.html), or a folder ending in / for a static site. "
                   "Default: report.html; for --format md or json, standard output.")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "json"]), default="html", show_default=True,
              help="html: the report; md: a summary for a pull request; json: the summary for a pipeline.")
@click.option("--title", help="Title shown at the top of the report.")
@click.option("--single-file", "single", is_flag=True, default=None,
              help="Write one HTML file even past the size where redline writes a site instead.")
def report(db_path, out, fmt, title, single):
    """Write the audit report: one self-contained HTML file, or a static site for large audits.

    `-o report.html` writes one file that opens offline; past 200 trials or 20,000 steps it writes
    a site into report/ instead (and report.html points to it), unless --single-file. `-o DIR/`
    always writes a site: index.html plus one page per trial, opened from disk. Every transcript
    string is escaped; the pages load nothing from the network.
    """
    if fmt == "html":
        run_report(db_path, out or "report.html", title, single)
        return
    from ..reports.summary import summary_text

    con = open_db(db_path, read_only=True)
    try:
        text = summary_text(con, fmt, title)
    finally:
        con.close()
    if out in (None, "-"):
        sys.stdout.write(text)
        return
    Path(out).write_text(text, encoding="utf-8")
    echo(f"wrote {out}")
