"""Which once-per-batch helpers (:func:`~redline.classifiers.frames.per_batch`) a rule can call,
so that :func:`~redline.classifiers.engine.label_frames` lets each helper's result go once the
last rule that can read it has run, not at the end of the batch.

A ``custom`` rule's helpers are found by following the names its code uses, as its version is
(:mod:`redline.classifiers.fingerprint`): functions and classes of redline or of the rule's own
module, through modules, closures and defaults, and the lists and mappings of them it reads;
the rules it builds on (:func:`~redline.classifiers.engine.rule_hits`) and the helpers' own
helpers are followed by :func:`helpers_done`, which knows which have already run. Letting a
result go too early costs time, never a label: a helper whose result is gone computes it again.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any

from .fingerprint import code_names

#: what :func:`helpers` found, by the rule's ``custom`` function (kept, so its id is never reused)
_FOUND: dict[int, tuple[Any, tuple]] = {}


def helpers(custom: Any) -> tuple:
    """What the function ``custom`` (a rule's, or a helper's own) can call that keeps its result
    for the batch: the memo keys (the undecorated functions) of :func:`per_batch` helpers and
    the rules whose labels it reads, each called directly or through functions that keep
    nothing (what those helpers and rules call in turn is theirs: ``helpers`` of them)."""
    known = _FOUND.get(id(custom))
    if known is not None and known[0] is custom:
        return known[1]
    found: dict[int, Any] = {}
    _Walk(getattr(custom, "__module__", "") or "", found).value(custom)
    answer = tuple(found.values())
    _FOUND[id(custom)] = (custom, answer)
    return answer


def helpers_done(rules: Sequence[Any]) -> list[list]:
    """For each of ``rules`` (in the order they run), the once-per-batch helpers (:func:`helpers`)
    no later rule can read: their results can go once it has run. A helper's own helpers are
    read only when it first runs (later it reads its kept result), likewise a rule's."""
    last: dict = {}
    started: set = set()

    def reads(node, i: int) -> None:
        if _is_rule(node):
            key = (node.id, node.classifier_version)
            inner = node.custom
        else:
            key = node
            last[node] = i
            inner = node
        if key in started:
            return
        started.add(key)
        for other in helpers(inner) if inner is not None else ():
            reads(other, i)

    for i, rule in enumerate(rules):
        reads(rule, i)
    done: list[list] = [[] for _ in rules]
    for key, i in last.items():
        done[i].append(key)
    return done


def _is_rule(value: Any) -> bool:
    """A :class:`~redline.classifiers.rule.Rule`, known by its attributes (as the fingerprints know it)."""
    return isinstance(getattr(value, "classifier_version", None), str) and hasattr(value, "custom")


class _Walk:
    def __init__(self, home: str, found: dict[int, Any]) -> None:
        self.home, self.found, self.seen = home, found, set()

    def _ours(self, value: Any) -> bool:
        module = getattr(value, "__module__", None) or ""
        return module.startswith("redline.") or module == self.home

    def value(self, value: Any) -> None:
        if id(value) in self.seen:
            return
        self.seen.add(id(value))
        key = getattr(value, "per_batch_key", None)
        if key is not None:
            self.found[id(key)] = key
        elif _is_rule(value):
            self.found[id(value)] = value  # a rule it builds on (rule_hits)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                self.value(item)
        elif isinstance(value, dict):
            for item in value.values():
                self.value(item)
        elif isinstance(value, type):
            if self._ours(value):
                for member in vars(value).values():
                    self.value(getattr(member, "__func__", None) or getattr(member, "fget", None)
                               or getattr(member, "func", None) or member)
        elif callable(value) and self._ours(value):
            self.function(value)

    def function(self, fn: Any) -> None:
        while hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
            self.seen.add(id(fn))
        code = getattr(fn, "__code__", None)
        if code is None:
            return
        scope = getattr(fn, "__globals__", {})
        names = code_names(code)
        modules = [scope[n] for n in names if isinstance(scope.get(n), types.ModuleType)]
        for name in names:
            if name in scope:
                self.value(scope[name])
            for module in modules:  # ``module.helper``
                if module.__name__.startswith("redline.") and name in vars(module):
                    self.value(vars(module)[name])
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                self.value(cell.cell_contents)
            except ValueError:  # an empty cell
                continue
        for default in getattr(fn, "__defaults__", None) or ():
            self.value(default)
