"""``redline classify``, ``redline rules``, ``redline rule`` and ``redline eval``: the classifiers."""

from __future__ import annotations

import json

import click

from ..limits import CLASSIFY_BATCH_CHARS, CLASSIFY_BATCH_TRIALS
from .app import db_option, echo, fail, main, open_db, progress


@main.command()
@db_option
@click.option("--rule", "only", multiple=True, metavar="ID", help="Run only this classifier (repeatable).")
@click.option("--batch-trials", type=click.IntRange(min=1), metavar="N",
              help=f"At most N trials read and labelled at a time (default {CLASSIFY_BATCH_TRIALS:,}; a batch "
                   f"also ends before {CLASSIFY_BATCH_CHARS:,} characters of text); fewer use less memory.")
def classify(db_path, only, batch_trials):
    """Label behaviours on the stored steps.

    Works from the database alone (no re-ingest). Each run is recorded in classify_runs; when it
    completes, its labels replace the earlier labels of the same classifiers, so re-running
    never duplicates them, and a run that is interrupted leaves the earlier labels in place.
    A classifier's version is a fingerprint of its logic; the command names the classifiers
    that changed since the database was last labelled.
    """
    from ..classifiers.registry import active_rules, get_rule
    from ..classifiers.store import classify as run

    rules = active_rules()
    if only:
        try:
            rules = [get_rule(r) for r in only]
        except KeyError as exc:
            fail(str(exc.args[0]))
    con = open_db(db_path)
    try:
        total = con.execute("SELECT count(*) FROM trials").fetchall()[0][0]
        with progress("classify", total) as bar:
            report = run(con, rules, on_batch=bar.advance, batch_trials=batch_trials or CLASSIFY_BATCH_TRIALS)
    finally:
        con.close()
    if report.changed:
        echo(f"{len(report.changed)} classifiers changed since the database was last labelled: "
             + ", ".join(f"{rule_id} ({old} -> {new})" for rule_id, old, new in report.changed))
    echo(report.summary())


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array with every field.")
@click.option("--unit", type=click.Choice(["action", "observation", "message", "trial", "episode"]),
              help="Only this unit (episode: the obstacle-resolution strategies).")
def rules(as_json, unit):
    """List every classifier (and strategy) with its ID, unit, severity, techniques and summary."""
    from ..classifiers.docs import rule_record, rules_table
    from ..classifiers.registry import all_entries

    selected = [r for r in all_entries() if unit is None or r.unit == unit]
    if as_json:
        echo(json.dumps([rule_record(r) for r in selected], indent=2))
    else:
        echo(rules_table(selected))


@main.command()
@click.argument("rule_id")
@click.option("--json", "as_json", is_flag=True, help="Print the classifier as a JSON object.")
def rule(rule_id, as_json):
    """Print one classifier's or strategy's documentation and examples (`redline rule PROC-KILL`)."""
    from ..classifiers.docs import rule_record, rule_text
    from ..classifiers.registry import get_entry

    try:
        r = get_entry(rule_id)
    except KeyError as exc:
        fail(str(exc.args[0]))
    echo(json.dumps(rule_record(r), indent=2) if as_json else rule_text(r))


@main.command(name="eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option("--root", type=click.Path(exists=True, file_okay=False),
              help="Folder the gold file's `file` paths are relative to.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--worst", default=15, show_default=True, help="Misses to list in the confusion list.")
def eval_(gold, db_path, root, as_json, worst):
    """Compare the database's labels with a GOLD.jsonl file of human labels.

    Prints support, precision, recall and F1 (with 95% intervals) per label, micro and macro
    averages per unit, and the worst misses with their commands. Exits with status 2 when no
    gold row matches a step in the database (there is nothing to score).
    """
    from ..evaluation import evaluate, render_text

    con = open_db(db_path, read_only=True)
    try:
        result = evaluate(con, gold, root=root)
    except ValueError as exc:
        fail(str(exc))
    finally:
        con.close()
    if not result.matched:
        fail(f"none of the {len(result.unmatched)} gold rows matches a step in the database: check "
             "that the gold file's transcripts were ingested into it and that --root is the folder "
             "its `file` paths are relative to")
    if as_json:
        echo(json.dumps(result.to_json(), indent=2))
    else:
        echo(render_text(result, worst=worst))
