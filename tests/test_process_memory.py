"""Process-wide memory settings the ``redline`` command makes before its libraries load."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from redline.limits import POLARS_ALLOCATOR

_PROBE = ("import json, os, sys; import redline.cli; "
          "print(json.dumps([os.environ.get('_RJEM_MALLOC_CONF'), 'polars' in sys.modules]))")


def _probe(**env) -> list:
    base = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", _PROBE], env={**base, **env}, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def test_the_command_sets_polars_allocator_before_polars_is_loaded():
    # polars' jemalloc reads the setting once, when it starts: the command must set it first
    assert _probe() == [POLARS_ALLOCATOR, False]
    assert "dirty_decay_ms:" in POLARS_ALLOCATOR


def test_a_setting_from_the_environment_is_kept():
    assert _probe(_RJEM_MALLOC_CONF="narenas:2") == ["narenas:2", False]


def _polars_own() -> str:
    """What importing polars writes to the variable, with nothing set before."""
    base = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", "import os, polars; print(os.environ['_RJEM_MALLOC_CONF'])"],
                         env=base, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_polars_defaults_inherited_from_a_parent_that_imported_polars_are_replaced():
    # a script or notebook that imported polars passes polars' own defaults to every process it
    # starts: the command must not take them for a choice of the user's
    own = _polars_own()
    assert own  # (polars writes its defaults on import)
    assert _probe(_RJEM_MALLOC_CONF=own) == [POLARS_ALLOCATOR, False]


def test_a_setting_made_before_polars_added_its_defaults_is_kept_after_redlines():
    own = _polars_own()
    assert _probe(_RJEM_MALLOC_CONF=f"{own},narenas:2") == [f"{POLARS_ALLOCATOR},narenas:2", False]


def test_worker_processes_inherit_it():
    # ingest's worker processes start from the command's environment
    code = ("import os, subprocess, sys; import redline.cli; "
            "print(subprocess.run([sys.executable, '-c', \"import os; print(os.environ.get('_RJEM_MALLOC_CONF'))\"], "
            "capture_output=True, text=True).stdout.strip())")
    base = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", code], env=base, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == POLARS_ALLOCATOR
