"""Ingest and classify throughput, next to DuckDB's own read_json on the same bytes.

    python benchmarks/run.py [--files 2000] [--steps 30] [--workers N] [--repeat 3]

Everything runs in one process on one generated corpus, so the ratios are comparable on a
noisy machine: the baseline is the time DuckDB's ``read_json`` takes to parse the same files
into rows, the floor for any JSON ingest; with ``--repeat`` the two alternate and the medians
are compared (``ingest_throughput_pct_of_read_json``: target 60 or more).

What is compared: the same files, read from the same (warm) page cache, in the same process,
alternately. ``read_json`` only parses the JSON and unnests the messages (nothing is stored);
ingest also hashes each file, detects its format, makes events of the messages, parses every
command line with tree-sitter, bounds every stored value and writes trials, events and
commands into a DuckDB file. ``read_json`` parses on all of DuckDB's threads; ingest parses
in one (on two cores, see ``redline.ingest.loader``) and writes on one DuckDB thread
(``INGEST_DUCKDB_THREADS``). On a loaded machine the threads of ``read_json`` lose more than
ingest's one, so the wall-time share rises with the load: the same share in CPU seconds of
this process (``ingest_cpu_throughput_pct_of_read_json``) moves less with it. Memory: peak RSS of
a child process ingesting the corpus at three sizes (1/4, 1 and 2 times ``--files``); bounded
memory means the peak does not grow with the corpus (``benchmarks/memory.py`` measures ingest
and classify at 0.5, 1.5 and 5 GB).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate  # noqa: E402
from memory import PEAK_SCRIPT  # noqa: E402

import redline  # noqa: E402
from redline.ingest import ingest  # noqa: E402


def baseline_read_json(root: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds of ``read_json`` parsing every file into rows, and the rows."""
    con = duckdb.connect()
    t, c = time.perf_counter(), time.process_time()
    n = con.execute(
        "SELECT count(*) FROM (SELECT unnest(messages) FROM read_json(?, format='auto', "
        "maximum_object_size=1000000000, union_by_name=true))",
        [str(root / "**" / "*.json")],
    ).fetchone()[0]
    return time.perf_counter() - t, time.process_time() - c, n


def measure(root: Path, workers: int | None, repeat: int = 1) -> dict:
    """Ingest and the read_json baseline, alternated ``repeat`` times (medians), then classify."""
    base, ingests, base_cpu, ingest_cpu = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            base_s, cpu_s, base_rows = baseline_read_json(root)
            base.append(base_s)
            base_cpu.append(cpu_s)
            con = redline.connect(Path(tmp) / f"bench{i}.duckdb")
            t, c = time.perf_counter(), time.process_time()
            rep = ingest([root], con, workers=workers)
            ingests.append(time.perf_counter() - t)
            ingest_cpu.append(time.process_time() - c)  # this process's threads (workers not counted)
            if i < repeat - 1:
                con.close()
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]
        t = time.perf_counter()
        cls = redline.classify(con)
        classify_s = time.perf_counter() - t
        con.close()
    base_s, ingest_s = statistics.median(base), statistics.median(ingests)
    base_cpu_s, ingest_cpu_s = statistics.median(base_cpu), statistics.median(ingest_cpu)
    return {
        "files": rep.files, "events": events, "labels": cls.labels, "repeat": repeat,
        "read_json_s": round(base_s, 3), "read_json_rows": base_rows,
        "ingest_s": round(ingest_s, 3), "classify_s": round(classify_s, 3),
        "ingest_events_per_s": round(events / ingest_s), "classify_events_per_s": round(events / classify_s),
        "ingest_vs_read_json": round(ingest_s / base_s, 2), "classify_vs_read_json": round(classify_s / base_s, 2),
        # the target: ingest reads the bytes at 60% or more of read_json's throughput
        "ingest_throughput_pct_of_read_json": round(100 * base_s / ingest_s),
        # the same in CPU seconds, which the machine's load moves less than wall time
        "read_json_cpu_s": round(base_cpu_s, 3), "ingest_cpu_s": round(ingest_cpu_s, 3),
        "ingest_cpu_throughput_pct_of_read_json": round(100 * base_cpu_s / ingest_cpu_s),
    }


def peak_rss_mb(root: Path, workers: int | None) -> float:
    """Peak RSS (MB) of ``redline ingest`` of ``root`` in a fresh process (Linux: VmHWM).

    VmHWM belongs to the new address space made at exec, so unlike rusage's ru_maxrss it does
    not count the memory of the benchmark process that forked it.
    """
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-c", PEAK_SCRIPT, "ingest", str(root), "--db", str(Path(tmp) / "m.duckdb")]
        if workers:
            cmd += ["--workers", str(workers)]
        out = subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        return int(out.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=1, help="Alternate ingest and read_json this many times (medians).")
    ap.add_argument("--memory", action="store_true", help="Also measure peak RSS at 1x and 4x corpus size.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        size = generate(root, args.files, args.steps)
        result = {"corpus_mb": round(size / 1e6, 1), **measure(root, args.workers, args.repeat)}
        if args.memory:
            # bounded memory: the peak must not grow with the corpus (8x more data here)
            small = Path(tmp) / "small"
            generate(small, max(1, args.files // 4), args.steps, seed=11)
            large = Path(tmp) / "large"
            generate(large, args.files * 2, args.steps, seed=13)
            result["peak_rss_mb_quarter"] = round(peak_rss_mb(small, args.workers), 1)
            result["peak_rss_mb_full"] = round(peak_rss_mb(root, args.workers), 1)
            result["peak_rss_mb_double"] = round(peak_rss_mb(large, args.workers), 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
