"""The Ray engine against the local path, on one generated corpus, in one run.

    python benchmarks/ray_vs_local.py [--gb 1.0] [--steps 30] [--shard-mb 64]

Writes a corpus of about ``--gb`` gigabytes with ``benchmarks/generate.py``, then times, each
from nothing to a labelled result:

* **local** (the baseline): ``redline ingest`` + ``redline classify`` into a database, as
  ``redline audit`` does (worker processes as the loader chooses for this machine);
* **ray, 2 CPUs** and **ray, 1 CPU**: ``redline ingest --out DIR --engine ray`` on a local Ray
  cluster started with that many CPUs (reading, labelling and writing the Parquet dataset);
  the cluster's start-up is timed apart and left out of the ratio, as on a real cluster that
  is already running;
* **dataset, local executor**: the same shard tasks run one after another in this process.

Prints every wall time and the ratios: Ray (2 CPUs) against the local path (target: at most
1.3), and Ray at 1 CPU against 2 CPUs (the per-shard work scales when this is near 2, or near
what the machine itself gives two processes: a pure-Python loop run alone and twice at once is
measured at the start and the end as that baseline). Each
task is given one CPU and uses one thread (polars and DuckDB), as Ray schedules it. With
``--repeat N`` the runs alternate N times and medians are compared; the machine's load average
is printed too, since other work on the machine skews a parallel measurement most.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate  # noqa: E402

import redline  # noqa: E402
from redline.distributed import LocalExecutor, tasks  # noqa: E402
from redline.distributed.ingest import ingest as ingest_dataset  # noqa: E402

#: bytes of one generated trajectory at 30 steps (measured); sets the file count for --gb
BYTES_PER_FILE_30_STEPS = 275_000


def local_path(corpus: Path, work: Path) -> dict:
    con = redline.connect(work / "local.duckdb")
    t = time.perf_counter()
    rep = redline.ingest.ingest([str(corpus)], con)
    ingest_s = time.perf_counter() - t
    cls = redline.classify(con)
    total = time.perf_counter() - t
    con.close()
    return {"seconds": round(total, 2), "ingest_s": round(ingest_s, 2), "classify_s": round(total - ingest_s, 2),
            "trials": rep.trials, "labels": cls.labels}


def ray_path(corpus: Path, out: Path, cpus: int, shard_bytes: int) -> dict:
    from redline.distributed.ray_engine import RayExecutor

    t = time.perf_counter()
    executor = RayExecutor(num_cpus=cpus)
    # start every worker and load the rules in it, as on a cluster that is already running
    for i in range(cpus):
        executor.submit(("warm", i), tasks.warm)
    for _ in executor.results():
        pass
    start_s = time.perf_counter() - t
    try:
        t = time.perf_counter()
        rep = ingest_dataset([corpus], out, executor, shard_bytes=shard_bytes)
        seconds = time.perf_counter() - t
    finally:
        executor.close()
    return {"seconds": round(seconds, 2), "cluster_start_s": round(start_s, 2), "shards": rep.shards,
            "trials": rep.trials, "labels": rep.labels}


def dataset_local(corpus: Path, out: Path, shard_bytes: int) -> dict:
    t = time.perf_counter()
    rep = ingest_dataset([corpus], out, LocalExecutor(), shard_bytes=shard_bytes)
    return {"seconds": round(time.perf_counter() - t, 2), "shards": rep.shards, "labels": rep.labels}


def _spin(n: int, start_at: float = 0.0) -> float:
    """Seconds a pure-Python loop of ``n`` steps takes, started at ``start_at`` (wall clock)."""
    time.sleep(max(0.0, start_at - time.time()))
    t = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - t


def machine_scaling(n: int = 20_000_000) -> dict:
    """What this machine gives two processes at the moment: a pure-Python loop timed alone, then
    in two processes started at the same instant. ``speedup`` 2.0 means two free cores; other
    work on the machine (or cores shared by hyper-threading) lowers it, and bounds what any
    2-CPU run can show."""
    alone = _spin(n)
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        start = time.time() + 3.0  # after both workers have started
        together = pool.starmap(_spin, [(n, start), (n, start)])
    return {"one_process_s": round(alone, 2), "two_at_once_s": [round(x, 2) for x in together],
            "speedup": round(2 * alone / max(together), 2)}


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=1.0, help="corpus size in gigabytes (default 1)")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--shard-mb", type=float, default=64.0)
    ap.add_argument("--repeat", type=int, default=1, help="rounds of the three runs, alternating; medians reported")
    ap.add_argument("--skip-dataset-local", action="store_true", help="leave out the local-executor run")
    args = ap.parse_args()
    shard_bytes = int(args.shard_mb * 2**20)
    files = max(1, int(args.gb * 1e9 / (BYTES_PER_FILE_30_STEPS * args.steps / 30)))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        size = generate(corpus, files, args.steps)
        print(f"corpus: {files} files, {size / 1e9:.2f} GB", file=sys.stderr)
        result: dict = {"corpus_gb": round(size / 1e9, 3), "files": files, "cpus": os.cpu_count(),
                        "load_average_at_start": [round(x, 1) for x in os.getloadavg()], "runs": []}
        result["machine_two_process_scaling_at_start"] = machine_scaling()
        for round_ in range(args.repeat):
            runs = {"local": local_path(corpus, work)}
            (work / "local.duckdb").unlink()
            print(f"local: {runs['local']}", file=sys.stderr)
            for cpus in (2, 1):
                runs[f"ray_{cpus}cpu"] = ray_path(corpus, work / "ds", cpus, shard_bytes)
                print(f"ray {cpus} CPU: {runs[f'ray_{cpus}cpu']}", file=sys.stderr)
                shutil.rmtree(work / "ds")
            if not args.skip_dataset_local and round_ == 0:
                runs["dataset_local_executor"] = dataset_local(corpus, work / "ds", shard_bytes)
                shutil.rmtree(work / "ds")
            labels = {r["labels"] for r in runs.values()}
            assert len(labels) == 1, f"the paths labelled differently: {runs}"
            result["runs"].append(runs)
        result["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
        result["machine_two_process_scaling_at_end"] = machine_scaling()
        seconds = {name: _median([r[name]["seconds"] for r in result["runs"] if name in r])
                   for name in result["runs"][0]}
        start = _median([r["ray_2cpu"]["cluster_start_s"] for r in result["runs"]])
        base = seconds["local"]
        result["median_seconds"] = seconds
        result["ratios"] = {
            "ray_2cpu_vs_local": round(seconds["ray_2cpu"] / base, 2),
            "ray_2cpu_with_cluster_start_vs_local": round((seconds["ray_2cpu"] + start) / base, 2),
            "ray_1cpu_vs_ray_2cpu": round(seconds["ray_1cpu"] / seconds["ray_2cpu"], 2),
            "ray_1cpu_vs_local": round(seconds["ray_1cpu"] / base, 2),
        }
        if "dataset_local_executor" in seconds:
            result["ratios"]["dataset_local_executor_vs_local"] = round(seconds["dataset_local_executor"] / base, 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
