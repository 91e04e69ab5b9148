"""glibc's allocator settings (:mod:`redline.allocators`): applied where the C library is glibc
(by the ``redline`` command when it classifies), nothing changed elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from redline import allocators
from redline.limits import C_MALLOC

_GLIBC = allocators.glibc_version() is not None
_CLEAN = {k: v for k, v in os.environ.items()
          if k not in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}


def _run(code: str, **env) -> str:
    out = subprocess.run([sys.executable, "-c", code], env={**_CLEAN, **env}, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_nothing_is_applied_where_the_c_library_is_not_glibc(monkeypatch):
    import ctypes

    def not_glibc(name):
        raise ValueError("unrecognized configuration name")

    def no_call(*args):
        raise AssertionError("the C library was called")
    monkeypatch.setattr(os, "confstr", not_glibc)
    monkeypatch.setattr(ctypes, "CDLL", no_call)
    assert allocators.glibc_version() is None
    assert allocators.tune_c_malloc() == {}
    monkeypatch.setattr(os, "confstr", lambda name: None)  # (a C library that answers nothing)
    assert allocators.tune_c_malloc() == {}


@pytest.mark.skipif(not _GLIBC, reason="glibc's allocator only")
def test_on_glibc_the_settings_are_applied_and_a_setting_of_the_environment_is_kept():
    assert allocators.glibc_version().startswith("glibc ")
    code = "from redline.allocators import tune_c_malloc; import json; print(json.dumps(tune_c_malloc()))"
    assert json.loads(_run(code)) == C_MALLOC
    assert json.loads(_run(code, MALLOC_MMAP_THRESHOLD_="65536")) == {
        k: v for k, v in C_MALLOC.items() if k != "M_MMAP_THRESHOLD"}


# glibc maps a block of 4 MB apart, frees it, and from then on keeps blocks up to that size in its
# heap (where their pages stay resident once freed), unless the mmap threshold was set
_BLOCK_AFTER_A_LARGER_ONE = """
import ctypes, sys
if sys.argv[1] == 'tuned':
    from redline.allocators import tune_c_malloc
    tune_c_malloc()
elif sys.argv[1] in ('ingest', 'classify'):
    from redline.cli import main
    commands = [['ingest', sys.argv[3], '--db', sys.argv[2]]]
    if sys.argv[1] == 'classify':
        commands.append(['classify', '--db', sys.argv[2]])
    for command in commands:
        try:
            main(command, standalone_mode=False)
        except SystemExit:
            pass
libc = ctypes.CDLL(None)
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int) for n in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc.mallinfo.restype = Info
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(4 << 20))
mapped = libc.mallinfo().hblks
block = libc.malloc(1 << 20)
print(libc.mallinfo().hblks - mapped)
libc.free(block)
"""


@pytest.mark.skipif(not _GLIBC, reason="glibc's allocator only")
def test_on_glibc_a_freed_large_block_no_longer_raises_the_threshold_of_mapped_blocks_once_the_command_classifies(
        tmp_path, write_traj):
    traj = write_traj("r__m-1", [("ls -la", "total 0", 0), ("pkill -f server", "", 0)])
    runs = iter(range(10))

    def mapped(how: str, **env) -> str:
        db = tmp_path / f"a{next(runs)}.duckdb"  # (a new database each time: its labels are not current)
        return subprocess.run([sys.executable, "-c", _BLOCK_AFTER_A_LARGER_ONE, how, str(db), str(traj)],
                              env={**_CLEAN, **env}, capture_output=True, text=True, check=True).stdout.split()[-1]
    assert (mapped("default"), mapped("tuned"), mapped("classify")) == ("0", "1", "1")
    # an ingest (it allocates large blocks all the time) leaves glibc as it is
    assert mapped("ingest") == "0"
    # a setting of the environment is the user's: the command leaves it
    assert mapped("classify", MALLOC_MMAP_THRESHOLD_=str(8 << 20)) == "0"
