"""The ``redline`` command: a thin layer over the library.

Each command parses its options, calls one library function and prints the result.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import db as dbmod

DB_HELP = f"DuckDB database file (default: ./{dbmod.DEFAULT_DB})."


def _db_option(f):
    return click.option("--db", "db_path", default=dbmod.DEFAULT_DB, show_default=True,
                        type=click.Path(dir_okay=False), help=DB_HELP)(f)


def _interactive() -> bool:
    return sys.stderr.isatty()


@contextmanager
def _progress(description: str, total: int | None = None):
    """A rich progress bar on a terminal; nothing when output is not a terminal."""
    if not _interactive():
        class _Quiet:
            def advance(self, n: int = 1) -> None: ...
            def total(self, n: int) -> None: ...
        yield _Quiet()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), transient=True, console=None) as progress:
        task = progress.add_task(description, total=total)

        class _Bar:
            def advance(self, n: int = 1) -> None:
                progress.advance(task, n)

            def total(self, n: int) -> None:
                progress.update(task, total=n)

        yield _Bar()


def _fail(message: str) -> None:
    click.echo(f"redline: {message}", err=True)
    sys.exit(2)


def _open(db_path: str, read_only: bool = False):
    try:
        return dbmod.connect(db_path, read_only=read_only)
    except (FileNotFoundError, dbmod.SchemaError) as exc:
        _fail(str(exc))
    except Exception as exc:  # duckdb.IOException and friends: say which file
        _fail(f"{db_path}: cannot open database: {exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="redline")
def main() -> None:
    """Audit recorded AI-agent trials.

    redline reads agent transcripts into a DuckDB database (ingest), labels the behaviours on
    every step (classify), and writes a self-contained HTML report (report). `redline audit`
    does all three. Open the database with any DuckDB client, or query it with `redline sql`.
    """


# ------------------------------------------------------------------------------- ingest


def _run_ingest(paths, db_path: str, fmt: str | None, workers: int | None, force: bool) -> int:
    from .ingest import ingest

    con = _open(db_path)
    try:
        with _progress("ingest") as bar:
            report = ingest(paths, con, format=fmt, workers=workers, force=force,
                            on_file=lambda _r: bar.advance(), on_total=bar.total)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    finally:
        con.close()
    for line in report.messages:
        click.echo(line, err=True)
    click.echo(report.summary())
    return report.errors


@main.command()
@click.argument("paths", nargs=-1, required=True)
@_db_option
@click.option("--format", "fmt", metavar="NAME", help="Read every file as this format (see `redline formats`).")
@click.option("--workers", "-j", type=click.IntRange(min=1), help="Parallel worker processes (default: up to the CPU count).")
@click.option("--force", is_flag=True, help="Re-read files even when their content hash is unchanged.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when any file could not be read.")
def ingest(paths, db_path, fmt, workers, force, strict):
    """Read transcripts into the database.

    PATHS are files, directories (read recursively) or glob patterns. Formats are detected by
    content. Unchanged files are skipped by content hash; a changed file replaces its trials.
    A file that cannot be read is reported with the reason and recorded in `ingested_files`;
    the rest are still ingested.
    """
    errors = _run_ingest(paths, db_path, fmt, workers, force)
    if strict and errors:
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@click.option("--markdown", is_flag=True, help="Print a Markdown table (the README's format table).")
def formats(as_json, markdown):
    """List the transcript formats redline reads, in detection order."""
    from .ingest import FORMATS
    from .ingest.registry import markdown_table

    if as_json:
        click.echo(json.dumps([{"name": f.name, "description": f.description} for f in FORMATS], indent=2))
        return
    if markdown:
        click.echo(markdown_table())
        return
    width = max(len(f.name) for f in FORMATS)
    for f in FORMATS:
        click.echo(f"{f.name:<{width}}  {f.description}")


# ------------------------------------------------------------------------------- classify


def _run_classify(db_path: str, only: tuple[str, ...] = ()) -> None:
    from .classifiers import classify as run
    from .classifiers.registry import active_rules, get_rule

    rules = active_rules()
    if only:
        try:
            rules = [get_rule(r) for r in only]
        except KeyError as exc:
            _fail(str(exc.args[0]))
    con = _open(db_path)
    try:
        total = con.execute("SELECT count(*) FROM trials").fetchall()[0][0]
        with _progress("classify", total) as bar:
            report = run(con, rules, on_batch=bar.advance)
    finally:
        con.close()
    click.echo(report.summary())


@main.command()
@_db_option
@click.option("--rule", "only", multiple=True, metavar="ID", help="Run only this classifier (repeatable).")
def classify(db_path, only):
    """Label behaviours on the stored steps.

    Works from the database alone (no re-ingest). Re-running replaces the labels of the same
    classifier versions, so it never duplicates them.
    """
    _run_classify(db_path, only)


# ------------------------------------------------------------------------------- report


def _run_report(db_path: str, out: str, title: str | None) -> Path:
    from .reports import write_html

    con = _open(db_path, read_only=True)
    try:
        path = write_html(con, out, title=title)
    finally:
        con.close()
    click.echo(f"wrote {path}")
    return path


@main.command()
@_db_option
@click.option("--out", "-o", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="HTML file to write.")
@click.option("--title", help="Title shown at the top of the report.")
def report(db_path, out, title):
    """Write a self-contained HTML report (opens offline; all transcript text escaped)."""
    _run_report(db_path, out, title)


@main.command()
@click.argument("paths", nargs=-1)
@_db_option
@click.option("--out", "-o", default="report.html", show_default=True, type=click.Path(dir_okay=False),
              help="HTML file to write.")
@click.option("--format", "fmt", metavar="NAME", help="Read every file as this format.")
@click.option("--workers", "-j", type=click.IntRange(min=1), help="Parallel worker processes.")
@click.option("--title", help="Title shown at the top of the report.")
@click.option("--sample", is_flag=True, help="Also audit the sample trials bundled with redline.")
def audit(paths, db_path, out, fmt, workers, title, sample):
    """Ingest PATHS, classify every step and write the HTML report, in one go.

    With --sample, audits the bundled sample corpus (replication and shutdown-avoidance
    trials of two models) so you can see a report without data of your own.
    """
    paths = list(paths)
    if sample:
        from .sample import sample_dir

        paths.append(str(sample_dir()))
        title = title or "redline sample audit"
    if not paths:
        _fail("give PATHS to audit, or --sample for the bundled sample")
    _run_ingest(paths, db_path, fmt, workers, False)
    _run_classify(db_path)
    _run_report(db_path, out, title)


# ------------------------------------------------------------------------------- rules


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array with every field.")
@click.option("--unit", type=click.Choice(["action", "observation", "message", "trial"]), help="Only this unit.")
def rules(as_json, unit):
    """List every classifier with its ID, unit, techniques and summary."""
    from .classifiers.docs import rule_record, rules_table
    from .classifiers.registry import all_rules

    selected = [r for r in all_rules() if unit is None or r.unit == unit]
    if as_json:
        click.echo(json.dumps([rule_record(r) for r in selected], indent=2))
    else:
        click.echo(rules_table(selected))


@main.command()
@click.argument("rule_id")
@click.option("--json", "as_json", is_flag=True, help="Print the classifier as a JSON object.")
def rule(rule_id, as_json):
    """Print one classifier's documentation and examples (e.g. `redline rule PROC-KILL`)."""
    from .classifiers.docs import rule_record, rule_text
    from .classifiers.registry import get_rule

    try:
        r = get_rule(rule_id)
    except KeyError as exc:
        _fail(str(exc.args[0]))
    click.echo(json.dumps(rule_record(r), indent=2) if as_json else rule_text(r))


# ------------------------------------------------------------------------------- sql


@main.command()
@click.argument("query")
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print rows as a JSON array of objects.")
@click.option("--limit", default=200, show_default=True, help="Rows to print at most (0: all).")
def sql(query, db_path, as_json, limit):
    """Run a read-only SQL QUERY against the database and print the result.

    Example: redline sql "SELECT label_id, count(*) FROM labels GROUP BY ALL ORDER BY 2 DESC"
    """
    import duckdb

    con = _open(db_path, read_only=True)
    try:
        try:
            rel = con.sql(query)
        except duckdb.Error as exc:
            _fail(str(exc).splitlines()[0])
        if rel is None:
            click.echo("ok")
            return
        df = rel.pl()
    finally:
        con.close()
    shown = df if not limit else df.head(limit)
    if as_json:
        click.echo(json.dumps(shown.to_dicts(), indent=2, default=str))
        return
    from .tables import print_frame

    print_frame(shown)
    if limit and df.height > limit:
        click.echo(f"({df.height - limit} more rows; use --limit 0 to print all)", err=True)


# ------------------------------------------------------------------------------- trials


@main.command()
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of trial objects.")
@click.option("--format", "fmt", metavar="NAME", help="Only trials of this format.")
def trials(db_path, as_json, fmt):
    """List trials with model, agent, task, outcome and counts."""
    from .queries import trial_summaries

    con = _open(db_path, read_only=True)
    try:
        rows = trial_summaries(con, fmt=fmt)
    finally:
        con.close()
    if as_json:
        click.echo(json.dumps(rows.to_dicts(), indent=2, default=str))
        return
    from .tables import print_frame

    import polars as pl

    shown = rows.select(
        pl.col("trial_id").str.slice(0, 12).alias("trial"), "format", "model", "agent",
        pl.col("task").str.slice(0, 40).alias("task"), "scenario", "outcome", "actions", "errors",
        pl.col("labels").list.join(" ").alias("trial labels"),
    )
    print_frame(shown, title=f"{rows.height} trials")


@main.command()
@click.argument("trial")
@_db_option
@click.option("--full", is_flag=True, help="Do not shorten long texts.")
def show(trial, db_path, full):
    """Print one TRIAL's steps readably (TRIAL: an ID or a unique ID prefix)."""
    from .queries import resolve_trial
    from .tables import print_trial

    con = _open(db_path, read_only=True)
    try:
        try:
            trial_id = resolve_trial(con, trial)
        except LookupError as exc:
            _fail(str(exc))
        print_trial(con, trial_id, full=full)
    finally:
        con.close()


# ------------------------------------------------------------------------------- eval


@main.command(name="eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@_db_option
@click.option("--root", type=click.Path(exists=True, file_okay=False),
              help="Folder the gold file's `file` paths are relative to.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--worst", default=15, show_default=True, help="Misses to list in the confusion list.")
def eval_(gold, db_path, root, as_json, worst):
    """Compare the database's labels with a GOLD.jsonl file of human labels.

    Prints support, precision, recall and F1 (with 95% intervals) per label, micro and macro
    averages per unit, and the worst misses with their commands.
    """
    from .evaluation import evaluate, render_text

    con = _open(db_path, read_only=True)
    try:
        result = evaluate(con, gold, root=root)
    except ValueError as exc:
        _fail(str(exc))
    finally:
        con.close()
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        click.echo(render_text(result, worst=worst))


if __name__ == "__main__":  # pragma: no cover
    main()
