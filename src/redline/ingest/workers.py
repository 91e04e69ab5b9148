"""Reading files in worker processes, surviving a worker that dies.

A worker can be killed in the middle of a file (by the out-of-memory killer, or by a signal).
The process pool then breaks, and every file in flight fails with it: the run would end there.
Instead, the files that were in flight are read again one at a time, each in a pool of its own;
the file that kills its worker again is recorded as an error, and the rest of the run goes on
in a new pool.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: the reason recorded for a file whose worker died while reading it, even when read alone
DIED = ("the worker process reading this file died (killed by the system, perhaps for lack of "
        "memory); nothing of it was stored")


def run_parallel(
    items: list[T],
    work: Callable[[T], R],
    died: Callable[[T], R],
    workers: int,
) -> Iterator[R]:
    """``work(item)`` for every item in ``workers`` processes, results as they complete.

    ``work`` must be a module-level function (it is sent to the workers). An item whose worker
    dies even when it is read alone gives ``died(item)`` instead of a result.
    """
    todo = deque(items)
    while todo:
        suspects: list[T] = []
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pending: dict[Future[R], T] = {}
            while todo or pending:
                while todo and len(pending) < workers * 2:
                    item = todo.popleft()
                    pending[pool.submit(work, item)] = item
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for fut in done:
                    item = pending.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        suspects.append(item)
                        continue
                    yield result
                if broken:
                    suspects.extend(pending.values())
                    break
        for item in suspects:
            yield _alone(item, work, died)


def _alone(item: T, work: Callable[[T], R], died: Callable[[T], R]) -> R:
    """``work(item)`` in a pool of its own, or ``died(item)`` if its worker dies again."""
    with ProcessPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(work, item).result()
        except BrokenProcessPool:
            return died(item)
