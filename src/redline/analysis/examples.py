"""Run a strategy's example trial through the real parser, classifiers and episode analysis.

Used by the test suite for every ``RES-*`` declaration's hits and misses, and handy in a
notebook to see what the analysis makes of a hand-written trial.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ..classifiers.engine import Frames, label_frames
from ..classifiers.registry import active_rules
from ..events import Event, Trial
from ..ingest.loader import trials_to_arrow
from .episodes import episodes
from .inputs import Inputs


def example_trial(spec: dict[str, Any], name: str = "example") -> Trial:
    """A trial from an example's ``steps`` (``kind``, ``text``, ``role``, ``exit_code``)."""
    trial = Trial(format="example", source_path=f"<{name}>")
    for key in ("task", "scenario", "model", "agent", "outcome", "source_verdict"):
        if key in spec:
            setattr(trial, key, spec[key])
    last_action: int | None = None
    for step in spec["steps"]:
        kind = step["kind"]
        ev = Event(kind=kind, text=step.get("text"),
                   role=step.get("role", {"action": "assistant", "observation": "tool"}.get(kind, "assistant")),
                   tool=step.get("tool", "bash" if kind == "action" else None), exit_code=step.get("exit_code"),
                   attrs=dict(step.get("attrs", {})))
        if kind == "observation":
            ev.action_seq = last_action
        trial.add(ev)
        if kind == "action":
            last_action = ev.seq
    return trial


def example_inputs(spec: dict[str, Any], name: str = "example") -> Inputs:
    """The analysis inputs of one example trial, labelled by every active classifier."""
    frames = Frames.from_arrow(*trials_to_arrow([example_trial(spec, name)]))
    labels = label_frames(frames, active_rules())
    return Inputs.from_frames(frames, labels.filter(pl.col("score") > 0))


def example_episodes(spec: dict[str, Any], name: str = "example") -> pl.DataFrame:
    """The episodes of one example trial."""
    return episodes(example_inputs(spec, name))
