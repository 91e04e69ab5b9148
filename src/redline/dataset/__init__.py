"""Datasets: the database's tables as sharded Parquet files any engine reads.

:mod:`.layout` says where the files go, :mod:`.manifest` what the one commit file holds,
:mod:`.store` how a dataset is written (atomic files, commits, cleaning up), :mod:`.export`
writes a database as a dataset (``redline export``) and :mod:`.attach` makes a DuckDB file of
views over one (``redline attach``). The distributed engine (:mod:`redline.distributed`) writes
datasets shard by shard with the same functions.
"""

from __future__ import annotations

from .attach import Attached, attach
from .export import Exported, export
from .manifest import DatasetError, Manifest, Shard
from .store import Dataset

__all__ = ["Attached", "Dataset", "DatasetError", "Exported", "Manifest", "Shard", "attach", "export"]
