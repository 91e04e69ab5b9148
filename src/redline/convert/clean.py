"""Transcript values made storable: valid UTF-8, bounded in size, as the database holds them.

Every stored value goes through one of these where :mod:`redline.convert` builds the rows (the
limits are in :mod:`redline.limits`): a string is made valid UTF-8 and cut with a marker by
:func:`clean_text`, a JSON value by :func:`clean_json`, a file path made storable by
:func:`clean_path`, a list of strings by :func:`clean_list`, a time put in UTC by :func:`utc`.
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime, timezone
from typing import Any

import orjson

from ..limits import MAX_ARGS, MAX_JSON_DEPTH, MAX_TEXT_CHARS
from ..text import truncate


def clean_text(value: str | None, limit: int | None = None) -> str | None:
    """Make a transcript string safe to store: valid UTF-8, at most ``limit`` characters
    (default :data:`MAX_TEXT_CHARS`, read at call time) plus the cut marker."""
    if value is None:
        return None
    if limit is None:
        limit = MAX_TEXT_CHARS
    if value.__class__ is str and len(value) <= limit and value.isascii():
        return value  # the common case, without a call: already short and valid
    if not isinstance(value, str):
        value = str(value)
    value = truncate(value, limit)
    if value.isascii():  # constant time, and ASCII is valid UTF-8: no encoded copy to make
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def clean_path(value: str | os.PathLike[str] | None) -> str | None:
    """A file path as stored: a name that is not valid UTF-8 (read from the file system with
    ``surrogateescape``) shows each bad byte as ``\\xNN``, so the path stays visible and storable.
    The loader stores ``ingested_files.path`` the same way, so a trial's ``source_path`` and its
    file's row always agree."""
    if value is None:
        return None
    text = os.fspath(value)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a lone surrogate that no file system produced
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def clean_json(value: Any, limit: int) -> str | None:
    """``value`` as JSON text of at most ``limit`` characters (about; the cut notes add a few).

    A larger value keeps its structure with every long string cut (with the usual marker); if
    that is still too large, it is stored as ``{"redline_cut": NOTE, "head": START}``: a note of
    its size and the start of its JSON text. What JSON cannot hold is stored as text (an object),
    as null (NaN and infinities) or as a string of digits (integers past 64 bits); a value nested
    deeper than :data:`MAX_JSON_DEPTH` keeps a note in place of the deeper part.
    """
    if value is None:
        return None
    try:
        text = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    except (orjson.JSONEncodeError, RecursionError):
        value = _jsonable(value, 0)
        text = json.dumps(value, ensure_ascii=False)
    if len(text) <= limit:
        return text
    cut = _cut_strings(value, max(limit // 20, 200), 0)
    text = json.dumps(cut, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return text
    return json.dumps({"redline_cut": f"JSON value of {len(text)} characters not stored in full",
                       "head": text[: limit // 2]}, ensure_ascii=False)


def _jsonable(value: Any, depth: int) -> Any:
    """``value`` made of what JSON holds: see :func:`clean_json`."""
    if depth > MAX_JSON_DEPTH:
        return "[redline: nested too deeply to store]"
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value if -2**63 <= value < 2**64 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    return str(value)


def _cut_strings(value: Any, limit: int, depth: int) -> Any:
    """``value`` (already JSON-able) with every string longer than ``limit`` cut."""
    if isinstance(value, str):
        return truncate(value, limit)
    if depth > MAX_JSON_DEPTH:
        return "[redline: nested too deeply to store]"
    if isinstance(value, dict):
        return {truncate(str(k), limit): _cut_strings(v, limit, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cut_strings(v, limit, depth + 1) for v in value]
    return _jsonable(value, depth)


def clean_list(values: list[str], limit: int) -> list[str | None]:
    """Each string cut to ``limit``; at most :data:`MAX_ARGS` of them, then a note of the rest."""
    kept = [clean_text(v, limit) for v in values[:MAX_ARGS]]
    if len(values) > MAX_ARGS:
        kept.append(f"[redline: {len(values) - MAX_ARGS} more not stored]")
    return kept


def utc(value: datetime | None) -> datetime | None:
    """``value`` in UTC (naive means UTC); None when it has no UTC equivalent."""
    if value is None:
        return None
    tz = value.tzinfo
    if tz is timezone.utc:
        return value
    try:
        if tz is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None
