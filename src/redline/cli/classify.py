"""``redline classify``, ``redline rules``, ``redline rule`` and ``redline eval``: the classifiers."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager

import click

from .. import db as dbmod
from ..allocators import tune_c_malloc
from ..limits import CLASSIFY_BATCH_CHARS, CLASSIFY_BATCH_ROWS, CLASSIFY_BATCH_TRIALS
from .app import db_option, echo, fail, main, models_option, open_db, progress, progress_option
from .dataset import engine_options, run_dataset_classify


@main.command()
@db_option
@click.option("--rule", "only", multiple=True, metavar="ID", help="Run only this classifier (repeatable): where it is not current, or everywhere with --all.")
@click.option("--batch-trials", type=click.IntRange(min=1), metavar="N",
              help=f"At most N trials read and labelled at a time, of each shard with --dataset (default "
                   f"{CLASSIFY_BATCH_TRIALS:,}; a batch also ends before {CLASSIFY_BATCH_CHARS:,} characters of "
                   f"text or {CLASSIFY_BATCH_ROWS:,} events and commands); fewer use less memory.")
@click.option("--dataset", type=click.Path(file_okay=False), metavar="DIR",
              help="Label the Parquet dataset in DIR again, shard by shard, instead of the database.")
@engine_options
@models_option
@click.option("--no-models", is_flag=True, help="Run the rules only, not the learned models.")
@click.option("--all", "full", is_flag=True,
              help="Run every classifier on every trial, even where its labels are current.")
@progress_option
def classify(db_path, only, batch_trials, dataset, engine, ray_address, models_dir, no_models, full, progress_mode):
    """Label behaviours on the stored steps.

    Works from the database alone (no re-ingest). Only what is not current runs: each
    classifier on the trials it has not labelled in its present version (trials ingested or
    read again since, classifiers whose logic or model changed, new ones); with nothing to do
    it says the labels are current. --all runs everything. Each run is recorded in
    classify_runs (which classifier version covered which trial: classify_coverage); when it
    completes, its labels replace, on the trials it ran, the earlier labels of the same
    classifiers, so re-running never duplicates them, and a run that is interrupted leaves the
    earlier labels in place. With --progress lines, a line on stderr after each batch of
    trials is stored. A classifier's version is a fingerprint of its logic; the command names
    the classifiers that changed since the database was last labelled.

    The learned models run too (the ones trained with `redline train` in the models folder,
    else the shipped defaults): MSG-SELFPRES and MSG-GIVEUP add labels where the rule or the
    model gives them (labels.source says which), SUGGEST-HIGH writes suggestions (table
    suggestions) for `redline label`. --no-models runs the rules alone; with --rule, only the
    models of those IDs run.

    With --dataset DIR the same run labels a Parquet dataset, each shard's trials in a task of
    its own (on Ray with --engine ray), writing new labels and suggestions files per shard; the
    new files replace the old in one commit when every shard is done, and a run that is
    interrupted is resumed by the next. A dataset's shards are labelled again whole (a dataset
    keeps no record of which classifier version covered which trial).
    """
    if dataset is None and engine == "ray":
        fail("--engine ray labels a dataset: give --dataset DIR")
    if dataset is None:
        classify_database(db_path, models_dir, no_models, only, batch_trials, full, progress_mode)
        return
    rules, models = _selected(only, models_dir, no_models)
    report = run_dataset_classify(dataset, rules if only else None, engine, ray_address,
                                  batch_trials or CLASSIFY_BATCH_TRIALS, models)
    _say(report, "dataset")


def _selected(only, models_dir, no_models):
    """The rules ``--rule`` names (every active one without) and the models to apply with them."""
    from ..classifiers.registry import active_rules, get_rule, models_for

    rules = active_rules()
    if only:
        try:
            rules = [get_rule(r) for r in only]
        except KeyError as exc:
            fail(str(exc.args[0]))
    ids = None if not only else sorted({m.id for r in rules for m in models_for(r.id)})
    return rules, [] if no_models else load_models(models_dir, ids)


def _say(report, what: str) -> None:
    if report.changed:
        echo(f"{len(report.changed)} classifiers changed since the {what} was last labelled: "
             + ", ".join(f"{rule_id} ({old} -> {new})" for rule_id, old, new in report.changed))
    echo(report.summary())


def classify_database(db_path, models_dir=None, no_models=False, only=(), batch_trials=None, full=False,
                      progress_mode=None, con=None, maybe_current=True) -> None:
    """What ``redline classify`` does to a database (also ``redline ingest --classify``): say
    the labels are current when that is known without loading a classifier, else run what is
    not current (``full``: everything) and report. ``con``: the database's connection, already
    open for writing (left open); ``maybe_current`` False skips asking whether the labels are
    current (the caller knows some are not: the classify run itself finds what is). glibc's
    allocator is set once something is to run (:func:`~redline.allocators.tune_c_malloc`), not
    before: an ingest allocates large blocks all the time, and mapping each apart cost it a third
    more wall time; a classify with nothing to do needs no setting (loading the C library for it
    cost about 2.5 ms of a 0.16 s answer)."""
    if not full and not only and maybe_current and labels_current(db_path, models_dir, no_models, con):
        return
    tune_c_malloc()
    rules, models = _selected(only, models_dir, no_models)
    report = run_classify(db_path, rules if only else None, models, batch_trials, progress_mode, full, con)
    _say(report, "database")


def load_models(models_dir, ids=None):
    """The trained models to apply, or a one-line failure naming the file and what to do."""
    from ..classifiers.models.available import available_models
    from ..classifiers.models.files import ModelError

    try:
        return available_models(models_dir, ids, on_message=lambda m: echo(f"redline: {m}", err=True))
    except ModelError as exc:
        fail(str(exc))


def labels_current(db_path, models_dir, no_models, con=None) -> bool:
    """Say so and return True when every trial's labels are current, told from the database and
    the models' metadata alone (:func:`redline.classifiers.versions.labels_current`); False when
    the classifiers must be loaded to tell, or something must run. Skipped when the rules are
    already loaded in this process (from Python: they are then asked directly)."""
    if "redline.classifiers.registry" in sys.modules:
        return False
    from ..classifiers.versions import labels_current as current

    # read-only when no migration is due
    with _connection(con, lambda: dbmod.open_current(db_path, queries_only=True) or open_db(db_path)) as con:
        state = current(con, models_dir, use_models=not no_models)
    if state is None:
        return False
    echo(f"labels are current ({state[0]} trials, {state[1]} classifiers)")
    return True


def run_classify(db_path, rules, models, batch_trials, progress_mode=None, full=False, con=None):
    """Classify the database at ``db_path`` (``rules`` None: every active classifier), through
    ``con`` when given (left open), else a connection of its own."""
    from ..classifiers.store import classify as run

    with _connection(con, lambda: open_db(db_path)) as con:
        total = con.execute("SELECT count(*) FROM trials").fetchall()[0][0]
        with progress("classify", total, mode=progress_mode) as bar:
            return run(con, rules, on_batch=bar.advance, batch_trials=batch_trials or CLASSIFY_BATCH_TRIALS,
                       models=models, full=full)


@contextmanager
def _connection(con, opener):
    """``con`` when the caller gives one (left open), else a connection ``opener()`` makes,
    closed after."""
    if con is not None:
        yield con
        return
    own = opener()
    try:
        yield own
    finally:
        own.close()


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array with every field.")
@click.option("--unit", type=click.Choice(["action", "observation", "message", "trial", "episode"]),
              help="Only this unit (episode: the obstacle-resolution strategies).")
def rules(as_json, unit):
    """List every classifier (rules, learned models and strategies) with its ID, unit, severity,
    techniques and summary."""
    from ..classifiers.docs import rule_record, rules_table
    from ..classifiers.registry import all_entries, all_models

    selected = [r for r in [*all_entries(), *all_models()] if unit is None or r.unit == unit]
    if as_json:
        echo(json.dumps([rule_record(r) for r in selected], indent=2))
    else:
        echo(rules_table(selected))


@main.command()
@click.argument("rule_id")
@click.option("--json", "as_json", is_flag=True, help="Print the classifier as a JSON object.")
def rule(rule_id, as_json):
    """Print one classifier's or strategy's documentation and examples (`redline rule PROC-KILL`);
    for an ID a learned model also predicts, the model's too (SUGGEST-HIGH names the action model)."""
    from ..classifiers.docs import rule_record, rule_text
    from ..classifiers.registry import get_entry, get_model, models_for

    try:
        entries = [get_entry(rule_id)]
        entries += [m for m in models_for(rule_id) if m.id == entries[0].id]
    except KeyError as exc:
        try:
            entries = [get_model(rule_id)]
        except KeyError:
            fail(str(exc.args[0]))
    if as_json:
        records = [rule_record(e) for e in entries]
        echo(json.dumps(records[0] if len(records) == 1 else records, indent=2))
    else:
        echo("\n\n".join(rule_text(e) for e in entries))


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
    averages per unit, and the worst misses with their commands. Labels a rule and a learned
    model both cover (MSG-SELFPRES, MSG-GIVEUP) are also scored per source: the rule's, the
    model's and the combined labels the database stores. Exits with status 2 when no gold row
    matches a step in the database (there is nothing to score).
    """
    from ..evaluation import evaluate, evaluate_sources, render_sources, render_text

    con = open_db(db_path, read_only=True)
    try:
        result = evaluate(con, gold, root=root)
        by_source = evaluate_sources(con, gold, root=root)
    except ValueError as exc:
        fail(str(exc))
    finally:
        con.close()
    if not result.matched:
        fail(f"none of the {len(result.unmatched)} gold rows matches a step in the database: check "
             "that the gold file's transcripts were ingested into it and that --root is the folder "
             "its `file` paths are relative to")
    if as_json:
        echo(json.dumps({**result.to_json(), "by_source": {k: v.to_json() for k, v in by_source.items()}}, indent=2))
    else:
        echo(render_text(result, worst=worst) + "\n\n" + render_sources(by_source))
