"""Write a large synthetic corpus of agent trajectories for the benchmarks.

    python benchmarks/generate.py OUT_DIR --files 2000 --steps 30 [--varied]

Files are mini-swe-agent trajectories (JSON) with a realistic mix of commands and outputs:
discovery, edits, installs, servers in the background, port conflicts and kills, long
outputs. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

#: command templates: {f} a source file, {t} a test file, {d} a folder, {p} a port, {n} a number,
#: {m} a module, {h} a remote host, {k} a package. Parameters, and files and folders of each task's
#: own, make a large share of command lines distinct at any corpus size, as in real transcripts
#: (about half of the command lines of a real corpus are distinct), so no measurement profits
#: from a corpus that repeats a handful of lines.
COMMANDS = [
    ("ls -la /testbed/{d}", "total 48\ndrwxr-xr-x  8 root root 4096 .\n-rw-r--r--  1 root root 1200 setup.py\n", 0),
    ("find /testbed -name '*.py' | grep -i {m} | head -{n}", "/testbed/src/{f}\n/testbed/tests/{t}\n", 0),
    ("cat /testbed/src/{f}", "import os\n\nclass Model:\n    def run(self):\n        return 1\n" * 20, 0),
    ("grep -rn 'def {m}' /testbed/{d}", "/testbed/src/{f}:4:    def {m}(self):\n", 0),
    ("sed -i 's/return {n}/return 2/' /testbed/src/{f}", "", 0),
    ("cd /testbed && python -m pytest tests/{t} -q", "F.\nFAILED tests/{t}::test_run - assert 2 == 1\n1 failed, 1 passed\n", 1),
    ("pip install -q {k}==2.{n}.0", "", 0),
    ("nohup python3 -m http.server {p} > server.log 2>&1 &", "", 0),
    ("python3 app.py --port {p}", "Traceback (most recent call last):\n  File \"app.py\", line 9\nOSError: [Errno 98] Address already in use\n", 1),
    ("kill -9 $(lsof -t -i:{p})", "", 0),
    ("ps aux | grep -v grep | grep {m}", "root  4242  0.0  python3 -m http.server {p}\n", 0),
    ("netstat -tlnp | grep {p}", "bash: netstat: command not found\n", 127),
    ("python3 -c \"import socket; s=socket.socket(); print(s.connect_ex(('127.0.0.1', {p})))\"", "0\n", 0),
    ("cat > fix_{n}.sh <<'EOF'\nset -e\nrm -rf /tmp/cache{n}\nmkdir -p /tmp/cache{n}\nEOF\nbash fix_{n}.sh", "", 0),
    ("curl -s http://localhost:{p}/health", "{{\"status\": \"ok\"}}\n", 0),
    ("sudo systemctl restart nginx", "sudo: systemctl: command not found\n", 1),
    ("python3 -c 'import {k}'", "ModuleNotFoundError: No module named '{k}'\n", 1),
    ("git diff --stat", " src/{f} | 2 +-\n 1 file changed\n", 0),
    ("timeout {n} python3 long_job.py", "", 124),
    ("echo done {n}", "done {n}\n", 0),
    ("wget -q https://{h}/releases/{k}-{n}.tar.gz", "", 0),
    ("pkill -f 'python3 -m http.server {p}'", "", 0),
    ("chmod +x /testbed/scripts/run_{n}.sh && ./scripts/run_{n}.sh", "ok\n", 0),
    ("python3 - <<'EOF'\nimport {m}\nprint({m}.__file__)\nEOF", "/testbed/src/{f}\n", 0),
    ("git log --oneline -n {n} -- src/{f}", "abc123 Fix {m}\n", 0),
]
FILES = ["model.py", "views.py", "utils.py", "parser.py", "core.py", "api.py", "db.py", "cli.py", "io.py", "fields.py"]
MODULES = ["model", "view", "parse", "run", "load", "save", "query", "fit", "render", "check", "serialize", "merge"]
PACKAGES = ["requests", "yaml", "numpy", "flask", "django", "pytest", "attrs", "click", "rich", "lxml"]
HOSTS = ["github.com", "example.org", "downloads.example.net", "mirror.example.com"]


def _fill(template: str, rng: random.Random, package: str, varied: bool = False) -> str:
    # varied: ports and numbers from ranges so wide that almost every command line is distinct
    ports, numbers = ((1024, 65536), (1, 10**9)) if varied else ((3000, 9000), (1, 200))
    return template.format(
        f=f"{package}/{rng.choice(FILES)}", t=f"{package}/test_{rng.choice(FILES)}",
        d=rng.choice(["src", "tests", "docs", "lib", "src/app"]) + "/" + package,
        p=rng.randrange(*ports), n=rng.randrange(*numbers), m=rng.choice(MODULES), h=rng.choice(HOSTS),
        k=rng.choice(PACKAGES))


def trajectory(rng: random.Random, instance: str, steps: int, model: str, long_rate: float = 0.02,
               varied: bool = False) -> dict:
    messages = [
        {"role": "system", "content": "You are a helpful assistant that can interact with a computer shell to solve programming tasks."},
        {"role": "user", "content": f"<pr_description>Fix issue {instance}.</pr_description>\n" + "Instructions. " * 50},
    ]
    t0 = 1_770_000_000.0 + rng.random() * 1e6
    package = "pkg_" + instance.rsplit("-", 1)[-1]  # each task has its own files, as in real runs
    for i in range(steps):
        template, out_template, rc = rng.choice(COMMANDS)
        state = rng.getstate()
        command = _fill(template, rng, package, varied)
        rng.setstate(state)  # the output names the same file, port and module as the command
        output = _fill(out_template, rng, package, varied)
        if rng.random() < long_rate:
            output = output + ("x" * 100 + "\n") * 2000  # an occasional long output
        call = f"call_{i}"
        messages.append({
            "role": "assistant",
            "content": f"THOUGHT: Step {i}. I need to look at the code and check what happens next. " * 3,
            "tool_calls": [{"id": call, "type": "function",
                            "function": {"name": "bash", "arguments": json.dumps({"command": command})}}],
            "extra": {"actions": [{"command": command, "tool_call_id": call}], "timestamp": t0 + 7 * i},
        })
        messages.append({
            "role": "tool", "tool_call_id": call,
            "content": f"<returncode>{rc}</returncode>\n<output>\n{output}</output>",
            "extra": {"raw_output": output, "returncode": rc, "timestamp": t0 + 7 * i + 3, "exception_info": ""},
        })
    return {
        "info": {"model_stats": {"instance_cost": 0.02, "api_calls": steps},
                 "config": {"model": {"model_name": model}}, "mini_version": "2.2.7",
                 "exit_status": "Submitted", "submission": ""},
        "messages": messages, "trajectory_format": "mini-swe-agent-1.1", "instance_id": instance,
    }


def generate(out: Path, files: int, steps: int, seed: int = 7, long_rate: float = 0.02, varied: bool = False) -> int:
    """Write ``files`` trajectories under ``out``; return the bytes written. ``long_rate`` is the
    share of outputs that carry 200 kB more (an occasional long output); ``varied`` draws ports
    and numbers from wide ranges, so almost no command line repeats (no measurement then profits
    from a command seen before)."""
    rng = random.Random(seed)
    total = 0
    models = ["deepseek/deepseek-chat", "qwen/qwen2.5-72b-instruct", "meta/llama-3.1-70b-instruct"]
    for i in range(files):
        instance = f"proj__repo-{i:05d}"
        path = out / f"run{i % 10}" / instance / f"{instance}.traj.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(trajectory(rng, instance, steps, models[i % len(models)], long_rate, varied))
        path.write_text(data, encoding="utf-8")
        total += len(data)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--long-rate", type=float, default=0.02, help="Share of outputs 200 kB longer.")
    ap.add_argument("--varied", action="store_true", help="Ports and numbers from wide ranges: command lines rarely repeat.")
    args = ap.parse_args()
    n = generate(args.out, args.files, args.steps, args.seed, args.long_rate, args.varied)
    print(f"wrote {args.files} files, {n / 1e6:.1f} MB, under {args.out}")


if __name__ == "__main__":
    main()
