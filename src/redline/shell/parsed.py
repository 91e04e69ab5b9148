"""The shape of a parsed command line (produced by :func:`redline.shell.parse`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class SimpleCommand:
    """One simple command found in a command line, after wrappers are peeled off.

    ``program`` is the basename of the command that really runs (``sudo -u x nohup python3 a.py``
    gives ``python3``); ``wrappers`` lists what was peeled (``["sudo", "nohup"]``).
    """

    idx: int
    program: str | None
    path: str | None = None
    argv: list[str] = field(default_factory=list)
    wrappers: list[str] = field(default_factory=list)
    sudo: bool = False
    background: bool = False
    #: joins this command to the previous one at the same level: '&&', '||', ';', '|', '&', None
    operator: str | None = None
    #: top, pipeline, subshell, substitution, bash-c, heredoc, eval, xargs
    context: str = "top"
    parent_idx: int | None = None
    depth: int = 0
    redirects: list[str] = field(default_factory=list)
    heredoc: str | None = None
    #: program text run by an interpreter: ``python -c CODE``, ``python - <<EOF`` body, ``node -e``
    code: str | None = None
    text: str = ""
    span_start: int = 0
    span_end: int = 0


@dataclass(slots=True)
class ParsedLine:
    commands: list[SimpleCommand]
    #: why the line could not be parsed completely (commands may still hold what was recovered)
    error: str | None = None
    #: tree-sitter ran out of its time budget on this line (``error`` says so too)
    timed_out: bool = False
