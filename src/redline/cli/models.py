"""``redline train``, ``redline models``, ``redline label`` and ``redline similar``: the learned
classifiers, the auditors' loop that improves them, and the similar-step search."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime, timezone

import click

from ..text import for_terminal, shorten
from .app import db_option, echo, fail, main, models_option, open_db


def _models_dir(models_dir):
    from ..classifiers.models.files import user_models_dir

    return models_dir or str(user_models_dir())


def _interval(v) -> str:
    return f"{v[0]:.3f} [{v[1]:.3f}, {v[2]:.3f}]"


@main.command()
@click.argument("model_id", metavar="ID")
@db_option
@click.option("--gold", "gold_files", multiple=True, type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="Gold file of human labels to learn from and to judge on (repeatable).")
@click.option("--root", type=click.Path(exists=True, file_okay=False),
              help="Folder the gold files' `file` paths are relative to.")
@models_option
@click.option("--no-weak", is_flag=True, help="Do not learn from rule labels (weak supervision).")
@click.option("--no-examples", is_flag=True, help="Do not learn from the bundled written examples.")
@click.option("--inputs", metavar="A,B", help="Inputs to read, e.g. text,prev,task for a message model "
              "(default: the model's declaration).")
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2), help="Cross-validation folds.")
@click.option("--no-save", is_flag=True, help="Report the cross-validated figures only; save nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def train(model_id, db_path, gold_files, root, models_dir, no_weak, no_examples, inputs, folds, no_save, as_json):
    """Train a learned classifier (ID: MSG-SELFPRES, MSG-GIVEUP or SUGGEST-HIGH) and save it.

    Learns from the bundled examples, the human labels (--gold files and the decisions recorded
    by `redline label`) and, unless --no-weak, the rule labels of every other step in the
    database. Reports precision, recall and F1 from cross-validation grouped by trial (the
    steps of one trial are never on both sides), judged on the human-labelled steps, with 95%
    intervals from a bootstrap over trials; when rule labels are used, the same figures without
    them show what they add. The model (with its threshold, chosen on validation folds) goes to
    the models folder, where `redline classify` finds it.
    """
    from ..classifiers.models.fit import TrainingError, cross_validate, fit_model
    from ..classifiers.models.files import save
    from ..classifiers.registry import get_model
    from ..classifiers.training import training_set

    try:
        spec = get_model(model_id)
        if inputs:
            spec = spec.with_inputs(tuple(i.strip() for i in inputs.split(",") if i.strip()))
    except (KeyError, ValueError) as exc:
        fail(str(exc.args[0]))
    con = open_db(db_path, read_only=True)
    try:
        ts = training_set(spec, con, gold_files, root, weak=not no_weak, examples=not no_examples)
    except ValueError as exc:
        fail(str(exc))
    finally:
        con.close()
    results = []
    try:
        results.append(cross_validate(spec, ts, weak=True, folds=folds))
        if not no_weak and (ts.origin == "rule").any():
            results.append(cross_validate(spec, ts, weak=False, folds=folds))
        model = None if no_save else fit_model(spec, ts, meta={
            "trained_on": sorted(ts.counts()), "gold": [str(g) for g in gold_files],
            "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    except TrainingError as exc:
        fail(str(exc))
    path = None
    if model is not None:
        path = save(model, _models_dir(models_dir), extra={"cv": [r.to_json() for r in results]})
    if as_json:
        echo(json.dumps({"model": spec.id, "inputs": list(spec.inputs), "rows": ts.counts(),
                         "cv": [r.to_json() for r in results], "threshold": model.threshold if model else None,
                         "add_threshold": model.meta.get("add_threshold") if model else None,
                         "version": model.version if model else None, "saved": str(path) if path else None}, indent=2))
        return
    echo(f"{spec.id}: inputs {', '.join(spec.inputs)}; rows: " + ", ".join(
        f"{o} {c['rows']} ({c['positives']} positive)" for o, c in ts.counts().items()))
    echo(f"cross-validated ({folds} folds grouped by trial), judged on {results[0].judged_on}: "
         f"{results[0].rows} rows, {results[0].positives} positive")
    for r in results:
        if not r.positives:  # recall and F1 have no meaning without a positive row to find
            echo(f"  trained on {r.trained_on:<22} no positive row to judge on: recall and F1 undefined; "
                 f"{r.fp} false positives in {r.rows} rows")
            continue
        echo(f"  trained on {r.trained_on:<22} precision {_interval(r.precision)}  recall {_interval(r.recall)}  "
             f"F1 {_interval(r.f1)}  (TP {r.tp}, FP {r.fp}, FN {r.fn})")
    if model is not None:
        adding = ""
        if spec.kind == "label" and spec.union_min_precision is not None:
            add = model.add_threshold
            adding = ", adds labels where the rule is silent " + (f"from {add:.3f}" if add != float("inf") else "never")
        echo(f"saved {path} (version {model.version}, threshold {model.threshold:.3f}{adding})")


@main.command()
@models_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def models(models_dir, as_json):
    """List the learned classifiers: what each predicts, and which trained model classify uses."""
    from ..classifiers.models.available import available_models
    from ..classifiers.models.files import ModelError
    from ..classifiers.registry import severity

    try:
        loaded = available_models(models_dir, on_message=lambda m: echo(f"redline: {m}", err=True))
    except ModelError as exc:
        fail(str(exc))
    records = [{"id": m.id, "kind": m.spec.kind, "unit": m.spec.unit, "labels": list(m.classes),
                "severity": sorted({severity(lid) for lid in m.classes}), "version": m.version,
                "threshold": round(m.threshold, 4), "add_threshold": m.meta.get("add_threshold"),
                "inputs": list(m.spec.inputs),
                "sklearn_version": m.meta.get("sklearn_version"), "file": str(m.path),
                "summary": m.spec.summary} for m in loaded]
    if as_json:
        echo(json.dumps(records, indent=2))
        return
    for r in records:
        adding = ""
        if r["kind"] == "label":
            add = r["add_threshold"]
            adding = f", adds labels from {round(add, 4)}" if add is not None else ", adds no label (suggestions only)"
        echo(f"{r['id']}  {r['kind']} model on {r['unit']}s, version {r['version']}, threshold {r['threshold']}"
             f"{adding}, inputs {', '.join(r['inputs'])}")
        echo(f"  {r['summary']}")
        echo(f"  predicts {', '.join(r['labels'])}; file {r['file']} (scikit-learn {r['sklearn_version']})")


def _show(console, n, total, item, ctx) -> None:
    from rich.panel import Panel
    from rich.text import Text

    def block(value: str, limit: int) -> Text:
        return Text(for_terminal(shorten(value or "", limit)) or "-")

    score = "" if item.score is None else f", score {item.score:.2f}"
    threshold = "" if item.threshold is None else f" (threshold {item.threshold:.2f})"
    given = {"rule": "the rule gives it, the model does not", "model": "the model gives it, the rule does not",
             "suggestion": "suggested by the model", "rule+model": "rule and model give it",
             "human": "an auditor gave it", "": "no classifier gives it"}[item.sources]
    console.print(Text(for_terminal(
        f"\n[{n}/{total}] {item.label_id} on {item.unit} {item.trial_id}:{item.seq} ({item.reason}: {given}"
        f"{score}{threshold})"), style="bold"))
    if ctx.task:
        console.print(Panel(block(ctx.task, 300), title="task", title_align="left"))
    console.print(Panel(block(ctx.reasoning, 1200), title="reasoning", title_align="left"))
    console.print(Panel(block(ctx.command, 800), title="command", title_align="left"))
    console.print(Panel(block(ctx.output, 800), title="output", title_align="left"))


@main.command()
@db_option
@models_option
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="Steps to show at most.")
@click.option("--who", default=None, help="The auditor's name (default: the login name).")
@click.option("--only", "reasons", multiple=True, type=click.Choice(["disagreement", "suggestion", "uncertain"]),
              help="Show only steps shown for this reason (repeatable).")
@click.option("--export", "export_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write every decided step to FILE in the gold format instead, and exit.")
@click.option("--root", type=click.Path(file_okay=False), help="With --export: write `file` relative to this folder.")
def label(db_path, models_dir, limit, who, reasons, export_path, root):
    """Review the steps the models are least sure about, and record your decisions.

    Shows rule/model disagreements first, then the suggestion model's suggestions, then the
    steps whose model score is nearest the threshold, each with the agent's reasoning, the
    command and its output. Answer a (accept: the label applies), r (reject), s (skip), n (add a
    note, then accept or reject) or q (quit). Each decision is committed as it is made, in the
    human_labels table (who, when, step, label, decision, note): an interrupt loses nothing
    already answered. Decisions override the classifiers in reports and `redline eval`, and
    `redline train` learns from them. --export FILE writes them as a gold file.
    """
    from ..classifiers.review import export_gold, review_queue

    con = open_db(db_path)
    try:
        if export_path:
            report = export_gold(con, export_path, root)
            echo(f"wrote {report.rows} gold rows to {export_path}")
            if report.skipped:
                echo(f"{len(report.skipped)} decisions on steps no action follows were left out (the gold format "
                     "anchors a row on an action)")
            return
        from .classify import load_models

        items = review_queue(con, load_models(models_dir), limit=limit,
                             reasons=reasons or ("disagreement", "suggestion", "uncertain"))
        if not items:
            echo("nothing to review: no disagreements, suggestions or uncertain steps left")
            return
        _loop(con, items, who or _login())
    finally:
        con.close()


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): still record a decision
        return "unknown"


def _loop(con, items, who) -> None:
    from rich.console import Console
    from rich.prompt import Prompt

    from ..classifiers.review import record_decision, step_context

    console = Console(highlight=False)
    counts = {"accepted": 0, "rejected": 0, "skipped": 0}
    try:
        for n, item in enumerate(items, 1):
            _show(console, n, len(items), item, step_context(con, item.trial_id, item.seq))
            answer = Prompt.ask("a accept / r reject / s skip / n note / q quit", choices=list("arsnq"),
                                show_choices=False, console=console)
            note = None
            if answer == "n":
                note = Prompt.ask("note", console=console)
                answer = Prompt.ask("a accept / r reject", choices=["a", "r"], show_choices=False, console=console)
            if answer == "q":
                break
            if answer == "s":
                counts["skipped"] += 1
                continue
            record_decision(con, item, answer == "a", who, note)
            counts["accepted" if answer == "a" else "rejected"] += 1
    except (KeyboardInterrupt, EOFError) as exc:
        echo(f"\n{'interrupted' if isinstance(exc, KeyboardInterrupt) else 'end of input'}: "
             f"{counts['accepted'] + counts['rejected']} decisions recorded")
        if isinstance(exc, KeyboardInterrupt):
            sys.exit(130)
        return
    echo(f"{counts['accepted']} accepted, {counts['rejected']} rejected, {counts['skipped']} skipped")


@main.command()
@click.argument("step", required=False, metavar="TRIAL:SEQ")
@db_option
@click.option("-k", "--top", "k", default=10, show_default=True, type=click.IntRange(min=1), help="Steps to list.")
@click.option("--any-kind", is_flag=True, help="Also list steps of other kinds (a command's similar messages...).")
@click.option("--build", is_flag=True, help="(Re)build the index first (it is built automatically when missing).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def similar(step, db_path, k, any_kind, build, as_json):
    """List the steps most like one step across the database (TRIAL: a trial ID or unique prefix).

    Compares TF-IDF vectors of hashed words and word pairs (cosine similarity) of every
    command, assistant message and output. The index is built once and stored beside the
    database (the folder DB.similar); it is rebuilt with --build, or when missing. A query
    against a database whose steps changed since asks for a rebuild.
    """
    from ..similar.index import (SimilarIndexError, build_index, check_fresh, index_path, load_index, resolve_step,
                                 similar as find, step_texts)

    if not step and not build:
        fail("give a step (TRIAL:SEQ), or --build to build the index")
    con = open_db(db_path, read_only=True)
    try:
        path = index_path(db_path)
        if build or not path.exists():
            index = build_index(con, path)
            echo(f"indexed {index.rows} steps into {path}", err=True)
        else:
            index = load_index(path)
            check_fresh(con, index)
        if not step:
            return
        trial_id, seq = resolve_step(con, step)
        found = find(con, index, trial_id, seq, k=k, same_kind=not any_kind)
        texts = step_texts(con, found)
    except (ValueError, SimilarIndexError) as exc:
        fail(str(exc))
    finally:
        con.close()
    if as_json:
        echo(json.dumps([{"trial_id": f.trial_id, "seq": f.seq, "kind": f.kind, "score": round(f.score, 4),
                          "text": texts.get((f.trial_id, f.seq)) or ""} for f in found], indent=2))
        return
    for f in found:
        text = " ".join((texts.get((f.trial_id, f.seq)) or "").split())
        echo(f"{f.score:.3f}  {f.trial_id}:{f.seq}  {f.kind:<11}  {shorten(text, 100)}")
