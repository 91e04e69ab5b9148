"""Run every rule over a batch of trials in one vectorised pass.

:func:`label_frames` is a pure function from a batch's :class:`~redline.classifiers.frames.Frames`
to a frame of labels (columns :data:`LABEL_COLUMNS`), so the same code runs over a DuckDB
database (:func:`redline.classifiers.store.classify`), over in-memory examples (the rule
tests) or over Parquet shards elsewhere. Reading and writing the database is
:mod:`redline.classifiers.store`'s job.

A rule's output may carry a ``detail`` column of JSON text (structured evidence, such as whose
process a kill targeted); every other rule's labels get NULL there.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from .. import schema
from .frames import OUTPUT_WINDOW, WINDOW_GAP, Frames
from .rule import Rule

#: the columns of a frame of labels: the labels table's, less what the writer adds
LABEL_COLUMNS = schema.LABELS.polars_schema(without=("run_id",))

#: characters of evidence kept per label (the span offsets locate the full match)
EVIDENCE_CHARS = 500
#: the score of a rule's label (a rule either finds the behaviour or does not); learned
#: classifiers and custom rules may give their own in a ``score`` column
RULE_SCORE = 1.0


def rule_hits(rule: Rule, frames: Frames) -> pl.DataFrame:
    """The labels ``rule`` gives in this batch, computed once per batch."""
    return frames.memo(("rule", rule.id, rule.classifier_version), lambda: _run_rule(rule, frames))


def _empty_labels() -> pl.DataFrame:
    return pl.DataFrame(schema=LABEL_COLUMNS)


def _evidence_columns(patterns: tuple[str, ...]) -> list[pl.Expr]:
    """Evidence text and span for a text-unit match: the first matching pattern's match."""
    if not patterns:
        return [
            pl.col("text").str.slice(0, EVIDENCE_CHARS).alias("evidence"),
            pl.lit(None, pl.Int32).alias("span_start"), pl.lit(None, pl.Int32).alias("span_end"),
        ]
    found = [pl.col("text").str.extract(f"({p})", 1) for p in patterns]
    starts = [pl.col("text").str.find(p) for p in patterns]
    evidence = pl.coalesce(found)
    # str.find gives byte offsets; convert to character offsets through the prefix length
    start_bytes = pl.coalesce(starts)
    char_start = (
        pl.col("text").cast(pl.Binary).bin.slice(0, start_bytes).cast(pl.Utf8, strict=False).str.len_chars()
    )
    return [
        evidence.str.slice(0, EVIDENCE_CHARS).alias("evidence"),
        char_start.cast(pl.Int32).alias("span_start"),
        (char_start + evidence.str.len_chars()).cast(pl.Int32).alias("span_end"),
    ]


def _finish(df: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """A rule's rows as labels: every column of :data:`LABEL_COLUMNS` (NULL where the rule gives
    none), the rule's ID, unit and version, and evidence cut to :data:`EVIDENCE_CHARS`."""
    out = df.with_columns(
        pl.lit(rule.unit).alias("unit"),
        pl.lit(rule.id).alias("label_id"),
        pl.lit(rule.classifier_version).alias("classifier_version"),
        pl.lit("rule").alias("source"),
    ).select([pl.col(name).cast(dtype) if name in df.columns or name in ("unit", "label_id", "classifier_version",
                                                                         "source")
              else pl.lit(None, dtype).alias(name) for name, dtype in LABEL_COLUMNS.items()])
    return out.with_columns(pl.col("evidence").str.slice(0, EVIDENCE_CHARS))


def _unwindow(labels: pl.DataFrame, frames: Frames) -> pl.DataFrame:
    """Shift observation spans found in a long output's tail back to stored-text offsets."""
    if labels.is_empty() or frames.output_shift.is_empty():
        return labels
    tail_start = OUTPUT_WINDOW + len(WINDOW_GAP)
    in_tail = pl.col("span_start").is_not_null() & (pl.col("span_start") >= tail_start) & pl.col("_shift").is_not_null()
    return labels.join(frames.output_shift, on=["trial_id", "seq"], how="left").with_columns(
        pl.when(in_tail).then(pl.col("span_start") + pl.col("_shift")).otherwise(pl.col("span_start")).alias("span_start"),
        pl.when(in_tail).then(pl.col("span_end") + pl.col("_shift")).otherwise(pl.col("span_end")).alias("span_end"),
    ).drop("_shift")


def _run_rule(rule: Rule, frames: Frames) -> pl.DataFrame:
    out = _run_rule_unshifted(rule, frames)
    return _unwindow(out, frames) if rule.unit == "observation" else out


def _run_rule_unshifted(rule: Rule, frames: Frames) -> pl.DataFrame:
    if rule.status == "deprecated":
        return _empty_labels()
    if rule.custom is not None:
        out = rule.custom(frames)
        if out.is_empty():
            return _empty_labels()
        if "score" not in out.columns:
            out = out.with_columns(pl.lit(RULE_SCORE).alias("score"))
        return _finish(out, rule)
    assert rule.match is not None
    parts: list[pl.DataFrame] = []
    if rule.on == "command":
        hit = frames.commands.filter(rule.match.expr)
        if not hit.is_empty():
            parts.append(
                hit.sort("idx").group_by(["trial_id", "seq"], maintain_order=True).first().select(
                    "trial_id", "seq",
                    pl.col("text").str.slice(0, EVIDENCE_CHARS).alias("evidence"),
                    "span_start", "span_end", pl.col("evidence_seq").cast(pl.Int32),
                )
            )
        if rule.fallback:
            unparsed = frames.actions.filter(
                pl.col("parse_error").is_not_null() & pl.col("text").str.contains(rule.fallback).fill_null(False))
            if not unparsed.is_empty():
                parts.append(unparsed.select("trial_id", "seq", *_evidence_columns((rule.fallback,))))
    else:
        source = {"action": frames.actions, "observation": frames.observations,
                  "message": frames.messages.filter(pl.col("role") == "assistant")}[rule.on]
        hit = source.filter(rule.match.expr)
        if not hit.is_empty():
            parts.append(hit.select("trial_id", "seq", *_evidence_columns(rule.match.patterns)))
    if not parts:
        return _empty_labels()
    out = pl.concat([p.with_columns(pl.col("span_start").cast(pl.Int32), pl.col("span_end").cast(pl.Int32)) for p in parts],
                    how="diagonal_relaxed")
    out = out.with_columns(pl.lit(RULE_SCORE).alias("score"))
    return _finish(out, rule)


def label_frames(frames: Frames, rules: Iterable[Rule]) -> pl.DataFrame:
    """All labels the rules give to the rows in ``frames``: one row per (step, label)."""
    parts = [rule_hits(rule, frames) for rule in rules]
    parts = [p for p in parts if not p.is_empty()]
    if not parts:
        return _empty_labels()
    labels = pl.concat(parts)
    # one label per (trial, step, ID): keep the first evidence found
    return labels.unique(subset=["trial_id", "seq", "label_id"], keep="first", maintain_order=True)
