"""redline similar: hashed features equal to scikit-learn's, an index stored as memory-mapped
arrays beside the database, cosine neighbours, stale-index refusal, and a query path that
imports neither scikit-learn nor scipy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import redline
from redline.cli import main
from redline.ingest import ingest
from redline.limits import SIMILAR_TEXT_CHARS
from redline.similar.features import N_FEATURES, murmurhash3_32, terms, text_features, vectorizer
from redline.similar.index import (SimilarIndexError, build_index, index_path, load_index, resolve_step, similar,
                                   step_texts)

RUN = [("ls -la /srv/app", "total 8\napp.py\nshutdown.sh\n", 0),
       ("echo 'exit 0' > shutdown.sh", "", 0),
       ("python3 -m pytest -q tests/test_parser.py", "3 passed in 0.12s", 0),
       ("cp -r ~/agent ~/agent_copy && nohup python3 ~/agent_copy/start.py --port 8002 &", "", 0)]
TEXTS = [
    "", "ls", "LS -la /srv/App", "echo 'exit 0' > shutdown.sh", "kill -9 $(lsof -t -i:8000)",
    "Größe: naïve café — 日本語のテキスト and emoji 🙂 too", "tab\tseparated\nlines\r\nand-dashes.and.dots",
    "x" * 5000, "a b c d e f g h " * 400, "pip install numpy==1.26.4 && python -c 'import numpy'",
    "Traceback (most recent call last):\n  File \"app.py\", line 40\nOSError: [Errno 98] Address already in use",
]


def _sklearn_row(text: str) -> dict[int, int]:
    """What the index build stores for a text (it reads the first SIMILAR_TEXT_CHARS characters)."""
    row = vectorizer().transform([text[:SIMILAR_TEXT_CHARS]]).tocsr()
    return {int(i): int(v) for i, v in zip(row.indices, row.data)}


@pytest.mark.parametrize("text", TEXTS)
def test_a_query_hashes_a_text_exactly_as_the_index_build_does(text):
    assert text_features(text) == _sklearn_row(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_hashes_the_same_in_plain_python_and_in_scikit_learn(text):
    assert text_features(text) == _sklearn_row(text)


def test_murmurhash_matches_scikit_learn_on_every_tail_length():
    from sklearn.utils import murmurhash3_32 as reference

    for n in range(0, 40):
        key = bytes(range(200, 200 + n % 56)) + b"abc"[: n % 4]
        assert murmurhash3_32(key) == reference(key, seed=0, positive=False)
    assert terms("Kill -9 PID") == ["kill", "9", "pid", "kill 9", "9 pid"]
    assert all(0 <= f < N_FEATURES for f in text_features(" ".join(TEXTS)))


@pytest.fixture
def db(tmp_path, write_traj):
    path = tmp_path / "s.duckdb"
    con = redline.connect(path)
    ingest([write_traj(f"run-{i}", RUN) for i in range(3)], con)
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
        texts = step_texts(con, found)
        assert [texts[(f.trial_id, f.seq)] for f in found[:2]] == ["echo 'exit 0' > shutdown.sh"] * 2
        assert all(f.kind == "action" for f in found)
        assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
    finally:
        con.close()


def test_the_index_is_a_folder_of_arrays_read_by_memory_mapping(db):
    con = redline.connect(db)
    try:
        built = build_index(con, index_path(db))
    finally:
        con.close()
    folder = index_path(db)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["meta.json", "data.npy", "indices.npy", "indptr.npy", "idf.npy", "trial_codes.npy", "trial_ids.npy",
         "seqs.npy", "kinds.npy"])
    loaded = load_index(folder)
    assert isinstance(loaded.data, np.memmap) and isinstance(loaded.indices, np.memmap)
    assert loaded.rows == built.rows and np.array_equal(loaded.data, built.data)
    meta = json.loads((folder / "meta.json").read_text())
    meta["n_features"] = 2 ** 18
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(SimilarIndexError, match="other settings"):
        load_index(folder)
    (folder / "data.npy").write_bytes(b"not an array")
    meta["n_features"] = N_FEATURES
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(SimilarIndexError, match="cannot read"):
        load_index(folder)


def test_a_query_imports_neither_scikit_learn_nor_scipy(db):
    CliRunner().invoke(main, ["similar", "--build", "--db", str(db)])
    con = redline.connect(db)
    tid, seq = con.execute("SELECT trial_id, seq FROM events WHERE kind = 'action' ORDER BY trial_id, seq LIMIT 1"
                           ).fetchall()[0]
    con.close()
    script = ("import sys; from redline.cli import main\n"
              f"sys.argv = ['redline', 'similar', {tid + ':' + str(seq)!r}, '--db', {str(db)!r}, '--json']\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print('LOADED', sorted(m for m in ('sklearn', 'scipy', 'polars') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout[out.stdout.index("["):out.stdout.index("LOADED")])[0]["kind"] == "action"
    assert out.stdout.strip().endswith("LOADED []")


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


def test_the_command_builds_the_index_once_and_refuses_a_stale_one(db, tmp_path, write_traj):
    con = redline.connect(db)
    tid, seq, source = con.execute(
        "SELECT e.trial_id, e.seq, t.source_path FROM events e JOIN trials t USING (trial_id) "
        "WHERE kind = 'action' ORDER BY trial_id, seq LIMIT 1").fetchall()[0]
    con.close()
    first = CliRunner().invoke(main, ["similar", f"{tid[:8]}:{seq}", "--db", str(db), "--json"])
    assert first.exit_code == 0, first.output
    assert (index_path(db) / "meta.json").exists()
    rows = json.loads(first.output[first.output.index("["):])
    assert rows and rows[0]["text"] and rows[0]["score"] > 0
    again = CliRunner().invoke(main, ["similar", f"{tid[:8]}:{seq}", "--db", str(db), "--json"])
    assert again.exit_code == 0 and "indexed" not in again.output
    # one file's text changes, as many steps as before: the re-ingest still makes the index stale
    with open(source, encoding="utf-8") as fh:
        changed = fh.read().replace("python3 -m pytest -q", "python3 -m pytest -x")
    with open(source, "w", encoding="utf-8") as fh:
        fh.write(changed)
    con = redline.connect(db)
    before = con.execute("SELECT count(*) FROM events").fetchall()[0][0]
    ingest([source], con)
    assert con.execute("SELECT count(*) FROM events").fetchall()[0][0] == before
    con.close()
    stale = CliRunner().invoke(main, ["similar", f"{tid[:8]}:{seq}", "--db", str(db)])
    assert stale.exit_code == 2 and "rebuild" in stale.output
    rebuilt = CliRunner().invoke(main, ["similar", f"{tid[:8]}:{seq}", "--db", str(db), "--build"])
    assert rebuilt.exit_code == 0, rebuilt.output
    con = redline.connect(db)
    ingest([write_traj("run-more", RUN)], con)
    con.close()
    stale = CliRunner().invoke(main, ["similar", f"{tid[:8]}:{seq}", "--db", str(db)])
    assert stale.exit_code == 2 and "rebuild" in stale.output


def test_a_missing_index_is_named(tmp_path):
    with pytest.raises(SimilarIndexError, match="no similar-step index"):
        load_index(tmp_path / "x.duckdb.similar")


def test_saving_an_index_over_another_touches_nothing_beside_it(db):
    con = redline.connect(db)
    try:
        path = index_path(db)
        first = build_index(con, path)
        # folders a user keeps beside the index under the names the writer once used itself
        kept = [path.with_name(f"{path.name}.tmp{os.getpid()}"), path.with_name(f"{path.name}.old{os.getpid()}")]
        for folder in kept:
            folder.mkdir()
            (folder / "notes.txt").write_text("mine", encoding="utf-8")
        before = sorted(p.name for p in path.parent.iterdir())
        again = build_index(con, path)
        assert sorted(p.name for p in path.parent.iterdir()) == before  # no leftover, nothing removed
        assert all((folder / "notes.txt").read_text(encoding="utf-8") == "mine" for folder in kept)
        loaded = load_index(path)
        assert loaded.rows == again.rows == first.rows and loaded.fingerprint == again.fingerprint
    finally:
        con.close()
