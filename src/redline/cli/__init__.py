"""The ``redline`` command: a thin layer over the library.

Each command parses its options, calls one library function and prints the result. Commands
live in one module per topic and register themselves on :data:`main` when imported here.
"""

from __future__ import annotations

from . import analyse, audit, browse, check, classify, ingest, models, report  # noqa: F401  (registers the commands)
from .app import main

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    main()
