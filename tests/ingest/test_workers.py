"""Worker processes: results in the tasks' order, reading ahead, a worker that dies, packed rows."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pyarrow as pa
import pytest

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


def _result(name: str, events: int | None) -> FileResult:
    if events is None:
        return FileResult(name, None, None, None, "error", "unreadable")
    schema = pa.schema([("trial_id", pa.string()), ("seq", pa.int32())])
    table = pa.table({"trial_id": [name] * events, "seq": list(range(events))}, schema=schema)
    return FileResult(name, "sha", 10, "fmt", "ok", None, pa.table({"trial_id": [name]}), table, table.slice(0, 0))


def test_packed_results_unpack_to_each_files_own_rows():
    results = [_result("a", 3), _result("b", None), _result("c", 0), _result("d", 2)]
    packed = pack(results)
    assert packed.tables["events"].num_rows == 5 and packed.tables["events"].column(0).num_chunks == 1
    back = packed.unpack()
    assert [r.path for r in back] == ["a", "b", "c", "d"]
    for before, after in zip(results, back):
        for name in ("trials", "events", "commands"):
            old, new = getattr(before, name), getattr(after, name)
            assert (old is None and new is None) or old.equals(new)
        assert (after.n_events, after.nbytes) == (before.n_events, before.nbytes)
    assert back[1].trials is None and back[1].error == "unreadable"
