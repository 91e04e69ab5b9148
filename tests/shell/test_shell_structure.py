"""The shell parser on the structure of a line: empty input, lists, pipelines, operators and
background jobs, substitutions, compound statements."""

from __future__ import annotations

import pytest
from tests.shell.parsing import ok, summary

from redline.shell import parse
from redline.shell.parsed import ParsedLine, SimpleCommand


# --- empty input --------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["", "   ", "\n\t\n"])
def test_empty_line(line: str) -> None:
    assert parse(line) == ParsedLine([], None)


def test_comment_only_line() -> None:
    assert ok("# just a comment") == []


# --- lists, pipelines, operators, background ----------------------------------------------------


def test_list_and_pipeline_operators() -> None:
    cmds = ok("a && b || c; d & e | f")
    assert [c.program for c in cmds] == ["a", "b", "c", "d", "e", "f"]
    assert [c.operator for c in cmds] == [None, "&&", "||", ";", "&", "|"]
    assert [c.background for c in cmds] == [False, False, False, True, False, False]
    assert [c.context for c in cmds] == ["top", "top", "top", "top", "pipeline", "pipeline"]
    assert all(c.depth == 0 and c.parent_idx is None for c in cmds)
    assert [(c.span_start, c.span_end) for c in cmds] == [
        (0, 1), (5, 6), (10, 11), (13, 14), (17, 18), (21, 22)
    ]


def test_newlines_count_as_semicolons() -> None:
    cmds = ok("ls -la\n\n# comment\npwd # trailing")
    assert [(c.program, c.operator) for c in cmds] == [("ls", None), ("pwd", ";")]


def test_background_pipeline_marks_all_members() -> None:
    cmds = ok("sleep 1 | tee log & wait")
    assert [(c.program, c.background, c.operator) for c in cmds] == [
        ("sleep", True, None), ("tee", True, "|"), ("wait", False, "&"),
    ]


def test_background_list_item_marks_all_commands() -> None:
    cmds = ok("sleep 1 && kill %1 &")
    assert [(c.program, c.background, c.operator) for c in cmds] == [
        ("sleep", True, None), ("kill", True, "&&"),
    ]


def test_pipeline_members() -> None:
    cmds = ok("ps aux | grep -v grep | grep vllm")
    assert [(c.program, c.argv, c.operator, c.context) for c in cmds] == [
        ("ps", ["aux"], None, "pipeline"),
        ("grep", ["-v", "grep"], "|", "pipeline"),
        ("grep", ["vllm"], "|", "pipeline"),
    ]


def test_pipe_ampersand_is_a_pipe() -> None:
    cmds = ok("make 2>&1 |& tee build.log")
    assert [(c.program, c.operator) for c in cmds] == [("make", None), ("tee", "|")]


def test_git_sequence() -> None:
    cmds = ok("git diff --stat; git status")
    assert [(c.program, c.argv, c.operator, c.text) for c in cmds] == [
        ("git", ["diff", "--stat"], None, "git diff --stat"),
        ("git", ["status"], ";", "git status"),
    ]


# --- substitutions ------------------------------------------------------------------------------


def test_kill_lsof_substitution_full_rows() -> None:
    line = "kill $(lsof -t -i:8000)"
    assert ok(line) == [
        SimpleCommand(idx=0, program="kill", path="kill", argv=["$(lsof -t -i:8000)"],
                      text=line, span_start=0, span_end=23),
        SimpleCommand(idx=1, program="lsof", path="lsof", argv=["-t", "-i:8000"],
                      context="substitution", parent_idx=0, depth=1, text="lsof -t -i:8000",
                      span_start=7, span_end=22),
    ]


def test_substitution_kinds_and_preorder() -> None:
    line = "echo `date` $(whoami) ${HOME:-$(pwd)} && diff <(ls a) <(ls b)"
    cmds = ok(line)
    assert summary(cmds) == [
        ("echo", None, "top", 0, None),
        ("date", None, "substitution", 1, 0),
        ("whoami", None, "substitution", 1, 0),
        ("pwd", None, "substitution", 1, 0),
        ("diff", "&&", "top", 0, None),
        ("ls", None, "substitution", 1, 4),
        ("ls", None, "substitution", 1, 4),
    ]
    assert cmds[0].argv == ["`date`", "$(whoami)", "${HOME:-$(pwd)}"]
    for c in cmds:
        assert line[c.span_start:c.span_end] == c.text


def test_substitution_in_assignment_and_nested_substitution() -> None:
    cmds = ok("x=$(rm -rf /tmp/q $(echo y)); echo $x")
    assert summary(cmds) == [
        ("rm", None, "substitution", 1, None),
        ("echo", None, "substitution", 2, 0),
        ("echo", ";", "top", 0, None),
    ]
    assert cmds[0].argv == ["-rf", "/tmp/q", "$(echo y)"]


def test_substitution_in_program_position() -> None:
    cmds = ok("$(which python) -c 'print(1)'")
    assert cmds[0].program == "$(which python)"
    assert cmds[0].argv == ["-c", "print(1)"]
    assert (cmds[1].program, cmds[1].argv, cmds[1].parent_idx) == ("which", ["python"], 0)


def test_export_and_declarations() -> None:
    cmds = ok("export PATH=$PATH:/x && which netstat")
    assert [(c.program, c.argv, c.operator) for c in cmds] == [
        ("export", ["PATH=$PATH:/x"], None),
        ("which", ["netstat"], "&&"),
    ]
    cmds = ok("declare -x FOO=$(id -u); local a='b c'; unset a")
    assert [(c.program, c.argv, c.context, c.parent_idx) for c in cmds] == [
        ("declare", ["-x", "FOO=$(id -u)"], "top", None),
        ("id", ["-u"], "substitution", 0),
        ("local", ["a=b c"], "top", None),
        ("unset", ["a"], "top", None),
    ]


# --- compound statements ------------------------------------------------------------------------


def test_for_loop_body() -> None:
    cmds = ok("for p in 8000 8001; do lsof -i :$p; done")
    assert [(c.program, c.argv, c.context, c.depth, c.text) for c in cmds] == [
        ("lsof", ["-i", ":$p"], "top", 0, "lsof -i :$p")
    ]


def test_c_style_for_header_is_not_a_statement() -> None:
    cmds = ok("for ((i=0;i<$(nproc);i++)); do echo $i; done")
    assert summary(cmds) == [
        ("nproc", None, "substitution", 1, None),
        ("echo", None, "top", 0, None),
    ]


def test_if_statement() -> None:
    cmds = ok("if [ -f x ]; then rm x; fi")
    assert [(c.program, c.argv, c.operator) for c in cmds] == [
        ("[", ["-f", "x"], None),
        ("rm", ["x"], ";"),
    ]


def test_if_elif_else_case_while_function() -> None:
    cmds = ok(
        "if true; then a; elif b; then c; else d; fi; "
        "case $1 in start) ./run.sh;; stop) pkill run;; esac; "
        "while read l; do echo $l; done < <(ls /tmp); "
        "f() { rm -rf build; }; f"
    )
    assert [c.program for c in cmds] == [
        "true", "a", "b", "c", "d", "run.sh", "pkill", "read", "echo", "ls", "rm", "f",
    ]
    assert all(c.depth == 0 for c in cmds if c.program != "ls")
    assert cmds[5].path == "./run.sh"


def test_double_bracket_test_and_negation() -> None:
    cmds = ok("[[ -f x && $y == z ]] && ! grep -q foo bar")
    assert [(c.program, c.argv, c.operator) for c in cmds] == [
        ("[[", ["-f", "x", "&&", "$y", "==", "z"], None),
        ("grep", ["-q", "foo", "bar"], "&&"),
    ]


def test_subshell() -> None:
    cmds = ok("(cd /tmp && make) || echo fail")
    assert summary(cmds) == [
        ("cd", None, "subshell", 1, None),
        ("make", "&&", "subshell", 1, None),
        ("echo", "||", "top", 0, None),
    ]
    assert cmds[0].argv == ["/tmp"]
    assert (cmds[0].span_start, cmds[0].span_end) == (1, 8)


def test_brace_group_and_operator_inheritance() -> None:
    cmds = ok("true && { echo a; echo b; } > out; ( ( ls ) )")
    assert summary(cmds) == [
        ("true", None, "top", 0, None),
        ("echo", "&&", "subshell", 1, None),
        ("echo", ";", "subshell", 1, None),
        ("ls", ";", "subshell", 2, None),
    ]


def test_a_bare_redirection_that_writes_is_the_no_op_it_amounts_to() -> None:
    cmds = ok("cd /tmp; > app.log && echo ok")
    assert [(c.program, c.redirects, c.operator) for c in cmds] == [
        ("cd", [], None), (":", [">app.log"], ";"), ("echo", [], "&&")]
    assert cmds[1].text == "> app.log"
    assert ok("< in.txt") == []
