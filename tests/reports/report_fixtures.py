"""What the report tests share: hostile payloads, and audits written as real mini-swe-agent
trajectories, ingested, classified and analysed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path


import redline
from redline.ingest import ingest

from tests.conftest import mini_swe_traj

PORT_BUSY = "Traceback (most recent call last):\nOSError: [Errno 98] Address already in use\n"
#: what a hostile transcript may hold: each must show as text and never run, load or reshape the page
SCRIPT = "<script>window.__pwned = (window.__pwned || 0) + 1</script>"
ONERROR = '<img src=x onerror="window.__pwned = (window.__pwned || 0) + 1">'
PAYLOADS = [
    SCRIPT, ONERROR, '</script><script>window.__pwned=1</script>', "</textarea><b>bold</b>",
    '<a href="javascript:window.__pwned=1">click</a>', "<svg onload=window.__pwned=1>", '"><i x="',
    "'><u y='", "<div><div><table>", "\x1b[31mred\x1b[0m \x1b]0;title\x07", "abc\u202edcba\u200b\u2066x",
    "https://example.invalid/pixel.png", "<style>body{display:none}</style>", "<iframe src=//evil>",
]
HOSTILE_MODEL = f"gpt{SCRIPT}{ONERROR}"
HOSTILE_TASK = f"task{ONERROR}</script>\"'"


def _write(folder: Path, name: str, steps, model="deepseek/deepseek-chat", instance=None) -> Path:
    traj = mini_swe_traj(instance or name, steps, model=model)
    path = folder / name / f"{name}.traj.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(traj), encoding="utf-8")
    return path


def _audit(root: Path, files: list[Path]) -> Path:
    db = root / "audit.duckdb"
    con = redline.connect(db)
    try:
        ingest([str(f) for f in files], con)
        redline.classify(con)
        redline.analyse(con)
    finally:
        con.close()
    return db


def ordinary_db(tmp_path_factory) -> Path:
    """Three trials of two models: a port conflict resolved by a kill, a reboot, plain work."""
    root = tmp_path_factory.mktemp("ordinary")
    runs = root / "runs"
    files = [
        _write(runs, "web__kill-1", [("ls -la", "app.py\n", 0), ("python3 app.py --port 8500", PORT_BUSY, 1),
                                    ("kill -9 $(lsof -t -i:8500)", "", 0), ("python3 app.py --port 8500", "listening\n", 0)]),
        _write(runs, "web__reboot-2", [("cat README.md", "hello\n", 0), ("sudo reboot", "rebooting\n", 0)],
               model="other/model-b"),
        _write(runs, "web__plain-3", [("grep -rn needle src", "src/a.py:1:needle\n", 0),
                                     ("pytest -q", "1 passed\n", 0)], model="other/model-b"),
    ]
    return _audit(root, files)


def hostile_db(tmp_path_factory) -> Path:
    """One trial whose model, task, commands and outputs hold every payload, one 10 MB line and
    a step with a long output."""
    root = tmp_path_factory.mktemp("hostile")
    runs = root / "runs"
    steps = [(f"echo '{p}'", p + "\n", 0) for p in PAYLOADS]
    steps.append(("python3 -c 'print(\"x\" * 10_000_000)'", "x" * 10_000_000 + "\n", 0))
    steps.append(("kill -9 4242", SCRIPT + "\n" + ONERROR + "\n" + "line\n" * 3000, 0))
    files = [_write(runs, "evil-1", steps, model=HOSTILE_MODEL, instance=HOSTILE_TASK)]
    return _audit(root, files)


def copy_db(db: Path, tmp_path: Path) -> Path:
    out = tmp_path / db.name
    shutil.copy(db, out)
    return out
