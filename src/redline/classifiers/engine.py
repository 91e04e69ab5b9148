"""Run every rule over a batch of trials in one vectorised pass.

:func:`label_frames` is a pure function from a batch's :class:`~redline.classifiers.frames.Frames`
to a frame of labels (columns :data:`LABEL_COLUMNS`), so the same code runs over a DuckDB
database (:func:`redline.classifiers.store.classify`), over in-memory examples (the rule
tests) or over Parquet shards elsewhere. Reading and writing the database is
:mod:`redline.classifiers.store`'s job; finding the rows where a rule's match holds is
:mod:`redline.classifiers.matching`'s (a rule's row-wise tests are evaluated once per distinct
value of what they read, and not at all over no rows); this module makes those rows labels.

A rule's output may carry a ``detail`` column of JSON text (structured evidence, such as whose
process a kill targeted); every other rule's labels get NULL there.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

import polars as pl

from .. import schema
from ..limits import EVIDENCE_CHARS
from .distinct import forget_groupings
from .evidence import located_evidence
from .expressions import filtered
from .frames import OUTPUT_WINDOW, WINDOW_GAP, Frames
from .matching import command_hits, match_rows
from .reach import helpers_done
from .rule import Rule

#: the columns of a frame of labels: the labels table's, less what the writer adds
LABEL_COLUMNS = schema.LABELS.polars_schema(without=("run_id",))

#: the score of a rule's label (a rule either finds the behaviour or does not); learned
#: classifiers and custom rules may give their own in a ``score`` column
RULE_SCORE = 1.0


def rule_hits(rule: Rule, frames: Frames) -> pl.DataFrame:
    """The labels ``rule`` gives in this batch (one per step: the first evidence found),
    computed once per batch."""
    return frames.memo(("rule", rule.id, rule.classifier_version), lambda: _run_rule(rule, frames))


#: the expressions that make a rule's rows labels (:func:`_finishing`), by rule and columns. Held
#: in an object the version fingerprints do not read (:mod:`redline.classifiers.fingerprint`):
#: what a process happened to evaluate before must not change a rule's version
_SEEN = SimpleNamespace(finish={})


def assistant_messages(frames: Frames) -> pl.DataFrame:
    """The batch's messages written by the agent (what ``message`` rules read), once per batch."""
    return frames.memo("assistant_messages", lambda: frames.messages.filter(pl.col("role") == "assistant"))


def unparsed_actions(frames: Frames) -> pl.DataFrame:
    """The batch's actions whose command line did not parse (what a rule's ``fallback`` regex
    reads), found once per batch."""
    return frames.memo("unparsed_actions", lambda: frames.actions.filter(pl.col("parse_error").is_not_null()))


#: a frame of no labels, copied for each rule that gives none (building one from the schema
#: costs far more than copying it, and most rules give none in a small batch)
_NO_LABELS = pl.DataFrame(schema=LABEL_COLUMNS)


def _empty_labels() -> pl.DataFrame:
    return _NO_LABELS.clear()


def _with_evidence(df: pl.DataFrame, patterns: tuple[str, ...]) -> pl.DataFrame:
    """trial_id, seq, and evidence text and span for a text-unit match: the first matching
    pattern's match (no pattern: the text's head, no span)."""
    if not patterns:
        return df.select("trial_id", "seq", pl.col("text").str.slice(0, EVIDENCE_CHARS).alias("evidence"),
                         pl.lit(None, pl.Int32).alias("span_start"), pl.lit(None, pl.Int32).alias("span_end"))
    return located_evidence(df, patterns)


def _finish(df: pl.DataFrame, rule: Rule) -> pl.DataFrame:
    """A rule's rows as labels: every column of :data:`LABEL_COLUMNS` (NULL where the rule gives
    none; a ``score`` of :data:`RULE_SCORE` where it gives none), the rule's ID, unit and version,
    and evidence cut to :data:`EVIDENCE_CHARS`; in one pass over the rows."""
    return df.select(_finishing(rule, tuple(df.columns)))


def _finishing(rule: Rule, columns: tuple[str, ...]) -> list[pl.Expr]:
    """:func:`_finish`'s expressions for a rule's rows of these columns, made once per process
    for each (a rule's frames of hits have the same columns batch after batch)."""
    key = (rule.id, rule.unit, rule.classifier_version, columns)
    known = _SEEN.finish.get(key)
    if known is not None:
        return known
    given = {"unit": rule.unit, "label_id": rule.id, "classifier_version": rule.classifier_version, "source": "rule"}
    if "score" not in columns:
        given["score"] = RULE_SCORE
    exprs = []
    for name, dtype in LABEL_COLUMNS.items():
        if name in given:
            column = pl.lit(given[name]).cast(dtype)
        elif name in columns:
            column = pl.col(name).cast(dtype)
        else:
            column = pl.lit(None, dtype)
        if name == "evidence":
            column = column.str.slice(0, EVIDENCE_CHARS)
        exprs.append(column.alias(name))
    _SEEN.finish[key] = exprs
    return exprs


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
        return _finish(_first_per_step(out), rule)
    assert rule.match is not None
    parts: list[pl.DataFrame] = []
    if rule.on == "command":
        hit = command_hits(frames, rule.match)
        if not hit.is_empty():
            parts.append(hit)
        if rule.fallback:
            unparsed = filtered(unparsed_actions(frames), pl.col("text").str.contains(rule.fallback).fill_null(False))
            if not unparsed.is_empty():
                parts.append(_with_evidence(unparsed, (rule.fallback,)))
    else:
        source = {"action": frames.actions, "observation": frames.observations,
                  "message": assistant_messages(frames)}[rule.on]
        hit = match_rows(frames, source, rule.match)
        if not hit.is_empty():
            parts.append(_with_evidence(hit, rule.match.patterns))
    if not parts:
        return _empty_labels()
    if len(parts) == 1:  # (its spans are cast with every other column: :func:`_finish`)
        return _finish(parts[0], rule)
    out = pl.concat([p.with_columns(pl.col("span_start").cast(pl.Int32), pl.col("span_end").cast(pl.Int32)) for p in parts],
                    how="diagonal_relaxed")
    # a step whose command matched and whose line did not parse: the first
    return _finish(_first_per_step(out), rule)


def _first_per_step(df: pl.DataFrame) -> pl.DataFrame:
    """One row per (trial, step): the first."""
    return df.unique(subset=["trial_id", "seq"], keep="first", maintain_order=True)


def label_frames(frames: Frames, rules: Iterable[Rule]) -> pl.DataFrame:
    """All labels the rules give to the rows in ``frames``: one row per (step, label), the first
    evidence found.

    A rule's labels are one per step already (:func:`rule_hits`) and carry its ID, so rules of
    distinct IDs need no deduplication of the whole: a batch's labels are many, and finding the
    duplicates among them costs about three times their size in memory at the batch's peak."""
    rules = list(rules)
    parts = []
    for rule, done in zip(rules, helpers_done(rules)):
        parts.append(rule_hits(rule, frames))
        for key in done:  # (with the groupings of its frames)
            forget_groupings(frames, frames.forget(key))
    parts = [p for p in parts if not p.is_empty()]
    if not parts:
        return _empty_labels()
    labels = pl.concat(parts)
    if len({rule.id for rule in rules}) == len(rules):
        return labels
    return labels.unique(subset=["trial_id", "seq", "label_id"], keep="first", maintain_order=True)
