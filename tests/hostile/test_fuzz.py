"""Property-based fuzzing of every format adapter and of the shell parser, with hypothesis.

An adapter gets a valid transcript of its format with random damage: a value anywhere in the
document replaced by random JSON, random bytes written over it, inserted or cut out. Whatever
it gets, reading never raises, the outcome is ``ok``, ``error`` or ``skipped`` with a reason in
words, and what it reads can be stored. The shell parser gets random shell-like text, repeated
fragments included: it never raises, keeps its invariants and stays within its time budget.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import redline
from redline.ingest.loader import FileResult, process_file, write_batch
from redline.limits import PARSE_SECONDS
from redline.shell import parse

from . import mutations as m
from .generate import FIXTURES, SEEDS

RAW_EXCEPTION = re.compile(r"\b(?:[A-Z][a-z]+)+(?:Error|Exception)\b|Traceback")
EXAMPLES = 40

pytestmark = pytest.mark.slow

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def store():
    """A database every readable result is written to (and removed from), so 'storable' is tested."""
    con = redline.connect(":memory:")
    yield con
    con.close()


def _check(path: Path, data: bytes, store: duckdb.DuckDBPyConnection) -> FileResult:
    path.write_bytes(data)
    result = process_file(str(path))
    assert result.status in ("ok", "error", "skipped"), result
    if result.status != "ok":
        assert result.error and not RAW_EXCEPTION.search(result.error), result.error
        return result
    assert result.n_trials >= 1
    write_batch(store, [result])
    write_batch(store, [FileResult(result.path, None, None, None, "skipped", "cleared")])
    return result


def _seed(fmt: str) -> tuple[Path, bytes, str]:
    rel, kind = SEEDS[fmt][0]
    seed = FIXTURES / rel
    return seed, seed.read_bytes(), kind


def _document(data: bytes, kind: str):
    if kind in ("doc",):
        return json.loads(data)
    if kind in ("lines", "cast"):
        return [json.loads(line) for line in data.splitlines() if line.strip()]
    return None


def _encode(doc, kind: str) -> bytes:
    if kind == "doc":
        return m.dumps(doc)
    return b"\n".join(m.dumps(v) for v in doc) + b"\n"


@pytest.mark.parametrize("fmt", sorted(SEEDS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_adapter_survives_random_damage(fmt, data, workdir, store):
    seed, raw, kind = _seed(fmt)
    doc = _document(raw, kind)
    how = data.draw(st.sampled_from(["value", "bytes", "cut"] if doc is not None else ["bytes", "cut"]))
    if how == "value":
        paths = list(m.key_paths(doc, depth=5))
        path = data.draw(st.sampled_from(paths))
        content = _encode(m.replaced(doc, path, data.draw(json_values)), kind)
    elif how == "bytes":
        buf = bytearray(raw)
        for _ in range(data.draw(st.integers(1, 6))):
            at = data.draw(st.integers(0, len(buf)))
            chunk = data.draw(st.binary(min_size=1, max_size=16))
            op = data.draw(st.sampled_from(["insert", "overwrite", "delete"]))
            if op == "insert":
                buf[at:at] = chunk
            elif op == "overwrite":
                buf[at:at + len(chunk)] = chunk
            else:
                del buf[at:at + len(chunk)]
        content = bytes(buf)
    else:
        content = raw[: data.draw(st.integers(0, len(raw)))]
    folder = workdir / fmt
    folder.mkdir(exist_ok=True)
    _check(folder / seed.name, content, store)


# --------------------------------------------------------------------------- the shell parser

FRAGMENTS = ["ls", " ", "-la", "|", "||", "&&", ";", "&", "\n", "'", '"', "`", "$(", ")", "(", "{", "}",
             "<<EOF\n", "EOF\n", "<<<", ">", "2>&1", "$", "${", "\\", "#", "=", "[[", "]]", "bash -c ",
             "sudo ", "eval ", "xargs ", "if ", "then ", "fi", "for x in a; do ", "done", "case a in a) ",
             ";;", "esac", "\x00", "\x1b[2J", "é", "\ud800"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=300), st.sampled_from(FRAGMENTS + [""]),
       st.integers(0, 5_000))
def test_the_shell_parser_survives_random_and_repeated_fragments(parts, unit, repeat):
    line = "".join(parts) + unit * repeat
    started = time.monotonic()
    result = parse(line)
    assert time.monotonic() - started < PARSE_SECONDS + 3
    for i, c in enumerate(result.commands):
        assert c.idx == i
        assert 0 <= c.span_start <= c.span_end <= len(line)
        assert c.parent_idx is None or 0 <= c.parent_idx < i
    assert result.error is None or isinstance(result.error, str)
