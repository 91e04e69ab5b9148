"""Behaviour classifiers: the rule registry and the engine that applies it."""

from .engine import label_frames
from .frames import Frames, build_frames
from .registry import active_rules, all_rules, get_rule
from .rule import Rule
from .store import ClassifyReport, classify, read_frames

__all__ = ["ClassifyReport", "Frames", "Rule", "active_rules", "all_rules", "build_frames", "classify", "get_rule",
           "label_frames", "read_frames"]
