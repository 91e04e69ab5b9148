"""The README stays true: its format table is the registry's, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import click

from redline.cli import main
from redline.ingest.registry import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"


def test_format_table_is_generated_from_the_registry():
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- formats:start[^>]*-->\n(.*?)\n<!-- formats:end -->", text, re.S)
    assert block, "README lost its format table markers"
    assert block.group(1).strip() == markdown_table().strip()


def test_readme_opens_with_exactly_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    first = re.search(r"```sh\n(.*?)```", text, re.S)
    commands = [line for line in first.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert "redline audit --sample" in commands[0]
    assert "pytest" in commands[1]


def test_every_command_in_the_readme_table_exists():
    text = README.read_text(encoding="utf-8")
    named = set(re.findall(r"^\| `redline (\w+)", text, re.M))
    assert named and named <= set(main.list_commands(click.Context(main)))
