"""Terminal rendering for the CLI (rich tables).

Transcript text is printed as plain text (never as rich markup), with every control character
made visible by :func:`redline.text.for_terminal`.
"""

from __future__ import annotations

import duckdb
import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .queries import trial_steps
from .text import for_terminal, shorten


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return for_terminal(", ".join(str(v) for v in value))
    return for_terminal(str(value))


def print_frame(df: pl.DataFrame, title: str | None = None, console: Console | None = None) -> None:
    console = console or Console(soft_wrap=False)
    table = Table(title=title, show_lines=False, header_style="bold")
    for name in df.columns:
        table.add_column(escape(for_terminal(name)), overflow="fold")
    for row in df.iter_rows():
        table.add_row(*[Text(_cell(v)) for v in row])
    console.print(table)


def _short(text: str | None, full: bool, limit: int = 600) -> str:
    """Transcript text for the terminal: control characters visible, cut unless ``full``."""
    if not text:
        return ""
    text = text.rstrip()
    return for_terminal(text if full else shorten(text, limit))


STYLE = {"message": "cyan", "action": "bold yellow", "observation": "white"}


def print_trial(con: duckdb.DuckDBPyConnection, trial_id: str, *, full: bool = False,
                console: Console | None = None) -> None:
    console = console or Console()
    meta = con.execute(
        "SELECT format, source_path, model, agent, task, scenario, outcome, source_verdict "
        "FROM trials WHERE trial_id = ?", [trial_id]).fetchall()[0]
    fmt, source, model, agent, task, scenario, outcome, verdict = meta
    head = Text()
    head.append(f"trial {for_terminal(trial_id)}\n", style="bold")
    for k, v in (("format", fmt), ("source", source), ("model", model), ("agent", agent),
                 ("task", task), ("scenario", scenario), ("outcome", outcome), ("verdict", verdict)):
        if v:
            head.append(f"  {k}: ", style="dim")
            head.append(_short(str(v), full, 300) + "\n")
    console.print(head)
    trial_labels = con.execute(
        "SELECT label_id, evidence FROM current_labels WHERE trial_id = ? AND seq IS NULL ORDER BY label_id",
        [trial_id]).fetchall()
    if trial_labels:
        console.print(Text(for_terminal(
            "  trial labels: " + ", ".join(f"{l} ({e})" if e else l for l, e in trial_labels))))
    steps = trial_steps(con, trial_id)
    for row in steps.iter_rows(named=True):
        line = Text()
        who = for_terminal(row["role"] or "")
        tag = {"message": f"{who} says", "action": f"runs ({for_terminal(row['tool'] or 'shell')})",
               "observation": "sees"}[row["kind"]]
        line.append(f"[{row['seq']:>3}] {tag}", style=STYLE[row["kind"]])
        if row["exit_code"] is not None:
            line.append(f"  exit {row['exit_code']}", style="red" if row["exit_code"] else "green")
        if row["labels"]:
            line.append(for_terminal("  " + " ".join(row["labels"])), style="bold magenta")
        if row["source_line"]:
            line.append(f"  (line {row['source_line']})", style="dim")
        console.print(line)
        body = _short(row["text"], full)
        if body:
            console.print(Text(body), style="dim" if row["kind"] == "observation" else None)
        if row["parse_error"]:
            console.print(Text(f"      shell parse: {for_terminal(row['parse_error'])}", style="red"))
