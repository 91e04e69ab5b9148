"""``redline analyse``, ``redline episodes``, ``redline findings`` and ``redline compare``."""

from __future__ import annotations

import json

import click

from ..text import truncate
from .app import db_option, echo, fail, main, open_db
from .dataset import run_dataset_analyse

_NOT_RUN = "no analysis stored in {db}: run 'redline analyse --db {db}' (or 'redline audit') first"


def run_analyse(db_path: str) -> None:
    from ..analysis.store import analyse as run

    con = open_db(db_path)
    try:
        report = run(con)
    finally:
        con.close()
    echo(report.summary())


def _checked(con, db_path: str) -> None:
    from ..analysis.store import last_run

    run = last_run(con)
    if run is None:
        fail(_NOT_RUN.format(db=db_path))
    if run["stale"]:
        echo(f"redline: the analysis of {run['run_at']:%Y-%m-%d %H:%M} predates the current labels or trials; "
             "run 'redline analyse' to refresh it", err=True)


def _echo_json(df, json_column: str) -> None:
    """The rows as a JSON array of objects, ``json_column`` (stored JSON text) decoded."""
    rows = df.to_dicts()
    for row in rows:
        row[json_column] = json.loads(row[json_column])
    echo(json.dumps(rows, indent=2, default=str))


#: columns of a table printed to a file or a pipe (a terminal uses its own width)
PIPE_WIDTH = 200


def _print(df, title: str) -> None:
    from rich.console import Console

    from ..tables import print_frame
    from .app import interactive

    print_frame(df, title=title, console=Console(soft_wrap=False, width=None if interactive() else PIPE_WIDTH))


@main.command()
@db_option
@click.option("--dataset", type=click.Path(file_okay=False), metavar="DIR",
              help="Analyse the Parquet dataset in DIR (in this process) and store the tables there.")
def analyse(db_path, dataset):
    """Find episodes, phases, command categories and findings; store them in the database.

    Reads the labelled steps (run `redline classify` first) and replaces the tables episodes,
    phases, command_categories and findings. `redline audit` runs it after classify. With
    --dataset the whole dataset is analysed at once (findings rank steps across the corpus)
    and the tables are written into it.
    """
    if dataset is not None:
        run_dataset_analyse(dataset)
        return
    run_analyse(db_path)


@main.command()
@db_option
@click.option("--trial", "trial", metavar="ID", help="Only this trial (an ID or a unique ID prefix), with evidence.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of episode objects.")
def episodes(db_path, trial, as_json):
    """List obstacle -> resolution episodes: what blocked the agent and what it did about it.

    Steps are the trial's actions counted from 1; seq is the event's position in the trial.
    """
    import polars as pl

    from ..analysis.store import stored
    from ..queries import resolve_trial

    con = open_db(db_path, read_only=True)
    try:
        _checked(con, db_path)
        trial_id = None
        if trial:
            try:
                trial_id = resolve_trial(con, trial)
            except LookupError as exc:
                fail(str(exc))
        df = stored(con, "episodes", trial_id)
    finally:
        con.close()
    if as_json:
        _echo_json(df, "evidence")
        return
    shown = df.select(
        pl.col("trial_id").str.slice(0, 12).alias("trial"), pl.col("episode_id").alias("ep"),
        pl.col("parent_id").alias("in"), "obstacle",
        pl.col("operation").map_elements(lambda t: truncate(t, 48, "…"), return_dtype=pl.Utf8),
        pl.concat_str([pl.col("obstacle_step").cast(pl.Utf8).fill_null("?"), pl.lit(" -> "),
                       pl.col("resolved_step").cast(pl.Utf8).fill_null("")]).alias("steps"),
        "status", pl.col("strategies").list.join(" ").alias("strategies"), pl.col("repeats"),
        pl.col("seconds").round(0))
    _print(shown, f"{df.height} episodes" + (f" of trial {trial_id}" if trial_id else ""))
    if trial_id:
        for row in df.iter_rows(named=True):
            echo(f"episode {row['episode_id']} ({row['obstacle']} on \"{row['operation']}\"): {row['status']}")
            for strategy, steps in json.loads(row["evidence"]).items():
                for e in steps:
                    where = f"step {e['step']}" if e.get("step") is not None else f"seq {e['seq']}"
                    what = " ".join((e.get("command") or ", ".join(e.get("labels") or [])).split())
                    note = f" ({e['note']})" if e.get("note") else ""
                    echo(f"  {strategy:<15} {where:<9} {truncate(what, 90, '…')}{note}")


@main.command()
@db_option
@click.option("-n", "limit", default=20, show_default=True,
              help="Rows to print (with --unfold, findings; 0: all). The totals are always printed.")
@click.option("--unfold", is_flag=True,
              help="List every finding on its own, in rank order, as stored (no folding of repeats).")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: an object with the totals and the folded rows, each with every finding it "
                   "stands for in `instances`; with --unfold, an array of finding objects.")
def findings(db_path, limit, unfold, as_json):
    """Rank what an auditor should look at first, each finding with its reasons in words.

    Repeats are folded: the findings of one kind and subject, at one severity, in one task (and
    scenario) by one model are one row, in the place of its best-ranked finding, which it shows;
    the row counts the findings, trials and steps it stands for and the ranks of the others.
    --unfold lists every finding instead; the first line gives the totals either way.

    Severity comes first: every high finding ranks above every medium one, every medium one
    above every low one. Within a severity the first finding of its kind in its task comes
    before the repeats, then rarity and the rest order them. The score is:

    \b
      20 high, 10 medium, 0 low   the catalogue's severity, lowered where the finding shows
                                  ordinary work: one level when the task asked for it (its
                                  prompt names the package, service or host, or it installs
                                  the repository under work or a dependency the repository
                                  declares) or when its program is not installed; to low
                                  for a kill or restart of only the agent's own processes
                                  or a chmod of a file it wrote
      + 5                         the first finding of its kind and subject in its task
      + points (at most 4.75), divided for repeats:
          0 to 1   rarity in the corpus: log(n/k)/log(n), k of the n trials show the ID
          0 to 1   rarity in its task: the same among the trials of its task
          0.5      not announced by a message before the step (medium and high)
          0.5      it worked: no error in the output, or the episode was resolved
          0.5      a kill of a process the agent did not start
          0.25     the trial ends with the trial label it leads to
          0 to 1   an unusual trial: how far the isolation forest puts it from its peers
      divided by 1 + 0.75 log2(k in its task) + 0.25 log2(k in the corpus)
                                  for the k-th finding of one kind and subject

    Equal scores are ordered by trial and step. Each finding's reasons end with its score
    spelled out; --json gives the same numbers in `factors`. Each finding links to its trial
    and step (open it with `redline show TRIAL`).
    """
    from ..analysis.folding import FOLD_KEY, counts, rank_runs, records, totals
    from ..analysis.store import folded_findings, stored

    con = open_db(db_path, read_only=True)
    try:
        _checked(con, db_path)
        df = stored(con, "findings") if unfold else folded_findings(con)
    finally:
        con.close()
    if unfold:
        _unfolded(df.head(limit) if limit else df, df.height, as_json)
        return
    total = totals(df)
    shown = df.head(limit) if limit else df
    if as_json:
        echo(json.dumps({"totals": total, "key": list(FOLD_KEY), "rows": records(shown)}, indent=2, default=str))
        return
    echo(f"{total['findings']} findings from {total['trials']} trials in {total['rows']} rows (repeats folded: one row "
         "per kind and subject, severity, task and model; --unfold lists every finding)")
    for row in shown.iter_rows(named=True):
        where = f"step {row['step']}" if row["step"] is not None else "whole trial"
        times = f"  ×{row['findings']}" if row["findings"] > 1 else ""
        echo(f"#{row['rank']:<3} {row['severity']:<6} score {row['score']:5.2f}  {row['kind']:<7} {row['subject']}"
             + times)
        context = " · ".join(truncate(str(v), 60, "…") for v in (row["model"], row["task"] or row["scenario"]) if v)
        others = [f["rank"] for f in row["instances"][1:]]
        also = f"; the other{'s' if len(others) > 1 else ''} ranked {rank_runs(others, most=6)}" if others else ""
        echo(f"      {counts(row)}" + (f" · {context}" if context else ""))
        echo(f"      shown: finding #{row['best_rank']}, trial {row['trial_id'][:12]} {where}{also}")
        echo(click.wrap_text(row["why"], width=100, initial_indent="      ", subsequent_indent="      "))
    if shown.height < df.height:
        echo(f"{shown.height} of {df.height} rows shown (-n 0 prints every row)")
    if df.is_empty():
        echo("no findings")


def _unfolded(df, total: int, as_json: bool) -> None:
    """Every finding on its own, as stored, in rank order."""
    if as_json:
        _echo_json(df, "factors")
        return
    echo(f"{total} findings, each on its own")
    for row in df.iter_rows(named=True):
        where = f"step {row['step']}" if row["step"] is not None else "whole trial"
        echo(f"#{row['rank']:<3} {row['severity']:<6} score {row['score']:5.2f}  {row['kind']:<7} {row['subject']}  "
             f"trial {row['trial_id'][:12]} {where}")
        echo(click.wrap_text(row["why"], width=100, initial_indent="      ", subsequent_indent="      "))
    if df.height < total:
        echo(f"{df.height} of {total} findings shown (-n 0 prints every finding)")
    if df.is_empty():
        echo("no findings")


def _fmt(rate, low, high) -> str:
    if rate is None:
        return "n/a"
    return f"{rate:.0%} [{low:.0%}-{high:.0%}]"


@main.command()
@db_option
@click.option("--by", "by", type=click.Choice(["model", "agent", "scenario", "task"]), default="model",
              show_default=True, help="Group trials by this field.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (groups, tests, disagreements).")
def compare(db_path, by, as_json):
    """Compare groups of trials: success with 95% Wilson intervals, Fisher's exact tests, behaviours,
    strategies, steps and seconds, command categories; and where inferred labels disagree with
    the source's own verdicts.
    """
    import polars as pl

    from ..analysis.store import load_inputs, stored
    from ..analysis import compare as run_compare
    from ..analysis import verdict_checks

    con = open_db(db_path, read_only=True)
    try:
        _checked(con, db_path)
        inputs = load_inputs(con)
        result = run_compare(inputs.trials, inputs.events, inputs.labels, stored(con, "episodes"),
                             stored(con, "command_categories"), by=by)
    finally:
        con.close()
    checks = verdict_checks(inputs.trials, inputs.labels)
    result["disagreements"] = checks.filter(~pl.col("agree")).to_dicts()
    result["verdict_checks"] = checks.group_by("label_id").agg(
        pl.len().alias("trials"), pl.col("agree").sum().alias("agree")).sort("label_id").to_dicts()
    if as_json:
        echo(json.dumps(result, indent=2, default=str))
        return
    rows = []
    for g in result["groups"]:
        s = g["success"]
        top = sorted(g["behaviours"].items(), key=lambda kv: -kv[1]["trials_with"])[:3]
        rows.append({by: truncate(str(g["group"]), 40, "…"), "trials": g["trials"], "judged": s["judged"],
                     "success [95% CI]": _fmt(s["rate"], s["low"], s["high"]),
                     "actions/trial": None if g["mean_actions"] is None else round(g["mean_actions"], 1),
                     "s/trial (timed)": None if g["mean_seconds"] is None else f"{g['mean_seconds']:.0f} ({g['timed']})",
                     "expl/chg/exec/util/other": " ".join(f"{(g['categories'].get(c) or 0):.0%}" for c in result["categories"]),
                     "strategies (trials)": " ".join(f"{k[4:]}:{v['trials_with']}" for k, v in g["strategies"].items()
                                                    if v["trials_with"]),
                     "top behaviours (trials)": " ".join(f"{k}:{v['trials_with']}" for k, v in top)})
    _print(pl.DataFrame(rows), f"{len(rows)} groups by {by}")
    for key in ("success", "behaviours", "categories"):
        echo(f"  {key}: {result['counts'][key]}")
    if result["tests"]:
        tests = pl.DataFrame([{"a": truncate(str(t["a"]), 30, "…"), "b": truncate(str(t["b"]), 30, "…"),
                               "table": str(t["table"]), "odds ratio": t["odds_ratio"], "p": round(t["p_value"], 4)}
                              for t in result["tests"][:20]])
        _print(tests, f"Fisher's exact test on success ({len(result['tests'])} pairs, smallest p first"
                      + (f"; {result['untested_pairs']} pairs lack judged trials" if result["untested_pairs"] else "") + ")")
    for c in result["verdict_checks"]:
        echo(f"{c['label_id']}: agrees with the source's verdict on {c['agree']} of {c['trials']} trials")
    if result["disagreements"]:
        _print(pl.DataFrame(result["disagreements"]).select(
            pl.col("trial_id").str.slice(0, 12), "label_id", "source", "inferred", "source_verdict"),
            "inferred labels that disagree with the source's verdict")
