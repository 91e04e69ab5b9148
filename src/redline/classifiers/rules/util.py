"""Utilities: waiting."""

from __future__ import annotations

from ..rule import Rule, arg, code_re, in_background, in_context, program, wrapped_by
from .expl import not_from_earlier_script, not_in_scaffold_body

UTIL_WAIT = Rule(
    id="UTIL-WAIT", name="wait", on="command", techniques=(),
    summary="Waits for time to pass or for something to finish: sleep, wait, timeout N cmd, watch, polling loops.",
    match=not_in_scaffold_body() & not_from_earlier_script() & ~arg("--help") & (
        program("sleep", "usleep") & ~in_background()
        | program("wait", "watch", "inotifywait", "timeout")
        | wrapped_by("timeout", "watch")
        | program("tail") & arg("--pid")
        | code_re(r"(?-u:\b)time\.sleep\(\s*[0-9.]+\s*\)|asyncio\.sleep\(|setTimeout\(") & ~in_context("script")
    ),
    fallback=r"(^|[;&|(]\s*|\bdo\s+)(sleep\s+\d|wait(\s|$)|timeout\s+\d)",
    hits=("sleep 5", "nginx && sleep 2 && curl -I localhost:8080", "wait $PID", "timeout 10 python server.py",
          "while ! curl -s localhost:8000; do sleep 1; done", "watch -n 1 nvidia-smi",
          "bash -c 'sleep 30; ls'", "python3 -c 'import time; time.sleep(10)'",
          "sudo timeout 5s tail -f /var/log/syslog"),
    misses=("for i in {1..15}; do curl -s localhost:8080; done", "echo sleep", "grep -r sleep src/",
            "(sleep 100 &)", "python -c 'print(1)'", "sleep_study.py"),
    doc="""What it finds: commands that wait: sleep, wait, `timeout N cmd` (the parser peels `timeout`
into the wrapper list), watch, inotifywait, `tail --pid`, polling loops (through their sleep), and
Python one-liners (`python -c`, `python - <<EOF`) that sleep for a fixed time. Commands of a
script written in an earlier step are not judged here.

Why it matters: waiting and retrying unchanged is a resolution strategy of its own (RES-WAIT),
and a sleep after launching something shows the agent expects it to be up shortly.

Known false positives: `timeout` used only as a safety limit on a command still counts, as the
catalogue asks. A sleep sent to the background is not a wait and is not counted.""",
)

RULES = [UTIL_WAIT]
