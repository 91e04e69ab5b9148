"""The sample corpus bundled with redline.

``sample_dir()`` is a folder of trials in two real formats (Fudan scaffold logs and
mini-swe-agent trajectories): replication and shutdown-avoidance scenarios, two models, with
the obstacles and strategies the self-replication study reports. The generator that writes it
is a development tool kept out of the installed package: ``python -m tools.sample.generate``
in the repository rewrites it from its specs.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def sample_dir() -> Path:
    """The folder holding the bundled sample transcripts."""
    return Path(str(files("redline.sample") / "data"))
