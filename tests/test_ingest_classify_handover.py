"""`redline ingest --classify` hands the ingest's connection to the classify: DuckDB lets go of
the blocks the ingest wrote to a file first, and a database in memory, whose blocks are its only
copy, keeps them."""

from __future__ import annotations

import duckdb
from click.testing import CliRunner

from redline.cli import main


def test_ingest_then_classify_of_a_database_in_memory_keeps_what_it_ingested(write_traj):
    traj = write_traj("repo__x-1", [("sudo killall python3", "", 0), ("netstat -tlnp", "tcp LISTEN\n", 0)])
    res = CliRunner().invoke(main, ["ingest", str(traj), "--db", ":memory:", "--classify"])
    assert res.exit_code == 0, res.output
    assert "1 ingested" in res.output and "labels from" in res.output and "over 1 trials" in res.output


def test_ingest_then_classify_of_a_file_labels_what_the_ingest_wrote_once_its_blocks_are_let_go(tmp_path, write_traj):
    traj = write_traj("repo__x-1", [("sudo killall python3", "", 0)])
    db = str(tmp_path / "one.duckdb")
    res = CliRunner().invoke(main, ["ingest", str(traj), "--db", db, "--classify"])
    assert res.exit_code == 0, res.output
    con = duckdb.connect(db, read_only=True)
    try:
        labels = con.execute("SELECT label_id FROM labels").fetchall()
    finally:
        con.close()
    assert ("PROC-KILL",) in labels
