"""Ingest and classify throughput, next to DuckDB's own read_json on the same bytes.

    python benchmarks/run.py [--files 2000] [--steps 30] [--workers N | 1,2,default] [--repeat 3]

Everything runs in one process on one generated corpus, so the ratios are comparable on a
noisy machine: the baseline is the time DuckDB's ``read_json`` takes to parse the same files
into rows, the floor for any JSON ingest; with ``--repeat`` the two alternate and the medians
are compared (``ingest_throughput_pct_of_read_json``: target 60 or more). ``--workers`` takes
one setting or several (``default`` is ingest's own choice): each is ingested in turn after
every ``read_json``, and ``by_workers`` gives each one's figures; the top-level figures are the
first setting's.

What is compared: the same files, read from the same (warm) page cache, in the same process,
alternately. ``read_json`` only parses the JSON and unnests the messages (nothing is stored);
ingest also hashes each file, detects its format, makes events of the messages, parses every
command line with tree-sitter, bounds every stored value and writes trials, events and
commands into a DuckDB file. ``read_json`` parses on all of DuckDB's threads; ingest parses
in this process or in worker processes (see ``redline.ingest.loader``; ``workers`` says how
many it used) and writes on one DuckDB thread (``INGEST_DUCKDB_THREADS``). On a loaded machine
the threads of ``read_json`` lose more than ingest's one process, so the wall-time share rises
with the load: the same share in CPU seconds (``ingest_cpu_throughput_pct_of_read_json``: this
process's and its worker processes', against ``read_json``'s) moves less with it. The load
average at the start and the end of the run is in ``load_average``. Memory: peak RSS of a child
process ingesting the corpus at three sizes (1/4, 1 and 2 times ``--files``); bounded memory
means the peak does not grow with the corpus (``benchmarks/memory.py`` measures ingest and
classify at 0.5, 1.5 and 5 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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
from redline import convert  # noqa: E402
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


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended (ingest's worker processes)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _fresh_parse_cache() -> None:
    """Start an ingest as a new ``redline ingest`` process starts, with no command line parsed:
    the parses are cached per process, and a later ingest in this one (or its workers, made by
    fork) would find the earlier one's."""
    assert hasattr(convert, "_CACHE"), "redline.convert keeps its parse cache elsewhere: update this"
    convert._CACHE = convert.ParseCache()


def measure(root: Path, settings: list[int | None], repeat: int = 1, classify: bool = True) -> dict:
    """The read_json baseline, then ingest at each worker setting, ``repeat`` times (medians);
    then classify of the last database (unless not ``classify``)."""
    base, base_cpu = [], []
    runs: dict[int | None, dict[str, list]] = {w: {"s": [], "cpu": [], "workers": []} for w in settings}
    with tempfile.TemporaryDirectory() as tmp:
        con = None
        for i in range(repeat):
            base_s, cpu_s, base_rows = baseline_read_json(root)
            base.append(base_s)
            base_cpu.append(cpu_s)
            for w in settings:
                if con is not None:
                    con.close()
                con = redline.connect(Path(tmp) / f"bench{i}-{w}.duckdb")
                _fresh_parse_cache()
                t, c = time.perf_counter(), _cpu()
                rep = ingest([root], con, workers=w)
                runs[w]["s"].append(time.perf_counter() - t)
                runs[w]["cpu"].append(_cpu() - c)
                runs[w]["workers"].append(getattr(rep, "workers", 0))  # 0: a redline that did not say
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]
        if classify:
            t = time.perf_counter()
            labels = redline.classify(con).labels
            classify_s = time.perf_counter() - t
        con.close()
    base_s, base_cpu_s = statistics.median(base), statistics.median(base_cpu)
    by_workers = {}
    for w, run in runs.items():
        ingest_s, ingest_cpu_s = statistics.median(run["s"]), statistics.median(run["cpu"])
        by_workers["default" if w is None else str(w)] = {
            "workers": max(run["workers"]), "ingest_s": round(ingest_s, 3), "ingest_cpu_s": round(ingest_cpu_s, 3),
            "ingest_runs_s": [round(x, 2) for x in run["s"]],
            "ingest_events_per_s": round(events / ingest_s),
            "ingest_vs_read_json": round(ingest_s / base_s, 2),
            # the target: ingest reads the bytes at 60% or more of read_json's throughput
            "ingest_throughput_pct_of_read_json": round(100 * base_s / ingest_s),
            # the same in CPU seconds, which the machine's load moves less than wall time
            "ingest_cpu_throughput_pct_of_read_json": round(100 * base_cpu_s / ingest_cpu_s),
        }
    first = by_workers["default" if settings[0] is None else str(settings[0])]
    result = {
        "files": rep.files, "events": events, "repeat": repeat,
        "read_json_s": round(base_s, 3), "read_json_rows": base_rows, "read_json_cpu_s": round(base_cpu_s, 3),
        "read_json_runs_s": [round(x, 2) for x in base],
        **first,
    }
    if classify:
        result.update({"labels": labels, "classify_s": round(classify_s, 3),
                       "classify_events_per_s": round(events / classify_s),
                       "classify_vs_read_json": round(classify_s / base_s, 2)})
    if len(settings) > 1:
        result["by_workers"] = by_workers
    return result


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
    ap.add_argument("--workers", default="default",
                    help="Worker processes of ingest: N, 'default', or several, comma-separated (1,2,default).")
    ap.add_argument("--repeat", type=int, default=1, help="Alternate ingest and read_json this many times (medians).")
    ap.add_argument("--no-classify", action="store_true", help="Measure ingest only.")
    ap.add_argument("--memory", action="store_true", help="Also measure peak RSS at 1x and 4x corpus size.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        size = generate(root, args.files, args.steps)
        settings = [None if w.strip() == "default" else int(w) for w in args.workers.split(",")]
        load_before = os.getloadavg()
        result = {"corpus_mb": round(size / 1e6, 1), **measure(root, settings, args.repeat, not args.no_classify)}
        result["load_average"] = {"start": [round(x, 2) for x in load_before],
                                  "end": [round(x, 2) for x in os.getloadavg()]}
        if args.memory:
            # bounded memory: the peak must not grow with the corpus (8x more data here)
            small = Path(tmp) / "small"
            generate(small, max(1, args.files // 4), args.steps, seed=11)
            large = Path(tmp) / "large"
            generate(large, args.files * 2, args.steps, seed=13)
            result["peak_rss_mb_quarter"] = round(peak_rss_mb(small, settings[0]), 1)
            result["peak_rss_mb_full"] = round(peak_rss_mb(root, settings[0]), 1)
            result["peak_rss_mb_double"] = round(peak_rss_mb(large, settings[0]), 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
