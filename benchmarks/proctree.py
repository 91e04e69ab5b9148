"""Wall time and peak resident memory of a command's whole process tree, for the benchmarks
that run redline as users do (a command in a process of its own, which may fork workers).

The peak is the largest sum, sampled every 20 ms, of the resident memory of the process and all
its descendants (Linux ``/proc``). Pages a forked worker shares with its parent count once per
process, so for a command with workers the figure is an upper bound.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time


def tree_rss_kb(root: int) -> int:
    """Resident memory (KiB) of ``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def measure(cmd: list[str], env: dict | None = None, stderr: bool = False) -> dict:
    """Run ``cmd``; its wall time and the peak RSS of its process tree. The time ends when the
    process does: a thread samples the memory every 20 ms (a loop that polled between samples
    added up to 20 ms to every time, a tenth of a no-op classify). ``stderr``: also return the
    end of what the command wrote there."""
    peak = 0
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def sample() -> None:
        nonlocal peak
        while proc.returncode is None:
            peak = max(peak, tree_rss_kb(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])}... failed ({proc.returncode}):\n{err[-3000:]}")
    result = {"seconds": round(seconds, 3), "peak_rss_mb": round(peak / 1024, 1), "stdout": out.strip()[-300:]}
    return {**result, "stderr": err[-3000:]} if stderr else result


