"""The registered transcript formats, in detection order (most specific first).

A new format is one module in this package (see :mod:`redline.ingest.base`) plus one line here.
"""

from __future__ import annotations

from .base import Format, module_formats
from . import fudan_log, inspect_ai, mini_swe_agent, openhands, swe_agent, terminal_bench, palisade, claude_code, codex, otel_genai, chat_json

FORMATS: list[Format] = module_formats(
    fudan_log,
    mini_swe_agent,
    terminal_bench,
    inspect_ai,
    swe_agent,
    openhands,
    palisade,
    claude_code,
    codex,
    otel_genai,
    chat_json,  # last: generic chat JSON claims only what nothing more specific does
)

_BY_NAME = {f.name: f for f in FORMATS}


def names() -> list[str]:
    return [f.name for f in FORMATS]


def get(name: str) -> Format:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known formats: {', '.join(names())}") from None


def sidecar_owner(filename: str) -> str | None:
    """The format that reads a metadata file of this name beside its transcripts, if any."""
    for fmt in FORMATS:
        if filename in fmt.sidecars:
            return fmt.name
    return None


def markdown_table() -> str:
    """The README's format table, generated from this registry."""
    lines = ["| format (`--format`) | what it reads |", "|---|---|"]
    lines += [f"| `{f.name}` | {f.description.replace('|', '/')} |" for f in FORMATS]
    return "\n".join(lines)
