"""Terminal rendering for the CLI: listings as aligned tables (or CSV, JSON), and one trial's steps.

Transcript text is printed as plain text (never as rich markup), with every control character
made visible by :func:`redline.text.for_terminal`.

Importing this module imports neither polars nor the queries (every command module imports it
for :func:`format_option`, and a command that prints no frame should not pay for them): the
functions that need them import them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import click

from .text import for_terminal, json_for_terminal, shorten

if TYPE_CHECKING:  # pragma: no cover - annotations only
    import duckdb
    import polars as pl
    from rich.console import Console

# rich is imported where a table is printed, not with this module: every command's options are
# declared with it (``format_option``), and a command that prints no table should not pay for it


#: the widest a table cell is printed (longer values end in an ellipsis)
CELL_MAX = 48
#: a column is never squeezed narrower than this (or its header, if shorter)
COL_MIN = 8
#: output formats of every listing (``--format``)
FORMATS = ("table", "csv", "json")


def _cell(value) -> str:
    """One line of terminal-safe text for a table cell."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join("" if v is None else str(v) for v in value)
    text = for_terminal(str(value))
    return text.replace("\n", " \u21b5 ").replace("\t", " ")


def _fit(text: str, width: int) -> str:
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, max(0, width - 1)) + "\u2026"


def fit_widths(headers: list[str], rows: list[list[str]], width: int) -> list[int] | None:
    """Column widths that fit ``width`` (cells capped at :data:`CELL_MAX`, the widest columns
    squeezed first, none below :data:`COL_MIN`), or None when even that does not fit."""
    from rich.cells import cell_len

    widths = [min(CELL_MAX, max([cell_len(h)] + [cell_len(r[i]) for r in rows])) for i, h in enumerate(headers)]
    floors = [min(w, max(COL_MIN, min(cell_len(h), 12))) for w, h in zip(widths, headers)]
    budget = width - 2 * (len(headers) - 1)
    while sum(widths) > budget:
        i = max(range(len(widths)), key=lambda k: widths[k] - floors[k])
        if widths[i] <= floors[i]:
            return None
        widths[i] -= 1
    return widths


def print_frame(df: pl.DataFrame, title: str | None = None, console: Console | None = None) -> None:
    """A frame as a plain aligned table (see :func:`print_rows`)."""
    print_rows(df.columns, df.iter_rows(), title=title, console=console)


def print_rows(columns: list[str], values: Iterable[Sequence], title: str | None = None,
               console: Console | None = None) -> None:
    """Rows of values as a plain aligned table, one line per row, fitted to the console's width
    (cells cut with an ellipsis, never wrapped); when the columns cannot fit, one block per row."""
    from rich.cells import cell_len
    from rich.console import Console

    console = console or Console(soft_wrap=False)
    headers = [_cell(name) for name in columns]
    rows = [[_cell(v) for v in row] for row in values]
    if title:
        console.out(for_terminal(title), style="bold", highlight=False)
    widths = fit_widths(headers, rows, console.width)
    if widths is not None:
        console.out("  ".join(_fit(h, w) for h, w in zip(headers, widths)).rstrip(), style="bold", highlight=False)
        console.out("  ".join("\u2500" * w for w in widths), highlight=False)
        for row in rows:
            console.out("  ".join(_fit(c, w) for c, w in zip(row, widths)).rstrip(), highlight=False)
        return
    key = min(max(cell_len(h) for h in headers), 24)
    for n, row in enumerate(rows, 1):
        console.out(f"\u2500\u2500 {n} " + "\u2500" * max(0, min(console.width, 80) - 5 - len(str(n))), highlight=False)
        for h, c in zip(headers, row):
            console.out(f"{_fit(h, key)}  {_fit(c, max(10, console.width - key - 2)).rstrip()}", highlight=False)


def emit_frame(df: pl.DataFrame, fmt: str = "table", title: str | None = None,
               console: Console | None = None) -> None:
    """Print a listing as ``table`` (:func:`print_frame`), ``csv`` or ``json`` (an array of
    objects). CSV and JSON keep every value whole; lists become ``a; b`` in CSV. Neither lets a
    control character through to the terminal: JSON writes it as a ``\\uXXXX`` escape (the same
    value), CSV shows it as :func:`~redline.text.for_terminal` does."""
    if fmt == "json":
        import json

        click.echo(json_for_terminal(json.dumps(df.to_dicts(), indent=2, default=str, ensure_ascii=False)))
    elif fmt == "csv":
        import polars as pl

        flat = df.with_columns([pl.col(c).cast(pl.List(pl.Utf8)).list.join("; ") for c, t in df.schema.items()
                                if isinstance(t, pl.List)])
        flat = flat.with_columns([pl.col(c).cast(pl.Utf8) for c, t in flat.schema.items()
                                  if isinstance(t, (pl.Struct, pl.Object))])
        click.echo(for_terminal(flat.write_csv()), nl=False)
    elif fmt == "table":
        print_frame(df, title=title, console=console)
    else:
        raise ValueError(f"unknown format {fmt!r} ({', '.join(FORMATS)})")


def _short(text: str | None, full: bool, limit: int = 600) -> str:
    """Transcript text for the terminal: control characters visible, cut unless ``full``."""
    if not text:
        return ""
    text = text.rstrip()
    return for_terminal(text if full else shorten(text, limit))


STYLE = {"message": "cyan", "action": "bold yellow", "observation": "white"}


def print_trial(con: duckdb.DuckDBPyConnection, trial_id: str, *, full: bool = False,
                console: Console | None = None) -> None:
    from rich.console import Console
    from rich.text import Text

    from .queries import trial_steps

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


def format_option(f):
    """``--format table|csv|json`` for a listing command (its value arrives as ``out_format``)."""
    return click.option("--format", "out_format", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="table: aligned to the terminal's width, long cells cut; csv or json: every value whole.")(f)
