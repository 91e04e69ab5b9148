"""SWE-agent .traj adapter: events, trial fields, detection and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redline.ingest import swe_agent
from redline.ingest.base import read_head
from redline.ingest.loader import detect, process_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FOLDER = "claude-3-5-sonnet-20241022__SWE-bench_Lite__default__t-0.00__p-0.95__c-2.00__install-1"
TRAJ = FIXTURES / "swe-agent" / FOLDER / "acme__widgets-42.traj"


def _events(trial):
    return [(e.seq, e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq, e.source_pointer) for e in trial.events]


def _write(tmp_path: Path, data, name: str = "run.traj", folder: str = "runs") -> Path:
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_fixture_events_are_exact():
    [trial] = list(swe_agent.read(TRAJ))
    assert _events(trial) == [
        (0, "message", "system", None, "SETTING: You are an autonomous programmer working in a command line "
         "with a special interface.", None, None, "/history/0"),
        (1, "message", "user", None, "Here is a demonstration of how to correctly accomplish this task.\n"
         "--- DEMONSTRATION ---\nls\n--- END OF DEMONSTRATION ---", None, None, "/history/1"),
        (2, "message", "user", None, "We're currently solving the following issue within our repository.\n"
         "ISSUE:\nWidget accepts negative sizes", None, None, "/history/2"),
        (3, "message", "assistant", None, "Let me find the widget module first.", None, None, "/trajectory/0/thought"),
        (4, "action", "assistant", "find_file", 'find_file "widget.py"', None, None, "/trajectory/0/action"),
        (5, "observation", "tool", None, 'Found 1 matches for "widget.py" in /acme__widgets:\n'
         "/acme__widgets/src/widget.py\n", None, 4, "/trajectory/0/observation"),
        (6, "message", "assistant", None, "The check is inverted. I will fix lines 12-13.", None, None,
         "/trajectory/1/thought"),
        (7, "action", "assistant", "edit", 'edit 12:13\n    if size <= 0:\n        raise ValueError("size must be '
         'positive")\nend_of_edit', None, None, "/trajectory/1/action"),
        (8, "observation", "tool", None, '[File: /acme__widgets/src/widget.py (40 lines total)]\n12:    if size <= 0:'
         '\n13:        raise ValueError("size must be positive")\nFile updated.', None, 7, "/trajectory/1/observation"),
        (9, "action", "assistant", "bash", "python -m pytest tests/test_widget.py -q 2>&1 | tail -n 3", None, None,
         "/trajectory/2/action"),
        (10, "observation", "tool", None, "3 passed in 0.12s\n", None, 9, "/trajectory/2/observation"),
        (11, "message", "assistant", None, "Tests pass. Submitting.", None, None, "/trajectory/3/thought"),
        (12, "action", "assistant", "submit", "submit", None, None, "/trajectory/3/action"),
        (13, "observation", "tool", None, "\ndiff --git a/src/widget.py b/src/widget.py\n", None, 12,
         "/trajectory/3/observation"),
    ]
    assert trial.events[1].attrs == {"is_demo": True}
    assert trial.events[5].attrs == {"state": {"open_file": "n/a", "working_dir": "/acme__widgets"}}  # JSON string
    assert trial.events[9].attrs == {"execution_time": 1.25}
    assert all(e.timestamp is None for e in trial.events)


def test_fixture_trial_fields():
    [trial] = list(swe_agent.read(TRAJ))
    assert (trial.format, trial.local_key, trial.agent) == ("swe-agent", "", "swe-agent")
    assert trial.model == "claude-3-5-sonnet-20241022"  # from the folder name
    assert trial.task == "acme__widgets-42"
    assert (trial.outcome, trial.source_verdict) == ("unknown", None)
    assert trial.metadata == {
        "exit_status": "submitted", "submission": "\ndiff --git a/src/widget.py b/src/widget.py\n",
        "instance_cost": 0.12, "tokens_sent": 10500, "tokens_received": 320, "api_calls": 4,
        "environment": "swe_main", "model_source": "folder",
    }


def test_model_from_replay_config_wins_over_folder(tmp_path):
    data = json.loads(TRAJ.read_text())
    data["replay_config"] = json.dumps({"agent": {"model": {"name": "gpt-4o"}},
                                        "problem_statement": {"id": "acme__widgets-42", "type": "text"}})
    path = _write(tmp_path, data, "other-name.traj", folder="gpt4__dev__default__t-0.00")
    [trial] = list(swe_agent.read(path))
    assert (trial.model, trial.metadata["model_source"], trial.task) == ("gpt-4o", "replay_config", "acme__widgets-42")


@pytest.mark.parametrize("folder, model", [
    ("gpt4__swe-bench-dev-easy__default__t-0.00__p-0.95__c-3.00__install-1", "gpt4"),
    ("azure-gpt4__swe-bench__default__t-0.00", "azure-gpt4"),
    ("human_thought__swe-bench-HumanEvalFix-python__lcb__t-0.00", "human_thought"),
    ("crypto", None),
    ("runs", None),
])
def test_model_from_folder_name(tmp_path, folder, model):
    data = json.loads(TRAJ.read_text())
    [trial] = list(swe_agent.read(_write(tmp_path, data, folder=folder)))
    assert trial.model == model


RUN_V1 = "default__claude-sonnet-4-20250514__t-0.00__p-1.00__c-3.00___swe_bench_verified_test"


def _v1_trajectory(instance_id: str) -> dict:
    """A SWE-agent 1.x function-calling trajectory, saved without a replay_config."""
    steps = [
        ("Find the widget module.", "find /testbed -name 'widget*.py'", "/testbed/widgets/widget.py\n"),
        ("Reject negative sizes.", "str_replace_editor str_replace /testbed/widgets/widget.py --old_str "
         "'self.size = size' --new_str 'self.size = max(0, size)'",
         "The file /testbed/widgets/widget.py has been edited."),
        ("", "submit", "diff --git a/widgets/widget.py b/widgets/widget.py"),
    ]
    trajectory = [{"action": action, "observation": obs, "response": f"{thought}\n\n🎬 ACTION\n{action}",
                   "thought": thought, "execution_time": 0.25,
                   "state": {"working_dir": "/testbed", "open_file": "n/a"}, "query": [], "extra_info": {}}
                  for thought, action, obs in steps]
    history = [
        {"role": "system", "content": "You are a helpful assistant that can interact with a computer to solve tasks.",
         "agent": "main", "message_type": "system_prompt"},
        {"role": "user", "content": [{"type": "text", "text": "<uploaded_files>\n/testbed\n</uploaded_files>\n"
                                      "Widget accepts negative sizes"}],
         "agent": "main", "message_type": "observation"},
        {"role": "assistant", "content": steps[0][0], "thought": steps[0][0], "action": steps[0][1],
         "agent": "main", "message_type": "action",
         "tool_calls": [{"id": "toolu_01", "type": "function",
                         "function": {"name": "bash", "arguments": json.dumps({"command": steps[0][1]})}}]},
        {"role": "tool", "content": [{"type": "text", "text": "OBSERVATION:\n" + steps[0][2]}],
         "agent": "main", "message_type": "observation", "tool_call_ids": ["toolu_01"]},
    ]
    return {"trajectory": trajectory, "history": history, "replay_config": None, "environment": "main",
            "info": {"swe_agent_version": "1.0.1", "exit_status": "submitted",
                     "submission": steps[2][2], "model_stats": {"instance_cost": 0.12, "api_calls": 3}}}


def test_a_1x_run_folder_names_the_model_and_its_swebench_report_the_outcome(tmp_path):
    # 1.x writes <run>/<instance_id>/<instance_id>.traj: the instance folder is no model name
    root = tmp_path / "trajectories" / "alice"
    path = _write(root, _v1_trajectory("acme__widgets-7"), "acme__widgets-7.traj", f"{RUN_V1}/acme__widgets-7")
    report = root / "logs" / "run_evaluation" / RUN_V1 / "claude-sonnet-4-20250514" / "acme__widgets-7" / "report.json"
    report.parent.mkdir(parents=True)
    report.write_text(json.dumps({"acme__widgets-7": {"patch_exists": True, "resolved": True}}), encoding="utf-8")
    assert detect(path, read_head(path)) == "swe-agent"
    [trial] = list(swe_agent.read(path))
    assert (trial.model, trial.metadata["model_source"]) == ("claude-sonnet-4-20250514", "folder")
    assert trial.task == "acme__widgets-7"
    assert (trial.outcome, trial.source_verdict) == ("success", {"resolved": True})
    assert trial.metadata["report"] == str(report)
    assert [(a.text.split()[0], a.tool) for a in trial.actions()] == [
        ("find", "bash"), ("str_replace_editor", "str_replace_editor"), ("submit", "submit")]
    obs = [e for e in trial.events if e.kind == "observation"]
    assert [o.action_seq for o in obs] == [a.seq for a in trial.actions()]
    other = _write(tmp_path / "elsewhere", _v1_trajectory("acme__widgets-7"), "acme__widgets-7.traj",
                   "acme__widgets-7")  # an instance folder outside a named run: no model guessed from it
    [alone] = list(swe_agent.read(other))
    assert (alone.model, alone.outcome) == (None, "unknown")


def test_history_is_read_when_trajectory_is_absent(tmp_path):
    data = {"history": [
        {"role": "system", "content": "SETTING: ...", "agent": "main", "message_type": "system_prompt"},
        {"role": "user", "content": "Fix the bug.", "agent": "main", "message_type": "observation"},
        {"role": "assistant", "content": "Look first.", "thought": "Look first.", "action": "ls -la",
         "agent": "main", "message_type": "action",
         "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "bash", "arguments": "{\"command\": \"ls -la\"}"}}]},
        {"role": "tool", "content": "total 0", "agent": "main", "message_type": "observation", "tool_call_ids": ["c1"]},
        {"role": "assistant", "content": "Done.", "thought": "Done.", "action": "submit", "agent": "main",
         "message_type": "action"},
        {"role": "tool", "content": "diff", "agent": "main", "message_type": "observation"},
    ]}
    path = _write(tmp_path, data, "demo.traj")
    assert detect(path, read_head(path)) == "swe-agent"
    [trial] = list(swe_agent.read(path))
    assert [(e.kind, e.role, e.tool, e.text, e.action_seq, e.source_pointer) for e in trial.events] == [
        ("message", "system", None, "SETTING: ...", None, "/history/0"),
        ("message", "user", None, "Fix the bug.", None, "/history/1"),
        ("message", "assistant", None, "Look first.", None, "/history/2/thought"),
        ("action", "assistant", "bash", "ls -la", None, "/history/2/action"),
        ("observation", "tool", None, "total 0", 3, "/history/3"),
        ("message", "assistant", None, "Done.", None, "/history/4/thought"),
        ("action", "assistant", "submit", "submit", None, "/history/4/action"),
        ("observation", "tool", None, "diff", 6, "/history/5"),
    ]
    assert trial.metadata["read_from"] == "history"


def test_harness_exit_is_not_an_action_and_verdict_is_used(tmp_path):
    data = {"environment": "swe_main", "trajectory": [
        {"action": "ls\n", "observation": "a.py\n", "thought": "List files.", "response": "", "state": {}},
        {"action": "exit_cost", "observation": "Exited (autosubmitted)", "thought": "Exit due to cost limit",
         "response": "", "state": {}},
    ], "history": [], "info": {"exit_status": "submitted (exit_cost)", "resolved": False}}
    [trial] = list(swe_agent.read(_write(tmp_path, data)))
    assert [e.kind for e in trial.events] == ["message", "action", "observation", "message"]
    last = trial.events[-1]
    assert (last.role, last.attrs) == ("system", {"harness_exit": "exit_cost"})
    assert "Exited (autosubmitted)" in last.text
    assert (trial.outcome, trial.source_verdict) == ("failure", {"resolved": False})
    assert trial.metadata["exit_status"] == "submitted (exit_cost)"


# --------------------------------------------------------------------------- detection


def test_detected_by_content_not_name(tmp_path):
    path = _write(tmp_path, TRAJ.read_text(), "renamed.json")
    assert detect(path, read_head(path)) == "swe-agent"
    assert swe_agent.sniff(TRAJ, read_head(TRAJ))


@pytest.mark.parametrize("data", [
    {"name": "widgets", "trajectory_format": "x", "values": [1, 2, 3]},
    [{"action": "run", "observation": "x"}],
    {"trajectory": [{"id": 1, "source": "agent", "action": "run", "observation": "run"}]},  # OpenHands-like
    {"messages": [{"role": "user", "content": "hi"}], "info": {}},
])
def test_other_json_is_not_claimed(tmp_path, data):
    path = _write(tmp_path, data, "other.traj")
    assert not swe_agent.sniff(path, read_head(path))


# --------------------------------------------------------------------------- bad input


def test_truncated_file_is_an_error(tmp_path):
    text = TRAJ.read_text()
    path = _write(tmp_path, text[: len(text) // 2], "cut.traj")
    result = process_file(str(path))
    assert result.status == "error" and result.format == "swe-agent"
    assert "truncated JSON" in result.error


def test_empty_file_is_an_error(tmp_path):
    path = _write(tmp_path, "", "empty.traj")
    result = process_file(str(path), forced_format="swe-agent")
    assert (result.status, result.error) == ("error", "empty file")


def test_latin1_file_is_an_error(tmp_path):
    path = tmp_path / "latin1.traj"
    path.write_bytes(TRAJ.read_text().replace("Widget accepts", "Widg\u00e9t accepts").encode("latin-1"))
    result = process_file(str(path), forced_format="swe-agent")
    assert result.status == "error"
    assert "not valid UTF-8" in result.error and "0xe9" in result.error


def test_other_shape_forced_is_an_error(tmp_path):
    path = _write(tmp_path, {"messages": [{"role": "user", "content": "hi"}]}, "chat.json")
    result = process_file(str(path), forced_format="swe-agent")
    assert result.status == "error"
    assert "missing 'trajectory' list" in result.error
    path = _write(tmp_path, [1, 2, 3], "list.json")
    result = process_file(str(path), forced_format="swe-agent")
    assert result.status == "error" and "JSON array" in result.error


def test_wrong_types_inside_are_errors(tmp_path):
    result = process_file(str(_write(tmp_path, {"trajectory": {"action": "ls"}}, "a.traj")), forced_format="swe-agent")
    assert result.status == "error" and "'trajectory' must be a list, not a JSON object" in result.error
    result = process_file(str(_write(tmp_path, {"trajectory": ["ls"]}, "b.traj")), forced_format="swe-agent")
    assert result.status == "error" and "trajectory step 0" in result.error
    result = process_file(str(_write(tmp_path, {"trajectory": [], "history": []}, "c.traj")), forced_format="swe-agent")
    assert result.status == "error" and "empty 'trajectory'" in result.error


def test_ingests_through_the_loader(tmp_path):
    result = process_file(str(TRAJ))
    assert (result.status, result.format, result.n_trials) == ("ok", "swe-agent", 1)
    assert result.n_events == 14
