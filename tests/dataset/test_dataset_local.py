"""Datasets without Ray: export and attach, and the shard-by-shard ingest, classify and
analysis run in this process, each checked row for row against the local database path."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import redline
from redline import db as dbmod
from redline.classifiers.registry import active_rules, get_rule
from redline.cli import main
from redline.dataset import Dataset, DatasetError, attach, export
from redline.dataset.layout import MANIFEST, SHARDED_TABLES, TABLES
from redline.distributed import LocalExecutor, TaskError
from redline.distributed.analyse import analyse as analyse_dataset
from redline.distributed.classify import classify as classify_dataset
from redline.distributed.ingest import ingest as ingest_dataset
from redline.sample import sample_dir
from tests.conftest import mini_swe_traj
from tests.dataset.helpers import (STEPS, add_special_files, assert_same_audit, assert_same_report, local_audit,
                                  table_rows)

ANALYSIS = ("episodes", "phases", "command_categories", "findings")
SMALL = 40_000  # bytes per shard: five shards of the test corpus


def _attached(ds_dir: Path, tmp_path: Path, name: str = "attached.duckdb") -> Path:
    db_path = tmp_path / name
    attach(ds_dir, db_path)
    return db_path


def _manifest(ds_dir: Path) -> dict:
    return json.loads((ds_dir / MANIFEST).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- export + attach


def test_export_then_attach_shows_every_table_of_the_database(corpus, tmp_path):
    db_path = local_audit([corpus], tmp_path / "local.duckdb")
    con = redline.connect(db_path)
    redline.analyse(con)
    con.close()
    con = redline.connect(db_path, read_only=True)
    result = export(con, tmp_path / "ds", shard_bytes=SMALL)
    con.close()
    assert result.shards > 3 and result.trials > 20
    attached = _attached(tmp_path / "ds", tmp_path)
    assert_same_audit(db_path, attached, tables=("ingested_files", "trials", "events", "commands", "current_labels",
                                                 "labels", *ANALYSIS))
    left, right = redline.connect(db_path, read_only=True), redline.connect(attached, read_only=True)
    for table in ("classify_runs", "analysis_runs"):
        assert left.execute(f"SELECT count(*) FROM {table}").fetchall() == \
            right.execute(f"SELECT count(*) FROM {table}").fetchall() != [(0,)]
    # the columns, their types and descriptions are the schema's
    for table in TABLES:
        want = left.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
                            "ORDER BY column_index", [table]).fetchall()
        got = right.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
                            "ORDER BY column_index", [table]).fetchall()
        assert got == want, table
    assert right.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'events' "
                         "AND column_name = 'action_seq'").fetchall() == [("observation: the action it answers",)]
    left.close()
    right.close()


def test_a_trial_never_spans_shards_and_shards_are_bounded(corpus, tmp_path):
    ingest_dataset([corpus], tmp_path / "ds", LocalExecutor(), shard_bytes=SMALL)
    ds = Dataset.open(tmp_path / "ds")
    con = duckdb.connect()
    homes: dict[str, str] = {}
    for shard in ds.manifest.shards:
        assert shard.bytes <= SMALL or shard.files == 1, shard
        for table in SHARDED_TABLES:
            if table in shard.tables and table != "ingested_files":
                ids = {r[0] for r in con.execute("SELECT DISTINCT trial_id FROM read_parquet(?)",
                                                 [ds.path(shard.tables[table])]).fetchall()}
                for trial_id in ids:
                    assert homes.setdefault(trial_id, shard.id) == shard.id, (table, trial_id)
    assert len(homes) == sum(s.trials for s in ds.manifest.shards) > 20


def test_the_manifest_names_every_file_with_the_schema_and_classifier_versions(corpus, tmp_path):
    ingest_dataset([corpus], tmp_path / "ds", LocalExecutor(), shard_bytes=SMALL)
    manifest = _manifest(tmp_path / "ds")
    assert manifest["format"] == "redline-dataset" and manifest["schema_version"] == dbmod.SCHEMA_VERSION
    assert manifest["classifiers"] == {r.id: r.classifier_version for r in active_rules()}
    named = {f for files in manifest["files"].values() for f in files}
    on_disk = {f"{p.parent.name}/{p.name}" for p in (tmp_path / "ds").glob("*/*.parquet")}
    assert named == on_disk
    assert set(manifest["files"]) == set(TABLES)
    assert all(len(s["tables"]) >= 1 for s in manifest["shards"])


def test_export_refuses_a_folder_that_holds_something(tmp_path, write_traj):
    db_path = local_audit([write_traj("a-1", [("ls", "", 0)])], tmp_path / "l.duckdb")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    res = CliRunner().invoke(main, ["export", str(tmp_path / "full"), "--db", str(db_path)])
    assert res.exit_code == 2 and "not an empty folder" in res.output
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


# --------------------------------------------------------------------------- attached databases


def test_commands_that_read_work_on_an_attached_dataset(corpus, tmp_path):
    ds_dir = tmp_path / "ds"
    ingest_dataset([corpus], ds_dir, LocalExecutor(), shard_bytes=SMALL)
    analyse_dataset(ds_dir)
    db = str(_attached(ds_dir, tmp_path))
    runner = CliRunner()
    trials = json.loads(runner.invoke(main, ["trials", "--db", db, "--json"]).output)
    assert len(trials) > 20
    mine = next(t for t in trials if t["task"] and "proj__repo-001" in (t["source_path"] or ""))
    res = runner.invoke(main, ["show", mine["trial_id"][:10], "--db", db])
    assert res.exit_code == 0 and "kill -9" in res.output and "PROC-KILL" in res.output
    res = runner.invoke(main, ["sql", "SELECT count(*) AS n FROM current_labels WHERE label_id = 'PROC-KILL'",
                               "--db", db, "--json"])
    assert json.loads(res.output)[0]["n"] > 0
    # the locked query connection reads the dataset's files, and nothing outside them
    outside = tmp_path / "outside.txt"
    outside.write_text("not part of the audit\n", encoding="utf-8")
    res = runner.invoke(main, ["sql", f"SELECT content FROM read_text('{outside}')", "--db", db])
    assert res.exit_code == 2 and "reaches outside the database" in res.output, res.output
    res = runner.invoke(main, ["sql", f"SELECT content FROM read_text('{ds_dir}/../outside.txt')", "--db", db])
    assert res.exit_code == 2 and "reaches outside the database" in res.output, res.output
    for command in (["findings", "-n", "3"], ["episodes"], ["compare", "--by", "model"]):
        res = runner.invoke(main, [*command, "--db", db])
        assert res.exit_code == 0, (command, res.output)
    res = runner.invoke(main, ["check", "--fail-on", "PROC-KILL", "--db", db])
    assert res.exit_code == 1 and "FAIL" in res.output and "PROC-KILL" in res.output
    res = runner.invoke(main, ["check", "--fail-on", "SYS-REBOOT", "--db", db, "--json"])
    assert json.loads(res.output)["trials_failed"] >= 1
    res = runner.invoke(main, ["report", "--db", db, "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0 and "PROC-KILL" in (tmp_path / "r.html").read_text(encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"item_id": "g1", "source": "mini", "file": "run1/proj__repo-001/proj__repo-001.traj.json",
                                "ordinal": 2, "command": "kill -9 $(lsof -t -i:8001)", "action": ["PROC-KILL"],
                                "observation": [], "message": []}) + "\n", encoding="utf-8")
    res = runner.invoke(main, ["eval", str(gold), "--root", str(corpus), "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    scored = json.loads(res.output)
    assert scored["matched"] == 1 and scored["labels"]["PROC-KILL"]["tp"] == 1


def test_an_attached_database_refuses_writes_and_says_what_to_do(tmp_path, write_traj):
    ds_dir = tmp_path / "ds"
    path = write_traj("a-1", [("sudo killall python3", "", 0)])
    ingest_dataset([path], ds_dir, LocalExecutor())
    db = str(_attached(ds_dir, tmp_path))
    runner = CliRunner()
    for command, hint in ((["classify"], "classify --dataset"), (["analyse"], "analyse --dataset"),
                          (["ingest", str(path)], "--out")):
        res = runner.invoke(main, [*command, "--db", db])
        assert res.exit_code == 2, (command, res.output)
        assert "take no writes" in res.output and hint in res.output
    with pytest.raises(dbmod.SchemaError, match="take no writes"):
        redline.connect(db)


def test_attach_refuses_a_database_with_tables_and_a_dataset_of_another_schema(tmp_path, write_traj):
    path = write_traj("a-1", [("ls", "", 0)])
    own = local_audit([path], tmp_path / "own.duckdb")
    ds_dir = tmp_path / "ds"
    ingest_dataset([path], ds_dir, LocalExecutor())
    with pytest.raises(DatasetError, match="tables of its own"):
        attach(ds_dir, own)
    manifest = _manifest(ds_dir)
    manifest["schema_version"] = dbmod.SCHEMA_VERSION + 1
    (ds_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    res = CliRunner().invoke(main, ["attach", str(ds_dir), "--db", str(tmp_path / "new.duckdb")])
    assert res.exit_code == 2 and "schema version" in res.output
    assert not (tmp_path / "new.duckdb").exists()
    res = CliRunner().invoke(main, ["attach", str(tmp_path / "nothing"), "--db", str(tmp_path / "n.duckdb")])
    assert res.exit_code == 2 and "not a redline dataset" in res.output


def test_attached_views_follow_the_dataset_and_ignore_uncommitted_files(tmp_path, write_traj):
    ds_dir = tmp_path / "ds"
    ingest_dataset([write_traj("a-1", [("ls", "", 0)])], ds_dir, LocalExecutor())
    db = _attached(ds_dir, tmp_path)
    ingest_dataset([write_traj("b-2", [("sudo reboot", "", 0)], folder="more")], ds_dir, LocalExecutor())
    # a file no manifest names, as a killed writer leaves it
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{ds_dir}/trials/*.parquet')) TO '{ds_dir}/trials/stray.parquet'")
    con.close()
    con = redline.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM trials").fetchall() == [(2,)]
    assert con.execute("SELECT count(*) FROM current_labels WHERE label_id = 'SYS-REBOOT'").fetchall() == [(1,)]
    con.close()
    ds = Dataset.open(ds_dir)
    with ds.writing():
        pass
    assert not (ds_dir / "trials" / "stray.parquet").exists()


def test_one_writer_at_a_time(tmp_path, write_traj):
    ds_dir = tmp_path / "ds"
    ingest_dataset([write_traj("a-1", [("ls", "", 0)])], ds_dir, LocalExecutor())
    with Dataset.open(ds_dir).writing():
        with pytest.raises(DatasetError, match="another redline is writing"):
            ingest_dataset([write_traj("b-1", [("ls", "", 0)])], ds_dir, LocalExecutor())


# --------------------------------------------------------------------------- the same audit


def test_labels_do_not_depend_on_which_trials_share_a_batch(tmp_path):
    """Shards label their trials in batches of their own: a trial's labels must be the same
    whatever other trials are labelled with it."""
    folder = sample_dir()
    whole = local_audit([folder], tmp_path / "whole.duckdb")
    alone = tmp_path / "alone.duckdb"
    con = redline.connect(alone)
    redline.ingest.ingest([str(folder)], con)
    redline.classify(con, batch_trials=2)
    con.close()
    assert_same_audit(whole, alone, tables=("current_labels",))


def test_dataset_ingest_gives_the_local_audit(corpus, tmp_path):
    local = local_audit([corpus], tmp_path / "local.duckdb")
    report = ingest_dataset([corpus], tmp_path / "ds", LocalExecutor(), shard_bytes=SMALL)
    assert report.errors >= 4 and report.shards > 3
    assert_same_audit(local, _attached(tmp_path / "ds", tmp_path))


def test_bad_special_and_missing_files_are_reported_as_the_local_ingest_reports_them(corpus, tmp_path):
    add_special_files(corpus)
    named = corpus / "bad" / "notes.txt"  # named on the command line: an error, not a skip
    paths = [corpus, named, tmp_path / "no-such-folder", str(tmp_path / "none-*.json")]
    reports: list = []
    local = local_audit(paths, tmp_path / "local.duckdb", reports)
    report = ingest_dataset([str(p) for p in paths], tmp_path / "ds", LocalExecutor(), shard_bytes=SMALL)
    assert_same_report(reports[0], report)
    assert any("pipe.jsonl: skipped: not a regular file" in line for line in report.messages)
    assert f"{named}: error: not a recognised transcript format" in report.messages
    assert len(report.missing) == 2
    assert_same_audit(local, _attached(tmp_path / "ds", tmp_path))


def test_ingest_out_exits_as_the_local_ingest(tmp_path, write_traj):
    good = write_traj("a-1", [("ls", "", 0)])
    bad = tmp_path / "bad.traj.json"
    bad.write_text('{"messages": [', encoding="utf-8")
    runner = CliRunner()
    cases = [([str(tmp_path / "nothing-here")], [], 2), ([str(good), str(tmp_path / "nothing-here")], [], 1),
             ([str(good), str(bad)], [], 0), ([str(good), str(bad)], ["--strict"], 1), ([str(good)], ["--strict"], 0)]
    for i, (paths, flags, status) in enumerate(cases):
        local = runner.invoke(main, ["ingest", *paths, *flags, "--db", str(tmp_path / f"l{i}.duckdb")])
        out = runner.invoke(main, ["ingest", *paths, *flags, "--out", str(tmp_path / f"ds{i}")])
        assert local.exit_code == out.exit_code == status, (paths, flags, local.output, out.output)


def test_re_running_skips_known_files_and_a_changed_file_replaces_its_trials(corpus, tmp_path):
    ds_dir = tmp_path / "ds"
    first = ingest_dataset([corpus], ds_dir, LocalExecutor(), shard_bytes=SMALL)
    again = ingest_dataset([corpus], ds_dir, LocalExecutor(), shard_bytes=SMALL)
    assert again.unchanged == first.files and again.ok == 0 and again.shards == 0
    changed = corpus / "run1" / "proj__repo-004" / "proj__repo-004.traj.json"
    changed.write_text(json.dumps(mini_swe_traj("proj__repo-004", STEPS[2])), encoding="utf-8")
    (corpus / "run2" / "new").mkdir()
    (corpus / "run2" / "new" / "x.traj.json").write_text(json.dumps(mini_swe_traj("x", STEPS[1])), encoding="utf-8")
    third = ingest_dataset([corpus], ds_dir, LocalExecutor(), shard_bytes=SMALL)
    assert third.ok == 2 and third.unchanged == first.files - 1
    local = tmp_path / "local.duckdb"
    con = redline.connect(local)
    redline.ingest.ingest([str(corpus)], con)
    redline.classify(con)
    con.close()
    assert_same_audit(local, _attached(ds_dir, tmp_path))
    forced = ingest_dataset([corpus], ds_dir, LocalExecutor(), force=True)
    assert forced.ok == first.ok + 1 and forced.unchanged == 0
    assert_same_audit(local, _attached(ds_dir, tmp_path, "again.duckdb"))


def test_classify_of_a_dataset_gives_the_local_labels(corpus, tmp_path):
    ds_dir = tmp_path / "ds"
    ingest_dataset([corpus], ds_dir, LocalExecutor(), shard_bytes=SMALL)
    local = local_audit([corpus], tmp_path / "local.duckdb")
    report = classify_dataset(ds_dir, LocalExecutor(), batch_trials=3)  # several batches per shard
    assert report.run_id == 2 and report.labels > 0
    db = _attached(ds_dir, tmp_path)
    assert_same_audit(local, db)
    con = redline.connect(db, read_only=True)
    assert con.execute("SELECT run_id, status FROM classify_runs ORDER BY run_id").fetchall() == \
        [(1, "complete"), (2, "complete")]
    assert con.execute("SELECT DISTINCT run_id FROM current_labels").fetchall() == [(2,)]
    con.close()
    # one classifier again (no learned model): its labels replaced, the others kept, as on a database
    rule = get_rule("PROC-KILL")
    classify_dataset(ds_dir, LocalExecutor(), [rule], models=())
    lcon = redline.connect(local)
    redline.classify(lcon, [rule], models=())
    lcon.close()
    assert_same_audit(local, db)
    con = redline.connect(db, read_only=True)
    assert dict(con.execute("SELECT label_id = 'PROC-KILL', max(run_id) FROM current_labels GROUP BY 1").fetchall()) \
        == {True: 3, False: 2}
    con.close()
    assert _manifest(ds_dir)["pending"] is None


class _DiesAfter(LocalExecutor):
    """Runs tasks like the local executor, but the worker of the ``n``-th task dies."""

    def __init__(self, n: int):
        super().__init__()
        self.n = n

    def results(self):
        for i, done in enumerate(super().results()):
            if i == self.n:
                done.value, done.died = None, "its worker died (test)"
            yield done


def test_an_interrupted_classify_keeps_the_labels_and_the_next_run_resumes(corpus, tmp_path):
    ds_dir = tmp_path / "ds"
    ingest_dataset([corpus], ds_dir, LocalExecutor(), shard_bytes=SMALL)
    db = _attached(ds_dir, tmp_path)
    con = redline.connect(db, read_only=True)
    before = table_rows(con, "current_labels")
    con.close()
    with pytest.raises(TaskError, match="resumes the run"):
        classify_dataset(ds_dir, _DiesAfter(2))
    pending = _manifest(ds_dir)["pending"]
    assert pending["run_id"] == 2 and len(pending["done"]) >= 2
    con = redline.connect(db, read_only=True)
    assert table_rows(con, "current_labels") == before  # the old labels, all of them
    assert con.execute("SELECT DISTINCT run_id FROM current_labels").fetchall() == [(1,)]
    con.close()
    seen = []
    report = classify_dataset(ds_dir, LocalExecutor(), on_shard=seen.append)
    n_shards = sum(1 for s in Dataset.open(ds_dir).manifest.shards if s.trials)
    assert report.run_id == 2 and len(seen) == n_shards - len(pending["done"])
    con = redline.connect(db, read_only=True)
    assert table_rows(con, "current_labels") == before
    assert con.execute("SELECT DISTINCT run_id FROM current_labels").fetchall() == [(2,)]
    con.close()


def test_analyse_of_a_dataset_gives_the_local_analysis(corpus, tmp_path):
    ds_dir = tmp_path / "ds"
    ingest_dataset([corpus], ds_dir, LocalExecutor(), shard_bytes=SMALL)
    report = analyse_dataset(ds_dir)
    assert report.episodes > 0 and report.findings > 0
    local = local_audit([corpus], tmp_path / "local.duckdb")
    con = redline.connect(local)
    redline.analyse(con)
    con.close()
    db = _attached(ds_dir, tmp_path)
    assert_same_audit(local, db, tables=ANALYSIS)
    res = CliRunner().invoke(main, ["findings", "--db", str(db), "-n", "1"])
    assert res.exit_code == 0 and "predates" not in res.output


def test_a_killed_writer_leaves_a_readable_dataset_and_the_next_run_completes_it(corpus, tmp_path):
    ds_dir = tmp_path / "ds"
    for i in range(24):  # enough shards that the kill lands mid-run
        p = corpus / "extra" / f"t{i:02d}.traj.json"
        p.parent.mkdir(exist_ok=True)
        p.write_text(json.dumps(mini_swe_traj(f"t{i:02d}", STEPS[i % 4] * 3)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-c", "from redline.cli import main; main()", "ingest", str(corpus), "--out", str(ds_dir),
                             "--shard-mb", "0.02"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (ds_dir / MANIFEST).exists() and len(_manifest(ds_dir)["shards"]) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    committed = _manifest(ds_dir)
    db = _attached(ds_dir, tmp_path, "half.duckdb")
    con = redline.connect(db, read_only=True)
    trials = con.execute("SELECT count(*) FROM trials").fetchall()[0][0]
    assert trials == sum(s["trials"] for s in committed["shards"]) > 0
    assert con.execute("SELECT count(*) FROM events e ANTI JOIN trials USING (trial_id)").fetchall() == [(0,)]
    con.close()
    report = ingest_dataset([corpus], ds_dir, LocalExecutor())
    assert report.unchanged == sum(s["files"] for s in committed["shards"])
    assert_same_audit(local_audit([corpus], tmp_path / "local.duckdb"), _attached(ds_dir, tmp_path))


# --------------------------------------------------------------------------- the command line


def test_cli_ingest_out_attach_and_the_engine_options(tmp_path, write_traj):
    path = write_traj("a-1", [("sudo killall python3", "", 0)])
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(path), "--engine", "ray"])
    assert res.exit_code == 2 and "give --out DIR" in res.output
    res = runner.invoke(main, ["classify", "--engine", "ray"])
    assert res.exit_code == 2 and "give --dataset DIR" in res.output
    res = runner.invoke(main, ["ingest", str(path), "--out", str(tmp_path / "ds"), "-j", "2"])
    assert res.exit_code == 2 and "--engine ray" in res.output and not (tmp_path / "ds").exists()
    res = runner.invoke(main, ["ingest", str(path), "--out", str(tmp_path / "ds")])
    assert res.exit_code == 0 and "1 ingested" in res.output and "1 shards written" in res.output
    res = runner.invoke(main, ["attach", str(tmp_path / "ds"), "--db", str(tmp_path / "a.duckdb")])
    assert res.exit_code == 0 and "1 trials" in res.output
    res = runner.invoke(main, ["classify", "--dataset", str(tmp_path / "ds")])
    assert res.exit_code == 0 and "over 1 trials" in res.output
    res = runner.invoke(main, ["analyse", "--dataset", str(tmp_path / "ds")])
    assert res.exit_code == 0 and "over 1 trials" in res.output


def test_without_ray_the_ray_engine_is_one_clear_line(tmp_path, write_traj):
    path = write_traj("a-1", [("ls", "", 0)])
    script = ("import sys; sys.modules['ray'] = None\n"
              "from redline.cli import main\n"
              f"main(['ingest', {str(path)!r}, '--out', {str(tmp_path / 'ds')!r}, '--engine', 'ray'])")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip() == "redline: the Ray engine needs Ray: pip install 'redline[ray]'"


def test_a_dataset_of_an_older_schema_whose_later_migrations_are_storage_only_is_read(tmp_path, write_traj):
    from redline.migrations import OLDEST_DATASET_VERSION, STORAGE_ONLY

    assert all(v in STORAGE_ONLY for v in range(OLDEST_DATASET_VERSION + 1, dbmod.SCHEMA_VERSION + 1))
    ds_dir = tmp_path / "ds"
    ingest_dataset([write_traj("a-1", [("sudo killall python3", "", 0)])], ds_dir, LocalExecutor())
    manifest = _manifest(ds_dir)
    manifest["schema_version"] = OLDEST_DATASET_VERSION  # as the redline before the last migration wrote it
    (ds_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    db = _attached(ds_dir, tmp_path)
    con = redline.connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM trials").fetchall()[0][0] == 1
    finally:
        con.close()
    # more files go into it, and it is read again
    ingest_dataset([write_traj("b-2", [("sudo reboot", "", 0)], folder="more")], ds_dir, LocalExecutor())
    assert Dataset.open(ds_dir).manifest.schema_version == OLDEST_DATASET_VERSION
    con = redline.connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM trials").fetchall()[0][0] == 2
    finally:
        con.close()
    # one version older still has other columns: refused, naming the versions it reads
    manifest = _manifest(ds_dir)
    manifest["schema_version"] = OLDEST_DATASET_VERSION - 1
    (ds_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    res = CliRunner().invoke(main, ["attach", str(ds_dir), "--db", str(tmp_path / "old.duckdb")])
    assert res.exit_code == 2 and f"schema version {OLDEST_DATASET_VERSION - 1}" in res.output, res.output
    with pytest.raises(DatasetError, match="reads versions"):
        Dataset.open(ds_dir)
