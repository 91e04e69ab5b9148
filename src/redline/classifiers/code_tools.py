"""Actions sent through a code tool: their text is a program, not a shell command line.

An Inspect ``python`` tool call or an OpenHands IPython cell carries Python code where other
tools carry a command line. Ingest parses every action's text as shell (the ``commands`` table
records what the text says as a command line), which reads such code as nonsense commands
(``os.kill(1234,`` as a program). :func:`code_tool_rows` replaces those rows, for the actions of
:data:`CODE_TOOLS`, by what the tool runs:

- one row that runs the code as ``python3 -c CODE`` would (``program = 'python3'``, ``code`` =
  the code), so every rule reads it as it reads inline code, and
  :mod:`~redline.classifiers.embedded` finds the shell commands it runs (``os.system``,
  ``subprocess``);
- an IPython cell's shell escapes, parsed as the shell commands they are, as children of that
  row (``context = 'code-shell'``, as for commands code runs): ``!pip install x``,
  ``files = !ls``, ``%pip install x`` (and ``%conda``, ``%mamba``, ``%uv``, ``%sx``,
  ``%system``), and a whole ``%%bash`` / ``%%sh`` / ``%%script bash`` cell. Other magics
  (``%cd``, ``%%time``) are left out of the code, which must read as Python.
"""

from __future__ import annotations

import re

import polars as pl

from ..shell import parse

#: scaffold tools that run a program themselves (Inspect's ``python`` tool, code interpreters)
CODE_TOOLS = ("python", "python_exec", "execute_python", "run_python", "ipython",
              "code_interpreter", "jupyter", "execute_ipython_cell")

#: a line of a cell that the shell runs: ``!cmd``, ``x = !cmd``, ``%pip ...``, ``%sx cmd``
_SHELL_LINE = re.compile(r"^[ \t]*(?:[\w, ]+=[ \t]*)?!(?P<bang>.+)$"
                         r"|^[ \t]*%(?P<magic>(?:pip|conda|mamba|uv)[ \t].*)$"
                         r"|^[ \t]*%(?:sx|system)[ \t]+(?P<system>.+)$", re.M)
#: a cell the shell runs whole
_SHELL_CELL = re.compile(r"\A[ \t]*%%(?:bash|sh|script[ \t]+(?:ba)?sh)\b[^\n]*\n?")
#: any other magic line, left out of the code
_MAGIC_LINE = re.compile(r"^[ \t]*%{1,2}\w[^\n]*$", re.M)
#: first ``idx`` of a code tool's shell escapes (the code's own row is 0)
SHELL_IDX_BASE = 1


def _split_cell(text: str) -> tuple[str, list[tuple[int, str]]]:
    """(the cell's Python code, its shell lines as (offset in the text, command line))."""
    whole = _SHELL_CELL.match(text)
    if whole:
        return "", [(whole.end(), text[whole.end():])]
    shell: list[tuple[int, str]] = []

    def blank(m: re.Match) -> str:
        for name in ("bang", "magic", "system"):
            if m.group(name) is not None:
                shell.append((m.start(name), m.group(name)))
        return ""
    code = _SHELL_LINE.sub(blank, text)
    return _MAGIC_LINE.sub("", code), shell


def code_tool_rows(commands: pl.DataFrame, actions: pl.DataFrame) -> pl.DataFrame:
    """``commands`` (joined with their action's ``tool`` and ``command_type``) with the rows of
    code-tool actions replaced by what the tool runs (see the module's notes)."""
    tools = actions.filter(pl.col("tool").is_in(list(CODE_TOOLS)).fill_null(False) & pl.col("text").is_not_null())
    if tools.is_empty():
        return commands
    keys = tools.select("trial_id", "seq")
    kept = commands.join(keys, on=["trial_id", "seq"], how="anti")
    cols: dict[str, list] = {name: [] for name in commands.schema}

    def add(**values) -> None:
        for name in cols:
            cols[name].append(values.get(name))
    for trial_id, seq, text, tool, ctype in tools.select(
            "trial_id", "seq", "text", "tool", "command_type").iter_rows():  # one iteration per code-tool action
        code, shell = _split_cell(text)
        step = {"trial_id": trial_id, "seq": seq, "tool": tool, "command_type": ctype}
        add(**step, idx=0, parent_idx=None, depth=0, program="python3", path="python3", argv=[], wrappers=[],
            sudo=False, background=False, operator=None, context="top", redirects=[], heredoc=None,
            code=code if code.strip() else None, text=text, span_start=0, span_end=len(text))
        idx = SHELL_IDX_BASE
        for offset, line in shell:
            parsed = parse(line).commands
            for c in parsed:
                add(**step, idx=idx + c.idx, parent_idx=0 if c.parent_idx is None else idx + c.parent_idx,
                    depth=1 + c.depth, program=c.program, path=c.path, argv=list(c.argv), wrappers=list(c.wrappers),
                    sudo=bool(c.sudo), background=bool(c.background), operator=c.operator, context="code-shell",
                    redirects=list(c.redirects), heredoc=c.heredoc, code=c.code, text=c.text,
                    span_start=offset + c.span_start, span_end=offset + c.span_end)
            idx += len(parsed)
    return pl.concat([kept, pl.DataFrame(cols, schema=commands.schema)], how="vertical_relaxed")
