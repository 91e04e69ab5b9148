"""Legitimate files that used to be refused: a byte order mark, one unrepresentable timestamp,
a first record longer than the head that detection reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redline.ingest.base import read_head
from redline.ingest.limits import HEAD_BYTES
from redline.ingest.loader import detect, ingest, process_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TB_CAST = next((FIXTURES / "terminal-bench").rglob("agent.cast"))

JSON_LINES = [
    ("claude-code", FIXTURES / "claude-code" / "session.jsonl"),
    ("codex", sorted((FIXTURES / "codex").glob("*.jsonl"))[-1]),
    ("palisade", next((FIXTURES / "palisade").rglob("*.jsonl"))),
    ("otel-genai", FIXTURES / "otel-genai" / "collector_export.jsonl"),
    ("chat-json", FIXTURES / "chat-json" / "conversations.jsonl"),
    ("terminal-bench", TB_CAST),
]


@pytest.mark.parametrize("fmt, original", JSON_LINES, ids=[f for f, _ in JSON_LINES])
def test_a_byte_order_mark_changes_nothing(tmp_path, fmt, original):
    copy = tmp_path / original.parent.name / original.name
    copy.parent.mkdir()
    copy.write_bytes(b"\xef\xbb\xbf" + original.read_bytes())
    for sidecar in ("tags.json", "results.json"):  # what the adapter reads beside the file
        if (original.parent / sidecar).is_file():
            (copy.parent / sidecar).write_bytes((original.parent / sidecar).read_bytes())
    with_bom, without = process_file(str(copy)), process_file(str(original))
    assert (with_bom.status, with_bom.format) == ("ok", fmt), with_bom.error
    assert with_bom.events.to_arrow().drop(["trial_id", "source_file"]).equals(
        without.events.to_arrow().drop(["trial_id", "source_file"]))


# --------------------------------------------------------------------------- timestamps


def test_one_unrepresentable_timestamp_is_stored_as_null_with_a_warning(tmp_path, con):
    def record(uuid: str, ts: str, content) -> dict:
        return {"type": "user" if isinstance(content, str) else "assistant", "sessionId": "s1", "uuid": uuid,
                "timestamp": ts, "message": {"role": "user" if isinstance(content, str) else "assistant",
                                             "content": content}}
    lines = [
        record("u1", "2026-01-05T10:00:00Z", "List the files."),
        record("a1", "9999-12-31T23:59:59-14:00", [{"type": "tool_use", "id": "t1", "name": "Bash",
                                                     "input": {"command": "ls"}}]),
        record("u2", "2026-01-05T10:00:02Z", [{"type": "tool_result", "tool_use_id": "t1", "content": "a.txt"}]),
    ]
    path = tmp_path / "session.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    report = ingest([path], con)
    assert (report.ok, report.errors) == (1, 0), report.messages
    rows = con.execute("SELECT kind, text, ts IS NULL FROM events ORDER BY seq").fetchall()
    assert rows == [("message", "List the files.", False), ("action", "ls", True), ("observation", "a.txt", False)]
    started, ended, meta = con.execute("SELECT started_at, ended_at, metadata FROM trials").fetchone()
    # the latest time seen was the bad one: the trial ends at the last storable event instead
    assert (started.isoformat(), ended.isoformat()) == ("2026-01-05T10:00:00+00:00", "2026-01-05T10:00:02+00:00")
    warning = json.loads(meta)["warnings"][0]
    assert warning.startswith("timestamps out of range, stored as NULL: trial ended_at 9999-12-31T23:59:59-14:00")
    assert "event 1 timestamp 9999-12-31T23:59:59-14:00" in warning


# --------------------------------------------------------------------------- detection from the head


def _message(role: str, text: str) -> dict:
    return {"role": role, "content": text}


LONG = "x" * (3 * HEAD_BYTES)


@pytest.mark.parametrize("doc", [
    [_message("system", LONG), _message("user", "hi")],                              # first message cut
    [{"messages": [_message("system", LONG), _message("user", "hi")], "id": "a"}],   # first conversation cut
    {"messages": [_message("system", LONG), _message("user", "hi")], "model": "m"},  # its one object cut
], ids=["message-list", "list-of-conversations", "conversation-object"])
def test_a_chat_json_whose_first_record_passes_the_head_is_recognised(tmp_path, doc):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    head = read_head(path)
    assert len(head) == HEAD_BYTES < path.stat().st_size
    assert detect(path, head) == "chat-json"
    result = process_file(str(path))
    assert result.status == "ok" and result.n_trials == 1


def test_chat_json_lines_whose_first_line_passes_the_head_are_recognised(tmp_path):
    path = tmp_path / "runs.jsonl"
    convs = [{"id": i, "messages": [_message("user", LONG), _message("assistant", "ok")]} for i in range(2)]
    path.write_text("\n".join(json.dumps(c) for c in convs) + "\n", encoding="utf-8")
    assert detect(path, read_head(path)) == "chat-json"
    assert process_file(str(path)).n_trials == 2


def test_a_palisade_log_whose_first_record_passes_the_head_is_recognised(tmp_path):
    first = {"ts": "2026-02-04T14:12:59.456873+00:00", "level": "INFO", "logger": "llm_control",
             "message": "system prompt", "event": "system_message",
             "user_payload": {"role": "system", "content": LONG}}
    path = tmp_path / "llm_control.log_20260204_151257_752134.jsonl"
    path.write_text(json.dumps(first) + "\n", encoding="utf-8")
    assert detect(path, read_head(path)) == "palisade"


def test_text_that_only_starts_like_json_is_not_claimed(tmp_path):
    path = tmp_path / "notes.json"
    path.write_text('[{"name": "' + "y" * (2 * HEAD_BYTES) + '"}]', encoding="utf-8")
    assert detect(path, read_head(path)) is None
