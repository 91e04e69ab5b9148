"""Compare the database's labels with human gold labels: ``redline eval GOLD.jsonl``.

Gold format, one JSON object per line::

    {"item_id": str, "source": str, "file": path relative to --root, "ordinal": int,
     "command": str, "action": [IDs], "observation": [IDs], "message": [IDs]}

``ordinal`` is the 1-based index of the action among the transcript's actions.

Matching a gold row to a stored step
    The row's file is found among the trials' source paths (``trials.source_path`` and the
    events' ``source_file``): equal to ``root/file`` resolved when a root is given, else (or
    when nothing is equal) ending with ``/file``. A file may hold several trials; their actions
    are searched in order (trials in file order, then ``seq``). The action whose command text
    equals ``command`` after whitespace normalisation is chosen; among repeats, the one whose
    1-based position is closest to ``ordinal``. When no text is equal, the action at ``ordinal``
    is used (fallback). When there is none, the row is unmatched: each of its labels counts as
    missed, and its ``item_id`` is listed.

What is compared
    action labels: the labels on the action event; observation labels: the labels on the
    observation(s) answering it (``action_seq``), or else the next observation before the next
    action; message labels: the labels on the assistant messages of that turn (between the
    previous action and this one). Only IDs that the classifier registry implements for that
    unit (and the catalogue gives that unit) are scored, as the ``current_labels`` view shows
    them (labels of complete classify runs). Labels of a matched step
    that the gold row does not carry are false positives.

Statistics
    Per label: support (gold rows carrying it), tp, fp, fn, precision, recall, F1, and a 95%
    interval for F1 from a percentile bootstrap over gold rows (:data:`BOOTSTRAP_RESAMPLES`
    resamples with a fixed seed, so results are reproducible; the interval is widened to
    contain the point estimate). Precision, recall or F1 with a zero denominator are 0. Micro
    averages pool tp/fp/fn over a unit's labels; macro averages are the mean F1 of the unit's
    labels that occur in the gold rows or the predictions. Labels that occur in neither are not
    listed. A resample in which a label neither occurs nor is predicted is left out of that
    label's interval (its F1 is 0/0 there), so a label that is always right has [1, 1].
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from .classifiers.catalogue import CATALOGUE

#: gold fields, each naming the unit its labels attach to
UNITS: tuple[str, ...] = ("action", "observation", "message")
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20240601
#: characters of a command shown in the confusion list
COMMAND_CHARS = 70


# ------------------------------------------------------------------------------ records


@dataclass
class GoldRow:
    item_id: str
    source: str
    file: str
    ordinal: int
    command: str
    labels: dict[str, frozenset[str]]
    line: int


@dataclass
class RowResult:
    """One gold row and what the database says about its step."""

    gold: GoldRow
    trial_id: str | None = None
    seq: int | None = None
    #: "text" (command text equal), "ordinal" (fallback to the position) or None (unmatched)
    matched_by: str | None = None
    predicted: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def matched(self) -> bool:
        return self.matched_by is not None


@dataclass
class LabelStats:
    label: str
    unit: str
    support: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    f1_low: float
    f1_high: float

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit, "support": self.support, "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": _r(self.precision), "recall": _r(self.recall), "f1": _r(self.f1),
            "f1_low": _r(self.f1_low), "f1_high": _r(self.f1_high),
        }


@dataclass
class Miss:
    """One false negative (``FN``) or false positive (``FP``) of a label."""

    label: str
    unit: str
    kind: str
    item_id: str
    command: str
    predicted: tuple[str, ...]
    gold: tuple[str, ...]
    matched: bool


@dataclass
class EvalResult:
    labels: dict[str, LabelStats]
    micro: dict[str, dict[str, float | int]]
    macro: dict[str, dict[str, float]]
    matched: int
    unmatched: list[str]
    rows: list[RowResult]
    misses: list[Miss]
    #: label IDs scored per unit (what the registry implements)
    universe: dict[str, tuple[str, ...]]
    #: gold label IDs left out because no registered classifier gives them: ID -> rows
    not_scored: dict[str, int]
    #: rows matched by position because no action's text equalled the gold command
    ordinal_fallbacks: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "labels": {lid: s.to_json() for lid, s in self.labels.items()},
            "micro": {u: {k: (_r(v) if isinstance(v, float) else v) for k, v in m.items()}
                      for u, m in self.micro.items()},
            "macro": {u: {"f1": _r(m["f1"])} for u, m in self.macro.items()},
            "matched": self.matched,
            "unmatched": list(self.unmatched),
        }


def _r(x: float) -> float:
    return round(float(x), 4)


# ------------------------------------------------------------------------------ gold file


def normalise_command(text: str | None) -> str:
    """Whitespace-normalised command text (runs of whitespace become one space)."""
    return " ".join((text or "").split())


def load_gold(path: str | os.PathLike[str]) -> list[GoldRow]:
    """Read and check a gold file; a bad line raises ValueError naming the file and line."""
    from .classifiers.registry import REDIRECTS

    rows: list[GoldRow] = []
    seen: dict[str, int] = {}
    name = os.fspath(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"{name}: cannot read gold file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ValueError(f"{name}:{line}: not valid UTF-8") from None

    def bad(line: int, why: str) -> ValueError:
        return ValueError(f"{name}:{line}: {why}")

    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise bad(lineno, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(obj, dict):
            raise bad(lineno, "expected a JSON object")
        for key in ("item_id", "file", "command"):
            if not isinstance(obj.get(key), str):
                raise bad(lineno, f"'{key}' must be a string")
        if not obj["file"]:
            raise bad(lineno, "'file' is empty")
        ordinal = obj.get("ordinal")
        if not isinstance(ordinal, int) or isinstance(ordinal, bool) or ordinal < 1:
            raise bad(lineno, "'ordinal' must be an integer >= 1 (the 1-based index of the action)")
        source = obj.get("source", "")
        if not isinstance(source, str):
            raise bad(lineno, "'source' must be a string")
        labels: dict[str, frozenset[str]] = {}
        for unit in UNITS:
            value = obj.get(unit, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad(lineno, f"'{unit}' must be a list of label IDs")
            ids = set()
            for v in value:
                v = REDIRECTS.get(v, v)
                known = CATALOGUE.get(v)
                if known is None:
                    raise bad(lineno, f"unknown label ID {v!r} in '{unit}'")
                if known[0] != unit:
                    raise bad(lineno, f"{v} is a {known[0]} label, not a {unit} label")
                ids.add(v)
            labels[unit] = frozenset(ids)
        item_id = obj["item_id"]
        if item_id in seen:
            raise bad(lineno, f"item_id {item_id!r} already used on line {seen[item_id]}")
        seen[item_id] = lineno
        rows.append(GoldRow(item_id, source, obj["file"], ordinal, obj["command"], labels, lineno))
    if not rows:
        raise ValueError(f"{name}: no gold rows")
    return rows


# ------------------------------------------------------------------------------ matching


def _file_trials(
    con: duckdb.DuckDBPyConnection, files: Iterable[str], root: str | os.PathLike[str] | None
) -> dict[str, list[str]]:
    """Gold file -> the trial IDs read from it, in file order."""
    paths = con.execute(
        "SELECT trial_id, source_path AS path FROM trials "
        "UNION SELECT DISTINCT trial_id, source_file FROM events WHERE source_file IS NOT NULL"
    ).fetchall()
    order = {
        tid: (line if line is not None else math.inf, key or "", tid)
        for tid, line, key in con.execute(
            "SELECT t.trial_id, min(e.source_line), t.local_key FROM trials t "
            "LEFT JOIN events e USING (trial_id) GROUP BY t.trial_id, t.local_key"
        ).fetchall()
    }
    by_path: dict[str, set[str]] = {}
    for tid, path in paths:
        by_path.setdefault(path.replace("\\", "/"), set()).add(tid)
    out: dict[str, list[str]] = {}
    for f in set(files):
        rel = f.replace("\\", "/").lstrip("/")
        found: set[str] = set()
        if root is not None:
            target = str((Path(root) / rel).resolve()).replace("\\", "/")
            found = set(by_path.get(target, ()))
        if not found:
            suffix = "/" + rel
            for path, tids in by_path.items():
                if path.endswith(suffix) or path == rel:
                    found |= tids
        out[f] = sorted(found, key=lambda t: order.get(t, (math.inf, "", t)))
    return out


def _pick(actions: list[tuple[str, int, str]], row: GoldRow) -> tuple[str, int, str] | tuple[None, None, None]:
    """The (trial_id, seq, how) of the action a gold row refers to."""
    want = normalise_command(row.command)
    same = [i for i, (_, _, text) in enumerate(actions) if text == want]
    if same:
        best = min(same, key=lambda i: (abs(i + 1 - row.ordinal), i))
        return actions[best][0], actions[best][1], "text"
    if row.ordinal <= len(actions):
        tid, seq, _ = actions[row.ordinal - 1]
        return tid, seq, "ordinal"
    return None, None, None


def registry_universe() -> dict[str, tuple[str, ...]]:
    """Label IDs scored per unit: implemented by an active rule and given that unit by the catalogue."""
    from .classifiers.registry import active_rules

    out: dict[str, list[str]] = {u: [] for u in UNITS}
    for rule in active_rules():
        if rule.unit in out and CATALOGUE.get(rule.id, ("",))[0] == rule.unit:
            out[rule.unit].append(rule.id)
    return {u: tuple(ids) for u, ids in out.items()}


def _step_predictions(
    con: duckdb.DuckDBPyConnection, steps: list[tuple[str, int]], universe: Mapping[str, Iterable[str]]
) -> dict[tuple[str, int], dict[str, frozenset[str]]]:
    """(trial_id, action seq) -> unit -> predicted label IDs."""
    if not steps:
        return {}
    import pyarrow as pa

    wanted = [(lid, unit) for unit, ids in universe.items() for lid in ids]
    result: dict[tuple[str, int], dict[str, set[str]]] = {s: {u: set() for u in UNITS} for s in steps}
    if not wanted:
        return {s: {u: frozenset() for u in UNITS} for s in steps}
    con.register("_eval_steps", pa.table({
        "trial_id": [s[0] for s in steps], "seq": pa.array([s[1] for s in steps], pa.int32())}))
    con.register("_eval_labels", pa.table({
        "label_id": [w[0] for w in wanted], "unit": [w[1] for w in wanted]}))
    try:
        rows = con.execute(
            """
            WITH trial_events AS (
                SELECT e.trial_id, e.seq, e.kind, e.role, e.action_seq FROM events e
                WHERE e.trial_id IN (SELECT DISTINCT trial_id FROM _eval_steps)
            ),
            acts AS (
                SELECT trial_id, seq,
                       lag(seq) OVER (PARTITION BY trial_id ORDER BY seq) AS prev_seq,
                       lead(seq) OVER (PARTITION BY trial_id ORDER BY seq) AS next_seq
                FROM trial_events WHERE kind = 'action'
            ),
            steps AS (
                SELECT s.trial_id, s.seq, a.prev_seq, a.next_seq
                FROM _eval_steps s JOIN acts a USING (trial_id, seq)
            ),
            linked_obs AS (
                SELECT s.trial_id, s.seq AS step, o.seq AS target
                FROM steps s JOIN trial_events o
                  ON o.trial_id = s.trial_id AND o.kind = 'observation' AND o.action_seq = s.seq
            ),
            next_obs AS (
                SELECT s.trial_id, s.seq AS step, min(o.seq) AS target
                FROM steps s JOIN trial_events o
                  ON o.trial_id = s.trial_id AND o.kind = 'observation' AND o.seq > s.seq
                 AND (s.next_seq IS NULL OR o.seq < s.next_seq)
                WHERE NOT EXISTS (SELECT 1 FROM linked_obs l WHERE l.trial_id = s.trial_id AND l.step = s.seq)
                GROUP BY s.trial_id, s.seq
            ),
            turn_msgs AS (
                SELECT s.trial_id, s.seq AS step, m.seq AS target
                FROM steps s JOIN trial_events m
                  ON m.trial_id = s.trial_id AND m.kind = 'message' AND m.role = 'assistant'
                 AND m.seq < s.seq AND (s.prev_seq IS NULL OR m.seq > s.prev_seq)
            ),
            targets AS (
                SELECT trial_id, seq AS step, seq AS target, 'action' AS unit FROM steps
                UNION ALL SELECT trial_id, step, target, 'observation' FROM linked_obs
                UNION ALL SELECT trial_id, step, target, 'observation' FROM next_obs
                UNION ALL SELECT trial_id, step, target, 'message' FROM turn_msgs
            )
            SELECT DISTINCT t.trial_id, t.step, t.unit, l.label_id
            FROM targets t
            JOIN current_labels l ON l.trial_id = t.trial_id AND l.seq = t.target AND l.unit = t.unit
            JOIN _eval_labels w ON w.label_id = l.label_id AND w.unit = l.unit
            """
        ).fetchall()
    finally:
        con.unregister("_eval_steps")
        con.unregister("_eval_labels")
    for tid, step, unit, lid in rows:
        result[(tid, step)][unit].add(lid)
    return {s: {u: frozenset(v) for u, v in units.items()} for s, units in result.items()}


# ------------------------------------------------------------------------------ statistics


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _f1(tp: Any, fp: Any, fn: Any) -> Any:
    tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
    denom = 2 * tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)


def _bootstrap_f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Percentile 95% intervals of F1 per label; inputs are (rows x labels) 0/1 matrices.

    A resample in which a label neither occurs nor is predicted says nothing about its F1
    (0/0) and is left out of that label's percentiles.
    """
    n, k = tp.shape
    if n == 0 or k == 0:
        return np.zeros(k), np.zeros(k)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    # resample-count matrix: how often each gold row is drawn in each resample
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=BOOTSTRAP_RESAMPLES).astype(float)
    t, p, f = weights @ tp, weights @ fp, weights @ fn  # resamples x labels
    f1s = np.where(2 * t + p + f > 0, _f1(t, p, f), np.nan)
    low = np.zeros(k)
    high = np.zeros(k)
    seen = ~np.all(np.isnan(f1s), axis=0)
    if seen.any():
        low[seen] = np.nanpercentile(f1s[:, seen], 2.5, axis=0)
        high[seen] = np.nanpercentile(f1s[:, seen], 97.5, axis=0)
    return low, high


def evaluate(
    con: duckdb.DuckDBPyConnection,
    gold_path: str | os.PathLike[str],
    root: str | os.PathLike[str] | None = None,
    *,
    universe: Mapping[str, Iterable[str]] | None = None,
) -> EvalResult:
    """Score the database's labels against a gold file (see the module docstring).

    ``universe`` overrides the label IDs scored per unit (default: :func:`registry_universe`).
    """
    gold = load_gold(gold_path)
    scored = (registry_universe() if universe is None
              else {u: tuple(universe.get(u, ())) for u in UNITS})
    file_trials = _file_trials(con, (g.file for g in gold), root)
    wanted_trials = sorted({t for ts in file_trials.values() for t in ts})
    actions_by_trial: dict[str, list[tuple[str, int, str]]] = {t: [] for t in wanted_trials}
    if wanted_trials:
        import pyarrow as pa

        con.register("_eval_trials", pa.table({"trial_id": wanted_trials}))
        try:
            for tid, seq, text in con.execute(
                "SELECT trial_id, seq, text FROM events WHERE kind = 'action' "
                "AND trial_id IN (SELECT trial_id FROM _eval_trials) ORDER BY trial_id, seq"
            ).fetchall():
                actions_by_trial[tid].append((tid, seq, normalise_command(text)))
        finally:
            con.unregister("_eval_trials")

    results: list[RowResult] = []
    for row in gold:
        actions = [a for tid in file_trials.get(row.file, []) for a in actions_by_trial[tid]]
        tid, seq, how = _pick(actions, row)
        results.append(RowResult(row, tid, seq, how))
    steps = sorted({(r.trial_id, r.seq) for r in results if r.matched})  # type: ignore[misc]
    preds = _step_predictions(con, steps, scored)
    for r in results:
        if r.matched:
            r.predicted = preds[(r.trial_id, r.seq)]  # type: ignore[index]
        else:
            r.predicted = {u: frozenset() for u in UNITS}

    # which labels to list: in the universe and present in gold or predictions
    not_scored: dict[str, int] = {}
    present: dict[str, set[str]] = {u: set() for u in UNITS}
    for r in results:
        for u in UNITS:
            for lid in r.gold.labels[u]:
                if lid in scored[u]:
                    present[u].add(lid)
                else:
                    not_scored[lid] = not_scored.get(lid, 0) + 1
            present[u] |= set(r.predicted[u])
    ordered = [(u, lid) for u in UNITS for lid in scored[u] if lid in present[u]]

    n = len(results)
    k = len(ordered)
    tp = np.zeros((n, k))
    fp = np.zeros((n, k))
    fn = np.zeros((n, k))
    misses: list[Miss] = []
    for i, r in enumerate(results):
        for j, (u, lid) in enumerate(ordered):
            g = lid in r.gold.labels[u]
            p = lid in r.predicted[u]
            if g and p:
                tp[i, j] = 1
            elif g or p:
                (fn if g else fp)[i, j] = 1
                misses.append(Miss(
                    lid, u, "FN" if g else "FP", r.gold.item_id, r.gold.command,
                    tuple(sorted(x for x in r.predicted[u] if x in scored[u])),
                    tuple(sorted(x for x in r.gold.labels[u] if x in scored[u])), r.matched))
    low, high = _bootstrap_f1(tp, fp, fn)
    labels: dict[str, LabelStats] = {}
    for j, (u, lid) in enumerate(ordered):
        t, p_, f_ = int(tp[:, j].sum()), int(fp[:, j].sum()), int(fn[:, j].sum())
        f1 = float(_f1(t, p_, f_))
        labels[lid] = LabelStats(
            lid, u, t + f_, t, p_, f_, _ratio(t, t + p_), _ratio(t, t + f_), f1,
            min(float(low[j]), f1), max(float(high[j]), f1))
    micro: dict[str, dict[str, float | int]] = {}
    macro: dict[str, dict[str, float]] = {}
    for u in UNITS:
        stats = [s for s in labels.values() if s.unit == u]
        t = sum(s.tp for s in stats)
        p_ = sum(s.fp for s in stats)
        f_ = sum(s.fn for s in stats)
        micro[u] = {"tp": t, "fp": p_, "fn": f_, "precision": _ratio(t, t + p_),
                    "recall": _ratio(t, t + f_), "f1": float(_f1(t, p_, f_))}
        macro[u] = {"f1": float(np.mean([s.f1 for s in stats])) if stats else 0.0}
    # worst labels first (most errors), then false negatives before false positives, in gold order
    errors = {lid: s.fp + s.fn for lid, s in labels.items()}
    order_index = {lid: j for j, (_, lid) in enumerate(ordered)}
    misses.sort(key=lambda m: (-errors[m.label], order_index[m.label], m.kind != "FN"))
    return EvalResult(
        labels=labels, micro=micro, macro=macro,
        matched=sum(r.matched for r in results),
        unmatched=[r.gold.item_id for r in results if not r.matched],
        rows=results, misses=misses, universe=dict(scored),
        not_scored=dict(sorted(not_scored.items())),
        ordinal_fallbacks=[r.gold.item_id for r in results if r.matched_by == "ordinal"],
    )


# ------------------------------------------------------------------------------ rendering


def _short(text: str, limit: int = COMMAND_CHARS) -> str:
    one = normalise_command(text)
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
    return out


def render_text(result: EvalResult, worst: int = 15) -> str:
    """A readable report: per-label table, micro/macro averages, worst misses, unmatched rows."""
    total = result.matched + len(result.unmatched)
    lines = [f"gold rows: {total}, matched: {result.matched}, unmatched: {len(result.unmatched)}"
             + (f", matched by position only: {len(result.ordinal_fallbacks)}" if result.ordinal_fallbacks else "")]
    header = ["LABEL", "SUPPORT", "TP", "FP", "FN", "PREC", "RECALL", "F1", "F1 95% CI"]
    for unit in UNITS:
        stats = [s for s in result.labels.values() if s.unit == unit]
        if not stats and not result.universe.get(unit):
            continue
        lines += ["", f"{unit} labels"]
        rows = [header]
        for s in sorted(stats, key=lambda s: (-s.support, s.label)):
            rows.append([s.label, str(s.support), str(s.tp), str(s.fp), str(s.fn), f"{s.precision:.3f}",
                         f"{s.recall:.3f}", f"{s.f1:.3f}", f"[{s.f1_low:.3f}, {s.f1_high:.3f}]"])
        m = result.micro[unit]
        rows.append(["micro", str(m["tp"] + m["fn"]), str(m["tp"]), str(m["fp"]), str(m["fn"]),
                     f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", ""])
        rows.append(["macro", "", "", "", "", "", "", f"{result.macro[unit]['f1']:.3f}", ""])
        lines += ["  " + line for line in _table(rows, right={1, 2, 3, 4, 5, 6, 7})]
    if result.not_scored:
        lines += ["", "not scored (no registered classifier): "
                  + ", ".join(f"{lid} ({n})" for lid, n in result.not_scored.items())]
    if worst > 0 and result.misses:
        shown = result.misses[:worst]
        lines += ["", f"worst misses ({len(shown)} of {len(result.misses)})"]
        current = None
        for m in shown:
            if m.label != current:
                current = m.label
                s = result.labels[m.label]
                lines.append(f"  {m.label}: {s.fn} missed, {s.fp} false positives")
            where = "" if m.matched else " (unmatched)"
            lines.append(f"    {m.kind} {m.item_id}{where}  {_short(m.command)}")
            lines.append(f"       predicted: {', '.join(m.predicted) or '-'}  gold: {', '.join(m.gold) or '-'}")
    if result.unmatched:
        by_id = {r.gold.item_id: r.gold for r in result.rows}
        lines += ["", f"unmatched gold rows ({len(result.unmatched)})"]
        for item in result.unmatched:
            g = by_id[item]
            lines.append(f"  {item}  {g.file} #{g.ordinal}  {_short(g.command, 50)}")
    return "\n".join(lines)
