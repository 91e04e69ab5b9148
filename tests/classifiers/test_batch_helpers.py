"""The once-per-batch helpers the rules share give the same answers however they are computed:
the batch's distinct commands found a piece of rows at a time, the agent's text around each
action placed by step order, the actions that only read found by step; and the compiled regexes
polars keeps after a batch's rules are let go."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import polars as pl

from redline.classifiers import matching
from redline.classifiers.engine import label_frames
from redline.classifiers.examples import steps_trial
from redline.classifiers.frames import Frames
from redline.classifiers.matching import distinct_commands
from redline.classifiers.rowwise import PLACE_COLUMNS
from redline.classifiers.rules.obs.failures import OBS_OTHER_ERROR
from redline.classifiers.rules.obs.intent import turn_texts_of
from redline.convert import trials_to_arrow


def _frames(*trials: list[dict]) -> Frames:
    return Frames.from_arrow(*trials_to_arrow([steps_trial(steps, source_path=f"<t{i}>")
                                               for i, steps in enumerate(trials)]))


def _action(text: str) -> dict:
    return {"kind": "action", "text": text}


def _said(text: str | None, role: str = "assistant") -> dict:
    return {"kind": "message", "text": text, "role": role}


def test_distinct_commands_found_in_pieces_are_the_groups_of_all_rows_at_once(monkeypatch):
    lines = ["ls -la", "cat a.txt | grep x", "ls -la", "python3 t.py > out.log", "cat a.txt | grep x",
             "ls -la", "rm -rf build", "python3 t.py > out.log", "ls"]
    frames = _frames([_action(line) for line in lines], [_action(line) for line in reversed(lines)])
    content = [c for c in frames.commands.columns if c not in PLACE_COLUMNS]
    whole = (frames.commands.select(content).with_row_index("_rows")
             .group_by(content, maintain_order=True).agg("_rows"))
    assert frames.commands.height > 12 and whole.height < frames.commands.height
    for rows in (1, 3, 5, frames.commands.height, 10 * frames.commands.height):
        monkeypatch.setattr(matching, "DISTINCT_CHUNK_ROWS", rows)
        found = distinct_commands(dataclasses.replace(frames))  # (a copy: nothing kept from before)
        assert found.equals(whole), rows
    assert distinct_commands(_frames([_said("no commands")])).columns == content + ["_rows"]


def test_the_text_around_an_action_is_the_agents_messages_since_the_last_action_and_until_the_next():
    first = [_said("plan"), _said("then run", role="assistant"), _action("make"), _said("the user", role="user"),
             _said("it failed"), _action("make test"), _action("ls"), _said(None), _said("done")]
    second = [_action("pwd"), _said("here")]
    frames = _frames(first, second)
    events = frames.events
    everything = turn_texts_of(frames)
    assert everything.select("action_seq", "before", "after").rows() == [
        (2, "plan\nthen run", "it failed"), (5, "it failed", ""), (6, "", "\ndone"), (0, "", "here")]
    assert everything["trial_id"].to_list() == sorted(everything["trial_id"].to_list())
    # the events in any order, and only some actions wanted (repeated, or not an action at all)
    shuffled = dataclasses.replace(frames, events=events.sample(fraction=1.0, shuffle=True, seed=7))
    wanted = everything.select("trial_id", "action_seq")[[3, 0, 3]]
    wanted = pl.concat([wanted, wanted.head(1).with_columns(pl.lit(1, pl.Int32).alias("action_seq"))])
    assert turn_texts_of(shuffled, wanted).rows() == everything[[0, 3]].rows()
    silent = dataclasses.replace(frames, events=events.filter(pl.col("role") != "assistant"))
    assert turn_texts_of(silent).is_empty()


def _other_errors(*steps: dict) -> list[int]:
    return label_frames(_frames(list(steps)), [OBS_OTHER_ERROR])["seq"].to_list()


def test_a_failure_is_data_only_where_every_command_of_its_step_reads():
    traceback = "Traceback (most recent call last):\n  File \"t.py\", line 1\nValueError: bad"
    assert _other_errors(_action("cat t.py | grep -n x"), {"kind": "observation", "text": traceback,
                                                           "exit_code": 0}) == []
    assert _other_errors(_action("cat t.py && python3 t.py"), {"kind": "observation", "text": traceback,
                                                               "exit_code": 1}) == [1]
    assert _other_errors(_action("cat t.py"), {"kind": "observation", "text": traceback, "exit_code": 1},
                         _action("python3 t.py"), {"kind": "observation", "text": traceback,
                                                   "exit_code": 1}) == [3]


#: compiles large regexes in the calling thread, then lets go of them: the memory they held
_RELEASE_PROBE = """
import json, time
import polars as pl
from redline.classifiers.expressions import release_regexes
def anon():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('RssAnon')) / 1024
release_regexes()
time.sleep(0.05)
before = anon()
for i in range(20):
    pl.select(pl.lit('').str.contains(r'(?m)^[^\\n]{0,300}: not found %d$' % i))
time.sleep(0.05)
held = anon()
release_regexes()
time.sleep(0.05)
print(json.dumps([before, held, anon()]))
"""


def test_the_regexes_polars_compiled_are_let_go():
    if not sys.platform.startswith("linux"):
        return
    env = {**os.environ, "_RJEM_MALLOC_CONF": "narenas:1,dirty_decay_ms:0,muzzy_decay_ms:0"}
    out = subprocess.run([sys.executable, "-c", _RELEASE_PROBE], env=env, capture_output=True, text=True, check=True)
    before, held, after = json.loads(out.stdout)
    assert held - before > 5, (before, held, after)  # (about 0.6 MB apiece)
    assert held - after > 0.6 * (held - before), (before, held, after)
