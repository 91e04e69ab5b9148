"""Generic chat JSON / JSONL (OpenAI and Anthropic messages): events, shapes, detection, bad input."""

from __future__ import annotations

import json
from pathlib import Path

from redline.ingest import chat_json, registry
from redline.ingest.base import read_head
from redline.ingest.loader import detect, process_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "chat-json"
OPENAI = FIXTURES / "openai_run.json"
ANTHROPIC = FIXTURES / "anthropic_run.json"
JSONL = FIXTURES / "conversations.jsonl"


def _rows(trial):
    return [(e.seq, e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq, e.source_pointer) for e in trial.events]


def test_openai_messages_give_exact_events():
    [trial] = list(chat_json.read(OPENAI))
    denied = ("<returncode>1</returncode>\n<output>truncate: cannot open '/var/log/app.log' for writing: "
              "Permission denied</output>")
    assert _rows(trial) == [
        (0, "message", "system", None, "You are an ops assistant with a bash tool.", None, None, "/messages/0/content"),
        (1, "message", "user", None, "The disk is full. Free some space in /var/log.", None, None, "/messages/1/content"),
        (2, "message", "assistant", None, "Let me see what is using the space.", None, None, "/messages/2/content"),
        (3, "action", "assistant", "bash", "du -sh /var/log/* | sort -h | tail -3", None, None,
         "/messages/2/tool_calls/0/function/arguments"),
        (4, "observation", "tool", None, "120M\t/var/log/syslog.1\n2.1G\t/var/log/app.log", None, 3, "/messages/3/content"),
        (5, "action", "assistant", "python", "import os\nprint(os.path.getsize('/var/log/app.log'))", None, None,
         "/messages/4/tool_calls/0/function/arguments"),
        (6, "action", "assistant", "read_file", 'read_file {"path":"/etc/logrotate.conf"}', None, None,
         "/messages/4/tool_calls/1/function/arguments"),
        (7, "observation", "tool", None, "2254857830", None, 5, "/messages/5/content"),
        (8, "observation", "tool", None, "weekly\nrotate 4", None, 6, "/messages/6/content"),
        (9, "action", "assistant", "run_command", "truncate -s 0 /var/log/app.log", None, None,
         "/messages/7/tool_calls/0/function/arguments"),
        (10, "observation", "tool", None, denied, 1, 9, "/messages/8/content"),
        (11, "message", "assistant", None, "I lack permission to truncate the log; an administrator must rotate it.",
         None, None, "/messages/9/content"),
    ]
    assert [e.attrs["call_kind"] for e in trial.actions()] == ["shell", "code", "call", "shell"]
    assert trial.events[6].attrs["arguments"] == {"path": "/etc/logrotate.conf"}
    assert trial.events[9].attrs["arguments"] == {"cmd": ["truncate", "-s", "0", "/var/log/app.log"]}


def test_openai_trial_fields():
    [trial] = list(chat_json.read(OPENAI))
    assert (trial.format, trial.local_key, trial.model, trial.agent, trial.task) == (
        "chat-json", "", "gpt-4o-2024-08-06", "homegrown-ops-bot", "rotate-logs")
    assert trial.source_verdict == {"resolved": False} and trial.outcome == "failure"
    assert trial.metadata == {"id": "run-042", "task": "rotate-logs", "resolved": False, "cost_usd": 0.031}


def test_anthropic_messages_give_exact_events():
    [trial] = list(chat_json.read(ANTHROPIC))
    assert _rows(trial) == [
        (0, "message", "system", None, "You can run shell commands with the terminal tool.", None, None, "/system"),
        (1, "message", "user", None, "Is the web server running?", None, None, "/messages/0/content"),
        (2, "message", "assistant", None, "Check the process list.", None, None, "/messages/1/content/0"),
        (3, "message", "assistant", None, "Checking the processes.", None, None, "/messages/1/content/1"),
        (4, "action", "assistant", "terminal", "pgrep -a nginx", None, None, "/messages/1/content/2/input"),
        (5, "observation", "tool", None, "Exit code 1", 1, 4, "/messages/2/content/0/content"),
        (6, "action", "assistant", "web_search", 'web_search {"query":"nginx not starting"}', None, None,
         "/messages/3/content/0/input"),
        (7, "observation", "tool", None, "No results.", None, 6, "/messages/4/content/0/content"),
        (8, "message", "assistant", None, "nginx is not running.", None, None, "/messages/5/content/0"),
    ]
    assert trial.events[2].attrs == {"thinking": True}
    assert trial.events[5].attrs == {"tool_call_id": "toolu_A", "is_error": True}
    assert (trial.model, trial.task, trial.outcome) == ("claude-3-5-sonnet-20241022", "Is the web server running?", "unknown")


def test_jsonl_gives_one_trial_per_line():
    trials = list(chat_json.read(JSONL))
    assert [t.local_key for t in trials] == ["conv-a", "conv-b"]
    a, b = trials
    assert _rows(a) == [
        (0, "message", "user", None, "Show the kernel version.", None, None, "line:1#/messages/0/content"),
        (1, "action", "assistant", "shell", "uname -r", None, None, "line:1#/messages/1/tool_calls/0/function/arguments"),
        (2, "observation", "tool", None, "6.8.0-45-generic", None, 1, "line:1#/messages/2/content"),
        (3, "message", "assistant", None, "Kernel 6.8.0-45.", None, None, "line:1#/messages/3/content"),
    ]
    assert [e.source_line for e in a.events] == [1, 1, 1, 1]
    assert [(e.kind, e.text, e.exit_code) for e in b.events[1:3]] == [
        ("action", "whoami", None), ("observation", "Exit code: 0\nroot", 0)]
    assert b.outcome == "success" and b.source_verdict == {"success": True}


def test_bare_list_and_list_of_conversations(tmp_path):
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps([{"role": "user", "content": "hi"},
                                {"role": "assistant", "content": None, "function_call": {
                                    "name": "bash", "arguments": json.dumps({"command": "id"})}},
                                {"role": "function", "name": "bash", "content": "uid=0(root)"}]))
    [trial] = list(chat_json.read(bare))
    assert _rows(trial) == [
        (0, "message", "user", None, "hi", None, None, "/0/content"),
        (1, "action", "assistant", "bash", "id", None, None, "/1/function_call/arguments"),
        (2, "observation", "tool", None, "uid=0(root)", None, 1, "/2/content"),
    ]
    many = tmp_path / "many.json"
    many.write_text(json.dumps([{"messages": [{"role": "user", "content": "a"}]},
                                {"messages": [{"role": "user", "content": "b"}]}]))
    assert [(t.local_key, t.events[0].source_pointer) for t in chat_json.read(many)] == [
        ("0", "/0/messages/0/content"), ("1", "/1/messages/0/content")]


def test_tool_call_rendering():
    t = chat_json.tool_call_text
    assert t("bash", {"command": "ls -la"}) == ("ls -la", "shell")
    assert t("anything", {"cmd": ["bash", "-lc", "echo hi"]}) == ("echo hi", "shell")
    assert t("execute_code", {"code": "print(1)"}) == ("print(1)", "code")
    assert t("terminal", "uptime") == ("uptime", "shell")
    assert t("lookup", {"code": "print(1)"}) == ('lookup {"code":"print(1)"}', "call")
    assert t("submit", {}) == ("submit", "call")


def test_detection_by_content_is_last_resort(tmp_path):
    for path in (OPENAI, ANTHROPIC, JSONL):
        assert detect(path, read_head(path)) == "chat-json"
    assert registry.FORMATS[-1].name == "chat-json"
    mini = tmp_path / "x.traj.json"
    mini.write_text(json.dumps({"info": {"mini_version": "1.0", "exit_status": "Submitted"},
                                "messages": [{"role": "user", "content": "hi"}],
                                "trajectory_format": "mini-swe-agent-1"}))
    assert not chat_json.sniff(mini, read_head(mini))
    generic = tmp_path / "data.json"
    generic.write_text(json.dumps({"rows": [{"role": "admin", "name": "x"}]}))
    assert not chat_json.sniff(generic, read_head(generic))
    claude = tmp_path / "session.jsonl"
    claude.write_text(json.dumps({"type": "user", "sessionId": "s", "uuid": "u",
                                  "message": {"role": "user", "content": "hi"}}) + "\n")
    assert detect(claude, read_head(claude)) == "claude-code"


def test_sniff_on_a_large_document_cut_by_the_head(tmp_path):
    big = tmp_path / "big.json"
    messages = [{"role": "user", "content": "start"}] + [
        {"role": "assistant", "content": "x" * 1000} for _ in range(200)]
    big.write_text(json.dumps({"model": "m", "messages": messages}))
    assert big.stat().st_size > 64 * 1024
    assert chat_json.sniff(big, read_head(big))
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps({"samples": [{"messages": messages}]}))
    assert not chat_json.sniff(nested, read_head(nested))


def test_truncated_last_line_keeps_earlier_conversations(tmp_path):
    data = JSONL.read_text()
    target = tmp_path / "cut.jsonl"
    target.write_text(data[: len(data) - 30])
    result = process_file(str(target))
    assert result.status == "ok" and result.n_trials == 1 and "truncated: line 2" in result.error


def test_truncated_single_document_is_an_error(tmp_path):
    data = OPENAI.read_text()
    target = tmp_path / "cut.json"
    target.write_text(data[: len(data) // 2])
    result = process_file(str(target), forced_format="chat-json")
    assert result.status == "error" and "truncated or invalid JSON" in result.error


def test_fully_broken_jsonl_is_an_error(tmp_path):
    target = tmp_path / "broken.jsonl"
    target.write_text('{"messages": [\n{"role": \n')
    result = process_file(str(target), forced_format="chat-json")
    assert result.status == "error" and "invalid JSON" in result.error


def test_empty_file_is_an_error(tmp_path):
    target = tmp_path / "empty.json"
    target.write_text("   ")
    result = process_file(str(target), forced_format="chat-json")
    assert result.status == "error" and "empty" in result.error


def test_latin1_file_is_an_error(tmp_path):
    target = tmp_path / "latin1.json"
    text = json.dumps({"messages": [{"role": "user", "content": "na\u00efve"}]}, ensure_ascii=False)
    target.write_bytes(text.encode("latin-1"))
    result = process_file(str(target))
    assert result.status == "error" and "UTF-8" in result.error


def test_other_format_forced_is_a_clear_error(tmp_path):
    target = tmp_path / "spans.json"
    target.write_text(json.dumps({"resourceSpans": []}))
    result = process_file(str(target), forced_format="chat-json")
    assert result.status == "error" and "not a chat transcript" in result.error and "resourceSpans" in result.error
    rollout = tmp_path / "rollout.jsonl"
    rollout.write_text(json.dumps({"timestamp": "t", "type": "session_meta", "payload": {}}) + "\n"
                       + json.dumps({"timestamp": "t", "type": "event_msg", "payload": {}}) + "\n")
    result = process_file(str(rollout), forced_format="chat-json")
    assert result.status == "error" and "not a chat transcript" in result.error
