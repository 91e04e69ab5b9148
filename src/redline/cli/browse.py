"""``redline sql``, ``redline trials`` and ``redline show``: reading the database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import click

from .. import db as dbmod
from ..tables import emit_frame, format_option, print_rows
from ..text import json_for_terminal
from .app import db_option, echo, fail, main, open_db


@main.command()
@click.argument("query")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print rows as a JSON array of objects (--format json).")
@format_option
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=0),
              help="Rows to print at most (0: all, streamed).")
def sql(query, db_path, as_json, out_format, limit):
    """Run one read-only SQL QUERY against the database and print the result.

    Only a query runs (SELECT, WITH, VALUES, FROM, TABLE, DESCRIBE, SHOW, SUMMARIZE, UNPIVOT,
    EXPLAIN), on the database attached read-only, with no access to files, URLs or extensions;
    anything else is refused with one line (exit status 2). Rows are fetched as they are
    printed, so --limit bounds the memory used; with --limit 0 a table is printed a chunk of
    rows at a time.

    Example: redline sql "SELECT label_id, count(*) FROM current_labels GROUP BY ALL ORDER BY 2 DESC"
    """
    from ..sql import CHUNK_ROWS, ReadOnlyDatabase, SqlError, one_line

    try:
        db = ReadOnlyDatabase(db_path)
    except (FileNotFoundError, dbmod.SchemaError) as exc:
        fail(str(exc))
    except Exception as exc:  # duckdb's own: say which file
        fail(f"{db_path}: cannot open database: {one_line(exc)}")
    try:
        cursor = db.execute(query)
        first = cursor.fetch(min(limit, CHUNK_ROWS) if limit else CHUNK_ROWS)
        chunks = _chunks(cursor, first, limit)
        fmt = "json" if as_json else out_format
        {"json": _print_json, "csv": _print_csv, "table": _print_table}[fmt](cursor.columns, chunks, limit)
        if limit and cursor.fetch(1):
            echo(f"(more rows than --limit {limit}; use --limit 0 to print all)", err=True)
    except SqlError as exc:
        fail(str(exc))
    finally:
        db.close()


def _chunks(cursor, first: list[tuple], limit: int) -> Iterator[list[tuple]]:
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


def _print_json(columns: list[str], chunks: Iterator[list[tuple]], limit: int) -> None:
    """A JSON array printed object by object, as the rows arrive."""
    opened = False
    for chunk in chunks:
        for row in chunk:
            text = json_for_terminal(json.dumps(dict(zip(columns, row)), default=str, ensure_ascii=False))
            click.echo(("[\n  " if not opened else ",\n  ") + text, nl=False)
            opened = True
    click.echo("\n]" if opened else "[]")


def _print_csv(columns: list[str], chunks: Iterator[list[tuple]], limit: int) -> None:
    """A header line, then the rows as they arrive; lists become ``a; b``."""
    def line(values) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(
            "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v for v in values)
        return buf.getvalue()

    echo(line(columns), nl=False)
    for chunk in chunks:
        echo("".join(line(row) for row in chunk), nl=False)


def _print_table(columns: list[str], chunks: Iterator[list[tuple]], limit: int) -> None:
    """Up to ``limit`` rows in one table; with no limit, one table per chunk of rows."""
    if limit:
        print_rows(columns, [row for chunk in chunks for row in chunk])
        return
    printed = False
    for chunk in chunks:
        print_rows(columns, chunk)
        printed = True
    if not printed:
        print_rows(columns, [])


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
