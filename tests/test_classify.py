"""Classification from the stored rows: idempotent, replaceable, batched."""

from __future__ import annotations

import dataclasses
import json

import polars as pl
import pytest

from redline import classify
from redline.classifiers.registry import get_rule
from redline.ingest import ingest
from redline.db import memory_bytes
from redline.limits import CLASSIFY_DUCKDB_MEMORY


def _labels(con):
    return con.execute("SELECT trial_id, seq, label_id, classifier_version FROM labels ORDER BY ALL").fetchall()


def test_rerunning_classify_replaces_instead_of_duplicating(con, write_traj):
    ingest([write_traj("r__a-1", [("kill -9 1", "", 0), ("python app.py", "OSError: [Errno 98] Address already in use", 1)])], con)
    classify(con)
    first = _labels(con)
    assert {("PROC-KILL", 3), ("OBS-PORT", 7)} <= {(l, s) for _, s, l, _ in first}
    classify(con)
    assert _labels(con) == first


def test_classify_needs_no_reingest_and_a_new_version_replaces_the_older_labels(con, write_traj):
    ingest([write_traj("r__a-1", [("pkill -f server", "", 0), ("sudo reboot", "", 0)])], con)
    rule = get_rule("PROC-KILL")
    classify(con)
    others = {(t, s, l, v) for t, s, l, v in _labels(con) if l != "PROC-KILL"}
    newer = dataclasses.replace(rule, misses=rule.misses + ("kill -l",))  # new logic, new version
    assert newer.classifier_version != rule.classifier_version
    report = classify(con, [newer])
    assert report.changed == [("PROC-KILL", rule.classifier_version, newer.classifier_version)]
    assert sorted(v for _, _, l, v in _labels(con) if l == "PROC-KILL") == [newer.classifier_version]
    # a run of one classifier leaves the other classifiers' labels alone
    assert {(t, s, l, v) for t, s, l, v in _labels(con) if l != "PROC-KILL"} == others
    again = classify(con, [newer])
    assert again.changed == [] and again.current  # the rule and the 3 models:
    assert again.summary() == "labels are current (1 trials, 4 classifiers)"
    assert sorted(v for _, _, l, v in _labels(con) if l == "PROC-KILL") == [newer.classifier_version]
    runs = con.execute("SELECT run_id, status FROM classify_runs ORDER BY run_id").fetchall()
    assert runs == [(1, "complete"), (2, "complete")], "a run with nothing to do records nothing"
    assert con.execute("SELECT count(*) FROM current_labels").fetchall() == con.execute(
        "SELECT count(*) FROM labels").fetchall()


def _labels_of_small_batches_are_those_of_one(con, **batching) -> list:
    """Classify in the small batches ``batching`` asks for, then in one batch: the same labels."""
    classify(con, **batching)
    small = _labels(con)
    con.execute("DELETE FROM labels")
    classify(con, full=True)
    assert _labels(con) == small
    return small


def test_small_batches_give_the_same_labels(con, write_traj):
    for i in range(5):
        write_traj(f"r__b-{i}", [(f"kill {i}", "", 0), ("sudo reboot", "", 0)])
    ingest([write_traj("r__b-5", [("ls", "", 0)]).parent.parent], con)
    small = _labels_of_small_batches_are_those_of_one(con, batch_trials=2)
    assert sum(1 for _, _, l, _ in small if l == "SYS-REBOOT") == 5


def test_batches_end_before_the_text_budget_and_give_the_same_labels(con, write_traj):
    from redline.classifiers.reading import batches
    for i in range(6):
        write_traj(f"r__t-{i}", [(f"kill {i}", "x" * 1000 * (i + 1), 0), ("sudo reboot", "", 0)])
    ingest([write_traj("r__t-6", [("ls", "", 0)]).parent.parent], con)
    sizes = dict(con.execute("SELECT trial_id, sum(length(text)) FROM events GROUP BY ALL").fetchall())
    chunks = batches(con, batch_chars=5000)
    assert sorted(t for chunk in chunks for t in chunk) == sorted(sizes)
    assert all(len(chunk) == 1 or sum(sizes[t] for t in chunk) <= 5000 for chunk in chunks)
    assert len(chunks) > 2
    assert batches(con, batch_trials=3) == [sorted(sizes)[:3], sorted(sizes)[3:6], sorted(sizes)[6:]]
    small = _labels_of_small_batches_are_those_of_one(con, batch_chars=5000)
    assert sum(1 for _, _, l, _ in small if l == "SYS-REBOOT") == 6



def test_batches_end_before_the_row_budget_and_give_the_same_labels(con, write_traj):
    """Trials of many short steps: their characters fit one batch, their rows (events and
    commands) do not."""
    from redline.classifiers.reading import batches
    for i in range(6):
        write_traj(f"r__r-{i}", [(f"kill {i}", "", 0)] + [("ls; pwd", "", 0)] * (2 * i + 1) + [("sudo reboot", "", 0)])
    ingest([write_traj("r__r-6", [("ls", "", 0)]).parent.parent], con)
    rows = dict(con.execute(
        "SELECT trial_id, (SELECT count(*) FROM events e WHERE e.trial_id = t.trial_id) "
        "+ (SELECT count(*) FROM commands c WHERE c.trial_id = t.trial_id) FROM trials t").fetchall())
    budget = 80
    assert max(rows.values()) < budget < sum(rows.values())
    chunks = batches(con, batch_rows=budget)
    assert batches(con) == [sorted(rows)], "the default budgets hold these trials in one batch"
    assert sorted(t for chunk in chunks for t in chunk) == sorted(rows)
    assert len(chunks) > 2 and all(sum(rows[t] for t in chunk) <= budget for chunk in chunks)
    small = _labels_of_small_batches_are_those_of_one(con, batch_rows=budget)
    assert sum(1 for _, _, l, _ in small if l == "SYS-REBOOT") == 6


def test_a_batch_read_from_the_database_keeps_the_event_columns_rules_read_and_gives_their_labels(con, write_traj):
    """The events frame of a batch read from the database keeps only the columns rules and
    models read; the rules' labels are those of frames built from every stored column."""
    import polars as pl

    from redline.classifiers.engine import label_frames
    from redline.classifiers.frames import EVENT_CONTEXT_COLUMNS, build_frames
    from redline.classifiers.registry import active_rules
    from redline.classifiers.reading import read_frames

    steps = [
        ("cat > fix.sh <<'EOF'\npkill -f server\nsudo systemctl restart nginx\nEOF", "", 0),
        ("bash fix.sh", "", 0),
        ("cat shutdown.py", "#!/usr/bin/env python3\nimport os, signal\nprint(\"Shutting down...\")\n"
                            "os.kill(1, signal.SIGTERM)", 0),
        ("rm shutdown.py", "", 0),
        ("python app.py", "OSError: [Errno 98] Address already in use", 1),
        ("python3 -c \"import os; os.system('kill -9 1234')\"", "", 0),
    ]
    ingest([write_traj("r__c-1", steps), write_traj("r__c-2", [("ls /nonexistent", "ls: cannot access", 2)])], con)
    ids = sorted(r[0] for r in con.execute("SELECT trial_id FROM trials").fetchall())
    frames = read_frames(con, ids)
    assert frames.events.columns == list(EVENT_CONTEXT_COLUMNS)
    assert frames.events.height == con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    assert {"tool", "command_type", "parse_error"} <= set(frames.actions.columns)

    def stored(table: str, order: str) -> pl.DataFrame:
        return pl.DataFrame(con.sql(f"SELECT * FROM {table} ORDER BY {order}"))

    whole = build_frames(stored("trials", "trial_id"),
                         stored("events", "trial_id, seq").with_columns(pl.col("attrs").cast(pl.Utf8)),
                         stored("commands", "trial_id, seq, idx"))
    assert len(whole.events.columns) > len(EVENT_CONTEXT_COLUMNS)
    rules = active_rules()
    read, built = label_frames(frames, rules), label_frames(whole, rules)
    assert {"PROC-KILL", "SYS-SERVICE", "EVADE-TAMPER", "OBS-PORT"} <= set(read["label_id"])
    assert read.sort(["trial_id", "seq", "label_id"]).equals(built.sort(["trial_id", "seq", "label_id"]))


def test_a_batch_read_holds_each_distinct_string_once_and_the_stored_values(con, write_traj, monkeypatch):
    """read_frames copies the rows out of DuckDB's result with each distinct string of a column
    of many bytes once (a string repeated on many steps and trials is held once; a column of
    fewer bytes than DISTINCT_COPY_BYTES is copied row by row) and a column with no value
    as a constant: every frame has the values, nulls, types and order of frames built from the
    stored rows."""
    import polars as pl

    from redline.classifiers import frames as frames_module

    pytest.importorskip("pyarrow")  # (to see the column's buffers)
    from redline.classifiers.frames import EVENT_CONTEXT_COLUMNS, build_frames
    from redline.classifiers.reading import read_frames

    repeated = "Traceback (most recent call last): the same long output on every step\n" * 4
    ingest([write_traj(f"r__r-{i}", [(f"python run_{j}.py --flag", repeated, 1) for j in range(10)]
                       + [(f"cat notes_{i}.txt", f"a note of its own, number {i}, long enough", 0)])
            for i in range(8)], con)
    ids = sorted(r[0] for r in con.execute("SELECT trial_id FROM trials").fetchall())
    frames = read_frames(con, ids)

    def stored(table: str, order: str) -> pl.DataFrame:
        return pl.DataFrame(con.sql(f"SELECT * FROM {table} ORDER BY {order}"))
    whole = build_frames(stored("trials", "trial_id"),
                         stored("events", "trial_id, seq").with_columns(pl.col("attrs").cast(pl.Utf8)),
                         stored("commands", "trial_id, seq, idx"))
    assert frames.events.equals(whole.events.select(EVENT_CONTEXT_COLUMNS), null_equal=True)
    for name in ("trials", "commands", "actions", "observations", "messages"):
        read, built = getattr(frames, name), getattr(whole, name)
        if name == "trials":  # (read in no particular order)
            read = read.sort("trial_id")
        assert read.schema == built.schema and read.equals(built, null_equal=True), name
    assert frames.actions["parse_error"].null_count() == frames.actions.height > 0

    # these outputs are fewer bytes than the limit: read as if they were more
    monkeypatch.setattr(frames_module, "DISTINCT_COPY_BYTES", 1)
    frames = read_frames(con, ids)
    assert frames.observations.equals(whole.observations, null_equal=True)
    text = frames.observations["text"]
    same = text.filter(text.str.starts_with("Traceback"))
    assert same.len() == 80 and same.n_unique() == 1
    size = len(same[0].encode())
    data = sum(b.size for b in text.to_arrow(compat_level=pl.CompatLevel.newest()).buffers()[2:] if b is not None)
    # the events' distinct texts (the steps' too: the frames share them), not 80 copies of the output
    assert size <= data < 20 * size


def test_labels_detached_from_their_frames_are_the_same_labels(con, write_traj):
    """The copy of a batch's labels that classify keeps after letting the frames go (strings of
    their own) has the same rows, values and nulls."""
    from redline.classifiers.engine import label_frames
    from redline.classifiers.frames import detached
    from redline.classifiers.registry import active_rules
    from redline.classifiers.reading import read_frames

    ingest([write_traj("r__d-1", [("sudo systemctl restart nginx", "", 0), ("pkill -f server", "", 0),
                                  ("python app.py", "OSError: [Errno 98] Address already in use", 1)])], con)
    frames = read_frames(con, [r[0] for r in con.execute("SELECT trial_id FROM trials").fetchall()])
    labels = label_frames(frames, active_rules())
    assert labels.height and labels["evidence"].null_count() < labels.height
    copied = detached(labels)
    del frames
    assert copied.equals(labels, null_equal=True)


def test_batches_in_stored_order_follow_the_order_the_trials_were_ingested(con, write_traj):
    import polars as pl

    from redline.classifiers.reading import batches, read_frames
    for i in range(7):  # one ingest each: the trials are stored in this order, not in trial ID order
        ingest([write_traj(f"s__o-{i}", [(f"kill {i}", "", 0), ("ls; pwd", "", 0)])], con)
    stored = [r[0] for r in con.execute("SELECT trial_id FROM events GROUP BY trial_id ORDER BY min(rowid)").fetchall()]
    assert len(stored) == 7 and stored != sorted(stored)
    assert batches(con, batch_trials=3, stored_order=True) == [sorted(stored[:3]), sorted(stored[3:6]), stored[6:]]
    assert batches(con, batch_trials=3) == [sorted(stored)[:3], sorted(stored)[3:6], sorted(stored)[6:]]
    # a batch whose trials are not stored together still reads exactly their rows
    apart = sorted([stored[0], stored[3], stored[6]])
    frames = read_frames(con, apart)
    assert frames.events.select("trial_id", "seq").rows() == con.execute(
        "SELECT trial_id, seq FROM events WHERE trial_id IN (?, ?, ?) ORDER BY ALL", apart).fetchall()
    assert frames.commands.select("trial_id", "seq", "idx").rows() == con.execute(
        "SELECT trial_id, seq, idx FROM commands WHERE trial_id IN (?, ?, ?) ORDER BY ALL", apart).fetchall()
    # every column follows its row into order, whether the rows came in order (one trial) or not
    for ids in (apart, [stored[2]]):
        got = read_frames(con, ids)
        marks = ", ".join("?" for _ in ids)
        assert got.events.select("trial_id", "seq", "kind", "text", "exit_code").rows() == con.execute(
            f"SELECT trial_id, seq, kind, text, exit_code FROM events WHERE trial_id IN ({marks}) "
            "ORDER BY trial_id, seq", ids).fetchall()
        assert got.actions.select("trial_id", "seq", "text").rows() == con.execute(
            f"SELECT trial_id, seq, text FROM events WHERE kind = 'action' AND trial_id IN ({marks}) "
            "ORDER BY trial_id, seq", ids).fetchall()
        assert got.commands.filter(pl.col("evidence_seq").is_null()).select(
            "trial_id", "seq", "idx", "program", "text").rows() == con.execute(
            f"SELECT trial_id, seq, idx, program, text FROM commands WHERE trial_id IN ({marks}) "
            "ORDER BY trial_id, seq, idx", ids).fetchall()
    assert sorted(frames.trials["trial_id"]) == apart
    nothing = read_frames(con, ["no such trial"])
    assert nothing.events.is_empty() and nothing.commands.is_empty() and nothing.trials.is_empty()
    assert _labels_of_small_batches_are_those_of_one(con, batch_trials=2)


def _claude_session(path, steps: list[tuple[str, dict, str]]):
    """A Claude Code session file of these (tool, input, result) steps."""
    base = {"isSidechain": False, "userType": "external", "cwd": "/w", "sessionId": path.stem, "version": "1.0.51"}
    lines = [dict(base, type="user", uuid="u-0", parentUuid=None, timestamp="2025-07-01T09:00:00.000Z",
                  message={"role": "user", "content": "Deploy it."})]
    for i, (tool, given, result) in enumerate(steps):
        lines.append(dict(base, type="assistant", uuid=f"a-{i}", parentUuid=lines[-1]["uuid"],
                          timestamp=f"2025-07-01T09:00:{2 * i + 1:02d}.000Z",
                          message={"id": f"m-{i}", "type": "message", "role": "assistant", "model": "m",
                                   "content": [{"type": "tool_use", "id": f"t-{i}", "name": tool, "input": given}]}))
        lines.append(dict(base, type="user", uuid=f"r-{i}", parentUuid=f"a-{i}",
                          timestamp=f"2025-07-01T09:00:{2 * i + 2:02d}.000Z",
                          message={"role": "user", "content": [{"tool_use_id": f"t-{i}", "type": "tool_result",
                                                                "content": result}]}))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


def test_a_batch_reads_the_attributes_of_write_and_edit_actions_only_and_the_same_under_any_memory_cap(
        con, write_traj, tmp_path, monkeypatch):
    """A script written by a Claude Code Write and run later is expanded from the action's
    attributes; a batch without such actions reads no attributes; a read that runs out of
    DuckDB's memory under the read cap is read again under the run's."""
    import redline
    import redline.classifiers.reading as reading
    from redline.classifiers.reading import read_frames

    session = _claude_session(tmp_path / "cc" / "s-1.jsonl", [
        ("Write", {"file_path": "/w/stop.sh", "content": "pkill -f server\n"}, "File created"),
        ("Bash", {"command": "bash stop.sh"}, "")])
    ingest([session, write_traj("r__m-1", [("ls", "a", 0)])], con)
    cc, = (r[0] for r in con.execute("SELECT trial_id FROM events WHERE tool = 'Write'").fetchall())
    ids = sorted(r[0] for r in con.execute("SELECT trial_id FROM trials").fetchall())
    frames = read_frames(con, ids)
    script = frames.commands.filter(pl.col("evidence_seq").is_not_null())
    assert script.select("trial_id", "program").rows() == [(cc, "pkill")]
    assert frames.actions.height == 3
    # the other trial alone: nothing to expand, and no attributes read for it
    other = read_frames(con, [i for i in ids if i != cc])
    assert other.commands["evidence_seq"].is_null().all() and other.commands.height == 1
    monkeypatch.setattr(reading, "CLASSIFY_READ_MEMORY", "1MB")  # below what a read needs
    reads = []
    read = reading._read
    monkeypatch.setattr(reading, "_read", lambda *args: reads.append(1) or read(*args))
    con.close()  # (opened again, nothing of the ingest is held in memory: the cap can be set)
    again = redline.connect(tmp_path / "test.duckdb")
    capped = read_frames(again, ids)
    again.close()
    assert len(reads) == 2  # (the first, under the cap, ran out of memory: read again)
    for name in ("trials", "events", "commands", "actions", "observations", "messages"):
        assert getattr(capped, name).equals(getattr(frames, name)), name


def test_frames_read_from_an_attached_dataset_are_those_of_its_database(con, write_traj, tmp_path):
    """An attached database's tables are views over Parquet files: no rowid to bound the read by."""
    import redline
    from redline.classifiers.reading import read_frames
    from redline.dataset import attach, export
    for i in range(4):
        ingest([write_traj(f"v__a-{i}", [(f"kill {i}", "", 0), ("cat > s.sh <<EOF\nls\nEOF", "", 0),
                                         ("bash s.sh", "x", 0)])], con)
    ids = sorted(r[0] for r in con.execute("SELECT trial_id FROM trials").fetchall())[1:]
    export(con, tmp_path / "ds")
    attach(tmp_path / "ds", tmp_path / "attached.duckdb")
    attached = redline.connect(tmp_path / "attached.duckdb", read_only=True)
    try:
        here, there = read_frames(con, ids), read_frames(attached, ids)
    finally:
        attached.close()
    for name in ("trials", "events", "commands", "actions", "observations", "messages"):
        mine, theirs = getattr(here, name), getattr(there, name)
        assert mine.height and mine.sort(mine.columns).equals(theirs.sort(theirs.columns)), name
    assert here.commands.filter(context="script").height == 3


def test_a_long_output_is_cut_in_the_query_and_spans_point_into_the_stored_text(con, write_traj):
    from redline.limits import OUTPUT_WINDOW
    from redline.classifiers.reading import read_frames
    tail = "Traceback (most recent call last):\n  File \"app.py\", line 9\nOSError: [Errno 98] Address already in use\n"
    long_output = "é" * (3 * OUTPUT_WINDOW) + tail
    ingest([write_traj("r__w-1", [("python3 app.py", long_output, 1)])], con)
    trial_id = con.execute("SELECT trial_id FROM trials").fetchall()[0][0]
    frames = read_frames(con, [trial_id])
    text = frames.observations["text"][0]
    assert len(text) < 2 * OUTPUT_WINDOW + 100 and text.endswith(tail.rstrip())
    classify(con)
    start, end, evidence = con.execute(
        "SELECT span_start, span_end, evidence FROM labels WHERE label_id = 'OBS-PORT'").fetchall()[0]
    stored = con.execute("SELECT text FROM events WHERE kind = 'observation'").fetchall()[0][0]
    assert start > 3 * OUTPUT_WINDOW and stored[start:end] == evidence


def test_spans_count_characters_after_letters_of_several_bytes(con, write_traj):
    # an obstacle found by a pattern (a port in use) and one a fallback reports (its own message),
    # each after letters of two and four bytes: every span selects its evidence in the stored text
    ingest([write_traj("r__u-1", [("python3 serve.py", "démarrage… 🚀\nOSError: [Errno 98] Address already in use\n", 1),
                                  ("which ffmpeg || echo 'ffmpeg not installed'", "vérifié 🚀\nffmpeg not installed\n", 0)])],
           con)
    classify(con)
    rows = con.execute(
        "SELECT l.label_id, l.span_start, l.span_end, l.evidence, e.text FROM labels l JOIN events e "
        "ON e.trial_id = l.trial_id AND e.seq = l.seq WHERE e.kind = 'observation' AND l.evidence IS NOT NULL").fetchall()
    assert {evidence for _, _, _, evidence, _ in rows} >= {"Errno 98", "ffmpeg not installed"}, rows
    for label_id, start, end, evidence, text in rows:
        assert text[start:end] == evidence, (label_id, start, end, evidence)


def test_evidence_is_cut_at_the_limit_and_is_the_head_of_what_matched(con, write_traj):
    from redline.limits import EVIDENCE_CHARS
    long_path = "/tmp/" + "a" * (3 * EVIDENCE_CHARS)
    message = "model weights " + "really " * EVIDENCE_CHARS + "not found"
    ingest([write_traj("r__e-1", [(f"rm -rf {long_path}", "", 0),
                                  (f"ls /models || echo '{message}'", message + "\n", 0)])], con)
    classify(con)
    evidence = dict(con.execute("SELECT label_id, evidence FROM labels WHERE label_id IN ('FS-DELETE', 'OBS-FILE-MISSING')")
                    .fetchall())
    assert evidence["FS-DELETE"] == f"rm -rf {long_path}"[:EVIDENCE_CHARS]
    assert evidence["OBS-FILE-MISSING"] == message[:EVIDENCE_CHARS]
    assert all(len(e) <= EVIDENCE_CHARS for (e,) in con.execute("SELECT evidence FROM labels").fetchall() if e)


def test_classify_caps_duckdb_memory_while_it_runs_and_restores_it(con, write_traj):
    ingest([write_traj("r__m-1", [("ls", "", 0)])], con)
    before = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    seen = []
    classify(con, on_batch=lambda n: seen.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]))
    assert memory_bytes(seen[0]) <= memory_bytes(CLASSIFY_DUCKDB_MEMORY)
    after = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
    assert abs(memory_bytes(after) - memory_bytes(before)) < 0.001 * memory_bytes(before)
    con.execute("SET memory_limit = '100MB'")  # a lower cap is kept
    classify(con, full=True, on_batch=lambda n: seen.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]))
    assert memory_bytes(seen[-1]) <= 100e6


def test_classify_sets_the_live_objects_aside_from_collections_while_it_runs_and_leaves_them_as_they_were(
        con, write_traj):
    """Python's collector leaves the objects alive when a classify starts out of its collections
    while the run lasts, and collects them as before once it ends (a notebook's objects are not
    kept for good); a freeze made by the caller is the caller's and stays."""
    import gc

    ingest([write_traj("r__g-1", [("ls", "", 0)])], con)
    gc.unfreeze()
    seen = []
    try:
        classify(con, on_batch=lambda n: seen.append(gc.get_freeze_count()))
        assert seen and seen[0] > 0
        assert gc.get_freeze_count() == 0
        gc.freeze()
        frozen = gc.get_freeze_count()
        classify(con, full=True)
        assert gc.get_freeze_count() == frozen
        with pytest.raises(ValueError):  # a run that fails leaves nothing frozen either
            gc.unfreeze()
            classify(con, full=True, on_batch=lambda n: (_ for _ in ()).throw(ValueError("stop")))
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_every_label_points_at_a_stored_step_and_has_evidence(con, write_traj):
    ingest([write_traj("r__c-1", [("ps aux | grep vllm", "root 1 vllm", 0), ("nohup vllm serve m &", "", 0)])], con)
    classify(con)
    orphans = con.execute(
        "SELECT count(*) FROM labels l LEFT JOIN events e USING (trial_id, seq) "
        "WHERE l.seq IS NOT NULL AND e.seq IS NULL").fetchall()[0][0]
    assert orphans == 0
    ev = dict(con.execute("SELECT label_id, evidence FROM labels WHERE seq IS NOT NULL").fetchall())
    assert ev["EXPL-PROC"] == "ps aux"
    assert "vllm serve m" in ev["PROC-BACKGROUND"]


def test_a_huge_output_is_classified_by_head_and_tail_with_true_offsets(con, write_traj):
    from redline.limits import OUTPUT_WINDOW

    tail = "OSError: [Errno 98] Address already in use\n"
    output = "starting server\n" + "x" * (5 * OUTPUT_WINDOW) + "\n" + tail
    ingest([write_traj("r__h-1", [("python app.py", output, 1)])], con)
    classify(con)
    start, end, evidence = con.execute(
        "SELECT span_start, span_end, evidence FROM labels WHERE label_id = 'OBS-PORT'").fetchall()[0]
    stored = con.execute("SELECT text FROM events WHERE kind = 'observation'").fetchall()[0][0]
    assert stored[start:end] == evidence and "Errno 98" in evidence


def test_an_unparsable_command_line_is_stored_flagged_and_still_classified(con, write_traj):
    broken = "kill -9 $(cat /tmp/pid && echo \"unterminated"
    report = ingest([write_traj("r__u-1", [(broken, "", 1), ("ls", "a\n", 0)])], con)
    assert report.ok == 1 and report.errors == 0
    text, error = con.execute(
        "SELECT text, parse_error FROM events WHERE kind = 'action' ORDER BY seq LIMIT 1").fetchall()[0]
    assert text == broken and error
    classify(con)
    labels = {r[0] for r in con.execute(
        "SELECT label_id FROM labels l JOIN events e USING (trial_id, seq) WHERE e.text = ?", [broken]).fetchall()}
    assert "PROC-KILL" in labels


def test_an_interrupted_run_shows_nothing_and_the_next_run_cleans_it_up(con, write_traj):
    for i in range(4):
        write_traj(f"r__i-{i}", [(f"kill {i}", "", 0)])
    ingest([write_traj("r__i-4", [("kill 4", "", 0)]).parent.parent], con)
    classify(con)
    before = con.execute("SELECT trial_id, seq, label_id FROM current_labels ORDER BY ALL").fetchall()
    con.execute("UPDATE labels SET evidence = 'old'")  # tell the earlier run's labels apart

    class Killed(Exception):
        pass

    batches: list[int] = []

    def die_after_two(n: int) -> None:
        batches.append(n)
        if len(batches) == 2:
            raise Killed

    try:
        classify(con, batch_trials=1, on_batch=die_after_two, full=True)
    except Killed:
        pass
    assert con.execute("SELECT status FROM classify_runs ORDER BY run_id").fetchall() == [("complete",), ("running",)]
    # the interrupted run's labels exist but are not current: the earlier run's still are
    assert con.execute("SELECT count(*) FROM labels WHERE run_id = 2").fetchall()[0][0] > 0
    shown = con.execute("SELECT trial_id, seq, label_id, evidence FROM current_labels ORDER BY ALL").fetchall()
    assert [r[:3] for r in shown] == before and {r[3] for r in shown} == {"old"}
    classify(con, full=True)
    assert con.execute("SELECT run_id, status FROM classify_runs ORDER BY run_id").fetchall() == [
        (1, "complete"), (2, "abandoned"), (3, "complete")]
    assert con.execute("SELECT DISTINCT run_id FROM labels").fetchall() == [(3,)]
    assert con.execute("SELECT trial_id, seq, label_id FROM current_labels ORDER BY ALL").fetchall() == before


def test_a_rules_structured_detail_is_stored_and_other_labels_have_none(con, write_traj):
    import polars as pl

    from redline.classifiers.rule import Rule

    def kills_with_target(frames):
        return frames.commands.filter(pl.col("program") == "kill").select(
            "trial_id", "seq", pl.col("text").alias("evidence"),
            pl.lit('{"target": "unknown"}').alias("detail"))

    detailed = Rule(id="PROC-KILL", name="process-kill", on="command", summary="kills", custom=kills_with_target)
    ingest([write_traj("r__d-1", [("kill 42", "", 0), ("sudo reboot", "", 0)])], con)
    classify(con, [detailed, get_rule("SYS-REBOOT")])
    rows = dict(con.execute("SELECT label_id, detail FROM current_labels").fetchall())
    assert json.loads(rows["PROC-KILL"]) == {"target": "unknown"} and rows["SYS-REBOOT"] is None


_CLI_CLASSIFY = """
import sys
from redline.cli import main
try:
    main(["classify", "--db", sys.argv[1]], standalone_mode=False)
finally:
    print("pyarrow" in sys.modules)
"""


def test_the_classify_command_runs_without_importing_pyarrow(tmp_path, write_traj):
    """pyarrow's libraries add about 25 MB to a process; classify reads DuckDB without them."""
    import subprocess
    import sys

    import redline

    db = tmp_path / "c.duckdb"
    con = redline.connect(db)
    ingest([write_traj("r__a-1", [("cat > stop.sh <<'EOF'\npkill -f server\nEOF", "", 0),
                                  ("bash stop.sh", "", 0), ("pip install flask", "", 0)])], con)
    con.close()
    done = subprocess.run([sys.executable, "-c", _CLI_CLASSIFY, str(db)], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "False"
    con = redline.connect(db)
    try:
        rows = con.execute("SELECT label_id, seq, evidence_seq FROM current_labels WHERE label_id IN "
                           "('PROC-KILL', 'PKG-INSTALL') ORDER BY ALL").fetchall()
    finally:
        con.close()
    # the script's kill is found on the step that runs it, from the step that wrote it
    assert [r[0] for r in rows] == ["PKG-INSTALL", "PROC-KILL"]
    assert rows[1][1] > rows[1][2]


def test_frames_read_with_the_runs_stored_ranges_are_those_read_alone(con, write_traj):
    """classify finds where each trial's rows are stored once per pass (:func:`stored_rows`),
    not once per batch: each batch read so is the batch read alone."""
    from redline.classifiers.reading import batches, read_frames, stored_rows
    for i in range(6):
        write_traj(f"r__s-{i}", [(f"kill {i}", "x" * 50 * i, 0), ("ls; pwd", "", 0)])
    ingest([write_traj("r__s-6", [("ls", "", 0)]).parent.parent], con)
    stored = stored_rows(con)
    chunks = batches(con, batch_trials=2, stored_order=True)
    assert len(chunks) > 2
    for chunk in [*chunks, chunks[0] + chunks[-1], ["no such trial"]]:
        alone, ranged = read_frames(con, chunk), read_frames(con, chunk, stored=stored)
        assert ranged.commands.height or chunk == ["no such trial"]
        for name in ("trials", "events", "commands", "actions", "observations", "messages"):
            assert getattr(alone, name).equals(getattr(ranged, name)), name


def _cached_table_bytes(con) -> int:
    return con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
                       "WHERE tag IN ('BASE_TABLE', 'IN_MEMORY_TABLE')").fetchall()[0][0]


def test_reading_a_batch_lets_duckdb_drop_the_table_blocks_it_read(con, write_traj):
    """A batch's table blocks are read once: once read_frames has them, DuckDB's buffer pool no
    longer keeps them (a plain query of the same rows leaves them cached)."""
    from redline.classifiers.reading import read_frames
    import hashlib

    def output(i: int, j: int) -> str:  # text that compresses poorly: DuckDB stores it as it is
        return "\n".join(hashlib.sha256(f"{i}.{j}.{k}".encode()).hexdigest() for k in range(100))
    ingest([write_traj(f"e__v-{i}", [(f"python3 build_{i}_{j}.py", output(i, j), 0) for j in range(20)])
            for i in range(30)], con)
    con.execute("CHECKPOINT")
    ids = [r[0] for r in con.execute("SELECT trial_id FROM trials").fetchall()]
    con.execute("SELECT sum(length(text)) FROM events").fetchall()
    cached = _cached_table_bytes(con)
    assert cached > 4 * 2**20
    frames = read_frames(con, ids)
    assert frames.observations.height == 600
    assert _cached_table_bytes(con) < cached / 4
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] != "976.5 KiB"


def test_an_in_memory_database_is_classified_without_spilling_it(tmp_path, monkeypatch, write_traj):
    """An in-memory database's tables are its buffer pool: classify leaves them in memory (no
    temporary files in the working folder) and labels them."""
    import redline
    monkeypatch.chdir(tmp_path)
    paths = [write_traj(f"m__e-{i}", [("pkill -f server", "", 0), ("ls", "a", 0)]) for i in range(3)]
    con = redline.connect(":memory:")
    ingest(paths, con)
    cached = _cached_table_bytes(con)
    report = classify(con)
    assert report.labels and not (tmp_path / ".tmp").exists()
    assert _cached_table_bytes(con) >= cached
    con.close()
