"""A catalogue entry that is not a rule: an ID the registry lists, computed elsewhere.

The obstacle-resolution strategies (``RES-*``) are decided per episode by the analysis, not by
a rule over the stored steps, but they are catalogue IDs like any other: ``redline rules``
lists them and ``redline rule RES-KILL`` documents them. An :class:`Entry` carries what the
registry and the documentation need, with the same fields as a :class:`~redline.classifiers.rule.Rule`
(its severity is in the code table, :mod:`redline.classifiers.catalogue`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

Example = str | dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Entry:
    id: str
    name: str
    #: what it is attached to (``episode`` for a strategy)
    unit: str
    summary: str
    #: documentation in the sections rules use: what it finds, why it matters, false positives
    doc: str = ""
    techniques: tuple[str, ...] = ()
    hits: tuple[Example, ...] = ()
    misses: tuple[Example, ...] = ()
    status: Literal["stable", "experimental", "deprecated"] = "stable"
    successor: str | None = None
    #: the version of the code that computes it (the analysis bumps it when its logic changes)
    version: str = "1"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]+(-[A-Z0-9]+)+", self.id):
            raise ValueError(f"catalogue ID {self.id!r} is not of the form FAMILY-NAME")

    @property
    def on(self) -> str:
        return self.unit

    @property
    def classifier_version(self) -> str:
        return self.version
