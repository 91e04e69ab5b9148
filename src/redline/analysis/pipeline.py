"""Every analysis step in order, over one set of inputs."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from .categories import command_categories
from .episodes import episodes
from .findings import findings
from .inputs import Inputs
from .phases import phases


@dataclass
class Result:
    """The analysis tables as frames (the shapes of the database tables of the same names)."""

    episodes: pl.DataFrame
    phases: pl.DataFrame
    categories: pl.DataFrame
    findings: pl.DataFrame


def run(inputs: Inputs) -> Result:
    """Episodes, phases, command categories and findings for every trial in ``inputs``."""
    categories = command_categories(inputs.command_rows, inputs.events)
    eps = episodes(inputs)
    return Result(episodes=eps, phases=phases(inputs, categories), categories=categories,
                  findings=findings(inputs, eps, categories))
