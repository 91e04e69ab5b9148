"""Claude Code session JSONL: events, tool rendering, sessions, damaged and foreign input."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from redline.ingest import claude_code
from redline.ingest.base import read_head
from redline.ingest.loader import detect, process_file

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "claude-code" / "session.jsonl"
SESSION = "7f3c2a10-4b5e-4c8d-9a1b-2c3d4e5f6a7b"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(f"2025-07-01T09:00:{text}+00:00").astimezone(timezone.utc)


def test_session_gives_exact_events():
    [trial] = list(claude_code.read(FIXTURE))
    rows = [(e.seq, e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq, e.source_line, e.source_pointer)
            for e in trial.events]
    failing = "Exit code 1\nFAILED tests/test_cart.py::test_total - assert 9 == 10\n1 failed, 4 passed"
    assert rows == [
        (0, "message", "user", None, "Run the test suite and fix the failing test.\nKeep the change small.",
         None, None, 2, "line:2#/message/content"),
        (1, "message", "assistant", None, "Start by running the tests to see what fails.", None, None, 3,
         "line:3#/message/content/0/thinking"),
        (2, "message", "assistant", None, "I'll run the tests first.", None, None, 4, "line:4#/message/content/0/text"),
        (3, "action", "assistant", "Bash", "pytest -q", None, None, 5, "line:5#/message/content/0/input"),
        (4, "observation", "tool", None, failing, 1, 3, 6, "line:6#/message/content/0/content"),
        (5, "action", "assistant", "Read", "Read /home/dev/shop/cart.py", None, None, 7, "line:7#/message/content/0/input"),
        (6, "observation", "tool", None, "     1\tdef total(items):\n     2\t    return sum(items) - 1\n", None, 5, 8,
         "line:8#/message/content/0/content"),
        (7, "message", "assistant", None, "The total subtracts one. Fixing it.", None, None, 9,
         "line:9#/message/content/0/text"),
        (8, "action", "assistant", "Edit", "Edit /home/dev/shop/cart.py", None, None, 9, "line:9#/message/content/1/input"),
        (9, "observation", "tool", None, "The file /home/dev/shop/cart.py has been updated.", None, 8, 10,
         "line:10#/message/content/0/content"),
        (10, "action", "assistant", "Grep", "Grep 'def total' /home/dev/shop", None, None, 11,
         "line:11#/message/content/0/input"),
        (11, "observation", "tool", None, "Found 1 file\n/home/dev/shop/cart.py", None, 10, 12,
         "line:12#/message/content/0/content"),
        (12, "action", "assistant", "Bash", "pytest -q && git diff --stat", None, None, 13,
         "line:13#/message/content/0/input"),
        (13, "observation", "tool", None, "5 passed in 0.12s\n cart.py | 2 +-", None, 12, 14,
         "line:14#/message/content/0/content"),
        (14, "message", "assistant", None, "All tests pass now: `total` no longer subtracts one.", None, None, 15,
         "line:15#/message/content/0/text"),
    ]
    assert trial.events[1].attrs == {"thinking": True}
    assert trial.events[3].attrs == {"input": {"command": "pytest -q", "description": "Run the test suite"},
                                     "tool_use_id": "toolu_01"}
    assert trial.events[4].attrs == {"is_error": True, "tool_use_id": "toolu_01"}
    assert trial.events[8].attrs["input"]["new_string"] == "sum(items)"
    assert trial.events[3].timestamp == _at("05.000") and trial.events[4].timestamp == _at("09.000")


def test_session_metadata():
    [trial] = list(claude_code.read(FIXTURE))
    assert (trial.format, trial.local_key, trial.model, trial.agent, trial.outcome, trial.source_verdict) == (
        "claude-code", "", "claude-sonnet-4-20250514", "claude-code", "unknown", None)
    assert trial.task == "Run the test suite and fix the failing test."
    assert trial.started_at == _at("00.000") and trial.ended_at == _at("36.000")
    assert trial.metadata == {"session_id": SESSION, "cwd": "/home/dev/shop", "version": "1.0.51",
                              "gitBranch": "main", "summary": "Fix the failing cart total test"}


def test_tool_rendering():
    r = claude_code.render_tool
    assert r("Bash", {"command": "ls -la /tmp"}) == "ls -la /tmp"
    assert r("Write", {"file_path": "/a b/c.txt", "content": "x"}) == "Write '/a b/c.txt'"
    assert r("Glob", {"pattern": "**/*.py"}) == "Glob '**/*.py'"
    assert r("WebFetch", {"url": "https://example.com/x", "prompt": "summarise"}) == "WebFetch https://example.com/x"
    assert r("TodoWrite", {"todos": []}) == 'TodoWrite {"todos":[]}'
    assert r("mcp__db__query", {"sql": "select 1"}) == 'mcp__db__query {"sql":"select 1"}'


def test_detection_by_content(tmp_path):
    assert detect(FIXTURE, read_head(FIXTURE)) == "claude-code"
    codex = tmp_path / "rollout.jsonl"
    codex.write_text(json.dumps({"timestamp": "2026-01-01T00:00:00Z", "type": "session_meta",
                                 "payload": {"id": "x", "cwd": "/"}}) + "\n")
    assert not claude_code.sniff(codex, read_head(codex))
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}))
    assert not claude_code.sniff(chat, read_head(chat))
    generic = tmp_path / "data.json"
    generic.write_text(json.dumps({"type": "user", "name": "x"}))
    assert detect(generic, read_head(generic)) != "claude-code"


def test_two_sessions_in_one_file_are_two_trials_and_junk_lines_are_skipped(tmp_path):
    lines = FIXTURE.read_text().splitlines()
    other = {"type": "user", "sessionId": "other-session", "uuid": "z1", "timestamp": "2025-07-02T10:00:00Z",
             "message": {"role": "user", "content": "A second session"}}
    lines += ['"massive error"', json.dumps({"type": "user", "sessionId": SESSION, "message": "error"}),
              json.dumps(other)]
    target = tmp_path / "mixed.jsonl"
    target.write_text("\n".join(lines) + "\n")
    trials = list(claude_code.read(target))
    assert [t.local_key for t in trials] == [SESSION, "other-session"]
    assert [e.text for e in trials[1].events] == ["A second session"]
    assert trials[0].metadata["warnings"] == ["line 17: not a JSON object, skipped",
                                              "line 18: user record without a message object, skipped"]
    result = process_file(str(target))
    assert result.status == "ok" and result.n_trials == 2 and "not a JSON object" in result.error


def test_a_file_of_summaries_only_is_skipped_and_a_subagent_sidechain_is_read(tmp_path):
    # Claude Code leaves files holding only the titles of sessions recorded in other files
    titles = tmp_path / "0b1c2d3e-summaries.jsonl"
    titles.write_text("\n".join(json.dumps({"type": "summary", "summary": s, "leafUuid": f"{n}1111111-2222"})
                                for n, s in enumerate(["Fix nginx port conflict", "Kill stale server"])) + "\n")
    assert detect(titles, read_head(titles)) == "claude-code"
    result = process_file(str(titles))
    assert (result.status, result.n_trials) == ("skipped", 0)
    assert "summaries only (2 session titles)" in result.error
    # a subagent's own file (agent-<id>.jsonl): every record a sidechain of its session
    base = {"isSidechain": True, "userType": "external", "cwd": "/app", "sessionId": SESSION,
            "version": "2.0.14", "agentId": "a1b2c3"}
    records = [
        {**base, "type": "user", "uuid": "u1", "parentUuid": None, "timestamp": "2025-10-01T10:00:00.000Z",
         "message": {"role": "user", "content": "Find what listens on port 8080"}},
        {**base, "type": "assistant", "uuid": "a1", "parentUuid": "u1", "timestamp": "2025-10-01T10:00:02.000Z",
         "message": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                     "content": [{"type": "tool_use", "id": "toolu_1", "name": "Bash",
                                  "input": {"command": "ss -ltnp | grep 8080", "description": "Find listener"}}]}},
        {**base, "type": "user", "uuid": "u2", "parentUuid": "a1", "timestamp": "2025-10-01T10:00:03.000Z",
         "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "is_error": False,
                                                  "content": 'LISTEN 0 511 0.0.0.0:8080 users:(("nginx",pid=42))'}]},
         "toolUseResult": {"stdout": 'LISTEN 0 511 0.0.0.0:8080 users:(("nginx",pid=42))', "stderr": "",
                           "interrupted": False, "isImage": False}},
    ]
    agent = tmp_path / "agent-a1b2c3.jsonl"
    agent.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    [trial] = list(claude_code.read(agent))
    assert [(e.kind, e.text, e.action_seq, e.attrs.get("sidechain")) for e in trial.events] == [
        ("message", "Find what listens on port 8080", None, True),
        ("action", "ss -ltnp | grep 8080", None, True),
        ("observation", 'LISTEN 0 511 0.0.0.0:8080 users:(("nginx",pid=42))', 1, True),
    ]
    assert trial.model == "claude-sonnet-4-5-20250929"


def test_unanswered_tool_call_is_counted(tmp_path):
    lines = FIXTURE.read_text().splitlines()[:11]  # stops after the Grep call, before its result
    target = tmp_path / "cut.jsonl"
    target.write_text("\n".join(lines) + "\n")
    [trial] = list(claude_code.read(target))
    assert trial.actions()[-1].text == "Grep 'def total' /home/dev/shop"
    assert trial.metadata["unanswered_tool_calls"] == 1


def test_truncated_last_line_keeps_the_session(tmp_path):
    data = FIXTURE.read_text()
    target = tmp_path / "cut.jsonl"
    target.write_text(data[: len(data) - 30])
    result = process_file(str(target))
    assert result.status == "ok" and result.n_trials == 1 and "truncated: line 16" in result.error


def test_fully_broken_jsonl_is_an_error(tmp_path):
    target = tmp_path / "broken.jsonl"
    target.write_text('{"type": "user", "message": \n{"type": \n')
    result = process_file(str(target), forced_format="claude-code")
    assert result.status == "error" and "invalid JSON" in result.error


def test_empty_file_is_an_error(tmp_path):
    target = tmp_path / "empty.jsonl"
    target.write_text("")
    result = process_file(str(target), forced_format="claude-code")
    assert result.status == "error" and "empty" in result.error


def test_latin1_file_is_an_error(tmp_path):
    target = tmp_path / "latin1.jsonl"
    line = json.dumps({"type": "user", "sessionId": "s", "uuid": "u", "message": {"role": "user", "content": "d\u00e9j\u00e0"}},
                      ensure_ascii=False)
    target.write_bytes((line + "\n").encode("latin-1"))
    result = process_file(str(target))
    assert result.status == "error" and "UTF-8" in result.error


def test_other_format_forced_is_a_clear_error(tmp_path):
    target = tmp_path / "rollout.jsonl"
    target.write_text(json.dumps({"timestamp": "2026-01-01T00:00:00Z", "type": "session_meta",
                                  "payload": {"id": "x"}}) + "\n")
    result = process_file(str(target), forced_format="claude-code")
    assert result.status == "error" and "not a Claude Code session" in result.error
