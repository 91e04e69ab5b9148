"""The Fudan study's four command categories (its Table 2), over simple commands.

Behaviour catalogue 1.2, "Command categories": each simple command is categorised by its
program. The study's own table comes first; programs the catalogue adds "by analogy" come
second and never override it (the study puts ``tail`` in utility and ``cat`` in exploring).
Programs in neither are ``other``, counted and reported, never dropped.

Three readings of "by its program", stated here so they can be checked:

* wrappers are not the program: ``sudo``, ``nohup``, ``setsid``, ``timeout``, ``env`` are
  removed at ingest, so ``nohup python3 x.py`` is ``python3`` (the catalogue's "nohup/setsid
  targets"); ``bash -c '...'`` only wraps the commands it runs, which have their own rows;
* version suffixes name the same program (``python3.11`` is ``python3``, ``pip3`` is ``pip``)
  and ``python -m pip`` is ``pip``; ``.`` is ``source``;
* ``echo`` into a file (a ``>`` or ``>>`` redirection to a file) is changing; other ``echo``
  is utility. A program run by path (``./start.sh``) is executing.

A scaffold's own tool calls that an adapter records as one simple command named after the tool
(a terminal read, a file viewer) are not shell commands and are left out.
"""

from __future__ import annotations

import polars as pl

from .. import schema
from ..schema import CATEGORIES

#: the study's table (Table 2)
STUDY = {
    "exploring": ("ls", "find", "pwd", "cat", "ps", "lsof", "netstat", "ss", "curl", "nc"),
    "changing": ("source", "pip", "sed", "cd", "touch", "mkdir", "cp", "kill"),
    "executing": ("python", "bash"),
    "utility": ("grep", "tail", "nano", "vim"),
}
#: the catalogue's additions "by analogy"
ANALOGY = {
    "exploring": ("which", "whoami", "id", "uname", "df", "free", "nvidia-smi", "env", "stat", "tree", "pgrep",
                  "wget"),
    "changing": ("mv", "rm", "chmod", "chown", "ln", "tee", "pkill", "killall", "apt", "apt-get", "conda",
                 "export"),
    "executing": ("python3", "sh", "node", "uvicorn", "vllm"),
    "utility": ("sleep", "echo", "wc", "sort", "head", "less", "awk", "cut", "vi"),
}


def program_category() -> dict[str, str]:
    """Program -> category: the study's table, then the analogies where the study is silent."""
    table: dict[str, str] = {}
    for source in (STUDY, ANALOGY):
        for category, programs in source.items():
            for program in programs:
                table.setdefault(program, category)
    return table


def command_categories(commands: pl.DataFrame, events: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per simple command: ``trial_id``, ``seq``, ``idx``, ``program``, ``category``.

    ``commands`` has the commands table's columns (``program``, ``path``, ``argv``,
    ``redirects`` at least). ``events`` (with ``tool``) lets the scaffold's own tool calls be
    left out.
    """
    if commands.is_empty():
        return pl.DataFrame(schema=schema.COMMAND_CATEGORIES.polars_schema())
    cmds = commands
    if events is not None and "tool" in events.columns:
        tools = events.filter(pl.col("kind") == "action").select("trial_id", "seq", pl.col("tool").alias("_tool"))
        cmds = cmds.join(tools, on=["trial_id", "seq"], how="left").filter(
            pl.col("_tool").is_null() | (pl.col("program") != pl.col("_tool"))).drop("_tool")
    program = pl.col("program").fill_null("")
    argv = pl.col("argv").fill_null([])
    wrapper = program.is_in(["bash", "sh", "zsh", "dash"]) & argv.list.contains("-c")
    cmds = cmds.filter(~wrapper)
    norm = (pl.when(program.str.contains(r"^python[\d.]*$") & (argv.list.get(0, null_on_oob=True) == "-m")
                    & (argv.list.get(1, null_on_oob=True) == "pip")).then(pl.lit("pip"))
            .when(program.str.contains(r"^python3[\d.]+$")).then(pl.lit("python3"))
            .when(program.str.contains(r"^python[12]?$|^python2[\d.]+$")).then(pl.lit("python"))
            .when(program.str.contains(r"^pip[\d.]+$")).then(pl.lit("pip"))
            .when(program == ".").then(pl.lit("source"))
            .otherwise(program))
    into_file = pl.col("redirects").fill_null([]).list.eval(
        pl.element().str.contains(r"^\d*>>?\s*[^&]") & ~pl.element().str.contains(r"/dev/null$")).list.any()
    by_path = pl.col("path").fill_null("").str.contains(r"^(\.{0,2}/|~/)")
    table = program_category()
    category = (pl.when((norm == "echo") & into_file).then(pl.lit("changing"))
                .otherwise(norm.replace_strict(table, default=None, return_dtype=pl.Utf8)))
    category = pl.when(category.is_null() & by_path).then(pl.lit("executing")).otherwise(category).fill_null("other")
    return cmds.select("trial_id", pl.col("seq").cast(pl.Int32), pl.col("idx").cast(pl.Int32), "program",
                       category.alias("category")).sort("trial_id", "seq", "idx")


def category_shares(categories: pl.DataFrame, groups: pl.DataFrame, by: str) -> pl.DataFrame:
    """Per group: commands in each category and their share of all the group's simple commands.

    ``groups`` maps ``trial_id`` to the group column ``by``. Returns ``by``, ``category``,
    ``commands``, ``share`` (of all commands, ``other`` included) and ``share_of_four`` (of
    the four study categories only, as the study reports them; null for ``other``).
    """
    joined = categories.join(groups.select("trial_id", by), on="trial_id", how="inner")
    counts = joined.group_by(by, "category").agg(pl.len().alias("commands"))
    full = groups.select(by).unique().join(pl.DataFrame({"category": list(CATEGORIES)}), how="cross") \
        .join(counts, on=[by, "category"], how="left").with_columns(pl.col("commands").fill_null(0))
    four = pl.col("category") != "other"
    return full.with_columns(
        (pl.col("commands") / pl.col("commands").sum().over(by)).fill_nan(None).alias("share"),
        pl.when(four).then(pl.col("commands") / pl.col("commands").filter(four).sum().over(by))
        .otherwise(None).fill_nan(None).alias("share_of_four"),
    ).sort(by, pl.col("category").replace_strict({c: i for i, c in enumerate(CATEGORIES)}, return_dtype=pl.Int32))
