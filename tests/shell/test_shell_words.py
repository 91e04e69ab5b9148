"""The shell parser on words (quotes, escapes, concatenation), redirections and heredocs."""

from __future__ import annotations

from tests.shell.parsing import ok, summary


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
