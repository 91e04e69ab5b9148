"""The ``redline`` command: a thin layer over the library.

Each command parses its options, calls one library function and prints the result. Commands
live in one module per topic and register themselves on :data:`main` when imported; the group
imports a command's module when the command is asked for (:data:`.app.COMMANDS` names it), so
``redline classify`` imports neither the report nor the dataset commands.
"""

from __future__ import annotations

import gc
import os

from ..limits import POLARS_ALLOCATOR

#: what importing polars writes to ``_RJEM_MALLOC_CONF`` ahead of any setting it found there (its
#: own defaults): a process started by a Python program that imported polars (a notebook, a
#: script, a benchmark) inherits it, although nobody chose it
POLARS_OWN_ALLOCATOR = "dirty_decay_ms:500,muzzy_decay_ms:1000"


def allocator_setting(inherited: str | None) -> str:
    """The ``_RJEM_MALLOC_CONF`` the command runs with: :data:`~redline.limits.POLARS_ALLOCATOR`,
    unless the environment chose another; polars' own defaults, inherited from a parent that
    imported polars (:data:`POLARS_OWN_ALLOCATOR`), are no choice: redline's setting replaces
    them, and what was set after them is kept (it comes last, so it still wins)."""
    if not inherited:
        return POLARS_ALLOCATOR
    if inherited == POLARS_OWN_ALLOCATOR or inherited.startswith(POLARS_OWN_ALLOCATOR + ","):
        chosen = inherited[len(POLARS_OWN_ALLOCATOR) + 1:]
        return f"{POLARS_ALLOCATOR},{chosen}" if chosen else POLARS_ALLOCATOR
    return inherited


# before anything loads polars: its allocator reads this once, when it starts
os.environ["_RJEM_MALLOC_CONF"] = allocator_setting(os.environ.get("_RJEM_MALLOC_CONF"))

from .app import COMMANDS, main  # noqa: E402

__all__ = ["COMMANDS", "main", "run"]


def run() -> None:
    """The ``redline`` program: :data:`main` in a process that ends with it. Python's last
    garbage collections at exit walk every object still alive, to free memory the system takes
    back anyway (about 0.06 s after a classify): what is alive when the command is done is set
    aside from them first (:func:`gc.freeze`). Connections and files are closed by the commands
    themselves, not by the collector."""
    try:
        main()
    finally:
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    run()
