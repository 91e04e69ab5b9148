"""What adapters share: the JSON-lines reader (with the cast reader's options), the trial builder,
and trials yielded as they are read."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from redline.events import Trial
from redline.ingest import chat_json, openhands
from redline.ingest.base import FormatError
from redline.ingest.builder import TrialBuilder
from redline.ingest.records import TRUNCATED_LINE, JsonLines, iter_json_lines


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "records.jsonl"
    path.write_bytes(data)
    return path


def test_lines_are_read_after_a_byte_order_mark(tmp_path):
    path = _file(tmp_path, b'\xef\xbb\xbf{"a": 1}\n\n{"b": 2}\n')
    assert list(iter_json_lines(path)) == [(1, {"a": 1}), (3, {"b": 2})]


def test_a_last_line_cut_inside_a_character_is_truncation_only_when_asked(tmp_path):
    path = _file(tmp_path, b'{"a": 1}\n{"box": "\xe2\x94')
    with pytest.raises(FormatError, match=r"line 2: not valid UTF-8 text \(bad byte 0xe2 at offset 9\)"):
        list(iter_json_lines(path))
    assert list(iter_json_lines(path, cut_character_truncates=True)) == [(1, {"a": 1}), (2, TRUNCATED_LINE)]


def test_a_lone_damaged_line_is_an_error_unless_the_format_says_it_itself(tmp_path):
    path = _file(tmp_path, b'{"version": 2, "wid')
    with pytest.raises(FormatError, match="line 1: invalid JSON"):
        list(iter_json_lines(path))
    assert list(iter_json_lines(path, lone_damaged_ok=True)) == [(1, TRUNCATED_LINE)]


def test_damage_before_the_last_line_is_always_an_error(tmp_path):
    path = _file(tmp_path, b'{"a": 1}\n{"b": \n{"c": 3}\n')
    with pytest.raises(FormatError, match="line 2: invalid JSON"):
        list(iter_json_lines(path, cut_character_truncates=True, lone_damaged_ok=True))


def test_json_lines_warn_of_what_they_skip_in_file_order(tmp_path):
    path = _file(tmp_path, b'[1, 2]\n{"a": 1}\n{"b": ')
    warnings = ["earlier"]
    lines = JsonLines(path, warnings)
    assert list(lines.objects()) == [(2, {"a": 1})]
    assert lines.first_shape == "list" and lines.truncated_at == 3
    assert warnings == ["earlier", "line 1: not a JSON object, skipped",
                        "truncated: line 3 is cut off (file ends mid-record)"]


def test_the_builder_pairs_results_with_their_calls():
    t0, t1 = (datetime(2026, 1, 1, 10, 0, s, tzinfo=timezone.utc) for s in (0, 5))
    build = TrialBuilder(Trial(format="x", source_path="run.jsonl"))
    build.at(line=3, ts=t1)
    first = build.action("ls", "line:3#/a", call_id="c1")
    build.action("pwd", "line:3#/b", call_id="c2")
    build.at(line=4, ts=t0)
    build.saw(t1)
    build.saw(t0)
    out = build.result("a.txt", "line:4#/r", action=build.call("c1"))
    stray = build.result("?", action=build.call("nope"))
    build.warn("line 9: odd")
    trial = build.finish({"k": 1})
    assert (out.action_seq, out.source_line, out.timestamp, out.role) == (first.seq, 4, t0, "tool")
    assert stray.action_seq is None
    assert build.unanswered == 1  # c2 never got its result
    assert trial.metadata == {"k": 1, "warnings": ["line 9: odd"]}
    assert (trial.started_at, trial.ended_at) == (t0, t1)


def test_trials_are_yielded_as_they_are_read(tmp_path):
    conv = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    path = _file(tmp_path, (json.dumps(conv) + "\n" + json.dumps(conv) + "\n{damaged\n" + json.dumps(conv) + "\n").encode())
    trials = chat_json.read(path)
    # the first trial comes before the damage further down is reached (the latest one is held back
    # until the file's end is known, for the warnings about the whole file)
    assert next(trials).local_key == "line:1"
    with pytest.raises(FormatError, match="line 3"):
        next(trials)


def test_evaluation_records_are_yielded_one_by_one_with_a_cut_line_on_the_last(tmp_path):
    record = {"instance_id": "acme-1", "history": [
        {"id": 0, "source": "user", "action": "message", "args": {"content": "fix it"}}]}
    lines = [json.dumps(record), json.dumps({**record, "instance_id": "acme-2"}), '{"instance_id": "acme-3", "hist']
    path = _file(tmp_path, "\n".join(lines).encode())
    trials = list(openhands.read(path))
    assert [t.local_key for t in trials] == ["acme-1", "acme-2"]
    assert [t.metadata.get("warnings") for t in trials] == [None, ["truncated: line 3 is cut off"]]
