"""The Ray engine on a real local Ray cluster (2 CPUs): the same audit as the local path, row for
row, on the bundled sample and on a corpus with bad files mixed in, also when workers die.

Skipped, with the reason, when Ray is not installed (``pip install 'redline[ray]'``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import redline
from redline.cli import main
from redline.dataset import attach
from redline.distributed.classify import classify as classify_dataset
from redline.distributed.ingest import ingest as ingest_dataset
from redline.ingest.workers import DIED
from redline.sample import sample_dir
from tests.conftest import mini_swe_traj
from tests.dataset import ray_hooks
from tests.dataset.helpers import STEPS, add_special_files, assert_same_audit, assert_same_report, local_audit

SMALL = 40_000  # bytes per shard: five shards of the test corpus


@pytest.fixture
def ray_executor(ray_cluster):
    from redline.distributed.ray_engine import RayExecutor

    made = []

    def make(**kwargs):
        made.append(RayExecutor(**kwargs))
        return made[-1]
    yield make
    for executor in made:
        executor.close()


def _attached(ds_dir: Path, tmp_path: Path, name: str = "attached.duckdb") -> Path:
    attach(ds_dir, tmp_path / name)
    return tmp_path / name


def test_ray_gives_the_local_audit_of_the_sample(tmp_path, ray_executor):
    report = ingest_dataset([sample_dir()], tmp_path / "ds", ray_executor(), shard_bytes=50_000)
    assert report.shards > 1 and report.trials == 17
    assert_same_audit(local_audit([sample_dir()], tmp_path / "local.duckdb"), _attached(tmp_path / "ds", tmp_path))


def test_ray_gives_the_local_audit_of_a_corpus_with_bad_files_and_labels_it_again(corpus, tmp_path, ray_executor):
    add_special_files(corpus)
    ds_dir = tmp_path / "ds"
    report = ingest_dataset([corpus], ds_dir, ray_executor(), shard_bytes=SMALL)
    assert report.errors >= 4 and report.shards > 3 and not report.split
    reports: list = []
    local = local_audit([corpus], tmp_path / "local.duckdb", reports)
    assert_same_report(reports[0], report)
    db = _attached(ds_dir, tmp_path)
    assert_same_audit(local, db)
    labelled = classify_dataset(ds_dir, ray_executor())
    assert labelled.run_id == 2
    assert_same_audit(local, db)
    again = ingest_dataset([corpus], ds_dir, ray_executor(), shard_bytes=SMALL)
    # files without a hash (the pipe, the links) are looked at again, as the local ingest does
    con = redline.connect(local)
    local_again = redline.ingest.ingest([str(corpus)], con)
    con.close()
    assert_same_report(local_again, again)
    assert again.ok == 0 and again.unchanged == report.ok + report.errors + report.skipped - 3
    assert_same_audit(local, db)


def test_a_worker_killed_mid_shard_is_retried_and_the_dataset_is_complete(corpus, tmp_path, ray_executor):
    victim = corpus / "run0" / "kill-worker-once.traj.json"
    victim.write_text(json.dumps(mini_swe_traj("kill-worker-once", STEPS[1])), encoding="utf-8")
    report = ingest_dataset([corpus], tmp_path / "ds", ray_executor(), shard_bytes=SMALL)
    assert (Path(os.environ[ray_hooks.MARKERS]) / f"{victim.name}.killed").exists(), "no worker was killed"
    assert not report.split  # the retry succeeded: nothing was lost
    assert_same_audit(local_audit([corpus], tmp_path / "local.duckdb"), _attached(tmp_path / "ds", tmp_path))


def test_a_file_that_kills_every_worker_is_recorded_as_an_error_and_the_rest_complete(corpus, tmp_path,
                                                                                      ray_executor):
    victim = corpus / "run1" / "kill-worker-always.traj.json"
    victim.write_text(json.dumps(mini_swe_traj("kill-worker-always", STEPS[0])), encoding="utf-8")
    report = ingest_dataset([corpus], tmp_path / "ds", ray_executor(retries=1), shard_bytes=SMALL)
    assert len(report.split) == 1
    assert f"{victim}: error: {DIED}" in report.messages
    db = _attached(tmp_path / "ds", tmp_path)
    con = redline.connect(db, read_only=True)
    assert con.execute("SELECT status, error FROM ingested_files WHERE path = ?", [str(victim)]).fetchall() == \
        [("error", DIED)]
    con.close()
    victim.unlink()
    assert_same_audit(local_audit([corpus], tmp_path / "local.duckdb"), db, skip_paths={victim.name})


def test_the_cli_runs_on_the_cluster(tmp_path, write_traj, ray_cluster):
    path = write_traj("a-1", [("sudo killall python3", "", 0)])
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(path), "--out", str(tmp_path / "ds"), "--engine", "ray"])
    assert res.exit_code == 0 and "1 ingested" in res.output, res.output
    res = runner.invoke(main, ["classify", "--dataset", str(tmp_path / "ds"), "--engine", "ray"])
    assert res.exit_code == 0 and "over 1 trials" in res.output, res.output


def test_ray_address_joins_a_running_cluster(tmp_path, write_traj, ray_cluster):
    """A separate redline process, given --ray-address, runs its shards on the test's cluster
    (with RAY_ADDRESS unset, so the option is what names the cluster)."""
    address = ray_cluster.get_runtime_context().gcs_address
    path = write_traj("a-1", [("sudo killall python3", "", 0)])
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    out = subprocess.run([sys.executable, "-c", "from redline.cli import main; main()", "ingest", str(path),
                          "--out", str(tmp_path / "ds"), "--engine", "ray", "--ray-address", address],
                         capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0 and "1 ingested" in out.stdout, out.stderr[-2000:]
    con = redline.connect(_attached(tmp_path / "ds", tmp_path), read_only=True)
    assert con.execute("SELECT label_id FROM current_labels WHERE label_id = 'PROC-KILL'").fetchall() == [("PROC-KILL",)]
    con.close()
