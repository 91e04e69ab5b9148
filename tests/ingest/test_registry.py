"""Formats register through the ``redline.formats`` entry point group, built-ins and plugins alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import duckdb

from redline.ingest import registry
from redline.ingest.base import Format

BUILT_IN_ORDER = [
    "fudan-log", "mini-swe-agent", "terminal-bench", "inspect-ai", "swe-agent", "openhands-v1", "openhands",
    "palisade", "claude-code", "codex", "otel-genai", "chat-json",
]

PLUGIN = '''
"""A third party's format: lines of "$ command" followed by the output they printed."""
from pathlib import Path

from redline.events import Event, Trial


class StepLog:
    name = "step-log"
    description = "Step logs: '$ command' lines followed by their output"
    detect_order = 5
    sidecars = ()

    def sniff(self, path: Path, head: bytes) -> bool:
        return head.startswith(b"#steplog")

    def read(self, path: Path):
        trial = Trial(format=self.name, source_path=str(path), agent="step-logger")
        action = None
        for number, line in enumerate(path.read_text().splitlines()[1:], start=2):
            if line.startswith("$ "):
                action = trial.add(Event(kind="action", text=line[2:], role="assistant", source_line=number))
            elif action is not None:
                trial.add(Event(kind="observation", text=line, role="tool", action_seq=action.seq,
                                source_line=number))
        yield trial


FORMAT = StepLog()
'''


def _install_plugin(site: Path, module: str, source: str, value: str) -> None:
    """Lay out a package as pip would: the module and a dist-info naming its entry point."""
    (site / f"{module}.py").write_text(source, encoding="utf-8")
    info = site / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[redline.formats]\n{value}\n", encoding="utf-8")


def _redline(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run([sys.executable, "-c", "from redline.cli import main; main()", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_built_in_formats_register_through_entry_points_in_the_old_detection_order():
    registered = {ep.name for ep in entry_points(group=registry.GROUP) if ep.value.startswith("redline.")}
    assert registered == set(BUILT_IN_ORDER)
    assert registry.names() == BUILT_IN_ORDER
    for fmt in registry.FORMATS:
        assert isinstance(fmt.format, Format)
        assert fmt.origin.startswith(f"{fmt.name} = redline.ingest.")


def test_a_plugin_format_registered_through_an_entry_point_is_detected(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install_plugin(site, "steplog_plugin", PLUGIN, "step-log = steplog_plugin:FORMAT")
    log = tmp_path / "run.txt"
    log.write_text("#steplog\n$ ls /tmp\nnotes.txt\n$ rm notes.txt\n", encoding="utf-8")
    db = tmp_path / "audit.duckdb"

    listed = _redline(site, "formats", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    names = [f["name"] for f in json.loads(listed.stdout)]
    assert names[0] == "step-log"  # detect_order 5: tried before the built-ins
    assert names[1:] == BUILT_IN_ORDER

    done = _redline(site, "ingest", str(log), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT format, status FROM ingested_files").fetchall() == [("step-log", "ok")]
    assert con.execute("SELECT format, agent FROM trials").fetchall() == [("step-log", "step-logger")]
    assert con.execute("SELECT kind, text, action_seq FROM events ORDER BY seq").fetchall() == [
        ("action", "ls /tmp", None), ("observation", "notes.txt", 0), ("action", "rm notes.txt", None)]
    assert con.execute("SELECT program FROM commands ORDER BY seq").fetchall() == [("ls",), ("rm",)]


def test_a_broken_plugin_is_named_and_the_built_ins_still_work(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install_plugin(site, "broken_plugin", "raise ImportError('missing dependency xyz')\n",
                    "broken = broken_plugin:FORMAT")
    _install_plugin(site, "not_a_format", "FORMAT = 42\n", "not-a-format = not_a_format:FORMAT")
    listed = _redline(site, "formats", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [f["name"] for f in json.loads(listed.stdout)] == BUILT_IN_ORDER
    assert "broken = broken_plugin:FORMAT failed to load: missing dependency xyz" in listed.stderr
    assert "not-a-format = not_a_format:FORMAT is not a format" in listed.stderr


def test_a_plugin_cannot_take_a_built_in_name(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    source = PLUGIN.replace('name = "step-log"', 'name = "codex"')
    _install_plugin(site, "impostor", source, "impostor = impostor:FORMAT")
    code = textwrap.dedent("""
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            from redline.ingest import registry
        print(registry.get("codex").origin)
        print(caught[0].message)
    """)
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(site)),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    origin, warning = out.stdout.splitlines()
    assert origin == "codex = redline.ingest.codex:FORMAT"
    assert "impostor = impostor:FORMAT is ignored" in warning
