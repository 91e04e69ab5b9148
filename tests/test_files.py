"""redline.files.write_whole: a file is replaced whole or not at all, by any number of writers at
once, without touching another file beside it; the report, saved models and the rule-version
caches all write through it."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest

import redline
from redline.files import write_whole
from redline.ingest import ingest
from redline.reports.render import write_report

SIZE = 1024 * 1024


def test_it_writes_text_and_bytes_and_leaves_nothing_else(tmp_path):
    assert write_whole(tmp_path / "a.txt", "naïve\n") == tmp_path / "a.txt"
    assert (tmp_path / "a.txt").read_bytes() == "naïve\n".encode("utf-8")
    write_whole(tmp_path / "a.txt", b"\x00\x01")
    assert (tmp_path / "a.txt").read_bytes() == b"\x00\x01"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_failed_write_leaves_the_target_and_no_temporary_file(tmp_path):
    (tmp_path / "report.html").mkdir()  # cannot be replaced by a file
    (tmp_path / "report.html" / "keep").write_text("x")
    with pytest.raises(OSError):
        write_whole(tmp_path / "report.html", "<html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    assert (tmp_path / "report.html" / "keep").read_text() == "x"
    with pytest.raises(FileNotFoundError):
        write_whole(tmp_path / "missing" / "r.html", "<html>")


def _writer(path: str, byte: bytes, rounds: int, errors) -> None:
    try:
        for _ in range(rounds):
            write_whole(Path(path), byte * SIZE)
    except Exception as exc:  # noqa: BLE001 - reported to the test
        errors.put(f"{type(exc).__name__}: {exc}")


def _whole(data: bytes) -> bool:
    return len(data) == SIZE and data.count(data[:1]) == SIZE


def test_two_processes_writing_one_file_never_mix_their_bytes(tmp_path):
    target = tmp_path / "report.html"
    write_whole(target, b"a" * SIZE)
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(str(target), b, 40, errors)) for b in (b"a", b"b")]
    for w in workers:
        w.start()
    reads = 0
    while any(w.is_alive() for w in workers):
        assert _whole(target.read_bytes())  # a reader sees one writer's file, whole
        reads += 1
    for w in workers:
        w.join()
    assert errors.empty(), errors.get()
    assert all(w.exitcode == 0 for w in workers) and reads > 0
    assert _whole(target.read_bytes())
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_threads_of_one_process_do_not_share_a_temporary_file(tmp_path):
    target = tmp_path / "cache.json"
    failures: list[BaseException] = []

    def run(byte: bytes) -> None:
        try:
            for _ in range(30):
                write_whole(target, byte * SIZE)
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(b,)) for b in (b"x", b"y", b"z")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures and _whole(target.read_bytes())


def test_the_report_leaves_a_file_named_like_a_temporary_one_alone(tmp_path, write_traj):
    db = tmp_path / "a.duckdb"
    con = redline.connect(db)
    try:
        ingest([str(write_traj("r__a-1", [("ls", "a\n", 0)]))], con)
        keep = tmp_path / "report.html.tmp"
        keep.write_text("the auditor's notes\n", encoding="utf-8")
        out = write_report(con, tmp_path / "report.html")
    finally:
        con.close()
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert keep.read_text(encoding="utf-8") == "the auditor's notes\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report.html")]


def test_a_durable_write_reaches_the_disk_before_the_rename(tmp_path, monkeypatch):
    import os

    target = tmp_path / "m.json"
    seen: list[str] = []  # what the target held when each fsync ran
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: seen.append(target.read_text()) or real(fd))
    write_whole(target, "{}")
    assert seen == []  # a report or a cache does without the wait
    write_whole(target, '{"generation": 2}', durable=True)
    assert seen == ["{}"]  # synced while the old file was still in place: before the rename
    assert target.read_text() == '{"generation": 2}'


def test_a_datasets_manifest_is_written_whole_and_stale_temporary_files_are_removed(tmp_path):
    from redline.dataset.store import Dataset

    ds = Dataset.create(tmp_path / "ds")
    root = tmp_path / "ds"
    stale = [root / ".manifest.json.4242.00aa11bb22cc.tmp", root / "manifest.json.0f0f0f.tmp"]
    for path in stale:
        path.write_text("{half", encoding="utf-8")
    with ds.writing() as write:
        assert write == 1
    assert not any(p.exists() for p in stale)
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]
    assert Dataset.open(root).manifest.next_write == 2
