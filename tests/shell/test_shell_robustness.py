"""The shell parser on unicode offsets, errors, limits and arbitrary input (it never raises)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.shell.parsing import check_invariants, ok

from redline.shell import parse
from redline.shell.parsed import ParsedLine


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
