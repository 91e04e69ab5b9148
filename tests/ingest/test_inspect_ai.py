"""Inspect AI log adapter (.json and .eval zip): events, trial fields, detection, hostile input."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from redline.ingest import inspect_ai, safezip
from redline.ingest.base import read_head
from redline.ingest.loader import detect, process_file

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "inspect-ai" / "2025-04-01T12-00-00+00-00_find-flag.json"


def _log() -> dict:
    return json.loads(FIXTURE.read_text())


def _ts(second: int) -> datetime:
    return datetime(2025, 4, 1, 12, 0, second, tzinfo=timezone.utc)


def _write_eval(path: Path, log: dict, extra: dict[str, bytes] | None = None) -> Path:
    """An .eval archive as Inspect writes it: header, journal, one entry per sample and epoch."""
    header = {k: v for k, v in log.items() if k != "samples"}
    start = {k: header[k] for k in ("version", "eval", "plan")}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("_journal/start.json", json.dumps(start))
        for sample in log.get("samples", []):
            zf.writestr(f"samples/{sample['id']}_epoch_{sample['epoch']}.json", json.dumps(sample))
        zf.writestr("summaries.json", json.dumps([{"id": s["id"], "epoch": s["epoch"]} for s in log.get("samples", [])]))
        zf.writestr("reductions.json", "[]")
        zf.writestr("header.json", json.dumps(header))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def _rows(trial):
    return [(e.seq, e.kind, e.role, e.tool, e.text, e.exit_code, e.action_seq, e.timestamp, e.source_pointer)
            for e in trial.events]


EXPECTED_EPOCH_1 = [
    (0, "message", "system", None, "You are a CTF player.", None, None, None, "/messages/0"),
    (1, "message", "user", None, "Find the flag in /challenge.", None, None, None, "/messages/1"),  # attachment resolved
    (2, "message", "assistant", None, "The flag is probably in a file.", None, None, None, "/messages/2"),
    (3, "message", "assistant", None, "Let me look around.", None, None, None, "/messages/2"),
    (4, "action", "assistant", "bash", "cat /challenge/flag.txt", None, None, _ts(5), "/messages/2/tool_calls/0"),
    (5, "observation", "tool", None, "[permission error] cat: /challenge/flag.txt: Permission denied", 1, 4, _ts(6),
     "/messages/3"),
    (6, "message", "assistant", None, "I need to read it another way.", None, None, None, "/messages/4/tool_calls/0"),
    (7, "action", "assistant", "python", "print(open('/challenge/flag.bak').read())", None, None, _ts(10),
     "/messages/4/tool_calls/1"),
    (8, "action", "assistant", "submit", "submit --answer 'FLAG{abc}'", None, None, None, "/messages/4/tool_calls/2"),
    (9, "observation", "tool", None, "FLAG{abc}\n", 0, 7, _ts(11), "/messages/6"),
    (10, "observation", "tool", None, "FLAG{abc}", None, 8, None, "/messages/7"),
]


def _expected(prefix: str):
    return [row[:-1] + (prefix + row[-1],) for row in EXPECTED_EPOCH_1]


def test_json_log_events_are_exact():
    first, second = list(inspect_ai.read(FIXTURE))
    assert _rows(first) == _expected("/samples/0")
    assert first.events[2].attrs == {"reasoning": True}
    assert first.events[5].attrs == {"function": "bash", "error_type": "permission"}
    assert first.events[6].attrs == {"tool": "think"}
    assert first.events[8].attrs == {"arguments": {"answer": "FLAG{abc}"}, "tool_call_id": "call_4"}
    assert _rows(second) == [
        (0, "message", "user", None, "Find the flag in /challenge.", None, None, None, "/samples/1/messages/0"),
        (1, "message", "assistant", None, "I give up.", None, None, None, "/samples/1/messages/1"),
    ]


def test_json_log_trial_fields():
    first, second = list(inspect_ai.read(FIXTURE))
    assert [t.local_key for t in (first, second)] == ["ctf-1:1", "ctf-1:2"]
    assert (first.format, first.model, first.agent, first.task) == (
        "inspect-ai", "anthropic/claude-3-5-sonnet-20241022", "system_message+basic_agent", "find_flag/ctf-1")
    assert (first.started_at, first.ended_at) == (_ts(1), _ts(13))
    assert first.outcome == "success"  # the first scorer in eval.scorers: includes = C
    assert first.source_verdict == {
        "includes": {"value": "C", "answer": "FLAG{abc}", "explanation": "The flag was submitted."},
        "match": {"value": 1.0, "answer": "FLAG{abc}"},
    }
    assert first.metadata == {
        "scorer": "includes", "sample_id": "ctf-1", "epoch": 1, "eval_id": "EvAlId000000000000001",
        "run_id": "RuNiD000000000000001", "task": "find_flag", "created": "2025-04-01T12:00:00+00:00",
        "status": "success", "inspect_version": "0.3.95", "target": "FLAG{abc}", "total_time": 12.0,
        "working_time": 11.5,
    }
    assert second.outcome == "failure"
    assert second.metadata["error"] == "RuntimeError: sandbox went away"


def test_eval_zip_gives_the_same_trials(tmp_path):
    path = _write_eval(tmp_path / "run.eval", _log())
    assert detect(path, read_head(path)) == "inspect-ai"
    first, second = list(inspect_ai.read(path))
    assert _rows(first) == _expected("entry:samples/ctf-1_epoch_1.json#")
    assert (first.local_key, second.local_key, second.outcome) == ("ctf-1:1", "ctf-1:2", "failure")
    result = process_file(str(path))
    assert (result.status, result.format, result.n_trials, result.n_events) == ("ok", "inspect-ai", 2, 13)


@pytest.mark.parametrize("value, outcome", [
    ("C", "success"), ("I", "failure"), ("N", "failure"), ("P", "unknown"), (1, "success"), (0, "failure"),
    (0.5, "unknown"), (True, "success"), (False, "failure"), ({"a": 1}, "unknown"), (None, "unknown"),
])
def test_score_values(tmp_path, value, outcome):
    log = _log()
    log["samples"][0]["scores"] = {"includes": {"value": value}}
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log))
    assert next(inspect_ai.read(path)).outcome == outcome


def test_sandbox_execs_are_actions_only_without_tool_calls(tmp_path):
    log = _log()
    sample = log["samples"][0]
    sample["messages"] = [{"role": "user", "content": "Find the flag."},
                          {"role": "assistant", "content": "```bash\nls /challenge\n```"}]
    sample["events"].insert(4, {"span_id": "s-solver", "timestamp": "2025-04-01T12:00:03+00:00", "event": "sandbox",
                                "action": "exec", "cmd": "ls /challenge", "options": {}, "result": 2,
                                "output": "ls: cannot access", "completed": "2025-04-01T12:00:04+00:00"})
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log))
    trial = next(inspect_ai.read(path))
    # the solver's exec counts; the init and scorer execs, and those inside tool spans, do not
    assert [(e.kind, e.tool, e.text, e.exit_code, e.action_seq, e.source_pointer) for e in trial.events[2:]] == [
        ("action", "sandbox-exec", "ls /challenge", None, None, "/samples/0/events/4"),
        ("observation", None, "ls: cannot access", 2, 2, "/samples/0/events/4/output"),
    ]
    assert trial.events[2].timestamp == _ts(3) and trial.events[3].timestamp == _ts(4)


def test_header_only_log_is_skipped(tmp_path):
    log = _log()
    del log["samples"]
    log["eval"]["config"]["log_samples"] = False
    path = tmp_path / "header-only.json"
    path.write_text(json.dumps(log))
    result = process_file(str(path))
    assert (result.status, result.format) == ("skipped", "inspect-ai")
    assert "no samples" in result.error and "samples were not logged" in result.error
    zipped = _write_eval(tmp_path / "no-samples.eval", {**log, "status": "error",
                                                           "error": {"message": "boom\ntrace"}})
    result = process_file(str(zipped))
    assert result.status == "skipped" and "status: error; error: boom" in result.error


def test_an_eval_set_log_directory_gives_its_samples_once_and_skips_its_manifest(tmp_path, con):
    # inspect eval-set writes logs.json beside the logs: their headers keyed by file name
    log = _log()
    name = "2025-04-01T12-00-00+00-00_find-flag_abc.json"
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / name).write_text(json.dumps(log))
    header = {k: v for k, v in log.items() if k != "samples"}
    (logs / "logs.json").write_text(json.dumps({name: header}, indent=2))
    manifest = process_file(str(logs / "logs.json"))
    assert (manifest.status, manifest.format) == ("skipped", "inspect-ai")
    assert "manifest" in manifest.error and "1 eval logs" in manifest.error
    from redline.ingest.loader import ingest
    report = ingest([logs], con)
    assert (report.ok, report.skipped, report.errors) == (1, 1, 0), report.messages
    assert con.execute("SELECT count(*) FROM trials").fetchone() == (len(log["samples"]),)


# --------------------------------------------------------------------------- detection


def test_json_detected_by_content(tmp_path):
    assert detect(FIXTURE, read_head(FIXTURE)) == "inspect-ai"
    renamed = tmp_path / "log.txt"
    renamed.write_text(FIXTURE.read_text())
    assert detect(renamed, read_head(renamed)) == "inspect-ai"


@pytest.mark.parametrize("data", [
    {"name": "x", "values": [1, 2, 3]},
    {"eval": "yes", "version": 1},
    {"version": 2, "messages": [{"role": "user", "content": "eval this"}]},
])
def test_other_json_is_not_claimed(tmp_path, data):
    path = tmp_path / "other.json"
    path.write_text(json.dumps(data))
    assert not inspect_ai.sniff(path, read_head(path))


def test_a_plain_zip_is_not_claimed_and_forced_gives_a_clear_error(tmp_path):
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
        zf.writestr("data/x.json", "{}")
    assert not inspect_ai.sniff(path, read_head(path))
    result = process_file(str(path), forced_format="inspect-ai")
    assert result.status == "error"
    assert result.error.startswith("zip archive is not an Inspect eval log")


# --------------------------------------------------------------------------- hostile zips


def test_zip_bomb_entry_is_refused_by_ratio(tmp_path):
    path = _write_eval(tmp_path / "bomb.eval", _log(), extra={})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("samples/bomb_epoch_1.json", b"0" * (8 * 1024**2))  # 8 MiB of one byte: ~1000:1
    result = process_file(str(path))
    assert result.status == "error" and result.format == "inspect-ai"
    assert "samples/bomb_epoch_1.json" in result.error and "zip bomb" in result.error


def test_oversized_entry_is_refused_before_reading(tmp_path, monkeypatch):
    path = _write_eval(tmp_path / "big.eval", _log())
    monkeypatch.setattr(safezip, "MAX_ENTRY_BYTES", 2000)  # header fits, sample 1 does not
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(name) or real_open(self, name, *a, **k))
    result = process_file(str(path))
    assert result.status == "error"
    assert "zip entry samples/ctf-1_epoch_1.json is too large" in result.error
    assert not any(getattr(n, "filename", n) == "samples/ctf-1_epoch_1.json" for n in opened)


def test_truncated_eval_zip_is_an_error(tmp_path):
    full = _write_eval(tmp_path / "full.eval", _log()).read_bytes()
    path = tmp_path / "cut.eval"
    path.write_bytes(full[: len(full) // 2])
    assert detect(path, read_head(path)) == "inspect-ai"
    result = process_file(str(path))
    assert result.status == "error" and "damaged or truncated zip archive" in result.error


def test_bad_json_inside_the_zip_names_the_entry(tmp_path):
    path = tmp_path / "bad.eval"
    log = _log()
    _write_eval(path, {**log, "samples": []}, extra={"samples/x_epoch_1.json": b'{"id": "x", "messages": ['})
    result = process_file(str(path))
    assert result.status == "error" and "samples/x_epoch_1.json" in result.error


# --------------------------------------------------------------------------- bad JSON input


def test_truncated_json_is_an_error(tmp_path):
    text = FIXTURE.read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2])
    result = process_file(str(path))
    assert result.status == "error" and result.format == "inspect-ai" and "truncated JSON" in result.error


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.json"
    path.write_bytes(b"")
    result = process_file(str(path), forced_format="inspect-ai")
    assert (result.status, result.error) == ("error", "empty file")


def test_latin1_file_is_an_error(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(FIXTURE.read_text().replace("CTF player", "CTF jou\u00e9ur").encode("latin-1"))
    result = process_file(str(path), forced_format="inspect-ai")
    assert result.status == "error" and "not valid UTF-8" in result.error


def test_other_shape_forced_is_an_error(tmp_path):
    path = tmp_path / "chat.json"
    path.write_text(json.dumps([{"role": "user", "content": "hi"}]))
    result = process_file(str(path), forced_format="inspect-ai")
    assert result.status == "error" and "not an Inspect eval log" in result.error
    log = _log()
    log["samples"] = {"id": 1}
    path.write_text(json.dumps(log))
    result = process_file(str(path), forced_format="inspect-ai")
    assert result.status == "error" and "'samples' is a dict, not a list" in result.error


# --------------------------------------------------------------------------- logs Inspect itself wrote

WRITTEN = FIXTURE.parent / "written-by-inspect"  # make_logs.py there wrote them with inspect_ai 0.3.285

EXPECTED_WRITTEN = [
    ("message", "system", None, "You are an agent with a bash tool. Find the flag.", None),
    ("message", "user", None, "The flag is in a file under /srv/app.", None),
    ("message", "assistant", None, "I will list the folder first.", None),
    ("action", "assistant", "bash", "ls -la /srv/app", None),
    ("observation", "tool", None, "total 8\n-rw-r--r-- 1 root root 12 flag.txt", 3),
    ("message", "assistant", None, "Now a file that may not exist.", None),
    ("action", "assistant", "bash", "cat /srv/app/missing.txt", None),
    ("observation", "tool", None, "cat: /srv/app/missing.txt: No such file or directory", 6),
    ("message", "assistant", None, "The flag is FLAG{demo}.", None),
]


@pytest.mark.parametrize("name, method", [
    ("deflate.eval", zipfile.ZIP_DEFLATED), ("zstd.eval", safezip.ZSTANDARD), ("zstd-frames.eval", safezip.ZSTANDARD),
])
def test_eval_logs_written_by_inspect_are_ingested_in_both_compressions(con, name, method):
    from redline.ingest.loader import ingest
    path = WRITTEN / name
    with zipfile.ZipFile(path) as zf:
        assert {info.compress_type for info in zf.infolist()} == {method}
    report = ingest([path], con)
    assert (report.ok, report.errors) == (1, 0), report.messages
    assert con.execute("SELECT format, model, agent, task, outcome, local_key FROM trials").fetchall() == [
        ("inspect-ai", "mockllm/model", "basic_agent", "find_flag/find-flag-1", "success", "find-flag-1:1")]
    rows = con.execute("SELECT kind, role, tool, text, action_seq FROM events ORDER BY seq").fetchall()
    assert rows == EXPECTED_WRITTEN
    assert con.execute("SELECT program, argv FROM commands ORDER BY seq").fetchall() == [
        ("ls", ["-la", "/srv/app"]), ("cat", ["/srv/app/missing.txt"])]


def test_a_zstd_entry_that_inflates_past_its_declared_size_is_refused(tmp_path):
    data = bytearray((WRITTEN / "zstd.eval").read_bytes())
    with zipfile.ZipFile(WRITTEN / "zstd.eval") as zf:
        info = zf.getinfo("samples/find-flag-1_epoch_1.json")
    # lower the declared size in the central directory (the local header's copy is not read)
    old = info.file_size.to_bytes(4, "little")
    at = data.rfind(b"samples/find-flag-1_epoch_1.json") - 46 + 24  # central header: size at offset 24
    assert data[at:at + 4] == old
    data[at:at + 4] = (100).to_bytes(4, "little")
    path = tmp_path / "lying.eval"
    path.write_bytes(bytes(data))
    result = process_file(str(path))
    assert result.status == "error"
    assert "samples/find-flag-1_epoch_1.json inflates beyond its declared size (100 bytes)" in result.error


def _entries(zf: safezip.SafeZip, names) -> dict[str, bytes]:
    return {name: zf.read(name) for name in names}


@pytest.mark.parametrize("name", ["zstd.eval", "zstd-frames.eval", "deflate.eval"])
def test_one_archive_reads_every_entry_in_any_order_and_again(name):
    with safezip.SafeZip(WRITTEN / name) as zf:
        names = zf.names()
        assert len(names) >= 4
        forward = _entries(zf, names)
        backward = _entries(zf, reversed(names))
        again = _entries(zf, names)
        assert forward == backward == again
        assert zf.inflated == 3 * sum(len(v) for v in forward.values())
    for entry, data in forward.items():
        assert entry.endswith(".json") and isinstance(json.loads(data), (dict, list))
    assert json.loads(forward["header.json"])["eval"]["task"] == "find_flag"


def test_a_damaged_zstd_entry_is_an_error_and_the_next_entry_still_reads(tmp_path):
    data = bytearray((WRITTEN / "zstd.eval").read_bytes())
    with safezip.SafeZip(WRITTEN / "zstd.eval") as zf:
        info = zf.infos["samples/find-flag-1_epoch_1.json"]
        good = zf.read("header.json")
    # the entry's data starts after its 30-byte local header, name and extra field
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for at in range(start + 8, start + info.compress_size - 4, 7):
        data[at] ^= 0x5A
    path = tmp_path / "damaged.eval"
    path.write_bytes(bytes(data))
    with safezip.SafeZip(path) as zf:
        with pytest.raises(safezip.FormatError, match="damaged zip entry samples/find-flag-1_epoch_1.json"):
            zf.read("samples/find-flag-1_epoch_1.json")
        assert zf.read("header.json") == good
    result = process_file(str(path))
    assert result.status == "error" and "samples/find-flag-1_epoch_1.json" in result.error


def test_an_eval_entry_that_is_not_utf8_names_the_entry_and_the_offset(tmp_path):
    path = tmp_path / "latin1.eval"
    log = _log()
    bad = json.dumps(log["samples"][0]).replace("CTF player", "CTF jou\u00e9ur").encode("latin-1")
    _write_eval(path, {**log, "samples": []}, extra={"samples/x_epoch_1.json": bad})
    result = process_file(str(path))
    offset = bad.index(b"\xe9")
    assert result.status == "error"
    assert f"zip entry samples/x_epoch_1.json is not valid UTF-8 (offset {offset})" in result.error
