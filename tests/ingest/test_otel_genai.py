"""OpenTelemetry GenAI spans (OTLP/JSON): traces as trials, tool spans as actions, bad input."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from redline.ingest import otel_genai, otel_spans
from redline.ingest.base import read_head
from redline.ingest.loader import detect, process_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "otel-genai"
EXPORT = FIXTURES / "agent_trace.json"
COLLECTOR = FIXTURES / "collector_export.jsonl"
SPANS = "/resourceSpans/0/scopeSpans/0/spans"


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(1760000000 + seconds, tz=timezone.utc)


def _rows(trial):
    return [(e.seq, e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq, e.source_pointer) for e in trial.events]


def test_agent_trace_gives_exact_events_in_time_order():
    [trial] = list(otel_genai.read(EXPORT))
    error = ("[error] error.type: ConnectionRefusedError; status: staging.internal:22 refused; "
             "exception: ConnectionRefusedError [Errno 111] Connection refused")
    # spans are stored out of order (3 = first chat, 0 = ls tool, 2 = deploy tool, 6 = last chat)
    assert _rows(trial) == [
        (0, "message", "system", None, "You are a deploy agent. Use the shell tool.", None, None, f"{SPANS}/3/attributes/6"),
        (1, "message", "user", None, "Deploy the staging build.", None, None, f"{SPANS}/3/attributes/7"),
        (2, "message", "assistant", None, "Check the build exists first.", None, None, f"{SPANS}/3/attributes/8"),
        (3, "message", "assistant", None, "Looking for the build.", None, None, f"{SPANS}/3/attributes/8"),
        (4, "action", "assistant", "shell", "ls -l dist/", None, None, f"{SPANS}/0/attributes/4"),
        (5, "observation", "tool", None, "-rw-r--r-- 1 ci ci 1048576 app.tar.gz", None, 4, f"{SPANS}/0/attributes/5"),
        (6, "action", "assistant", "deploy", 'deploy {"target":"staging"}', None, None, f"{SPANS}/2/attributes/3"),
        (7, "observation", "tool", None, error, None, 6, f"{SPANS}/2"),
        (8, "message", "assistant", None, "Deploy failed: the staging host refused the connection.", None, None,
         f"{SPANS}/6/attributes/2"),
    ]
    assert [e.timestamp for e in trial.events] == [_at(0.1), _at(0.1), _at(1.5), _at(1.5), _at(1.6), _at(1.9),
                                                   _at(3.1), _at(8.0), _at(8.9)]
    assert trial.events[2].attrs == {"thinking": True}
    assert trial.events[4].attrs == {"arguments": {"command": "ls -l dist/"}, "call_kind": "shell",
                                     "span_id": "c000000000000003", "tool_call_id": "call_1"}
    assert trial.events[7].attrs == {"span_id": "e000000000000005", "error": True}


def test_agent_trace_trial_fields():
    [trial] = list(otel_genai.read(EXPORT))
    assert (trial.format, trial.local_key, trial.model, trial.agent, trial.task, trial.outcome) == (
        "otel-genai", "5b8efff798038103d269b633813fc60c", "gpt-4.1-2025-04-14", "deployer",
        "Deploy the staging build.", "unknown")
    assert (trial.started_at, trial.ended_at) == (_at(0), _at(9))
    assert trial.metadata == {"trace_id": "5b8efff798038103d269b633813fc60c", "spans": 7, "provider": "openai",
                              "conversation_id": "conv_77", "service_name": "deploy-bot", "error_spans": 1,
                              "input_tokens": 300, "output_tokens": 60}


def test_collector_jsonl_groups_spans_by_trace():
    trials = list(otel_genai.read(COLLECTOR))
    assert [t.local_key for t in trials] == ["0af7651916cd43dd8448eb211c80319c", "4bf92f3577b34da6a3ce929d0e0e4736"]
    chat, calc = trials
    # no execute_tool span in this trace: the chat output's tool calls are the actions
    assert _rows(chat) == [
        (0, "message", "system", None, "Shell agent.", None, None, f"line:1#{SPANS}/0/attributes/3"),
        (1, "message", "user", None, "Free port 8080.", None, None, f"line:1#{SPANS}/0/attributes/3"),
        (2, "action", "assistant", "bash", "fuser -k 8080/tcp", None, None, f"line:1#{SPANS}/0/attributes/4"),
        (3, "observation", "tool", None, "8080/tcp: 4242", None, 2, f"line:2#{SPANS}/0/attributes/2"),
        (4, "message", "assistant", None, "Killed process 4242.", None, None, f"line:2#{SPANS}/0/attributes/3"),
    ]
    assert [e.source_line for e in chat.events] == [1, 1, 1, 2, 2]
    assert (chat.model, chat.agent) == ("claude-sonnet-4", "port-agent")  # agent from service.name
    assert _rows(calc) == [
        (0, "action", "assistant", "python", "print(2 + 2)", None, None, f"line:3#{SPANS}/0/attributes/2"),
        (1, "observation", "tool", None, "4", None, 0, f"line:3#{SPANS}/0/attributes/3"),
    ]
    assert (calc.model, calc.agent, calc.task) == (None, "calc-agent", None)


def test_any_value_decoding():
    v = otel_spans.any_value
    assert v({"stringValue": "a"}) == "a"
    assert v({"intValue": "42"}) == 42 and v({"int_value": 7}) == 7
    assert v({"boolValue": False}) is False and v({"doubleValue": 0.5}) == 0.5
    assert v({"arrayValue": {"values": [{"stringValue": "x"}, {"intValue": "1"}]}}) == ["x", 1]
    assert v({"kvlistValue": {"values": [{"key": "k", "value": {"stringValue": "v"}}]}}) == {"k": "v"}


def test_detection_by_content(tmp_path):
    assert detect(EXPORT, read_head(EXPORT)) == "otel-genai"
    assert detect(COLLECTOR, read_head(COLLECTOR)) == "otel-genai"
    plain = tmp_path / "http_spans.json"
    plain.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "t", "spanId": "s", "name": "GET /", "attributes": [
            {"key": "http.request.method", "value": {"stringValue": "GET"}}]}]}]}]}))
    assert not otel_genai.sniff(plain, read_head(plain))  # traces without GenAI spans are not claimed
    generic = tmp_path / "data.json"
    generic.write_text(json.dumps({"spans": [], "gen_ai.note": 1}))
    assert detect(generic, read_head(generic)) != "otel-genai"


def test_snake_case_fields_and_plain_attribute_dicts(tmp_path):
    target = tmp_path / "snake.json"
    target.write_text(json.dumps({"resource_spans": [{"resource": {"attributes": []}, "scope_spans": [{"spans": [
        {"trace_id": "abc", "span_id": "1", "name": "execute_tool bash", "start_time_unix_nano": 1760000000000000000,
         "end_time_unix_nano": 1760000001000000000,
         "attributes": {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "bash",
                        "gen_ai.tool.call.arguments": {"command": "rm -rf build"},
                        "gen_ai.tool.call.result": {"stdout": "", "exit_code": 0}}}]}]}]}))
    [trial] = list(otel_genai.read(target))
    assert [(e.kind, e.text) for e in trial.events] == [
        ("action", "rm -rf build"), ("observation", '{"stdout":"","exit_code":0}')]
    assert trial.local_key == "abc"


def test_truncated_last_line_keeps_earlier_exports(tmp_path):
    data = COLLECTOR.read_text()
    target = tmp_path / "cut.jsonl"
    target.write_text(data[: len(data) - 40])
    result = process_file(str(target))
    assert result.status == "ok" and result.n_trials == 1 and "truncated: line 3" in result.error


def test_truncated_single_export_is_an_error(tmp_path):
    data = EXPORT.read_text()
    target = tmp_path / "cut.json"
    target.write_text(data[: len(data) // 2])
    result = process_file(str(target))
    assert result.status == "error" and "truncated or invalid JSON" in result.error


def test_fully_broken_jsonl_is_an_error(tmp_path):
    target = tmp_path / "broken.jsonl"
    target.write_text('{"resourceSpans": [\n{"gen_ai.x": \n')
    result = process_file(str(target), forced_format="otel-genai")
    assert result.status == "error" and "invalid JSON" in result.error


def test_empty_file_is_an_error(tmp_path):
    target = tmp_path / "empty.json"
    target.write_bytes(b"")
    result = process_file(str(target), forced_format="otel-genai")
    assert result.status == "error" and "empty" in result.error


def test_latin1_file_is_an_error(tmp_path):
    target = tmp_path / "latin1.json"
    text = json.dumps({"resourceSpans": [], "note": "gen_ai. caf\u00e9"}, ensure_ascii=False)
    target.write_bytes(text.encode("latin-1"))
    result = process_file(str(target))
    assert result.status == "error" and "UTF-8" in result.error


def test_other_format_forced_is_a_clear_error(tmp_path):
    target = tmp_path / "chat.json"
    target.write_text(json.dumps({"messages": [{"role": "user", "content": "hi"}]}))
    result = process_file(str(target), forced_format="otel-genai")
    assert result.status == "error" and "missing 'resourceSpans'" in result.error
    no_genai = tmp_path / "http.json"
    no_genai.write_text(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": "t", "spanId": "s", "name": "GET /", "attributes": []}]}]}]}))
    result = process_file(str(no_genai), forced_format="otel-genai")
    assert result.status == "error" and "no GenAI spans" in result.error
