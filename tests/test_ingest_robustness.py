"""One bad file never stops an ingest, and never blocks it: special files, broken links, link
loops, names that are not UTF-8, a worker killed mid-file, a file the database refuses, an
adapter that fails in an unexpected way. Each is one recorded row with a reason in words, and
the files beside it are ingested."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from redline.cli import main
from redline.events import Event, Trial
from redline.ingest import ingest, registry
from redline.ingest.base import Adapter
from redline.ingest.loader import process_file
from redline.ingest.reasons import describe
from redline.ingest.workers import DIED

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX special files")


def _redline() -> str:
    return str(Path(sys.executable).with_name("redline"))


def _rows(con) -> dict[str, tuple]:
    return {Path(p).name: (s, e) for p, s, e in con.execute(
        "SELECT path, status, error FROM ingested_files").fetchall()}


def _plugin(monkeypatch, name: str, suffix: str, read) -> None:
    """Register a format (first in detection order) that claims files ending in ``suffix``."""
    fmt = registry.Registered(Adapter(name, "test format", 1, lambda p, h: p.name.endswith(suffix), read),
                              f"{name} = tests")
    monkeypatch.setattr(registry, "FORMATS", [fmt, *registry.FORMATS])
    monkeypatch.setitem(registry._BY_NAME, name, fmt)


# --------------------------------------------------------------------------- special files


@posix_only
def test_pipes_and_devices_are_skipped_without_being_opened(tmp_path, write_traj):
    """A FIFO, or links to /dev/zero and /dev/urandom, blocked forever or read without end."""
    good = write_traj("repo__g-1", [("ls", "a\n", 0)])
    runs = good.parent.parent
    os.mkfifo(runs / "pipe.json")
    os.symlink("/dev/zero", runs / "zero.json")
    os.symlink("/dev/urandom", runs / "random.jsonl")
    db = tmp_path / "x.duckdb"
    out = subprocess.run([_redline(), "ingest", str(runs), "--db", str(db)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert any(line.endswith("pipe.json: skipped: not a regular file: a named pipe (FIFO)") for line in lines)
    assert any(line.endswith("zero.json: skipped: not a regular file: symbolic link to /dev/zero, "
                             "a character device") for line in lines)
    assert any("random.jsonl: skipped" in line and "/dev/urandom" in line for line in lines)
    assert "1 ingested" in out.stdout and "3 skipped" in out.stdout


@posix_only
def test_process_file_on_a_pipe_returns_at_once(tmp_path):
    pipe = tmp_path / "p.jsonl"
    os.mkfifo(pipe)
    result = process_file(str(pipe), explicit=True)
    assert (result.status, result.error) == ("skipped", "not a regular file: a named pipe (FIFO)")


@posix_only
def test_a_broken_link_names_the_link_and_its_target(con, tmp_path, write_traj):
    good = write_traj("repo__g-1", [("ls", "a\n", 0)])
    link = good.parent / "gone.traj.json"
    os.symlink(tmp_path / "elsewhere" / "run.traj.json", link)
    report = ingest([good.parent], con)
    assert report.ok == 1 and report.errors == 1
    line = next(m for m in report.messages if ": error: " in m)
    assert line.startswith(str(link) + ": error: broken symbolic link")
    assert str(tmp_path / "elsewhere" / "run.traj.json") in line


@posix_only
def test_a_link_loop_is_one_error_and_the_walk_goes_on(con, write_traj):
    first = write_traj("repo__a-1", [("ls", "a\n", 0)])
    runs = first.parent.parent
    os.symlink(runs / "b.json", runs / "a.json")
    os.symlink(runs / "a.json", runs / "b.json")
    os.symlink(runs, runs / "repo__a-1" / "back-to-the-top")  # a folder link is not followed
    write_traj("repo__z-9", [("ls", "b\n", 0)])
    report = ingest([runs], con)
    assert report.ok == 2
    rows = _rows(con)
    assert rows["a.json"][0] == rows["b.json"][0] == "error"
    assert "symbolic link loop" in rows["a.json"][1]
    assert rows["back-to-the-top"] == ("skipped", f"not a regular file: symbolic link to {runs}, a folder")


@posix_only
def test_a_name_that_is_not_utf8_is_stored_escaped_and_the_batch_survives(con, tmp_path, write_traj):
    """Such a name used to fail the batch write, losing up to 500 parsed files."""
    good = write_traj("repo__g-1", [("ls", "a\n", 0)])
    runs = good.parent.parent
    odd = os.fsencode(runs) + b"/caf\xe9-\xff.traj.json"
    with open(odd, "wb") as fh:
        fh.write(good.read_bytes())
    write_traj("repo__g-2", [("ls", "b\n", 0)])
    report = ingest([runs], con)
    assert (report.ok, report.errors) == (3, 0)
    paths = [r[0] for r in con.execute("SELECT path FROM ingested_files ORDER BY path").fetchall()]
    assert str(runs / "caf\\xe9-\\xff.traj.json") in paths
    sources = {r[0] for r in con.execute("SELECT source_path FROM trials").fetchall()}
    assert sources == set(paths)  # each trial still points to its file's row
    again = ingest([runs], con)  # and the escaped name is found unchanged next time
    assert again.unchanged == 3


_UNPRIVILEGED_INGEST = """
import json, os, sys
import redline
from redline.ingest import ingest
import redline.ingest.loader, redline.ingest.registry  # every module, before giving up root
if os.geteuid() == 0:
    os.setgid(65534)
    os.setuid(65534)
con = redline.connect(":memory:")
report = ingest([sys.argv[1]], con)
con.close()
print(json.dumps({"messages": report.messages, "ok": report.ok, "errors": report.errors}))
"""


@posix_only
def test_unreadable_folders_are_named():
    """As root, permissions do not stop reading: the ingest then gives up root first (so its
    files live in a folder every user can reach)."""
    from tests.conftest import mini_swe_traj

    with tempfile.TemporaryDirectory() as top:
        runs = Path(top) / "runs"
        runs.mkdir()
        good = runs / "g.traj.json"
        good.write_text(json.dumps(mini_swe_traj("repo__g-1", [("ls", "a\n", 0)])), encoding="utf-8")
        locked = runs / "locked"
        locked.mkdir()
        (locked / "hidden.traj.json").write_text("{}", encoding="utf-8")
        for path, mode in ((Path(top), 0o755), (runs, 0o755), (good, 0o644), (locked, 0)):
            path.chmod(mode)
        try:
            out = subprocess.run([sys.executable, "-c", _UNPRIVILEGED_INGEST, str(runs)],
                                 capture_output=True, text=True, timeout=120)
        finally:
            locked.chmod(0o755)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert f"{locked}: error: cannot read folder: permission denied" in report["messages"]
    assert (report["ok"], report["errors"]) == (1, 1)


# --------------------------------------------------------------------------- failures inside a file


def _boom(path: Path):
    os.kill(os.getpid(), signal.SIGKILL)
    yield  # pragma: no cover


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_worker_killed_mid_file_is_one_error_and_the_run_goes_on(con, tmp_path, write_traj, monkeypatch):
    """A worker killed (as by the out-of-memory killer) used to end the run with BrokenProcessPool."""
    import multiprocessing

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the killing format reaches the workers by fork")
    _plugin(monkeypatch, "boom", ".boom", _boom)
    for i in range(8):
        write_traj(f"repo__w-{i}", [("ls", f"{i}\n", 0)])
    (tmp_path / "runs" / "kills-its-reader.boom").write_text("x", encoding="utf-8")
    report = ingest([tmp_path / "runs"], con, workers=2)
    assert (report.ok, report.errors) == (8, 1)
    assert _rows(con)["kills-its-reader.boom"] == ("error", DIED)


def _odd_kind(path: Path):
    trial = Trial("odd", str(path))
    trial.add(Event("action", "ls"))
    trial.add(Event("thought", "not a kind the database allows"))  # type: ignore[arg-type]
    yield trial


def test_a_file_the_database_refuses_is_stored_as_an_error_not_its_batch(con, tmp_path, write_traj, monkeypatch):
    _plugin(monkeypatch, "odd", ".odd", _odd_kind)
    for i in range(3):
        write_traj(f"repo__d-{i}", [("ls", f"{i}\n", 0)])
    (tmp_path / "runs" / "refused.odd").write_text("x", encoding="utf-8")
    report = ingest([tmp_path / "runs"], con)
    assert (report.ok, report.errors, report.trials) == (3, 1, 3)
    status, error = _rows(con)["refused.odd"]
    assert status == "error" and error.startswith("could not be stored in the database: ")
    assert con.execute("SELECT count(*) FROM trials").fetchall()[0][0] == 3


def _overflow(path: Path):
    raise OverflowError("date value out of range")
    yield  # pragma: no cover


def test_an_unexpected_exception_is_stored_as_a_sentence(con, tmp_path, monkeypatch):
    _plugin(monkeypatch, "ovf", ".ovf", _overflow)
    (tmp_path / "a.ovf").write_text("x", encoding="utf-8")
    ingest([tmp_path], con)
    status, error = _rows(con)["a.ovf"]
    assert (status, error) == ("error", "a number or date too large to store (date value out of range)")


@pytest.mark.parametrize(("exc", "sentence"), [
    (TypeError("'int' object is not subscriptable"),
     "a field holds a value of an unexpected type ('int' object is not subscriptable)"),
    (KeyError("messages"), "a required field is missing ('messages')"),
    (IndexError("list index out of range"), "a list is shorter than its format requires (list index out of range)"),
    (ValueError("bad"), "a field holds a value that cannot be read (bad)"),
    (AttributeError("'list' object has no attribute 'get'"),
     "a field holds a value of an unexpected type ('list' object has no attribute 'get')"),
    (RecursionError(), "structure nested too deeply"),
    (PermissionError(13, "Permission denied"), "cannot read file: permission denied"),
    (RuntimeError(), "unexpected failure while reading"),
])
def test_exceptions_become_sentences(exc, sentence):
    assert describe(exc) == sentence
    assert type(exc).__name__ not in sentence


# --------------------------------------------------------------------------- damaged files are named


def test_damaged_json_files_are_errors_with_a_line_each(con, write_traj):
    good = write_traj("repo__g-1", [("ls", "a\n", 0)])
    runs = good.parent
    full = good.read_text(encoding="utf-8")
    (runs / "cut.json").write_text(full[:40], encoding="utf-8")
    (runs / "cut.jsonl").write_text('{"type": "session_meta", "payl', encoding="utf-8")
    (runs / "cut.cast").write_text('{"version": 2, "wid', encoding="utf-8")
    (runs / "not-a-zip.eval").write_text("{}", encoding="utf-8")
    (runs / "package.json").write_text('{"name": "x", "version": "1.0.0"}', encoding="utf-8")
    report = ingest([runs], con)
    errors = sorted(m.split(": error: ")[0].rsplit("/", 1)[1] for m in report.messages if ": error: " in m)
    assert errors == ["cut.cast", "cut.json", "cut.jsonl", "not-a-zip.eval"]
    assert all("damaged" in _rows(con)[name][1] for name in errors)
    assert _rows(con)["package.json"][0] == "skipped"  # valid JSON of another kind: not a transcript
    assert report.ok == 1


# --------------------------------------------------------------------------- exit codes and --db


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _run(*args: str) -> Ran:
    """The command line run in-process; an exception other than an exit is a failure here (it
    would be a traceback for the user)."""
    res = CliRunner().invoke(main, list(args))
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return Ran(res.exit_code, res.stdout, res.stderr)


def test_ingest_of_nothing_that_exists_fails(tmp_path, write_traj):
    db = str(tmp_path / "x.duckdb")
    out = _run("ingest", str(tmp_path / "no" / "such" / "path"), "--db", db)
    assert out.returncode == 2
    assert "no such file or directory" in out.stderr and "nothing to ingest" in out.stderr
    assert _run("ingest", str(tmp_path / "none*.json"), "--db", db, "--strict").returncode == 2
    good = write_traj("repo__g-1", [("ls", "a\n", 0)])
    partly = _run("ingest", str(good), str(tmp_path / "missing.json"), "--db", db)
    assert partly.returncode == 1 and "1 ingested" in partly.stdout
    assert _run("ingest", str(good), "--db", db).returncode == 0


def test_audit_of_nothing_that_exists_fails_before_writing_a_report(tmp_path):
    report = tmp_path / "report.html"
    out = _run("audit", str(tmp_path / "no" / "such"), "--db", str(tmp_path / "x.duckdb"), "-o", str(report))
    assert out.returncode == 2 and "nothing to audit" in out.stderr
    assert not report.exists()


def test_strict_fails_when_a_file_could_not_be_read(tmp_path, write_traj):
    good = write_traj("repo__g-1", [("ls", "a\n", 0)])
    (good.parent / "broken.traj.json").write_text("{", encoding="utf-8")
    db = str(tmp_path / "x.duckdb")
    assert _run("ingest", str(good.parent), "--db", db).returncode == 0
    assert _run("ingest", str(good.parent), "--db", db, "--strict", "--force").returncode == 1


@pytest.mark.parametrize("content", ['{"trials": []}\n', "a,b\n1,2\n", ""])
def test_a_db_that_is_not_a_duckdb_database_is_refused(tmp_path, write_traj, content):
    """DuckDB opened a JSON or CSV file as an in-memory view: ingest reported success, stored nothing."""
    good = write_traj("repo__g-1", [("ls", "a\n", 0)])
    fake = tmp_path / "results.json"
    fake.write_text(content, encoding="utf-8")
    for args in (["ingest", str(good)], ["classify"], ["trials"], ["sql", "SELECT 1"], ["report", "-o", str(tmp_path / "r.html")]):
        out = _run(*args, "--db", str(fake))
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert "not a DuckDB database" in out.stderr and "Traceback" not in out.stderr
    assert fake.read_text(encoding="utf-8") == content


def test_commands_that_need_data_do_not_create_a_database(tmp_path):
    missing = tmp_path / "missing.duckdb"
    for args in (["classify"], ["trials"], ["show", "abc"], ["report", "-o", str(tmp_path / "r.html")]):
        out = _run(*args, "--db", str(missing))
        assert out.returncode == 2 and "no such database" in out.stderr, args
    assert not missing.exists()


def test_eval_matching_no_gold_row_fails(tmp_path, write_traj):
    good = write_traj("repo__g-1", [("ls", "a\n", 0)])
    db = str(tmp_path / "x.duckdb")
    _run("ingest", str(good), "--db", db)
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"item_id": "i1", "source": "mini-swe-agent", "file": "elsewhere.traj.json",
                                "ordinal": 1, "command": "rm -rf /", "action": ["PROC-KILL"],
                                "observation": [], "message": []}) + "\n", encoding="utf-8")
    out = _run("eval", str(gold), "--db", db, "--root", str(tmp_path))
    assert out.returncode == 2
    assert "none of the 1 gold rows matches a step in the database" in out.stderr
    assert not out.stdout.strip()
