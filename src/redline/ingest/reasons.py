"""Why a file could not be read, as a sentence: the one place that turns an exception into the
reason stored in ``ingested_files.error`` and printed on stderr.

An adapter says what is wrong with a file by raising :class:`~redline.ingest.base.FormatError`
with a message a user can act on. Anything else it raises means the file held something the
adapter did not expect (a number where a list belongs, a date past year 9999); the user still
gets a sentence naming what went wrong, never a bare Python class name.
"""

from __future__ import annotations

import errno
import zipfile
import zlib

from ..text import truncate

#: characters of an exception's own message kept in the reason
DETAIL_CHARS = 300


def _detail(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f" ({truncate(text, DETAIL_CHARS, '…')})" if text else ""


def describe(exc: BaseException) -> str:
    """A sentence saying why reading a file failed with ``exc``."""
    detail = _detail(exc)
    if isinstance(exc, RecursionError):
        return "structure nested too deeply"
    if isinstance(exc, MemoryError):
        return "out of memory while reading"
    if isinstance(exc, OSError):
        return os_error(exc)
    if isinstance(exc, zipfile.BadZipFile):
        return f"damaged zip archive{detail}"
    if isinstance(exc, zlib.error):
        return f"damaged compressed data{detail}"
    if isinstance(exc, UnicodeError):
        return f"text that is not valid UTF-8{detail}"
    if isinstance(exc, OverflowError):
        return f"a number or date too large to store{detail}"
    if isinstance(exc, KeyError):
        return f"a required field is missing{detail}"
    if isinstance(exc, IndexError):
        return f"a list is shorter than its format requires{detail}"
    if isinstance(exc, (TypeError, AttributeError)):
        return f"a field holds a value of an unexpected type{detail}"
    if isinstance(exc, ValueError):
        return f"a field holds a value that cannot be read{detail}"
    return f"unexpected failure while reading{detail}"


_OS_REASONS = {
    errno.ENOENT: "the file no longer exists",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "symbolic link loop",
    errno.EISDIR: "it is a folder",
    errno.EIO: "input/output error while reading",
    errno.ENAMETOOLONG: "file name too long",
}


def os_error(exc: OSError) -> str:
    """``cannot read file: REASON`` for an error the operating system gave."""
    reason = _OS_REASONS.get(exc.errno or -1) or exc.strerror or " ".join(str(exc).split())
    return f"cannot read file: {reason}"
