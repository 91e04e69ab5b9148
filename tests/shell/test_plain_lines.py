"""A line of plain words is read without tree-sitter: it must give exactly what the parse gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from redline import shell

PLAIN = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789_./:,-"
#: programs and words the shell parse treats specially, mixed in to catch a difference
SPECIAL = ["sudo", "timeout", "nohup", "env", "nice", "-n", "5", "python3", "-m", "-c", "node", "-e",
           "bash", "sh", "xargs", "find", "-exec", "watch", "eval", "su", "exec", "command", "builtin",
           "if", "then", "fi", "for", "in", "do", "done", "time", "export", "declare", "local", "unset",
           "let", "-", "--", ".", ":", "kill", "-9", "pkill", "-f", "rm", "-rf", "chmod", "+x", "cd", "%1",
           "1@", "3+:", "test", "true", "source", "exit", "!", "{", "}", "[", "]"]

words = st.one_of(st.text(PLAIN, min_size=1, max_size=12), st.sampled_from(SPECIAL))


@settings(max_examples=400, deadline=None)
@given(st.lists(words, min_size=1, max_size=8))
def test_a_line_of_plain_words_gives_what_the_tree_sitter_parse_gives(parts):
    line = " ".join(parts)
    assert shell.parse(line) == shell.parse_tree(line)


def test_plain_lines_give_one_command_with_its_wrappers_peeled():
    parsed = shell.parse("sudo timeout 5 python3 -m http.server 8000")
    assert parsed == shell.parse_tree("sudo timeout 5 python3 -m http.server 8000")
    [cmd] = parsed.commands
    assert (cmd.program, cmd.wrappers, cmd.argv, cmd.sudo) == ("python3", ["sudo", "timeout"],
                                                              ["-m", "http.server", "8000"], True)
    assert (cmd.text, cmd.span_start, cmd.span_end) == ("sudo timeout 5 python3 -m http.server 8000", 0, 42)


def test_lines_that_are_more_than_plain_words_are_parsed_as_before():
    for line in ("bash -c ls", "ls  -la", " ls", "ls\t-la", "A=1 ls", "find . -exec rm x", "if true",
                 "export A", "echo a # note", "ls *.py", "ls ~"):
        assert shell.parse(line) == shell.parse_tree(line)
