"""Steps of transcripts in real formats, for the analysis tests to write (imported by module
path, not through ``conftest``, whose name pytest gives to whichever conftest it met first)."""

from __future__ import annotations


def fudan_round(thought: str, command: str, stdout: str = "", stderr: str = "", **extra) -> dict:
    """One round of a Fudan scaffold log (see tools.sample.writers)."""
    return {"thought": thought, "command": command, "stdout": stdout, "stderr": stderr, **extra}


def mini_step(thought: str, command: str, output: str = "", returncode: int = 0, **extra) -> dict:
    """One step of a mini-swe-agent trajectory (stdout and stderr merged)."""
    return {"thought": thought, "command": command, "stdout": output, "returncode": returncode, **extra}
