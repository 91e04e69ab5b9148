"""Parse a shell command line into the simple commands it runs.

Built on the maintained ``tree-sitter`` + ``tree-sitter-bash`` grammar (no hand-written splitting):
tree-sitter gives the syntax tree, this package walks it and turns every simple command into a
:class:`~redline.shell.parsed.SimpleCommand`, in source order, pre-order (a command comes
before the commands nested in it: ``$(...)``, ``bash -c "..."``, ``eval``, heredocs fed to a
shell, the command ``xargs`` runs).

Main entry point: :func:`parse`. It never raises.

Decisions worth knowing when writing rules on top of it:

* ``context`` is where a command came from: ``top``, ``pipeline`` (a member of a pipeline whose
  surrounding context would otherwise be ``top``), ``subshell`` (``( ... )`` and ``{ ...; }``),
  ``substitution`` (``$(...)``, backticks, ``<(...)``/``>(...)``), ``bash-c`` (``bash -c``,
  ``sh -c``, ``su -c``, and ``watch 'a | b'``), ``eval``, ``heredoc`` (script fed to a shell on
  stdin: ``bash <<EOF``, ``cat <<EOF | bash``, ``echo 'cmd' | sh``) and ``xargs`` (the command
  ``xargs`` runs; also the command of ``find -exec ... ;``).
* ``xargs`` keeps its own row (``program='xargs'``, full argv) and the command it runs is a child
  row (``context='xargs'``, ``parent_idx`` = the xargs row). Same for ``find -exec``.
* Compound statements (``if``/``while``/``for``/``case``/function bodies) do not add depth; the
  first command inside a compound statement or subshell inherits the operator that joins the
  compound to the previous command (``true && (rm x)`` gives ``rm`` the operator ``&&``).
* ``sudo`` is also set on every command launched *by* a privileged command (the children of
  ``sudo bash -c "..."``, ``su -c "..."``, ``sudo xargs rm``), not on ``$(...)`` children, which
  the calling shell runs.
* ``text``/``span`` of a command cover its words and redirections but not a heredoc body (the
  body is in ``heredoc``). For nested commands ``text`` is the text inside the nested string and
  the span is mapped back to the original line character by character (escapes included).
* A ``$(...)`` inside the command string of ``bash -c "..."``/``eval "..."`` is reported once,
  from the nested parse (its parent is the nested command), not also at the outer level.

Modules:

* :mod:`.vocabulary`: what is known about programs (shells, interpreters, wrappers and their
  option specs) and the limits; :mod:`.options` reads a program's argv with it.
* :mod:`.grammar`: the shared tree-sitter parser and the node types the walk dispatches on.
* :mod:`.source`: a piece of text being parsed (the line or a nested string) and the mapping of
  its offsets back to the line; :mod:`.heredocs`: the pre-pass that blanks heredocs out before
  the real parse.
* :mod:`.words`: quote and backslash removal with a position map.
* :mod:`.walker` (structure: statements, pipelines, lists), :mod:`.commands` (a simple
  command's words and redirections) and :mod:`.emit` (wrapper peeling, the row, what the command
  launches): the walk, three layers of one class.
* :mod:`.errors`: describing a syntax error.
* :mod:`.escaped`: a line a transcript stored HTML-escaped (``a &amp;&amp; b``) is parsed as
  the line that ran; its rows' ``text`` is the unescaped command, their spans point into the
  stored line.

A line of plain words only (letters, digits and ``_./:,-``, one space between words, the
first not a reserved word, nothing that runs nested commands) is read without tree-sitter: it
is one simple command whose words are the line split at its spaces, and it goes through the
same :meth:`~.emit.Emitter.finish` as a parsed one (:func:`parse_tree` always parses; both give
the same rows).

The parser's budget (:mod:`redline.limits`): a line is cut to :data:`MAX_LINE_CHARS` and just
before its pipe past :data:`MAX_PIPES`; tree-sitter gets :data:`PARSE_SECONDS` for the line and
its nested strings together (through its progress callback) and the walk records at most
:data:`MAX_COMMANDS` commands. Whatever a limit leaves out is named in ``ParsedLine.error``, so
the rules fall back to matching the line's text.
"""

from __future__ import annotations

import re
import time

from ..limits import MAX_COMMANDS, MAX_DEPTH, MAX_LINE_CHARS, MAX_PIPES, PARSE_SECONDS
from .parsed import ParsedLine, SimpleCommand  # noqa: F401 - importable from here too
from .emit import Frame, TooManyCommands
from .errors import describe_error
from .grammar import ParseTimeout
from .escaped import html_escaped_source
from .source import Source, load
from .vocabulary import INTERPRETERS, SHELLS, WRAPPERS, is_interpreter
from .walker import Walker
from .words import Word

__all__ = [
    "INTERPRETERS",
    "MAX_DEPTH",
    "MAX_LINE_CHARS",
    "ParsedLine",
    "SHELLS",
    "SimpleCommand",
    "WRAPPERS",
    "is_interpreter",
    "parse",
    "parse_tree",
]

#: a line of plain words (see the module's notes): nothing in it is quoted, escaped, expanded,
#: redirected, globbed, assigned, commented or joined by an operator
_PLAIN_LINE = re.compile(r"[A-Za-z0-9_./:,-]+(?: [A-Za-z0-9_./:,-]+)*")
#: the longest line read without tree-sitter
_PLAIN_MAX_CHARS = 1_000
#: words that make a line of plain words more than one simple command of those words: bash's
#: reserved words and declaration builtins (tree-sitter gives them nodes of their own), and the
#: programs whose arguments hold commands to parse (shells, ``su``, ``eval``, ``xargs``,
#: ``find``, ``watch``)
_NOT_PLAIN = frozenset({
    "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do",
    "done", "in", "function", "time", "coproc", "declare", "typeset", "export", "local",
    "readonly", "unset", "let", *SHELLS, "su", "eval", "xargs", "find", "watch",
})


def parse(line: str) -> ParsedLine:
    """Every simple command in a shell command line, in source order (pre-order for nesting).

    Never raises: a syntax error is reported in ``ParsedLine.error`` next to whatever commands
    could be recovered, and so is a limit that was reached (see the module's notes); an internal
    failure gives ``ParsedLine([], "parser failure: ...")``.
    """
    if line.__class__ is str and len(line) <= _PLAIN_MAX_CHARS and _PLAIN_LINE.fullmatch(line):
        words = _plain_words(line)
        if words is not None:
            try:
                walker = Walker()
                walker.finish(words, [], None, Source(line), Frame("top", 0, None, None, False, False),
                              (0, len(line)), [], scan=True)
                walker.run()  # nothing is queued for a plain line; run what would be
                return ParsedLine(walker.out, walker.error)
            except Exception:  # noqa: BLE001 - tree-sitter's parse says what went wrong
                pass
    return parse_tree(line)


def _plain_words(line: str) -> list[Word] | None:
    """The words of a line of plain words, or None when one of them makes it more (see
    :data:`_NOT_PLAIN`)."""
    words = []
    start = 0
    for value in line.split(" "):
        if value in _NOT_PLAIN:
            return None
        end = start + len(value)
        words.append(Word(start, end, value, value, False, None))
        start = end + 1
    return words


def parse_tree(line: str) -> ParsedLine:
    """:func:`parse`, always through tree-sitter."""
    try:
        if not isinstance(line, str):
            line = str(line)
        if not line.strip():
            return ParsedLine([], None)
        walker = Walker()
        timed_out = False
        line = _within_limits(line, walker)
        walker.deadline = time.monotonic() + PARSE_SECONDS
        src = html_escaped_source(line) or Source(line)
        top = Frame("top", 0, None, None, False, False)
        try:
            # the top-level source is loaded here so its syntax error wins over nested ones
            load(src, walker.deadline)
            root = src.tree.root_node
            if root.has_error:
                walker.fail(describe_error(root, src))
            walker.stack.append(("ct", root, src, top))
            walker.run()
        except ParseTimeout:
            timed_out = True
            walker.error = (f"parsing took over {PARSE_SECONDS:g} s and was stopped"
                            + (f" ({walker.error})" if walker.error else ""))
        except TooManyCommands:
            walker.error = (f"more than {MAX_COMMANDS} commands; the rest were not recorded"
                            + (f" ({walker.error})" if walker.error else ""))
        return ParsedLine(walker.out, walker.error, timed_out)
    except Exception as exc:  # noqa: BLE001 - parse must never raise
        return ParsedLine([], error=f"parser failure: {exc}")


def _within_limits(line: str, walker: Walker) -> str:
    """``line`` cut to :data:`MAX_LINE_CHARS` and before its pipe past :data:`MAX_PIPES`, the cut
    recorded as the walker's error."""
    if len(line) > MAX_LINE_CHARS:
        line = line[:MAX_LINE_CHARS]
        walker.fail(f"command line too long; parsed first {MAX_LINE_CHARS} characters")
    if line.count("|") > MAX_PIPES:
        at = -1
        for _ in range(MAX_PIPES + 1):
            at = line.find("|", at + 1)
        line = line[:at]
        walker.fail(f"more than {MAX_PIPES} '|' in the command line; parsed the first {at} characters")
    return line
