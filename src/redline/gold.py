"""Human gold labels: reading a gold file and finding the stored steps its rows refer to.

Gold format, one JSON object per line::

    {"item_id": str, "source": str, "file": path relative to --root, "ordinal": int,
     "command": str, "action": [IDs], "observation": [IDs], "message": [IDs]}

``ordinal`` is the 1-based index of the action among the transcript's actions.

Matching a gold row to a stored step (:func:`match_rows`)
    The row's file is found among the trials' source paths (``trials.source_path`` and the
    events' ``source_file``): equal to ``root/file`` resolved when a root is given, else (or
    when nothing is equal) ending with ``/file``. A file may hold several trials; their actions
    are searched in order (trials in file order, then ``seq``). The action whose command text
    equals ``command`` after whitespace normalisation is chosen; among repeats, the one whose
    1-based position is closest to ``ordinal``. When no text is equal, the action at ``ordinal``
    is used (fallback). When there is none, the row is unmatched.

The steps a row's labels are about (:func:`step_targets`)
    action labels: the action itself; observation labels: the observation(s) answering it
    (``action_seq``), or else the next observation before the next action; message labels: the
    assistant messages of that turn (between the previous action and this one).

This module reads the database and the file only: it knows no classifier. The catalogue's IDs
and units come in as arguments, so the evaluation and the learned classifiers both use it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

#: gold fields, each naming the unit its labels attach to
UNITS: tuple[str, ...] = ("action", "observation", "message")


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
class Match:
    """Where a gold row's action is stored; ``matched_by`` is None when it was not found."""

    gold: GoldRow
    trial_id: str | None = None
    seq: int | None = None
    #: "text" (command text equal), "ordinal" (fallback to the position) or None (unmatched)
    matched_by: str | None = None

    @property
    def matched(self) -> bool:
        return self.matched_by is not None


def normalise_command(text: str | None) -> str:
    """Whitespace-normalised command text (runs of whitespace become one space)."""
    return " ".join((text or "").split())


def load_gold(
    path: str | os.PathLike[str], units: Mapping[str, str], redirects: Mapping[str, str] | None = None
) -> list[GoldRow]:
    """Read and check a gold file; a bad line raises ValueError naming the file and line.

    ``units`` maps every known label ID to its unit (the registry's
    :func:`~redline.classifiers.registry.units`); ``redirects`` maps retired IDs to their
    successors, which the rows are read as.
    """
    redirects = redirects or {}
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
                v = redirects.get(v, v)
                known = units.get(v)
                if known is None:
                    raise bad(lineno, f"unknown label ID {v!r} in '{unit}'")
                if known != unit:
                    raise bad(lineno, f"{v} is a {known} label, not a {unit} label")
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


def match_rows(
    con: duckdb.DuckDBPyConnection, rows: list[GoldRow], root: str | os.PathLike[str] | None = None
) -> list[Match]:
    """The stored action each gold row refers to, in the rows' order (see the module docstring)."""
    file_trials = _file_trials(con, (g.file for g in rows), root)
    wanted_trials = sorted({t for ts in file_trials.values() for t in ts})
    actions_by_trial: dict[str, list[tuple[str, int, str]]] = {t: [] for t in wanted_trials}
    if wanted_trials:
        con.register("_gold_trials", pa.table({"trial_id": wanted_trials}))
        try:
            for tid, seq, text in con.execute(
                "SELECT trial_id, seq, text FROM events WHERE kind = 'action' "
                "AND trial_id IN (SELECT trial_id FROM _gold_trials) ORDER BY trial_id, seq"
            ).fetchall():
                actions_by_trial[tid].append((tid, seq, normalise_command(text)))
        finally:
            con.unregister("_gold_trials")
    matches: list[Match] = []
    for row in rows:
        actions = [a for tid in file_trials.get(row.file, []) for a in actions_by_trial[tid]]
        tid, seq, how = _pick(actions, row)
        matches.append(Match(row, tid, seq, how))
    return matches


def step_targets(con: duckdb.DuckDBPyConnection, steps: list[tuple[str, int]]) -> list[tuple[str, int, str, int]]:
    """For each (trial_id, action seq): (trial_id, action seq, unit, target seq) rows naming the
    steps whose labels answer the gold row's action, observation and message fields."""
    if not steps:
        return []
    con.register("_gold_steps", pa.table({
        "trial_id": [s[0] for s in steps], "seq": pa.array([s[1] for s in steps], pa.int32())}))
    try:
        return con.execute(
            """
            WITH trial_events AS (
                SELECT e.trial_id, e.seq, e.kind, e.role, e.action_seq FROM events e
                WHERE e.trial_id IN (SELECT DISTINCT trial_id FROM _gold_steps)
            ),
            acts AS (
                SELECT trial_id, seq,
                       lag(seq) OVER (PARTITION BY trial_id ORDER BY seq) AS prev_seq,
                       lead(seq) OVER (PARTITION BY trial_id ORDER BY seq) AS next_seq
                FROM trial_events WHERE kind = 'action'
            ),
            steps AS (
                SELECT s.trial_id, s.seq, a.prev_seq, a.next_seq
                FROM _gold_steps s JOIN acts a USING (trial_id, seq)
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
            )
            SELECT trial_id, seq AS step, 'action' AS unit, seq AS target FROM steps
            UNION ALL SELECT trial_id, step, 'observation', target FROM linked_obs
            UNION ALL SELECT trial_id, step, 'observation', target FROM next_obs
            UNION ALL SELECT trial_id, step, 'message', target FROM turn_msgs
            ORDER BY ALL
            """
        ).fetchall()
    finally:
        con.unregister("_gold_steps")
