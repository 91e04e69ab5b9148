"""How the hostile suite damages a valid transcript: pure functions from a seed (its bytes, or
its parsed JSON) to hostile variants, each with a name saying what it does.

Every function returns ``[(variant_name, bytes)]``. They are deterministic (seeded), so a
failing variant can be regenerated and read.
"""

from __future__ import annotations

import io
import json
import math
import random
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import Any

Variants = list[tuple[str, bytes]]

#: strings an attacker puts in every field: markup for the HTML report, escapes for a terminal
PAYLOADS = {
    "xss": '<script>alert(1)</script><img src=x onerror=alert(2)><svg onload=alert(3)>"\'`',
    "terminal": "\x1b]0;owned\x07\x1b[2J\x1b[?1049h\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\\x1b[6n",
    "bidi": "\u202eevil\u202c\u2066txt\u2069\u200b\ufeff\U000e0041",
    "nul": "a\x00b\x01\x7f\x9b",
}
#: what replaces every number in the numbers variants (JSON text, some of it not valid JSON)
NUMBERS = {"nan": "NaN", "inf": "Infinity", "neg-inf": "-Infinity", "huge-float": "1e999",
           "huge-int": str(2**70), "digits": "9" * 5000, "negative": "-1"}
#: what replaces every value of a key the type-confusion variants pick
WRONG_TYPES = {"null": None, "int": 7, "str": "x", "list": [1, "a"], "dict": {"a": []}}
#: timestamps no clock can hold
BAD_TIMES = ["9999-12-31T23:59:59-14:00", "0000-00-00T00:00:00", 1e300, -1e20, "NaN"]


# --------------------------------------------------------------------------- byte level


def truncations(data: bytes, points: int = 12) -> Variants:
    """``data`` cut at ``points`` places: a few bytes in, every tenth, one byte short."""
    cuts = sorted({1, 2, 7, *(len(data) * k // 10 for k in range(1, 10)), len(data) - 1} - {0, len(data)})
    return [(f"truncated-at-{c}", data[:c]) for c in cuts[:points]]


def byte_damage(data: bytes, seed: int) -> Variants:
    rng = random.Random(seed)
    mid = len(data) // 2
    return [
        ("bom", b"\xef\xbb\xbf" + data),
        ("bom-twice", b"\xef\xbb\xbf\xef\xbb\xbf" + data),
        ("utf16", data.decode("utf-8", "replace").encode("utf-16")),
        ("crlf", data.replace(b"\n", b"\r\n")),
        ("nul-in-middle", data[:mid] + b"\x00" * 16 + data[mid:]),
        ("invalid-utf8", data[:mid] + b"\xff\xfe\xc3\x28" + data[mid:]),
        ("latin1-byte", data[:mid] + b"\xe9" + data[mid + 1:]),
        ("random-tail", data + bytes(rng.getrandbits(8) for _ in range(4096))),
        ("random-bytes", bytes(rng.getrandbits(8) for _ in range(len(data)))),
        ("bit-flips", _flip(data, rng, 20)),
        ("empty", b""),
        ("whitespace", b" \n\t\r\n" * 100),
        ("doubled", data + data),
    ]


def _flip(data: bytes, rng: random.Random, n: int) -> bytes:
    buf = bytearray(data)
    for _ in range(n):
        i = rng.randrange(len(buf))
        buf[i] ^= 1 << rng.randrange(8)
    return bytes(buf)


# --------------------------------------------------------------------------- JSON values


def walk_strings(value: Any, fn: Callable[[str], str]) -> Any:
    """``value`` with ``fn`` applied to every string (keys kept)."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: walk_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [walk_strings(v, fn) for v in value]
    return value


def walk_numbers(value: Any, marker: str) -> Any:
    """``value`` with every number (not bool) replaced by ``marker`` (substituted in the text)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return marker
    if isinstance(value, dict):
        return {k: walk_numbers(v, marker) for k, v in value.items()}
    if isinstance(value, list):
        return [walk_numbers(v, marker) for v in value]
    return value


def key_paths(value: Any, depth: int = 3, prefix: tuple = ()) -> Iterator[tuple]:
    """Paths (keys and indexes) to every value up to ``depth`` deep, the first item of each list."""
    if depth == 0:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from key_paths(v, depth - 1, (*prefix, k))
    elif isinstance(value, list) and value:
        yield (*prefix, 0)
        yield from key_paths(value[0], depth - 1, (*prefix, 0))


def replaced(value: Any, path: tuple, new: Any) -> Any:
    """A copy of ``value`` with the item at ``path`` set to ``new``."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (replaced(v, rest, new) if k == head else v) for k, v in value.items()}
    return [replaced(v, rest, new) if i == head else v for i, v in enumerate(value)]


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")


def json_variants(doc: Any, seed: int, paths: int = 6) -> Variants:
    """Structure-level damage to one JSON value: payloads in every string, numbers JSON cannot
    hold, wrong types at the first ``paths`` keys, deep nesting, duplicate keys, bad times."""
    out: Variants = []
    for name, payload in PAYLOADS.items():
        out.append((f"payload-{name}-everywhere", dumps(walk_strings(doc, lambda s, p=payload: p + s))))
        out.append((f"payload-{name}-in-texts",
                    dumps(walk_strings(doc, lambda s, p=payload: s + p if len(s) > 20 else s))))
    out.append(("lone-surrogates", dumps(walk_strings(doc, lambda s: s + "\ud800" if len(s) > 20 else s))))
    for name, marker in NUMBERS.items():
        token = f"@@{name}@@"
        text = dumps(walk_numbers(doc, token)).replace(f'"{token}"'.encode(), marker.encode())
        out.append((f"numbers-{name}", text))
    picked = list(dict.fromkeys(key_paths(doc)))[:paths]
    for i, path in enumerate(picked):
        for tname, new in WRONG_TYPES.items():
            out.append((f"type-{i}-{tname}", dumps(replaced(doc, path, new))))
    for i, path in enumerate(picked[:2]):
        for j, when in enumerate(BAD_TIMES):
            out.append((f"time-{i}-{j}", dumps(replaced(doc, path, when))))
    deep = 100_000
    out.append(("deep-arrays", b"[" * deep + dumps(doc) + b"]" * deep))
    out.append(("deep-objects", b'{"a":' * deep + dumps(doc) + b"}" * deep))
    if picked:
        inner = b"[" * 5000 + b"1" + b"]" * 5000
        out.append(("deep-inside", dumps(replaced(doc, picked[0], "@@deep@@")).replace(b'"@@deep@@"', inner)))
    if isinstance(doc, dict) and doc:
        first = next(iter(doc))
        body = dumps(doc)
        out.append(("duplicate-keys", b"{" + f'"{first}": null, '.encode() + body[1:]))
    out.append(("top-level-string", dumps("just a string")))
    out.append(("top-level-list-of-nulls", dumps([None] * 1000)))
    return out


def lines_variants(lines: list[Any], seed: int) -> Variants:
    """Damage to a JSON-lines file: each line's value damaged in turn, blank and junk lines."""
    def join(items: list[bytes]) -> bytes:
        return b"\n".join(items) + b"\n"

    encoded = [dumps(v) for v in lines]
    out: Variants = []
    for name, data in json_variants(lines[0], seed, paths=4):
        out.append((f"first-line-{name}", join([data, *encoded[1:]])))
    mid = len(encoded) // 2
    for name, data in json_variants(lines[mid], seed + 1, paths=4)[:12]:
        out.append((f"middle-line-{name}", join([*encoded[:mid], data, *encoded[mid + 1:]])))
    out += [
        ("blank-lines", b"\n\n".join(encoded) + b"\n\n\n"),
        ("junk-line", join([*encoded[:mid], b"this is not JSON", *encoded[mid:]])),
        ("last-line-cut", join(encoded)[:-20]),
        ("array-lines", join([b"[]" for _ in encoded])),
        ("same-line-500-times", join([encoded[mid]] * 500)),
    ]
    return out


# --------------------------------------------------------------------------- sizes


def huge_string(doc: Any, size: int) -> bytes:
    """``doc`` with its longest string made ``size`` characters long."""
    longest = max(_strings(doc), key=len, default="")
    return dumps(walk_strings(doc, lambda s: s + "y" * size if s == longest else s))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def replace_text(data: bytes, old: str, new: str) -> bytes:
    """Every occurrence of ``old`` in the file replaced by ``new``, as raw text and as JSON
    string content (so a command inside a JSON string is replaced too)."""
    if not old:
        return data
    raw_old = json.dumps(old, ensure_ascii=False)[1:-1].encode("utf-8", "surrogatepass")
    raw_new = json.dumps(new, ensure_ascii=False)[1:-1].encode("utf-8", "surrogatepass")
    data = data.replace(raw_old, raw_new)
    # a command nested in a JSON string that is itself JSON (tool call arguments) is escaped twice
    twice_old = json.dumps(raw_old.decode("utf-8", "surrogatepass"), ensure_ascii=False)[1:-1].encode()
    twice_new = json.dumps(raw_new.decode("utf-8", "surrogatepass"), ensure_ascii=False)[1:-1].encode()
    return data.replace(twice_old, twice_new)


#: shell command lines that stress the parser (name -> line)
SHELL_BOMBS = {
    "pipe-bomb": "cat|" * 20_000,
    "many-commands": "a;" * 12_000,
    "nested-bash-c": "bash -c " + "'" * 1 + "bash -c \"" * 40 + "rm -rf /tmp/x" + "\"" * 40 + "'",
    "heredoc-200k": "cat > /tmp/f.py <<'EOF'\n" + "print('x')\n" * 20_000 + "EOF\npython3 /tmp/f.py",
    "substitutions": "echo " + "$(" * 3000 + "id" + ")" * 3000,
    "control-chars": "echo \x1b]0;owned\x07\x00\x1b[2J && kill -9 1",
    "one-megabyte": "echo " + "z" * 1_000_000,
}
#: lines tree-sitter is slow on: each costs the time budget, so only a few formats get them
SHELL_TIME_BOMBS = {"close-parens": ")" * 200_000, "array-opens": "a=(" * 60_000}


# --------------------------------------------------------------------------- zip archives


def zip_entries(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def make_zip(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, content in entries:
            zf.writestr(name, content)
    return buf.getvalue()


def _quietly(fn, *args):
    """``fn(*args)`` without zipfile's warning about duplicate names (they are the point)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def raw_zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated entries ``(name, packed, crc, size)`` written byte by byte, so
    sizes can lie and thousands of entries cost nothing to build."""
    out, central = bytearray(), bytearray()
    for name, packed, crc, size in entries:
        raw_name = name.encode()
        offset = len(out)
        out += struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0x21, crc, len(packed), size,
                           len(raw_name), 0) + raw_name + packed
        central += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0, 8, 0, 0x21, crc, len(packed),
                               size, len(raw_name), 0, 0, 0, 0, 0, offset) + raw_name
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(out), 0)
    return bytes(out + central + end)


def deflated(data: bytes) -> tuple[bytes, int, int]:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def zip_variants(data: bytes, seed: int) -> Variants:
    """Damage to an Inspect ``.eval`` archive: its entries damaged, renamed, multiplied, bombs."""
    entries = zip_entries(data)
    out: Variants = []
    samples = [i for i, (n, _) in enumerate(entries) if n.startswith("samples/")]
    target = samples[0] if samples else len(entries) - 1
    name, content = entries[target]
    doc = json.loads(content)
    for vname, vdata in json_variants(doc, seed, paths=4)[:30]:
        changed = list(entries)
        changed[target] = (name, vdata)
        out.append((f"sample-{vname}", make_zip(changed)))
    header = next((i for i, (n, _) in enumerate(entries) if n == "header.json"), None)
    if header is not None:
        for vname, vdata in truncations(entries[header][1], 4):
            changed = list(entries)
            changed[header] = ("header.json", vdata)
            out.append((f"header-{vname}", make_zip(changed)))
    out += [
        ("traversal-names", make_zip([(("../" * 8) + n, c) for n, c in entries])),
        ("absolute-names", make_zip([("/etc/" + n, c) for n, c in entries])),
        ("duplicate-entries", _quietly(make_zip, entries + entries)),
        ("stored-not-deflated", make_zip(entries, zipfile.ZIP_STORED)),
        ("nested-eval", make_zip([*entries, ("samples/inner_epoch_1.json", data)])),
        ("ten-thousand-samples", make_zip([*entries, *((f"samples/s{i}_epoch_1.json", content)
                                                        for i in range(10_000))])),
        ("central-directory-cut", data[: data.rfind(b"PK\x01\x02")]),
        ("end-record-only", data[data.rfind(b"PK\x05\x06"):]),
    ]
    bomb = deflated(b'{"id": "s", "epoch": 1, "messages": [{"role": "user", "content": "' + b"A" * (1024**2 - 80) + b'"}]}')
    head = [(n, *deflated(c)) for n, c in entries if not n.startswith("samples/")]
    out.append(("inflate-bomb-6000-entries", raw_zip(head + [(f"samples/b{i}_epoch_1.json", *bomb) for i in range(6000)])))
    out.append(("lying-sizes", raw_zip(head + [(f"samples/l{i}_epoch_1.json", bomb[0], bomb[1], 100) for i in range(50)])))
    return out


# --------------------------------------------------------------------------- terminal recordings


def cast_variants(header: dict, records: list[list], seed: int) -> Variants:
    """Damage to an asciinema recording: cursor and size bombs, endless escapes, huge output."""
    def cast(h: dict, recs: list) -> bytes:
        return b"\n".join([dumps(h), *(dumps(r) for r in recs)]) + b"\n"

    tail = records[-5:]
    out: Variants = [
        ("cursor-bomb", cast(header, [[i / 1000, "o", "\x1b[99990C x\r\n"] for i in range(4000)] + tail)),
        ("row-bomb", cast(header, [[i / 1000, "o", "\x1b[99999;1Hx\x1b[99999B\n"] for i in range(4000)] + tail)),
        ("huge-header", cast({**header, "width": 10**9, "height": 10**9}, records)),
        ("negative-header", cast({**header, "width": -5, "height": 0}, records)),
        ("string-header", cast({**header, "width": "80", "height": None}, records)),
        ("endless-escape", cast(header, [[1.0, "o", "\x1b[" + "9;" * 2_000_000]] + tail)),
        ("osc-without-end", cast(header, [[1.0, "o", "\x1b]0;" + "t" * 2_000_000]] + tail)),
        ("alternate-screen-spam", cast(header, [[i / 100, "o", "\x1b[?1049h\x1b[2J\x1b[?1049l"] for i in range(20_000)])),
        ("one-huge-record", cast(header, [[1.0, "o", "w" * 20_000_000], *tail])),
        ("many-lines", cast(header, [[1.0, "o", "line\r\n" * 1_100_000]])),
        ("bad-times", cast(header, [[t, *r[1:]] for t, r in zip([math.inf, -1, "x", None, 1e308] * 1000, records)])),
        ("not-arrays", cast(header, [{"t": 1}, "o", 5, [], [1.0]] + records)),
        ("header-only", cast(header, [])),
        ("keystroke-flood", cast(header, [[i / 1000, "i", "\x1b[A\x7f\x08" * 10] for i in range(20_000)] + tail)),
    ]
    return out
