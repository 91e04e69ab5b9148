"""The registered transcript formats, in detection order (most specific first).

Formats are found through the ``redline.formats`` entry point group: each entry point names
an object that satisfies :class:`~redline.ingest.base.Format`. redline's own formats register
there in its ``pyproject.toml`` exactly as a third party's package would::

    [project.entry-points."redline.formats"]
    my-agent = "my_package.redline_format:FORMAT"

Detection tries the formats in ``detect_order`` (then name) order; the first whose ``sniff``
accepts a file reads it. A plugin that fails to load, loads something that is not a format,
or takes a name already registered (redline's own names come first), is left out with a
warning naming it; it never stops redline.

Every format is used through :class:`Registered`, which adds what no adapter should have to
repeat: a sniff that cannot raise, and trials whose timestamps can be stored (one that cannot
be represented in UTC, such as ``9999-12-31T23:59:59-14:00``, becomes ``None`` with a warning
instead of failing the whole file).
"""

from __future__ import annotations

import warnings as pywarnings
from collections.abc import Iterator
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from pathlib import Path

from ..events import Trial
from .base import Format

#: the entry point group formats register in
GROUP = "redline.formats"


class Registered:
    """A loaded format as ingest uses it (see the module documentation)."""

    def __init__(self, fmt: Format, origin: str) -> None:
        self.format = fmt
        #: the entry point it came from (``name = module:attr``)
        self.origin = origin
        self.name: str = fmt.name
        self.description: str = fmt.description
        self.detect_order: int = fmt.detect_order
        self.sidecars: tuple[str, ...] = tuple(fmt.sidecars)

    def sniff(self, path: Path, head: bytes) -> bool:
        try:
            return bool(self.format.sniff(path, head))
        except Exception:  # a sniff must never take ingest down
            return False

    def read(self, path: Path) -> Iterator[Trial]:
        for trial in self.format.read(path):
            yield storable_times(trial)

    def __repr__(self) -> str:
        return f"<format {self.name} from {self.origin}>"


def storable_times(trial: Trial) -> Trial:
    """``trial`` with every timestamp that has no UTC equivalent set to ``None``, with a warning."""
    problems: list[str] = []
    for attr in ("started_at", "ended_at"):
        value = getattr(trial, attr)
        if not _storable(value):
            problems.append(f"trial {attr} {value.isoformat()}")
            setattr(trial, attr, None)
    for event in [e for e in trial.events if e.timestamp is not None]:
        if not _storable(event.timestamp):
            problems.append(f"event {event.seq} timestamp {event.timestamp.isoformat()}")  # type: ignore[union-attr]
            event.timestamp = None
    if problems:
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        trial.metadata.setdefault("warnings", []).append(
            f"timestamps out of range, stored as NULL: {'; '.join(problems[:3])}{more}")
    return trial


def _storable(value: datetime | None) -> bool:
    if value is None or value.tzinfo is None:
        return True
    try:
        value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return False
    return True


def load(group: str = GROUP) -> list[Registered]:
    """Every format registered in ``group``, in detection order."""
    found: dict[str, Registered] = {}
    # redline's own formats first, so that a plugin cannot take a built-in name (told by the entry
    # points redline's distribution declares: asking each entry point's distribution for its
    # name parses redline's package metadata, its README, ~0.01 s of every ingest)
    try:
        own = {(ep.name, ep.value) for ep in distribution("redline").entry_points.select(group=group)}
    except PackageNotFoundError:
        own = set()
    ours = sorted(entry_points(group=group), key=lambda ep: (ep.name, ep.value) not in own)
    for ep in ours:
        origin = f"{ep.name} = {ep.value}"
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not stop redline
            pywarnings.warn(f"redline format plugin {origin} failed to load: {exc}", RuntimeWarning, stacklevel=2)
            continue
        if not isinstance(obj, Format):
            pywarnings.warn(f"redline format plugin {origin} is not a format (it needs name, description, "
                            "detect_order, sidecars, sniff and read)", RuntimeWarning, stacklevel=2)
            continue
        if obj.name in found:
            pywarnings.warn(f"redline format plugin {origin} is ignored: the name {obj.name!r} is already "
                            f"taken by {found[obj.name].origin}", RuntimeWarning, stacklevel=2)
            continue
        found[obj.name] = Registered(obj, origin)
    if not found and group == GROUP:
        raise RuntimeError("no transcript formats are registered: redline's package metadata is missing "
                           "(install redline with pip, e.g. `pip install -e .` in a checkout)")
    return sorted(found.values(), key=lambda f: (f.detect_order, f.name))


FORMATS: list[Registered] = load()

_BY_NAME = {f.name: f for f in FORMATS}


def names() -> list[str]:
    return [f.name for f in FORMATS]


def get(name: str) -> Registered:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known formats: {', '.join(names())}") from None


def sidecar_owner(filename: str) -> str | None:
    """The format that reads a metadata file of this name beside its transcripts, if any."""
    for fmt in FORMATS:
        if filename in fmt.sidecars:
            return fmt.name
    return None


def markdown_table() -> str:
    """The README's format table, generated from this registry."""
    lines = ["| format (`--format`) | what it reads |", "|---|---|"]
    lines += [f"| `{f.name}` | {f.description.replace('|', '/')} |" for f in FORMATS]
    return "\n".join(lines)
