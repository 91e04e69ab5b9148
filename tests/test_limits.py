"""The limits in :mod:`redline.limits`: every stored column is bounded where rows are built, and
the shell parser stays within its input, time and output budget, saying what it left out."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time

import pytest

from redline import convert, limits
from redline.convert import TableBuilder, clean_json, clean_path
from redline.events import Event, Trial
from redline.shell import parse


def _trial(*events: Event, **kw) -> Trial:
    trial = Trial("test", "/runs/t.json", **kw)
    for ev in events:
        trial.add(ev)
    return trial


def _tables(*trials: Trial):
    builder = TableBuilder()
    for t in trials:
        builder.add(t)
    return builder, tuple(rows.to_arrow() for rows in builder.tables())


# --------------------------------------------------------------------------- stored columns


def test_a_huge_command_is_cut_in_text_and_in_attrs():
    """A 200 MB command was cut in events.text but kept whole in events.attrs."""
    command = "echo " + "A" * 3_000_000
    _, (_, events, commands) = _tables(_trial(Event("action", command, attrs={"arguments": {"command": command}})))
    row = events.to_pylist()[0]
    assert len(row["text"]) < limits.MAX_TEXT_CHARS + 100
    assert len(row["attrs"]) <= limits.MAX_ATTRS_CHARS + 200
    attrs = json.loads(row["attrs"])
    assert attrs["arguments"]["command"].endswith("more characters not stored]")
    assert all(len(t or "") <= limits.MAX_TEXT_CHARS + 100 for t in commands.column("text").to_pylist())


def test_json_that_cannot_be_cut_keeps_a_note_and_its_start():
    value = {f"k{i}": i for i in range(100_000)}
    text = clean_json(value, 10_000)
    assert len(text) < 11_000
    stored = json.loads(text)
    assert stored["redline_cut"].startswith("JSON value of") and stored["head"].startswith('{"k0": 0')


def test_values_json_cannot_hold_are_stored_anyway():
    deep: list = []
    for _ in range(300):
        deep = [deep]
    value = {"big": 2**70, "nan": math.nan, "inf": -math.inf, "deep": deep, "set": {1, 2}}
    stored = json.loads(clean_json(value, 1_000_000))
    assert stored["big"] == str(2**70) and stored["nan"] is None and stored["inf"] is None
    text = json.dumps(stored["deep"])
    assert "nested too deeply" in text


def test_metadata_and_verdict_are_bounded():
    _, (trials, _, _) = _tables(_trial(Event("message", "hi"), metadata={"notes": "n" * 5_000_000},
                                       source_verdict={"log": "v" * 500_000}))
    row = trials.to_pylist()[0]
    assert len(row["metadata"]) <= limits.MAX_METADATA_CHARS + 200
    assert len(row["source_verdict"]) <= limits.MAX_VERDICT_CHARS + 200
    json.loads(row["metadata"]), json.loads(row["source_verdict"])


def test_argv_keeps_a_bounded_number_of_arguments():
    line = "echo " + " ".join(f"a{i}" for i in range(limits.MAX_ARGS + 500))
    _, (_, _, commands) = _tables(_trial(Event("action", line)))
    argv = commands.to_pylist()[0]["argv"]
    assert len(argv) == limits.MAX_ARGS + 1 and argv[-1] == "[redline: 500 more not stored]"


def test_a_name_that_is_not_utf8_is_stored_with_escapes():
    raw = b"/runs/caf\xe9.json".decode("utf-8", "surrogateescape")
    assert clean_path(raw) == "/runs/caf\\xe9.json"
    assert clean_path("/runs/ok.json") == "/runs/ok.json"
    _, (trials, events, _) = _tables(Trial("test", raw, events=[]))
    assert trials.to_pylist()[0]["source_path"] == "/runs/caf\\xe9.json"


def test_a_file_past_the_command_limit_keeps_its_actions_with_a_note(monkeypatch):
    monkeypatch.setattr(convert, "MAX_FILE_COMMANDS", 5)
    trial = _trial(*[Event("action", "a; b; c") for _ in range(4)])
    builder, (_, events, commands) = _tables(trial)
    assert commands.num_rows == 3
    notes = events.column("parse_error").to_pylist()
    assert notes[0] is None and all("commands not recorded" in n for n in notes[2:])
    assert any("more than 5 commands" in w for w in builder.warnings)


def test_after_a_few_parse_timeouts_long_lines_are_no_longer_parsed(monkeypatch):
    import redline.shell as shell

    monkeypatch.setattr(shell, "PARSE_SECONDS", 0.0)  # every long line runs out of time
    long_line = "echo " + "x " * 2500  # enough tokens for tree-sitter to ask the callback
    trial = _trial(*[Event("action", f"{long_line}{i}") for i in range(limits.MAX_PARSE_TIMEOUTS + 3)],
                   Event("action", "ls -la"))
    builder, (_, events, commands) = _tables(trial)
    notes = events.column("parse_error").to_pylist()
    assert all(n.startswith("parsing took over 0 s") for n in notes[: limits.MAX_PARSE_TIMEOUTS])
    assert all(n.startswith("not parsed:") for n in notes[limits.MAX_PARSE_TIMEOUTS:-1])
    assert notes[-1] is None and commands.column("program").to_pylist() == ["ls"]  # short lines still parse
    assert builder.warnings


def test_the_parse_cache_stays_within_its_budget():
    cache = convert.ParseCache(budget=20_000)
    for i in range(200):
        cache.parse(f"echo {i} " + "x" * 500)
    assert cache.used <= 20_000
    assert cache.parse("ls") is cache.parse("ls")


def test_record_batches_are_cut_by_characters(monkeypatch):
    monkeypatch.setattr(convert, "FLUSH_CHARS", 10_000)
    trial = _trial(*[Event("observation", "o" * 3000) for _ in range(20)])
    builder = TableBuilder()
    builder.add(trial)
    _, events, _ = builder.tables()
    assert events.num_rows == 20 and len(events.to_arrow().column("text").chunks) >= 5


# --------------------------------------------------------------------------- the shell parser's budget

# The parse runs in a child forked from a fresh interpreter, its peak RSS read by wait4: a
# process started from pytest inherits pytest's own peak (Linux keeps it across exec).
_PEAK = """
import json, os, sys, time
from redline.shell import parse
line = eval(sys.argv[1])
out = os.path.join(sys.argv[2], "parsed.json")
pid = os.fork()
if pid == 0:
    started = time.monotonic()
    result = parse(line)
    with open(out, "w") as fh:
        json.dump({"seconds": time.monotonic() - started, "commands": len(result.commands),
                   "error": result.error, "timed_out": result.timed_out}, fh)
    os._exit(0)
_, status, usage = os.wait4(pid, 0)
with open(out) as fh:
    found = json.load(fh)
print(json.dumps({**found, "peak": usage.ru_maxrss * 1024}))
"""


def _measured(expr: str) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        out = subprocess.run([sys.executable, "-c", _PEAK, expr, scratch], capture_output=True, text=True,
                             timeout=120, check=True)
    return json.loads(out.stdout)


@pytest.mark.parametrize("expr", ['"cat|" * 20000', '"c|" * 100000', '"cat | " * 30000', '"2>&1|" * 30000'])
def test_an_unfinished_pipeline_of_any_length_stays_small(expr):
    """80 KB of ``cat|cat|...|`` drove tree-sitter's error recovery past 3.6 GB."""
    m = _measured(expr)
    assert m["peak"] < 400 * 1024**2, m
    assert m["seconds"] < 10
    assert f"more than {limits.MAX_PIPES} '|'" in m["error"]


@pytest.mark.parametrize("expr", ['")" * 200000', '"a=(" * 66000', '"<<" * 100000'])
def test_a_line_tree_sitter_is_slow_on_is_stopped_at_its_time_budget(expr):
    m = _measured(expr)
    assert m["timed_out"] and m["error"].startswith(f"parsing took over {limits.PARSE_SECONDS:g} s")
    assert m["seconds"] < limits.PARSE_SECONDS + 3
    assert m["peak"] < 600 * 1024**2


def test_a_line_of_too_many_commands_keeps_the_first_ones():
    result = parse("a;" * (limits.MAX_COMMANDS + 50))
    assert len(result.commands) == limits.MAX_COMMANDS
    assert result.error.startswith(f"more than {limits.MAX_COMMANDS} commands")


def test_an_overlong_line_is_cut_and_said_so():
    result = parse("echo hi; " + "x" * (limits.MAX_LINE_CHARS + 10))
    assert result.commands[0].program == "echo"
    assert result.error.startswith("command line too long")


def test_budgeted_parsing_gives_the_same_commands():
    """A long ordinary script parses under the budget exactly as it would without one."""
    script = "\n".join(f"cp file{i}.txt /backup/ && echo done {i} | tee -a log" for i in range(300))
    assert len(script.encode()) > limits.UNBUDGETED_BYTES
    started = time.monotonic()
    result = parse(script)
    assert time.monotonic() - started < limits.PARSE_SECONDS
    assert result.error is None and not result.timed_out
    assert [c.program for c in result.commands[:3]] == ["cp", "echo", "tee"]
    assert len(result.commands) == 900
