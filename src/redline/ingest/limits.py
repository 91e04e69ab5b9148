"""Every limit the format adapters enforce, in one place (the README's "Limits worth knowing"
states each one).

A transcript is hostile input: these bounds keep one crafted file from taking the memory, the
disk or the time of a whole run. A file over a limit is refused with a reason that names the
limit, or read in part with a warning saying what was left out. The limit on the size of a
stored text lives with the conversion every stored text goes through (``redline.convert``).
"""

from __future__ import annotations

# --------------------------------------------------------------------------- detection and JSON

#: bytes read from the start of a file for format detection; every sniff decides from these
HEAD_BYTES = 64 * 1024
#: refuse single JSON documents larger than this (a hostile or runaway file)
MAX_JSON_BYTES = 2 * 1024**3

# --------------------------------------------------------------------------- zip archives (.eval)

#: refuse a zip entry bigger than this once uncompressed
MAX_ENTRY_BYTES = 512 * 1024**2
#: refuse a zip entry (or a whole archive) compressed more than this (uncompressed / compressed)...
MAX_RATIO = 200
#: ...once it is bigger than this uncompressed (small entries cannot do harm on their own)
RATIO_FLOOR_BYTES = 1024**2
#: inflate at most this much from one archive, all entries together (small ones count too)
MAX_ARCHIVE_BYTES = 1024**3
#: the largest zstd window (decoder memory) an entry may ask for
MAX_ZSTD_WINDOW_BYTES = 128 * 1024**2

# --------------------------------------------------------------------------- terminal recordings

#: an unfinished escape sequence longer than this is garbage, not something a record completes
MAX_ESCAPE_CHARS = 4096
#: characters kept per rendered terminal row (a runaway line without newlines is cut)
MAX_ROW_CHARS = 100_000
#: the widest and tallest terminal believed from a recording's header (cursor moves stop there)
MAX_TERMINAL_SIZE = 1000
#: rendered characters kept from one recording, all rows together; output past it is dropped
MAX_TERMINAL_CELLS = 20_000_000
#: rendered rows kept from one recording; output past it is dropped
MAX_TERMINAL_ROWS = 1_000_000

# --------------------------------------------------------------------------- texts kept in metadata

#: a Python literal (Palisade tool-call arguments) longer than this is not parsed
MAX_LITERAL_CHARS = 1_000_000
#: a harness notice (Palisade WARNING/ERROR lines) is cut to this many characters
MAX_NOTICE_CHARS = 2000
#: a labels file beside the transcripts (Palisade tags.json) larger than this is not read
MAX_SIDECAR_BYTES = 20 * 1024**2
#: a side text (a reasoning, a command's stderr) is kept in an event's attrs only below this size
MAX_ATTR_CHARS = 10_000
#: the Fudan scaffold's terminal_info is kept in attrs cut to this many characters
MAX_TERMINAL_INFO_CHARS = 1_000
#: each command the Terminal-Bench harness typed is kept in metadata cut to this many characters
MAX_HARNESS_CHARS = 300
#: keys typed into one editor session kept in its action's attrs
MAX_SESSION_KEYS = 50
