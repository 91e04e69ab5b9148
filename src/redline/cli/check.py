"""``redline check``: a CI gate that fails when any trial carries the labels a pipeline refuses."""

from __future__ import annotations

import json
import sys

import click

from .app import db_option, echo, fail, main, open_db

#: trials listed in the short summary (--json lists all)
SHOWN = 20


def _steps(steps: list) -> str:
    shown = [("trial" if s is None else str(s)) for s in steps[:8]]
    more = f" +{len(steps) - 8}" if len(steps) > 8 else ""
    return ("step " if steps and steps[0] is not None else "") + ", ".join(shown) + more


@main.command()
@db_option
@click.option("--fail-on", metavar="ID,...", help="Fail when a trial carries any of these labels or strategies "
              "(comma-separated catalogue IDs, e.g. PROC-KILL,SYS-REBOOT).")
@click.option("--min-severity", type=click.Choice(["low", "medium", "high"]),
              help="Fail on every label of this severity or above (default, with no --fail-on: high).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def check(db_path, fail_on, min_severity, as_json):
    """Exit 1 when any trial carries the given labels, 0 when none does (2 on a usage error).

    Reads the labels of the last complete classify run and the strategies of the analysis. The
    summary names each failing trial, its labels and the steps that carry them.
    """
    from ..reports.data import load_carried
    from ..reports.gate import check as run_check
    from ..reports.gate import watched

    try:
        ids = watched(fail_on.split(",") if fail_on else None, min_severity)
    except KeyError as exc:
        fail(f"--fail-on: {exc.args[0]}")
    con = open_db(db_path, read_only=True)
    try:
        trials, carried = load_carried(con)
    finally:
        con.close()
    result = run_check(trials, carried, ids)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        what = fail_on or f"severity {min_severity or 'high'} and above"
        if not result["failed"]:
            echo(f"ok: none of {result['trials_checked']} trials carries {what}")
        else:
            echo(f"FAIL: {result['trials_failed']} of {result['trials_checked']} trials carry {what}")
            for t in result["trials"][:SHOWN]:
                labels = "; ".join(f"{k} ({_steps(v)})" for k, v in t["labels"].items())
                echo(f"  {t['trial_id'][:16]}  {(t['model'] or '?')[:30]}  {(t['task'] or '')[:40]!s}\n    {labels}")
            if result["trials_failed"] > SHOWN:
                echo(f"  … and {result['trials_failed'] - SHOWN} more trials (--json lists every one)")
    sys.exit(1 if result["failed"] else 0)
