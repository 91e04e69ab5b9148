"""Small crafted files that used to take gigabytes: each now gives a clean error or a bounded
result. Peak memory is measured in a separate process (``ru_maxrss``) against a generous bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from redline.ingest import safezip
from redline.ingest.limits import MAX_TERMINAL_SIZE
from redline.ingest.loader import process_file
from tests.hostile.mutations import deflated, raw_zip

#: every hostile file must be handled in less memory than this
PEAK_RSS_BOUND = 1024**3

# process_file runs in a child forked from a fresh interpreter and its peak RSS is read by
# wait4: a process started from pytest inherits pytest's own peak (Linux keeps it across exec).
_MEASURE = """
import json, os, sys
from redline.ingest.loader import process_file
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    result = process_file(sys.argv[1])
    os.write(w, json.dumps({"status": result.status, "error": result.error, "events": result.n_events}).encode())
    os._exit(0)
os.close(w)
data = b"".join(iter(lambda: os.read(r, 1 << 16), b""))
_, _, usage = os.wait4(pid, 0)
print(json.dumps({**json.loads(data), "peak_rss": usage.ru_maxrss * 1024}))
"""


def _ingest_measured(path: Path) -> dict:
    """``process_file`` on ``path`` in a fresh process, with that process's peak RSS in bytes."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True,
                         timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- terminal recordings


def _cursor_bomb(path: Path, width: int = 80, size: int = 143 * 1024) -> Path:
    """``ESC[99990C x CR LF`` records (each once padded a row to 100,000 cells), then a real step."""
    lines = [json.dumps({"version": 2, "width": width, "height": 24, "timestamp": 1767347880})]
    total, i = len(lines[0]), 0
    while total < size:
        lines.append(json.dumps([round(i / 1000, 3), "o", "\x1b[99990C x\r\n"]))
        total += len(lines[-1]) + 1
        i += 1
    t = i / 1000
    lines += [json.dumps([t, "o", "root@box:/app# "]), json.dumps([t + 1, "i", "ls\r"]),
              json.dumps([t + 1.01, "o", "ls\r\nnotes.txt\r\nroot@box:/app# "])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("width", [80, 10**9])
def test_cursor_moves_past_the_margin_stay_bounded(tmp_path, width):
    path = _cursor_bomb(tmp_path / "agent.cast", width=width)
    assert path.stat().st_size < 150 * 1024
    measured = _ingest_measured(path)
    assert measured["status"] == "ok"
    assert measured["peak_rss"] < PEAK_RSS_BOUND
    result = process_file(str(path))
    events = result.events.to_pylist()
    assert [(e["kind"], e["text"]) for e in events] == [("action", "ls"), ("observation", "notes.txt")]


def test_a_row_pushed_right_ends_at_the_margin():
    from redline.ingest.terminal import Terminal
    term = Terminal(height=24, width=40)
    term.feed("\x1b[99990Cx\r\n", 2, 0.1)
    term.feed("\x1b[1;99999Hy", 3, 0.2)
    rows = term.finish()
    assert rows[0].text == " " * 39 + "y"  # the second move stopped on the last column too
    assert all(len(r.text) <= 40 for r in rows)
    assert Terminal(10**9, 10**9).width == MAX_TERMINAL_SIZE


def test_a_recording_past_the_rendering_budget_is_cut_with_a_warning(tmp_path, monkeypatch):
    from redline.ingest import terminal
    monkeypatch.setattr(terminal, "MAX_TERMINAL_ROWS", 50)
    lines = [json.dumps({"version": 2, "width": 80, "height": 24})]
    lines += [json.dumps([i / 10, "o", f"line {i}\r\n"]) for i in range(200)]
    path = tmp_path / "agent.cast"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = process_file(str(path))
    assert result.status == "ok"
    assert "terminal output from cast line 51 on was not rendered" in result.error


# --------------------------------------------------------------------------- zip archives


def _zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip archive of already deflated entries: ``(name, deflated, crc, size)``, written raw so a
    test can build thousands of entries (or lie about sizes) without inflating anything."""
    path.write_bytes(raw_zip(entries))
    return path


def _header_entries() -> list[tuple[str, bytes, int, int]]:
    header = json.dumps({"version": 2, "status": "success", "eval": {"task": "t", "model": "m"}}).encode()
    return [("header.json", *deflated(header)), ("_journal/start.json", *deflated(header))]


def _sample(size: int) -> bytes:
    """A valid sample entry of about ``size`` bytes that deflates about 1000:1."""
    head = b'{"id": "s", "epoch": 1, "messages": [{"role": "user", "content": "'
    tail = b'"}]}'
    return head + b"A" * (size - len(head) - len(tail)) + tail


def test_thousands_of_small_entries_that_inflate_gigabytes_are_refused(tmp_path):
    packed, crc, size = deflated(_sample(1024**2))  # 1 MiB: under the ratio floor on its own
    entries = _header_entries() + [(f"samples/s{i}_epoch_1.json", packed, crc, size) for i in range(6000)]
    path = _zip(tmp_path / "many.eval", entries)
    assert path.stat().st_size < 10 * 1024**2 and size / len(packed) > 900
    measured = _ingest_measured(path)
    assert measured["status"] == "error"
    assert "zip bomb" in measured["error"] and "6002 entries" in measured["error"]
    assert measured["peak_rss"] < PEAK_RSS_BOUND


def test_entries_that_lie_about_their_size_are_refused_while_streaming(tmp_path):
    packed, crc, size = deflated(_sample(1024**2))
    entries = _header_entries() + [(f"samples/s{i}_epoch_1.json", packed, crc, 2000) for i in range(3000)]
    path = _zip(tmp_path / "lying.eval", entries)
    measured = _ingest_measured(path)
    assert measured["status"] == "error"
    # zipfile stops a deflated entry at its declared size, so the data no longer matches its CRC
    assert measured["error"].startswith("damaged zip entry samples/s0_epoch_1.json: Bad CRC-32")
    assert measured["peak_rss"] < PEAK_RSS_BOUND


def test_the_archive_budget_counts_every_entry(tmp_path, monkeypatch):
    monkeypatch.setattr(safezip, "MAX_ARCHIVE_BYTES", 3 * 1024**2)
    noise = [("samples/n%d_epoch_1.json" % i, *deflated(os.urandom(1024**2 - 100))) for i in range(4)]
    path = _zip(tmp_path / "big.eval", _header_entries() + noise)
    result = process_file(str(path))
    assert result.status == "error"
    assert "inflate to" in result.error and f"(limit {3 * 1024**2})" in result.error
