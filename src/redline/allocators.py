"""glibc's allocator: the memory of DuckDB's objects, of some of its query results' buffers and
Python's large objects.

polars and DuckDB keep their data in allocators of their own (jemalloc, in their Linux builds;
:data:`~redline.limits.POLARS_ALLOCATOR`, :func:`redline.db.release_memory`); the rest goes
through the C library's ``malloc``. glibc's raises its mmap threshold to the largest block
freed so far (up to 32 MiB), and its trim threshold to twice that, so that later blocks up to
that size are kept in its heaps once freed, their pages resident: about 15 MB after a batch's
read, through its rules. :data:`~redline.limits.C_MALLOC` fixes both thresholds
(:func:`tune_c_malloc`); the ``redline`` command applies it when it classifies (an ingest,
which allocates large blocks all the time, ran about a third longer with it). It is a setting of
the whole process, so the library does not make it on its own: a script or notebook calls
:func:`tune_c_malloc` if it wants it. Where the C library is not glibc (macOS, musl, Windows)
nothing is changed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .limits import C_MALLOC

#: glibc's ``mallopt`` parameters by name (``malloc.h``), and the environment variable through
#: which glibc takes each at process start: a setting the environment made is left as it is
MALLOPT_PARAMETERS = {"M_TRIM_THRESHOLD": (-1, "MALLOC_TRIM_THRESHOLD_"),
                      "M_MMAP_THRESHOLD": (-3, "MALLOC_MMAP_THRESHOLD_")}


def glibc_version() -> str | None:
    """The C library's version (``"glibc 2.36"``) when it is glibc; None for any other (musl,
    macOS, Windows), whose allocator takes none of glibc's settings."""
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):  # no confstr, or a name the system does not know
        return None
    return version if version and version.startswith("glibc") else None


def tune_c_malloc(settings: Mapping[str, int] = C_MALLOC, environ: Mapping[str, str] | None = None) -> dict[str, int]:
    """Apply ``settings`` (``mallopt`` parameter name -> value, default
    :data:`~redline.limits.C_MALLOC`) to glibc's allocator for the rest of the process; a
    parameter whose environment variable is set in ``environ`` (default :data:`os.environ`) is
    left as the environment set it. Returns what was applied: nothing where the C library is
    not glibc. Safe to call more than once, at any time."""
    if glibc_version() is None:
        return {}
    import ctypes

    environ = os.environ if environ is None else environ
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return {}
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    applied = {}
    for name, value in settings.items():
        param, variable = MALLOPT_PARAMETERS[name]
        if variable not in environ and mallopt(param, value) == 1:
            applied[name] = value
    return applied
