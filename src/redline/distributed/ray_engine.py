"""The Ray executor: shard tasks as Ray tasks on a local or remote Ray cluster.

The only module of redline that imports Ray (an optional extra: ``pip install 'redline[ray]'``);
importing it without Ray raises :class:`RayMissing` with the one line to run.

Each task asks for one CPU. A task whose worker process dies (killed, out of memory, its node
lost) is run again by Ray up to :data:`~.executor.RETRIES` more times (``max_retries``); a task
that raises is not retried (``retry_exceptions=False``): the driver stops with the error.
Tasks read their transcripts and write their shard's files themselves, so the transcripts and
the dataset must be on a filesystem every node sees at the same path; only small summaries
travel back to the driver.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

from ..limits import RAY_CONNECT_TIMEOUT_S, TASK_CPUS
from .executor import RETRIES, Done, TaskError
from .tasks import TASK_THREADS


class RayMissing(ImportError):
    """Ray is not installed."""


try:
    import ray
    from ray import exceptions as ray_errors
except ImportError as exc:  # pragma: no cover - exercised where Ray is absent
    raise RayMissing("the Ray engine needs Ray: pip install 'redline[ray]'") from exc

#: a worker that died, not a task that failed: retried by Ray, then reported as died
_DEATHS = (ray_errors.WorkerCrashedError, ray_errors.OutOfMemoryError, ray_errors.NodeDiedError,
           ray_errors.LocalRayletDiedError, ray_errors.ObjectLostError)


class RayUnreachable(ConnectionError):
    """The cluster named by an address accepts no connection."""


def check_reachable(address: str | None, timeout: float = RAY_CONNECT_TIMEOUT_S) -> None:
    """Raise :class:`RayUnreachable`, naming ``address``, when ``HOST:PORT`` or
    ``ray://HOST:PORT`` accepts no TCP connection within ``timeout`` seconds.

    ``None``, ``auto`` and ``local`` name no host: Ray resolves them itself, quickly.
    """
    if not address or address in ("auto", "local"):
        return
    hostport = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = hostport.rstrip("/").rpartition(":")
    if not sep or not port.isdigit():
        return  # not HOST:PORT: left to Ray, which names what is wrong with it
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise RayUnreachable(f"no Ray cluster reachable at {address} within {timeout:g} s: "
                             f"{exc.strerror or type(exc).__name__}") from None


class RayExecutor:
    """Runs tasks on Ray. Joins the cluster at ``address`` (``auto``, ``HOST:PORT`` or
    ``ray://HOST:10001``), the one named by ``RAY_ADDRESS``, or the one this process already
    joined; without any, starts a local one with ``num_cpus`` CPUs (default: all) and stops it
    on :meth:`close`."""

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int | None = None, retries: int = RETRIES):
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": True}
            if address is None and num_cpus is not None:
                kwargs["num_cpus"] = num_cpus
            if address is None:
                kwargs["include_dashboard"] = False
            check_reachable(address or os.environ.get("RAY_ADDRESS"))
            ray.init(address=address, **kwargs)
            self._started = True
        self._retries = retries
        self._remote: dict[Callable[..., Any], Any] = {}
        self._pending: dict[Any, Any] = {}

    def submit(self, key: Any, fn: Callable[..., Any], *args: Any) -> None:
        remote = self._remote.get(fn)
        if remote is None:
            remote = ray.remote(num_cpus=TASK_CPUS, max_retries=self._retries, retry_exceptions=False,
                                runtime_env={"env_vars": {"POLARS_MAX_THREADS": str(TASK_CPUS),
                                                          TASK_THREADS: str(TASK_CPUS)}})(fn)
            self._remote[fn] = remote
        self._pending[remote.remote(*args)] = (key, fn.__name__)

    def results(self) -> Iterator[Done]:
        while self._pending:
            ready, _ = ray.wait(list(self._pending), num_returns=1)
            for ref in ready:
                key, name = self._pending.pop(ref)
                try:
                    value = ray.get(ref)
                except _DEATHS as exc:
                    yield Done(key, died=f"its worker died on each of {self._retries + 1} attempts "
                                         f"({type(exc).__name__})")
                    continue
                except ray_errors.RayTaskError as exc:
                    cause = exc.cause if getattr(exc, "cause", None) is not None else exc
                    raise TaskError(f"{name} failed: {type(cause).__name__}: {cause}") from None
                yield Done(key, value)

    def close(self) -> None:
        for ref in list(self._pending):
            ray.cancel(ref, force=True)
        self._pending.clear()
        if self._started and ray.is_initialized():
            ray.shutdown()
