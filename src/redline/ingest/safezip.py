"""Reading zip archives (Inspect's ``.eval`` logs) within fixed limits: every zip limit is here.

A crafted archive can inflate to many times its size, one huge entry at a time or thousands of
small ones. :class:`SafeZip` refuses, with a reason naming the limit (all in
:mod:`.limits`):

- an archive whose entries together would inflate past ``MAX_ARCHIVE_BYTES``, or compress
  more than ``MAX_RATIO``:1 together once past ``RATIO_FLOOR_BYTES`` (entries under the floor
  count towards both);
- an entry bigger than ``MAX_ENTRY_BYTES`` uncompressed, or compressed more than
  ``MAX_RATIO``:1 once bigger than ``RATIO_FLOOR_BYTES``, or encrypted;
- an entry that inflates past the size its directory declares (a lying header), or past what
  is left of the archive's budget, checked while it streams.

Entries compressed with zstd (method 93, what current Inspect writes) are read with the
``zstandard`` package, across frames (Inspect cuts a big entry into several frames) and with
the decoder's window bounded; ``zipfile`` reads stored and deflated ones. Python's own zipfile
reads zstd only from 3.14, and only single-frame entries.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from .base import FormatError
from .limits import MAX_ARCHIVE_BYTES, MAX_ENTRY_BYTES, MAX_RATIO, MAX_ZSTD_WINDOW_BYTES, RATIO_FLOOR_BYTES

#: the first bytes of a zip archive (a local file header)
MAGIC = b"PK\x03\x04"
#: zip compression method numbers
STORED, DEFLATED, ZSTANDARD = 0, 8, 93
_CHUNK = 1024**2
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # APPNOTE 4.3.7: 30 bytes before the name


def entry_names(path: Path) -> set[str] | None:
    """The names in a zip archive's directory (nothing is inflated), or None if it has none."""
    try:
        with zipfile.ZipFile(path) as zf:
            return set(zf.namelist())
    except Exception:
        return None


class SafeZip:
    """A zip archive opened for bounded reading (see the module documentation)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._zf = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise FormatError(f"damaged or truncated zip archive: {exc}") from None
        self.infos = {info.filename: info for info in self._zf.infolist()}
        #: bytes inflated so far, all entries together
        self.inflated = 0
        #: for zstd entries: the archive opened once, and one decoder, reused entry after entry
        self._raw: BinaryIO | None = None
        self._zstd: zstandard.ZstdDecompressor | None = None
        try:
            self._check_archive()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._zf.close()
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    def names(self) -> list[str]:
        return list(self.infos)

    def _check_archive(self) -> None:
        for info in self.infos.values():  # one bad entry is named before the sums are judged
            self._check_entry(info)
        total = sum(info.file_size for info in self.infos.values())
        packed = sum(info.compress_size for info in self.infos.values())
        ratio = total / max(packed, 1)
        if total > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise FormatError(f"zip archive refused as a likely zip bomb: its {len(self.infos)} entries "
                              f"compress {ratio:.0f}:1 together (limit {MAX_RATIO}:1)")
        if total > MAX_ARCHIVE_BYTES:
            raise FormatError(f"zip archive refused: its entries inflate to {total} bytes together "
                              f"(limit {MAX_ARCHIVE_BYTES})")

    def read(self, name: str) -> bytes:
        """One entry's bytes, refused or cut short by the limits."""
        info = self.infos[name]
        self._check_entry(info)
        budget = min(info.file_size, MAX_ENTRY_BYTES, MAX_ARCHIVE_BYTES - self.inflated)
        parts: list[bytes] = []
        size = crc = 0
        try:
            for chunk in self._chunks(info):
                parts.append(chunk)
                size += len(chunk)
                crc = zlib.crc32(chunk, crc)
                if size > budget:
                    if size > info.file_size:
                        raise FormatError(f"zip entry {name} inflates beyond its declared size "
                                          f"({info.file_size} bytes)")
                    raise FormatError(f"zip archive refused: inflating entry {name} passes the archive's "
                                      f"limit of {MAX_ARCHIVE_BYTES} bytes")
        except (zipfile.BadZipFile, zlib.error, zstandard.ZstdError, EOFError, OSError, RuntimeError,
                NotImplementedError, struct.error) as exc:
            raise FormatError(f"damaged zip entry {name}: {exc}") from None
        if size != info.file_size or crc != info.CRC:
            raise FormatError(f"damaged zip entry {name}: its data does not match its directory "
                              f"({size} of {info.file_size} bytes, CRC {'ok' if crc == info.CRC else 'wrong'})")
        self.inflated += size
        return parts[0] if len(parts) == 1 else b"".join(parts)  # one chunk (the usual entry): no copy

    def _check_entry(self, info: zipfile.ZipInfo) -> None:
        name = info.filename
        if info.flag_bits & 0x1:
            raise FormatError(f"zip entry {name} is encrypted")
        if info.file_size > MAX_ENTRY_BYTES:
            raise FormatError(f"zip entry {name} is too large: {info.file_size} bytes uncompressed "
                              f"(limit {MAX_ENTRY_BYTES})")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO:
            raise FormatError(f"zip entry {name} refused as a likely zip bomb: compression ratio "
                              f"{ratio:.0f}:1 (limit {MAX_RATIO}:1)")

    def _chunks(self, info: zipfile.ZipInfo):
        """The entry's inflated bytes, a chunk at a time."""
        if info.compress_type != ZSTANDARD:
            with self._zf.open(info) as fh:
                while chunk := fh.read(_CHUNK):
                    yield chunk
            return
        if self._raw is None:
            self._raw = open(self.path, "rb")
            self._zstd = zstandard.ZstdDecompressor(max_window_size=MAX_ZSTD_WINDOW_BYTES)
        fh = self._raw
        fh.seek(info.header_offset)
        header = _LOCAL_HEADER.unpack(fh.read(_LOCAL_HEADER.size))
        if header[0] != MAGIC:
            raise zipfile.BadZipFile("bad local file header")
        fh.seek(header[10] + header[11], 1)  # skip the name and the extra field
        with self._zstd.stream_reader(_Slice(fh, info.compress_size), read_across_frames=True,
                                      closefd=False) as reader:
            while chunk := reader.read(_CHUNK):
                yield chunk


class _Slice:
    """The next ``size`` bytes of a file, read no further."""

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self.fh = fh
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.fh.read(n)
        self.left -= len(data)
        return data
