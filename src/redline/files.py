"""Writing a file whole: the one way redline replaces a file that others may read while it is
written (the HTML report and its site's pages, saved models, the rule-version caches).

:func:`write_whole` writes into a temporary file of its own beside the target, created
exclusively under a name no other writer uses (a hidden name with this process's ID and random
bytes), then renames it over the target. A reader sees the old file or the new one, never a part;
two processes (or threads) writing one path at once each rename a complete file of their own, so
the target ends as one of them whole, never their bytes mixed; and no other file beside the target
is touched (a fixed name such as ``report.html.tmp`` would be shared by every writer and would
overwrite a file of that name).
"""

from __future__ import annotations

import os
from pathlib import Path


def temporary_name(path: Path) -> Path:
    """A fresh hidden name beside ``path`` for one write: ``.NAME.PID.RANDOM.tmp``."""
    return path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")


def write_whole(path: str | os.PathLike[str], data: bytes | str, encoding: str = "utf-8", *,
                durable: bool = False) -> Path:
    """Write ``data`` (text is encoded with ``encoding``) to ``path`` whole or not at all and
    return the path. The temporary file is removed if the write fails; the folder must exist.

    ``durable``: the bytes reach the disk (``fsync``) before the rename, so that after a crash
    of the machine the path holds the old file or the new one whole (a dataset's manifest, its
    commit); a report or a cache that can be written again does without the wait."""
    path = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    tmp = temporary_name(path)
    try:
        with open(tmp, "xb") as fh:
            fh.write(payload)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
