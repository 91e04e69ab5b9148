"""Terminal-Bench adapter: asciinema recordings of mini-swe-agent runs beside results.json."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from redline.ingest import terminal_bench as tb
from redline.ingest.rich_output import joiner
from redline.ingest.terminal import Terminal
from redline.ingest.base import read_head
from redline.ingest.loader import detect, process_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "terminal-bench"
RUN = FIXTURES / "2026-01-02__09-58-00"
TRIAL_DIR = RUN / "nginx-port-conflict" / "nginx-port-conflict.1-of-1.2026-01-02__09-58-00"
CAST = TRIAL_DIR / "sessions" / "agent.cast"
TESTS_CAST = TRIAL_DIR / "sessions" / "tests.cast"
T0 = datetime(2026, 1, 2, 9, 58, 0, tzinfo=timezone.utc)  # the cast header's timestamp

SYSTEM_PROMPT = """You are a helpful assistant that can interact with a computer.

Your response must contain exactly ONE bash code block with ONE command (or commands connected with && or ||).

<format_example>
Your reasoning and analysis here.

```bash
your_command_here
```
</format_example>"""

TASK_PROMPT = """Please solve this issue: Port 8080 is taken; make nginx serve /var/www/html on port 8080.
Use pkill if needed.

## Useful command examples

### Create a new file:

```bash
cat <<'EOF' > newfile.py
print("hello")
EOF
```

### Any other command you want to run

```bash
anything
```"""

# (kind, role, tool, text, exit_code, action_seq, cast line, seconds into the recording)
EXPECTED = [
    ("message", "system", None, SYSTEM_PROMPT, None, None, 17, 5.1),
    ("message", "user", None, TASK_PROMPT, None, None, 18, 5.11),
    ("message", "assistant", None,
     "THOUGHT: Before starting nginx I should see what is already listening on port 8080, since the task says the port is taken.",
     None, None, 25, 7.01),
    ("action", "assistant", "bash", "ss -ltnp | grep :8080", None, None, 25, 7.01),
    ("observation", "tool", None, 'LISTEN 0 511 0.0.0.0:8080 0.0.0.0:* users:(("nginx",pid=41,fd=6))', 0, 3, 28, 7.04),
    ("message", "assistant", None, "THOUGHT: An old nginx holds the port. Let me try to start mine anyway.", None, None, 34, 8.781),
    ("action", "assistant", "bash", "nginx && sleep 1 && curl -sI localhost:8080", None, None, 34, 8.781),
    ("observation", "tool", None,
     "nginx: [emerg] bind() to 0.0.0.0:8080 failed (98: Address already in use)\nnginx: [emerg] still could not bind()",
     1, 6, 36, 8.801),
    ("message", "assistant", None, "THOUGHT: The port is still in use. I will stop the old nginx and start it again.", None, None, 41, 10.541),
    ("action", "assistant", "bash", "pkill nginx && sleep 1 && nginx && curl -sI localhost:8080", None, None, 41, 10.541),
    ("observation", "tool", None, "HTTP/1.1 200 OK\nServer: nginx/1.22.1", 0, 9, 44, 10.571),
    # two bash blocks: mini-swe-agent runs neither and complains
    ("message", "assistant", None,
     "THOUGHT: I will check the page and the log.\n\n```bash\ncurl -s localhost:8080\n```\n\n```bash\ntail -n 1 /var/log/nginx/access.log\n```",
     None, None, 49, 12.311),
    ("message", "user", None, "Please always provide EXACTLY ONE action in triple backticks, found 2 actions.", None, None, 51, 12.331),
    # rich wrapped this reply and its command at the 80-column pane: the wraps are undone
    ("message", "assistant", None,
     "THOUGHT: One command at a time: fetch the index page and count its entries in the access log.",
     None, None, 56, 14.071),
    ("action", "assistant", "bash",
     'curl -s -o /dev/null -w "%{http_code}" http://localhost:8080/index.html && grep -c "GET /index.html" /var/log/nginx/access.log',
     None, None, 56, 14.071),
    ("observation", "tool", None, "2001", 0, 14, 58, 14.091),
    ("message", "assistant", None, "THOUGHT: Let me watch the log for new requests.", None, None, 63, 44.131),
    ("action", "assistant", "bash", "tail -f /var/log/nginx/access.log", None, None, 63, 44.131),
    ("observation", "tool", None,
     "The last command <command>tail -f /var/log/nginx/access.log</command> timed out and has been killed.\n"
     "The output of the command was:\n <output>\n\n</output>\n"
     "Please try another command and make sure to avoid those requiring interactive input.",
     None, 17, 65, 44.151),
    ("message", "assistant", None, "THOUGHT: nginx now serves port 8080. I am done.", None, None, 70, 45.891),
    ("action", "assistant", "bash", "echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT", None, None, 70, 45.891),
]


def _trial(path: Path = CAST):
    trials = list(tb.read(path))
    assert len(trials) == 1
    return trials[0]


def _rows(trial):
    return [
        (e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq, e.source_line,
         round((e.timestamp - T0).total_seconds(), 3))
        for e in trial.events
    ]


# --------------------------------------------------------------------------- the fixture trial


def test_fixture_events_are_exact():
    trial = _trial()
    assert _rows(trial) == EXPECTED
    assert [e.seq for e in trial.events] == list(range(len(EXPECTED)))
    for e in trial.events:
        assert e.source_pointer == f"cast:line:{e.source_line}@{(e.timestamp - T0).total_seconds():.3f}s"
    assert trial.events[3].attrs == {"step": 1}
    assert trial.events[11].attrs == {"step": 4, "cost": 0.04, "actions_in_reply": 2}
    assert trial.events[18].attrs == {"timeout": True}


def test_fixture_trial_metadata_comes_from_the_trial_folder():
    trial = _trial()
    assert trial.format == "terminal-bench"
    assert trial.source_path == str(CAST)
    assert trial.local_key == ""
    assert trial.model == "anthropic/claude-sonnet-4-20250514"
    assert trial.agent == "mini-swe-agent"
    assert trial.task == "nginx-port-conflict"
    assert trial.scenario == "terminal-bench-core@0.1.1"
    assert trial.outcome == "success"
    assert trial.source_verdict == {"is_resolved": True, "failure_mode": "unset"}
    assert trial.started_at == datetime(2026, 1, 2, 9, 57, 30, 250000, tzinfo=timezone.utc)
    assert trial.ended_at == datetime(2026, 1, 2, 9, 59, 20, 500000, tzinfo=timezone.utc)
    meta = trial.metadata
    assert meta["steps"] == 7
    assert meta["format_errors"] == 1
    assert meta["cost"] == 0.07
    assert meta["exit_status"] == "Submitted"
    assert meta["agent_version"] == "1.7.0"
    assert meta["run_id"] == "2026-01-02__09-58-00"
    assert meta["trial_name"] == "nginx-port-conflict.1-of-1.2026-01-02__09-58-00"
    assert meta["parser_results"] == {"test_nginx_serves_8080": "passed"}
    assert meta["harness_commands"] == [
        "clear",
        "source /installed-agent/install-agent.sh && echo 'INSTALL_SUCCESS'",
        "mini -m anthropic/claude-sonnet-4-20250514 -t 'Port 8080 is taken; make nginx serve /var/www/html on port 8080.\n"
        "Use pkill if needed.' -y --exit-immediately",
        "C-d",
    ]
    assert "warnings" not in meta


def test_prompt_examples_and_harness_setup_are_not_actions():
    trial = _trial()
    actions = [e.text for e in trial.actions()]
    assert len(actions) == 6
    for example in ("your_command_here", "anything", "newfile.py", "tail -n 1 /var/log/nginx/access.log"):
        assert not any(example in a for a in actions)
    everything = "\n".join(e.text or "" for e in trial.events)
    for harness in ("INSTALL_SUCCESS", "Collecting mini-swe-agent", "asciinema", "root@0a1b2c3d4e5f", "0% [Working]",
                    "Saved trajectory"):
        assert harness not in everything


def test_agent_log_noise_and_escapes_are_removed():
    everything = "\n".join(e.text or "" for e in _trial().events)
    for noise in ("LiteLLM", "Traceback", "backoff", "Waiting for the LM", "\x1b", "\r", "─"):
        assert noise not in everything


# --------------------------------------------------------------------------- detection


def test_detection_is_by_content():
    assert detect(CAST, read_head(CAST)) == "terminal-bench"
    assert tb.sniff(TESTS_CAST, read_head(TESTS_CAST))  # claimed, then skipped by read()


@pytest.mark.parametrize("content", [
    '{"messages": [{"role": "user", "content": "hi"}]}',
    '{"version": 2, "trajectory": []}\n',
    '{"version": 1, "width": 80, "height": 24, "stdout": [[0.5, "hi"]]}',
    '{"version": 2, "width": 80, "height": 24}\n{"type": "message"}\n',
    '[0.5, "o", "no header"]\n',
    "plain text log\n",
])
def test_other_shapes_are_not_claimed(tmp_path, content):
    path = tmp_path / "other.cast"
    path.write_text(content)
    assert not tb.sniff(path, read_head(path))


# --------------------------------------------------------------------------- through the loader


def test_process_file_ingests_the_fixture():
    result = process_file(str(CAST))
    assert result.status == "ok", result.error
    assert result.format == "terminal-bench"
    assert result.n_trials == 1
    assert result.n_events == len(EXPECTED)
    assert result.error is None


def test_tests_cast_is_skipped_with_a_reason():
    result = process_file(str(TESTS_CAST))
    assert result.status == "skipped"
    assert "test run" in result.error and "tests.cast" in result.error


@pytest.mark.parametrize("path", [TRIAL_DIR / "results.json", RUN / "run_metadata.json", TRIAL_DIR / "commands.txt"])
def test_trial_folder_metadata_files_are_skipped(path):
    result = process_file(str(path))
    assert result.status == "skipped"
    assert result.n_trials == 0


def test_a_cast_without_its_trial_folder_still_gives_a_trial(tmp_path):
    lone = tmp_path / "recording.cast"
    shutil.copy(CAST, lone)
    trial = _trial(lone)
    assert trial.outcome == "unknown"
    assert trial.source_verdict is None
    assert trial.model == "anthropic/claude-sonnet-4-20250514"  # from the launch command
    assert trial.agent == "mini-swe-agent"
    assert trial.task == "Port 8080 is taken; make nginx serve /var/www/html on port 8080."
    assert trial.started_at == T0
    assert trial.ended_at == T0 + timedelta(seconds=49.442)
    assert len(trial.actions()) == 6
    result = process_file(str(lone))
    assert result.status == "ok"
    assert "no results.json" in result.error


# --------------------------------------------------------------------------- bad input


def test_truncated_cast_keeps_what_is_readable(tmp_path):
    data = CAST.read_bytes()
    lines = data.split(b"\n")
    cut = b"\n".join(lines[:45]) + b"\n" + lines[45][: len(lines[45]) // 2]  # cut inside line 46
    path = tmp_path / "agent.cast"
    path.write_bytes(cut)
    trial = _trial(path)
    assert [a.text for a in trial.actions()] == [
        "ss -ltnp | grep :8080",
        "nginx && sleep 1 && curl -sI localhost:8080",
        "pkill nginx && sleep 1 && nginx && curl -sI localhost:8080",
    ]
    assert trial.metadata["warnings"][0] == "truncated: cast line 46 is cut off; kept the 41 output records before it"
    assert trial.metadata["exit_status"] == "still running when the recording ended"
    result = process_file(str(path))
    assert result.status == "ok"
    assert "truncated: cast line 46 is cut off" in result.error


def test_cast_cut_inside_its_header_is_an_error(tmp_path):
    path = tmp_path / "agent.cast"
    path.write_bytes(CAST.read_bytes()[:40])
    result = process_file(str(path), forced_format="terminal-bench")
    assert result.status == "error"
    assert "line 1" in result.error


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "agent.cast"
    path.write_bytes(b"")
    assert process_file(str(path)).error == "empty file"
    result = process_file(str(path), forced_format="terminal-bench")
    assert result.status == "error" and result.error == "empty file"


def test_non_utf8_cast_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "agent.cast"
    lines = CAST.read_bytes().split(b"\n")
    lines[4] = '[0.6, "o", "caf\u00e9"]'.encode("latin-1")
    path.write_bytes(b"\n".join(lines))
    result = process_file(str(path))
    assert result.status == "error"
    assert "line 5" in result.error and "UTF-8" in result.error


@pytest.mark.parametrize("content, message", [
    ('{"messages": [{"role": "user", "content": "hi"}]}\n', "line 1: not an asciicast header"),
    ('{\n  "version": 2,\n  "width": 80\n}\n', "not an asciinema cast: line 1: invalid JSON"),
    ('{"version": 1, "width": 80, "height": 24, "stdout": [[0.5, "hi"]]}\n', "asciicast version 1 is not supported"),
    ('{"version": 2, "height": 24}\n[0.1, "o", "x"]\n', "no valid 'width'"),
])
def test_wrong_shape_with_forced_format_is_an_error(tmp_path, content, message):
    path = tmp_path / "data.json"
    path.write_text(content)
    result = process_file(str(path), forced_format="terminal-bench")
    assert result.status == "error"
    assert message in result.error


def test_a_record_that_is_not_an_event_array_names_its_line(tmp_path):
    path = tmp_path / "agent.cast"
    lines = CAST.read_text(encoding="utf-8").split("\n")
    lines[2] = json.dumps({"time": 0.5, "code": "i", "data": "clear\r"})
    path.write_text("\n".join(lines), encoding="utf-8")
    result = process_file(str(path))
    assert result.status == "error"
    assert result.error.startswith("line 3: not an asciicast event [time, code, data]")


def test_a_damaged_line_before_the_end_is_an_error(tmp_path):
    path = tmp_path / "agent.cast"
    lines = CAST.read_text(encoding="utf-8").split("\n")
    lines[9] = lines[9][:20]
    path.write_text("\n".join(lines), encoding="utf-8")
    result = process_file(str(path))
    assert result.status == "error"
    assert result.error.startswith("line 10: invalid JSON")


# --------------------------------------------------------------------------- other recordings


def _write_cast(path: Path, records: list, width: int = 80) -> Path:
    header = {"version": 2, "width": width, "height": 24, "timestamp": 1767347880}
    path.write_text("\n".join([json.dumps(header)] + [json.dumps(r) for r in records]) + "\n", encoding="utf-8")
    return path


def test_a_recording_of_another_agent_falls_back_to_its_keystrokes(tmp_path):
    prompt = "\x1b[?2004hroot@box:/app# "
    path = _write_cast(tmp_path / "agent.cast", [
        [0.0, "o", prompt],
        [0.2, "i", "clear\r"],
        [0.21, "o", "clear\r\n\x1b[H\x1b[J" + prompt],
        [1.0, "i", "ls -la; tmux wait -S done\r"],
        [1.01, "o", "ls -la; tmux wait -S done\r\n\x1b[?2004l\rtotal 0\r\n-rw-r--r-- 1 root root 0 notes.txt\r\n" + prompt],
        [2.0, "i", "cat notx\x7fes.txt\r"],
        [2.01, "o", "cat notes.txt\r\n\x1b[31mhello\x1b[0m\r\n" + prompt],
    ])
    trial = _trial(path)
    rows = [(e.kind, e.tool, e.text, e.action_seq, e.source_line) for e in trial.events]
    assert rows == [
        ("action", "keystrokes", "ls -la", None, 5),
        ("observation", None, "total 0\n-rw-r--r-- 1 root root 0 notes.txt", 0, 6),
        ("action", "keystrokes", "cat notes.txt", None, 7),
        ("observation", None, "hello", 2, 8),
    ]
    assert trial.outcome == "unknown"
    assert trial.metadata["harness_commands"] == ["clear"]


def test_an_installed_agent_that_crashed_at_launch_has_no_steps(tmp_path):
    # the harness types the install and launch lines; mini-swe-agent dies before its first step:
    # the launch line (with the task text in it) is the harness's, not an agent command
    prompt = "root@4c2f1a:/app# "
    launch = ("mini -m anthropic/claude-sonnet-4-20250514 -t 'Port 8080 is taken by a stale server; kill it "
              "with pkill and start nginx.' -y --exit-immediately")
    path = _write_cast(tmp_path / "agent.cast", [
        [0.1, "o", prompt],
        [0.2, "i", "clear\r"],
        [0.21, "o", "clear\r\n\x1b[H\x1b[J" + prompt],
        [1.0, "i", "source /installed-agent/install-agent.sh && echo 'INSTALL_SUCCESS'; tmux wait -S done\r"],
        [1.01, "o", "source /installed-agent/install-agent.sh && echo 'INSTALL_SUCCESS'; tmux wait -S done\r\n"
                    "Successfully installed mini-swe-agent-1.9.0\r\nINSTALL_SUCCESS\r\n" + prompt],
        [2.0, "i", launch + "; tmux wait -S done\r"],
        [2.01, "o", launch + "; tmux wait -S done\r\nTraceback (most recent call last):\r\n"
                    "litellm.exceptions.AuthenticationError: AnthropicException - invalid x-api-key\r\n" + prompt],
    ], width=200)
    trial = _trial(path)
    assert trial.events == []
    assert trial.metadata["harness_commands"][-1] == launch
    assert any(w.startswith("no agent steps recognised") for w in trial.metadata["warnings"])
    assert trial.model == "anthropic/claude-sonnet-4-20250514"  # from the launch line
    result = process_file(str(path))
    assert (result.status, result.n_events) == ("ok", 0)


def test_a_recording_with_no_steps_says_so(tmp_path):
    path = _write_cast(tmp_path / "session.cast", [[0.1, "o", "hello\r\n"]])
    trial = _trial(path)
    assert trial.events == []
    assert "no agent steps recognised in the terminal stream" in trial.metadata["warnings"]


def test_terminal_model_applies_overwrites_and_erases():
    term = Terminal(height=24)
    term.feed("\r10%\r50%\rdone\r\n", 2, 0.1)
    term.feed("\x1b[32m⠋\x1b[0m spinner\r\n\x1b[1A\x1b[2Kkept\r\n", 3, 0.2)
    term.feed("abc\x1b[", 4, 0.3)      # an escape cut between two records
    term.feed("1Dx\x1b]0;title\x07\r\n", 5, 0.4)
    assert [r.text for r in term.finish()] == ["done", "kept", "abx", ""]
    assert [r.line for r in term.finish()] == [2, 3, 4, None]


@pytest.mark.parametrize("prev, nxt, width, joined", [
    ("alpha beta ", "gamma", 14, "alpha beta gamma"),      # the next word did not fit: a wrap
    ("alpha beta ", "ga", 14, None),                      # it would have fitted: a real newline
    ("abcdefghij", "klm", 10, "abcdefghijklm"),           # a word longer than the line, folded
    ("alpha beta", "gamma", 10, "alpha beta gamma"),      # full row, its trailing space dropped
    ("alpha beta ", "  indented", 14, None),              # continuation rows never start with a space
])
def test_rich_wraps_are_undone(prev, nxt, width, joined):
    glue = joiner(prev, nxt, width)
    assert (None if glue is None else prev + glue + nxt) == joined


def test_asciicast_v3_intervals_add_up(tmp_path):
    path = tmp_path / "agent.cast"
    header = {"version": 3, "term": {"cols": 80, "rows": 24, "type": "xterm-256color"}, "timestamp": 1767347880}
    records = [[0.5, "i", "ls\r"], [0.25, "o", "ls\r\nnotes.txt\r\n"], [1.0, "i", "\x04"]]
    path.write_text("\n".join(json.dumps(x) for x in [header, *records]) + "\n", encoding="utf-8")
    assert detect(path, read_head(path)) == "terminal-bench"
    trial = _trial(path)
    assert [(e.kind, e.text, round((e.timestamp - T0).total_seconds(), 3)) for e in trial.events] == [
        ("action", "ls", 0.5),
        ("observation", "notes.txt", 0.75),
    ]
    assert trial.ended_at == T0 + timedelta(seconds=1.75)
    assert trial.metadata["cast"]["version"] == 3


def test_asciicast_v3_comment_lines_are_skipped_and_the_exit_status_kept(tmp_path):
    # asciinema 3.x writes "# ..." comment lines and ends with an "x" (exit status) record
    path = tmp_path / "agent.cast"
    prompt = "root@box:/app# "
    header = {"version": 3, "term": {"cols": 80, "rows": 24, "type": "xterm-256color"}, "timestamp": 1767347880}
    lines = [json.dumps(header), "# recorded by the harness",
             json.dumps([0.1, "o", prompt]),
             json.dumps([0.4, "i", "pkill nginx\r"]),
             json.dumps([0.1, "o", "pkill nginx\r\n" + prompt]),
             "# terminal resized", json.dumps([0.5, "r", "100x30"]),
             json.dumps([0.5, "i", "exit\r"]), json.dumps([0.25, "x", "1"])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect(path, read_head(path)) == "terminal-bench"
    result = process_file(str(path))
    assert result.status == "ok", result.error
    trial = _trial(path)
    assert [(e.kind, e.text, e.source_line) for e in trial.actions()] == [("action", "pkill nginx", 4)]
    assert trial.ended_at == T0 + timedelta(seconds=1.85)
    assert trial.metadata["cast"]["exit_status"] == "1"


def test_a_comment_line_in_a_v2_cast_is_an_error_naming_it(tmp_path):
    path = tmp_path / "agent.cast"
    path.write_text('{"version": 2, "width": 80, "height": 24}\n[0.1, "o", "a"]\n# note\n[0.2, "o", "b"]\n',
                    encoding="utf-8")
    result = process_file(str(path))
    assert result.status == "error"
    assert "line 3" in result.error and "comment" in result.error


def test_runaway_escapes_and_lines_stay_bounded():
    term = Terminal(height=24)
    term.feed("\x1b]0;" + "x" * 10_000, 2, 0.1)  # an OSC that never ends
    term.feed("after\r\n", 3, 0.2)
    term.feed("y" * (tb.MAX_ROW_CHARS + 50) + "\r\n", 4, 0.3)
    rows = term.finish()
    assert rows[0].text == "after"
    assert len(rows[1].text) == tb.MAX_ROW_CHARS
    assert term.cut_rows == {1}
