"""Behaviour classifiers: the rule registry and the engine that applies it."""

from .engine import ClassifyReport, Frames, classify, label_frames
from .registry import active_rules, all_rules, get_rule
from .rule import Rule

__all__ = ["ClassifyReport", "Frames", "Rule", "active_rules", "all_rules", "classify", "get_rule", "label_frames"]
