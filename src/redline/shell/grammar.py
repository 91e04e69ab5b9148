"""tree-sitter-bash plumbing: the shared parser, its time budget, and the node types the walk
dispatches on."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from ..limits import UNBUDGETED_BYTES


class ParseTimeout(Exception):
    """tree-sitter was cancelled: parsing the line took past its deadline."""

_PARSER: Any = None
_PARSER_LOCK = threading.Lock()


def _get_parser() -> Any:
    global _PARSER
    if _PARSER is None:
        with _PARSER_LOCK:
            if _PARSER is None:
                import tree_sitter_bash
                from tree_sitter import Language, Parser

                _PARSER = Parser(Language(tree_sitter_bash.language()))
    return _PARSER


#: a character of four UTF-8 bytes (outside the Basic Multilingual Plane)
_FOUR_BYTES = re.compile(rb"[\xf0-\xf7][\x80-\xbf]{3}")
#: what tree-sitter is shown instead: two letters of two bytes each, so byte offsets stay put
_STAND_IN = "\u00e9\u00e9".encode()


def crash_safe(data: bytes) -> bytes:
    """``data`` with every four-byte character after a ``{`` replaced by two two-byte letters.

    tree-sitter-bash 0.25.1 reads out of bounds, and on Linux may crash the process (SIGSEGV),
    on a ``{`` followed by some four-byte UTF-8 characters (tree-sitter/tree-sitter-bash#337,
    open; ``{`` then U+F0000 crashes within a few thousand parses here). Both are word
    characters to bash, and the byte length is the same, so the tree's shape and offsets are
    those of the real line; words are always read from the original text, never from the tree.
    """
    brace = data.find(b"{")
    if brace < 0 or not _FOUR_BYTES.search(data, brace):
        return data
    return data[:brace] + _FOUR_BYTES.sub(_STAND_IN, data[brace:])


def ts_parse(data: bytes, deadline: float | None = None) -> Any:
    """The tree-sitter tree of ``data`` (UTF-8 bytes).

    With a ``deadline`` (a :func:`time.monotonic` value), an input longer than
    :data:`UNBUDGETED_BYTES` is parsed under tree-sitter's progress callback, which cancels the
    parse once the deadline has passed: :class:`ParseTimeout` is raised then.
    """
    parser = _get_parser()
    data = crash_safe(data)
    with _PARSER_LOCK:  # a tree-sitter Parser is not safe to share between threads
        if deadline is None or len(data) <= UNBUDGETED_BYTES:
            return parser.parse(data)

        def read(offset: int, _point: Any) -> bytes:
            return data[offset:]

        def cancel(_offset: int, _has_error: bool) -> bool:
            return time.monotonic() > deadline

        try:
            return parser.parse(read, progress_callback=cancel)
        except ValueError:  # "Parsing failed": the callback cancelled it
            parser.reset()  # a cancelled parse would otherwise resume on the next call
            if time.monotonic() > deadline:
                raise ParseTimeout from None
            raise


# --------------------------------------------------------------------------------------------
# node types the walk dispatches on

#: word parts whose text is kept verbatim in a word's value (they make ``Word.exp`` true)
EXPANSIONS = frozenset(
    {"simple_expansion", "expansion", "command_substitution", "process_substitution",
     "arithmetic_expansion"}
)
#: commands run by the calling shell: ``$(...)``, backticks, ``<(...)``/``>(...)``
SUBSTITUTIONS = frozenset({"command_substitution", "process_substitution"})
#: word nodes whose value is their text with backslashes removed
PLAIN_WORDS = frozenset({"word", "number", "variable_name", "extglob_pattern", "test_operator",
                         "file_descriptor", "regex", "special_variable_name"})
#: nodes walked as statements (see ``Walker.statement``)
STATEMENTS = frozenset(
    {"command", "redirected_statement", "pipeline", "list", "subshell", "compound_statement",
     "negated_command", "test_command", "declaration_command", "unset_command",
     "variable_assignment", "variable_assignments", "if_statement", "while_statement",
     "for_statement", "c_style_for_statement", "case_statement", "function_definition"}
)
#: nodes whose statement children form a sequence joined by ';', '&' or newlines
CONTAINERS = frozenset(
    {"program", "do_group", "else_clause", "elif_clause", "case_item", "if_statement",
     "while_statement", "for_statement", "c_style_for_statement", "case_statement",
     "function_definition", "ERROR"}
)
#: separators that join statements with the operator ``;``
SEQ_SEPARATORS = frozenset({";", ";;", ";&", ";;&", "\n"})
REDIRECTS = frozenset({"file_redirect", "herestring_redirect", "heredoc_redirect"})
DECLARATIONS = frozenset({"declaration_command", "unset_command"})
