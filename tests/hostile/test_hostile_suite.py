"""The hostile-input suite: well over a thousand damaged, crafted and special files across all 12
formats (:mod:`.generate`), beside a valid transcript of each format.

1. Every file is read alone, the way ingest reads it, in a process with a time limit and an
   address-space limit (:mod:`.measure`): no file hangs, none crashes its reader, none takes
   1 GB, each ends ``ok``, ``error`` or ``skipped`` with a reason in words.
2. ``redline ingest`` reads the whole folder with worker processes: it finishes, prints no
   traceback, records every file (with the same outcome as when read alone), and stores every
   good file exactly as when it is read alone.
3. The hostile database goes through the rest of the pipeline: classify, the HTML report (no
   payload runs) and the terminal commands (no escape sequence reaches the terminal).

The counts per format, the outcomes and the peak memory are printed at the end (``-s``) and
written to ``hostile-summary.json`` in the corpus folder.
"""

from __future__ import annotations

import json
import re
import resource
from html.parser import HTMLParser
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import redline
from redline.convert import clean_path

from .generate import generate

pytestmark = [pytest.mark.slow, pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files")]

REPO = Path(__file__).resolve().parents[2]
#: a file that takes longer than this to read alone counts as a hang
FILE_SECONDS = 60
#: no file may take this much memory to read
PEAK_RSS_LIMIT = 1024**3
#: the reader's address space in the measuring process (a memory bomb fails there, not the machine)
ADDRESS_GB = 4
#: the whole ingest of the corpus must end within this...
INGEST_SECONDS = 900
#: ...and fit in this address space (DuckDB, the parent and each worker process alike)
INGEST_ADDRESS_GB = 6
#: how an error message that leaks a Python class name looks
RAW_EXCEPTION = re.compile(r"\b(?:[A-Z][a-z]+)+(?:Error|Exception)\b|Traceback")


def _redline() -> str:
    return str(Path(sys.executable).with_name("redline"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("hostile") / "corpus")


@pytest.fixture(scope="module")
def measured(corpus) -> dict[str, dict]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.hostile.measure", str(corpus.root), "--seconds", str(FILE_SECONDS),
         "--address-gb", str(ADDRESS_GB), "--parallel", "2"],
        cwd=REPO, capture_output=True, text=True, timeout=INGEST_SECONDS, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    return {row["path"]: row for row in map(json.loads, out.stdout.splitlines())}


@pytest.fixture(scope="module")
def ingested(corpus, tmp_path_factory):
    db = tmp_path_factory.mktemp("hostile-db") / "hostile.duckdb"
    def limited() -> None:
        limit = INGEST_ADDRESS_GB * 1024**3
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    out = subprocess.run([_redline(), "ingest", str(corpus.root), "--db", str(db), "-j", "2"],
                         capture_output=True, text=True, timeout=INGEST_SECONDS, stdin=subprocess.DEVNULL,
                         preexec_fn=limited)
    return db, out


def test_every_format_is_attacked(corpus):
    counts = corpus.per_family()
    assert set(counts) == set(redline.ingest.registry.names()) | {"special"}
    assert all(n >= 30 for family, n in counts.items() if family != "special"), counts
    assert sum(counts.values()) >= 1000


def test_no_file_hangs_crashes_or_takes_a_gigabyte(corpus, measured):
    assert len(measured) >= len(corpus.cases) + len(corpus.good)
    hung = [p for p, r in measured.items() if r["status"] == "hang"]
    crashed = [(p, r["status"], r.get("signal"), r.get("error")) for p, r in measured.items()
               if r["status"] not in ("ok", "error", "skipped", "hang")]
    heavy = [(p, r["peak_rss"]) for p, r in measured.items() if r["peak_rss"] >= PEAK_RSS_LIMIT]
    assert not hung, hung
    assert not crashed, crashed
    assert not heavy, heavy


def test_every_reason_is_a_sentence(measured):
    for path, row in measured.items():
        if row["status"] in ("error", "skipped"):
            assert row["error"] and not RAW_EXCEPTION.search(row["error"]), (path, row["error"])


def test_special_files_are_recorded_as_expected(corpus, measured):
    for path, (status, words) in corpus.expected.items():
        row = measured[clean_path(path)]
        assert row["status"] == status, (path, row)
        assert words in (row["error"] or ""), (path, row)


def test_ingest_records_every_file_and_stores_the_good_ones_whole(corpus, measured, ingested):
    db, out = ingested
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr
    assert "\x1b" not in out.stderr + out.stdout  # file names with escapes are printed visibly
    con = redline.connect(db, read_only=True)
    try:
        rows = {p: (s, t, e) for p, s, t, e in con.execute(
            "SELECT path, status, trials, events FROM ingested_files").fetchall()}
        orphans = con.execute(
            "SELECT count(*) FROM trials t WHERE NOT EXISTS (SELECT 1 FROM ingested_files f "
            "WHERE f.path = t.source_path AND f.status = 'ok')").fetchall()[0][0]
    finally:
        con.close()
    assert set(rows) == set(measured), "a file read alone was not recorded by ingest, or the reverse"
    differs = [(p, measured[p]["status"], rows[p][0]) for p in rows if rows[p][0] != measured[p]["status"]]
    assert not differs, differs[:20]
    assert orphans == 0
    for good in corpus.good:
        path = clean_path(good)
        alone = measured[path]
        assert alone["status"] == "ok" and alone["trials"] >= 1 and alone["events"] >= 2, (path, alone)
        assert rows[path] == ("ok", alone["trials"], alone["events"]), (path, rows[path], alone)
    # every line on stderr names a file (or a folder), never a traceback
    for line in out.stderr.splitlines():
        assert re.match(r"^/.*: (error|warning|skipped): ", line), line


def test_the_hostile_database_goes_through_classify_report_and_the_terminal(ingested, tmp_path):
    db, _ = ingested
    classify = subprocess.run([_redline(), "classify", "--db", str(db)], capture_output=True, text=True, timeout=600)
    assert classify.returncode == 0 and "Traceback" not in classify.stderr, classify.stderr
    site = tmp_path / "site"
    report = subprocess.run([_redline(), "report", "--db", str(db), "-o", f"{site}/"],
                            capture_output=True, text=True, timeout=600)
    assert report.returncode == 0, report.stderr
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 100  # the index and a page per trial
    text = "".join(page.read_text(encoding="utf-8") for page in pages)
    assert "&lt;script&gt;alert(1)" in text  # the payloads are in the report, as text...
    for page in pages:  # ...and none of them became an element, a handler or a script
        assert not _payload_elements(page.read_text(encoding="utf-8")), page
    for data in sorted(site.rglob("search/*.js")):  # the search data: one call with one JSON
        call = data.read_text(encoding="utf-8").rstrip()  # literal, which no transcript string
        head, _, body = call.partition("(")               # can break out of
        assert re.fullmatch(r"window\.redline[A-Za-z.]+", head) and body.endswith(");"), data
        json.loads(body[:-2])
    con = redline.connect(db, read_only=True)
    try:
        trial = con.execute("SELECT trial_id FROM events WHERE text LIKE '%' || chr(27) || ']0;owned%' "
                            "ORDER BY trial_id LIMIT 1").fetchall()[0][0]
    finally:
        con.close()
    for args in (["trials"], ["show", trial, "--full"],
                 ["sql", "SELECT text FROM events WHERE text LIKE '%owned%' LIMIT 20"]):
        shown = subprocess.run([_redline(), *args, "--db", str(db)], capture_output=True, timeout=600)
        assert shown.returncode == 0, (args, shown.stderr)
        assert b"\x1b" not in shown.stdout and b"\x1b" not in shown.stderr, args


class _Elements(HTMLParser):
    """Elements and handlers a payload would create: <img src=x>, <svg onload>, on* attributes,
    and inside a script, markup that would end or restart it (transcript text inside a script,
    as chart data, must have its ``<`` escaped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        names = {k for k, _ in attrs}
        if tag == "svg" and "onload" in names or tag == "img" and ("src", "x") in attrs:
            self.found.append(f"<{tag} {attrs}>")
        self.found += [f"<{tag} {k}=...>" for k in names if k.startswith("on")]
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and re.search(r"<(?:/?script|!--)", data, re.IGNORECASE):
            self.found.append("markup inside a script")


def _payload_elements(page: str) -> list[str]:
    parser = _Elements()
    parser.feed(page)
    return parser.found


def test_summary(corpus, measured, ingested):
    """The counts a reader of this suite wants: files per format, outcomes, peak memory."""
    family = {clean_path(c.path): c.family for c in corpus.cases}
    family.update({clean_path(g): "good" for g in corpus.good})
    table: dict[str, Counter] = {}
    peak: dict[str, int] = {}
    for path, row in measured.items():
        name = family.get(path, "special")
        table.setdefault(name, Counter())[row["status"]] += 1
        peak[name] = max(peak.get(name, 0), row["peak_rss"])
    summary = {name: {"files": sum(c.values()), **dict(c), "peak_rss_mb": round(peak[name] / 1024**2)}
               for name, c in sorted(table.items())}
    (corpus.root / "hostile-summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    print("\nhostile files per format: outcomes, peak RSS of the reading process")
    for name, row in summary.items():
        print(f"  {name:15} {row}")
    assert sum(r["files"] for r in summary.values()) == len(measured)
