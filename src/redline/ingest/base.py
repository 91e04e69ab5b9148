"""What every format adapter shares: the :class:`Format` protocol, the errors an adapter
raises, helpers to read files safely and to turn message content into text.

A format is any object with the attributes of :class:`Format` (a class instance, or an
:class:`Adapter` made of plain functions, which is how the built-in formats declare
themselves). Formats are registered through the ``redline.formats`` entry point group (see
:mod:`redline.ingest.registry`), the built-in ones exactly as a third party's plugin would be.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import jiter
import orjson

from ..events import Trial
from ..text import truncate
from .limits import HEAD_BYTES, MAX_JSON_BYTES

#: the UTF-8 byte order mark some editors put at the start of a file
BOM = b"\xef\xbb\xbf"
#: content-part types that :func:`content_text` shows as ``[image]`` unless told otherwise
IMAGE_TYPES = ("image", "image_url", "input_image")


class FormatError(ValueError):
    """A file cannot be read as the format it claims to be; the message says why."""


class NotATranscript(Exception):
    """The file is in a known format but holds no agent trial; skipped with this reason."""


class ReadWithAnother(NotATranscript):
    """The file is one part of a trial that another file's reading stores (an event file of a
    conversation folder whose ``base_state.json`` is read); skipped with this reason, quietly,
    as a metadata file beside a transcript is."""


@runtime_checkable
class Format(Protocol):
    """A transcript format: how to recognise its files and how to read trials from them."""

    #: the format's stable name (``redline ingest --format NAME``)
    name: str
    #: one line for ``redline formats`` and the README
    description: str
    #: detection order, lowest first: the built-in specific formats use 10-100 and the generic
    #: chat-JSON fallback 1000, so a plugin for a specific format picks a number below 1000
    detect_order: int
    #: names of metadata files read beside the transcripts (``report.json``); ingest skips
    #: those files with a reason instead of reporting them unknown
    sidecars: tuple[str, ...]

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether the file is in this format, judged from its first bytes (``head``, at most
        :data:`~redline.ingest.limits.HEAD_BYTES`) and, only when the content leaves it open,
        its name. Must be cheap and must not raise."""
        ...

    def read(self, path: Path) -> Iterator[Trial]:
        """The trials in the file, yielded as they are read. Raises :class:`FormatError` with a
        reason a user can act on when the file is damaged or not really in this format, or
        :class:`NotATranscript` when it holds no agent trial."""
        ...


@dataclass(frozen=True)
class Adapter:
    """A :class:`Format` made of a module's functions: how the built-in formats declare
    themselves (``FORMAT = Adapter(NAME, DESCRIPTION, 10, sniff, read)``)."""

    name: str
    description: str
    detect_order: int
    sniff: Callable[[Path, bytes], bool]
    read: Callable[[Path], Iterator[Trial]]
    sidecars: tuple[str, ...] = ()


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(size)


def head_text(head: bytes) -> str:
    """The head decoded leniently, for sniffing only."""
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def read_text(path: Path) -> str:
    """The whole file as UTF-8 text, or a :class:`FormatError` naming the bad byte."""
    data = Path(path).read_bytes()
    return decode_utf8(data)


def decode_utf8(data: bytes) -> str:
    if not data.strip():
        raise FormatError("empty file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not valid UTF-8 text (bad byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    return text.lstrip("\ufeff")


def parse_json(data: bytes | str, what: str = "JSON") -> Any:
    """Parse JSON with orjson (bounded nesting), turning every failure into a FormatError."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) > MAX_JSON_BYTES:
        raise FormatError(f"{what} document too large ({len(data)} bytes)")
    if not data or data.isspace():
        raise FormatError("empty file")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        msg = str(exc)
        if "recursion" in msg.lower() or "depth limit" in msg.lower():
            raise FormatError(f"{what} nested too deeply") from None
        raise FormatError(f"invalid {what}: {msg}") from None


def check_utf8(data: bytes) -> None:
    """Raise a FormatError naming the first byte that is not UTF-8 text, if there is one."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not valid UTF-8 text (bad byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def load_json(path: Path, what: str = "JSON") -> Any:
    """The file's one JSON document (after a BOM), with FormatErrors that say 'empty file',
    'binary content', 'not valid UTF-8 text' or 'truncated JSON' (the file ends mid-document).
    The bytes are parsed as they are (no decoded copy of a large file is made)."""
    data = Path(path).read_bytes().removeprefix(BOM)
    if not data or data.isspace():
        raise FormatError("empty file")
    if b"\x00" in data[:HEAD_BYTES]:
        raise FormatError("binary content, not JSON text")
    try:
        return parse_json(data, what)
    except FormatError as exc:
        check_utf8(data)
        if "unexpected end of data" in str(exc):
            raise FormatError(f"truncated JSON: the file ends in the middle of the document ({exc})") from None
        raise


def json_document_or_lines(data: bytes) -> Any:
    """The file content's one JSON document, or ``None`` when it reads as JSON lines (two or
    more non-blank lines, the first a JSON value; a ``null`` document also gives ``None``).

    Raises ``FormatError`` for an empty file or bytes that are not UTF-8, and
    ``FormatError("truncated or invalid JSON: ...")`` for anything else.
    """
    data = data.removeprefix(BOM)
    if not data or data.isspace():
        raise FormatError("empty file")
    try:
        return parse_json(data, "JSON")
    except FormatError as exc:
        check_utf8(data)
        lines = _first_lines(data, 2)
        if len(lines) >= 2:
            try:
                orjson.loads(lines[0])
                return None
            except orjson.JSONDecodeError:
                pass
        raise FormatError(f"truncated or {exc}") from None


def _first_lines(data: bytes, n: int) -> list[bytes]:
    """The first ``n`` non-blank lines, found without splitting the whole of ``data``."""
    lines: list[bytes] = []
    start = 0
    while len(lines) < n and start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        if data[start:end].strip():
            lines.append(data[start:end])
        start = end + 1
    return lines


def json_text(value: Any) -> str:
    """A value as compact JSON text (what JSON cannot hold, as ``str``)."""
    return orjson.dumps(value, default=str).decode()


#: a tool call's arguments written first, unnamed and in this order, when they are strings (an
#: editor's ``view PATH``); every other argument follows as ``--key value``
POSITIONAL_ARGUMENTS = ("command", "path")


def parse_arguments(raw: Any) -> Any:
    """Tool-call arguments: a JSON string is decoded, anything else returned as it is."""
    if isinstance(raw, str):
        text = raw.strip()
        if text[:1] in ("{", "["):
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:
                return raw
        return raw
    return raw


def tool_call_line(name: str, arguments: dict) -> str:
    """A tool call as a command line: ``name <command> <path> --key value ...`` (values quoted
    for the shell, what is not a string as its JSON; ``None`` left out)."""
    parts = [name]
    for key in POSITIONAL_ARGUMENTS:
        if isinstance(arguments.get(key), str):
            parts.append(shlex.quote(arguments[key]))
    for key, value in arguments.items():
        if (key in POSITIONAL_ARGUMENTS and isinstance(value, str)) or value is None:
            continue
        parts.append(f"--{key}")
        parts.append(shlex.quote(value if isinstance(value, str) else json_text(value)))
    return " ".join(parts)


def content_text(content: Any, *, images: tuple[str, ...] = IMAGE_TYPES, tag_types: bool = False,
                 loose: bool = False, fallback: Callable[[Any], str] = json_text) -> str:
    """Text of a message ``content``: a string, or a list of parts joined by newlines.

    A part is a string or an object whose ``text`` string is kept; other parts are dropped,
    except that a part whose ``type`` is in ``images`` is shown as ``[image]`` and, with
    ``tag_types``, any other typed part as ``[its type]``. ``loose`` (chat JSON of any dialect)
    also reads a part's ``content`` string and a content that is one ``{"text": ...}`` object.
    Any other content becomes ``fallback(content)``.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                ptype = part.get("type")
                if isinstance(part.get("text"), str):
                    parts.append(part["text"])
                elif loose and isinstance(part.get("content"), str):
                    parts.append(part["content"])
                elif ptype in images:
                    parts.append("[image]")
                elif tag_types and ptype:
                    parts.append(f"[{ptype}]")
        return "\n".join(parts)
    if loose and isinstance(content, dict) and isinstance(content.get("text"), str):
        return content["text"]
    return fallback(content)


def first_line(text: str, limit: int = 200) -> str | None:
    """The first non-blank line of ``text``, stripped and cut to ``limit`` characters (a title)."""
    for line in text.splitlines():
        if line.strip():
            return truncate(line.strip(), limit, "")
    return None


def first_int(obj: dict, keys: tuple[str, ...]) -> int | None:
    """The value of the first of ``keys`` that holds an integer (not a bool) in ``obj``."""
    for key in keys:
        value = obj.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def partial_json(data: bytes | str) -> Any:
    """The first JSON value in ``data`` as far as it goes: a document cut anywhere (a file's head,
    a record longer than it) gives what it holds so far, a cut string as far as it goes. ``None``
    when ``data`` does not start like JSON. For sniffing: a format is recognised from its first
    bytes without reading its first record whole."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    try:
        return jiter.from_json(data.lstrip(BOM + b" \t\r\n"), partial_mode="trailing-strings")
    except ValueError:
        return None


def first_json_value(head: bytes) -> bytes:
    """The first non-blank byte of the head (after a BOM), for cheap JSON sniffing."""
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped[:1]
