"""Auditors' decisions: what to show them (``redline label``), recording, exporting as gold.

What an auditor is shown (:func:`review_queue`), most informative first:

1. **disagreements**: steps where a rule and a model of the same ID disagree (the rule fired
   and the model's score is under its threshold, or the model fired and the rule did not);
2. **suggestions**: the suggestion model's rows (``current_suggestions``), highest score first;
3. **uncertain**: steps whose model score is closest to the model's threshold.

Steps an auditor has decided on (for that ID) are never shown again. Each decision is one
``INSERT`` into ``human_labels``, committed at once (:func:`record_decision`), so an interrupt or
a crash loses at most the decision being typed. The ``current_labels`` view applies the latest
decision per step and ID: an accepted label is shown (``source = 'human'`` when no classifier
gave it), a rejected one is not. Training reads the decisions as human labels
(:mod:`redline.classifiers.training`).

:func:`export_gold` writes the decided steps in the gold format (:mod:`redline.gold`), so they
can be scored with ``redline eval`` or shared as a gold file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from .. import gold as goldmod
from .models.apply import scored_steps
from .models.files import TrainedModel
from .reading import batches, read_frames

#: reasons an item is shown, in the order they are shown
REASONS = ("disagreement", "suggestion", "uncertain")


@dataclass
class ReviewItem:
    """One label on one step to accept or reject, with why it is shown."""

    trial_id: str
    seq: int
    unit: str
    label_id: str
    reason: str
    #: who gave it: rule, model, rule+model, suggestion, or '' (nobody: an uncertain negative)
    sources: str
    score: float | None = None
    threshold: float | None = None
    model_version: str | None = None

    @property
    def proposed(self) -> bool:
        """Whether some classifier currently gives this label."""
        return bool(self.sources)

    def shown(self) -> dict:
        return {"reason": self.reason, "sources": self.sources, "score": self.score, "threshold": self.threshold,
                "model_version": self.model_version}


@dataclass
class StepContext:
    """What an auditor needs to judge a step: the agent's reasoning, the command, the output."""

    trial_id: str
    seq: int
    reasoning: str = ""
    command: str = ""
    output: str = ""
    model: str = ""
    task: str = ""
    extra: dict = field(default_factory=dict)


def _decided(con: duckdb.DuckDBPyConnection) -> set[tuple[str, int, str]]:
    return {(t, s, lid) for t, s, lid in con.execute(
        "SELECT trial_id, seq, label_id FROM human_decisions WHERE seq IS NOT NULL").fetchall()}


def _disagreements(con: duckdb.DuckDBPyConnection, models: Sequence[TrainedModel]) -> list[ReviewItem]:
    ids = [m.spec.labels[0] for m in models if m.spec.kind == "label"]
    if not ids:
        return []
    rows = con.execute(
        "SELECT trial_id, seq, unit, label_id, source, coalesce(try_cast(detail->>'model_score' AS DOUBLE), score), "
        "try_cast(detail->>'threshold' AS DOUBLE), coalesce(detail->>'model', classifier_version) "
        "FROM current_labels WHERE source IN ('rule', 'model') AND seq IS NOT NULL AND label_id IN ("
        + ", ".join("?" for _ in ids) + ") ORDER BY trial_id, seq", ids).fetchall()
    items = [ReviewItem(t, s, u, lid, "disagreement", src, sc, th, v) for t, s, u, lid, src, sc, th, v in rows
             if src == "model" or th is not None]
    return sorted(items, key=lambda i: abs((i.score or 0) - (i.threshold or 0.5)))


def _suggestions(con: duckdb.DuckDBPyConnection) -> list[ReviewItem]:
    rows = con.execute("SELECT trial_id, seq, unit, label_id, score, threshold, model_version FROM current_suggestions "
                       "ORDER BY score DESC, trial_id, seq").fetchall()
    return [ReviewItem(t, s, u, lid, "suggestion", "suggestion", sc, th, v) for t, s, u, lid, sc, th, v in rows]


def _uncertain(con: duckdb.DuckDBPyConnection, models: Sequence[TrainedModel], want: int) -> list[ReviewItem]:
    """Steps whose label-model score is closest to the threshold (scored over the database)."""
    label_models = [m for m in models if m.spec.kind == "label"]
    if not label_models or want <= 0:
        return []
    ids = [r[0] for r in con.execute("SELECT trial_id FROM trials ORDER BY trial_id").fetchall()]
    given = {(t, s, lid): src for t, s, lid, src in con.execute(
        "SELECT trial_id, seq, label_id, source FROM current_labels WHERE seq IS NOT NULL").fetchall()}
    parts = []
    for batch in batches(con, ids):  # bounded by trials and by characters, as classify reads
        frames = read_frames(con, batch)
        for m in label_models:
            scored = scored_steps(frames, m).select(
                "trial_id", "seq", "score", pl.lit(m.spec.labels[0]).alias("label_id"),
                pl.lit(m.spec.unit).alias("unit"), pl.lit(m.threshold).alias("threshold"),
                pl.lit(m.version).alias("version"), (pl.col("score") - m.threshold).abs().alias("_gap"))
            parts.append(scored.sort("_gap").head(want * 4))
    if not parts:
        return []
    best = pl.concat(parts).sort("_gap", "trial_id", "seq")
    return [ReviewItem(r["trial_id"], r["seq"], r["unit"], r["label_id"], "uncertain",
                       given.get((r["trial_id"], r["seq"], r["label_id"]), ""), r["score"], r["threshold"], r["version"])
            for r in best.iter_rows(named=True)]


def review_queue(con: duckdb.DuckDBPyConnection, models: Sequence[TrainedModel], *, limit: int = 50,
                 reasons: Sequence[str] = REASONS) -> list[ReviewItem]:
    """The steps to show an auditor (see the module docstring), at most ``limit``."""
    decided = _decided(con)
    seen: set[tuple[str, int, str]] = set()
    out: list[ReviewItem] = []
    sources: dict[str, Callable[[], list[ReviewItem]]] = {
        "disagreement": lambda: _disagreements(con, models),
        "suggestion": lambda: _suggestions(con),
        "uncertain": lambda: _uncertain(con, models, limit),
    }
    for reason in REASONS:
        if reason not in reasons or len(out) >= limit:
            continue
        for item in sources[reason]():
            key = (item.trial_id, item.seq, item.label_id)
            if key in decided or key in seen:
                continue
            seen.add(key)
            out.append(item)
            if len(out) >= limit:
                break
    return out


def step_context(con: duckdb.DuckDBPyConnection, trial_id: str, seq: int) -> StepContext:
    """The reasoning, command and output around a step: for a message, the action it led to;
    for an action, the message before it; for an observation, the action it answers."""
    kind, action_seq = con.execute("SELECT kind, action_seq FROM events WHERE trial_id = ? AND seq = ?",
                                   [trial_id, seq]).fetchall()[0]
    rows = con.execute("SELECT seq, kind, role, text, action_seq FROM events WHERE trial_id = ? ORDER BY seq",
                       [trial_id]).fetchall()
    model, task = con.execute("SELECT coalesce(model, ''), coalesce(task, '') FROM trials WHERE trial_id = ?",
                              [trial_id]).fetchall()[0]
    anchor = seq if kind == "action" else action_seq if kind == "observation" and action_seq is not None else None
    if anchor is None:  # a message: the first action after it
        anchor = next((s for s, k, *_ in rows if k == "action" and s > seq), None)
    reasoning = ""
    if kind == "message":
        reasoning = next(t for s, k, r, t, a in rows if s == seq) or ""
    elif anchor is not None:
        before = [t for s, k, r, t, a in rows if k == "message" and r == "assistant" and s < anchor]
        prev_action = max([s for s, k, *_ in rows if k == "action" and s < anchor], default=-1)
        reasoning = "\n".join(t or "" for s, k, r, t, a in rows
                              if k == "message" and r == "assistant" and prev_action < s < anchor) or \
            (before[-1] if before else "")
    command = next((t or "" for s, k, r, t, a in rows if s == anchor), "") if anchor is not None else ""
    output = "\n".join(t or "" for s, k, r, t, a in rows if k == "observation" and a == anchor) if anchor is not None else ""
    return StepContext(trial_id, seq, reasoning, command, output, model, task)


def record_decision(con: duckdb.DuckDBPyConnection, item: ReviewItem, accepted: bool, who: str,
                    note: str | None = None) -> int:
    """Store one decision (committed at once); returns its ``decision_id``."""
    return con.execute(
        "INSERT INTO human_labels (decision_id, trial_id, seq, unit, label_id, decision, who, note, shown) "
        "SELECT coalesce(max(decision_id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? FROM human_labels RETURNING decision_id",
        [item.trial_id, item.seq, item.unit, item.label_id, "accepted" if accepted else "rejected", who,
         note or None, json.dumps(item.shown())]).fetchall()[0][0]


@dataclass
class ExportReport:
    rows: int = 0
    #: decisions on steps that no action follows (a final message): the gold format cannot hold them
    skipped: list[tuple[str, int, str]] = field(default_factory=list)


def export_gold(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str],
                root: str | os.PathLike[str] | None = None) -> ExportReport:
    """Write every step an auditor decided on as a gold row (see :mod:`redline.gold`).

    A row is anchored on an action: the step itself, the action an observation answers, or the
    first action after a message (a message with no later action cannot be a gold row and is
    reported as skipped). Its label lists are the labels of that action, its observations and
    the assistant messages of its turn as ``current_labels`` shows them (classifier labels with
    every decision applied); ``human`` records the decisions themselves. ``file`` is the source
    path relative to ``root`` when given, else as stored.
    """
    decisions = con.execute(
        "SELECT h.trial_id, h.seq, h.label_id, h.decision, e.kind, e.action_seq FROM human_decisions h "
        "JOIN events e ON e.trial_id = h.trial_id AND e.seq = h.seq ORDER BY h.trial_id, h.seq").fetchall()
    anchors: dict[tuple[str, int], dict[str, str]] = {}
    report = ExportReport()
    for tid, seq, lid, decision, kind, action_seq in decisions:
        if kind == "action":
            anchor = seq
        elif kind == "observation" and action_seq is not None:
            anchor = action_seq
        else:
            found = con.execute("SELECT min(seq) FROM events WHERE trial_id = ? AND kind = 'action' AND seq > ?",
                                [tid, seq]).fetchall()[0][0]
            if found is None:
                report.skipped.append((tid, seq, lid))
                continue
            anchor = found
        anchors.setdefault((tid, anchor), {})[lid] = decision
    targets = goldmod.step_targets(con, sorted(anchors))
    current: dict[tuple[str, int, str], set[str]] = {}
    for tid, seq, unit, label_id in con.execute(
            "SELECT trial_id, seq, unit, label_id FROM current_labels WHERE seq IS NOT NULL").fetchall():
        current.setdefault((tid, seq, unit), set()).add(label_id)
    lines = []
    for (tid, anchor), human in sorted(anchors.items()):
        source_path, fmt = con.execute("SELECT source_path, format FROM trials WHERE trial_id = ?", [tid]).fetchall()[0]
        command, ordinal = con.execute(
            "SELECT (SELECT text FROM events WHERE trial_id = ? AND seq = ?), "
            "(SELECT count(*) FROM events WHERE trial_id = ? AND kind = 'action' AND seq <= ?)",
            [tid, anchor, tid, anchor]).fetchall()[0]
        row = {"item_id": hashlib.sha1(f"{tid}:{anchor}".encode()).hexdigest()[:12], "source": fmt,
               "file": _relative(source_path, root), "ordinal": int(ordinal), "command": command or ""}
        for unit in goldmod.UNITS:
            ids: set[str] = set()
            for t, step, u, target in targets:
                if (t, step) == (tid, anchor) and u == unit:
                    ids |= current.get((tid, target, unit), set())
            row[unit] = sorted(ids)
        row["human"] = dict(sorted(human.items()))
        lines.append(json.dumps(row, ensure_ascii=False))
    Path(out).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    report.rows = len(lines)
    return report


def _relative(path: str, root: str | os.PathLike[str] | None) -> str:
    if root is None:
        return path
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path
