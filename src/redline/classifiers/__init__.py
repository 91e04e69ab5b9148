"""Behaviour classifiers: the rule registry and the engine that applies it.

The names below are loaded on first use, so that a command which only asks whether the labels
are current (:mod:`redline.classifiers.versions`) does not load every rule and polars.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "label_frames": "engine", "Frames": "frames", "build_frames": "frames", "active_rules": "registry",
    "all_rules": "registry", "get_rule": "registry", "Rule": "rule", "ClassifyReport": "store",
    "classify": "store", "read_frames": "store",
}

__all__ = ["ClassifyReport", "Frames", "Rule", "active_rules", "all_rules", "build_frames", "classify", "get_rule",
           "label_frames", "read_frames"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
