"""Text helpers every layer shares: cutting long strings, and making them safe for a terminal.

A transcript string that is too long to keep or to show is cut by :func:`truncate` (keeps the
head) or :func:`shorten` (keeps head and tail), which always say how much was left out, so a
reader never mistakes a cut text for a whole one.

Every string redline prints on a terminal goes through :func:`for_terminal` first: transcripts
come from agents that were trying to get around their environment, and a terminal obeys the
control sequences in what it prints (set the window title, clear the screen, switch to the
alternate screen, hide a link behind OSC 8, reorder text with bidirectional overrides).
"""

from __future__ import annotations

import re

#: the marker appended to a string cut by :func:`truncate` (``{n}``: characters left out)
CUT_MARKER = "\n[redline: {n} more characters not stored]"
#: what :func:`shorten` puts between the head and the tail it keeps (``{n}``: characters left out)
ELISION = "\n… [{n} characters omitted] …\n"


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


def shorten(value: str, limit: int, marker: str = ELISION) -> str:
    """``value`` cut to its first two thirds and last third of ``limit`` characters, with
    ``marker`` between them naming how many were left out. A value within the limit comes back
    unchanged."""
    if limit < 0:
        raise ValueError(f"limit must not be negative ({limit})")
    if len(value) <= limit:
        return value
    head, tail = value[: limit * 2 // 3], value[len(value) - limit // 3:] if limit // 3 else ""
    return head + marker.format(n=len(value) - len(head) - len(tail)) + tail


# C0 controls but tab and newline, DEL, C1 controls; bidirectional embeddings, overrides, isolates
# and marks; zero-width and invisible formatting characters; line and paragraph separators; the
# byte order mark; interlinear annotation controls; lone surrogates; Unicode tag characters
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff\U000e0000-\U000e007f]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ for ESC, ␇ for BEL...
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def for_terminal(value: str) -> str:
    """``value`` with every control character made visible, safe to print on a terminal.

    Tab and newline are kept (a Windows line end becomes a newline); every other C0 control
    becomes its Control Pictures symbol (ESC prints as ``␛``, so ``ESC ] 0 ; title BEL`` shows
    as ``␛]0;title␇`` and does nothing); DEL becomes ``␡``; C1 controls, bidirectional
    controls, invisible formatting characters, separators, lone surrogates and tag characters
    become ``<U+XXXX>``.
    """
    if not isinstance(value, str):
        value = str(value)
    return _UNSAFE.sub(_visible, value.replace("\r\n", "\n"))


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # a tag character: its UTF-16 surrogate pair, as JSON writes it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_for_terminal(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with every character
    :func:`for_terminal` would make visible written as a ``\\uXXXX`` escape instead: the same
    JSON value, readable (other non-ASCII text stays as it is) and safe to print on a terminal."""
    return _UNSAFE.sub(_json_escape, text)
