"""OpenHands event-stream adapter: events, trial fields, detection and bad input."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from redline.ingest import openhands
from redline.ingest.base import read_head
from redline.ingest.loader import detect, process_file

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "openhands" / "rename_and_serve.json"


def _write(tmp_path: Path, data, name: str = "events.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _ts(second: int, micro: int = 0) -> datetime:
    return datetime(2025, 3, 1, 10, 0, second, micro)


def test_fixture_events_are_exact():
    [trial] = list(openhands.read(FIXTURE))
    got = [(e.seq, e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq, e.timestamp, e.source_pointer)
           for e in trial.events]
    assert got == [
        (0, "message", "user", None, "Rename app.py to main.py and start it.\nUse port 8080.", None, None, _ts(1), "/1"),
        (1, "message", "assistant", None, "I'll rename the file first.", None, None, _ts(3), "/3/args/thought"),
        (2, "action", "assistant", "bash", "mv /workspace/app.py /workspace/main.py", None, None, _ts(3), "/3"),
        (3, "observation", "tool", None, "\n[The command completed with exit code 0.]", 0, 2, _ts(3, 500000), "/4"),
        (4, "message", "assistant", None, "Now set the port.", None, None, _ts(5), "/5/args/thought"),
        (5, "action", "assistant", "str_replace_editor",
         "str_replace_editor str_replace /workspace/main.py --old_str 'PORT = 80' --new_str 'PORT = 8080'",
         None, None, _ts(5), "/5"),
        (6, "observation", "tool", None, "The file /workspace/main.py has been edited.", None, 5, _ts(5, 200000), "/6"),
        (7, "action", "assistant", "str_replace_editor", "str_replace_editor view /workspace/main.py",
         None, None, _ts(6), "/7"),
        (8, "observation", "tool", None, "     1\tPORT = 8080\n", None, 7, _ts(6, 100000), "/8"),
        (9, "message", "assistant", None, "Start the server.", None, None, _ts(7), "/9/args/thought"),
        (10, "action", "assistant", "bash", "python3 /workspace/main.py", None, None, _ts(7), "/9"),
        (11, "observation", "tool", None, "Serving on port 8080\n[The command has no new output after 30 seconds.]",
         None, 10, _ts(37), "/10"),
        (12, "message", "assistant", None, "I should check it answers.", None, None, _ts(38), "/11"),
        (13, "action", "assistant", "ipython",
         "import urllib.request\nprint(urllib.request.urlopen('http://localhost:8080').status)",
         None, None, _ts(40), "/13"),
        (14, "observation", "tool", None, "200\n[Jupyter current working directory: /workspace]", None, 13, _ts(41), "/14"),
        (15, "message", "assistant", None, "Done: renamed and serving on 8080.", None, None, _ts(42), "/15"),
    ]
    assert trial.events[5].attrs == {
        "function_name": "str_replace_editor",
        "arguments": {"command": "str_replace", "path": "/workspace/main.py", "old_str": "PORT = 80", "new_str": "PORT = 8080"},
    }
    assert trial.events[7].attrs == {"arguments": {"command": "view", "path": "/workspace/main.py"}}
    assert trial.events[11].attrs == {"observation": "run", "raw_exit_code": -1}  # had not exited: unknown
    assert trial.events[12].attrs == {"action": "think"}


def test_fixture_trial_fields():
    [trial] = list(openhands.read(FIXTURE))
    assert (trial.format, trial.local_key, trial.agent) == ("openhands", "", "openhands")
    assert trial.model == "claude-3-5-sonnet-20241022"
    assert trial.task == "Rename app.py to main.py and start it."
    assert (trial.outcome, trial.source_verdict) == ("unknown", None)
    assert trial.metadata == {"agent_state": "finished",
                              "skipped_events": {"observation null": 1, "observation think": 1}}


def test_editor_actions_without_tool_call_are_rendered_from_args(tmp_path):
    events = [
        {"id": 1, "timestamp": "2025-03-01T10:00:00", "source": "agent", "action": "write",
         "args": {"path": "/w/a.sh", "content": "echo 'hi'\n", "thought": ""}},
        {"id": 2, "timestamp": "2025-03-01T10:00:01", "source": "agent", "cause": 1, "observation": "write",
         "content": "", "extras": {"path": "/w/a.sh"}},
        {"id": 3, "timestamp": "2025-03-01T10:00:02", "source": "agent", "action": "edit",
         "args": {"command": "create", "path": "/w/b.py", "file_text": "print(1)\n", "thought": "make b"}},
        {"id": 4, "timestamp": "2025-03-01T10:00:03", "source": "agent", "action": "read",
         "args": {"path": "/w/b.py", "start": 3, "end": 9, "thought": ""}},
        {"id": 5, "timestamp": "2025-03-01T10:00:04", "source": "agent", "action": "browse",
         "args": {"url": "https://example.org/a b", "thought": ""}},
        {"id": 6, "timestamp": "2025-03-01T10:00:05", "source": "agent", "action": "run",
         "args": {"command": "C-c", "is_input": True, "thought": ""}},
        {"id": 7, "timestamp": "2025-03-01T10:00:06", "source": "agent", "cause": 6, "observation": "run",
         "content": "^C", "extras": {"command": "C-c", "exit_code": 130}},
    ]
    [trial] = list(openhands.read(_write(tmp_path, events)))
    actions = [(e.tool, e.text) for e in trial.events if e.kind == "action"]
    assert actions == [
        ("str_replace_editor", "str_replace_editor create /w/a.sh --file_text 'echo '\"'\"'hi'\"'\"'\n'"),
        ("str_replace_editor", "str_replace_editor create /w/b.py --file_text 'print(1)\n'"),
        ("str_replace_editor", "str_replace_editor view /w/b.py --view_range '[3,9]'"),
        ("browser", "browse 'https://example.org/a b'"),
        ("bash", "C-c"),
    ]
    last = trial.events[-1]
    assert (last.kind, last.exit_code, last.action_seq) == ("observation", 130, trial.events[-2].seq)
    assert trial.events[-2].attrs == {"is_input": True}
    assert trial.model is None


def test_one_thought_per_model_response(tmp_path):
    response = {"id": "resp-1", "model": "gpt-4o", "choices": [{"message": {"content": "Two things.", "tool_calls": [
        {"id": "a", "function": {"name": "execute_bash", "arguments": "{\"command\": \"ls\"}"}},
        {"id": "b", "function": {"name": "execute_bash", "arguments": "{\"command\": \"pwd\"}"}}]}}]}
    events = [
        {"id": 1, "source": "agent", "action": "run", "args": {"command": "ls", "thought": "Two things."},
         "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": "a", "model_response": response}},
        {"id": 2, "source": "agent", "action": "run", "args": {"command": "pwd", "thought": ""},
         "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": "b", "model_response": response}},
    ]
    [trial] = list(openhands.read(_write(tmp_path, events)))
    assert [(e.kind, e.text) for e in trial.events] == [
        ("message", "Two things."), ("action", "ls"), ("action", "pwd")]
    assert trial.model == "gpt-4o"


def test_finish_outputs_give_the_outcome(tmp_path):
    events = json.loads(FIXTURE.read_text())
    events[-2]["args"]["outputs"] = {"success": False, "reason": "port busy"}
    [trial] = list(openhands.read(_write(tmp_path, events)))
    assert trial.outcome == "failure"
    assert trial.source_verdict == {"success": False, "reason": "port busy"}


def test_json_lines_of_events(tmp_path):
    lines = [json.dumps(e) for e in json.loads(FIXTURE.read_text())]
    path = _write(tmp_path, "\n".join(lines) + "\n", "events.jsonl")
    assert detect(path, read_head(path)) == "openhands"
    [trial] = list(openhands.read(path))
    assert len(trial.actions()) == 5
    assert trial.events[0].source_pointer == "line:2" and trial.events[0].source_line == 2


def test_json_lines_cut_off_keep_what_was_read(tmp_path):
    lines = [json.dumps(e) for e in json.loads(FIXTURE.read_text())]
    text = "\n".join(lines[:6]) + "\n" + lines[6][:40]
    result = process_file(str(_write(tmp_path, text, "cut.jsonl")))
    assert result.status == "ok" and result.format == "openhands"
    assert "truncated: line 7 is cut off" in result.error


def test_evaluation_records_one_trial_per_line(tmp_path):
    history = json.loads(FIXTURE.read_text())
    records = [
        {"instance_id": "repo__a-1", "instruction": "Fix it", "history": history,
         "metadata": {"agent_class": "CodeActAgent", "llm_config": {"model": "litellm_proxy/claude"}},
         "test_result": {"report": {"resolved": True}}},
        {"instance_id": "repo__b-2", "instruction": "Fix it", "history": history[:3],
         "metadata": {"agent_class": "CodeActAgent", "llm_config": {"model": "litellm_proxy/claude"}},
         "test_result": {"report": {"resolved": False}}, "error": "Agent got stuck in a loop"},
    ]
    path = _write(tmp_path, "\n".join(json.dumps(r) for r in records) + "\n", "output.jsonl")
    assert detect(path, read_head(path)) == "openhands"
    first, second = list(openhands.read(path))
    assert (first.local_key, first.task, first.outcome, first.source_verdict) == (
        "repo__a-1", "repo__a-1", "success", {"resolved": True})
    assert first.model == "claude-3-5-sonnet-20241022"  # the model response wins over the config
    assert first.metadata["agent_class"] == "CodeActAgent"
    assert first.events[2].source_pointer == "line:1#/history/3"
    assert (second.outcome, second.model, second.metadata["error"]) == (
        "failure", "litellm_proxy/claude", "Agent got stuck in a loop")


def _opendevin_record() -> dict:
    """An OpenDevin evaluation record of 2024: ``history`` holds [action, observation] pairs."""
    def ts(second: int) -> str:
        return f"2024-06-12T10:01:{second:02d}.250000"
    history = [
        [{"id": 1, "timestamp": ts(0), "source": "user", "message": "Fix the widget size check.",
          "action": "message", "args": {"content": "Fix the widget size check.", "wait_for_response": False}},
         {"message": "No observation", "observation": "null", "content": "", "extras": {}}],
        [{"id": 5, "timestamp": ts(3), "source": "agent", "message": "Running command: grep -rn size widgets/",
          "action": "run", "args": {"command": "grep -rn size widgets/", "background": False,
                                    "thought": "Let me find the size check."}},
         {"id": 6, "timestamp": ts(4), "source": "agent", "cause": 5, "observation": "run",
          "message": "Command `grep -rn size widgets/` executed with exit code 0.",
          "content": "widgets/widget.py:12:        self.size = size",
          "extras": {"command_id": -1, "command": "grep -rn size widgets/", "exit_code": 0}}],
        # an older event pair without ids: the observation answers its pair's action
        [{"source": "agent", "action": "run", "args": {"command": "pkill -f widget_server", "background": False,
                                                        "thought": ""}},
         {"source": "agent", "observation": "run", "content": "",
          "extras": {"command_id": -1, "command": "pkill -f widget_server", "exit_code": 1}}],
        [{"id": 9, "timestamp": ts(9), "source": "agent", "message": "All done.", "action": "finish",
          "args": {"outputs": {}, "thought": "All done."}},
         {"message": "No observation", "observation": "null", "content": "", "extras": {}}],
    ]
    return {"instance_id": "acme__widgets-5", "instruction": "Fix the widget size check.",
            "metadata": {"agent_class": "CodeActAgent", "model_name": "gpt-4o-2024-05-13", "max_iterations": 30},
            "history": history, "git_patch": "", "error": None,
            "test_result": {"result": {"resolved": False}, "report": {"resolved": True}}}


def test_opendevin_records_of_action_observation_pairs(tmp_path, con):
    path = _write(tmp_path, json.dumps(_opendevin_record()) + "\n", "output.jsonl")
    assert detect(path, read_head(path)) == "openhands"
    [trial] = list(openhands.read(path))
    assert (trial.task, trial.model, trial.outcome) == ("acme__widgets-5", "gpt-4o-2024-05-13", "success")
    got = [(e.seq, e.kind, e.role, e.text, e.exit_code, e.action_seq, e.source_pointer) for e in trial.events]
    assert got == [
        (0, "message", "user", "Fix the widget size check.", None, None, "/history/0/0"),
        (1, "message", "assistant", "Let me find the size check.", None, None, "/history/1/0/args/thought"),
        (2, "action", "assistant", "grep -rn size widgets/", None, None, "/history/1/0"),
        (3, "observation", "tool", "widgets/widget.py:12:        self.size = size", 0, 2, "/history/1/1"),
        (4, "action", "assistant", "pkill -f widget_server", None, None, "/history/2/0"),
        (5, "observation", "tool", "", 1, 4, "/history/2/1"),
        (6, "message", "assistant", "All done.", None, None, "/history/3/0"),
    ]
    from redline.ingest.loader import ingest
    report = ingest([path], con)
    assert (report.ok, report.errors) == (1, 0), report.messages
    assert con.execute("SELECT seq, argv FROM commands WHERE program = 'pkill'").fetchall() == [(4, ['-f', 'widget_server'])]


# --------------------------------------------------------------------------- detection


def test_detected_by_content():
    assert detect(FIXTURE, read_head(FIXTURE)) == "openhands"


@pytest.mark.parametrize("data", [
    {"name": "x", "values": [1, 2, 3]},
    [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
    {"trajectory": [{"action": "ls", "observation": "a", "thought": "t"}], "history": []},  # SWE-agent
    {"version": 2, "eval": {"task": "t", "model": "m"}, "samples": [{"events": [
        {"event": "sandbox", "action": "exec", "timestamp": "x", "source": "user"}]}]},  # Inspect
])
def test_other_json_is_not_claimed(tmp_path, data):
    path = _write(tmp_path, data, "other.json")
    assert not openhands.sniff(path, read_head(path))


# --------------------------------------------------------------------------- bad input


def test_truncated_file_is_an_error(tmp_path):
    text = FIXTURE.read_text()
    result = process_file(str(_write(tmp_path, text[: len(text) // 2], "cut.json")))
    assert result.status == "error" and result.format == "openhands"
    assert "truncated JSON" in result.error


def test_empty_file_is_an_error(tmp_path):
    result = process_file(str(_write(tmp_path, "   \n", "empty.json")), forced_format="openhands")
    assert (result.status, result.error) == ("error", "empty file")


def test_latin1_file_is_an_error(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(FIXTURE.read_text().replace("Rename", "R\u00e9name").encode("latin-1"))
    result = process_file(str(path), forced_format="openhands")
    assert result.status == "error" and "not valid UTF-8" in result.error


def test_other_shape_forced_is_an_error(tmp_path):
    result = process_file(str(_write(tmp_path, {"name": "x", "values": [1]})), forced_format="openhands")
    assert result.status == "error"
    assert "expected a JSON array of OpenHands events" in result.error
    result = process_file(str(_write(tmp_path, "{\"a\": 1}\n{\"b\": 2}\n", "x.jsonl")), forced_format="openhands")
    assert result.status == "error" and "line 1: neither an OpenHands event" in result.error


def test_only_bookkeeping_events_is_skipped(tmp_path):
    events = [{"id": 0, "timestamp": "2025-03-01T10:00:00", "source": "environment",
               "observation": "agent_state_changed", "content": "", "extras": {"agent_state": "loading"}}]
    result = process_file(str(_write(tmp_path, events)))
    assert (result.status, result.format) == ("skipped", "openhands")
    assert "no user, agent or tool steps" in result.error


def test_ingests_through_the_loader():
    result = process_file(str(FIXTURE))
    assert (result.status, result.format, result.n_trials, result.n_events) == ("ok", "openhands", 1, 16)
