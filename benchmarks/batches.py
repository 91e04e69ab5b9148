"""Peak memory against time of ``redline classify`` for several batch sizes, on one database.

    python benchmarks/batches.py --db FILE [--batch-trials 2000,500,250,100,50] [--repeat 3] [--no-models]

Each setting classifies a fresh copy of ``--db`` (never the file itself) with ``--all`` (every
classifier on every trial) in a process of its own; the settings alternate, ``--repeat`` times,
so a noisy machine weighs on each alike. For each trial count: the batches it makes (the row and character limits may cut more), the medians of
the process's peak resident memory (the kernel's high-water mark, ``ru_maxrss``), its wall
seconds and its CPU seconds (user and system, every thread), and their ratios to the first
setting's (the baseline of the same run). Smaller batches lower the peak and cost each batch the
rules' fixed pass; this shows both, to choose the ``CLASSIFY_BATCH_*`` limits (to try other row
or character limits, change them in ``redline/limits.py`` and run it again).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from redline.classifiers.reading import batches


def _redline() -> str:
    beside = Path(sys.executable).with_name("redline")
    return str(beside) if beside.exists() else "redline"


def run_once(db: Path, trials: int, extra: list[str]) -> dict:
    """One classify of a copy of ``db`` in batches of ``trials``: peak RSS (MB), wall and CPU seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.duckdb"
        shutil.copyfile(db, copy)
        cmd = [_redline(), "classify", "--db", str(copy), "--all", "--batch-trials", str(trials), *extra]
        t = time.perf_counter()
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.perf_counter() - t
            errors.seek(0)
            err = errors.read().decode(errors="replace")
        if status:
            raise SystemExit(f"classify failed ({status}):\n{err[-3000:]}")
    return {"peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "wall_s": round(seconds, 3),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 3)}


def count_batches(db: Path, trials: int) -> int:
    """The batches a classify of every trial of ``db`` makes at ``trials`` a batch (and the
    default row and character limits)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return len(batches(con, batch_trials=trials, stored_order=True))
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, required=True, help="A database to classify copies of (never written).")
    ap.add_argument("--batch-trials", default="2000,500,250,100,50", help="Trial counts to compare (the first is the baseline).")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-models", action="store_true", help="Classify with the rules alone.")
    args = ap.parse_args()
    settings = [int(n) for n in args.batch_trials.split(",")]
    extra = ["--no-models"] if args.no_models else []
    runs: dict[int, list[dict]] = {i: [] for i in range(len(settings))}
    for _ in range(args.repeat):
        for i, setting in enumerate(settings):
            runs[i].append(run_once(args.db, setting, extra))
    rows = []
    for i, setting in enumerate(settings):
        med = {key: statistics.median(r[key] for r in runs[i]) for key in ("peak_rss_mb", "wall_s", "cpu_s")}
        rows.append({"batch_trials": setting, "batches": count_batches(args.db, setting), **med})
    base = rows[0]
    for row in rows:
        for key in ("peak_rss_mb", "wall_s", "cpu_s"):
            row[f"{key}_vs_first"] = round(row[key] / base[key], 3) if base[key] else None
    print(json.dumps({"repeat": args.repeat, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
