"""Tests for redline.shell: the tree-sitter based shell command-line parser."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline.shell import (
    INTERPRETERS,
    SHELLS,
    is_interpreter,
    parse,
)
from redline.shell.parsed import ParsedLine, SimpleCommand


def ok(line: str) -> list[SimpleCommand]:
    """Parse a line that must parse cleanly; check invariants every result must satisfy."""
    result = parse(line)
    assert result.error is None, result.error
    check_invariants(line, result)
    return result.commands


def check_invariants(line: str, result: ParsedLine) -> None:
    assert isinstance(result, ParsedLine)
    for i, c in enumerate(result.commands):
        assert c.idx == i
        assert 0 <= c.span_start <= c.span_end <= len(line)
        assert c.parent_idx is None or 0 <= c.parent_idx < i
        if c.depth == 0:
            assert line[c.span_start:c.span_end] == c.text


def summary(cmds: list[SimpleCommand]) -> list[tuple]:
    return [(c.program, c.operator, c.context, c.depth, c.parent_idx) for c in cmds]


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


# --- wrappers -----------------------------------------------------------------------------------


def test_sudo_killall() -> None:
    (c,) = ok("sudo killall python3")
    assert (c.program, c.argv, c.wrappers, c.sudo) == ("killall", ["python3"], ["sudo"], True)
    assert c.text == "sudo killall python3"


def test_pkill_quoted_pattern() -> None:
    (c,) = ok("pkill -f 'uvicorn app:main'")
    assert (c.program, c.argv, c.wrappers, c.sudo) == (
        "pkill", ["-f", "uvicorn app:main"], [], False
    )


def test_nohup_background_with_redirects() -> None:
    line = "nohup python3 start.py --port 8001 > log.txt 2>&1 &"
    (c,) = ok(line)
    assert c.program == "python3"
    assert c.argv == ["start.py", "--port", "8001"]
    assert c.wrappers == ["nohup"]
    assert c.background is True
    assert c.redirects == [">log.txt", "2>&1"]
    assert c.text == "nohup python3 start.py --port 8001 > log.txt 2>&1"
    assert (c.span_start, c.span_end) == (0, 49)


def test_timeout_and_env() -> None:
    (c,) = ok("timeout 10 curl -s http://localhost:8000")
    assert (c.program, c.argv, c.wrappers) == ("curl", ["-s", "http://localhost:8000"], ["timeout"])
    (c,) = ok("timeout -s KILL --preserve-status 30 python3 -c 'while True: pass'")
    assert (c.program, c.wrappers, c.code) == ("python3", ["timeout"], "while True: pass")
    (c,) = ok("env FOO=1 BAR=2 python x.py")
    assert (c.program, c.argv, c.wrappers) == ("python", ["x.py"], ["env"])
    (c,) = ok("env -i PATH=/bin FOO=1 ./tool --x")
    assert (c.program, c.path, c.argv, c.wrappers) == ("tool", "./tool", ["--x"], ["env"])


def test_wrapper_chain() -> None:
    line = "sudo -u bob -E nice -n 5 ionice -c3 stdbuf -oL setsid /usr/bin/python3 -u train.py &"
    (c,) = ok(line)
    assert c.program == "python3"
    assert c.path == "/usr/bin/python3"
    assert c.argv == ["-u", "train.py"]
    assert c.wrappers == ["sudo", "nice", "ionice", "stdbuf", "setsid"]
    assert c.sudo is True and c.background is True


@pytest.mark.parametrize(
    ("line", "program", "argv", "wrappers", "sudo"),
    [
        ("doas -u root reboot", "reboot", [], ["doas"], True),
        ("sudo --user=bob -- env -i A=1 nohup rm -rf /x", "rm", ["-rf", "/x"],
         ["sudo", "env", "nohup"], True),
        ("time make -j8", "make", ["-j8"], ["time"], False),
        ("command ls -l", "ls", ["-l"], ["command"], False),
        ("exec python app.py", "python", ["app.py"], ["exec"], False),
        ("builtin echo hi", "echo", ["hi"], ["builtin"], False),
        ("watch -n 5 nvidia-smi", "nvidia-smi", [], ["watch"], False),
        ("strace -f -o out.txt ls /", "ls", ["/"], ["strace"], False),
        ("unbuffer -p tail -f log", "tail", ["-f", "log"], ["unbuffer"], False),
        ("chroot /mnt bash script.sh", "bash", ["script.sh"], ["chroot"], False),
        ("FOO=1 BAR=$(x) ./start.sh --x", "start.sh", ["--x"], [], False),
        # no command left to run: the wrapper itself is the program
        ("command -v python3", "command", ["-v", "python3"], [], False),
        ("sudo -i", "sudo", ["-i"], [], False),
        ("sudo -l", "sudo", ["-l"], [], False),
        ("env", "env", [], [], False),
        ("nohup", "nohup", [], [], False),
    ],
)
def test_wrappers(
    line: str, program: str, argv: list[str], wrappers: list[str], sudo: bool
) -> None:
    c = ok(line)[0]
    assert (c.program, c.argv, c.wrappers, c.sudo) == (program, argv, wrappers, sudo)


# --- xargs / find -exec -------------------------------------------------------------------------


def test_find_xargs_rm() -> None:
    cmds = ok("find . -name '*.pyc' | xargs rm -f")
    assert [(c.program, c.argv, c.operator, c.context, c.depth, c.parent_idx) for c in cmds] == [
        ("find", [".", "-name", "*.pyc"], None, "pipeline", 0, None),
        ("xargs", ["rm", "-f"], "|", "pipeline", 0, None),
        ("rm", ["-f"], None, "xargs", 1, 1),
    ]
    assert (cmds[2].text, cmds[2].span_start, cmds[2].span_end) == ("rm -f", 29, 34)


def test_docker_xargs_with_options() -> None:
    cmds = ok("docker ps -q | xargs -r docker stop")
    assert [(c.program, c.argv, c.context, c.parent_idx) for c in cmds] == [
        ("docker", ["ps", "-q"], "pipeline", None),
        ("xargs", ["-r", "docker", "stop"], "pipeline", None),
        ("docker", ["stop"], "xargs", 1),
    ]


def test_xargs_runs_shell_and_sudo() -> None:
    cmds = ok("xargs -I{} sh -c 'kill {}' < pids")
    assert summary(cmds) == [
        ("xargs", None, "top", 0, None),
        ("sh", None, "xargs", 1, 0),
        ("kill", None, "bash-c", 2, 1),
    ]
    assert cmds[0].redirects == ["<pids"]
    cmds = ok("pgrep x | sudo xargs -n1 kill -9")
    assert [(c.program, c.wrappers, c.sudo, c.argv) for c in cmds] == [
        ("pgrep", [], False, ["x"]),
        ("xargs", ["sudo"], True, ["-n1", "kill", "-9"]),
        ("kill", [], True, ["-9"]),
    ]


def test_xargs_without_command() -> None:
    (c,) = ok("xargs -0")
    assert (c.program, c.argv) == ("xargs", ["-0"])


def test_find_exec() -> None:
    cmds = ok(r"find . -type f -execdir chmod 644 {} + -o -exec rm {} \; -print")
    assert [(c.program, c.argv, c.context, c.parent_idx) for c in cmds] == [
        ("find", [".", "-type", "f", "-execdir", "chmod", "644", "{}", "+", "-o", "-exec", "rm",
                  "{}", ";", "-print"], "top", None),
        ("chmod", ["644", "{}"], "xargs", 0),
        ("rm", ["{}"], "xargs", 0),
    ]


# --- words: quotes, escapes, concatenation ------------------------------------------------------


def test_quote_removal_and_escapes() -> None:
    line = (
        r"""echo 'a b' "x\"y" foo\ bar "a\\b" "a\$b" --port=8000 a"b"'c' $'a\tb' "keep\n" """
        r"""$HOME/x "$(lsof -t -i:8000)" ~/x {a,b} *.py"""
    )
    c, lsof = ok(line)
    assert (lsof.program, lsof.context, lsof.parent_idx) == ("lsof", "substitution", 0)
    assert c.argv == [
        "a b", 'x"y', "foo bar", "a\\b", "a$b", "--port=8000", "abc", "a\tb", "keep\\n",
        "$HOME/x", '"$(lsof -t -i:8000)"', "~/x", "{a,b}", "*.py",
    ]


def test_sed_and_html() -> None:
    (c,) = ok("sed -i 's/a/b/' f.py")
    assert (c.program, c.argv) == ("sed", ["-i", "s/a/b/", "f.py"])
    (c,) = ok("echo '<script>alert(1)</script>' > out.html")
    assert (c.argv, c.redirects) == (["<script>alert(1)</script>"], [">out.html"])


def test_triple_quoted_python() -> None:
    line = 'python3 -c """import socket\ns = 1"""'
    (c,) = ok(line)
    assert c.argv == ["-c", "import socket\ns = 1"]
    assert c.code == "import socket\ns = 1"
    assert c.text == line


def test_program_basename_and_path() -> None:
    cmds = ok('./start.sh; /usr/bin/python3 x; "$VENV/bin/python" y')
    assert [(c.program, c.path) for c in cmds] == [
        ("start.sh", "./start.sh"),
        ("python3", "/usr/bin/python3"),
        ("python", '"$VENV/bin/python"'),
    ]


# --- redirections and heredocs ------------------------------------------------------------------


def test_redirect_forms() -> None:
    (c,) = ok("cmd <in.txt >out.txt 2>>err.log &>/dev/null >|f 3<&0 </dev/null >> log")
    assert c.redirects == [
        "<in.txt", ">out.txt", "2>>err.log", "&>/dev/null", ">|f", "3<&0", "</dev/null", ">>log",
    ]
    assert c.argv == []


def test_redirect_with_trailing_arguments() -> None:
    (c,) = ok("echo a >f b c")
    assert (c.argv, c.redirects) == (["a", "b", "c"], [">f"])


def test_pipeline_redirect_belongs_to_last_member() -> None:
    cmds = ok("git log --oneline | head -5 &> /dev/null")
    assert [(c.program, c.redirects, c.text) for c in cmds] == [
        ("git", [], "git log --oneline"),
        ("head", ["&>/dev/null"], "head -5 &> /dev/null"),
    ]


def test_herestring() -> None:
    (c,) = ok("grep -c x <<< \"$DATA two\"")
    assert (c.redirects, c.heredoc) == (['<<<"$DATA two"'], "$DATA two")
    (c,) = ok("python3 <<< 'print(1)'")
    assert (c.redirects, c.heredoc, c.code) == (["<<<'print(1)'"], "print(1)", "print(1)")


def test_python_heredoc_code() -> None:
    line = "python3 - <<'EOF'\nimport socket\nprint(1)\nEOF"
    (c,) = ok(line)
    assert c.program == "python3"
    assert c.argv == ["-"]
    assert c.redirects == ["<<'EOF'"]
    assert c.heredoc == "import socket\nprint(1)\n"
    assert c.code == "import socket\nprint(1)\n"
    assert (c.text, c.span_start, c.span_end) == ("python3 - <<'EOF'", 0, 17)


def test_dash_argument_before_fd_redirect_is_kept() -> None:
    # tree-sitter-bash drops this "-"; the parser recovers it
    (c,) = ok("python3 - 2>&1 <<EOF\nimport os\nEOF")
    assert (c.argv, c.redirects, c.code) == (["-"], ["2>&1", "<<EOF"], "import os\n")
    (c,) = ok("python <<EOF\nprint(3)\nEOF")
    assert (c.argv, c.code) == ([], "print(3)\n")


def test_cat_heredoc_then_command() -> None:
    line = "cat > fix.sh <<'EOF'\nrm -rf /tmp/x\nEOF\nbash fix.sh"
    cmds = ok(line)
    assert [(c.program, c.argv, c.operator, c.redirects, c.heredoc, c.text) for c in cmds] == [
        ("cat", [], None, [">fix.sh", "<<'EOF'"], "rm -rf /tmp/x\n", "cat > fix.sh <<'EOF'"),
        ("bash", ["fix.sh"], ";", [], None, "bash fix.sh"),
    ]


def test_heredoc_followed_by_more_on_the_same_line() -> None:
    line = "cat <<EOF > f.txt; echo hi\nbody $(whoami)\nEOF"
    cmds = ok(line)
    assert summary(cmds) == [
        ("cat", None, "top", 0, None),
        ("whoami", None, "substitution", 1, 0),  # unquoted heredoc bodies are expanded
        ("echo", ";", "top", 0, None),
    ]
    assert cmds[0].redirects == ["<<EOF", ">f.txt"]
    assert cmds[0].heredoc == "body $(whoami)\n"
    assert line[cmds[1].span_start:cmds[1].span_end] == "whoami"


def test_quoted_heredoc_body_is_not_expanded() -> None:
    cmds = ok("cat <<'EOF' > f.txt\n$(whoami)\nEOF")
    assert [c.program for c in cmds] == ["cat"]


def test_heredoc_strip_tabs() -> None:
    (c,) = ok("cat <<-EOF\n\tindented\n\tEOF")
    assert (c.redirects, c.heredoc) == (["<<-EOF"], "indented\n")


def test_heredoc_in_command_substitution() -> None:
    line = "git commit -m \"$(cat <<'EOF'\nFix bug\n\nDetails\nEOF\n)\" && git push"
    cmds = ok(line)
    assert summary(cmds) == [
        ("git", None, "top", 0, None),
        ("cat", None, "substitution", 1, 0),
        ("git", "&&", "top", 0, None),
    ]
    assert cmds[1].heredoc == "Fix bug\n\nDetails\n"
    assert cmds[2].argv == ["push"]


# --- nested shells: bash -c, eval, heredoc scripts, su -c ---------------------------------------


def test_bash_c() -> None:
    line = 'bash -c "pkill nginx && nginx"'
    cmds = ok(line)
    rows = [(c.program, c.argv, c.operator, c.context, c.depth, c.parent_idx, c.code) for c in cmds]
    assert rows == [
        ("bash", ["-c", "pkill nginx && nginx"], None, "top", 0, None, None),
        ("pkill", ["nginx"], None, "bash-c", 1, 0, None),
        ("nginx", [], "&&", "bash-c", 1, 0, None),
    ]
    for c in cmds:  # no escapes: spans map exactly
        assert line[c.span_start:c.span_end] == c.text


def test_sh_c_pipeline() -> None:
    line = "sh -c 'echo hi | tee /tmp/a'"
    cmds = ok(line)
    assert [(c.program, c.operator, c.context, c.parent_idx, c.text) for c in cmds] == [
        ("sh", None, "top", None, line),
        ("echo", None, "bash-c", 0, "echo hi"),
        ("tee", "|", "bash-c", 0, "tee /tmp/a"),
    ]
    assert [(c.span_start, c.span_end) for c in cmds[1:]] == [(7, 14), (17, 27)]


def test_bash_c_with_escapes_maps_spans() -> None:
    line = r'bash -c "echo \"hi\" && ls -la" arg0'
    cmds = ok(line)
    assert cmds[0].argv == ["-c", 'echo "hi" && ls -la', "arg0"]
    echo, ls = cmds[1], cmds[2]
    assert (echo.text, echo.argv) == ('echo "hi"', ["hi"])
    assert line[echo.span_start:echo.span_end] == r"echo \"hi\""
    assert (ls.text, line[ls.span_start:ls.span_end]) == ("ls -la", "ls -la")


def test_nested_bash_c_three_levels() -> None:
    line = "bash -c \"bash -c 'bash -c \\\"echo deep\\\"'\""
    cmds = ok(line)
    assert [(c.program, c.depth, c.parent_idx) for c in cmds] == [
        ("bash", 0, None), ("bash", 1, 0), ("bash", 2, 1), ("echo", 3, 2),
    ]
    assert line[cmds[3].span_start:cmds[3].span_end] == "echo deep"


def test_shell_flag_clusters() -> None:
    cmds = ok("env -i PATH=/bin bash -lc 'whoami' && zsh -o pipefail -c 'ls | wc'")
    assert [(c.program, c.context, c.parent_idx) for c in cmds] == [
        ("bash", "top", None), ("whoami", "bash-c", 0),
        ("zsh", "top", None), ("ls", "bash-c", 2), ("wc", "bash-c", 2),
    ]


def test_bash_script_file_is_not_parsed() -> None:
    (c,) = ok("bash fix.sh arg")
    assert (c.program, c.argv, c.code) == ("bash", ["fix.sh", "arg"], None)


def test_sudo_bash_c_children_are_privileged() -> None:
    line = "sudo bash -c 'systemctl restart nginx; kill -9 $(pgrep x)'"
    cmds = ok(line)
    assert [(c.program, c.sudo, c.context, c.depth, c.parent_idx) for c in cmds] == [
        ("bash", True, "top", 0, None),
        ("systemctl", True, "bash-c", 1, 0),
        ("kill", True, "bash-c", 1, 0),
        ("pgrep", True, "substitution", 2, 2),
    ]
    assert cmds[0].wrappers == ["sudo"]
    assert cmds[2].operator == ";"


def test_su_c() -> None:
    cmds = ok("su - root -c 'rm -f /etc/motd'")
    assert [(c.program, c.argv, c.sudo, c.context, c.parent_idx) for c in cmds] == [
        ("su", ["-", "root", "-c", "rm -f /etc/motd"], True, "top", None),
        ("rm", ["-f", "/etc/motd"], True, "bash-c", 0),
    ]


def test_eval() -> None:
    cmds = ok("eval \"rm -rf $DIR\" && eval echo hi '&&' ls")
    assert [(c.program, c.argv, c.operator, c.context, c.parent_idx) for c in cmds] == [
        ("eval", ['"rm -rf $DIR"'], None, "top", None),  # has an expansion: raw
        ("rm", ["-rf", "$DIR"], None, "eval", 0),
        ("eval", ["echo", "hi", "&&", "ls"], "&&", "top", None),
        ("echo", ["hi"], None, "eval", 2),
        ("ls", [], "&&", "eval", 2),
    ]


def test_eval_substitution_reported_once() -> None:
    cmds = ok('eval "$(ssh-agent -s)"')
    assert [(c.program, c.context, c.depth) for c in cmds] == [
        ("eval", "top", 0), ("$(ssh-agent -s)", "eval", 1), ("ssh-agent", "substitution", 2),
    ]


def test_heredoc_fed_to_shell() -> None:
    line = "bash <<'EOF'\nset -e\npkill -f uvicorn || true\nEOF"
    cmds = ok(line)
    assert [(c.program, c.argv, c.operator, c.context, c.depth, c.parent_idx) for c in cmds] == [
        ("bash", [], None, "top", 0, None),
        ("set", ["-e"], None, "heredoc", 1, 0),
        ("pkill", ["-f", "uvicorn"], ";", "heredoc", 1, 0),
        ("true", [], "||", "heredoc", 1, 0),
    ]
    assert cmds[0].heredoc == "set -e\npkill -f uvicorn || true\n"
    assert cmds[0].code is None
    for c in cmds[1:]:
        assert line[c.span_start:c.span_end] == c.text


def test_heredoc_fed_to_sh_s() -> None:
    cmds = ok("sh -s <<'EOF'\necho a | wc -l\nEOF")
    assert summary(cmds) == [
        ("sh", None, "top", 0, None),
        ("echo", None, "heredoc", 1, 0),
        ("wc", "|", "heredoc", 1, 0),
    ]


def test_cat_heredoc_piped_to_shell() -> None:
    line = "cat <<EOF | bash\nls $HOME\nrm -rf /tmp/y\nEOF\necho done"
    cmds = ok(line)
    assert summary(cmds) == [
        ("cat", None, "pipeline", 0, None),
        ("bash", "|", "pipeline", 0, None),
        ("ls", None, "heredoc", 1, 1),
        ("rm", ";", "heredoc", 1, 1),
        ("echo", ";", "top", 0, None),
    ]
    assert cmds[0].heredoc == "ls $HOME\nrm -rf /tmp/y\n"
    assert line[cmds[3].span_start:cmds[3].span_end] == "rm -rf /tmp/y"


def test_piped_scripts_to_shell_and_python() -> None:
    cmds = ok("echo 'rm -rf /tmp/z' | sh")
    assert summary(cmds) == [
        ("echo", None, "pipeline", 0, None),
        ("sh", "|", "pipeline", 0, None),
        ("rm", None, "heredoc", 1, 1),
    ]
    cmds = ok("cat <<EOF | python3\nprint(2)\nEOF")
    assert (cmds[1].program, cmds[1].code) == ("python3", "print(2)\n")


def test_sudo_tee_after_heredoc() -> None:
    cmds = ok("cat <<'EOF' | sudo tee /etc/x > /dev/null\nline\nEOF")
    assert [(c.program, c.argv, c.sudo, c.redirects, c.heredoc) for c in cmds] == [
        ("cat", [], False, ["<<'EOF'"], "line\n"),
        ("tee", ["/etc/x"], True, [">/dev/null"], None),
    ]


def test_watch_with_command_string() -> None:
    cmds = ok("watch -n 1 'ps aux | grep python'")
    assert [(c.program, c.operator, c.context, c.parent_idx) for c in cmds] == [
        ("watch", None, "top", None), ("ps", None, "bash-c", 0), ("grep", "|", "bash-c", 0),
    ]


def test_nested_heredoc_inside_bash_c() -> None:
    line = "sudo sh -c \"cat > /etc/x <<'EOF'\nfoo\nEOF\nchmod 600 /etc/x\""
    cmds = ok(line)
    assert [(c.program, c.context, c.sudo, c.heredoc) for c in cmds] == [
        ("sh", "top", True, None), ("cat", "bash-c", True, "foo\n"),
        ("chmod", "bash-c", True, None),
    ]
    assert line[cmds[2].span_start:cmds[2].span_end] == "chmod 600 /etc/x"


# --- interpreters -------------------------------------------------------------------------------


def test_cd_then_python_c() -> None:
    line = 'cd /testbed && python -c "import os; os.kill(1234, 9)"'
    cmds = ok(line)
    assert [(c.program, c.argv, c.operator, c.code) for c in cmds] == [
        ("cd", ["/testbed"], None, None),
        ("python", ["-c", "import os; os.kill(1234, 9)"], "&&", "import os; os.kill(1234, 9)"),
    ]
    assert cmds[1].text == 'python -c "import os; os.kill(1234, 9)"'


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("python3.11 -u -c 'print(1)'", "print(1)"),
        ("pypy3 -Bc 'x=1'", "x=1"),
        ("python3 -m http.server 8000", None),
        ("python3 script.py -c x", None),
        ("node -e 'console.log(1)'", "console.log(1)"),
        ("node --eval 'x()'", "x()"),
        ("node -p '1+1'", "1+1"),
        ("perl -pe 's/a/b/' f", "s/a/b/"),
        ("perl -i -e 'print 1' -e 'print 2'", "print 1\nprint 2"),
        ("ruby -e 'puts 1'", "puts 1"),
        ("php -r 'echo 1;'", "echo 1;"),
        ("perl script.pl", None),
    ],
)
def test_interpreter_code(line: str, code: str | None) -> None:
    (c,) = ok(line)
    assert c.code == code


def test_is_interpreter_and_constants() -> None:
    names = ("python", "python3", "python3.11", "python2.7", "pypy3", "node", "perl", "ruby", "php")
    for name in names:
        assert is_interpreter(name), name
    for name in ("bash", "sh", "ls", "pythonic", "", None):
        assert not is_interpreter(name), name
    assert {"bash", "sh", "zsh", "dash"} <= SHELLS
    assert not SHELLS & INTERPRETERS
    assert isinstance(SHELLS, frozenset) and isinstance(INTERPRETERS, frozenset)


# --- unicode ------------------------------------------------------------------------------------


def test_unicode_character_offsets() -> None:
    line = 'echo "héllo — ok" && ls'
    cmds = ok(line)
    assert [(c.program, c.argv, c.span_start, c.span_end) for c in cmds] == [
        ("echo", ["héllo — ok"], 0, 17),
        ("ls", [], 21, 23),
    ]


def test_unicode_offsets_in_nested_strings() -> None:
    line = 'echo 🎉 && bash -c "echo \\"é—\\" && ls -l" && cat <<EOF | sh\necho ü\nEOF'
    cmds = ok(line)
    by_text = {c.text: c for c in cmds}
    ls = by_text["ls -l"]
    assert line[ls.span_start:ls.span_end] == "ls -l"
    echo = by_text['echo "é—"']
    assert line[echo.span_start:echo.span_end] == 'echo \\"é—\\"'
    inner = by_text["echo ü"]
    assert (inner.context, line[inner.span_start:inner.span_end]) == ("heredoc", "echo ü")


# --- errors, limits, robustness -----------------------------------------------------------------


def test_unterminated_quote_recovers_command() -> None:
    result = parse('echo "unterminated')
    check_invariants('echo "unterminated', result)
    assert result.error == "syntax error near line 1, column 6: unterminated quoted string"
    assert [c.program for c in result.commands] == ["echo"]


def test_missing_paren_recovers_commands() -> None:
    result = parse("(cd /tmp && make")
    assert result.error == "syntax error near line 1, column 17: missing ')'"
    assert [(c.program, c.operator) for c in result.commands] == [("cd", None), ("make", "&&")]


def test_unexpected_token_reported_with_position() -> None:
    result = parse("ls\necho ) foo")
    assert result.error == "syntax error near line 2, column 6: unexpected ')'"
    assert [(c.program, c.argv) for c in result.commands] == [("ls", []), ("echo", ["foo"])]


def test_unterminated_heredoc() -> None:
    result = parse("cat <<EOF\nunterminated")
    assert result.error == "syntax error near line 1, column 5: unterminated heredoc"
    assert [c.program for c in result.commands] == ["cat"]


def test_dangling_pipe() -> None:
    result = parse("ls |")
    assert result.error is not None and result.error.startswith("syntax error")
    assert [c.program for c in result.commands] == ["ls"]


def test_error_inside_bash_c_string() -> None:
    result = parse("bash -c 'echo ((' && ls")
    assert result.error == "syntax error in bash -c string near line 1, column 6: unexpected '('"
    assert [(c.program, c.context) for c in result.commands] == [
        ("bash", "top"), ("echo", "bash-c"), ("ls", "top"),
    ]


def test_nesting_too_deep() -> None:
    line = "echo " + "$(echo " * 12 + "x" + ")" * 12
    result = parse(line)
    assert result.error == "nesting too deep"
    assert max(c.depth for c in result.commands) == 8
    assert len(result.commands) == 9
    check_invariants(line, result)


def test_variables_at_max_depth_are_not_an_error() -> None:
    line = "echo " + "$(echo " * 7 + "$HOME" + ")" * 7  # innermost echo is at depth 7
    result = parse(line)
    assert result.error is None
    assert [c.depth for c in result.commands] == list(range(8))
    assert result.commands[-1].argv == ["$HOME"]


def test_long_line_is_truncated() -> None:
    line = "echo " + "x" * 250_000 + " && rm -rf /"
    result = parse(line)
    assert result.error == "command line too long; parsed first 200000 characters"
    assert [c.program for c in result.commands] == ["echo"]
    assert result.commands[0].span_end == 200_000


def test_many_commands_do_not_hit_recursion_limits() -> None:
    line = " && ".join(["true"] * 5000) + "; " + "if a; then " * 500 + "b" + "; fi" * 500
    result = parse(line)
    assert result.error is None
    assert len(result.commands) == 5000 + 501
    assert result.commands[4999].operator == "&&"


def test_parser_failure_is_reported_not_raised() -> None:
    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("boom")

    assert parse(Hostile()) == ParsedLine([], "parser failure: boom")  # type: ignore[arg-type]


SHELLISH = st.lists(
    st.sampled_from(
        list("abc -|&;()<>$`'\"\\{}[]!#=*~\n\té—") + [
            "<<EOF\n", "\nEOF\n", "bash -c ", "sudo ", "xargs ", "eval ", "$(", "<<<", "2>&1",
            "python3 -c ", "if ", "then ", "fi", "for x in a; do ", "done", "cat <<E | sh\n",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=80), SHELLISH))
def test_never_raises_and_spans_in_bounds(line: str) -> None:
    result = parse(line)
    assert isinstance(result, ParsedLine)
    assert result.error is None or not result.error.startswith("parser failure"), result.error
    check_invariants(line, result)
