"""Read every file under a folder the way ``redline ingest`` does, each in a process of its own
under a time and an address-space limit, and print one JSON line per file: its outcome, its
time and the process's peak resident memory.

    python -m tests.hostile.measure FOLDER [--seconds 60] [--address-gb 4] [--parallel 2]

Files are found with redline's own discovery, so special files, links and names that are not
UTF-8 are listed exactly as ingest lists them. Each file is read by a forked child (redline is
imported once, in the parent) that an alarm ends after ``--seconds`` (a hang) and that cannot
map more than ``--address-gb`` (so a memory bomb fails here instead of taking the machine); its
peak RSS comes from ``wait4``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import tempfile
import time

from redline.convert import clean_path
from redline.ingest.discovery import discover
from redline.ingest.loader import process_file


def _child(path: str, explicit: bool, out: str, seconds: float, address: int) -> None:
    """Runs in the forked child: read one file, write the outcome to ``out``, exit."""
    code = 0
    try:
        signal.alarm(max(1, int(seconds)))
        resource.setrlimit(resource.RLIMIT_AS, (address, address))
        result = process_file(path, None, explicit)
        with open(out, "w", encoding="utf-8") as fh:
            json.dump({"status": result.status, "error": result.error, "format": result.format,
                       "trials": result.n_trials, "events": result.n_events}, fh)
    except BaseException as exc:  # noqa: BLE001 - process_file must never raise: report that it did
        with open(out, "w", encoding="utf-8") as fh:
            json.dump({"status": "raised", "error": f"{type(exc).__name__}: {exc}"}, fh)
        code = 3
    finally:
        os._exit(code)


def measure(folder: str, seconds: float, address: int, parallel: int) -> list[dict]:
    found = discover([folder])
    todo = list(enumerate(found.files))
    running: dict[int, tuple[int, str, float]] = {}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as scratch:
        while todo or running:
            while todo and len(running) < parallel:
                index, path = todo.pop(0)
                out = os.path.join(scratch, f"{index}.json")
                pid = os.fork()
                if pid == 0:
                    _child(path, path in found.explicit, out, seconds, address)
                running[pid] = (index, path, time.monotonic())
            pid, status, usage = os.wait4(-1, 0)
            if pid not in running:
                continue
            index, path, started = running.pop(pid)
            row = {"path": clean_path(path), "seconds": round(time.monotonic() - started, 3),
                   "peak_rss": usage.ru_maxrss * 1024, "signal": None}
            if os.WIFSIGNALED(status):
                row["signal"] = signal.Signals(os.WTERMSIG(status)).name
                row["status"] = "hang" if row["signal"] == "SIGALRM" else "killed"
            else:
                out = os.path.join(scratch, f"{index}.json")
                try:
                    with open(out, encoding="utf-8") as fh:
                        row.update(json.load(fh))
                except (OSError, ValueError):
                    row["status"] = "no outcome"
            rows.append(row)
    rows.sort(key=lambda r: r["path"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--address-gb", type=float, default=4)
    parser.add_argument("--parallel", type=int, default=2)
    args = parser.parse_args()
    for row in measure(args.folder, args.seconds, int(args.address_gb * 1024**3), args.parallel):
        sys.stdout.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
