"""Keystrokes typed into a full-screen editor: which belong to it, and whether they saved a file.

An agent that drives a terminal by keystrokes (``tmux send-keys``) edits a file by starting an
editor and typing into it: ``vim app.py``, ``i``, the text, Escape, ``:wq``, Enter. Those
keystrokes are not shell commands. :func:`steps` groups the typed lines of a recording into
shell commands and editor sessions; a session holds the keys typed until the editor exits and
says whether the file was written:

- vi, vim, nvim: an ex command typed in normal mode that writes (``:w``, ``:wq``, ``:x``,
  ``:up``, ``:sav``...), or ``ZZ``; it exits on ``:q``, ``:wq``, ``:x``, ``ZZ``, ``ZQ``;
- nano, pico: ``C-o`` or ``C-s`` writes; ``C-x`` exits, and a ``y`` typed next (the answer to
  "save modified buffer?") writes;
- emacs: ``C-x C-s`` writes, ``C-x C-c`` exits.

A line typed with the harness's wait suffix (``; tmux wait -S done``) is always a shell
command: the harness waits only on commands it sends to the shell, so an editor the agent
left open without a recognised exit does not swallow the rest of the recording.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from ..text import truncate
from .limits import MAX_SESSION_KEYS
from .terminal import Typed

#: editor programs by the family whose keys they take
EDITORS = {"vi": "vi", "vim": "vi", "nvim": "vi", "vim.basic": "vi", "vim.tiny": "vi", "nano": "nano",
           "pico": "nano", "emacs": "emacs"}
_WRAPPERS = {"sudo", "env", "command", "exec", "nohup"}
_INFO_FLAGS = {"--version", "-h", "--help", "-v", "--usage"}
_VI_WRITE = re.compile(r"^:\s*(?:\d+,\d+\s*)?(?:w|wq|wqa|wqall|x|xa|xall|xit|exi|exit|up|update|sav|saveas|write)!?(?:\s|$)")
_VI_QUIT = re.compile(r"^:\s*(?:q|qa|qall|quit|wq|wqa|wqall|x|xa|xall|xit|exi|exit|cq)!?\s*$")
#: normal-mode commands that enter insert mode: what follows is text, until Escape
_VI_INSERT = re.compile(r"^[iaoIAOsScCR]")


def editor_of(command: str) -> str | None:
    """The editor program a typed shell command starts, or None."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    while words and (words[0] in _WRAPPERS or "=" in words[0] or (words[0].startswith("-") and len(words) > 1)):
        words = words[1:]
    if not words or words[0].rsplit("/", 1)[-1] not in EDITORS:
        return None
    if _INFO_FLAGS & set(words[1:]):
        return None
    return words[0].rsplit("/", 1)[-1]


@dataclass
class Session:
    """An editor started by a typed command, and the keys typed into it."""

    start: Typed
    command: str
    program: str
    keys: list[str] = field(default_factory=list)
    saved: bool = False
    closed: bool = False
    _normal: bool = True      # vi: in normal mode (else inserting text)
    _last_key: str = ""       # the key before this one (nano and emacs chords)
    _asked: bool = False      # nano: exiting, its "save modified buffer?" may be answered next

    @property
    def family(self) -> str:
        return EDITORS[self.program]

    def feed(self, entry: Typed) -> Typed | None:
        """Take one typed entry; what follows the editor's exit in it (``ZZ`` is typed without
        Enter, so the next command runs on) comes back as an entry for the shell."""
        if self._asked:  # nano asked whether to save the modified buffer
            self._asked = False
            if not entry.key and entry.text.strip().lower() in ("y", "yes", "n", "no"):
                self.keys.append(entry.text)
                self.saved = self.saved or entry.text.strip().lower().startswith("y")
                return None
            return entry
        self.keys.append(entry.text)
        rest = getattr(self, f"_{self.family}")(entry)
        self._last_key = entry.text if entry.key else ""
        if rest:
            self.keys[-1] = entry.text[: len(entry.text) - len(rest)]
            return Typed(entry.line, entry.time, rest)
        return None

    def _vi(self, entry: Typed) -> str | None:
        text = entry.text.strip()
        if entry.key:
            if entry.text == "Esc":
                self._normal = True
            return None
        if not self._normal:
            return None  # text typed into the buffer
        if text.startswith(("ZZ", "ZQ")):
            self.saved = self.saved or text.startswith("ZZ")
            self.closed = True
            return text[2:].strip() or None
        if text.startswith(":"):
            self.saved = self.saved or bool(_VI_WRITE.match(text))
            self.closed = bool(_VI_QUIT.match(text))
        elif _VI_INSERT.match(text):
            self._normal = False
        return None

    def _nano(self, entry: Typed) -> None:
        if entry.text in ("C-o", "C-s"):
            self.saved = True
        elif entry.text == "C-x":
            self.closed = self._asked = True

    def _emacs(self, entry: Typed) -> None:
        if self._last_key == "C-x" and entry.text == "C-s":
            self.saved = True
        elif self._last_key == "C-x" and entry.text == "C-c":
            self.closed = True

    def attrs(self) -> dict:
        keys = [truncate(k, 200, "...") for k in self.keys[:MAX_SESSION_KEYS]]
        out = {"editor": self.program, "keys": keys, "saved": self.saved}
        if len(self.keys) > MAX_SESSION_KEYS:
            out["more_keys"] = len(self.keys) - MAX_SESSION_KEYS
        return out


def steps(typed: list[Typed], command_of, is_shell_command) -> list[Typed | Session]:
    """Typed shell commands (keys dropped) and editor sessions, in order.

    ``command_of(entry)`` gives the command an entry runs (the harness's suffix removed);
    ``is_shell_command(entry)`` says an entry can only be a shell command.
    """
    out: list[Typed | Session] = []
    session: Session | None = None
    for entry in typed:
        if session is not None and (not session.closed or session._asked):
            if not is_shell_command(entry):
                rest = session.feed(entry)
            elif session.family == "vi" and session._normal and entry.text.lstrip().startswith(("ZZ", "ZQ")):
                rest = session.feed(entry)  # the exit typed just before the next command
            else:
                rest = entry
            if rest is None:
                continue
            entry = rest
        session = None
        if entry.key:
            continue
        command = command_of(entry)
        program = editor_of(command)
        if program is not None:
            session = Session(entry, command, program)
            out.append(session)
        else:
            out.append(entry)
    return out
