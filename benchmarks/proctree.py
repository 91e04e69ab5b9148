"""Wall time and peak resident memory of a command's whole process tree, for the benchmarks
that run redline as users do (a command in a process of its own, which may fork workers).

The peak is the largest sum, sampled every 20 ms, of the resident memory of the process and all
its descendants (Linux ``/proc``). Pages a forked worker shares with its parent count once per
process, so for a command with workers the figure is an upper bound. Beside it, the peak of the
summed proportional set size (``Pss`` of ``/proc/PID/smaps_rollup``: each shared page divided
among the processes that map it), which counts the libraries' code several workers load once:
for a tree of processes the fairer figure, for one process about its RSS.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                children.setdefault(int(fh.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def memory_kb(pid: int) -> tuple[int, int]:
    """Resident memory and proportional set size (KiB) of one process, (0, 0) once it has gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, pss


def tree_memory_kb(root: int) -> tuple[int, int]:
    """Summed resident memory and proportional set size (KiB) of ``root`` and its descendants."""
    sizes = [memory_kb(pid) for pid in tree_pids(root)]
    return sum(r for r, _ in sizes), sum(p for _, p in sizes)


def measure(cmd: list[str], env: dict | None = None, stderr: bool = False) -> dict:
    """Run ``cmd``; its wall time and the peak RSS and PSS of its process tree. The time ends when the
    process does: a thread samples the memory every 20 ms (a loop that polled between samples
    added up to 20 ms to every time, a tenth of a no-op classify). ``stderr``: also return the
    end of what the command wrote there."""
    peak = peak_pss = 0
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def sample() -> None:
        nonlocal peak, peak_pss
        while proc.returncode is None:
            rss, pss = tree_memory_kb(proc.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])}... failed ({proc.returncode}):\n{err[-3000:]}")
    result = {"seconds": round(seconds, 3), "peak_rss_mb": round(peak / 1024, 1),
              "peak_pss_mb": round(peak_pss / 1024, 1), "stdout": out.strip()[-300:]}
    return {**result, "stderr": err[-3000:]} if stderr else result


