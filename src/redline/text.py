"""Text helpers every layer shares: cutting long strings the one way redline cuts them.

A transcript string that is too long to keep or to show is cut by :func:`truncate`, which
always says how much was left out, so a reader never mistakes a cut text for a whole one.
"""

from __future__ import annotations

#: the marker appended to a string cut by :func:`truncate` (``{n}``: characters left out)
CUT_MARKER = "\n[redline: {n} more characters not stored]"


def truncate(value: str, limit: int, marker: str = CUT_MARKER) -> str:
    """``value`` cut to ``limit`` characters, followed by ``marker`` naming how many were cut.

    ``marker`` may hold ``{n}`` (the number of characters left out). A value within the limit
    comes back unchanged.
    """
    if limit < 0:
        raise ValueError(f"limit must not be negative ({limit})")
    if len(value) <= limit:
        return value
    return value[:limit] + marker.format(n=len(value) - limit)
