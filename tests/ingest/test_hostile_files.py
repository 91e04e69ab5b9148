"""Small crafted files that used to take gigabytes: each now gives a clean error or a bounded
result. Peak memory is measured in a separate process (``ru_maxrss``) against a generous bound."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from redline.ingest import safezip
from redline.ingest.limits import MAX_TERMINAL_SIZE
from redline.ingest.loader import process_file

#: every hostile file must be handled in less memory than this
PEAK_RSS_BOUND = 1024**3

_MEASURE = """
import json, resource, sys
from redline.ingest.loader import process_file
result = process_file(sys.argv[1])
print(json.dumps({"status": result.status, "error": result.error, "events": result.n_events,
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
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
    out = bytearray()
    central = bytearray()
    for name, packed, crc, size in entries:
        raw_name = name.encode()
        offset = len(out)
        out += struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0x21, crc, len(packed), size,
                           len(raw_name), 0) + raw_name + packed
        central += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 8, 0, 0x21, crc, len(packed),
                               size, len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def _header_entries() -> list[tuple[str, bytes, int, int]]:
    header = json.dumps({"version": 2, "status": "success", "eval": {"task": "t", "model": "m"}}).encode()
    return [("header.json", *_deflated(header)), ("_journal/start.json", *_deflated(header))]


def _sample(size: int) -> bytes:
    """A valid sample entry of about ``size`` bytes that deflates about 1000:1."""
    head = b'{"id": "s", "epoch": 1, "messages": [{"role": "user", "content": "'
    tail = b'"}]}'
    return head + b"A" * (size - len(head) - len(tail)) + tail


def test_thousands_of_small_entries_that_inflate_gigabytes_are_refused(tmp_path):
    packed, crc, size = _deflated(_sample(1024**2))  # 1 MiB: under the ratio floor on its own
    entries = _header_entries() + [(f"samples/s{i}_epoch_1.json", packed, crc, size) for i in range(6000)]
    path = _zip(tmp_path / "many.eval", entries)
    assert path.stat().st_size < 10 * 1024**2 and size / len(packed) > 900
    measured = _ingest_measured(path)
    assert measured["status"] == "error"
    assert "zip bomb" in measured["error"] and "6002 entries" in measured["error"]
    assert measured["peak_rss"] < PEAK_RSS_BOUND


def test_entries_that_lie_about_their_size_are_refused_while_streaming(tmp_path):
    packed, crc, size = _deflated(_sample(1024**2))
    entries = _header_entries() + [(f"samples/s{i}_epoch_1.json", packed, crc, 2000) for i in range(3000)]
    path = _zip(tmp_path / "lying.eval", entries)
    measured = _ingest_measured(path)
    assert measured["status"] == "error"
    # zipfile stops a deflated entry at its declared size, so the data no longer matches its CRC
    assert measured["error"].startswith("damaged zip entry samples/s0_epoch_1.json: Bad CRC-32")
    assert measured["peak_rss"] < PEAK_RSS_BOUND


def test_the_archive_budget_counts_every_entry(tmp_path, monkeypatch):
    monkeypatch.setattr(safezip, "MAX_ARCHIVE_BYTES", 3 * 1024**2)
    noise = [("samples/n%d_epoch_1.json" % i, *_deflated(os.urandom(1024**2 - 100))) for i in range(4)]
    path = _zip(tmp_path / "big.eval", _header_entries() + noise)
    result = process_file(str(path))
    assert result.status == "error"
    assert "inflate to" in result.error and f"(limit {3 * 1024**2})" in result.error
