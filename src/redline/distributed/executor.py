"""Where shard tasks run: in this process (:class:`LocalExecutor`) or on a Ray cluster
(:class:`redline.distributed.ray_engine.RayExecutor`). Drivers submit tasks and take results as
they finish, and never know which executor they have.

A task whose *worker dies* (killed, out of memory, its node lost) on every attempt comes back as
a :class:`Done` with ``died`` set, so the driver can split its work or record it; a task that
*raises* stops the run with :class:`TaskError` (a bug or a full disk is not the transcript's
fault, and must not be recorded as if it were).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ..limits import TASK_RETRIES

#: attempts of a task whose worker died, after the first (Ray's ``max_retries``)
RETRIES = TASK_RETRIES


@dataclass
class Done:
    """A finished task: its key, its return value, or why its worker died on every attempt."""

    key: Any
    value: Any = None
    died: str | None = None


class TaskError(RuntimeError):
    """A task raised an exception: the run stops (what was committed before stays)."""


class Executor(Protocol):
    name: str

    def submit(self, key: Any, fn: Callable[..., Any], *args: Any) -> None: ...

    def results(self) -> Iterator[Done]:
        """Finished tasks as they finish, until none is left (tasks submitted meanwhile included)."""
        ...

    def close(self) -> None: ...


class LocalExecutor:
    """Runs each task in this process, one after the other, in submission order."""

    name = "local"

    def __init__(self) -> None:
        self._queue: deque[tuple[Any, Callable[..., Any], tuple[Any, ...]]] = deque()

    def submit(self, key: Any, fn: Callable[..., Any], *args: Any) -> None:
        self._queue.append((key, fn, args))

    def results(self) -> Iterator[Done]:
        while self._queue:
            key, fn, args = self._queue.popleft()
            try:
                value = fn(*args)
            except Exception as exc:
                raise TaskError(f"{fn.__name__} failed: {type(exc).__name__}: {exc}") from exc
            yield Done(key, value)

    def close(self) -> None:
        self._queue.clear()
