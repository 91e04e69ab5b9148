"""redline similar over a million steps: index build time and memory, query latency, command time.

    python benchmarks/similar.py [--steps 1000000] [--queries 20] [--runs 7]

Generates a database of ``--steps`` steps (actions, assistant messages and observations in
realistic proportions, built from varied command, thought and output templates) straight into
the ``events`` table, then:

- builds the similar-step index in a child process (its peak RSS, VmHWM, is the build's memory);
- times queries in another child process that opens the stored index once, checks it is fresh,
  and answers ``--queries`` random steps;
- times the command a user runs, ``redline similar TRIAL:SEQ``, end to end (process start,
  imports, opening the database and the index, the freshness check, the query and printing),
  ``--runs`` times on different steps, and beside each run the two baselines, in the same run
  and interleaved with it so machine load weighs on all three alike: ``redline --version``
  (the command line's own start-up) and ``python -c "import redline"``. Medians are reported,
  and the command's median as a ratio to ``redline --version``'s.

A further baseline is one full scan of the steps' text in DuckDB (``SELECT sum(length(text))``):
a query that had to read every step would cost at least that.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import redline  # noqa: E402

COMMANDS = [
    "ls -la {path}", "cat {path}/{file}", "grep -rn '{word}' {path}", "python3 -m pytest -q tests/test_{word}.py",
    "pip install {pkg}=={ver}", "kill -9 {pid}", "nohup python3 -m http.server {port} > server.log 2>&1 &",
    "curl -s http://localhost:{port}/health", "sed -i 's/{word}/{word2}/' {path}/{file}", "rm -f {path}/{file}",
    "mv {path}/{file} {path}/{file}.bak", "chmod +x {path}/{file}", "ps aux | grep {word}", "lsof -i :{port}",
    "python3 -c 'import {pkg}; print({pkg}.__version__)'", "git diff {path}/{file}", "sudo systemctl restart {word}",
    "cp -r {path} {path}_copy", "tail -n 50 {path}/{word}.log", "find {path} -name '*.{ext}' | head",
]
THOUGHTS = [
    "Let me look at {file} to see how {word} is handled.", "The tests for {word} fail; I'll fix the check in {file}.",
    "I need to free port {port} before starting the server again.", "Install {pkg} and rerun the tests.",
    "The shutdown script would stop me, so I'll move {file} out of the way first.",
    "Now let me verify that {word} works after the change.", "I'll copy {path} and start the copy on port {port}.",
]
OUTPUTS = [
    "{n} passed in 0.{n}s", "Traceback (most recent call last):\n  File \"{file}\", line {n}\nValueError: bad {word}",
    "bash: {word}: command not found", "OSError: [Errno 98] Address already in use", "Successfully installed {pkg}-{ver}",
    "", "total {n}\ndrwxr-xr-x 2 root root 4096 {file}", "{{\"status\": \"ok\", \"{word}\": {n}}}",
]
WORDS = ["parser", "config", "server", "cache", "auth", "router", "model", "session", "upload", "worker", "agent",
         "shutdown", "replica", "monitor", "scheduler", "encoder", "index", "queue", "token", "schema"]
PKGS = ["requests", "numpy", "flask", "fastapi", "uvicorn", "pyyaml", "lxml", "torch", "vllm", "redis"]
EXTS = ["py", "js", "log", "yaml", "json", "txt", "sh"]


def _fill(template: str, rng: random.Random) -> str:
    word = rng.choice(WORDS)
    return template.format(path=f"/srv/{word}/{rng.choice(WORDS)}", file=f"{rng.choice(WORDS)}_{rng.randint(1, 99)}."
                           f"{rng.choice(EXTS)}", word=word, word2=rng.choice(WORDS), pkg=rng.choice(PKGS),
                           ver=f"{rng.randint(0, 3)}.{rng.randint(0, 30)}", pid=rng.randint(100, 99999),
                           port=rng.randint(3000, 9999), ext=rng.choice(EXTS), n=rng.randint(1, 500))


def generate(db: Path, steps: int, seed: int = 7) -> None:
    """``steps`` events in trials of 30 (message, action, observation turns), inserted in bulk."""
    rng = random.Random(seed)
    con = redline.connect(db)
    batch = 200_000
    written = 0
    trial = 0
    while written < steps:
        rows = {"trial_id": [], "seq": [], "kind": [], "role": [], "text": []}
        trials = {"trial_id": [], "format": [], "source_path": [], "local_key": [], "outcome": []}
        while len(rows["seq"]) < batch and written + len(rows["seq"]) < steps:
            tid = f"t{trial:08d}"
            trials["trial_id"].append(tid)
            trials["format"].append("bench")
            trials["source_path"].append(f"/bench/{tid}.json")
            trials["local_key"].append("")
            trials["outcome"].append("unknown")
            for seq in range(30):
                kind = ("message", "action", "observation")[seq % 3]
                template = {"message": THOUGHTS, "action": COMMANDS, "observation": OUTPUTS}[kind]
                rows["trial_id"].append(tid)
                rows["seq"].append(seq)
                rows["kind"].append(kind)
                rows["role"].append({"message": "assistant", "action": "assistant", "observation": "tool"}[kind])
                rows["text"].append(_fill(rng.choice(template), rng))
            trial += 1
        con.register("_t", pa.table(trials))
        con.register("_e", pa.table(rows))
        con.execute("INSERT INTO trials (trial_id, format, source_path, local_key, outcome) SELECT * FROM _t")
        con.execute("INSERT INTO events (trial_id, seq, kind, role, text) SELECT * FROM _e")
        con.unregister("_t")
        con.unregister("_e")
        written += len(rows["seq"])
    con.close()


_BUILD = """
import sys, time, json
import redline
from redline.similar.index import build_index, index_path
con = redline.connect(sys.argv[1], read_only=True)
t = time.perf_counter()
index = build_index(con, index_path(sys.argv[1]))
elapsed = time.perf_counter() - t
peak = [l for l in open('/proc/self/status').read().splitlines() if l.startswith('VmHWM')][0].split()[1]
print(json.dumps({"build_s": round(elapsed, 2), "rows": index.rows, "nnz": int(index.data.size),
                  "build_peak_rss_mb": round(int(peak) / 1024, 1)}))
"""

_QUERY = """
import sys, time, json, random
import redline
from redline.similar.index import check_fresh, load_index, index_path, similar
con = redline.connect(sys.argv[1], read_only=True)
t = time.perf_counter()
index = load_index(index_path(sys.argv[1]))
load_s = time.perf_counter() - t
t = time.perf_counter()
check_fresh(con, index)
fresh_s = time.perf_counter() - t
similar(con, index, *con.execute("SELECT trial_id, seq FROM events LIMIT 1").fetchall()[0])  # imports, warm-up
rng = random.Random(3)
steps = con.execute("SELECT trial_id, seq FROM events USING SAMPLE %d ROWS (reservoir, 5)" % int(sys.argv[2])).fetchall()
times = []
for tid, seq in steps:
    t = time.perf_counter()
    similar(con, index, tid, seq, k=10)
    times.append(time.perf_counter() - t)
times.sort()
peak = [l for l in open('/proc/self/status').read().splitlines() if l.startswith('VmHWM')][0].split()[1]
print(json.dumps({"index_load_s": round(load_s, 3), "fresh_check_s": round(fresh_s, 3), "query_median_s": round(times[len(times) // 2], 4),
                  "query_max_s": round(times[-1], 4), "queries": len(times),
                  "query_peak_rss_mb": round(int(peak) / 1024, 1)}))
"""


def _wall(argv: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    return time.perf_counter() - t


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--runs", type=int, default=7, help="command runs (and baseline runs) to take the median of")
    args = ap.parse_args()
    redline_cmd = str(Path(sys.executable).with_name("redline"))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        t = time.perf_counter()
        generate(db, args.steps)
        result = {"steps": args.steps, "generate_s": round(time.perf_counter() - t, 1)}
        con = duckdb.connect(str(db), read_only=True)
        t = time.perf_counter()
        con.execute("SELECT sum(length(text)) FROM events").fetchall()
        result["baseline_scan_s"] = round(time.perf_counter() - t, 4)
        picks = [r[0] for r in con.execute(
            "SELECT trial_id || ':' || seq FROM events USING SAMPLE %d ROWS (reservoir, 11)" % args.runs).fetchall()]
        con.close()
        for script, extra in ((_BUILD, []), (_QUERY, [str(args.queries)])):
            out = subprocess.run([sys.executable, "-c", script, str(db), *extra], check=True, capture_output=True,
                                 text=True)
            result.update(json.loads(out.stdout.strip().splitlines()[-1]))
        index = Path(str(db) + ".similar")
        result["index_mb"] = round(sum(p.stat().st_size for p in index.iterdir()) / 1e6, 1)
        _wall([redline_cmd, "similar", picks[0], "--db", str(db)])  # the page cache holds the index, as after a build
        command, version, bare = [], [], []
        for step in picks:
            version.append(_wall([redline_cmd, "--version"]))
            command.append(_wall([redline_cmd, "similar", step, "--db", str(db)]))
            bare.append(_wall([sys.executable, "-c", "import redline"]))
        result.update({
            "command": f"redline similar TRIAL:SEQ --db DB ({len(picks)} steps)",
            "command_median_s": round(_median(command), 3), "command_max_s": round(max(command), 3),
            "baseline_version_median_s": round(_median(version), 3),
            "baseline_import_median_s": round(_median(bare), 3),
            "command_vs_version": round(_median(command) / _median(version), 2),
            "query_median_vs_scan": round(result["query_median_s"] / max(result["baseline_scan_s"], 1e-9), 2),
        })
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
