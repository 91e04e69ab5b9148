"""Terminal recordings of agents at work: a command exactly as wide as the pane, a full-screen
``tmux attach``, and files edited by typing into an editor through keystrokes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from redline import classify
from redline.ingest import ingest
from redline.ingest import terminal_bench as tb
from redline.ingest.editor_keys import editor_of
from redline.ingest.terminal import Terminal, typed_lines

FIXTURE_RUN = Path(__file__).resolve().parent.parent / "fixtures" / "terminal-bench" / "2026-01-02__09-58-00"
PROMPT = "\x1b[?2004hroot@box:/app# "


def _write_cast(path: Path, records: list, width: int = 80, height: int = 24) -> Path:
    header = {"version": 2, "width": width, "height": height, "timestamp": 1767347880}
    path.write_text("\n".join(json.dumps(x) for x in [header, *records]) + "\n", encoding="utf-8")
    return path


def _typed(t: float, keys: str, echo: str) -> list:
    """The agent sends ``keys`` (a shell command and Enter); the pane shows ``echo`` and a prompt."""
    return [[t, "i", keys], [t + 0.01, "o", echo + PROMPT]]


def _events(path: Path) -> list[tuple]:
    trial = next(tb.read(path))
    return [(e.kind, e.tool, e.text, e.action_seq) for e in trial.events]


# --------------------------------------------------------------------------- a command as wide as the pane


def test_a_command_exactly_as_wide_as_the_pane_is_an_action(tmp_path):
    run = tmp_path / "run"
    shutil.copytree(FIXTURE_RUN, run)
    cast = next(run.rglob("agent.cast"))
    command = "grep -rn 'listen 8080' /etc/nginx/sites-enabled/ /etc/nginx/conf.d/ | head -n 30"
    assert len(command) == 80  # the pane's width: rich prints it on a row of its own
    text = cast.read_text(encoding="utf-8")
    assert text.count("ss -ltnp | grep :8080") == 1
    cast.write_text(text.replace("ss -ltnp | grep :8080", command), encoding="utf-8")
    trial = next(tb.read(cast))
    actions = [e.text for e in trial.actions()]
    assert actions[0] == command
    original = next(tb.read(next(FIXTURE_RUN.rglob("agent.cast"))))
    assert len(actions) == len(original.actions())


# --------------------------------------------------------------------------- tmux attach


TMUX_SCREEN = (
    "\x1b[?1049h\x1b[H\x1b[2J\x1b[1;23r"        # alternate screen, clear, scroll region above the status line
    "\x1b[H" + "root@box:/srv# "
    + "\x1b[24;1H\x1b[30m\x1b[42m[work] 0:bash*" + " " * 50 + "\x1b[0m"
    + "\x1b[1;16H"
)


def test_steps_after_tmux_attach_are_kept_with_their_output(tmp_path):
    path = _write_cast(tmp_path / "agent.cast", [
        [0.0, "o", PROMPT],
        *_typed(1.0, "ls\r", "ls\r\nnotes.txt\r\n"),
        [2.0, "i", "tmux attach -t work\r"],
        [2.01, "o", "tmux attach -t work\r\n\x1b[?2004l\r" + TMUX_SCREEN],
        [3.0, "i", "echo inside\r"],
        # tmux redraws the pane: the command line, then its output on the next row
        [3.01, "o", "\x1b[1;16Hecho inside\x1b[2;1Hinside\x1b[3;1Hroot@box:/srv# "],
        [4.0, "i", "\x02d"],                          # C-b d: detach
        [4.01, "o", "\x1b[?1049l[detached (from session work)]\r\n" + PROMPT],
        *_typed(5.0, "cat notes.txt\r", "cat notes.txt\r\nhello\r\n"),
    ])
    assert _events(path) == [
        ("action", "keystrokes", "ls", None),
        ("observation", None, "notes.txt", 0),
        ("action", "keystrokes", "tmux attach -t work", None),
        ("observation", None, "[work] 0:bash*" + " " * 50, 2),  # what tmux showed: its status line
        ("action", "keystrokes", "echo inside", None),
        ("observation", None, "inside\n[detached (from session work)]", 4),  # C-b d is a key, not a step
        ("action", "keystrokes", "cat notes.txt", None),
        ("observation", None, "hello", 6),
    ]


def test_a_full_screen_redraw_never_overwrites_earlier_rows():
    term = Terminal(height=5, width=20)
    term.feed("one\r\ntwo\r\n", 1, 0.1)
    term.feed("\x1b[?1049h\x1b[H\x1b[2J\x1b[3;1Hthird row", 2, 0.2)
    term.feed("\x1b[3;1Hredrawn", 3, 0.3)
    term.feed("\x1b[?1049lback\r\n", 4, 0.4)
    rows = [(r.text, r.line) for r in term.finish() if r.text]
    assert rows == [("one", 1), ("two", 1), ("redrawnow", 3), ("back", 4)]


def test_a_scroll_region_keeps_the_status_line_below():
    term = Terminal(height=4, width=20)
    term.feed("\x1b[?1049h\x1b[H\x1b[2J\x1b[1;3r\x1b[4;1Hstatus\x1b[1;1H", 1, 0.1)
    term.feed("a\r\nb\r\nc\r\nd\r\n", 2, 0.2)
    assert [r.text for r in term.finish() if r.text] == ["a", "b", "c", "d", "status"]


def test_tmux_keys_and_terminal_answers_are_not_typed_text():
    typed = typed_lines([(1, 0.1, "\x1b]11;rgb:0000/0000/0000\x1b\\ls\r"), (2, 0.2, "\x02d"), (3, 0.3, "pwd\r")])
    assert [(t.text, t.key) for t in typed] == [("ls", False), ("C-b d", True), ("pwd", False)]


# --------------------------------------------------------------------------- editing through keystrokes


def _editor_cast(tmp_path: Path, keys: list, name: str = "agent.cast") -> Path:
    """``vim notes.txt`` or another editor session, then ``cat notes.txt``."""
    records = [[0.0, "o", PROMPT]]
    t = 1.0
    for sent, shown in keys:
        records += [[t, "i", sent], [t + 0.01, "o", shown]]
        t += 1
    records += _typed(t, "cat notes.txt; tmux wait -S done\r", "cat notes.txt; tmux wait -S done\r\nhello world\r\n")
    return _write_cast(tmp_path / name, records)


VIM_SAVE = [
    ("vim notes.txt\r", "vim notes.txt\r\n\x1b[?1049h\x1b[H\x1b[2J~\r\n~\r\n\"notes.txt\" [New]"),
    ("ihello world", "\x1b[1;1Hhello world"),
    ("\x1b", ""),
    (":wq\r", "\x1b[24;1H:wq\r\n\"notes.txt\" [New] 1L, 12B written\x1b[?1049l\r\n" + PROMPT),
]


def test_an_edit_saved_in_vim_is_one_edit_file_action(tmp_path):
    path = _editor_cast(tmp_path, VIM_SAVE)
    trial = next(tb.read(path))
    actions = trial.actions()
    assert [(a.text, a.tool) for a in actions] == [("vim notes.txt", "edit_file"), ("cat notes.txt", "keystrokes")]
    assert actions[0].attrs == {"editor": "vim", "keys": ["ihello world", "Esc", ":wq"], "saved": True}


def test_keys_typed_into_an_editor_that_saved_are_labelled_as_a_write(tmp_path, con):
    _editor_cast(tmp_path, VIM_SAVE)
    ingest([tmp_path], con)
    classify(con)
    labels = con.execute("SELECT e.text, l.label_id FROM labels l JOIN events e USING (trial_id, seq) "
                         "WHERE l.label_id LIKE 'FS-%' OR l.label_id = 'CODE-EXEC' ORDER BY e.seq").fetchall()
    assert labels == [("vim notes.txt", "FS-WRITE")]


@pytest.mark.parametrize("keys, saved", [
    ([("vim notes.txt\r", ""), ("ihello", ""), ("\x1b", ""), (":q!\r", "")], False),
    ([("vim notes.txt\r", ""), ("ihello", ""), ("\x1b:w\r", ""), (":q\r", "")], True),  # Escape and :w in one batch
    ([("vim notes.txt\r", ""), ("ihello\x1b", ""), ("ZZ", "")], True),
    ([("nano notes.txt\r", ""), ("hello world", ""), ("\x0f", ""), ("\r", ""), ("\x18", "")], True),
    ([("nano notes.txt\r", ""), ("hello world", ""), ("\x18", ""), ("y\r", ""), ("\r", "")], True),
    ([("nano notes.txt\r", ""), ("hello world", ""), ("\x18", ""), ("n\r", "")], False),
    ([("emacs -nw notes.txt\r", ""), ("hello world", ""), ("\x18\x13", ""), ("\x18\x03", "")], True),
], ids=["vim-quit-without-saving", "vim-w-then-q", "vim-ZZ", "nano-write-out", "nano-exit-yes",
        "nano-exit-no", "emacs-save"])
def test_editor_sessions_say_whether_they_saved(tmp_path, keys, saved):
    trial = next(tb.read(_editor_cast(tmp_path, keys)))
    first, second = trial.actions()
    assert first.tool == ("edit_file" if saved else "keystrokes") and first.attrs["saved"] is saved
    assert second.text == "cat notes.txt"  # the editor's keys did not become commands


def test_a_command_the_harness_waits_on_ends_an_editor_left_in_a_way_not_recognised(tmp_path):
    keys = [("vim notes.txt\r", ""), ("ihello\x1b", ""), (":silent! wq\r", "")]
    trial = next(tb.read(_editor_cast(tmp_path, keys)))
    assert [(a.text, a.tool, a.attrs.get("saved")) for a in trial.actions()] == [
        ("vim notes.txt", "keystrokes", False), ("cat notes.txt", "keystrokes", None)]


@pytest.mark.parametrize("command, editor", [
    ("vim notes.txt", "vim"), ("sudo -E nano /etc/hosts", "nano"), ("EDITOR=x /usr/bin/vi a", "vi"),
    ("vim --version", None), ("cat vim.txt", None), ("emacs -nw a.el", "emacs"),
])
def test_editor_commands_are_recognised(command, editor):
    assert editor_of(command) == editor
