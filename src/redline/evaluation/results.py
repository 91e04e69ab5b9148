"""What an evaluation returns: per-row results, per-label statistics, misses, the whole result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..gold import Match


def _r(x: float) -> float:
    return round(float(x), 4)


@dataclass
class RowResult(Match):
    """One gold row, where it is stored, and the labels the database gives its steps (per unit)."""

    predicted: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass
class LabelStats:
    label: str
    unit: str
    support: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    f1_low: float
    f1_high: float

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit, "support": self.support, "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": _r(self.precision), "recall": _r(self.recall), "f1": _r(self.f1),
            "f1_low": _r(self.f1_low), "f1_high": _r(self.f1_high),
        }


@dataclass
class Miss:
    """One false negative (``FN``) or false positive (``FP``) of a label."""

    label: str
    unit: str
    kind: str
    item_id: str
    command: str
    predicted: tuple[str, ...]
    gold: tuple[str, ...]
    matched: bool


@dataclass
class EvalResult:
    labels: dict[str, LabelStats]
    micro: dict[str, dict[str, float | int]]
    macro: dict[str, dict[str, float]]
    matched: int
    unmatched: list[str]
    rows: list[RowResult]
    misses: list[Miss]
    #: label IDs scored per unit (what the registry implements)
    universe: dict[str, tuple[str, ...]]
    #: gold label IDs left out because no registered classifier gives them: ID -> rows
    not_scored: dict[str, int]
    #: rows matched by position because no action's text equalled the gold command
    ordinal_fallbacks: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "labels": {lid: s.to_json() for lid, s in self.labels.items()},
            "micro": {u: {k: (_r(v) if isinstance(v, float) else v) for k, v in m.items()}
                      for u, m in self.micro.items()},
            "macro": {u: {"f1": _r(m["f1"])} for u, m in self.macro.items()},
            "matched": self.matched,
            "unmatched": list(self.unmatched),
        }
