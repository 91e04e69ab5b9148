"""The layers hold: no module imports a layer above its own, and no imports run in a cycle.

The contracts are in ``pyproject.toml`` (``[tool.importlinter]``) and checked with import-linter.
Its import graph counts every import, including those inside functions and under
``TYPE_CHECKING``, so a cycle cannot hide behind an import placed inside a function. The layers
contract is exhaustive: a new top-level module fails it until it is placed in a layer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "redline"


def _lint(package_parent: Path) -> subprocess.CompletedProcess:
    """import-linter on the package under ``package_parent`` (first on the path), with the
    contracts of the project's ``pyproject.toml``, which it reads from the working directory."""
    env = dict(os.environ, PYTHONPATH=str(package_parent))
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(lint), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_the_project_keeps_its_layers_and_has_no_import_cycles():
    result = _lint(SOURCE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    parent = tmp_path / "src"
    shutil.copytree(SOURCE, parent / "redline", ignore=shutil.ignore_patterns("__pycache__", "data", "templates"))
    path = parent / "redline" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return parent


@pytest.mark.parametrize("module, line, broken", [
    ("ingest/loader.py", "from ..classifiers import engine", "Layers"),
    ("db.py", "def _late():\n    from .cli import app", "Layers"),
    ("classifiers/frames.py", "def _late():\n    from . import engine", "No import cycles"),
])
def test_an_upward_import_or_a_cycle_breaks_the_contracts(tmp_path, module, line, broken):
    result = _lint(_copy_with(tmp_path, module, line))
    assert result.returncode != 0
    assert broken in result.stdout and "BROKEN" in result.stdout, result.stdout

