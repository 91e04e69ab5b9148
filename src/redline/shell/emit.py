"""Emitting rows: the walk's frames and state, wrapper peeling, and what a command launches.

:meth:`Emitter.finish` is where a simple command, given as words, becomes a
:class:`~redline.shell.parsed.SimpleCommand`: wrappers (``sudo``, ``timeout 5``,
``env A=1``...) are peeled off, and whatever the program runs is queued as nested work: the
``-c`` string of a shell, ``su -c``, ``eval``, the command ``xargs`` / ``find -exec`` /
``watch`` run, the command of a ``trap``, a script fed to a shell on stdin, and the ``$(...)`` in its
words.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from ..limits import MAX_COMMANDS, MAX_DEPTH
from .parsed import SimpleCommand
from .grammar import SUBSTITUTIONS
from .options import interpreter_code, shell_mode, skip_options
from .source import Source
from .vocabulary import (
    FIND_EXEC,
    COMMAND_OPTION,
    PRIVILEGED,
    SHELL_META,
    SWITCHES_USER,
    SHELLS,
    WRAPPERS,
    XARGS,
    is_interpreter,
)
from .words import Word, program_and_path, word_text_map


#: ``-c``, alone or ending a cluster of flags (``script -qc``, ``su -lc``)
_C_OPTION = re.compile(r"-[a-zA-Z]*c")


class TooManyCommands(Exception):
    """The line holds more than :data:`~redline.limits.MAX_COMMANDS` simple commands."""


class Frame:
    """Where commands found under a node go: context, depth, parent, the operator joining the
    first of them to what came before, background, inherited privilege, pipeline state."""

    __slots__ = ("ctx", "depth", "parent", "op", "bg", "sudo", "pipe")

    def __init__(self, ctx: str, depth: int, parent: int | None, op: str | None, bg: bool,
                 sudo: bool, pipe: list[Any] | None = None) -> None:
        self.ctx = ctx
        self.depth = depth
        self.parent = parent
        self.op = op
        self.bg = bg
        self.sudo = sudo
        self.pipe = pipe

    def but(self, op: str | None, bg: bool | None = None, pipe: Any = False,
            ctx: str | None = None) -> Frame:
        """This frame with another operator (and background, pipeline state, context)."""
        return Frame(ctx or self.ctx, self.depth, self.parent, op, self.bg if bg is None else bg,
                     self.sudo, self.pipe if pipe is False else pipe)


class Stdin(NamedTuple):
    """What a command reads on stdin, when the line says: a heredoc, a herestring, or the
    ``echo 'script'`` / ``cat <<EOF`` piped into it."""

    kind: str  # 'heredoc' | 'herestring' | 'echo'
    body: str  # what the command reads (tabs stripped for <<-)
    src: Source  # the body as a source to parse as commands
    node: Any = None  # unquoted heredoc body of the first parse: its $(...) run in this shell


def substitutions_under(nodes: list[Any]) -> list[Any]:
    """The outermost ``$(...)``/``<(...)`` nodes under ``nodes``, in document order."""
    found = []
    for node in nodes:
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type in SUBSTITUTIONS:
                found.append(n)
                continue
            if n.child_count:
                stack.extend(reversed(n.children))
    return found


class Emitter:
    """The walk's state and output, and the emission of one simple command's row.

    ``stack`` holds the walk's pending tasks, processed last-in first-out by
    :meth:`.walker.Walker.run`:

    * ``("st", node, src, frame, redirs)``: a statement node (``redirs``: redirections of an
      enclosing ``redirected_statement``, or None)
    * ``("ct", node, src, frame)``: a node whose children are statements in sequence
    * ``("sc", node, src, frame)``: a non-statement node that may hold ``$(...)``
    * ``("em", words, src, frame, span)``: a command given as words (what xargs / find -exec run)
    * ``("ns", src, frame)``: a nested source (bash -c string, eval, heredoc script) to parse
    """

    def __init__(self) -> None:
        self.out: list[SimpleCommand] = []
        self.error: str | None = None
        self.stack: list[tuple[Any, ...]] = []

    # -- bookkeeping -------------------------------------------------------------------------

    def fail(self, msg: str) -> None:
        """Record ``msg`` as the line's error unless an earlier one was recorded."""
        if self.error is None:
            self.error = msg

    def child_frame(self, ctx: str, depth: int, parent: int | None, bg: bool,
                    sudo: bool) -> Frame | None:
        """A frame one level down, or None (and an error) past :data:`MAX_DEPTH`."""
        if depth > MAX_DEPTH:
            self.fail("nesting too deep")
            return None
        return Frame(ctx, depth, parent, None, bg, sudo)

    def push_sorted(self, items: list[tuple[int, tuple[Any, ...]]]) -> None:
        """Push ``(position, task)`` items so that they run in position order."""
        if len(items) > 1:
            items.sort(key=lambda it: it[0])
        for _, task in reversed(items):
            self.stack.append(task)

    def scan(self, node: Any, src: Source, fr: Frame, parent: int | None = None) -> None:
        """Find ``$(...)``/``<(...)`` under a non-statement node and walk them as substitutions."""
        found = substitutions_under([node])
        if not found:
            return
        sfr = self.child_frame("substitution", fr.depth + 1,
                               fr.parent if parent is None else parent, fr.bg, fr.sudo)
        if sfr is None:
            return
        for n in reversed(found):
            self.stack.append(("ct", n, src, sfr))

    # -- rows --------------------------------------------------------------------------------

    def row(self, program: str | None, path: str | None, argv: list[str], src: Source,
            fr: Frame, cs: int, ce: int, wrappers: list[str], sudo: bool, redirects: list[str],
            heredoc: str | None) -> SimpleCommand:
        """Append the row for a command spanning ``src.text[cs:ce]``; past
        :data:`~redline.limits.MAX_COMMANDS` rows, the walk stops (:class:`TooManyCommands`)."""
        if len(self.out) >= MAX_COMMANDS:
            raise TooManyCommands
        s, e = src.orig(cs, ce)
        row = SimpleCommand(
            idx=len(self.out), program=program, path=path, argv=argv, wrappers=wrappers,
            sudo=sudo, background=fr.bg, operator=fr.op, context=fr.ctx, parent_idx=fr.parent,
            depth=fr.depth, redirects=redirects, heredoc=heredoc, text=src.text[cs:ce],
            span_start=s, span_end=e,
        )
        self.out.append(row)
        return row

    def launch(self, row: SimpleCommand, nested: list[Any], ctx: str, nsrc: Source,
               pos: int) -> None:
        """Queue a nested source (bash -c string, eval, stdin script) run by ``row``."""
        cfr = self.child_frame(ctx, row.depth + 1, row.idx, row.background, row.sudo)
        if cfr is not None:
            nested.append((pos, ("ns", nsrc, cfr)))

    def launch_words(self, row: SimpleCommand, nested: list[Any], ws: list[Word],
                     src: Source) -> None:
        """Queue the command that ``row`` (xargs, find -exec) runs, given as words."""
        if not ws:
            return
        cfr = self.child_frame("xargs", row.depth + 1, row.idx, row.background, row.sudo)
        if cfr is not None:
            nested.append((ws[0].s, ("em", ws, src, cfr, (ws[0].s, ws[-1].e))))

    def finish(self, words: list[Word], redirects: list[str], stdin: Stdin | None,
               src: Source, fr: Frame, span: tuple[int, int], scans: list[Any],
               scan: bool) -> None:
        """Peel wrappers off ``words``, emit the row, queue what it launches."""
        vals = [w.value for w in words]
        i = 0
        wrappers: list[str] = []
        sudo = False
        n = len(words)
        while i < n:
            name = vals[i].rsplit("/", 1)[-1]
            spec = WRAPPERS.get(name)
            if spec is None or words[i].exp:
                break
            j = skip_options(vals, i + 1, spec)
            if j is None or vals[j].startswith("-"):
                break  # (no command follows: ``flock /tmp/l -c 'cmd'`` is read below)
            if name == "watch" and j == n - 1 and any(c in SHELL_META for c in vals[j]):
                break  # ``watch 'ps aux | grep x'``: a shell command line, parsed below
            wrappers.append(name)
            if name in PRIVILEGED:
                sudo = True
            i = j
        pw = words[i]
        prog, path = program_and_path(pw)
        args = words[i + 1:]
        argv = [w.raw if w.exp else w.value for w in args]
        avals = vals[i + 1:]
        sudo = sudo or fr.sudo
        prev_feed: Stdin | None = None
        if fr.pipe is not None:
            prev_feed = fr.pipe[0]
            fr.pipe[0] = None
        cs, ce = span
        row = self.row(prog, path, argv, src, fr, cs, ce, wrappers, sudo, redirects,
                       stdin.body if stdin is not None else None)
        idx = row.idx
        nested: list[tuple[int, tuple[Any, ...]]] = []
        stdin_scanned = False
        skip: set[int] = set()  # word indexes whose $(...) the nested parse reports instead

        launch = self.launch
        if pw.exp:
            pass
        elif prog in SHELLS:
            k, reads_stdin = shell_mode(avals)
            if k is not None:
                w = args[k]
                body, pm = word_text_map(w, src)
                launch(row, nested, "bash-c", src.derive(body, pm, f"{prog} -c string"), w.s)
                skip.add(i + 1 + k)
            elif reads_stdin:
                feed = stdin or prev_feed
                if feed is not None:
                    launch(row, nested, "heredoc", feed.src, cs)
                    if feed is stdin:
                        stdin_scanned = True  # the nested parse reports its $(...)
        elif prog in COMMAND_OPTION:
            for k, v in enumerate(avals):
                if (v == "--command" or _C_OPTION.fullmatch(v)) and k + 1 < len(avals):
                    w = args[k + 1]
                    body, pm = word_text_map(w, src)
                    skip.add(i + 2 + k)
                elif v.startswith("--command="):
                    w = args[k]
                    body, pm = word_text_map(w, src)
                    cut = body.index("=") + 1
                    body, pm = body[cut:], pm[cut:]
                    skip.add(i + 1 + k)
                else:
                    continue
                if prog in SWITCHES_USER:
                    row.sudo = True  # su -c: the string runs as another user
                launch(row, nested, "bash-c", src.derive(body, pm, f"{prog} -c string"), w.s)
                break
        elif prog == "trap":
            # ``trap 'kill $PID' EXIT``: the string runs in this shell when the signal comes (or
            # it exits); ``trap - TERM`` and ``trap '' TERM`` run nothing
            k = 1 if avals[:1] == ["--"] else 0
            if len(avals) > k + 1 and avals[k] and not avals[k].startswith("-"):
                w = args[k]
                body, pm = word_text_map(w, src)
                launch(row, nested, "bash-c", src.derive(body, pm, "trap command"), w.s)
                skip.add(i + 1 + k)
        elif prog == "eval":
            if args:
                buf: list[str] = []
                pmap: list[int] = []
                for k, w in enumerate(args):
                    t, pm = word_text_map(w, src)
                    if k:
                        buf.append(" ")
                        pmap.append(pmap[-1] if pmap else w.s)
                    buf.append(t)
                    pmap.extend(pm)
                    skip.add(i + 1 + k)
                body = "".join(buf)
                launch(row, nested, "eval", src.derive(body, pmap, "eval string"), args[0].s)
        elif prog == "xargs":
            j = skip_options(avals, 0, XARGS)
            if j is not None:
                self.launch_words(row, nested, args[j:], src)
        elif prog == "find":
            k = 0
            while k < len(avals):
                if avals[k] in FIND_EXEC:
                    m = k + 1
                    while m < len(avals) and avals[m] not in (";", "+"):
                        m += 1
                    self.launch_words(row, nested, args[k + 1:m], src)
                    k = m
                k += 1
        elif prog == "watch":
            j = skip_options(avals, 0, WRAPPERS["watch"])
            if j is not None:
                ws = args[j:]
                if len(ws) == 1:
                    body, pm = word_text_map(ws[0], src)
                    skip.add(i + 1 + j)
                else:  # watch joins its arguments with spaces and runs them with sh -c
                    body = " ".join(w.value for w in ws)
                    pm = []
                    for w in ws:
                        if pm:
                            pm.append(pm[-1])
                        pm.extend(word_text_map(w, src)[1])
                    skip.update(range(i + 1 + j, i + 1 + j + len(ws)))
                launch(row, nested, "bash-c", src.derive(body, pm, "watch command"), ws[0].s)
        elif is_interpreter(prog):
            code, reads_stdin = interpreter_code(prog, avals)
            if code is None and reads_stdin:
                feed = stdin or prev_feed
                if feed is not None:
                    code = feed.body
            row.code = code

        if fr.pipe is not None and stdin is not None and prog == "cat" and not any(
            v != "-" for v in avals
        ):
            fr.pipe[0] = stdin
        elif fr.pipe is not None and prog == "echo" and len(args) == 1 and not args[0].exp:
            body, pm = word_text_map(args[0], src)
            fr.pipe[0] = Stdin("echo", body, src.derive(body, pm, "piped script"))
        elif fr.pipe is not None and prog == "printf" and len(args) == 1 and not args[0].exp:
            # ``printf 'import os\nos.kill(1, 9)\n' | python3``: the format's \n and \t are the
            # script's line breaks and tabs (each maps to its backslash)
            text, tpm = word_text_map(args[0], src)
            chars: list[str] = []
            pm = []
            k = 0
            while k < len(text):
                if text[k] == "\\" and k + 1 < len(text) and text[k + 1] in "nt\\":
                    chars.append({"n": "\n", "t": "\t", "\\": "\\"}[text[k + 1]])
                    pm.append(tpm[k])
                    k += 2
                    continue
                chars.append(text[k])
                pm.append(tpm[k])
                k += 1
            body = "".join(chars)
            fr.pipe[0] = Stdin("echo", body, src.derive(body, pm, "piped script"))

        if scan:
            if stdin is not None and stdin.node is not None and not stdin_scanned:
                scans.append(stdin.node)
            for k, w in enumerate(words):
                if w.exp and w.node is not None and k not in skip:
                    scans.append(w.node)
            found = substitutions_under(scans)
            if found:
                sfr = self.child_frame("substitution", row.depth + 1, idx, row.background, fr.sudo)
                if sfr is not None:
                    for x in found:
                        nested.append((src.cpos(x.start_byte), ("ct", x, src, sfr)))
        if nested:
            self.push_sorted(nested)
