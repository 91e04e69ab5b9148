"""Nothing a transcript holds can drive the terminal: every control character is shown, not obeyed."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from click.testing import CliRunner

from redline.cli import main
from redline.text import for_terminal

#: sequences a hostile transcript might carry, and what each would do if printed raw
HOSTILE = {
    "window title": "\x1b]0;you have been pwned\x07",
    "window title, ST": "\x1b]2;title\x1b\\",
    "screen clear": "\x1b[2J\x1b[H",
    "alternate screen": "\x1b[?1049h",
    "OSC 8 link": "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
    "colour": "\x1b[31;1mred\x1b[0m",
    "C1 CSI": "\x9b2J",
    "C1 OSC": "\x9d0;title\x9c",
    "bell and backspace": "ok\x07\x08\x08\x08no",
    "carriage return overwrite": "rm -rf /\rls -la   ",
    "bidi override": "\u202eexe.txt\u202c",
    "bidi isolate": "\u2066admin\u2069",
    "zero width": "r\u200bm -rf",
    "tag characters": "ok\U000e0049\U000e0047\U000e004e",
    "line separator": "a\u2028b",
    "NUL and DEL": "a\x00b\x7fc",
}


def _unsafe(text: str) -> list[str]:
    """Characters a terminal would act on, or that hide or reorder text."""
    bad = []
    for ch in text:
        if ch in "\n\t":
            continue
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Zl", "Zp", "Cs") or 0xE0000 <= ord(ch) <= 0xE007F:
            bad.append(f"U+{ord(ch):04X}")
    return bad


@pytest.mark.parametrize("name", HOSTILE)
def test_for_terminal_leaves_no_control_character(name):
    shown = for_terminal(HOSTILE[name])
    assert not _unsafe(shown), name
    assert shown  # nothing silently disappears


def test_for_terminal_shows_what_was_there():
    assert for_terminal("\x1b]0;t\x07") == "␛]0;t␇"
    assert for_terminal("\x9b2J") == "<U+009B>2J"
    assert for_terminal("\u202eabc") == "<U+202E>abc"
    assert for_terminal("a\rb") == "a␍b"
    assert for_terminal("line 1\r\nline 2\n\tindented") == "line 1\nline 2\n\tindented"
    assert for_terminal("plain text, ünïcödé, 日本語, emoji 🙂") == "plain text, ünïcödé, 日本語, emoji 🙂"


def _hostile_transcript(write_traj):
    payload = "".join(HOSTILE.values())
    steps = [(f"echo '{payload}'", f"output {payload}", 0),
             (f"ls {HOSTILE['OSC 8 link']}", HOSTILE["screen clear"] + "Traceback: boom", 1)]
    return write_traj("evil__x-1", steps, model="model" + HOSTILE["window title"])


def _check(output: str, where: str) -> None:
    assert not _unsafe(output), f"{where} printed {_unsafe(output)}"


def test_every_command_that_prints_transcript_text_shows_control_characters(tmp_path, write_traj):
    path = _hostile_transcript(write_traj)
    db = str(tmp_path / "evil.duckdb")
    runner = CliRunner()

    res = runner.invoke(main, ["ingest", str(path.parent), "--db", db])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["classify", "--db", db])
    assert res.exit_code == 0, res.output
    trial = json.loads(runner.invoke(main, ["trials", "--db", db, "--json"]).output)[0]["trial_id"]

    for args in (["trials"], ["show", trial], ["show", trial, "--full"],
                 ["sql", "SELECT * FROM events"], ["sql", "SELECT * FROM commands"],
                 ["sql", "SELECT * FROM current_labels"], ["sql", "SELECT * FROM trials", "--json"],
                 ["trials", "--json"], ["trials", "--format", "csv"], ["trials", "--format", "json"],
                 ["sql", "SELECT * FROM events", "--format", "csv"],
                 ["sql", "SELECT * FROM events", "--format", "json"]):
        res = runner.invoke(main, [*args, "--db", db])
        assert res.exit_code == 0, (args, res.output)
        _check(res.output, " ".join(args))
    shown = runner.invoke(main, ["show", trial, "--full", "--db", db]).output
    assert "␛]0;you have been pwned␇" in shown and "<U+202E>" in shown


def test_errors_and_file_names_are_shown_safely(tmp_path, write_traj):
    runner = CliRunner()
    db = str(tmp_path / "evil.duckdb")
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / "bad\x1b]0;pwned\x07.json"
    bad.write_text("{not json", encoding="utf-8")
    res = runner.invoke(main, ["ingest", str(bad), "--db", db])
    assert "bad␛]0;pwned␇.json" in res.output  # the file is named, harmlessly
    _check(res.output, "ingest")
    res = runner.invoke(main, ["sql", 'SELECT "\x1b]0;pwned\x07" FROM trials', "--db", db])
    assert res.exit_code == 2 and "␛]0;pwned␇" in res.output
    _check(res.output, "sql error")
    res = runner.invoke(main, ["rule", "\x1b[2J"])
    assert res.exit_code == 2
    _check(res.output, "rule error")
    res = runner.invoke(main, ["show", "\x1b]0;x\x07", "--db", db])
    _check(res.output, "show error")


def test_eval_misses_show_gold_commands_safely(tmp_path, write_traj):
    path = _hostile_transcript(write_traj)
    db = str(tmp_path / "evil.duckdb")
    runner = CliRunner()
    runner.invoke(main, ["ingest", str(path.parent), "--db", db])
    runner.invoke(main, ["classify", "--db", db])
    gold = tmp_path / "gold.jsonl"
    rows = [{"item_id": "g\x1b[2J", "source": "t", "file": path.name, "ordinal": 2,
             "command": "ls " + HOSTILE["OSC 8 link"], "action": ["PROC-KILL"], "observation": [], "message": []},
            {"item_id": "g2", "source": "t", "file": "missing\u202e.json", "ordinal": 1,
             "command": HOSTILE["window title"], "action": ["FS-DELETE"], "observation": [], "message": []}]
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    res = runner.invoke(main, ["eval", str(gold), "--db", db])
    assert res.exit_code == 0, res.output
    _check(res.output, "eval")
    assert re.search(r"FN g␛\[2J", res.output)
