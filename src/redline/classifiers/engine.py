"""Run every rule over a batch of trials in one vectorised pass.

:func:`label_frames` is a pure function from a batch of stored rows (:class:`Frames`) to a
frame of labels, so the same code runs over a DuckDB database (:func:`classify`), over
in-memory examples (the rule tests) or over Parquet shards elsewhere.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa

from ..db import frame as dbframe
from .rule import Rule

LABEL_COLUMNS = {
    "trial_id": pl.Utf8, "seq": pl.Int32, "unit": pl.Utf8, "label_id": pl.Utf8,
    "classifier_version": pl.Utf8, "score": pl.Float64, "evidence": pl.Utf8,
    "evidence_seq": pl.Int32, "span_start": pl.Int32, "span_end": pl.Int32,
    # structured evidence as a JSON object (text); a custom rule's frame may carry it
    "detail": pl.Utf8,
}

#: characters of evidence kept per label (the span offsets locate the full match)
EVIDENCE_CHARS = 500
#: characters of a long output's head and tail that observation rules read
OUTPUT_WINDOW = 32_768
#: what stands for the unread middle of a long output
WINDOW_GAP = "\n[... output elided for classification ...]\n"
#: trials per classification batch (memory stays bounded by batch size)
BATCH_TRIALS = 2000


@dataclass
class Frames:
    """The rows of a batch of trials, shaped for rules.

    ``commands`` — commands rows joined with the action's ``tool`` and ``command_type``;
    ``actions`` — action events (``text``, ``tool``, ``parse_error``, ``command_type``);
    ``observations`` — observation events with ``command`` (the action's text);
    ``messages`` — message events (all roles; message rules see only the assistant's);
    ``events`` — every event (for context rules); ``trials`` — the trials rows.
    """

    trials: pl.DataFrame
    events: pl.DataFrame
    commands: pl.DataFrame

    def __post_init__(self) -> None:
        self._memo: dict = {}
        ev = self.events
        if "command_type" not in ev.columns:
            ev = ev.with_columns(
                pl.col("attrs").str.json_path_match("$.command_type").alias("command_type")
                if "attrs" in ev.columns else pl.lit(None, pl.Utf8).alias("command_type")
            )
            self.events = ev
        self.actions = ev.filter(pl.col("kind") == "action").select(
            "trial_id", "seq", "text", "tool", "parse_error", "command_type")
        acts = self.actions.select("trial_id", pl.col("seq").alias("action_seq"), pl.col("text").alias("command"))
        obs = ev.filter(pl.col("kind") == "observation").select(
            "trial_id", "seq", "text", "exit_code", "action_seq")
        # rules read a long output's head and tail only: cost per row stays bounded, and spans
        # found in the tail are shifted back to offsets in the stored text (see _unwindow)
        length = pl.col("text").str.len_chars()
        long = length > 2 * OUTPUT_WINDOW + len(WINDOW_GAP)
        self.observations = obs.with_columns(
            pl.when(long).then(pl.concat_str([pl.col("text").str.slice(0, OUTPUT_WINDOW), pl.lit(WINDOW_GAP),
                                              pl.col("text").str.slice(-OUTPUT_WINDOW)]))
            .otherwise(pl.col("text")).alias("text"),
        ).join(acts, on=["trial_id", "action_seq"], how="left")
        self._tail_shift = obs.filter(long).select(
            "trial_id", "seq", (length - 2 * OUTPUT_WINDOW - len(WINDOW_GAP)).cast(pl.Int32).alias("_shift"))
        self.messages = ev.filter(pl.col("kind") == "message").select("trial_id", "seq", "role", "text")
        self.commands = self.commands.join(
            self.actions.select("trial_id", "seq", "tool", "command_type"), on=["trial_id", "seq"], how="left")
        # scripts written earlier and run here add their commands (context 'script'); their
        # evidence points at the step that wrote them (evidence_seq), null for ordinary rows
        from .scripts import script_commands

        scripts = script_commands(self)
        self.commands = self.commands.with_columns(pl.lit(None, pl.Int32).alias("evidence_seq"))
        if not scripts.is_empty():
            self.commands = pl.concat([self.commands, scripts], how="diagonal_relaxed")

    def memo(self, key, compute: Callable[[], pl.DataFrame]):
        """``compute()`` once per batch for ``key``: rules that build on the same context or on
        another rule's hits share one computation."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @classmethod
    def from_arrow(cls, trials: pa.Table, events: pa.Table, commands: pa.Table) -> "Frames":
        return cls(pl.from_arrow(trials), pl.from_arrow(events), pl.from_arrow(commands))  # type: ignore[arg-type]

    @classmethod
    def from_db(cls, con: duckdb.DuckDBPyConnection, trial_ids: Sequence[str]) -> "Frames":
        ids = pa.table({"trial_id": pa.array(list(trial_ids), pa.string())})
        con.register("_classify_ids", ids)
        try:
            trials = dbframe(con, "SELECT * FROM trials WHERE trial_id IN (SELECT trial_id FROM _classify_ids)")
            events = dbframe(con, 
                "SELECT trial_id, seq, ts, kind, role, text, tool, exit_code, action_seq, parse_error, "
                "attrs->>'command_type' AS command_type, attrs FROM events "
                "WHERE trial_id IN (SELECT trial_id FROM _classify_ids) ORDER BY trial_id, seq"
            )
            commands = dbframe(con, 
                "SELECT * FROM commands WHERE trial_id IN (SELECT trial_id FROM _classify_ids) "
                "ORDER BY trial_id, seq, idx"
            )
        finally:
            con.unregister("_classify_ids")
        return cls(trials, events, commands)


def per_batch(fn: Callable[["Frames"], Any]) -> Callable[["Frames"], Any]:
    """Decorate a function of a batch's Frames so it runs once per batch, however many rules
    call it."""
    @functools.wraps(fn)
    def wrapper(frames: "Frames"):
        return frames.memo(fn, lambda: fn(frames))
    return wrapper


def rule_hits(rule: Rule, frames: "Frames") -> pl.DataFrame:
    """The labels ``rule`` gives in this batch, computed once per batch."""
    return frames.memo(("rule", rule.id, rule.version), lambda: _run_rule(rule, frames))


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
    return df.with_columns(
        pl.lit(rule.unit).alias("unit"),
        pl.lit(rule.id).alias("label_id"),
        pl.lit(rule.classifier_version).alias("classifier_version"),
    ).select([pl.col(name).cast(dtype) if name in df.columns or name in ("unit", "label_id", "classifier_version")
              else pl.lit(None, dtype).alias(name) for name, dtype in LABEL_COLUMNS.items()])


def _unwindow(labels: pl.DataFrame, frames: Frames) -> pl.DataFrame:
    """Shift observation spans found in a long output's tail back to stored-text offsets."""
    if labels.is_empty() or frames._tail_shift.is_empty():
        return labels
    tail_start = OUTPUT_WINDOW + len(WINDOW_GAP)
    in_tail = pl.col("span_start").is_not_null() & (pl.col("span_start") >= tail_start) & pl.col("_shift").is_not_null()
    return labels.join(frames._tail_shift, on=["trial_id", "seq"], how="left").with_columns(
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
            out = out.with_columns(pl.lit(rule.score).alias("score"))
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
    out = out.with_columns(pl.lit(rule.score).alias("score"))
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


@dataclass
class ClassifyReport:
    trials: int = 0
    labels: int = 0
    rules: int = 0

    def summary(self) -> str:
        return f"{self.labels} labels from {self.rules} classifiers over {self.trials} trials"


def classify(
    con: duckdb.DuckDBPyConnection,
    rules: Sequence[Rule] | None = None,
    *,
    trial_ids: Sequence[str] | None = None,
    batch_trials: int = BATCH_TRIALS,
    on_batch: Callable[[int], None] | None = None,
) -> ClassifyReport:
    """Label the stored events, replacing earlier labels of the same classifier versions.

    Runs in batches of trials so memory stays bounded; each batch is one transaction.
    """
    if rules is None:
        from .registry import active_rules

        rules = active_rules()
    if trial_ids is None:
        trial_ids = [r[0] for r in con.execute("SELECT trial_id FROM trials ORDER BY trial_id").fetchall()]
    keys = pa.table({
        "label_id": [r.id for r in rules],
        "classifier_version": [r.classifier_version for r in rules],
    })
    report = ClassifyReport(rules=len(rules))
    for start in range(0, len(trial_ids), batch_trials):
        chunk = list(trial_ids[start:start + batch_trials])
        frames = Frames.from_db(con, chunk)
        labels = label_frames(frames, rules)
        con.execute("BEGIN TRANSACTION")
        try:
            con.register("_label_keys", keys)
            con.register("_chunk_ids", pa.table({"trial_id": pa.array(chunk, pa.string())}))
            con.execute(
                "DELETE FROM labels WHERE trial_id IN (SELECT trial_id FROM _chunk_ids) "
                "AND EXISTS (SELECT 1 FROM _label_keys k WHERE k.label_id = labels.label_id "
                "AND k.classifier_version = labels.classifier_version)"
            )
            if not labels.is_empty():
                con.register("_labels", labels.to_arrow())
                cols = ", ".join(LABEL_COLUMNS)
                con.execute(f"INSERT INTO labels ({cols}) SELECT {cols} FROM _labels")
                con.unregister("_labels")
            con.unregister("_label_keys")
            con.unregister("_chunk_ids")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        report.trials += len(chunk)
        report.labels += labels.height
        if on_batch:
            on_batch(len(chunk))
    return report
