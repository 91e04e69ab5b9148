"""Terminal-Bench recordings of mini-swe-agent 2.x: tool calls printed after the reply's text, their
outputs as ``Tool:`` messages, the run ended by an ``Exit:`` message; and 2.x's text-based actions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from redline.ingest.loader import ingest, process_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "terminal-bench"
RUN = FIXTURES / "2026-03-10__14-20-00"
CAST = RUN / "redis-port-conflict" / "redis-port-conflict.1-of-1.2026-03-10__14-20-00" / "sessions" / "agent.cast"
V1_CAST = next((FIXTURES / "2026-01-02__09-58-00").rglob("agent.cast"))


def _events(path: Path) -> list[dict]:
    result = process_file(str(path))
    assert (result.status, result.format) == ("ok", "terminal-bench"), result.error
    return result.events.to_pylist()


def _records(path: Path) -> tuple[str, list[list]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0], [json.loads(x) for x in lines[1:]]


def _write_cast(path: Path, header: str, records: list[list]) -> Path:
    path.write_text(header + "\n" + "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_tool_calls_and_their_outputs_are_actions_and_observations():
    events = _events(CAST)
    got = [(e["seq"], e["kind"], e["text"], e["exit_code"], e["action_seq"]) for e in events if e["kind"] != "message"]
    assert got == [
        (3, "action", "ss -ltnp | grep 6379", None, None),
        (4, "observation", 'LISTEN 0 511 127.0.0.1:6379 0.0.0.0:* users:(("redis-server",pid=88,fd=6))', 0, 3),
        (6, "action", "redis-cli -p 6379 ping", None, None),
        (7, "action", "ps -o args= -p 88", None, None),
        (8, "observation", "Could not connect to Redis at 127.0.0.1:6379: Connection refused", 1, 6),
        (9, "observation", "redis-server *:6379 --protected-mode no --save ''", 0, 7),
        (11, "action", "pkill redis-server && sleep 1 && redis-server /etc/redis/redis.conf --daemonize yes", None, None),
        (12, "observation", "", 0, 11),
        (14, "action", "cat /var/log/redis/redis-server.log", None, None),
        (15, "observation", "88:C 10 Mar 2026 14:20:31.120 * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo\n"
                            "88:M 10 Mar 2026 14:20:31.121 * monotonic clock: POSIX clock_gettime\n"
                            "141:M 10 Mar 2026 14:21:02.514 * Server initialized\n"
                            "141:M 10 Mar 2026 14:21:02.514 * Ready to accept connections tcp", 0, 14),
        (17, "action", "redis-cli -p 6379 monitor", None, None),
        (18, "observation", "OK\nAn error occurred while executing the command: Command 'redis-cli -p 6379 monitor' "
                            "timed out after 60 seconds", None, 17),
        (20, "action", "redis-cli -p 6379 ping", None, None),
        (21, "observation", "PONG", 0, 20),
        (23, "action", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT", None, None),
    ]


def test_the_reply_text_is_the_message_and_a_fence_it_quotes_is_not_a_call():
    events = {e["seq"]: e for e in _events(CAST)}
    assert (events[5]["kind"], events[5]["text"]) == (
        "message", "A redis-server (pid 88) already holds the port. Is it answering, and with which\n"
                   "config was it started?")
    assert events[10]["kind"] == "message"
    assert "```\nport 6379\nbind 0.0.0.0\n```" in events[10]["text"]
    assert events[10]["text"].endswith("so I will stop it and start redis with /etc/redis/redis.conf.")
    assert json.loads(events[10]["attrs"]) == {"step": 3, "cost": 0.01}
    # the prompt's example blocks are the task's words, not actions
    assert events[1]["role"] == "user" and "```bash\ncat <<'EOF' > newfile.py" in events[1]["text"]


def test_an_elided_or_timed_out_output_says_so():
    events = {e["seq"]: e for e in _events(CAST)}
    assert json.loads(events[15]["attrs"]) == {"elided": True}
    assert json.loads(events[18]["attrs"]) == {
        "exception_info": "An error occurred while executing the command: Command 'redis-cli -p 6379 monitor' "
                          "timed out after 60 seconds",
        "raw_exit_code": -1,
    }


def test_the_submission_ends_the_run_and_the_trial_folder_gives_the_verdict(con):
    report = ingest([RUN], con)
    assert (report.ok, report.errors) == (1, 0), report.messages
    [(model, agent, outcome, metadata)] = con.execute("SELECT model, agent, outcome, metadata FROM trials").fetchall()
    assert (model, agent, outcome) == ("openai/gpt-5-mini", "mini-swe-agent", "success")
    meta = json.loads(metadata)
    assert (meta["agent_version"], meta["steps"], meta["exit_status"], meta["cost"]) == ("2.1.0", 7, "Submitted", 0.03)
    # the submit call's "not executed" output is the harness's bookkeeping, not an observation
    assert con.execute("SELECT count(*) FROM events WHERE action_seq = 23").fetchall() == [(0,)]
    assert con.execute("SELECT program, argv FROM commands WHERE seq = 7").fetchall() == [("ps", ["-o", "args=", "-p", "88"])]


def test_the_exit_message_holds_the_submission(tmp_path):
    header, records = _records(CAST)
    exit_at = next(i for i, r in enumerate(records) if r[1] == "o" and "Exit\x1b[0m:" in r[2])
    records.insert(exit_at + 1, [records[exit_at][0], "o", "diff --git a/redis.conf b/redis.conf\r\n"])
    events = _events(_write_cast(tmp_path / "agent.cast", header, records))
    [submission] = [e for e in events if e["action_seq"] == 23]
    assert (submission["kind"], submission["text"]) == ("observation", "diff --git a/redis.conf b/redis.conf")
    assert json.loads(submission["attrs"]) == {"submission": True}


def test_a_run_that_stops_without_submitting_keeps_its_exit_status(tmp_path, con):
    header, records = _records(CAST)
    step7 = next(i for i, r in enumerate(records) if r[1] == "o" and "\x1b[1;31m7\x1b[0m" in r[2])
    end = [[records[step7][0], "o", "\r\n\x1b[1;32mExit\x1b[0m:\r\n"], [records[step7][0] + 0.01, "o", "LimitsExceeded\r\n"],
           [records[step7][0] + 0.2, "o", "\x1b[?2004hroot@5e6f7a8b9c0d:/app# "]]
    cut = _write_cast(tmp_path / "agent.cast", header, records[:step7 - 2] + end)
    ingest([cut], con)
    [(metadata,)] = con.execute("SELECT metadata FROM trials").fetchall()
    assert json.loads(metadata)["exit_status"] == "LimitsExceeded"
    assert con.execute("SELECT count(*) FROM events WHERE kind = 'action'").fetchall() == [(7,)]


def test_a_recording_cut_before_the_outputs_keeps_the_calls(tmp_path):
    header, records = _records(CAST)
    tool_of_step2 = next(i for i, r in enumerate(records) if r[1] == "o" and "pid 88) already holds" in r[2])
    events = _events(_write_cast(tmp_path / "agent.cast", header, records[:tool_of_step2 + 1]))
    assert [e["text"] for e in events if e["kind"] == "action"] == [
        "ss -ltnp | grep 6379", "redis-cli -p 6379 ping", "ps -o args= -p 88"]


def test_a_tool_call_error_is_a_format_error(tmp_path):
    header, records = _records(CAST)
    step2 = next(i for i, r in enumerate(records) if r[1] == "o" and "pid 88) already holds" in r[2])
    t = records[step2][0]
    # a reply without a tool call, whose text ends in a code block: the block did not run
    error = [[t, "o", "I will look at the port with\r\n\r\n```\r\nnc -z localhost 6379\r\n```\r\n"],
             [t + 0.01, "o", "\r\n\x1b[1;32mUser\x1b[0m:\r\n"],
             [t + 0.02, "o", "Tool call error:\r\n\r\n<error>\r\nNo tool calls found in the response.\r\n</error>\r\n"]]
    records = records[:step2] + error + records[step2 + 5:]
    events = _events(_write_cast(tmp_path / "agent.cast", header, records))
    result = process_file(str(tmp_path / "agent.cast"))
    assert json.loads(result.trials.to_pylist()[0]["metadata"])["format_errors"] == 1
    assert any(e["role"] == "user" and e["text"].startswith("Tool call error:") for e in events)
    assert [e["text"] for e in events if e["kind"] == "action"][:2] == ["ss -ltnp | grep 6379", "pkill redis-server "
                                                                      "&& sleep 1 && redis-server /etc/redis/redis.conf "
                                                                      "--daemonize yes"]


def test_text_based_actions_of_2x_are_read_like_1x(tmp_path):
    header, records = _records(V1_CAST)
    for r in records:
        if r[1] == "o" and "THOUGHT:" in r[2]:
            r[2] = r[2].replace("```bash\r\n", "```mswea_bash_command\r\n")
    folder = tmp_path / "trial" / "sessions"
    folder.mkdir(parents=True)
    changed = _events(_write_cast(folder / "agent.cast", header, records))
    alone = tmp_path / "v1" / "sessions"
    alone.mkdir(parents=True)
    shutil.copyfile(V1_CAST, alone / "agent.cast")
    original = _events(alone / "agent.cast")
    actions = [(e["seq"], e["text"]) for e in changed if e["kind"] == "action"]
    assert actions and actions == [(e["seq"], e["text"]) for e in original if e["kind"] == "action"]
    assert [(e["action_seq"], e["exit_code"]) for e in changed if e["kind"] == "observation"] == \
        [(e["action_seq"], e["exit_code"]) for e in original if e["kind"] == "observation"]
