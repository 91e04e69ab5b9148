"""Reading files in worker processes, in order, ahead of the writer, surviving a worker that dies.

Tasks (chunks of consecutive files) go to a pool of processes; their results come back in the
tasks' order, so the database is written in the same order as by one process. Up to
:data:`~redline.limits.PARALLEL_AHEAD` tasks per worker are handed out ahead of the one whose
result the caller is using: while the caller writes a batch, the workers go on reading, and the
results waiting for it stay bounded.

A worker can be killed in the middle of a file (by the out-of-memory killer, or by a signal).
The process pool then breaks, and every task in flight fails with it: the run would end there.
Instead, each task that was in flight is read again in a pool of its own, and if its worker
dies again, each of its files alone: the file that kills its worker even alone is recorded as
an error, and the rest of the run goes on in a new pool.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TypeVar

from ..limits import INGEST_GC_THRESHOLDS, PARALLEL_AHEAD

T = TypeVar("T")
R = TypeVar("R")

#: the reason recorded for a file whose worker died while reading it, even when read alone
DIED = ("the worker process reading this file died (killed by the system, perhaps for lack of "
        "memory); nothing of it was stored")

#: imported once by a fork server before it starts the workers, where processes start that way
PRELOAD = ["redline.ingest.loader"]


_GC_LOCK = threading.Lock()
_gc_users = 0  # blocks of fewer_collections running in this process (threads may ingest at once)
_gc_before: tuple[int, ...] = ()


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's garbage collector at :data:`~redline.limits.INGEST_GC_THRESHOLDS` inside the
    block (never more often than it was), its thresholds restored when the last such block of
    the process ends. For the work of reading and writing files, in the ingesting process and in
    each worker."""
    global _gc_users, _gc_before
    with _GC_LOCK:
        if _gc_users == 0:
            _gc_before = gc.get_threshold()
            gc.set_threshold(*(max(a, b) for a, b in zip(INGEST_GC_THRESHOLDS, _gc_before)))
        _gc_users += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_before)


def run_parallel(
    chunks: list[list[T]],
    work: Callable[[list[T]], R],
    died: Callable[[T], R],
    workers: int,
    ahead: int = PARALLEL_AHEAD,
) -> Iterator[R]:
    """``work(chunk)`` for every chunk in ``workers`` processes, the results in the chunks' order.

    ``work`` must be a module-level function (it is sent to the workers). At most ``ahead``
    chunks per worker are in flight or waiting to be taken. An item whose worker dies even when
    it is read alone gives ``died(item)`` instead of its share of a result.
    """
    todo = deque(chunks)
    while todo:
        flight: deque[tuple[list[T], Future[R]]] = deque()
        with _pool(workers) as pool:
            try:
                while todo or flight:
                    while todo and len(flight) < workers * ahead:
                        try:
                            flight.append((todo[0], pool.submit(work, todo[0])))
                        except BrokenProcessPool:  # a worker died since the last result: the
                            break  # chunks in flight say which; this one was not sent
                        todo.popleft()
                    if not flight:  # the pool broke with nothing in flight: start another
                        break
                    chunk, future = flight[0]
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        break
                    flight.popleft()
                    yield result
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        # what was in flight when the pool broke, in order: a result that came back stands,
        # the others are read again apart
        for chunk, future in flight:
            if future.done() and not future.cancelled() and future.exception() is None:
                yield future.result()
            else:
                yield from _apart(chunk, work, died)


def _apart(chunk: list[T], work: Callable[[list[T]], R], died: Callable[[T], R]) -> Iterator[R]:
    """``work(chunk)`` in a pool of its own; if its worker dies again, each item alone."""
    if len(chunk) > 1:
        with _pool(1) as pool:
            try:
                yield pool.submit(work, chunk).result()
                return
            except BrokenProcessPool:
                pass
    for item in chunk:
        with _pool(1) as pool:
            try:
                yield pool.submit(work, [item]).result()
            except BrokenProcessPool:
                yield died(item)


def _pool(workers: int) -> ProcessPoolExecutor:
    """A pool of the platform's default kind; a fork server imports :data:`PRELOAD` once for all
    its workers, so that each does not import them again."""
    context = multiprocessing.get_context()
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)
