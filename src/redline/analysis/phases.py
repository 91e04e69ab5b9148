"""Phases: each action of a trial marked exploring, planning, executing or verifying.

Read from the action's labels and the categories of its simple commands, in this order:

``verifying``
    checks a copy of itself (REPL-VERIFY); or only looks (discovery labels, exploring or utility
    commands) at something one of the three actions before it acted on (the same port, file,
    log or process name: ``tail nohup.out`` after a launch, ``lsof -i :8001`` after a kill,
    ``cat shutdown.sh`` after rewriting it); or runs tests or a check script (``pytest``, a
    ``test_*.py`` or ``reproduce.py``) after the trial changed a file.
``executing``
    acts: runs code, changes files, installs, kills, starts, escalates (any action label but
    discovery and waiting), or runs changing or executing commands.
``exploring``
    looks: discovery labels or exploring commands.
``planning``
    neither acts nor looks: only utility or unknown commands with no behaviour label (``echo``
    of a note to itself, a no-op, a scaffold's think tool).
"""

from __future__ import annotations

import re

import polars as pl

from .. import schema
from .inputs import Inputs

_LOOKING = {"EXPL-PROC", "EXPL-SYS", "EXPL-FILE", "EXPL-READ", "EXPL-NET", "UTIL-WAIT"}
_TESTS = re.compile(r"(?i)(^|[/_\-])(tests?|verify|check|reproduce|repro)([_\-.]|$)|_test\.py$")
_TEST_RUNNERS = {"pytest", "tox", "nox", "unittest", "nosetests", "py.test"}
#: how many earlier acting steps a check may refer to
LOOKBACK = 3


def _targets(commands: pl.DataFrame) -> pl.DataFrame:
    """Per action: the names it touches (file base names and ports) and whether it runs tests."""
    if commands.is_empty():
        return pl.DataFrame(schema={"trial_id": pl.Utf8, "seq": pl.Int32, "names": pl.List(pl.Utf8),
                                    "tests": pl.Boolean})
    nohup_out = pl.when(pl.col("wrappers").fill_null([]).list.contains("nohup")
                        & (pl.col("redirects").fill_null([]).list.len() == 0)) \
        .then(pl.lit(["nohup.out"])).otherwise(pl.lit([], dtype=pl.List(pl.Utf8)))
    tokens = commands.select(
        "trial_id", "seq",
        pl.concat_list([pl.col("argv").fill_null([]),
                        pl.col("redirects").fill_null([]).list.eval(pl.element().str.replace(r"^\d*>>?", "")),
                        nohup_out]).alias("tok"),
        (pl.col("program").is_in(list(_TEST_RUNNERS))
         | pl.col("argv").fill_null([]).list.eval(pl.element().is_in(["pytest", "unittest"])).list.any()
         | pl.col("argv").fill_null([]).list.eval(pl.element().str.contains(_TESTS.pattern)).list.any()
         & pl.col("program").fill_null("").str.contains(r"^(python[\d.]*|bash|sh|node)$")).alias("tests"),
    )
    names = tokens.explode("tok", empty_as_null=False).filter(
        pl.col("tok").str.contains(r"(/|\.[A-Za-z0-9]{1,8}$|^\d{4,5}$|:\d{2,5}$)").fill_null(False)
        & ~pl.col("tok").str.contains(r"^(-|/dev/|&)").fill_null(True)
    ).select("trial_id", "seq", pl.col("tok").str.extract(r"([^/:]+)/*$").alias("name"))
    return tokens.group_by("trial_id", "seq").agg(pl.col("tests").any()).join(
        names.group_by("trial_id", "seq").agg(pl.col("name").drop_nulls().unique().alias("names")),
        on=["trial_id", "seq"], how="left").with_columns(pl.col("names").fill_null([]))


def phases(inputs: Inputs, categories: pl.DataFrame) -> pl.DataFrame:
    """One row per action: ``trial_id``, ``seq``, ``step``, ``phase`` (see the module doc)."""
    columns = schema.PHASES_TABLE.polars_schema()
    acts = inputs.actions.select("trial_id", "seq", "step", "labels",
                                 pl.col("attrs").fill_null("").str.contains('"terminal_id"').alias("_terminal"))
    if acts.is_empty():
        return pl.DataFrame(schema=columns)
    cats = categories.group_by("trial_id", "seq").agg(pl.col("category").unique().alias("cats"))
    rows = (acts.join(cats, on=["trial_id", "seq"], how="left")
            .join(_targets(inputs.command_rows), on=["trial_id", "seq"], how="left")
            .with_columns(pl.col("cats").fill_null([]), pl.col("names").fill_null([]),
                          pl.col("tests").fill_null(False))
            .sort("trial_id", "seq"))
    labels = pl.col("labels")
    acting = labels.list.eval(~pl.element().is_in(list(_LOOKING)) & ~pl.element().str.starts_with("REPL-VERIFY")
                              & ~pl.element().str.starts_with("MSG-")).list.any() \
        | pl.col("cats").list.eval(pl.element().is_in(["changing", "executing"])).list.any()
    looking = labels.list.eval(pl.element().is_in(list(_LOOKING))).list.any() \
        | pl.col("cats").list.contains("exploring")
    rows = rows.with_columns(acting.alias("_acting"), looking.alias("_looking"),
                             labels.list.contains("REPL-VERIFY").alias("_verify"),
                             labels.list.contains("FS-WRITE").alias("_writes"))
    out: list[tuple[str, int, int, str]] = []
    for (tid,), group in rows.partition_by("trial_id", as_dict=True, maintain_order=True).items():
        recent: list[set[str]] = []
        changed = False
        for r in group.iter_rows(named=True):
            names = set(r["names"])
            if r["_verify"] or not r["_acting"] and names and any(names & prior for prior in recent):
                phase = "verifying"
            elif r["tests"] and changed:
                phase = "verifying"
            elif r["_acting"]:
                phase = "executing"
            elif r["_looking"]:
                phase = "exploring"
            elif r["_terminal"] and not r["cats"] and recent:
                phase = "verifying"  # a scaffold's read of a terminal where something was started
            else:
                phase = "planning"
            if r["_acting"]:
                recent = (recent + [names])[-LOOKBACK:]
            changed = changed or r["_writes"]
            out.append((tid, r["seq"], r["step"], phase))
    return pl.DataFrame(out, schema=columns, orient="row")
