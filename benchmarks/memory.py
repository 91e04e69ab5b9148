"""Peak memory and time of ingest and classify as the corpus grows.

    python benchmarks/memory.py [--sizes 0.5,1.5,5] [--steps 30] [--long-rate 0.02]

For each size (GB of transcript JSON), generates a corpus (:mod:`generate`: 30 steps a trial,
2% of outputs 200 kB longer), then runs ``redline ingest`` and ``redline classify`` on it, each
in a fresh process, and reports each one's peak RSS (Linux ``VmHWM``: the process's own
high-water mark), the peak of its whole process tree (ingest forks worker processes on two cores
or more: :mod:`proctree`, an upper bound), wall and CPU seconds, and throughput. The corpus and the database of one size
are deleted before the next is made. The target: peak RSS of each step (the larger of the
two figures) at most 1 GB at every size, and no growth with the corpus (memory bounded by the batch, not the corpus); time grows
linearly (MB/s stays flat).

``--dir`` puts the corpora and databases in a folder with room for them (default: the system's
temporary folder); 5 GB of corpus needs about 8 GB free.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate  # noqa: E402
from proctree import measure  # noqa: E402

#: run the CLI, then print its peak RSS in kB (VmHWM: this process's own high-water mark)
PEAK_SCRIPT = """
import sys
from redline.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    status = open('/proc/self/status').read()
    print([l for l in status.splitlines() if l.startswith('VmHWM')][0].split()[1], file=sys.stderr)
"""


def run_step(args: list[str]) -> dict:
    """Run ``redline ARGS`` in a fresh process: its own peak RSS (MB), its process tree's (MB),
    wall and CPU seconds (its workers' included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    step = measure([sys.executable, "-c", PEAK_SCRIPT, *args], stderr=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"peak_rss_mb": round(int(step["stderr"].strip().splitlines()[-1]) / 1024),
            "tree_peak_rss_mb": round(step["peak_rss_mb"]), "wall_s": round(step["seconds"], 1),
            "cpu_s": round(cpu, 1)}


def corpus_of(root: Path, gigabytes: float, steps: int, long_rate: float, seed: int) -> int:
    """Generate about ``gigabytes`` of corpus under ``root``, in parts of 200 files until the
    size is reached (so it overshoots by less than a part); return the bytes."""
    total, part = 0, 0
    while total < gigabytes * 1e9:
        total += generate(root / f"part{part}", 200, steps, seed=seed + part, long_rate=long_rate)
        part += 1
    return int(total)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="0.5,1.5,5", help="Corpus sizes in GB, comma-separated.")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--long-rate", type=float, default=0.02)
    ap.add_argument("--dir", type=Path, default=None, help="Where to write the corpora and databases.")
    args = ap.parse_args()
    results = []
    if args.dir is not None:
        args.dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for i, size in enumerate(float(s) for s in args.sizes.split(",")):
            root, db = Path(tmp) / f"corpus{i}", Path(tmp) / f"db{i}.duckdb"
            t = time.perf_counter()
            nbytes = corpus_of(root, size, args.steps, args.long_rate, seed=100 * i)
            gen_s = time.perf_counter() - t
            ingest = run_step(["ingest", str(root), "--db", str(db)])
            classify = run_step(["classify", "--db", str(db)])
            mb = nbytes / 1e6
            row = {"corpus_gb": round(nbytes / 1e9, 2), "generate_s": round(gen_s, 1),
                   "ingest": {**ingest, "mb_per_s": round(mb / ingest["wall_s"], 1)},
                   "classify": {**classify, "mb_per_s": round(mb / classify["wall_s"], 1)}}
            print(json.dumps(row), flush=True)
            results.append(row)
            shutil.rmtree(root)
            db.unlink()
    peak = max(r[step][key] for r in results for step in ("ingest", "classify")
               for key in ("peak_rss_mb", "tree_peak_rss_mb"))
    print(json.dumps({"max_peak_rss_mb": peak, "target_mb": 1024, "met": peak <= 1024}))


if __name__ == "__main__":
    main()
