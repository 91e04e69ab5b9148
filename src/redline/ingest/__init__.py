"""Reading transcripts into the database: format adapters and bulk loading.

Names are imported lazily so that ``import redline`` (and every worker process) does not pull
in every adapter. Command lines are parsed by :mod:`redline.shell`.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "IngestReport": "loader", "discover": "loader", "ingest": "loader",
    "process_file": "loader", "FORMATS": "registry", "get_format": "registry",
    "format_names": "registry",
}
_RENAMED = {"get_format": "get", "format_names": "names"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, _RENAMED.get(name, name))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
