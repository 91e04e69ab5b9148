"""Command lines stored HTML-escaped (``a &amp;&amp; b``) are parsed as the line that ran."""

from __future__ import annotations

import pytest

from redline.shell import parse


def test_a_line_stored_html_escaped_is_read_as_the_line_that_ran() -> None:
    line = "mv run.sh run.sh.orig &amp;&amp; cat &lt;&lt;EOF &gt; run.sh &amp;&amp; chmod +x run.sh\necho hi\nEOF"
    result = parse(line)
    assert result.error is None
    assert [(c.program, c.argv, c.operator) for c in result.commands] == [
        ("mv", ["run.sh", "run.sh.orig"], None), ("cat", [], "&&"), ("chmod", ["+x", "run.sh"], "&&")]
    cat = result.commands[1]
    assert (cat.redirects, cat.heredoc) == (["<<EOF", ">run.sh"], "echo hi\n")
    # spans point into the stored line
    chmod = result.commands[2]
    assert line[chmod.span_start:chmod.span_end] == "chmod +x run.sh"
    assert line[cat.span_start:cat.span_start + 3] == "cat"


def test_an_escaped_and_beside_a_bare_redirection_is_unescaped() -> None:
    result = parse("echo 'print(1)' > t.py &amp;&amp; ./t.py")
    assert [(c.program, c.redirects, c.background) for c in result.commands] == [
        ("echo", [">t.py"], False), ("t.py", [], False)]


@pytest.mark.parametrize("line", ["echo '&lt;b&gt;hi&lt;/b&gt;' > page.html",
                                  "curl 'https://example.com/?a=1&amp;b=2'",
                                  "echo '&amp;&amp;' && ls"])
def test_entities_inside_words_are_left_as_written(line: str) -> None:
    first = parse(line).commands[0]
    assert first.text == line.split(" && ")[0]
