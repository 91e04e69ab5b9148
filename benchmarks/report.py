"""Time the report on a generated audit: the site and the one-file form, their sizes, and how
long the index takes to open in Chromium.

    python benchmarks/report.py --files 1000 --steps 66      # 1,000 trials, ~200,000 events
    python benchmarks/report.py --db audit.duckdb            # an audit you already have

The target (issue of the report): 1,000 trials / 200,000 events render in at most 20 s on the
2-core reference machine, and the index opens in a browser in at most 3 s. The script prints
the time of each stage and, as the baseline measured in the same run, the time to read the
database's events once (``SELECT * FROM events``), with the report's time as a ratio of it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redline
from redline.reports import render
from redline.reports.data import load

HERE = Path(__file__).resolve().parent


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def build_audit(work: Path, files: int, steps: int) -> Path:
    corpus, db = work / "corpus", work / "audit.duckdb"
    subprocess.run([sys.executable, str(HERE / "generate.py"), str(corpus), "--files", str(files),
                    "--steps", str(steps)], check=True)
    con = redline.connect(db)
    try:
        redline.ingest.ingest([str(corpus)], con, workers=2)
        redline.classify(con)
        redline.analyse(con)
    finally:
        con.close()
    return db


BASELINE_PAGE = """<!DOCTYPE html><html><body><div id="x"></div><script src="site/assets/plotly.min.js"></script>
<script>Plotly.newPlot("x", [{type: "bar", x: [1], y: [1]}]).then(function () {
  document.getElementById("x").setAttribute("data-figure", "categories"); });</script></body></html>"""


def open_time(url: str) -> float | None:
    """Seconds from navigation to the overview's figures drawn, in Chromium (None without it);
    the best of three (the first also pays for reading the files from disk)."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not chromium:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        times = []
        for _ in range(3):
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("[data-figure='categories'] .main-svg", timeout=60_000)
            times.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="an audited database (default: generate one)")
    ap.add_argument("--files", type=int, default=1000, help="trials to generate")
    ap.add_argument("--steps", type=int, default=66, help="actions per generated trial (3 events each)")
    ap.add_argument("--keep", type=Path, help="write the reports here and keep them")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="redline-report-bench-"))
    out = args.keep or work
    try:
        db = args.db or build_audit(work, args.files, args.steps)
        con = redline.connect(db, read_only=True)
        trials, events = con.execute("SELECT (SELECT count(*) FROM trials), (SELECT count(*) FROM events)").fetchall()[0]
        start = time.perf_counter()
        con.sql("SELECT * FROM events").fetchall()
        baseline = time.perf_counter() - start
        start = time.perf_counter()
        data = load(con)
        loaded = time.perf_counter() - start
        start, cpu = time.perf_counter(), time.process_time()
        index = render.write_site(data, out / "site", None)
        site, site_cpu = time.perf_counter() - start, time.process_time() - cpu
        start = time.perf_counter()
        single = render.write_single(data, out / "single.html", None)
        one = time.perf_counter() - start
        con.close()
        opened = open_time(index.as_uri())
        (out / "baseline.html").write_text(BASELINE_PAGE, encoding="utf-8")
        plotly_only = open_time((out / "baseline.html").as_uri())
        pages = list((out / "site" / "trials").iterdir())
        print(f"audit: {trials:,} trials, {events:,} events")
        print(f"baseline (read every event once): {baseline:.2f} s")
        print(f"load (bulk queries):  {loaded:.2f} s")
        print(f"load average while measuring: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
        print(f"site:  {site:.2f} s render ({site_cpu:.2f} s CPU), {loaded + site:.2f} s with load "
              f"({(loaded + site) / baseline:.1f}x baseline); {_mb(_size(out / 'site'))} in {len(pages)} trial pages, "
              f"index {_mb(index.stat().st_size)}, largest trial page {_mb(max(p.stat().st_size for p in pages))}")
        print(f"single file (--single-file): {one:.2f} s render, {_mb(single.stat().st_size)}")
        if opened is None:
            print("index opens in Chromium: not measured (no Chromium or Playwright)")
        else:
            print(f"index opens in Chromium (every figure drawn): {opened:.2f} s; a page with plotly.js and one "
                  f"bar chart: {plotly_only:.2f} s (ratio {opened / plotly_only:.1f})")
        ok = loaded + site <= 20 and (opened is None or opened <= 3)
        print("target (<= 20 s render, <= 3 s open): " + ("met" if ok else "MISSED"))
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
