"""Lines that crash tree-sitter-bash 0.25.1 (a ``{`` then some four-byte characters: an
out-of-bounds read, tree-sitter/tree-sitter-bash#337) parse, and keep their words and spans.

The repeated parses run in a child process, so that a regression fails this test instead of
killing the test run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from redline.shell import parse
from redline.shell.grammar import crash_safe

#: a brace then a character of plane 15 or 16: crashed within a few thousand parses on Linux
CRASHERS = ["{" + chr(0xF0000), "echo {" + chr(0x10FFFF) + "}", "{" + chr(0x104F44) + " x", "f {a,b}" + chr(0x31860)]


def test_repeated_parses_of_crashing_lines_do_not_crash() -> None:
    # without the stand-in, this crashed within the first few thousand parses
    code = textwrap.dedent(f"""
        from redline.shell.grammar import ts_parse
        lines = [line.encode() for line in {CRASHERS!r}]
        for _ in range(10000):
            for line in lines:
                ts_parse(line)
        print("done")
    """)
    run = subprocess.run([sys.executable, "-X", "faulthandler", "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "done"


def test_words_and_spans_of_a_masked_line_are_the_real_ones() -> None:
    star = chr(0x1F31F)
    line = f"echo {{a,{star}}} && ls {star}x"
    result = parse(line)
    assert result.error is None
    echo, ls = result.commands
    assert (echo.program, echo.argv) == ("echo", [f"{{a,{star}}}"])
    assert (ls.program, ls.argv) == ("ls", [f"{star}x"])
    assert line[ls.span_start:ls.span_end] == f"ls {star}x"


def test_only_lines_with_a_brace_before_a_four_byte_character_are_changed() -> None:
    plain = ("echo " + chr(0x1F31F) + " {a}").encode()
    assert crash_safe(plain) == plain  # the four-byte character comes before the brace
    assert crash_safe(b"echo {a,b}") == b"echo {a,b}"
    masked = crash_safe(("{" + chr(0xF0000) + "}").encode())
    assert masked == "{\u00e9\u00e9}".encode()
    assert len(masked) == len(("{" + chr(0xF0000) + "}").encode())
