"""Run by every worker of the test Ray cluster when it starts (``worker_process_setup_hook``).

It wraps :func:`redline.ingest.loader.process_file` so that reading a transcript whose name
says so kills the worker process with SIGKILL, as the kernel's OOM killer or a lost node would:
``kill-worker-once`` the first time any worker reads it (a marker file remembers), and
``kill-worker-always`` every time. Every other file is read normally.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from redline.ingest import loader

#: the environment variable naming the folder of marker files
MARKERS = "REDLINE_TEST_RAY_MARKERS"


def install() -> None:
    original = loader.process_file

    def process_file(path, *args, **kwargs):
        name = Path(path).name
        markers = os.environ.get(MARKERS)
        if markers and "kill-worker-always" in name:
            os.kill(os.getpid(), signal.SIGKILL)
        if markers and "kill-worker-once" in name:
            marker = Path(markers) / f"{name}.killed"
            if not marker.exists():
                marker.touch()
                os.kill(os.getpid(), signal.SIGKILL)
        return original(path, *args, **kwargs)

    loader.process_file = process_file
