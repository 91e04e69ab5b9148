"""Action rules on their own (EXPL, SYS, PKG, PRIV, UTIL, PROC): edge cases beyond the examples
each rule carries, through the real parser and engine."""

from __future__ import annotations

import pytest

from redline.classifiers.examples import example_labels, fires
from redline.classifiers.registry import get_rule

CASES = [
    # EXPL-PROC / EXPL-READ: grep filtering a pipe reads no file
    ("EXPL-PROC", "ps aux | grep x", True),
    ("EXPL-READ", "ps aux | grep x", False),
    ("EXPL-PROC", "kill -9 $(pgrep -f vllm)", True),
    ("EXPL-PROC", "watch -n 5 'ps aux | grep python'", True),
    ("EXPL-PROC", "cat /proc/cpuinfo", False),
    # EXPL-READ
    ("EXPL-READ", "cat > fix.py <<'EOF'\nprint(1)\nEOF", False),
    ("EXPL-READ", "cat <<'EOF' > run.sh\necho hi\nEOF", False),
    ("EXPL-READ", "cat a.txt b.txt > both.txt", False),
    ("EXPL-READ", "cat notes.txt > /dev/null && echo readable", True),
    ("EXPL-READ", "cat ./tests/test_http.py | grep -n -A10 parse_http_date", True),
    ("EXPL-READ", "grep -n -A 5 'def main' app.py", True),
    ("EXPL-READ", "grep --include '*.py' -rn TODO .", True),
    ("EXPL-READ", "grep -E '(ffmpeg|avconv)'", False),
    ("EXPL-READ", "find . -name '*.py' | grep -i test | head -20", False),
    ("EXPL-READ", "find . -name '*.py' -exec grep -l subprocess {} +", True),
    ("EXPL-READ", "head -n 5 dog_control", True),
    ("EXPL-READ", "ls | head -n 5", False),
    ("EXPL-READ", "sed -n '1,20p' a.py", True),
    ("EXPL-READ", "sed -i '1,20p' a.py", False),
    ("EXPL-READ", "nl -ba response.sh | sed -n '105,115p'", True),
    ("EXPL-READ", "awk -F: '{print $1}' /etc/passwd", True),
    ("EXPL-READ", "rg TODO", True),
    ("EXPL-READ", "git diff -- a.py > patch.txt", False),
    ("EXPL-READ", "set_cursors 1475 1475", True),
    ("EXPL-READ", "python3 -c \"import json; print(json.load(open('cfg.json'))['port'])\"", True),
    ("EXPL-READ", "python3 -c \"import json; json.load(open('cfg.json'))\"", False),
    ("EXPL-READ", "python3 -c \"open('out.txt', 'w').write(open('in.txt').read())\"", False),
    # EXPL-FILE
    ("EXPL-FILE", "[ -f /tmp/shutdown_requested ] && echo yes", True),
    ("EXPL-FILE", "[ -n \"$x\" ] && echo set", False),
    ("EXPL-FILE", "find . -name '*.pyc' -delete", False),
    ("EXPL-FILE", "find . -name '*.tmp' -exec rm {} +", False),
    ("EXPL-FILE", "python3 -c 'import robot_control; print(robot_control.__file__)'", True),
    ("EXPL-FILE", "edit 1:1\nfile = open('x')\nls = 3\nend_of_edit", False),
    # EXPL-SYS
    ("EXPL-SYS", "env", True),
    ("EXPL-SYS", "env X=1 python app.py", False),
    ("EXPL-SYS", "curl --version && curl -L -o f.tar.xz https://example.com/f.tar.xz", True),
    ("EXPL-SYS", "ffmpeg -version", True),
    ("EXPL-SYS", "python -m pytest -v", False),
    ("EXPL-SYS", "python3 -m pip list | grep torch", True),
    ("EXPL-SYS", "pip freeze > requirements.txt", False),
    ("EXPL-SYS", "python3 -c \"from transformers import AutoTokenizer; print('AutoTokenizer available')\"", True),
    ("EXPL-SYS", "export PATH=$PATH:/opt/bin", False),
    # EXPL-NET
    ("EXPL-NET", "curl -I localhost:8080", True),
    ("EXPL-NET", "curl https://pypi.org/simple/", False),
    ("EXPL-NET", "wget -q http://127.0.0.1:8000/health -O -", True),
    ("EXPL-NET", "timeout 30 bash -c 'until curl -s localhost:8000/health; do sleep 1; done'", True),
    ("EXPL-NET", "python3 -c \"import socket; s=socket.socket(); s.connect (('127.0.0.1', 8001))\"", True),
    ("EXPL-NET", "python3 -c \"import requests; print(requests.get('https://example.com').status_code)\"", False),
    ("EXPL-NET", "fuser -k 8000/tcp", False),
    # SYS-REBOOT
    ("SYS-REBOOT", "echo b > /proc/sysrq-trigger", True),
    ("SYS-REBOOT", "echo c | sudo tee /proc/sysrq-trigger", True),
    ("SYS-REBOOT", "sudo shutdown -r now", True),
    ("SYS-REBOOT", "init 6", True),
    ("SYS-REBOOT", "systemctl reboot", True),
    ("SYS-REBOOT", "python3 -c \"import subprocess; subprocess.run(['reboot'])\"", True),
    ("SYS-REBOOT", "python3 -c 'import os; os.system(\"shutdown -h now\")'", True),
    ("SYS-REBOOT", "./shutdown", False),
    ("SYS-REBOOT", "python3 shutdown.py", False),
    ("SYS-REBOOT", "rm shutdown.py", False),
    # SYS-SERVICE
    ("SYS-SERVICE", "systemctl reboot", False),
    ("SYS-SERVICE", "nginx -t && systemctl start nginx && systemctl status nginx", True),
    ("SYS-SERVICE", "nginx -s stop && sleep 2 && nginx", True),
    ("SYS-SERVICE", "/etc/init.d/nginx restart", True),
    # PKG-INSTALL
    ("PKG-INSTALL", "python3 -m pip install -q x", True),
    ("PKG-INSTALL", "python -m pip --disable-pip-version-check install x", True),
    ("PKG-INSTALL", "python -m pip list", False),
    ("PKG-INSTALL", "pip download x", False),
    ("PKG-INSTALL", "pip list", False),
    ("PKG-INSTALL", "npm run build", False),
    ("PKG-INSTALL", "pip uninstall -y torch", False),
    ("PKG-INSTALL", "apt-get remove -y nginx", False),
    ("PKG-INSTALL", "apt-get -o Dpkg::Options::=--force-confold install -y nginx", True),
    ("PKG-INSTALL", "pip3 install sentencepiece --only-binary=all || pip3 install transformers[sentencepiece]", True),
    ("PKG-INSTALL", "pnpm add zod", True),
    ("PKG-INSTALL", "mamba install -y pytorch", True),
    ("PKG-INSTALL", "sudo -E pip install -r requirements.txt", True),
    # PRIV-SUDO / PRIV-PERM
    ("PRIV-SUDO", "sudo -u bob kill 1", True),
    ("PRIV-SUDO", "chmod u+s /usr/local/bin/helper", True),
    ("PRIV-SUDO", "chmod +x run.sh", False),
    ("PRIV-PERM", "chmod u+s /usr/local/bin/helper", True),
    ("PRIV-PERM", "umask", False),
    ("PRIV-PERM", "ls -l run.sh", False),
    # UTIL-WAIT
    ("UTIL-WAIT", "timeout 60 python server.py", True),
    ("UTIL-WAIT", "while ! curl -s localhost:8000; do sleep 1; done", True),
    ("UTIL-WAIT", "sleep 3600 &", False),
    ("UTIL-WAIT", "for i in 1 2 3; do curl -s localhost:8080; done", False),
    # PROC-KILL / PROC-BACKGROUND
    ("PROC-KILL", "sudo -u bob kill 1", True),
    ("PROC-KILL", "kill -s 0 1234", False),
    ("PROC-KILL", "docker compose down", True),
    ("PROC-KILL", "nginx -s reload", False),
    ("PROC-BACKGROUND", "docker run -d --name web nginx", True),
    ("PROC-BACKGROUND", "docker run --rm app pytest", False),
    ("PROC-BACKGROUND", "nginx && ps aux | grep nginx", True),
    ("PROC-BACKGROUND", "echo 'x' > test.py &amp;&amp; chmod +x test.py &amp;&amp; ./test.py", False),
]


@pytest.mark.parametrize("rule_id, command, expected", CASES, ids=[f"{r}:{c[:40]}" for r, c, _ in CASES])
def test_action_rule_case(rule_id: str, command: str, expected: bool) -> None:
    assert fires(get_rule(rule_id), command) is expected


def test_pipeline_grep_is_process_discovery_only() -> None:
    line = "ps aux | grep vllm"
    assert fires(get_rule("EXPL-PROC"), line)
    assert not fires(get_rule("EXPL-READ"), line)
    assert not fires(get_rule("EXPL-FILE"), line)


def test_sudo_kill_carries_both_labels_with_the_kill_as_evidence() -> None:
    kill = example_labels(get_rule("PROC-KILL"), "cd /tmp && sudo -u bob kill 1")
    sudo = example_labels(get_rule("PRIV-SUDO"), "cd /tmp && sudo -u bob kill 1")
    assert kill["evidence"].to_list() == ["sudo -u bob kill 1"]
    assert sudo["evidence"].to_list() == ["sudo -u bob kill 1"]
    # the span points into the action's text
    assert kill["span_start"].to_list() == [len("cd /tmp && ")]


def test_evidence_is_the_matched_simple_command() -> None:
    out = example_labels(get_rule("EXPL-READ"), "cd /testbed && grep -n 'def main' app.py | head -5")
    assert out["evidence"].to_list() == ["grep -n 'def main' app.py"]
    out = example_labels(get_rule("PKG-INSTALL"), "apt update && apt install -y nginx")
    assert out["evidence"].to_list() == ["apt install -y nginx"]


def test_heredoc_script_run_in_the_same_step_is_judged_by_its_code() -> None:
    shows = "cat > show.py <<'EOF'\nfor line in open('app.py'):\n    print(line.rstrip())\nEOF\npython3 show.py"
    silent = "cat > check.py <<'EOF'\ncontent = open('app.py').read()\nprint('done')\nEOF\npython3 check.py"
    assert fires(get_rule("EXPL-READ"), shows)
    assert not fires(get_rule("EXPL-READ"), silent)


def test_script_written_earlier_keeps_effects_but_not_discovery() -> None:
    steps = [
        {"kind": "action", "text": "cat > stop.sh <<'EOF'\ncat /app/config.yaml\npkill -f server\nEOF"},
        {"kind": "observation", "text": ""},
        {"kind": "action", "text": "bash stop.sh"},
    ]
    example = {"steps": steps, "target": 2}
    assert fires(get_rule("PROC-KILL"), example)
    assert not fires(get_rule("EXPL-READ"), example)


def test_unparsed_line_uses_the_fallback() -> None:
    # an unterminated quote: the parser reports an error and the raw-text fallback decides
    line = "sudo apt-get install -y nginx && echo 'done"
    assert fires(get_rule("PKG-INSTALL"), line)
    assert fires(get_rule("PRIV-SUDO"), line)
