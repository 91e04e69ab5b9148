"""tree-sitter-bash plumbing: the shared parser and the node types the walk dispatches on."""

from __future__ import annotations

import threading
from typing import Any

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


def ts_parse(data: bytes) -> Any:
    """The tree-sitter tree of ``data`` (UTF-8 bytes)."""
    parser = _get_parser()
    with _PARSER_LOCK:  # a tree-sitter Parser is not safe to share between threads
        return parser.parse(data)


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
