"""Process-wide memory settings the ``redline`` command makes before its libraries load."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from redline.limits import CLASSIFY_POLARS_THREADS, POLARS_ALLOCATOR

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


def test_worker_processes_inherit_it():
    # ingest's worker processes start from the command's environment
    code = ("import os, subprocess, sys; import redline.cli; "
            "print(subprocess.run([sys.executable, '-c', \"import os; print(os.environ.get('_RJEM_MALLOC_CONF'))\"], "
            "capture_output=True, text=True).stdout.strip())")
    base = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    out = subprocess.run([sys.executable, "-c", code], env=base, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == POLARS_ALLOCATOR


_THREADS = ("import sys; from redline.cli import main\n"
            "try:\n    main(sys.argv[1:], standalone_mode=False)\n"
            "finally:\n    import polars; print(polars.thread_pool_size())")


def _threads(tmp_path, *args, **env) -> int:
    base = {k: v for k, v in os.environ.items() if k != "POLARS_MAX_THREADS"}
    out = subprocess.run([sys.executable, "-c", _THREADS, *args], env={**base, **env}, capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip().splitlines()[-1])


def test_classifying_runs_polars_on_its_own_thread_count(tmp_path):
    # each polars thread compiles the rules' regexes and keeps caches of its own
    (tmp_path / "empty").mkdir()
    db = str(tmp_path / "r.duckdb")
    assert _threads(tmp_path, "ingest", str(tmp_path / "empty"), "--db", db, "--classify") == CLASSIFY_POLARS_THREADS
    assert _threads(tmp_path, "classify", "--db", db) == CLASSIFY_POLARS_THREADS
    assert _threads(tmp_path, "classify", "--db", db, POLARS_MAX_THREADS="2") == 2
    assert _threads(tmp_path, "sql", "SELECT 1", "--db", db) == polars_default_threads()


def polars_default_threads() -> int:
    out = subprocess.run([sys.executable, "-c", "import polars; print(polars.thread_pool_size())"], capture_output=True,
                         text=True, check=True, env={k: v for k, v in os.environ.items() if k != "POLARS_MAX_THREADS"})
    return int(out.stdout)
