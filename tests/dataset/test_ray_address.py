"""``--ray-address`` naming a cluster that is not there fails in seconds, naming the address.

Skipped, with the reason, when Ray is not installed (``pip install 'redline[ray]'``).
"""

from __future__ import annotations

import socket
import time

import pytest
from click.testing import CliRunner

from redline.cli import main

ray_engine = pytest.importorskip("redline.distributed.ray_engine", reason="Ray is not installed",
                                 exc_type=ImportError)


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_unreachable_address_fails_fast_and_names_it(tmp_path, scheme) -> None:
    address = f"{scheme}127.0.0.1:{closed_port()}"
    (tmp_path / "runs").mkdir()
    started = time.monotonic()
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "runs"), "--out", str(tmp_path / "ds"),
                                       "--engine", "ray", "--ray-address", address])
    assert time.monotonic() - started < 30
    assert result.exit_code != 0
    assert address in result.output
    assert "no Ray cluster reachable" in result.output


def test_listening_address_passes_the_check() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        ray_engine.check_reachable(f"127.0.0.1:{server.getsockname()[1]}", timeout=2)
    ray_engine.check_reachable("auto")  # resolved by Ray itself
