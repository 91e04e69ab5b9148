"""MITRE ATT&CK Enterprise technique names, from a table shipped with the package.

``data/attack_techniques.tsv`` holds every Enterprise technique and sub-technique ID with its
name (the ATT&CK version is named in its header). ``tools/attack_techniques.py`` regenerates it
from MITRE's published STIX bundle.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def attack_techniques() -> dict[str, str]:
    """ATT&CK Enterprise technique ID -> name, from the table shipped with the package."""
    text = resources.files(__package__).joinpath("data", "attack_techniques.tsv").read_text("utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or line.startswith("id\t"):
            continue
        tid, name, *_ = line.split("\t")
        table[tid] = name
    return table


def technique_name(technique: str) -> str | None:
    """The official name of an ATT&CK technique ID, or None if the table does not know it."""
    return attack_techniques().get(technique)
