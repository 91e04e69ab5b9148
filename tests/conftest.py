"""Shared fixtures: small transcripts in real formats, written by the tests themselves."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

# the registry's cache of rule versions goes to a folder of the test session's own, never the user's
os.environ["REDLINE_CACHE"] = tempfile.mkdtemp(prefix="redline-tests-cache-")

import redline  # noqa: E402


def mini_swe_traj(instance_id: str, steps: list[tuple[str, str, int]], model: str = "deepseek/deepseek-chat") -> dict:
    """A mini-swe-agent trajectory: each step is (command, output, returncode)."""
    messages = [
        {"role": "system", "content": "You are a helpful assistant that can interact with a computer shell."},
        {"role": "user", "content": f"<pr_description>Fix the bug in {instance_id}</pr_description>"},
    ]
    t0 = 1775813100.0
    for i, (command, out, rc) in enumerate(steps):
        call_id = f"call_{i}"
        messages.append({
            "role": "assistant", "content": f"THOUGHT: step {i}: I will run a command.",
            "tool_calls": [{"id": call_id, "type": "function",
                            "function": {"name": "bash", "arguments": json.dumps({"command": command})}}],
            "extra": {"actions": [{"command": command, "tool_call_id": call_id}], "timestamp": t0 + 10 * i},
        })
        messages.append({
            "role": "tool", "tool_call_id": call_id,
            "content": f"<returncode>{rc}</returncode>\n<output>\n{out}</output>",
            "extra": {"raw_output": out, "returncode": rc, "timestamp": t0 + 10 * i + 2, "exception_info": ""},
        })
    return {
        "info": {"model_stats": {"instance_cost": 0.01, "api_calls": len(steps)},
                 "config": {"model": {"model_name": model}, "agent": {}},
                 "mini_version": "2.2.7", "exit_status": "Submitted", "submission": ""},
        "messages": messages,
        "trajectory_format": "mini-swe-agent-1.1",
        "instance_id": instance_id,
    }


@pytest.fixture
def write_traj(tmp_path: Path):
    def write(name: str, steps: list[tuple[str, str, int]], folder: str = "runs", **kw) -> Path:
        path = tmp_path / folder / name / f"{name}.traj.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(mini_swe_traj(name, steps, **kw)), encoding="utf-8")
        return path
    return write


@pytest.fixture
def con(tmp_path: Path):
    connection = redline.connect(tmp_path / "test.duckdb")
    yield connection
    connection.close()
