"""Datasets written and labelled shard by shard, in this process or on a Ray cluster.

:mod:`.ingest` (``redline ingest PATH... --out DIR``), :mod:`.classify` (``redline classify
--dataset DIR``) and :mod:`.analyse` (``redline analyse --dataset DIR``) drive the work;
:mod:`.tasks` is the work of one shard, the same code as the local commands';
:mod:`.executor` runs tasks in this process, :mod:`.ray_engine` on Ray (the only module that
imports Ray, an optional extra).
"""

from __future__ import annotations

from .executor import Done, Executor, LocalExecutor, TaskError

__all__ = ["Done", "Executor", "LocalExecutor", "TaskError", "executor"]


def executor(engine: str = "local", *, address: str | None = None, num_cpus: int | None = None,
             retries: int | None = None) -> Executor:
    """The executor of ``engine`` (``local`` or ``ray``). ``ray`` raises
    :class:`~.ray_engine.RayMissing` (an ImportError) when Ray is not installed."""
    if engine == "local":
        return LocalExecutor()
    if engine == "ray":
        from . import ray_engine

        kwargs = {} if retries is None else {"retries": retries}
        return ray_engine.RayExecutor(address=address, num_cpus=num_cpus, **kwargs)
    raise ValueError(f"unknown engine {engine!r} (local or ray)")
