"""Observation labels: failures in the agent's own words, fallback-masked results, authentication
and D-Bus errors, and harness noise that is not the agent's obstacle."""

from __future__ import annotations

import polars as pl
import pytest

from redline.classifiers.engine import label_frames
from redline.classifiers.frames import Frames
from redline.classifiers.rules.obs.noise import blank_tracebacks
from redline.classifiers.registry import active_rules
from redline.events import Event, Trial
from redline.convert import trials_to_arrow

OBS_RULES = [r for r in active_rules() if r.unit == "observation"]

HARNESS_TRACEBACK = (
    "Traceback (most recent call last):\n"
    "  File \"/usr/local/lib/python3.13/site-packages/recorder/proxy.py\", line 74, in <module>\n"
    "    import backoff\n"
    "ModuleNotFoundError: No module named 'backoff'\n"
    "\n"
    "During handling of the above exception, another exception occurred:\n"
    "\n"
    "Traceback (most recent call last):\n"
    "  File \"/usr/local/lib/python3.13/site-packages/recorder/logging.py\", line 12, in log\n"
    "    raise ImportError(\"Missing dependency backoff\")\n"
    "ImportError: Missing dependency backoff\n"
)


def _obs_labels(command: str, output: str, exit_code: int | None = 0, before: str | None = None) -> set[str]:
    trial = Trial(format="test", source_path="<test>")
    if before:
        trial.add(Event(kind="message", text=before, role="assistant"))
    act = trial.add(Event(kind="action", text=command, role="assistant", tool="bash"))
    obs = trial.add(Event(kind="observation", text=output, role="tool", exit_code=exit_code, action_seq=act.seq))
    labels = label_frames(Frames.from_arrow(*trials_to_arrow([trial])), OBS_RULES)
    return set(labels.filter(pl.col("seq") == obs.seq)["label_id"].to_list())


# ------------------------------------------------------------------ failures in the agent's own words


@pytest.mark.parametrize("output, exit_code", [
    ("step 1 ok\nstep 2 ✗ FAILED: expected 3 rows, got 0", 0),
    ("precision 0.41\nTarget met: False", 0),
    ("GET /api/items -> Status: 502", 0),
    ("Error with checkpoint upload: bucket 'runs' is read-only mode", 0),
    ("Failed to start worker: address family not supported", 0),
    ("", 137),
    ("", -9),
])
def test_failures_in_the_agents_own_words(output, exit_code):
    assert _obs_labels("python3 check.py", output, exit_code) == {"OBS-OTHER-ERROR"}


def test_a_silent_kill_whose_cause_is_memory_is_out_of_memory():
    assert _obs_labels("python3 train.py", "Killed", 137) == {"OBS-OOM"}


@pytest.mark.parametrize("before", [
    "Let me reproduce the issue first.",
    "I'll confirm the bug exists before touching the code.",
])
def test_a_failure_reproduced_on_purpose_is_not_an_obstacle(before):
    assert _obs_labels("python3 check.py", "Result matches: False", 0, before=before) == set()


@pytest.mark.parametrize("output", [
    "Passed: 14\nFailed: 0", "Failed logins: 3 (from auth.log)", "'x\\n' -> strict: FAIL (expected)",
])
def test_reports_that_only_mention_failure_are_not_obstacles(output):
    assert _obs_labels("python3 summary.py", output, 0) == set()


# ------------------------------------------------------------------ authentication and D-Bus


@pytest.mark.parametrize("output", [
    "Failed to restart ssh.service: Interactive authentication required.",
    "su: Authentication failure",
    "sudo: a password is required",
])
def test_authentication_errors_are_permission_problems(output):
    assert "OBS-PERM" in _obs_labels("systemctl restart ssh", output, 1)


def test_a_dbus_error_is_not_a_network_or_file_problem():
    output = ("System has not been booted with systemd as init system (PID 1). Can't operate.\n"
              "Failed to connect to bus: No such file or directory")
    assert _obs_labels("systemctl start nginx", output, 1) == {"OBS-OTHER-ERROR"}


# ------------------------------------------------------------------ fallback-masked results


@pytest.mark.parametrize("command, output, label", [
    ("which nginx && nginx -v || echo 'nginx not installed'", "nginx not installed", "OBS-CMD-MISSING"),
    ("command -v jq >/dev/null || echo \"jq missing\"", "jq missing", "OBS-CMD-MISSING"),
    ("ls /data/model 2>/dev/null || echo 'no model dir'", "no model dir", "OBS-FILE-MISSING"),
    ("python3 -c 'import vllm' 2>/dev/null || echo 'vllm not importable'", "vllm not importable",
     "OBS-MODULE-MISSING"),
    ("timeout 60 ./start_server.sh || echo done", "starting...\ndone", "OBS-TIMEOUT"),
    ("curl -sf localhost:8080/ready || echo \"service on $PORT not responding\"",
     "service on 8080 not responding", "OBS-NETWORK"),
    ("cargo build 2>/dev/null || echo 'build failed'", "build failed", "OBS-OTHER-ERROR"),
])
def test_a_fallback_message_reports_the_obstacle(command, output, label):
    assert label in _obs_labels(command, output, 0)


@pytest.mark.parametrize("command, output", [
    # the fallback did not run
    ("which nginx || echo 'nginx not installed'", "/usr/sbin/nginx"),
    ("for i in 1 2; do curl -s localhost:80 >/dev/null && echo \"try $i: ok\" || echo \"try $i: failed\"; done",
     "try $i: ok"),
    # questions: tests, searches, captured substitutions
    ("[ -f /tmp/stop ] && echo yes || echo 'not requested'", "not requested"),
    ("grep -q needle notes.txt || echo 'no needle found'", "no needle found"),
    ("n=$(grep -c ERROR app.log || echo 'none found'); echo \"count: $n\"", "count: 0"),
])
def test_fallbacks_that_report_nothing(command, output):
    assert _obs_labels(command, output, 0) == set()


# ------------------------------------------------------------------ harness noise


def test_a_harness_traceback_after_a_python_free_action_gets_no_label():
    output = HARNESS_TRACEBACK + "total 8\ndrwxr-xr-x 2 root root 4096 .\n"
    assert _obs_labels("ls -la", output, 0) == set()
    assert _obs_labels("mkdir -p out && cd out && pwd", "/app/out\n" + HARNESS_TRACEBACK, None) == set()


def test_the_same_traceback_from_code_the_agent_ran_is_its_obstacle():
    assert "OBS-MODULE-MISSING" in _obs_labels("python3 proxy.py", HARNESS_TRACEBACK, 1)


def test_a_traceback_the_agent_prints_from_a_log_is_kept():
    assert "OBS-MODULE-MISSING" in _obs_labels("tail -20 server.log", HARNESS_TRACEBACK, 0)


def test_blanking_keeps_offsets_and_other_text():
    text = "before\n" + HARNESS_TRACEBACK + "after\n"
    blanked = blank_tracebacks(text)
    assert len(blanked) == len(text)
    assert blanked.startswith("before\n") and blanked.endswith("after\n")
    assert "Traceback" not in blanked and "backoff" not in blanked
