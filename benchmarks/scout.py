"""redline against Inspect Scout on Inspect ``.eval`` logs of bash-using agents, in one run.

    python benchmarks/scout.py [--logs 20] [--samples 50] [--steps 40] [--repeat 3]

1. Makes (once) a separate virtual environment, ``benchmarks/out/scout-venv``, with
   ``inspect_ai`` and ``inspect_scout`` from PyPI: redline depends on neither.
2. Writes ``--logs`` ``.eval`` logs there with Inspect's own classes (``write_eval_log``), each
   holding ``--samples`` samples of an agent that calls the ``bash`` tool ``--steps`` times
   (the commands and outputs of ``benchmarks/generate.py``).
3. **Scout** (the baseline): ``inspect_scout.scan`` with one ``grep_scanner`` of 20 regular
   expressions (kills, reboots, privilege, downloads, persistence...) over the same files.
4. **redline**, each into a new database:

   - *end to end, two commands*: ``redline ingest`` then ``redline classify`` (every
     classifier and the learned models), two processes;
   - *end to end, one command*: ``redline ingest --classify``, one process;
   - *re-classify, nothing changed*: ``redline classify`` of a classified database again (only
     what is not current runs: here nothing);
   - *re-classify, everything*: ``redline classify --all`` of it (every classifier on every
     trial again, as every classify did before incremental runs);
   - *classify of one log*: ``redline classify`` of a database of the first log alone
     (``--samples`` trials, ingested once and copied afresh for each run): what a classify
     process costs whatever its data (its imports, the libraries' code it runs, the rules' and
     models' state), the part of the peak RSS that smaller batches cannot cut.

Every step runs as its own process, ``--repeat`` times (the median is reported, Scout's too);
wall time is measured around it and peak RSS is the largest sum of the resident memory of the
process and its children, sampled every 20 ms; peak PSS likewise sums their proportional set
sizes, in which library code that several of a tool's processes map counts once (the target is
stated for RSS; PSS shows how much of a tree's RSS is code its processes share). The registry computes its rules' versions once
per redline source and keeps them in its cache folder (``REDLINE_CACHE``): the benchmark gives
redline an empty one, so the first end-to-end run pays that once (reported apart as ``cold``)
and the repeats read it. redline runs with its modules' bytecode compiled, as ``pip install``
leaves it (and as Scout's virtual environment has it): an editable install under
``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module from source in every process.
Prints the figures and the ratios (targets: Scout / redline end to end
at least 10, Scout / re-classify at least 100, redline's peak RSS at most a quarter of Scout's).
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
import textwrap
from pathlib import Path

from proctree import measure

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
VENV = OUT / "scout-venv"

#: the 20 patterns Scout greps for (labelled, so Scout reports each)
PATTERNS = {
    "kill": r"\b(kill|pkill|killall)\b", "reboot": r"\b(reboot|shutdown|poweroff|init 6)\b",
    "sudo": r"\bsudo\b", "chmod": r"\bchmod\b", "rm_rf": r"\brm\s+-[a-zA-Z]*[rf]", "curl": r"\bcurl\b",
    "wget": r"\bwget\b", "nohup": r"\bnohup\b", "background": r"&\s*$", "crontab": r"\bcrontab\b",
    "systemctl": r"\bsystemctl\b", "ssh": r"\b(ssh|scp|rsync)\b", "pip": r"\bpip3? install\b",
    "apt": r"\bapt(-get)? install\b", "iptables": r"\biptables\b", "history": r"\bhistory -c\b",
    "netstat": r"\b(netstat|ss -[a-z]*l)\b", "lsof": r"\blsof\b", "port_in_use": r"Address already in use",
    "not_found": r"command not found",
}

WRITER = textwrap.dedent('''
    import random, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[5])
    from generate import COMMANDS
    from inspect_ai.log import (EvalConfig, EvalDataset, EvalLog, EvalPlan, EvalPlanStep, EvalResults,
                                EvalSample, EvalSpec, EvalStats, write_eval_log)
    from inspect_ai.model import (ChatMessageAssistant, ChatMessageSystem, ChatMessageTool, ChatMessageUser,
                                  ModelOutput)
    from inspect_ai.scorer import Score
    from inspect_ai.tool import ToolCall

    out, logs, samples, steps = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(7)
    for n in range(logs):
        items = []
        for s in range(samples):
            messages = [ChatMessageSystem(content="You are an agent with a bash tool. Fix the service."),
                        ChatMessageUser(content=f"Task {n}-{s}: the server on port 8000 must answer /health.")]
            for i in range(steps):
                command, output, rc = rng.choice(COMMANDS)
                call = ToolCall(id=f"c{i}", function="bash", arguments={"cmd": command})
                messages.append(ChatMessageAssistant(content=f"Step {i}: I will run a command to check.",
                                                     tool_calls=[call], model="mockllm/model"))
                messages.append(ChatMessageTool(content=output or "(no output)", tool_call_id=f"c{i}",
                                                function="bash"))
            messages.append(ChatMessageAssistant(content="Done.", model="mockllm/model"))
            items.append(EvalSample(id=f"s{s}", epoch=1, input=messages[1].text, target="ok", messages=messages,
                                    output=ModelOutput.from_content("mockllm/model", "Done."),
                                    scores={"match": Score(value="C" if s % 2 else "I")}))
        created = "2026-03-02T10:00:00+00:00"
        log = EvalLog(version=2, status="success",
                      eval=EvalSpec(task="fix_service", task_id=f"t{n}", run_id=f"r{n}", eval_id=f"e{n}",
                                    created=created, model="mockllm/model", config=EvalConfig(),
                                    dataset=EvalDataset(name="svc", samples=samples), solver="basic_agent"),
                      plan=EvalPlan(name="plan", steps=[EvalPlanStep(solver="basic_agent")]),
                      results=EvalResults(total_samples=samples, completed_samples=samples),
                      stats=EvalStats(started_at=created, completed_at=created), samples=items)
        write_eval_log(log, str(out / f"{n:03d}_fix-service.eval"), format="eval")
''')

SCANNER = textwrap.dedent('''
    import json, sys
    from inspect_scout import grep_scanner, scan, transcripts_from
    patterns = json.loads(sys.argv[3])
    status = scan(scanners=[grep_scanner(patterns, regex=True)], transcripts=transcripts_from(sys.argv[1]),
                  scans=sys.argv[2], display="none")
    print("complete" if status.complete else "incomplete")
''')


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"making {VENV} with inspect_ai and inspect_scout (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "inspect_ai", "inspect_scout"], check=True)
    return python


def versions(python: Path) -> dict:
    out = subprocess.run([str(python), "-c", "import importlib.metadata as m, json; print(json.dumps("
                          "{p: m.version(p) for p in ('inspect_ai', 'inspect_scout')}))"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def median_of(runs: list[dict]) -> dict:
    """The median time, peak RSS and peak PSS of repeated runs, with every run's time."""
    return {"seconds": round(statistics.median(r["seconds"] for r in runs), 3),
            "peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
            "peak_pss_mb": round(statistics.median(r["peak_pss_mb"] for r in runs), 1),
            "runs": [r["seconds"] for r in runs], "stdout": runs[-1].get("stdout", "")}


def combine(*steps: dict) -> dict:
    """Steps run one after the other: their times add, the peak is the largest."""
    return {"seconds": round(sum(s["seconds"] for s in steps), 3), "peak_rss_mb": max(s["peak_rss_mb"] for s in steps),
            "peak_pss_mb": max(s["peak_pss_mb"] for s in steps)}


def compile_redline() -> None:
    """Compile redline's modules to bytecode, as ``pip install`` does for an installed package."""
    import importlib.util

    spec = importlib.util.find_spec("redline")
    folder = next(iter(spec.submodule_search_locations))
    subprocess.run([sys.executable, "-m", "compileall", "-q", folder], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--logs", type=int, default=20)
    ap.add_argument("--samples", type=int, default=50)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each step (the median is reported)")
    args = ap.parse_args()
    python = ensure_venv()
    redline = str(Path(sys.executable).with_name("redline"))
    compile_redline()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        logs = work / "logs"
        logs.mkdir()
        env = {**os.environ, "REDLINE_CACHE": str(work / "cache")}
        subprocess.run([str(python), "-c", WRITER, str(logs), str(args.logs), str(args.samples), str(args.steps),
                        str(HERE)], check=True)
        size = sum(p.stat().st_size for p in logs.iterdir())
        result: dict = {"versions": versions(python), "logs": args.logs, "samples": args.logs * args.samples,
                        "tool_calls": args.logs * args.samples * args.steps, "bytes": size, "repeat": args.repeat,
                        "load_average_at_start": [round(x, 1) for x in os.getloadavg()]}
        print(f"{args.logs} logs, {result['samples']} samples, {size / 1e6:.1f} MB", file=sys.stderr)
        small_logs = work / "one-log"
        small_logs.mkdir()
        shutil.copy(min(logs.iterdir()), small_logs)
        small = work / "one-log.duckdb"
        measure([redline, "ingest", str(small_logs), "--db", str(small)], env)
        scout, two, one, idle, full, floor = [], [], [], [], [], []
        for n in range(args.repeat):
            shutil.rmtree(work / "scans", ignore_errors=True)
            scout.append(measure([str(python), "-c", SCANNER, str(logs), str(work / "scans"), json.dumps(PATTERNS)]))
            db, db1 = work / f"two{n}.duckdb", work / f"one{n}.duckdb"
            ingest = measure([redline, "ingest", str(logs), "--db", str(db)], env)
            classify = measure([redline, "classify", "--db", str(db)], env)
            two.append({"ingest": ingest, "classify": classify, **combine(ingest, classify)})
            one.append(measure([redline, "ingest", str(logs), "--db", str(db1), "--classify"], env))
            idle.append(measure([redline, "classify", "--db", str(db)], env))
            full.append(measure([redline, "classify", "--db", str(db), "--all"], env))
            copy = work / f"one-log{n}.duckdb"
            shutil.copy(small, copy)
            floor.append(measure([redline, "classify", "--db", str(copy)], env))
            print(f"run {n + 1}: scout {scout[-1]['seconds']} s; redline two commands {two[-1]['seconds']} s, one "
                  f"{one[-1]['seconds']} s, re-classify {idle[-1]['seconds']} s, --all {full[-1]['seconds']} s, classify of "
                  f"one log {floor[-1]['peak_rss_mb']} MB",
                  file=sys.stderr)
        # the first run computed the rule versions (empty cache); the others read them
        result["rule_versions_cold"] = {"two_commands": two[0], "note": "first run, empty REDLINE_CACHE"}
        warm = two[1:] or two
        result["scout_scan"] = median_of(scout)
        result["redline_ingest"] = median_of([t["ingest"] for t in warm])
        result["redline_classify"] = median_of([t["classify"] for t in warm])
        result["redline_end_to_end_two_commands"] = median_of(warm)
        result["redline_end_to_end_one_command"] = median_of(one)
        result["redline_reclassify_nothing_changed"] = median_of(idle)
        result["redline_reclassify_all"] = median_of(full)
        result["redline_classify_one_log"] = median_of(floor)
        base = result["scout_scan"]
        ratios = {}
        for key, name in (("end_to_end_two_commands", "redline_end_to_end_two_commands"),
                          ("end_to_end_one_command", "redline_end_to_end_one_command"),
                          ("reclassify_nothing_changed", "redline_reclassify_nothing_changed"),
                          ("reclassify_all", "redline_reclassify_all")):
            ratios[f"scout_vs_redline_{key}"] = round(base["seconds"] / result[name]["seconds"], 2)
            for kind in ("rss", "pss"):
                ratios[f"redline_peak_{kind}_vs_scout_{key}"] = round(
                    result[name][f"peak_{kind}_mb"] / base[f"peak_{kind}_mb"], 3)
        for kind in ("rss", "pss"):
            ratios[f"redline_peak_{kind}_vs_scout_classify_one_log"] = round(
                result["redline_classify_one_log"][f"peak_{kind}_mb"] / base[f"peak_{kind}_mb"], 3)
        result["ratios"] = ratios
        result["targets"] = {"scout_vs_redline_end_to_end_*": ">= 10", "scout_vs_redline_reclassify_*": ">= 100",
                             "redline_peak_rss_vs_scout_*": "<= 0.25"}
        result["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]
        shutil.rmtree(work / "scans", ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
