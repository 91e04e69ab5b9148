"""The sample corpus bundled with redline, and the code that writes it.

``sample_dir()`` is a folder of trials in two real formats (Fudan scaffold logs and
mini-swe-agent trajectories): replication and shutdown-avoidance scenarios, two models, with
the obstacles and strategies the self-replication study reports. ``python -m
redline.sample.generate`` rewrites it from the specs in :mod:`redline.sample.trials`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def sample_dir() -> Path:
    """The folder holding the bundled sample transcripts."""
    return Path(str(files("redline.sample") / "data"))
