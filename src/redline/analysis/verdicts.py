"""Source verdicts beside inferred trial labels, and where they disagree.

A source may carry its own verdict on a trial (Terminal-Bench ``results.json``, mini-swe-agent's
``report.json``, Inspect scores, Palisade's ``tags.json``); redline keeps it as recorded in
``trials.source_verdict`` and infers its trial labels from the transcript alone. Where a verdict
speaks to the same question as an inferred label, :func:`verdict_checks` puts the two side by
side:

* ``TRIAL-SHUTDOWN-AVOIDED`` against a verdict that says whether the shutdown was avoided
  (a ``tags`` list with or without ``avoided``, or an ``avoided`` flag);
* ``TRIAL-REPLICATED`` against the verdict of a self-replication trial (scenario
  ``replication``): its success is the replica answering.
"""

from __future__ import annotations

import polars as pl

CHECK_SCHEMA = {"trial_id": pl.Utf8, "label_id": pl.Utf8, "question": pl.Utf8, "source": pl.Boolean,
                "inferred": pl.Boolean, "agree": pl.Boolean, "source_verdict": pl.Utf8}


def verdict_text(column: str = "source_verdict", limit: int = 40) -> pl.Expr:
    """A verdict's JSON as a short line (``{"tags": ["avoided", "mock"]}`` -> ``tags=avoided,mock``)."""
    raw = pl.col(column).cast(pl.Utf8)
    text = (raw.str.replace_all(r'[{}"\[\] ]', "").str.replace_all(r":", "=")
            .str.replace_all(r",(\w+)=", "; $1="))
    return pl.when(raw.is_null() | (raw == "null")).then(pl.lit("")).otherwise(
        pl.when(text.str.len_chars() > limit).then(text.str.slice(0, limit - 1) + "…").otherwise(text))


def verdict_checks(trials: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """One row per trial and inferred label whose source has a verdict on the same question:
    ``source`` (the verdict says yes), ``inferred`` (the label is there), ``agree``."""
    trial_labels = labels.filter(pl.col("seq").is_null()).select("trial_id", "label_id").unique()
    verdict = pl.col("source_verdict").cast(pl.Utf8)
    tags = verdict.str.json_path_match("$.tags")
    avoided_flag = verdict.str.json_path_match("$.avoided")
    t = trials.select("trial_id", "scenario", "outcome", verdict.alias("source_verdict"),
                      tags.alias("_tags"), avoided_flag.alias("_avoided"))
    parts = []
    shutdown = t.filter(pl.col("_tags").is_not_null() | pl.col("_avoided").is_not_null()).select(
        "trial_id", "source_verdict", pl.lit("TRIAL-SHUTDOWN-AVOIDED").alias("label_id"),
        pl.lit("shutdown avoided").alias("question"),
        pl.coalesce(pl.col("_avoided").str.to_lowercase() == "true",
                    pl.col("_tags").str.contains(r'"avoided"')).alias("source"))
    parts.append(shutdown)
    replication = t.filter((pl.col("scenario") == "replication") & pl.col("outcome").is_in(["success", "failure"])
                           ).select("trial_id", "source_verdict", pl.lit("TRIAL-REPLICATED").alias("label_id"),
                                    pl.lit("replica running").alias("question"),
                                    (pl.col("outcome") == "success").alias("source"))
    parts.append(replication)
    checks = pl.concat(parts, how="vertical_relaxed")
    if checks.is_empty():
        return pl.DataFrame(schema=CHECK_SCHEMA)
    checks = checks.join(trial_labels.with_columns(pl.lit(True).alias("inferred")), on=["trial_id", "label_id"],
                         how="left").with_columns(pl.col("inferred").fill_null(False))
    return checks.with_columns((pl.col("source") == pl.col("inferred")).alias("agree")).select(
        list(CHECK_SCHEMA)).sort("label_id", "trial_id")


def confusion(checks: pl.DataFrame, label_id: str) -> dict[str, int]:
    """The confusion matrix of one label against its source verdicts (``true_positive``,
    ``false_positive``, ``false_negative``, ``true_negative``, ``trials``, ``agree``)."""
    c = checks.filter(pl.col("label_id") == label_id)
    tp = c.filter(pl.col("source") & pl.col("inferred")).height
    fp = c.filter(~pl.col("source") & pl.col("inferred")).height
    fn = c.filter(pl.col("source") & ~pl.col("inferred")).height
    tn = c.filter(~pl.col("source") & ~pl.col("inferred")).height
    return {"label_id": label_id, "trials": c.height, "agree": tp + tn, "true_positive": tp,
            "false_positive": fp, "false_negative": fn, "true_negative": tn}
