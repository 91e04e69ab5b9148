"""Findings folded for the auditor: each distinct thing once, with how often it happened.

A sweep that runs one task a hundred times raises the same finding in most of its runs. The
ranking keeps every finding (:mod:`.scoring` ranks the first of its kind in its task above its
repeats and damps them), and :func:`fold` makes the list an auditor reads: the findings that
share a :data:`FOLD_KEY` become one row, in the place of its best-ranked finding, naming how many
findings, trials and steps it stands for. Every finding of the row stays in its ``instances``
(``redline findings --unfold`` lists them as before).

The key is the ranking's own notion of a repeat, the same kind and subject in the same task (its
novelty and damping), with three more parts:

* the **model**: comparing models is what an audit is for, so two models doing the same thing in
  one task are two rows;
* the **scenario**: it names the trials' setting when a format records no task;
* the **severity as ranked**: an instance lowered for what the finding itself shows (the task
  asked for it, it stopped only the agent's own processes, its program is not installed) is a
  different judgement from the rest, and every row stays in its severity's band: each high row
  above each medium one, as the findings are.
"""

from __future__ import annotations

from typing import Any

import orjson
import polars as pl

from .. import schema

#: what folds findings into one row: the same of each
FOLD_KEY = ("severity", "kind", "subject", "task", "scenario", "model")
#: the columns of a finding carried by its row (its best-ranked finding's) and by each instance
FINDING_COLUMNS = tuple(schema.FINDINGS.polars_schema())
_BEST = ("trial_id", "seq", "step", "episode_id", "score", "why", "factors")
#: the columns of the folded frame
SCHEMA = pl.Schema({
    "rank": pl.Int64, **{k: pl.Utf8 for k in FOLD_KEY},
    "findings": pl.Int64, "trials": pl.Int64, "steps": pl.Int64, "best_rank": pl.Int64,
    **{k: schema.FINDINGS.polars_schema()[k] for k in _BEST},
    "instances": pl.List(pl.Struct(schema.FINDINGS.polars_schema())),
})


def steps_of() -> pl.Expr:
    """The steps each finding stands for: a step finding every step of its trial with its label,
    an episode the steps its strategies name (``factors.steps``); without that count, the one
    step it points at, or none for a whole trial."""
    counted = pl.col("factors").cast(pl.Utf8).str.json_path_match("$.steps").cast(pl.Int64, strict=False)
    return pl.coalesce(counted, pl.when(pl.col("seq").is_not_null()).then(1).otherwise(0))


def fold(findings: pl.DataFrame, trials: pl.DataFrame) -> pl.DataFrame:
    """One row per :data:`FOLD_KEY` (columns :data:`SCHEMA`), in the order of its best-ranked
    finding, numbered from 1 in ``rank``; ``best_rank`` is that finding's own rank and the
    columns after it are its, ``findings``, ``trials`` and ``steps`` count what the row stands
    for, and ``instances`` holds every finding of the row in rank order.

    ``findings`` has the ``findings`` table's columns; ``trials`` at least ``trial_id``, and
    ``task``, ``scenario`` and ``model`` where it has them."""
    if findings.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    meta = trials.select("trial_id", *[pl.col(c).cast(pl.Utf8) if c in trials.columns
                                       else pl.lit(None, pl.Utf8).alias(c) for c in ("task", "scenario", "model")])
    meta = meta.unique("trial_id")
    rows = findings.select(FINDING_COLUMNS).sort("rank").join(meta, on="trial_id", how="left")
    out = rows.group_by(list(FOLD_KEY), maintain_order=True).agg(
        pl.len().cast(pl.Int64).alias("findings"),
        pl.col("trial_id").n_unique().cast(pl.Int64).alias("trials"),
        steps_of().sum().cast(pl.Int64).alias("steps"),
        pl.col("rank").first().cast(pl.Int64).alias("best_rank"),
        *[pl.col(c).first() for c in _BEST],
        pl.struct(list(FINDING_COLUMNS)).alias("instances"),
    )
    return out.with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64)).select(list(SCHEMA))


def counts(row: dict[str, Any]) -> str:
    """What a folded row stands for, each count labelled: ``56 findings in 56 trials, on 112 steps``
    (no steps named for findings about whole trials)."""
    def n(k: int, what: str) -> str:
        return f"{k} {what}{'' if k == 1 else 's'}"
    steps = f", on {n(row['steps'], 'step')}" if row["steps"] else ""
    return f"{n(row['findings'], 'finding')} in {n(row['trials'], 'trial')}{steps}"


def rank_runs(ranks: list[int], most: int | None = None) -> str:
    """Ranks as runs, ``4-58, 60, 62-63``; past ``most`` runs, the rest as ``… (N more, to R)``."""
    runs: list[list[int]] = []
    for r in sorted(ranks):
        if runs and r == runs[-1][1] + 1:
            runs[-1][1] = r
        else:
            runs.append([r, r])
    words = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs]
    if most is not None and len(words) > most:
        rest = sum(b - a + 1 for a, b in runs[most:])
        return ", ".join(words[:most]) + f", … ({rest} more, to {runs[-1][1]})"
    return ", ".join(words)


def records(folded: pl.DataFrame) -> list[dict[str, Any]]:
    """The folded rows as plain objects (for JSON), ``factors`` decoded in each row and instance."""
    out = folded.to_dicts()
    for row in out:
        row["factors"] = orjson.loads(row["factors"]) if row["factors"] else None
        for f in row["instances"]:
            f["factors"] = orjson.loads(f["factors"]) if f["factors"] else None
    return out


def totals(folded: pl.DataFrame) -> dict[str, int]:
    """How many findings, rows and trials the folded frame holds."""
    trials = folded.select(pl.col("instances").explode(empty_as_null=False).struct.field("trial_id").n_unique()).item() \
        if folded.height else 0
    return {"findings": int(folded["findings"].sum()) if folded.height else 0, "rows": folded.height,
            "trials": trials}
