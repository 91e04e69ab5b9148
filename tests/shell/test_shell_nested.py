"""The shell parser on nested shells (bash -c, eval, heredoc scripts, su -c) and interpreter code."""

from __future__ import annotations

import pytest
from tests.shell.parsing import ok, summary

from redline.shell import INTERPRETERS, SHELLS, is_interpreter


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


def test_the_command_of_a_trap_is_parsed_as_nested() -> None:
    cmds = ok("trap \"kill $PID\" EXIT; sleep 2")
    assert [(c.program, c.argv, c.context, c.parent_idx) for c in cmds] == [
        ("trap", ["\"kill $PID\"", "EXIT"], "top", None), ("kill", ["$PID"], "bash-c", 0), ("sleep", ["2"], "top", None)]
    assert [(c.program, c.context) for c in ok("trap -- 'rm -f /tmp/lock' EXIT")] == [("trap", "top"), ("rm", "bash-c")]


def test_a_trap_that_resets_ignores_or_lists_runs_nothing() -> None:
    for line in ("trap - TERM", "trap '' TERM", "trap -p", "trap -l", "trap 'echo hi'"):
        assert [c.program for c in ok(line)] == ["trap"], line


@pytest.mark.parametrize("line, program, sudo", [
    ("script -qc 'pkill -f server' /dev/null", "script", False),
    ("flock /tmp/deploy.lock -c 'pkill -f server'", "flock", False),
    ("su -lc 'pkill -f server' bob", "su", True),
    ("runuser -u bob -- sh -c 'pkill -f server'", "runuser", True),
])
def test_a_command_given_to_c_is_parsed_as_nested(line: str, program: str, sudo: bool) -> None:
    outer, *inner = ok(line)
    assert outer.program == program
    assert [(c.program, c.argv, c.sudo) for c in inner if c.program == "pkill"] == [("pkill", ["-f", "server"], sudo)]


def test_a_printf_format_piped_into_an_interpreter_or_a_shell_is_its_script() -> None:
    cmds = ok("printf 'import os\\nos.kill(1, 9)\\n' | python3")
    assert cmds[1].code == "import os\nos.kill(1, 9)\n"
    cmds = ok("printf 'pkill -f x\\nsleep 1\\n' | bash")
    assert [(c.program, c.context) for c in cmds] == [
        ("printf", "pipeline"), ("bash", "pipeline"), ("pkill", "heredoc"), ("sleep", "heredoc")]
    # a format with arguments is not a script
    assert [c.program for c in ok("printf '%s\\n' a b | sh")] == ["printf", "sh"]
