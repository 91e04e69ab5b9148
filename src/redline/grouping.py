"""Greedy grouping of sized items into bounded groups, in order (base layer).

Used to cut trials into classification batches (:func:`redline.classifiers.reading.batches`) and
transcript files into dataset shards (:func:`redline.dataset.layout.plan_shards`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def greedy_groups(items: Iterable[tuple[T, int | tuple[int, ...]]], max_size: int | tuple[int, ...],
                  max_items: int) -> list[list[T]]:
    """Group ``(item, size)`` pairs, in the order given, into groups of at most ``max_items``
    items and ``max_size`` total size; an item larger than ``max_size`` makes a group of its own.
    A negative or missing size counts as 0. A size may be a tuple of measures (characters and
    rows, say) with ``max_size`` a tuple of as many bounds: a group then stays within each."""
    bounds = max_size if isinstance(max_size, tuple) else (max_size,)
    groups: list[list[T]] = []
    current: list[T] = []
    used = [0] * len(bounds)
    for item, size in items:
        sizes = [max(0, s or 0) for s in (size if isinstance(size, tuple) else (size,))]
        if current and (len(current) >= max_items or any(u + s > b for u, s, b in zip(used, sizes, bounds))):
            groups.append(current)
            current, used = [], [0] * len(bounds)
        current.append(item)
        used = [u + s for u, s in zip(used, sizes)]
    if current:
        groups.append(current)
    return groups
