"""Codex CLI rollouts: wrapped and bare-era files, command rendering, exit codes, bad input."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from redline.ingest import codex
from redline.ingest.base import read_head
from redline.ingest.loader import detect, process_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "codex"
ROLLOUT = FIXTURES / "rollout-2025-10-20T08-15-00-0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl"
LEGACY = FIXTURES / "rollout-2025-08-18T01-16-13-legacy.jsonl"
#: the TypeScript CLI's rollout (spring 2025): one JSON document of the session and its items
DOCUMENT = FIXTURES / "rollout-2025-05-02-0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b.json"


def _rows(trial):
    return [(e.seq, e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq, e.source_line, e.source_pointer)
            for e in trial.events]


def test_rollout_gives_exact_events():
    [trial] = list(codex.read(ROLLOUT))
    env = "<environment_context>\n  <cwd>/home/dev/api</cwd>\n  <approval_policy>on-request</approval_policy>\n</environment_context>"
    patch = "*** Begin Patch\n*** Update File: app.py\n-PORT = 8000\n+PORT = 8080\n*** End Patch"
    lsof_out = ("Chunk ID: 4f2a\nWall time: 0.5 seconds\nProcess exited with code 1\nOriginal token count: 12\n"
                "Output:\nsudo: a password is required\n")
    assert _rows(trial) == [
        (0, "message", "user", None, env, None, None, 2, "line:2#/payload/content"),
        (1, "message", "user", None, "Find why the health check fails and fix it.", None, None, 3, "line:3#/payload/content"),
        (2, "message", "assistant", None, "**Checking the service**", None, None, 7, "line:7#/payload/summary"),
        (3, "action", "assistant", "shell", "curl -s localhost:8080/health || echo down", None, None, 8,
         "line:8#/payload/arguments"),
        (4, "observation", "tool", None, "down\n", 0, 3, 9, "line:9#/payload/output"),
        (5, "action", "assistant", "shell", "grep -rn PORT config/", None, None, 10, "line:10#/payload/arguments"),
        (6, "observation", "tool", None, "grep: config/: No such file or directory\n", 2, 5, 11, "line:11#/payload/output"),
        (7, "action", "assistant", "exec_command", "sudo lsof -i :8080", None, None, 12, "line:12#/payload/arguments"),
        (8, "observation", "tool", None, lsof_out, 1, 7, 13, "line:13#/payload/output"),
        (9, "action", "assistant", "apply_patch", f"apply_patch '{patch}'", None, None, 14, "line:14#/payload/input"),
        (10, "observation", "tool", None, "Success. Updated the following files:\nM app.py\n", 0, 9, 15,
         "line:15#/payload/output"),
        (11, "action", "assistant", "local_shell", "python3 -m pytest -q tests/test_health.py", None, None, 16,
         "line:16#/payload/action/command"),
        (12, "observation", "tool", None, "Exit code: 0\nWall time: 1.9 seconds\nOutput:\n1 passed in 0.31s\n", 0, 11, 17,
         "line:17#/payload/output"),
        (13, "message", "assistant", None,
         "The app listened on port 8000; it now uses 8080 and the health test passes.", None, None, 19,
         "line:19#/payload/content"),
    ]
    assert trial.events[0].attrs == {"injected": True}
    assert trial.events[2].attrs == {"reasoning": True}
    assert trial.events[3].attrs["arguments"]["command"] == ["bash", "-lc", "curl -s localhost:8080/health || echo down"]
    assert trial.events[3].attrs["call_id"] == "call_A1"
    assert trial.events[4].attrs == {"duration_seconds": 0.4, "call_id": "call_A1"}
    assert trial.events[3].timestamp == datetime(2025, 10, 20, 8, 15, 3, tzinfo=timezone.utc)
    assert all("gAAAA" not in (e.text or "") for e in trial.events)  # encrypted reasoning never read


def test_rollout_metadata():
    [trial] = list(codex.read(ROLLOUT))
    assert (trial.format, trial.local_key, trial.model, trial.agent, trial.outcome) == (
        "codex", "", "gpt-5-codex", "codex", "unknown")
    assert trial.task == "Find why the health check fails and fix it."
    assert trial.started_at == datetime(2025, 10, 20, 8, 15, tzinfo=timezone.utc)
    assert trial.ended_at == datetime(2025, 10, 20, 8, 15, 9, 600000, tzinfo=timezone.utc)
    assert trial.metadata == {
        "session_id": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "cwd": "/home/dev/api", "cli_version": "0.46.0",
        "originator": "codex_cli_rs", "model_provider": "openai", "source": "cli",
        "git": {"branch": "main", "commit_hash": "3f2a1b0", "repository_url": "git@example.com:dev/api.git"},
        "approval_policy": "on-request", "sandbox_policy": "workspace-write", "total_tokens": 5598,
    }


def test_bare_era_rollout():
    [trial] = list(codex.read(LEGACY))
    assert _rows(trial) == [
        (0, "message", "user", None, "<user_instructions>\nAlways run the linter.\n</user_instructions>", None, None, 3,
         "line:3#/content"),
        (1, "message", "user", None, "List the TODO comments in src.", None, None, 4, "line:4#/content"),
        (2, "action", "assistant", "shell", "grep -rn TODO src | head -20", None, None, 6, "line:6#/arguments"),
        (3, "observation", "tool", None, "src/main.rs:12: // TODO: retry\n", 0, 2, 7, "line:7#/output"),
        (4, "message", "assistant", None, "One TODO: src/main.rs line 12.", None, None, 8, "line:8#/content"),
    ]
    assert trial.task == "List the TODO comments in src."
    assert trial.metadata["session_id"] == "5b8f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e"
    assert trial.started_at == datetime(2025, 8, 18, 1, 16, 13, 522000, tzinfo=timezone.utc)


def test_typescript_cli_rollout_document():
    assert detect(DOCUMENT, read_head(DOCUMENT)) == "codex"
    result = process_file(str(DOCUMENT))
    assert (result.status, result.n_trials, result.error) == ("ok", 1, None)
    [trial] = list(codex.read(DOCUMENT))
    assert trial.task == "The dev server on port 3000 is stuck; restart it."
    assert trial.metadata["session_id"] == "0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    assert trial.started_at == datetime(2025, 5, 2, 9, 14, 3, 120000, tzinfo=timezone.utc)
    assert [(e.kind, e.role, e.text, e.exit_code, e.action_seq, e.source_pointer) for e in trial.events] == [
        ("message", "user", "The dev server on port 3000 is stuck; restart it.", None, None, "/items/0/content"),
        ("message", "assistant", "Find the process on port 3000 first.", None, None, "/items/1/summary"),
        ("action", "assistant", "lsof -i :3000", None, None, "/items/2/arguments"),
        ("observation", "tool", "node 4242 dev 23u IPv4 TCP *:3000 (LISTEN)\n", 0, 2, "/items/3/output"),
        ("action", "assistant", "kill -9 4242", None, None, "/items/4/arguments"),
        ("observation", "tool", "", 0, 4, "/items/5/output"),
        ("message", "assistant", "Killed the stuck server (pid 4242).", None, None, "/items/6/content"),
    ]


def test_a_cut_typescript_cli_rollout_is_an_error_naming_it(tmp_path):
    cut = tmp_path / DOCUMENT.name
    cut.write_text(DOCUMENT.read_text()[:600])
    result = process_file(str(cut))
    assert (result.status, result.format) == ("error", "codex")
    assert "JSON" in result.error


def test_argv_rendering():
    assert codex.argv_command(["bash", "-lc", "cd src && make"]) == "cd src && make"
    assert codex.argv_command(["/bin/sh", "-c", "ls"]) == "ls"
    assert codex.argv_command(["rg", "-n", "a b", "src"]) == "rg -n 'a b' src"
    assert codex.argv_command(["bash", "-lc", "ls", "extra"]) == "bash -lc ls extra"


def test_event_messages_used_when_no_response_items(tmp_path):
    recs = [
        {"timestamp": "2025-10-20T08:00:00Z", "type": "session_meta", "payload": {"id": "s"}},
        {"timestamp": "2025-10-20T08:00:01Z", "type": "event_msg", "payload": {"type": "user_message", "message": "hello"}},
        {"timestamp": "2025-10-20T08:00:02Z", "type": "event_msg", "payload": {"type": "agent_message", "message": "hi"}},
        {"timestamp": "2025-10-20T08:00:03Z", "type": "future_record", "payload": {"x": 1}},
    ]
    target = tmp_path / "rollout.jsonl"
    target.write_text("".join(json.dumps(r) + "\n" for r in recs))
    [trial] = list(codex.read(target))
    assert [(e.role, e.text) for e in trial.events] == [("user", "hello"), ("assistant", "hi")]
    assert "warnings" not in trial.metadata


def test_detection_by_content(tmp_path):
    assert detect(ROLLOUT, read_head(ROLLOUT)) == "codex"
    assert detect(LEGACY, read_head(LEGACY)) == "codex"
    claude = tmp_path / "session.jsonl"
    claude.write_text(json.dumps({"type": "user", "sessionId": "s1", "uuid": "u1",
                                  "message": {"role": "user", "content": "hi"}}) + "\n")
    assert not codex.sniff(claude, read_head(claude))
    generic = tmp_path / "data.json"
    generic.write_text(json.dumps({"id": "x", "timestamp": "2025-01-01", "values": [1, 2]}))
    assert not codex.sniff(generic, read_head(generic))


def test_truncated_last_line_keeps_the_rollout(tmp_path):
    data = ROLLOUT.read_text()
    target = tmp_path / "rollout-cut.jsonl"
    target.write_text(data[: len(data) - 50])
    result = process_file(str(target))
    assert result.status == "ok" and result.n_trials == 1 and "truncated: line 20" in result.error


def test_unanswered_call_is_counted(tmp_path):
    lines = ROLLOUT.read_text().splitlines()[:12]  # ends with the exec_command call
    target = tmp_path / "rollout-open.jsonl"
    target.write_text("\n".join(lines) + "\n")
    [trial] = list(codex.read(target))
    assert trial.actions()[-1].text == "sudo lsof -i :8080"
    assert trial.metadata["unanswered_tool_calls"] == 1


def test_fully_broken_jsonl_is_an_error(tmp_path):
    target = tmp_path / "rollout-bad.jsonl"
    target.write_text('{"timestamp": "x", "type": \n{"payload\n')
    result = process_file(str(target), forced_format="codex")
    assert result.status == "error" and "invalid JSON" in result.error


def test_empty_file_is_an_error(tmp_path):
    target = tmp_path / "rollout-empty.jsonl"
    target.write_text(" \n")
    result = process_file(str(target), forced_format="codex")
    assert result.status == "error" and "empty" in result.error


def test_latin1_file_is_an_error(tmp_path):
    target = tmp_path / "rollout-latin1.jsonl"
    line = json.dumps({"timestamp": "2025-10-20T08:00:00Z", "type": "event_msg",
                       "payload": {"type": "user_message", "message": "r\u00e9sum\u00e9"}}, ensure_ascii=False)
    target.write_bytes((line + "\n").encode("latin-1"))
    result = process_file(str(target))
    assert result.status == "error" and "UTF-8" in result.error


def test_other_format_forced_is_a_clear_error(tmp_path):
    target = tmp_path / "session.jsonl"
    target.write_text(json.dumps({"type": "user", "sessionId": "s1", "message": {"role": "user", "content": "hi"}}) + "\n")
    result = process_file(str(target), forced_format="codex")
    assert result.status == "error" and "not a Codex rollout" in result.error
