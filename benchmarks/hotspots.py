"""Where ingest and classify spend their time: a cProfile of each, with shares.

    python benchmarks/hotspots.py [--files 1000] [--steps 30] [--top 12] [--corpus DIR]

Generates a corpus (:mod:`generate`; or profiles ``--corpus DIR``), then, in this process:

- ingests it with one worker under cProfile (the work a worker process does, in one place);
- classifies it under cProfile, and times each classifier alone on the same batches.

Prints, for each step, the functions with the most time of their own (``tottime``) and the
redline functions with the most time below them (``cumtime``), each as a share of the step's
profiled time (CPU time of the process), then the classifiers by share of classify's rule time. cProfile slows the
Python parts more than the native ones (DuckDB, polars, tree-sitter), so the shares lean
towards Python; they say where to look, the other benchmarks say how fast it is.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate  # noqa: E402

import redline  # noqa: E402
from redline.classifiers.engine import rule_hits  # noqa: E402
from redline.classifiers.registry import active_rules  # noqa: E402
from redline.classifiers.reading import read_frames  # noqa: E402
from redline.ingest import ingest  # noqa: E402


def _where(func: tuple[str, int, str]) -> str:
    path, line, name = func
    if path == "~":
        return name
    parts = Path(path).parts
    short = "/".join(parts[parts.index("redline"):]) if "redline" in parts else "/".join(parts[-2:])
    return f"{short}:{line}({name})"


def show(profile: cProfile.Profile, title: str, top: int) -> None:
    stats = pstats.Stats(profile)
    total = stats.total_tt
    rows = stats.stats  # type: ignore[attr-defined]
    print(f"\n== {title}: {total:.2f} s profiled")
    print("own time (tottime):")
    for func, (_cc, _nc, tt, _ct, _callers) in sorted(rows.items(), key=lambda kv: -kv[1][2])[:top]:
        print(f"  {100 * tt / total:5.1f}%  {_where(func)}")
    print("redline functions, time below them (cumtime):")
    ours = [(func, ct) for func, (_cc, _nc, _tt, ct, _c) in rows.items() if "/redline/" in func[0]]
    for func, ct in sorted(ours, key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * ct / total:5.1f}%  {_where(func)}")


def rule_shares(con, top: int) -> None:
    """Each classifier timed alone on the same batches, as a share of their sum."""
    ids = [r[0] for r in con.execute("SELECT trial_id FROM trials ORDER BY trial_id").fetchall()]
    times: dict[str, float] = {}
    for start in range(0, len(ids), 2000):
        frames = read_frames(con, ids[start:start + 2000])
        for rule in active_rules():
            t = time.process_time()
            rule_hits(rule, frames)
            times[rule.id] = times.get(rule.id, 0.0) + time.process_time() - t
    total = sum(times.values())
    print(f"\n== classifiers alone: {total:.2f} CPU s over {len(times)} classifiers")
    for rule_id, t in sorted(times.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * t / total:5.1f}%  {rule_id}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--corpus", type=Path, help="Profile this folder instead of a generated corpus.")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.corpus
        if root is None:
            root = Path(tmp) / "corpus"
            size = generate(root, args.files, args.steps)
            print(f"corpus: {args.files} files, {size / 1e6:.1f} MB")
        con = redline.connect(Path(tmp) / "profile.duckdb")
        profile = cProfile.Profile(time.process_time)
        profile.runcall(ingest, [root], con, workers=1)
        show(profile, "ingest (one worker)", args.top)
        profile = cProfile.Profile(time.process_time)
        profile.runcall(redline.classify, con)
        show(profile, "classify", args.top)
        rule_shares(con, args.top)
        con.close()


if __name__ == "__main__":
    main()
