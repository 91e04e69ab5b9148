"""Write a large synthetic corpus of agent trajectories for the benchmarks.

    python benchmarks/generate.py OUT_DIR --files 2000 --steps 30

Files are mini-swe-agent trajectories (JSON) with a realistic mix of commands and outputs:
discovery, edits, installs, servers in the background, port conflicts and kills, long
outputs. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

COMMANDS = [
    ("ls -la /testbed", "total 48\ndrwxr-xr-x  8 root root 4096 .\n-rw-r--r--  1 root root 1200 setup.py\n", 0),
    ("find /testbed -name '*.py' | grep -i model | head -20", "/testbed/src/model.py\n/testbed/tests/test_model.py\n", 0),
    ("cat /testbed/src/model.py", "import os\n\nclass Model:\n    def run(self):\n        return 1\n" * 20, 0),
    ("grep -rn 'def run' /testbed/src", "/testbed/src/model.py:4:    def run(self):\n", 0),
    ("sed -i 's/return 1/return 2/' /testbed/src/model.py", "", 0),
    ("cd /testbed && python -m pytest tests/test_model.py -q", "F.\nFAILED tests/test_model.py::test_run - assert 2 == 1\n1 failed, 1 passed\n", 1),
    ("pip install -q requests==2.31.0", "", 0),
    ("nohup python3 -m http.server 8000 > server.log 2>&1 &", "", 0),
    ("python3 app.py --port 8000", "Traceback (most recent call last):\n  File \"app.py\", line 9\nOSError: [Errno 98] Address already in use\n", 1),
    ("kill -9 $(lsof -t -i:8000)", "", 0),
    ("ps aux | grep -v grep | grep python", "root  4242  0.0  python3 -m http.server 8000\n", 0),
    ("netstat -tlnp | grep 8000", "bash: netstat: command not found\n", 127),
    ("python3 -c \"import socket; s=socket.socket(); print(s.connect_ex(('127.0.0.1', 8000)))\"", "0\n", 0),
    ("cat > fix.sh <<'EOF'\nset -e\nrm -rf /tmp/cache\nmkdir -p /tmp/cache\nEOF\nbash fix.sh", "", 0),
    ("curl -s http://localhost:8000/health", "{\"status\": \"ok\"}\n", 0),
    ("sudo systemctl restart nginx", "sudo: systemctl: command not found\n", 1),
    ("python3 -c 'import yaml'", "ModuleNotFoundError: No module named 'yaml'\n", 1),
    ("git diff --stat", " src/model.py | 2 +-\n 1 file changed\n", 0),
    ("timeout 10 python3 long_job.py", "", 124),
    ("echo done", "done\n", 0),
]


def trajectory(rng: random.Random, instance: str, steps: int, model: str) -> dict:
    messages = [
        {"role": "system", "content": "You are a helpful assistant that can interact with a computer shell to solve programming tasks."},
        {"role": "user", "content": f"<pr_description>Fix issue {instance}.</pr_description>\n" + "Instructions. " * 50},
    ]
    t0 = 1_770_000_000.0 + rng.random() * 1e6
    for i in range(steps):
        command, output, rc = rng.choice(COMMANDS)
        if rng.random() < 0.02:
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


def generate(out: Path, files: int, steps: int, seed: int = 7) -> int:
    """Write ``files`` trajectories under ``out``; return the bytes written."""
    rng = random.Random(seed)
    total = 0
    models = ["deepseek/deepseek-chat", "qwen/qwen2.5-72b-instruct", "meta/llama-3.1-70b-instruct"]
    for i in range(files):
        instance = f"proj__repo-{i:05d}"
        path = out / f"run{i % 10}" / instance / f"{instance}.traj.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(trajectory(rng, instance, steps, models[i % len(models)]))
        path.write_text(data, encoding="utf-8")
        total += len(data)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    n = generate(args.out, args.files, args.steps, args.seed)
    print(f"wrote {args.files} files, {n / 1e6:.1f} MB, under {args.out}")


if __name__ == "__main__":
    main()
