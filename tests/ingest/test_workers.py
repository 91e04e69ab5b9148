"""Worker processes: results in the tasks' order, reading ahead, a worker that dies, packed rows."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import time

import pytest

from redline.convert import TableBuilder
from redline.events import Event, Trial
from redline.ingest.results import FileResult, pack
from redline.ingest.workers import run_parallel

fork_only = pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                               reason="the test's work functions reach the workers by fork")


def _squares(chunk: list[int]) -> list[tuple[int, int]]:
    # later chunks finish first: a result that came back is not one that may be used yet
    time.sleep(0.02 * (5 - chunk[0] % 5))
    return [(i, i * i) for i in chunk]


def _dies_on_13(chunk: list[int]) -> list[tuple[int, int]]:
    if 13 in chunk:
        os.kill(os.getpid(), signal.SIGKILL)
    return [(i, os.getpid()) for i in chunk]


def _died(item: int) -> list[tuple[int, str]]:
    return [(item, "died")]


@fork_only
def test_results_come_in_the_order_of_the_tasks_whatever_order_they_finish_in():
    chunks = [[i] for i in range(20)]
    results = list(run_parallel(chunks, _squares, _died, workers=3, ahead=2))
    assert [r for chunk in results for r in chunk] == [(i, i * i) for i in range(20)]


@fork_only
def test_a_worker_killed_by_one_item_costs_that_item_only_and_the_order_holds():
    chunks = [list(range(i, i + 4)) for i in range(0, 40, 4)]  # 13 is in the fourth chunk
    results = [r for chunk in run_parallel(chunks, _dies_on_13, _died, workers=2) for r in chunk]
    assert [item for item, _ in results] == list(range(40))
    assert [item for item, pid in results if pid == "died"] == [13]
    assert all(isinstance(pid, int) and pid != os.getpid() for item, pid in results if item != 13)


def _result(name: str, actions: int | None) -> FileResult:
    """A file's result as ingest makes it: one trial of ``actions`` shell commands (None: an error)."""
    if actions is None:
        return FileResult(name, None, None, None, "error", "unreadable")
    trial = Trial("fmt", name)
    for i in range(actions):
        trial.add(Event("action", f"grep -n 'x{i}' {name}.log | head -{i + 1}", role="assistant"))
    builder = TableBuilder()
    builder.add(trial)
    return FileResult(name, "sha", 10, "fmt", "ok", None, *builder.tables())


def test_packed_results_unpack_to_each_files_own_rows():
    results = [_result("a", 3), _result("b", None), _result("c", 0), _result("d", 2)]
    expected = [{name: None if getattr(r, name) is None else getattr(r, name).to_pylist()
                 for name in ("trials", "events", "commands")} for r in results]
    sizes = [(r.n_events, r.nbytes) for r in results]
    packed = pickle.loads(pickle.dumps(pack(results)))  # as it travels from a worker
    assert all(isinstance(data, bytes) for data in packed.tables.values())
    back = packed.unpack()
    assert [r.path for r in back] == ["a", "b", "c", "d"]
    for want, after in zip(expected, back):
        for name in ("trials", "events", "commands"):
            table = getattr(after, name)
            assert (None if table is None else table.to_pylist()) == want[name]
    assert [(r.n_events, r.nbytes) for r in back] == sizes
    assert [len(e["commands"] or []) for e in expected] == [6, 0, 0, 4]  # each line holds two commands
    assert back[1].trials is None and back[1].error == "unreadable"


def test_packed_rows_are_stored_as_the_files_rows_are_read_here(tmp_path):
    """Rows that travelled from a worker are stored exactly as the same files read here."""
    import redline
    from redline.ingest.writer import write_batch

    stored = []
    for name, results in (("here", [_result("a", 3), _result("c", 0), _result("d", 2)]),
                          ("packed", pack([_result("a", 3), _result("c", 0), _result("d", 2)]).unpack())):
        con = redline.connect(tmp_path / f"{name}.duckdb")
        write_batch(con, results)
        stored.append({table: con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
                       for table in ("trials", "events", "commands")})
        con.close()
    assert stored[0] == stored[1]
    assert [len(stored[0][t]) for t in ("trials", "events", "commands")] == [3, 5, 10]


def test_packing_rows_for_the_trip_does_not_load_pyarrow():
    script = ("import sys, pickle\n"
              "sys.path[:0] = [{here!r}]\n"
              "from test_workers import _result\n"
              "from redline.ingest.results import pack\n"
              "back = pickle.loads(pickle.dumps(pack([_result('a', 2), _result('b', 1)]))).unpack()\n"
              "assert [r.n_events for r in back] == [2, 1]\n"
              "print('pyarrow' in sys.modules)\n").format(here=os.path.dirname(__file__))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
