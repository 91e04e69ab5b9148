"""``redline sql``, ``redline trials`` and ``redline show``: reading the database."""

from __future__ import annotations

import click

from ..tables import emit_frame, format_option
from .app import db_option, echo, fail, main, open_db


@main.command()
@click.argument("query")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print rows as a JSON array of objects (--format json).")
@format_option
@click.option("--limit", default=200, show_default=True, help="Rows to print at most (0: all).")
def sql(query, db_path, as_json, out_format, limit):
    """Run a read-only SQL QUERY against the database and print the result.

    Example: redline sql "SELECT label_id, count(*) FROM current_labels GROUP BY ALL ORDER BY 2 DESC"
    """
    import duckdb

    con = open_db(db_path, read_only=True)
    try:
        try:
            rel = con.sql(query)
        except duckdb.Error as exc:
            fail(str(exc).splitlines()[0])
        if rel is None:
            echo("ok")
            return
        df = rel.pl()
    finally:
        con.close()
    shown = df if not limit else df.head(limit)
    emit_frame(shown, "json" if as_json else out_format)
    if limit and df.height > limit:
        echo(f"({df.height - limit} more rows; use --limit 0 to print all)", err=True)


@main.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of trial objects, every field.")
@format_option
@click.option("--source-format", "fmt", metavar="NAME", help="Only trials read with this format (redline formats).")
def trials(db_path, as_json, out_format, fmt):
    """List trials with model, agent, task, outcome and counts."""
    from ..queries import trial_summaries

    con = open_db(db_path, read_only=True)
    try:
        rows = trial_summaries(con, fmt=fmt)
    finally:
        con.close()
    if as_json or out_format != "table":
        emit_frame(rows, "json" if as_json else out_format)
        return
    import polars as pl

    from ..analysis import verdict_text
    from ..text import truncate

    shown = rows.select(
        pl.col("trial_id").str.slice(0, 12).alias("trial"), "format", "model", "agent",
        pl.col("task").map_elements(lambda t: truncate(t, 40, "…"), return_dtype=pl.Utf8).alias("task"),
        "scenario", "outcome", verdict_text().alias("source verdict"), "actions", "errors",
        pl.col("labels").list.join(" ").alias("inferred trial labels"),
    )
    emit_frame(shown, out_format, title=f"{rows.height} trials")


@main.command()
@click.argument("trial")
@db_option
@click.option("--full", is_flag=True, help="Do not shorten long texts.")
def show(trial, db_path, full):
    """Print one TRIAL's steps readably (TRIAL: an ID or a unique ID prefix)."""
    from ..queries import resolve_trial
    from ..tables import print_trial

    con = open_db(db_path, read_only=True)
    try:
        try:
            trial_id = resolve_trial(con, trial)
        except LookupError as exc:
            fail(str(exc))
        print_trial(con, trial_id, full=full)
    finally:
        con.close()
