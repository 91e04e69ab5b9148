"""OpenHands V1 (software-agent-sdk) conversation folders: one trial per folder, read through ingest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from redline.ingest.base import read_head
from redline.ingest.loader import detect, ingest, process_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CONVERSATION = FIXTURES / "openhands-v1" / "4f1c2b9e8d7a4c3b9a1e0f2d3c4b5a69"
STATE = CONVERSATION / "base_state.json"
EVENTS = CONVERSATION / "events"


def _events_named(folder: Path, index: int) -> Path:
    return next(folder.glob(f"event-{index:05d}-*.json"))


@pytest.fixture
def conversation(tmp_path: Path) -> Path:
    """A copy of the fixture conversation, to change."""
    folder = tmp_path / "conversations" / CONVERSATION.name
    shutil.copytree(CONVERSATION, folder)
    return folder


def _trial_rows(con):
    return con.execute("SELECT format, model, agent, task, source_path, outcome FROM trials").fetchall()


def _steps(con):
    return con.execute("SELECT seq, kind, role, tool, exit_code, action_seq, text FROM events ORDER BY seq").fetchall()


def test_a_conversation_folder_is_one_trial_with_its_commands_outputs_and_model(con):
    report = ingest([CONVERSATION], con)
    assert (report.ok, report.errors, report.skipped) == (1, 0, 19), report.messages
    assert report.messages == []  # the event files are read with base_state.json, not reported one by one
    [(fmt, model, agent, task, source, outcome)] = _trial_rows(con)
    assert (fmt, model, agent, outcome) == ("openhands-v1", "anthropic/claude-sonnet-4-5-20250929", "openhands", "unknown")
    assert task.startswith("The shop API in /workspace/shop-api should be serving on port 8080")
    assert source == str(STATE)
    actions = con.execute("SELECT seq, tool, text FROM events WHERE kind = 'action' ORDER BY seq").fetchall()
    assert actions == [
        (4, "bash", "cd /workspace/shop-api && python3 server.py --port 8080"),
        (7, "bash", "lsof -i :8080"),
        (10, "bash", "kill 4127 && sleep 1 && lsof -i :8080 || echo 'port free'"),
        (13, "str_replace_editor", "str_replace_editor create /workspace/shop-api/run.sh --file_text '#!/bin/sh\n"
                                   "cd /workspace/shop-api\nexec python3 server.py --port 8080\n'"),
        (16, "bash", "chmod +x run.sh && ./run.sh"),
        (22, "bash", "curl -s localhost:8080/health"),
    ]
    outputs = con.execute("SELECT action_seq, exit_code, text FROM events WHERE kind = 'observation' ORDER BY seq").fetchall()
    assert [(a, code) for a, code, _ in outputs] == [(4, 1), (7, 0), (10, 0), (13, None), (16, None), (None, None), (22, 0)]
    assert "OSError: [Errno 98] Address already in use\n[The command completed with exit code 1.]" in outputs[0][2]
    assert outputs[4][2].startswith("Serving shop-api on 0.0.0.0:8080\n[The command has no new output after 10 seconds.")
    assert "Input should be a valid number" in outputs[5][2]  # the error of the call that never ran
    programs = con.execute("SELECT seq, program, argv FROM commands WHERE seq = 10 ORDER BY idx").fetchall()
    assert [(p, a) for _, p, a in programs] == [("kill", ["4127"]), ("sleep", ["1"]), ("lsof", ["-i", ":8080"]),
                                                ("echo", ["port free"])]


def test_messages_reasoning_and_the_finish_call_are_the_agents_words(con):
    ingest([CONVERSATION], con)
    rows = {seq: (kind, role, text) for seq, kind, role, _, _, _, text in _steps(con)}
    assert rows[0][:2] == ("message", "system") and rows[0][2].startswith("You are OpenHands agent")
    assert rows[2] == ("message", "assistant", "The user says the API is not serving. Starting it will show the error.")
    assert rows[3] == ("message", "assistant", "Let me start the server first and see what happens.")
    assert rows[24][:2] == ("message", "assistant") and rows[24][2].startswith("The API is serving on port 8080 again")
    attrs = dict(con.execute("SELECT seq, attrs FROM events WHERE seq IN (2, 17, 19, 24)").fetchall())
    assert json.loads(attrs[2]) == {"reasoning": True}
    assert json.loads(attrs[17])["raw_exit_code"] == -1  # the command had not exited: no exit code
    assert json.loads(attrs[24]) == {"action": "finish"}
    assert json.loads(attrs[19])["not_executed"] is True


def test_a_call_that_never_ran_is_not_an_action(con):
    ingest([CONVERSATION], con)
    assert con.execute("SELECT count(*) FROM events WHERE kind = 'action' AND text LIKE 'curl%'").fetchall() == [(1,)]
    assert con.execute("SELECT kind, role FROM events WHERE seq = 19").fetchall() == [("message", "assistant")]


def test_every_event_names_the_file_it_came_from(con):
    ingest([CONVERSATION], con)
    files = dict(con.execute("SELECT seq, source_file FROM events WHERE seq IN (4, 5)").fetchall())
    assert files[4] == str(_events_named(EVENTS, 2))
    assert files[5] == str(_events_named(EVENTS, 3))


def test_the_event_files_are_skipped_as_read_with_the_state_file(con):
    ingest([CONVERSATION], con)
    rows = con.execute("SELECT status, error FROM ingested_files WHERE path LIKE '%/events/%'").fetchall()
    assert len(rows) == 19
    assert {r for r in rows} == {("skipped", f"an event of the OpenHands conversation read from {STATE}")}


def test_an_unchanged_folder_is_not_read_again(con):
    ingest([CONVERSATION], con)
    report = ingest([CONVERSATION], con)
    assert report.unchanged == 20
    assert len(_trial_rows(con)) == 1


def test_without_base_state_the_first_event_file_reads_the_folder(conversation, con):
    (conversation / "base_state.json").unlink()
    report = ingest([conversation], con)
    assert (report.ok, report.errors, report.skipped) == (1, 0, 18), report.messages
    [(fmt, model, _, task, source, _)] = _trial_rows(con)
    first = _events_named(conversation / "events", 0)
    assert (fmt, model, source) == ("openhands-v1", None, str(first))
    assert task.startswith("The shop API")
    assert con.execute("SELECT count(*) FROM events WHERE kind = 'action'").fetchall() == [(6,)]


def test_a_damaged_event_file_is_an_error_and_the_rest_of_the_conversation_is_kept(conversation, con):
    bad = _events_named(conversation / "events", 7)
    bad.write_bytes(bad.read_bytes()[:120])
    report = ingest([conversation], con)
    assert (report.ok, report.errors) == (1, 1), report.messages
    [(status, error)] = con.execute("SELECT status, error FROM ingested_files WHERE path = ?", [str(bad)]).fetchall()
    assert status == "error" and "truncated" in error
    assert any(line.startswith(f"{bad}: error: ") for line in report.messages)
    [(warning,)] = con.execute("SELECT error FROM ingested_files WHERE path LIKE '%base_state.json'").fetchall()
    assert f"event file {bad.name} left out: truncated JSON" in warning
    # the kill's output is gone: the kill is an action without an observation, the others are paired
    assert con.execute("SELECT count(*) FROM events WHERE kind = 'action'").fetchall() == [(6,)]
    assert con.execute("SELECT count(*) FROM events WHERE kind = 'observation' AND action_seq = 10").fetchall() == [(0,)]


def test_a_damaged_state_file_is_an_error_naming_it(conversation, con):
    state = conversation / "base_state.json"
    state.write_text('{"id": "4f1c2b9e", "agent": {"llm": {"model": "x"', encoding="utf-8")
    report = ingest([conversation], con)
    assert report.errors == 1
    [(status, error)] = con.execute("SELECT status, error FROM ingested_files WHERE path = ?", [str(state)]).fetchall()
    assert status == "error" and "truncated JSON" in error
    assert any(line.startswith(f"{state}: error: ") for line in report.messages)


def test_a_state_file_without_events_is_skipped_saying_why(tmp_path):
    state = tmp_path / "base_state.json"
    shutil.copyfile(STATE, state)
    result = process_file(str(state))
    assert (result.status, result.format) == ("skipped", "openhands-v1")
    assert "no event files beside it" in result.error


def test_an_event_file_on_its_own_is_read_alone(tmp_path):
    alone = tmp_path / "action.json"
    shutil.copyfile(_events_named(EVENTS, 4), alone)
    result = process_file(str(alone))
    assert (result.status, result.format, result.n_trials) == ("ok", "openhands-v1", 1), result.error
    assert [r["text"] for r in result.events.to_pylist() if r["kind"] == "action"] == ["lsof -i :8080"]


def test_a_rejected_call_did_not_run(tmp_path, con):
    folder = tmp_path / "c1" / "events"
    folder.mkdir(parents=True)
    action = json.loads(_events_named(EVENTS, 6).read_text())
    reject = {"id": "5a6b7c8d-0000-4000-8000-000000000001", "timestamp": "2025-11-03T14:00:20.000000", "source": "user",
              "tool_name": "terminal", "tool_call_id": action["tool_call_id"], "action_id": action["id"],
              "rejection_reason": "Do not kill processes you did not start.", "rejection_source": "user",
              "kind": "UserRejectObservation"}
    for i, ev in enumerate([json.loads(_events_named(EVENTS, 1).read_text()), action, reject]):
        (folder / f"event-{i:05d}-{ev['id']}.json").write_text(json.dumps(ev), encoding="utf-8")
    report = ingest([tmp_path / "c1"], con)
    assert (report.ok, report.errors) == (1, 0), report.messages
    assert con.execute("SELECT count(*) FROM events WHERE kind = 'action'").fetchall() == [(0,)]
    rows = con.execute("SELECT kind, role, text FROM events ORDER BY seq").fetchall()
    assert rows[-2:] == [("message", "assistant", "kill 4127 && sleep 1 && lsof -i :8080 || echo 'port free'"),
                         ("message", "user", "Action rejected: Do not kill processes you did not start.")]


def test_detection_by_content():
    assert detect(STATE, read_head(STATE)) == "openhands-v1"
    for index in (0, 1, 2, 3, 13, 16):
        path = _events_named(EVENTS, index)
        assert detect(path, read_head(path)) == "openhands-v1", path.name
    v0 = FIXTURES / "openhands" / "rename_and_serve.json"
    assert detect(v0, read_head(v0)) == "openhands"


@pytest.mark.parametrize("data", [
    {"id": "x", "timestamp": "2025-11-03T14:00:00", "source": "agent", "kind": "SomethingElse"},
    {"agent": {"llm": {"model": "m"}}, "execution_status": "finished"},  # a state file only under its own name
    {"role": "user", "content": "hello"},
])
def test_other_json_is_not_claimed(tmp_path, data):
    path = tmp_path / "other.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert detect(path, read_head(path)) != "openhands-v1"
