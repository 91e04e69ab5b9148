"""Run a strategy's example trial through the real parser, classifiers and episode analysis.

Used by the test suite for every ``RES-*`` declaration's hits and misses, and handy in a
notebook to see what the analysis makes of a hand-written trial. The trial is built exactly as
a rule example's is (:func:`redline.classifiers.examples.spec_trial`).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..classifiers.engine import label_frames
from ..classifiers.examples import spec_trial
from ..classifiers.frames import Frames
from ..classifiers.registry import active_rules
from ..convert import trials_to_arrow
from .episodes import episodes
from .inputs import Inputs


def example_inputs(spec: dict[str, Any], name: str = "example") -> Inputs:
    """The analysis inputs of one example trial (``{"steps": [...]}``), labelled by every
    active classifier."""
    frames = Frames.from_arrow(*trials_to_arrow([spec_trial(spec, f"<{name}>")]))
    labels = label_frames(frames, active_rules())
    return Inputs.from_frames(frames, labels.filter(pl.col("score") > 0))


def example_episodes(spec: dict[str, Any], name: str = "example") -> pl.DataFrame:
    """The episodes of one example trial."""
    return episodes(example_inputs(spec, name))
