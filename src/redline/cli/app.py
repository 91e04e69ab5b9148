"""The ``redline`` command group and what its commands share: the ``--db`` option, progress
bars, printing, failing with one line, opening the database.

Commands print through :func:`echo` (and tables through :mod:`redline.tables`), which makes
every control character visible (:func:`redline.text.for_terminal`): file names, error
messages and transcript text can all come from a hostile transcript.
"""

from __future__ import annotations

import importlib
import os
import sys
from contextlib import contextmanager

import click

from .. import db as dbmod
from ..text import for_terminal

DB_HELP = f"DuckDB database file (default: ./{dbmod.DEFAULT_DB})."


def db_option(f):
    return click.option("--db", "db_path", default=dbmod.DEFAULT_DB, show_default=True,
                        type=click.Path(dir_okay=False), help=DB_HELP)(f)


def models_option(f):
    return click.option(
        "--models", "models_dir", type=click.Path(file_okay=False), metavar="DIR",
        help="Folder of trained models (default: $REDLINE_MODELS, else the user's data directory, "
             "e.g. ~/.local/share/redline/models); a model not there is the shipped default.")(f)


#: how commands show progress (``--progress``, or ``REDLINE_PROGRESS`` in the environment):
#: ``auto`` a bar on a terminal and nothing otherwise; ``lines`` one line on stderr per finished
#: batch, for logs and scripts (:func:`progress_line`); ``none`` nothing
PROGRESS_MODES = ("auto", "lines", "none")


def interactive() -> bool:
    return sys.stderr.isatty()


def progress_option(f):
    return click.option(
        "--progress", "progress_mode", type=click.Choice(PROGRESS_MODES), default=None, metavar="MODE",
        help="auto (default, or $REDLINE_PROGRESS): a bar on a terminal, nothing otherwise; lines: one line "
             "on stderr per batch of trials classify stores, or per file ingest reads, 'progress "
             "stage=classify batch=3 done=3 total=6' (batch: the how-manyth line; done: trials, or files "
             "while ingesting; total: '?' until known); none.")(f)


def progress_line(stage: str, batch: int, done: int, total: int | None) -> str:
    """One ``--progress lines`` line: key=value fields, in this order, always on one line."""
    return f"progress stage={stage} batch={batch} done={done} total={'?' if total is None else total}"


def _progress_mode(mode: str | None) -> str:
    mode = mode or os.environ.get("REDLINE_PROGRESS") or "auto"
    if mode not in PROGRESS_MODES:
        fail(f"REDLINE_PROGRESS={mode!r}: expected one of {', '.join(PROGRESS_MODES)}")
    return mode


@contextmanager
def progress(description: str, total: int | None = None, mode: str | None = None):
    """Progress of a command's batches, as ``mode`` (see :data:`PROGRESS_MODES`) says."""
    mode = _progress_mode(mode)
    if mode == "lines":
        class _Lines:
            def __init__(self) -> None:
                self.name, self.count, self.batch, self.done = description, total, 0, 0

            def advance(self, n: int = 1) -> None:
                self.batch += 1
                self.done += n
                click.echo(progress_line(self.name, self.batch, self.done, self.count), err=True)
                sys.stderr.flush()

            def total(self, n: int) -> None:
                self.count = n

            def stage(self, name: str, total: int | None = None) -> None:
                self.name, self.count, self.batch, self.done = name, total, 0, 0
        yield _Lines()
        return
    if mode == "none" or not interactive():
        class _Quiet:
            def advance(self, n: int = 1) -> None: ...
            def total(self, n: int) -> None: ...
            def stage(self, name: str, total: int | None = None) -> None: ...
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

            def stage(self, name: str, total: int | None = None) -> None:
                """Start the next stage of the same command on the same bar."""
                progress.reset(task, total=total, description=name)

        yield _Bar()


def echo(message: str = "", err: bool = False, nl: bool = True) -> None:
    """Print one message, control characters made visible."""
    click.echo(for_terminal(message), err=err, nl=nl)


def fail(message: str, code: int = 2) -> None:
    """Print ``redline: MESSAGE`` on stderr and exit with ``code`` (see :data:`EXIT_CODES`)."""
    echo(f"redline: {message}", err=True)
    sys.exit(code)


#: what redline's exit statuses mean (also in the README and `redline --help`)
EXIT_CODES = {
    0: "done as asked",
    1: "done in part: a named path did not exist, or (with --strict) a file could not be read; "
       "for `redline check`, a refused label was found",
    2: "not done: wrong usage, no usable database, nothing to work on, a refused or failed query",
}


def open_db(db_path: str, read_only: bool = False, create: bool = False):
    """Open the database, or fail with one line. Only ``create`` makes a new one: a command that
    reads existing data refuses a database that does not exist."""
    try:
        return dbmod.connect(db_path, read_only=read_only, create=create)
    except (FileNotFoundError, dbmod.SchemaError) as exc:
        fail(str(exc))
    except Exception as exc:  # duckdb.IOException and friends: say which file
        fail(f"{db_path}: cannot open database: {exc}")


#: every command, and the module of this package that defines it (and registers it on
#: :data:`main` when imported): a command's module is imported when the command runs or help
#: lists it, so a command does not pay for importing the others
COMMANDS = {
    "analyse": "analyse", "episodes": "analyse", "findings": "analyse", "compare": "analyse",
    "audit": "audit",
    "sql": "browse", "trials": "browse", "show": "browse",
    "check": "check",
    "classify": "classify", "rules": "classify", "rule": "classify", "eval": "classify",
    "export": "dataset", "attach": "dataset",
    "ingest": "ingest", "formats": "ingest",
    "train": "models", "models": "models", "label": "models", "similar": "models",
    "report": "report",
}


class _Commands(click.Group):
    """A group whose commands are imported by name, from :data:`COMMANDS`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"{__package__}.{COMMANDS[cmd_name]}")
        return self.commands.get(cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="redline")
def main() -> None:
    """Audit recorded AI-agent trials.

    redline reads agent transcripts into a DuckDB database (ingest), labels the behaviours on
    every step (classify), finds obstacle -> resolution episodes, phases and findings
    (analyse), and writes a self-contained HTML report (report). `redline audit` does all four.
    Open the database with any DuckDB client, or query it with `redline sql`.

    Learned classifiers label messages beside the rules and suggest high-severity action labels
    (models, train); an auditor reviews their uncertain steps and records decisions (label), and
    finds the steps most like a surprising one (similar).

    Exit status: 0 done as asked; 1 done in part (a named path did not exist, or with --strict a
    file could not be read); 2 not done (wrong usage, no usable database, nothing to work on, a
    refused or failed query).
    """
