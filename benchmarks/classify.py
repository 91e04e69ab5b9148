"""Classify time against a flat DuckDB pass of 20 regexes over the same command strings.

    python benchmarks/classify.py [--actions 1000000] [--repeat 3] [--long-rate 0.002] [--varied]

Generates a corpus of about ``--actions`` actions (:mod:`generate`, 30 steps a trial; by
default 0.2% of outputs carry 200 kB more, which gives the mean output size of the development
corpus), ingests it once, then times, alternating ``--repeat`` times:

- the baseline: one DuckDB query applying 20 representative ``regexp_matches`` to every stored
  command string (``commands.text``), counting the matches of each (:data:`PATTERNS`): the floor
  for any rule engine that reads every command;
- ``redline.classify`` of every trial, in full (``full=True``: every classifier on every trial
  each time, as if nothing were current; an incremental classify would find the repeats done):
  every active rule over commands, actions, outputs and messages, and the learned models that
  are available, labels written in a recorded run;
  ``--rules-only`` leaves the learned models out.

Both are timed in CPU seconds of the whole process (every thread; the machine may be shared)
and in wall seconds; the figures are the medians and their ratio, classify / baseline (target:
2 or less). The figures report ``distinct_command_texts``: the engine evaluates a command
rule once per distinct command of a batch, so repetition helps it; ``--varied`` generates
commands whose ports and numbers rarely repeat, so the ratio does not rest on repetition.
``--db FILE`` reuses a database made by an earlier run (``--keep-db FILE``), so the
corpus is generated and ingested once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import generate  # noqa: E402

import redline  # noqa: E402
from redline.ingest import ingest  # noqa: E402

#: regexes of the kind the command rules look for: downloads, kills, deletions, privilege,
#: installs, background servers, persistence, reading secrets, interpreters, probes, evasion
PATTERNS = [
    r"\bcurl\b.*https?://", r"\b(pkill|killall|kill)\b", r"\brm\s+-[a-zA-Z]*r", r"\bsudo\b",
    r"\bpip3?\s+install\b", r"\bchmod\s+[+0-7]", r"\bnohup\b|&\s*$", r"\bgit\s+(clone|pull|fetch)\b",
    r"\bwget\b", r"\b(nc|ncat|netcat|socat)\s", r"crontab|systemctl\s+enable", r"/etc/(passwd|shadow|sudoers)",
    r"\bpython[0-9.]*\s+-c\b", r">\s*/dev/null", r"\bps\s+(aux|-ef)", r"\b(lsof|netstat|ss)\b",
    r"\b(scp|rsync)\s", r"\bdocker\s+(run|pull|exec)", r"history\s+-c|unset\s+HISTFILE", r"\bbase64\s+(-d|--decode)",
]
STEPS = 30


def regex_pass(con) -> list[int]:
    counts = ", ".join(f"count(*) FILTER (WHERE regexp_matches(text, '{p}'))" for p in PATTERNS)
    return list(con.execute(f"SELECT {counts} FROM commands").fetchone())


def timed(fn) -> tuple[float, float]:
    """(CPU seconds of the process, wall seconds) that ``fn()`` takes."""
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - cpu, time.perf_counter() - wall


def measure(db: Path, repeat: int, models=None) -> dict:
    con = redline.connect(db)
    counts = con.execute("SELECT (SELECT count(*) FROM events WHERE kind = 'action'), "
                         "(SELECT count(*) FROM events), (SELECT count(*) FROM commands), "
                         "(SELECT count(DISTINCT text) FROM commands), (SELECT count(*) FROM trials)").fetchone()
    regex_pass(con)  # warm: the column is read from disk once before either is timed
    base, cls = [], []
    labels = 0
    for _ in range(repeat):
        base.append(timed(lambda: regex_pass(con)))
        report = []
        cls.append(timed(lambda: report.append(redline.classify(con, models=models, full=True))))
        labels = report[0].labels
    con.close()
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    return {
        "trials": counts[4], "actions": counts[0], "events": counts[1], "commands": counts[2],
        "distinct_command_texts": counts[3], "labels": labels, "repeat": repeat,
        "regex_pass_cpu_s": round(med(base, 0), 2), "regex_pass_wall_s": round(med(base, 1), 2),
        "classify_cpu_s": round(med(cls, 0), 2), "classify_wall_s": round(med(cls, 1), 2),
        "classify_vs_regex_pass_cpu": round(med(cls, 0) / med(base, 0), 2),
        "classify_vs_regex_pass_wall": round(med(cls, 1) / med(base, 1), 2),
        "runs_cpu_s": {"regex_pass": [round(x[0], 2) for x in base], "classify": [round(x[0], 2) for x in cls]},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--actions", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--long-rate", type=float, default=0.002)
    ap.add_argument("--db", type=Path, help="An ingested database to reuse (skips generate and ingest).")
    ap.add_argument("--keep-db", type=Path, help="Where to keep the ingested database for --db.")
    ap.add_argument("--varied", action="store_true",
                    help="Generate commands whose ports and numbers rarely repeat (see generate.py --varied).")
    ap.add_argument("--rules-only", action="store_true", help="Classify with the rules alone, not the learned models.")
    args = ap.parse_args()
    result: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            root = Path(tmp) / "corpus"
            size = generate(root, max(1, args.actions // STEPS), STEPS, long_rate=args.long_rate, varied=args.varied)
            db = args.keep_db or Path(tmp) / "bench.duckdb"
            con = redline.connect(db)
            t = time.perf_counter()
            ingest([root], con)
            con.close()
            result = {"corpus_mb": round(size / 1e6, 1), "ingest_wall_s": round(time.perf_counter() - t, 1)}
        result.update(measure(db, args.repeat, () if args.rules_only else None))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
