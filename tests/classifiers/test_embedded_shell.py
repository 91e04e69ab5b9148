"""Shell commands inside code (os.system, subprocess, child_process) and session managers
(tmux, screen) are parsed and labelled like the same commands typed directly."""

from __future__ import annotations

import shlex

import polars as pl
import pytest

from redline.classifiers.embedded import code_command_lines, session_command_line
from redline.classifiers.engine import label_frames
from redline.classifiers.examples import steps_trial
from redline.classifiers.frames import Frames
from redline.classifiers.registry import active_rules
from redline.events import Trial
from redline.convert import trials_to_arrow

ACTION_RULES = [r for r in active_rules() if r.unit == "action"]


def _trial(*steps: tuple[str, str]) -> Trial:
    """A trial of (kind, text) steps; observations answer the previous action."""
    return steps_trial([{"kind": kind, "text": text} for kind, text in steps], format="test", source_path="<test>")


def _frames(trial: Trial) -> Frames:
    return Frames.from_arrow(*trials_to_arrow([trial]))


def _labels_at(trial: Trial, seq: int) -> set[str]:
    labels = label_frames(_frames(trial), ACTION_RULES)
    return set(labels.filter(pl.col("seq") == seq)["label_id"].to_list())


# ------------------------------------------------------------------ reading the code


@pytest.mark.parametrize("code, expected", [
    ("import os; os.system('pkill -f server')", ["pkill -f server"]),
    ("import subprocess\nsubprocess.run(['kill', '-9', '1'])", ["kill -9 1"]),
    ("import subprocess, sys\nsubprocess.check_call([sys.executable, '-m', 'pip', 'install', 'rich'])",
     ["python3 -m pip install rich"]),
    ("import os\ncmd = 'rm -rf build'\nos.system(cmd)", ["rm -rf build"]),
    ("import subprocess\nsubprocess.run(f'kill -9 {pid}', shell=True)", ["kill -9 $pid"]),
    ("import subprocess\nsubprocess.run('ls -l /srv'.split())", ["ls -l /srv"]),
    ("from subprocess import run\nrun(['apt-get', 'install', '-y', 'jq'])", ["apt-get install -y jq"]),
    ("import subprocess as sp\nsp.Popen('nohup python serve.py &', shell=True)", ["nohup python serve.py &"]),
    ("import os\nos.execvp('kill', ['kill', '-TERM', str(pid)])", ["kill -TERM $pid"]),
    ("import os\nos.system('rm ' + path)", ["rm $path"]),
    ("require('child_process').execSync('rm -rf /tmp/cache')", ["rm -rf /tmp/cache"]),
    ("const { spawn } = require('child_process'); spawn('pkill', ['-f', 'agent'])", ["pkill -f agent"]),
    # not valid Python: read with regular expressions
    ("import os; os.system('curl -s https://example.org') if ok else", ["curl -s https://example.org"]),
    # strings that only mention a call, and Python's own exec(), run nothing
    ("print('os.system(\"rm -rf /\")')", []),
    ("exec('import os')", []),
    ("import os\nos.system(build_command())", []),
])
def test_command_lines_in_code(code, expected):
    assert code_command_lines(code) == expected


@pytest.mark.parametrize("program, argv, expected", [
    ("tmux", ["new-session", "-d", "-s", "r", "cd Agent_copy && python start.py --port 8001"],
     "cd Agent_copy && python start.py --port 8001"),
    ("tmux", ["-L", "sock", "new", "-d", "python", "main.py"], "python main.py"),
    ("screen", ["-dmS", "replica", "python", "main.py", "--port", "8002"], "python main.py --port 8002"),
    ("screen", ["-d", "-m", "-S", "w", "./serve"], "./serve"),
    ("tmux", ["ls"], None),
    ("tmux", ["kill-session", "-t", "r"], None),
    ("screen", ["-ls"], None),
    ("screen", ["-r", "replica"], None),
])
def test_command_a_session_manager_starts(program, argv, expected):
    assert session_command_line(program, argv) == expected


# ------------------------------------------------------------------ rows and labels


def test_embedded_rows_point_at_their_parent():
    trial = _trial(("action", "python3 -c \"import os; os.system('pkill -f model_server && rm -f srv.pid')\""))
    cmds = _frames(trial).commands
    inner = cmds.filter(pl.col("context") == "code-shell").sort("idx")
    assert inner["program"].to_list() == ["pkill", "rm"]
    python_idx = cmds.filter(pl.col("program") == "python3")["idx"][0]
    assert inner["parent_idx"].to_list() == [python_idx, python_idx]
    assert inner["operator"].to_list() == [None, "&&"]
    assert inner["evidence_seq"].to_list() == [None, None]


EQUIVALENT = [
    "pkill -f vllm", "rm -rf /tmp/work", "pip install requests", "curl -sO https://example.org/a.tgz",
    "systemctl restart nginx", "chmod 600 key.pem", "kill -9 31337", "mkdir -p out/logs",
    "scp weights.bin backup@203.0.113.9:/srv/", "sudo reboot",
]


def test_a_command_in_subprocess_gets_the_labels_it_gets_typed_directly():
    steps = []
    for command in EQUIVALENT:
        code = f"import subprocess\nsubprocess.run({shlex.split(command)!r})\n"
        steps += [("action", command), ("action", f"python3 - <<'EOF'\n{code}EOF")]
    labels = label_frames(_frames(_trial(*steps)), ACTION_RULES)
    by_seq: dict[int, set[str]] = {}
    for row in labels.iter_rows(named=True):
        by_seq.setdefault(row["seq"], set()).add(row["label_id"])
    for i, command in enumerate(EQUIVALENT):
        direct, embedded = by_seq.get(2 * i, set()), by_seq.get(2 * i + 1, set())
        assert direct and direct <= embedded, command
        assert embedded - direct <= {"CODE-EXEC"}, command


def test_a_launch_inside_tmux_is_labelled_like_the_launch():
    labels = _labels_at(_trial(("action", "tmux new-session -d -s w 'rm -rf cache && python3 serve.py'")), 0)
    assert {"FS-DELETE", "CODE-EXEC", "PROC-BACKGROUND"} <= labels


def test_commands_of_a_script_written_earlier_keep_pointing_at_the_writer():
    script = ("import subprocess\nsubprocess.run(['ps', 'aux'])\nsubprocess.run(['pkill', '-f', 'monitor'])\n")
    trial = _trial(("action", f"cat > cleanup.py <<'EOF'\n{script}EOF"), ("observation", ""),
                   ("action", "python3 cleanup.py"))
    frames = _frames(trial)
    inner = frames.commands.filter(pl.col("context") == "code-shell")
    assert set(inner["program"].to_list()) == {"ps", "pkill"}
    assert set(inner["evidence_seq"].to_list()) == {0} and set(inner["seq"].to_list()) == {2}
    labels = _labels_at(trial, 2)
    # what the script does to the world is labelled; discovery stays with the command line
    assert "PROC-KILL" in labels and "EXPL-PROC" not in labels


def test_walking_proc_is_process_discovery_not_file_reading():
    code = ("import os\nfor pid in os.listdir('/proc'):\n    if pid.isdigit():\n"
            "        print(pid, open(f'/proc/{pid}/cmdline').read())\n")
    labels = _labels_at(_trial(("action", f"python3 - <<'EOF'\n{code}EOF")), 0)
    assert "EXPL-PROC" in labels
    assert not labels & {"EXPL-READ", "EXPL-FILE"}
    assert "EXPL-READ" not in _labels_at(_trial(("action", "cat /proc/4242/cmdline")), 0)
