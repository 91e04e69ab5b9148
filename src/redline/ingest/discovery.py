"""Finding the files to ingest, and telling what a path is before anything is opened.

:func:`discover` expands what the user named (files, folders walked recursively, glob patterns)
into paths, without reading any file. A folder that cannot be read is named in the result; a
symbolic link loop or a name that is not valid UTF-8 is listed like any file, for
:func:`examine` to describe.

:func:`examine` decides, with ``os.stat`` on the path and on what a link points to, whether a
path can be read at all. Only regular files are: a named pipe, a device (``/dev/zero``), a
socket, or a file of the kernel's ``/proc`` or ``/sys`` could block a reader forever or never
end, so it is never opened.
"""

from __future__ import annotations

import errno
import glob
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..convert import clean_path
from .reasons import os_error

#: folder names never walked into
SKIP_DIRS = {".git", "__pycache__", ".venv", "node_modules", ".pytest_cache", ".hypothesis"}
#: file systems of the kernel: their "regular files" can block or never end
PSEUDO_ROOTS = ("/proc/", "/sys/")

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


@dataclass
class Discovery:
    """What :func:`discover` found."""

    #: the paths to ingest, sorted: a link to a regular file as its target (so a file reached
    #: twice is read once), anything else (a link to a device, a broken link) as itself
    files: list[str] = field(default_factory=list)
    #: the subset of ``files`` the user named directly (not found in a folder)
    explicit: set[str] = field(default_factory=set)
    #: named inputs that matched nothing, each a line ``NAME: why``
    missing: list[str] = field(default_factory=list)
    #: folders that could not be read, each a line ``FOLDER: error: why``
    problems: list[str] = field(default_factory=list)
    #: how many inputs the user named
    named: int = 0


def discover(paths: Iterable[str | os.PathLike[str]]) -> Discovery:
    """Expand files, folders (recursively) and glob patterns into a sorted list of paths."""
    found = Discovery()
    seen: set[str] = set()

    def add(path: str, explicit: bool) -> None:
        key = _canonical(path)
        if key not in seen:
            seen.add(key)
            found.files.append(key)
        if explicit:
            found.explicit.add(key)

    for raw in paths:
        found.named += 1
        text = os.fspath(raw)
        if os.path.lexists(text):
            candidates = [text]
        elif glob.has_magic(text):
            candidates = sorted(glob.glob(text, recursive=True))
            if not candidates:
                found.missing.append(f"{clean_path(text)}: no files match this pattern")
                continue
        else:
            found.missing.append(f"{clean_path(text)}: no such file or directory")
            continue
        for cand in candidates:
            if os.path.isdir(cand):
                for path in _walk(cand, found.problems):
                    add(path, False)
            else:
                add(cand, True)
    found.files.sort()
    return found


def _walk(top: str, problems: list[str]) -> Iterable[str]:
    """Every non-folder entry under ``top``; folders that cannot be read go to ``problems``.
    Links to folders are listed, not followed (so a link loop cannot recurse)."""

    def unreadable(exc: OSError) -> None:
        name = clean_path(os.path.abspath(exc.filename or top))
        problems.append(f"{name}: error: cannot read folder: {os_error(exc).removeprefix('cannot read file: ')}")

    for root, dirs, files in os.walk(top, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        links = [d for d in dirs if os.path.islink(os.path.join(root, d))]
        dirs[:] = [d for d in dirs if d not in links]
        for name in sorted(files + links):
            yield os.path.join(root, name)


def _canonical(path: str) -> str:
    """The path a file is read and stored under: the target of a link to a regular file, the
    absolute path of anything else (so a link to ``/dev/zero`` is named as the link)."""
    absolute = os.path.abspath(path)
    real = os.path.realpath(absolute)
    try:
        if stat.S_ISREG(os.stat(real).st_mode) and not real.startswith(PSEUDO_ROOTS):
            return real
    except OSError:
        pass
    return absolute


class NotRegular(Exception):
    """The path is not a regular file; the message says what it is."""


class BadLink(Exception):
    """The path is a symbolic link that leads nowhere; the message names its target."""


def examine(path: str) -> None:
    """Return if ``path`` is a regular file (or a link to one). Otherwise raise
    :class:`NotRegular` (a pipe, a device...: not to be read), :class:`BadLink` (a broken link or
    a link loop, naming the target) or the ``OSError`` of ``os.stat``."""
    link = os.path.islink(path)
    target = _readlink(path) if link else None
    via = f"symbolic link to {clean_path(target)}, " if link else ""
    try:
        st = os.stat(path)
    except OSError as exc:
        if not link:
            raise
        if exc.errno == errno.ELOOP:
            raise BadLink(f"symbolic link loop: its target {clean_path(target)} leads back to itself") from None
        if exc.errno == errno.ENOENT:
            raise BadLink(f"broken symbolic link: its target {clean_path(target)} does not exist") from None
        raise BadLink(f"{via}{os_error(exc).removeprefix('cannot read file: ')}") from None
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise NotRegular(f"not a regular file: {via}{kind}")
    if os.path.realpath(path).startswith(PSEUDO_ROOTS):
        raise NotRegular(f"not a regular file: {via}a file of the kernel's /proc or /sys")
    if not stat.S_ISREG(st.st_mode):
        raise NotRegular(f"not a regular file: {via}of an unknown kind")


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def open_regular(path: str):
    """Open ``path`` for reading in binary without blocking on a pipe or device, and check again
    (on the open file) that it is a regular file: it may have been replaced since
    :func:`examine`."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular("not a regular file (it changed while being read)")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
