"""Analysis time against classify time on the same corpus, in one run.

    python benchmarks/analysis.py CORPUS [--repeat 3]

CORPUS is a folder of transcripts in any format redline reads (with no real transcripts at
hand, the bundled sample's folder will do, though its trials are few). The corpus is ingested once into a temporary
database; then ``classify`` and the whole analysis (``redline.analyse``: reading the inputs,
episodes, phases, categories, findings with the isolation forest, and storing the tables) are
timed ``--repeat`` times each, alternating, and the medians are compared. The target: the
analysis takes less time than classify (ratio below 1).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redline
from redline.ingest import ingest

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="folder of transcripts to measure on")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}: give the folder of transcripts to measure on", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        con = redline.connect(Path(tmp) / "bench.duckdb")
        t = time.perf_counter()
        report = ingest([str(args.corpus)], con)
        print(f"ingest: {time.perf_counter() - t:.2f}s ({report.summary()})")
        classify_s, analyse_s = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            redline.classify(con, full=True)
            classify_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            result = redline.analyse(con)
            analyse_s.append(time.perf_counter() - t)
        con.close()
    c, a = statistics.median(classify_s), statistics.median(analyse_s)
    print(f"classify: median {c:.2f}s over {args.repeat} runs ({', '.join(f'{x:.2f}' for x in classify_s)})")
    print(f"analyse:  median {a:.2f}s over {args.repeat} runs ({', '.join(f'{x:.2f}' for x in analyse_s)}); "
          f"{result.summary()}")
    print(f"analyse / classify = {a / c:.2f}  (target: below 1)")
    return 0 if a < c else 1


if __name__ == "__main__":
    sys.exit(main())
