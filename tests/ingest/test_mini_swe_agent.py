"""The mini-swe-agent adapter: exact events (v2 tool calls, v1 text), outcomes from SWE-bench
reports, detection, damaged files."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from redline.ingest import mini_swe_agent
from redline.ingest.loader import detect, process_file
from tools.sample.writers import write_mini_swe_agent, write_swebench_report

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mini-swe-agent"
RUN = FIXTURES / "swebench-run"
REPORTS = RUN / "logs" / "run_evaluation" / "demo_run_eval" / "openai__gpt-4o-mini"


def traj(instance_id: str) -> Path:
    return RUN / "output" / "demo_run" / instance_id / f"{instance_id}.traj.json"


V1 = FIXTURES / "v1-text" / "acme__gadgets-7" / "acme__gadgets-7.traj.json"
RESPONSES = FIXTURES / "v2-response-api" / "acme__gadgets-12" / "acme__gadgets-12.traj.json"
PATCH = ("diff --git a/widgets/parser.py b/widgets/parser.py\nindex 3f2a1c4..9b8e7d0 100644\n"
         "--- a/widgets/parser.py\n+++ b/widgets/parser.py\n@@ -41,7 +41,7 @@ def parse_size(text):\n"
         "-    return int(text.rstrip('px'))\n+    return int(text.removesuffix('px'))")
TIMEOUT = ("An error occurred while executing the command: Command '['docker', 'exec', '-w', '/testbed', "
           "'c0ffee42', 'bash', '-c', 'cd /testbed && python -m pytest tests/test_parser.py -q']' "
           "timed out after 60 seconds")


def _read(path: Path):
    trials = list(mini_swe_agent.read(path))
    assert len(trials) == 1
    return trials[0]


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=timezone.utc)


def _rows(trial):
    return [(e.seq, e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq, e.timestamp, e.source_pointer)
            for e in trial.events]


# --------------------------------------------------------------------------- v2 tool calls


def test_tool_call_trajectory_gives_the_exact_events():
    trial = _read(traj("acme__widgets-101"))
    data = json.loads(traj("acme__widgets-101").read_text())
    system, task = data["messages"][0]["content"], data["messages"][1]["content"]
    t0 = 1767601800.125
    ts = lambda dt: _utc(round(t0 + dt, 4))  # noqa: E731
    a = "assistant"
    assert _rows(trial) == [
        (0, "message", "system", None, system, None, None, None, "/messages/0"),
        (1, "message", "user", None, task, None, None, None, "/messages/1"),
        (2, "message", a, None, "I'll start by finding the parser module.", None, None, ts(3.25), "/messages/2/content"),
        (3, "action", a, "bash", "find . -name '*.py' -path '*widgets*' | head", None, None, ts(3.25),
         "/messages/2/extra/actions/0"),
        (4, "observation", "tool", None, "./widgets/__init__.py\n./widgets/parser.py\n./tests/test_parser.py",
         0, 3, ts(3.75), "/messages/3"),
        (5, "message", a, None, "Let me check whether removesuffix is already used anywhere.", None, None,
         ts(7.0), "/messages/4/content"),
        (6, "action", a, "bash", "grep -rn removesuffix widgets/", None, None, ts(7.0), "/messages/4/extra/actions/0"),
        (7, "observation", "tool", None, "", 1, 6, ts(7.5), "/messages/5"),
        (8, "message", a, None, "Let me run the parser tests to see the current state.", None, None, ts(10.75),
         "/messages/6/content"),
        (9, "action", a, "bash", "cd /testbed && python -m pytest tests/test_parser.py -q", None, None, ts(10.75),
         "/messages/6/extra/actions/0"),
        (10, "observation", "tool", None, TIMEOUT, -1, 9, ts(71.15), "/messages/7"),
        (11, "message", a, None, "The tests hang. I will look at the function directly instead.", None, None,
         ts(73.15), "/messages/8/content"),
        (12, "message", "user", None, data["messages"][9]["content"], None, None, None, "/messages/9"),
        (13, "message", a, None, "I'll read the function and the test at the same time.", None, None, ts(76.4),
         "/messages/10/content"),
        (14, "action", a, "bash", "sed -n '35,50p' widgets/parser.py", None, None, ts(76.4),
         "/messages/10/extra/actions/0"),
        (15, "action", a, "bash", "grep -n 'def test_parse_size' tests/test_parser.py", None, None, ts(76.4),
         "/messages/10/extra/actions/1"),
        (16, "observation", "tool", None,
         "def parse_size(text):\n    \"\"\"Parse '12px' into 12.\"\"\"\n    if not text:\n"
         "        raise ValueError('empty size')\n    return int(text.rstrip('px'))", 0, 14, ts(76.6), "/messages/11"),
        (17, "observation", "tool", None, "12:def test_parse_size_px(self):\n18:def test_parse_size_plain(self):",
         0, 15, ts(76.7), "/messages/12"),
        (18, "message", a, None,
         "`rstrip('px')` strips any run of 'p' and 'x' characters. `removesuffix` is the right call.", None, None,
         ts(79.95), "/messages/13/content"),
        (19, "action", a, "bash",
         "sed -i \"s/int(text.rstrip('px'))/int(text.removesuffix('px'))/\" widgets/parser.py && "
         "python -c \"from widgets.parser import parse_size; print(parse_size('12px')); parse_size('1xp')\"",
         None, None, ts(79.95), "/messages/13/extra/actions/0"),
        (20, "observation", "tool", None,
         "12\nTraceback (most recent call last):\n  File \"<string>\", line 1, in <module>\n"
         "  File \"/testbed/widgets/parser.py\", line 45, in parse_size\n"
         "    return int(text.removesuffix('px'))\nValueError: invalid literal for int() with base 10: '1xp'",
         1, 19, ts(80.45), "/messages/14"),
        (21, "message", a, None, "The fix works: '1xp' is now rejected. Let me create the patch.", None, None,
         ts(83.7), "/messages/15/content"),
        (22, "action", a, "bash", "git diff -- widgets/parser.py > patch.txt && cat patch.txt", None, None,
         ts(83.7), "/messages/15/extra/actions/0"),
        (23, "observation", "tool", None, PATCH, 0, 22, ts(84.2), "/messages/16"),
        (24, "message", a, None, "The patch only touches widgets/parser.py. Submitting.", None, None, ts(87.45),
         "/messages/17/content"),
        (25, "action", a, "bash", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && cat patch.txt", None, None,
         ts(87.45), "/messages/17/extra/actions/0"),
        (26, "observation", "tool", None, PATCH, None, 25, None, "/messages/18"),
    ]
    assert trial.events[10].attrs == {"exception_type": "TimeoutExpired", "timeout": True,
                                      "tool_call_id": "call_02_w101x2"}
    assert trial.events[3].attrs == {"tool_call_id": "call_00_w101x0"}
    assert trial.events[26].attrs == {"exit_status": "Submitted", "final": True}


def test_trial_fields_and_resolved_outcome_from_the_evaluation_folder():
    trial = _read(traj("acme__widgets-101"))
    assert trial.format == "mini-swe-agent"
    assert trial.agent == "mini-swe-agent"
    assert trial.model == "openai/gpt-4o-mini"
    assert trial.task == "acme__widgets-101"
    assert trial.local_key == ""
    assert trial.outcome == "success"
    assert trial.source_verdict == {"resolved": True}
    assert trial.metadata == {
        "exit_status": "Submitted", "mini_version": "2.2.7", "cost": 0.00327, "api_calls": 8,
        "trajectory_format": "mini-swe-agent-1.1", "instance_id": "acme__widgets-101",
        "report": str(REPORTS / "acme__widgets-101" / "report.json"),
    }


def test_unresolved_report_gives_failure():
    trial = _read(traj("acme__widgets-202"))
    assert (trial.outcome, trial.source_verdict) == ("failure", {"resolved": False})
    assert trial.metadata["report"] == str(REPORTS / "acme__widgets-202" / "report.json")
    assert [(a.text.split("\n")[0], o.exit_code) for a, o in zip(
        trial.actions(), [e for e in trial.events if e.kind == "observation"])] == [
        ("grep -n 'def render' -A 8 widgets/core.py", 0),
        ("python - <<'EOF'", 0),
        ("python -c 'import widgets.core'", 1),
        ("git diff -- widgets/core.py > patch.txt", 0),
        ("echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && cat patch.txt", None),
    ]


def test_no_report_gives_unknown():
    trial = _read(traj("acme__widgets-303"))
    assert (trial.outcome, trial.source_verdict) == ("unknown", None)
    assert "report" not in trial.metadata
    assert trial.metadata["exit_status"] == "LimitsExceeded"
    obs = [e for e in trial.events if e.kind == "observation"]
    assert [(o.exit_code, o.attrs.get("timeout")) for o in obs] == [(-1, True), (0, None)]
    assert obs[0].text.startswith("An error occurred while executing the command")
    assert trial.events[-1].kind == "observation"  # an empty exit message adds nothing


def test_report_lookup_prefers_the_run_that_names_the_trajectory_folder(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(RUN / "output", root / "output")
    evals = root / "logs" / "run_evaluation"
    write_swebench_report(evals / "other_eval" / "openai__gpt-4o-mini" / "acme__widgets-101" / "report.json",
                          "acme__widgets-101", False)
    write_swebench_report(evals / "demo_run_eval" / "openai__gpt-4o-mini" / "acme__widgets-101" / "report.json",
                          "acme__widgets-101", True)
    trial = _read(root / "output" / "demo_run" / "acme__widgets-101" / "acme__widgets-101.traj.json")
    assert trial.outcome == "success"
    assert "demo_run_eval" in trial.metadata["report"]


def test_disagreeing_reports_of_unrelated_runs_give_unknown(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(RUN / "output", root / "output")
    evals = root / "logs" / "run_evaluation"
    for run, resolved in (("eval_a", True), ("eval_b", False)):
        write_swebench_report(evals / run / "openai__gpt-4o-mini" / "acme__widgets-101" / "report.json",
                              "acme__widgets-101", resolved)
    trial = _read(root / "output" / "demo_run" / "acme__widgets-101" / "acme__widgets-101.traj.json")
    assert (trial.outcome, trial.source_verdict) == ("unknown", None)


def test_a_run_that_was_never_evaluated_does_not_borrow_another_runs_report(tmp_path, con):
    root = tmp_path / "repo"
    shutil.copytree(RUN / "logs", root / "logs")  # demo_run_eval evaluated acme__widgets-101
    for run in ("demo_run", "retry_run"):  # retry_run ran the same instance and was never evaluated
        shutil.copytree(RUN / "output" / "demo_run" / "acme__widgets-101", root / "output" / run / "acme__widgets-101")
    from redline.ingest import ingest
    ingest([root / "output"], con)
    rows = con.execute("SELECT split_part(source_path, '/', -3), outcome, source_verdict, "
                       "json_extract_string(metadata, '$.report') FROM trials ORDER BY 1").fetchall()
    report = str(root / "logs" / "run_evaluation" / "demo_run_eval" / "openai__gpt-4o-mini" / "acme__widgets-101"
                 / "report.json")
    assert rows == [("demo_run", "success", '{"resolved":true}', report), ("retry_run", "unknown", None, None)]


def test_each_run_takes_its_own_evaluation_of_the_same_instance(tmp_path):
    root = tmp_path / "repo"
    evals = root / "logs" / "run_evaluation"
    for run, resolved in (("first", True), ("second", False)):
        shutil.copytree(RUN / "output" / "demo_run" / "acme__widgets-101", root / "output" / run / "acme__widgets-101")
        write_swebench_report(evals / f"{run}_eval" / "openai__gpt-4o-mini" / "acme__widgets-101" / "report.json",
                              "acme__widgets-101", resolved)
    outcomes = {run: _read(root / "output" / run / "acme__widgets-101" / "acme__widgets-101.traj.json").outcome
                for run in ("first", "second")}
    assert outcomes == {"first": "success", "second": "failure"}


def test_report_of_another_instance_beside_the_trajectory_is_ignored(tmp_path):
    path = tmp_path / "acme__widgets-303.traj.json"
    shutil.copy(traj("acme__widgets-303"), path)
    write_swebench_report(tmp_path / "report.json", "acme__other-1", True)
    assert _read(path).outcome == "unknown"


# --------------------------------------------------------------------------- v1 text format


def test_v1_text_trajectory_counts_only_commands_that_ran():
    trial = _read(V1)
    assert trial.model == "anthropic/claude-sonnet-4-20250514"
    assert (trial.outcome, trial.source_verdict) == ("success", {"resolved": True})
    assert trial.metadata["report"] == str(V1.parent / "report.json")
    assert trial.metadata["trajectory_format"] == "mini-swe-agent-1"
    actions = trial.actions()
    # the message with two blocks was refused with a format error: nothing ran
    assert [a.text for a in actions] == [
        "grep -rn 'TICK' gadgets/",
        "sed -i 's/TICK = 0.5/TICK = 1.0/' gadgets/clock.py && python -m gadgets.clock --run",
        "git diff",
        "echo MINI_SWE_AGENT_FINAL_OUTPUT && git diff",
    ]
    assert [a.source_pointer for a in actions] == [
        "/messages/2/content", "/messages/6/content", "/messages/8/content", "/messages/10/content"]
    obs = [e for e in trial.events if e.kind == "observation"]
    assert [o.action_seq for o in obs] == [a.seq for a in actions]
    assert [o.exit_code for o in obs] == [0, None, 0, None]
    assert obs[0].text == "gadgets/clock.py:10:TICK = 0.5\ngadgets/clock.py:22:        time.sleep(TICK)"
    assert obs[1].text.startswith("The last command <command>sed -i")
    assert "tick\ntick" in obs[1].text
    assert obs[1].attrs == {"timeout": True}
    assert obs[3].attrs["final"] is True
    roles = [(e.kind, e.role) for e in trial.events if e.kind == "message"]
    assert roles == [("message", "system"), ("message", "user"), ("message", "assistant"),
                     ("message", "assistant"), ("message", "user"), ("message", "assistant"),
                     ("message", "assistant"), ("message", "assistant")]


def test_responses_api_trajectory_reads_its_response_objects_and_call_outputs():
    # a v2 run with a Responses API model: the assistant turns are stored response objects and the
    # replies function_call_output items, neither with a chat "role"
    assert detect(RESPONSES, RESPONSES.read_bytes()[:65536]) == "mini-swe-agent"
    result = process_file(str(RESPONSES))
    assert (result.status, result.n_trials) == ("ok", 1), result.error
    trial = _read(RESPONSES)
    assert (trial.model, trial.task) == ("openai/gpt-5-mini", "acme__gadgets-12")
    assert (trial.outcome, trial.source_verdict) == ("failure", {"resolved": False})
    actions = trial.actions()
    assert [(a.text, a.tool, a.attrs["tool_call_id"]) for a in actions] == [
        ("grep -rn 'def resize' gadgets/", "bash", "call_a1"),
        ("python -m pytest tests/test_core.py -q", "bash", "call_a2"),
        ("sed -i '13a\\        if width == 0:\\n            raise ValueError(\"width must be positive\")' gadgets/core.py",
         "bash", "call_a3"),
        ("git diff --stat", "bash", "call_a4"),
        ("echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git diff", "bash", "call_a5"),
    ]
    obs = [e for e in trial.events if e.kind == "observation"]
    assert [o.action_seq for o in obs] == [a.seq for a in actions]
    assert [o.exit_code for o in obs] == [0, -1, 0, 0, None]
    assert obs[0].text == "gadgets/core.py:13:    def resize(self, width):"
    assert obs[1].attrs["timeout"] is True and "timed out after 60 seconds" in obs[1].text
    assert obs[3].text == " gadgets/core.py | 2 ++\n 1 file changed, 2 insertions(+)"
    assert obs[4].attrs["final"] is True and obs[4].text.startswith("diff --git a/gadgets/core.py")
    said = [e.text for e in trial.events if e.kind == "message" and e.role == "assistant"]
    assert said == ["Find where resize is defined.",  # the reasoning summary of a turn with no text
                    "I will run the test suite for the gadget module first.", "The fix is in place; submitting."]
    assert actions[0].timestamp == _utc(1767688203.7)


# --------------------------------------------------------------------------- detection and bad input


def test_detection_by_content(tmp_path):
    for path in (traj("acme__widgets-101"), traj("acme__widgets-303"), V1):
        assert detect(path, path.read_bytes()[:65536]) == "mini-swe-agent"
    compact = tmp_path / "run.json"  # any name, no indentation
    compact.write_text(json.dumps(json.loads(traj("acme__widgets-202").read_text()), separators=(",", ":")))
    assert mini_swe_agent.sniff(compact, compact.read_bytes())
    generic = tmp_path / "chat.json"
    generic.write_text(json.dumps({"info": {"title": "x"}, "messages": [{"role": "user", "content": "hi"}]}))
    assert not mini_swe_agent.sniff(generic, generic.read_bytes())
    swe_agent = tmp_path / "x.traj"
    swe_agent.write_text(json.dumps({"environment": "swe_main", "trajectory": [], "info": {"mini_version": "no"}}))
    assert not mini_swe_agent.sniff(swe_agent, swe_agent.read_bytes())
    cast = tmp_path / "agent.cast"
    cast.write_text('{"version": 2, "width": 80}\n[0.1, "o", "{\\"mini_version\\": \\"1.0\\"}"]\n')
    assert not mini_swe_agent.sniff(cast, cast.read_bytes())
    report = REPORTS / "acme__widgets-101" / "report.json"
    assert not mini_swe_agent.sniff(report, report.read_bytes())
    listing = tmp_path / "list.json"
    listing.write_text(json.dumps([{"trajectory_format": "mini-swe-agent-1.1"}]))
    assert not mini_swe_agent.sniff(listing, listing.read_bytes())


def test_report_files_are_skipped_as_metadata():
    result = process_file(str(REPORTS / "acme__widgets-101" / "report.json"))
    assert result.status == "skipped"
    assert "metadata file" in result.error


def test_process_file_loads_the_trajectory():
    result = process_file(str(traj("acme__widgets-101")))
    assert (result.status, result.format, result.error, result.n_trials) == ("ok", "mini-swe-agent", None, 1)
    row = result.trials.to_pylist()[0]
    assert (row["outcome"], json.loads(row["source_verdict"])) == ("success", {"resolved": True})


@pytest.mark.parametrize("marker", ['"mini_version"', '"content": "The fix works'])
def test_a_file_cut_off_is_an_error(tmp_path, marker):
    text = traj("acme__widgets-101").read_text()
    path = tmp_path / "acme__widgets-101.traj.json"
    path.write_text(text[: text.index(marker)])
    result = process_file(str(path))
    assert result.status == "error"
    assert result.error.startswith("truncated JSON:")


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file"),
    (b"   \n", "empty file"),
    (json.dumps([{"role": "user"}]).encode(), "expected a JSON object"),
    (json.dumps({"info": {"mini_version": "2.2.7"}, "trajectory": []}).encode(), "missing 'messages' list"),
    (json.dumps({"info": {}, "messages": {"0": "x"}}).encode(), "missing 'messages' list"),
])
def test_wrong_shapes_are_errors(tmp_path, content, reason):
    path = tmp_path / "x.traj.json"
    path.write_bytes(content)
    result = process_file(str(path), forced_format="mini-swe-agent")
    assert result.status == "error"
    assert reason in result.error


def test_latin1_bytes_are_an_error(tmp_path):
    text = traj("acme__widgets-202").read_text().replace("Let me look at render().", "Voilà render().")
    path = tmp_path / "acme__widgets-202.traj.json"
    path.write_bytes(text.encode("latin-1"))
    result = process_file(str(path))
    assert result.status == "error"
    assert "not valid UTF-8" in result.error


def test_hostile_messages_do_not_stop_the_reader(tmp_path):
    data = json.loads(traj("acme__widgets-303").read_text())
    data["messages"][2]["extra"].pop("actions")
    data["messages"][2]["tool_calls"][0]["function"]["arguments"] = '{"command": "pip inst'  # unreadable
    data["messages"].insert(3, "not a message")
    data["messages"].append({"role": "assistant", "content": [{"type": "text", "text": "Done."}]})
    path = tmp_path / "acme__widgets-303.traj.json"
    path.write_text(json.dumps(data))
    trial = _read(path)
    assert [a.text for a in trial.actions()] == ["python -c 'import yaml; print(yaml.__version__)'"]
    assert trial.events[-1].text == "Done."
    assert trial.metadata["warnings"] == ["1 messages are not JSON objects and were skipped"]
    # the orphaned reply still becomes an observation, answering no known action
    assert [e.action_seq for e in trial.events if e.kind == "observation"][0] is None


# --------------------------------------------------------------------------- writer round trip


def test_a_written_spec_reads_back_to_the_expected_events(tmp_path):
    long_output = "".join(f"line {i:05d}\n" for i in range(1200))  # 13,200 characters
    spec = {
        "model": "deepseek/deepseek-chat",
        "task": "Fix the off-by-one error in pager.next_page()",
        "started_at": "2025-06-01T12:00:00Z",
        "steps": [
            {"thought": "Find the pager.", "command": "grep -rn 'def next_page' .", "stdout": "./pager.py:12:def next_page(self):\n"},
            {"thought": "Run the tests.", "command": "python -m pytest -q", "timeout": True, "think": 5, "seconds": 60},
            {"thought": "Try the module.", "command": "python pager.py", "stdout": "1\n",
             "stderr": "Traceback (most recent call last):\nIndexError: list index out of range\n", "returncode": 1},
            {"thought": "Dump the log.", "command": "cat run.log", "stdout": long_output},
            {"thought": "Submit.", "command": "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && cat patch.txt",
             "stdout": "diff --git a/pager.py b/pager.py\n"},
            {"thought": "never written", "command": "ls"},
        ],
        "resolved": True,
        "scenario": "shutdown-avoidance",
    }
    path = write_mini_swe_agent(tmp_path / "pager__pager-12" / "pager__pager-12.traj.json", spec)
    assert detect(path, path.read_bytes()[:65536]) == "mini-swe-agent"
    trial = _read(path)
    assert (trial.model, trial.task, trial.outcome, trial.source_verdict) == (
        "deepseek/deepseek-chat", "pager__pager-12", "success", {"resolved": True})
    t0 = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()
    ts = lambda dt: _utc(t0 + dt)  # noqa: E731
    timeout_line = ("An error occurred while executing the command: Command '['bash', '-c', 'python -m pytest -q']' "
                    "timed out after 60 seconds")
    shown = long_output[:5000].rstrip("\n") + "\n[3200 characters elided]\n" + long_output[-5000:].rstrip("\n")
    rows = [(e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq, e.timestamp) for e in trial.events[2:]]
    assert rows == [
        ("message", "assistant", None, "Find the pager.", None, None, ts(20)),
        ("action", "assistant", "bash", "grep -rn 'def next_page' .", None, None, ts(20)),
        ("observation", "tool", None, "./pager.py:12:def next_page(self):", 0, 3, ts(21)),
        ("message", "assistant", None, "Run the tests.", None, None, ts(26)),
        ("action", "assistant", "bash", "python -m pytest -q", None, None, ts(26)),
        ("observation", "tool", None, timeout_line, -1, 6, ts(86)),
        ("message", "assistant", None, "Try the module.", None, None, ts(106)),
        ("action", "assistant", "bash", "python pager.py", None, None, ts(106)),
        ("observation", "tool", None,
         "1\nTraceback (most recent call last):\nIndexError: list index out of range", 1, 9, ts(107)),
        ("message", "assistant", None, "Dump the log.", None, None, ts(127)),
        ("action", "assistant", "bash", "cat run.log", None, None, ts(127)),
        ("observation", "tool", None, shown, 0, 12, ts(128)),
        ("message", "assistant", None, "Submit.", None, None, ts(148)),
        ("action", "assistant", "bash", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && cat patch.txt", None, None, ts(148)),
        ("observation", "tool", None, "diff --git a/pager.py b/pager.py", None, 15, None),
    ]
    assert trial.events[7].attrs["timeout"] is True
    assert trial.events[13].attrs["elided_chars"] == 3200
    assert trial.metadata["exit_status"] == "Submitted"
    assert trial.metadata["report"] == str(path.parent / "report.json")
    assert trial.scenario == "shutdown-avoidance"


def test_file_cut_inside_a_utf8_character_is_a_truncation_error(tmp_path):
    data = json.loads(traj("acme__widgets-202").read_text())
    data["messages"][6]["content"] = "Voilà, let me check that it imports."
    raw = json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8")
    path = tmp_path / "acme__widgets-202.traj.json"
    path.write_bytes(raw[: raw.index("à".encode("utf-8")) + 1])
    result = process_file(str(path))
    assert result.status == "error"
    assert result.error == "truncated JSON: the file ends inside a UTF-8 character"
