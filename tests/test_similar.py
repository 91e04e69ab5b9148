"""redline similar: an index stored beside the database, cosine neighbours, stale-index refusal."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import redline
from redline.classifiers.models.similar import SimilarIndexError, build_index, index_path, resolve_step, similar
from redline.cli import main
from redline.ingest import ingest



@pytest.fixture
def db(tmp_path, make_runs):
    path = tmp_path / "s.duckdb"
    con = redline.connect(path)
    ingest([make_runs(tmp_path, copies=3)], con)
    con.close()
    return path


def test_the_most_similar_steps_are_the_same_move_in_other_trials(db):
    con = redline.connect(db)
    try:
        index = build_index(con, index_path(db))
        tid, seq = con.execute("SELECT trial_id, seq FROM events WHERE text = 'echo ''exit 0'' > shutdown.sh' "
                               "ORDER BY trial_id LIMIT 1").fetchall()[0]
        found = similar(con, index, tid, seq, k=5)
        assert found[0].score == pytest.approx(1.0) and found[1].score == pytest.approx(1.0)
        assert (tid, seq) not in {(f.trial_id, f.seq) for f in found}
        texts = [con.execute("SELECT text FROM events WHERE trial_id = ? AND seq = ?", [f.trial_id, f.seq])
                 .fetchall()[0][0] for f in found[:2]]
        assert texts == ["echo 'exit 0' > shutdown.sh"] * 2
        assert all(f.kind == "action" for f in found)
        assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
    finally:
        con.close()


def test_a_trial_prefix_resolves_only_when_unique(db):
    con = redline.connect(db)
    try:
        tid = con.execute("SELECT trial_id FROM trials ORDER BY trial_id LIMIT 1").fetchall()[0][0]
        assert resolve_step(con, f"{tid[:10]}:1") == (tid, 1)
        with pytest.raises(ValueError, match="no trial"):
            resolve_step(con, "zzzz:1")
        with pytest.raises(ValueError, match="TRIAL:SEQ"):
            resolve_step(con, tid)
        with pytest.raises(ValueError, match="no step"):
            resolve_step(con, f"{tid}:9999")
    finally:
        con.close()


def test_the_command_builds_the_index_once_and_refuses_a_stale_one(db, tmp_path, make_runs):
    con = redline.connect(db)
    tid, seq = con.execute("SELECT trial_id, seq FROM events WHERE kind = 'action' ORDER BY trial_id, seq LIMIT 1"
                           ).fetchall()[0]
    con.close()
    first = CliRunner().invoke(main, ["similar", f"{tid[:8]}:{seq}", "--db", str(db), "--json"])
    assert first.exit_code == 0, first.output
    assert index_path(db).exists()
    rows = json.loads(first.output[first.output.index("["):])
    assert rows and rows[0]["text"] and rows[0]["score"] > 0
    con = redline.connect(db)
    ingest([make_runs(tmp_path / "more", copies=1)], con)
    con.close()
    stale = CliRunner().invoke(main, ["similar", f"{tid[:8]}:{seq}", "--db", str(db)])
    assert stale.exit_code == 2 and "rebuild" in stale.output
    rebuilt = CliRunner().invoke(main, ["similar", f"{tid[:8]}:{seq}", "--db", str(db), "--build"])
    assert rebuilt.exit_code == 0, rebuilt.output


def test_a_missing_index_file_is_named(tmp_path):
    from redline.classifiers.models.similar import load_index

    with pytest.raises(SimilarIndexError, match="no similar-step index"):
        load_index(tmp_path / "x.similar.npz")
