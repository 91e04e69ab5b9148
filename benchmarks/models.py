"""Loading and scoring the learned models: compact form against the scikit-learn pipelines.

    python benchmarks/models.py --db FILE [--repeat 5]

``FILE`` is an ingested database (e.g. the Scout benchmark's: ``benchmarks/scout.py``). Each
repeat runs two fresh processes, alternating, that import redline's classify layer, load the
shipped models (``available_models``) and score every step of the database with them (one
batch of every trial, :func:`redline.classifiers.models.scoring.scores`):

- baseline (``pipeline``): the same shipped models without their compact form (a copy of the
  default folder with the ``.npz`` files and the metadata's ``compact`` entry removed), so they
  load through skops and score through scikit-learn, as every model did before the compact
  form;
- ``compact``: the shipped models as they are.

Per process (wall and CPU seconds): the import time and resident memory (RSS) after importing duckdb, pyarrow, polars
and ``redline.classifiers.store``; each model's load time and RSS growth; the scoring time; the
peak RSS; whether scikit-learn, SciPy or skops were imported. The figures are medians over the
repeats, with the ratios compact / pipeline, and whether both scored every step alike.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import hashlib, json, resource, sys, time
def rss():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024
t0 = time.perf_counter()
import duckdb, pyarrow, polars
import redline.classifiers.store  # (classify's modules, as a run imports them)
from redline.classifiers.models.apply import model_inputs
from redline.classifiers.models.available import available_models
from redline.classifiers.models.declared import MODELS
from redline.classifiers.models.scoring import scores
out = {"import_s": time.perf_counter() - t0, "base_rss_mb": rss(), "models": {}}
r0, t0, c0 = rss(), time.perf_counter(), time.process_time()
models = []
for spec in MODELS:
    r, t = rss(), time.perf_counter()
    models += available_models(sys.argv[2], [spec.id])
    out["models"][spec.id] = {"load_s": time.perf_counter() - t, "rss_mb": rss() - r}
out["load_s"], out["load_cpu_s"], out["load_rss_mb"] = time.perf_counter() - t0, time.process_time() - c0, rss() - r0
con = duckdb.connect(sys.argv[1], read_only=True)
frames = redline.classifiers.reading.read_frames(con, [r[0] for r in con.execute("SELECT trial_id FROM trials").fetchall()])
t0, c0, digest, rows = time.perf_counter(), time.process_time(), [], 0
caches = {}
for m in models:
    inputs = model_inputs(frames, m.spec.unit)
    s = scores(m, inputs, caches.setdefault(m.spec.unit, {}))
    digest.append(hashlib.sha256(s.tobytes()).hexdigest())
    rows += inputs.height
out["score_s"], out["score_cpu_s"], out["rows"] = time.perf_counter() - t0, time.process_time() - c0, rows
out["scores"] = digest
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["imported"] = sorted({m.split(".")[0] for m in sys.modules} & {"sklearn", "scipy", "skops"})
print(json.dumps(out))
"""


def pipeline_copy(folder: Path) -> Path:
    """The shipped defaults without their compact form."""
    from redline.classifiers.models.files import default_dir

    for src in default_dir().iterdir():
        if src.suffix == ".npz":
            continue
        if src.suffix == ".json":
            meta = json.loads(src.read_text(encoding="utf-8"))
            meta.pop("compact", None)
            (folder / src.name).write_text(json.dumps(meta), encoding="utf-8")
        else:
            shutil.copy(src, folder / src.name)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="an ingested database")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folders = {"pipeline": pipeline_copy(Path(tmp)), "compact": None}
        runs: dict[str, list[dict]] = {k: [] for k in folders}
        for _ in range(args.repeat):
            for mode, folder in folders.items():
                from redline.classifiers.models.files import default_dir

                where = str(folder or default_dir())
                done = subprocess.run([sys.executable, "-c", CHILD, args.db, where], check=True,
                                      capture_output=True, text=True)
                runs[mode].append(json.loads(done.stdout))
    med = {mode: {k: statistics.median(r[k] for r in rs) for k in
                  ("import_s", "base_rss_mb", "load_s", "load_cpu_s", "load_rss_mb", "score_s", "score_cpu_s",
                   "peak_rss_mb")}
           for mode, rs in runs.items()}
    for mode, rs in runs.items():
        for mid in rs[0]["models"]:
            med[mode][mid] = {k: round(statistics.median(r["models"][mid][k] for r in rs), 4) for k in ("load_s", "rss_mb")}
        med[mode]["imported"] = rs[0]["imported"]
        med[mode]["rows"] = rs[0]["rows"]
    same = all(a["scores"] == b["scores"] for a, b in zip(runs["pipeline"], runs["compact"]))
    print(json.dumps(med, indent=2))
    p, c = med["pipeline"], med["compact"]
    print(f"load {c['load_s']:.3f} s vs {p['load_s']:.3f} s (x{c['load_s'] / p['load_s']:.3f}; CPU {c['load_cpu_s']:.3f} "
          f"vs {p['load_cpu_s']:.3f} s); "
          f"load RSS +{c['load_rss_mb']:.1f} MB vs +{p['load_rss_mb']:.1f} MB; "
          f"score {c['score_s']:.3f} s vs {p['score_s']:.3f} s (x{c['score_s'] / p['score_s']:.2f}; CPU "
          f"{c['score_cpu_s']:.3f} vs {p['score_cpu_s']:.3f} s); "
          f"peak RSS {c['peak_rss_mb']:.0f} MB vs {p['peak_rss_mb']:.0f} MB (x{c['peak_rss_mb'] / p['peak_rss_mb']:.2f}); "
          f"scores identical: {same}")


if __name__ == "__main__":
    main()
