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

# before anything loads polars: its allocator reads this once, when it starts
os.environ.setdefault("_RJEM_MALLOC_CONF", POLARS_ALLOCATOR)

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
