"""Greedy grouping of sized items into bounded groups, in order (base layer).

Used to cut trials into classification batches (:func:`redline.classifiers.store.batches`) and
transcript files into dataset shards (:func:`redline.dataset.layout.plan_shards`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def greedy_groups(items: Iterable[tuple[T, int]], max_size: int, max_items: int) -> list[list[T]]:
    """Group ``(item, size)`` pairs, in the order given, into groups of at most ``max_items``
    items and ``max_size`` total size; an item larger than ``max_size`` makes a group of its own.
    A negative or missing size counts as 0."""
    groups: list[list[T]] = []
    current: list[T] = []
    used = 0
    for item, size in items:
        size = max(0, size or 0)
        if current and (len(current) >= max_items or used + size > max_size):
            groups.append(current)
            current, used = [], 0
        current.append(item)
        used += size
    if current:
        groups.append(current)
    return groups
