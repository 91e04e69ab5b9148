"""``redline sql``, ``redline trials`` and ``redline show``: reading the database."""

from __future__ import annotations

import json

import click

from .. import db as dbmod
from ..sql import one_line
from .app import db_option, echo, fail, main, open_db


#: characters of one cell shown in a table (--json prints every cell whole)
CELL_CHARS = 2000


@main.command()
@click.argument("query")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print rows as a JSON array of objects.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=0),
              help="Rows to print at most (0: all, streamed).")
def sql(query, db_path, as_json, limit):
    """Run one read-only SQL QUERY against the database and print the result.

    Only a query runs (SELECT, WITH, VALUES, FROM, TABLE, DESCRIBE, SHOW, SUMMARIZE, UNPIVOT,
    EXPLAIN), on the database attached read-only, with no access to files, URLs or extensions;
    anything else is refused with one line (exit status 2). Rows are fetched as they are
    printed, so --limit bounds the memory used. A table shows each cell cut to 2,000
    characters; --json prints cells whole.

    Example: redline sql "SELECT label_id, count(*) FROM current_labels GROUP BY ALL ORDER BY 2 DESC"
    """
    from ..sql import CHUNK_ROWS, ReadOnlyDatabase, SqlError

    try:
        db = ReadOnlyDatabase(db_path)
    except (FileNotFoundError, dbmod.SchemaError) as exc:
        fail(str(exc))
    except Exception as exc:  # duckdb's own: say which file
        fail(f"{db_path}: cannot open database: {one_line(exc)}")
    try:
        cursor = db.execute(query)
        first = cursor.fetch(min(limit, CHUNK_ROWS) if limit else CHUNK_ROWS)
        if as_json:
            _print_json(cursor, first, limit)
        else:
            _print_table(cursor, first, limit)
    except SqlError as exc:
        fail(str(exc))
    finally:
        db.close()


def _rest(cursor, first: list[tuple], limit: int):
    """The first chunk, then chunks up to ``limit`` rows in all (0: every row)."""
    from ..sql import CHUNK_ROWS

    shown = len(first)
    if first:
        yield first
    while not limit or shown < limit:
        rows = cursor.fetch(min(CHUNK_ROWS, limit - shown) if limit else CHUNK_ROWS)
        if not rows:
            return
        shown += len(rows)
        yield rows


def _print_json(cursor, first: list[tuple], limit: int) -> None:
    """A JSON array printed object by object, as the rows arrive."""
    cols = cursor.columns
    opened = False
    for chunk in _rest(cursor, first, limit):
        for row in chunk:
            text = json.dumps(dict(zip(cols, row)), default=str)
            echo(("[\n  " if not opened else ",\n  ") + text, nl=False)
            opened = True
    echo("\n]" if opened else "[]")
    if limit and cursor.fetch(1):
        echo(f"(more rows than --limit {limit}; use --limit 0 to print all)", err=True)


def _print_table(cursor, first: list[tuple], limit: int) -> None:
    """Up to ``limit`` rows in one table; with no limit, one table per chunk of rows."""
    from ..tables import print_rows

    if limit:
        rows = [row for chunk in _rest(cursor, first, limit) for row in chunk]
        print_rows(cursor.columns, rows, cell_chars=CELL_CHARS)
        if cursor.fetch(1):
            echo(f"(more rows than --limit {limit}; use --limit 0 to print all)", err=True)
        return
    printed = False
    for chunk in _rest(cursor, first, 0):
        print_rows(cursor.columns, chunk, cell_chars=CELL_CHARS)
        printed = True
    if not printed:
        print_rows(cursor.columns, [])


@main.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of trial objects.")
@click.option("--format", "fmt", metavar="NAME", help="Only trials of this format.")
def trials(db_path, as_json, fmt):
    """List trials with model, agent, task, outcome and counts."""
    from ..queries import trial_summaries

    con = open_db(db_path, read_only=True)
    try:
        rows = trial_summaries(con, fmt=fmt)
    finally:
        con.close()
    if as_json:
        echo(json.dumps(rows.to_dicts(), indent=2, default=str))
        return
    import polars as pl

    from ..analysis import verdict_text
    from ..tables import print_frame
    from ..text import truncate

    shown = rows.select(
        pl.col("trial_id").str.slice(0, 12).alias("trial"), "format", "model", "agent",
        pl.col("task").map_elements(lambda t: truncate(t, 40, "…"), return_dtype=pl.Utf8).alias("task"),
        "scenario", "outcome", verdict_text().alias("source verdict"), "actions", "errors",
        pl.col("labels").list.join(" ").alias("inferred trial labels"),
    )
    print_frame(shown, title=f"{rows.height} trials")


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
