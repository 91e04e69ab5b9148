"""Fixtures of the dataset tests: a corpus with bad files, and a real local Ray cluster."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.dataset.helpers import write_corpus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus")


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    """A real local Ray cluster of 2 CPUs for a module of tests, shut down after its last test so
    that no Ray thread or worker outlives them into the rest of the suite. Its workers run
    ``tests.dataset.ray_hooks.install`` when they start, so a test can have a worker killed."""
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'redline[ray]')")
    from tests.dataset import ray_hooks

    saved = {name: os.environ.get(name) for name in (ray_hooks.MARKERS, "PYTHONPATH")}
    # the workers inherit these: where the marker files go, and how to import the hook
    os.environ[ray_hooks.MARKERS] = str(tmp_path_factory.mktemp("ray-markers"))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), saved["PYTHONPATH"]]))
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR",
             runtime_env={"worker_process_setup_hook": "tests.dataset.ray_hooks.install"})
    try:
        yield ray
    finally:
        ray.shutdown()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
