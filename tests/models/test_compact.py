"""The compact form of a model scores as its scikit-learn pipeline does, bit for bit, without
importing scikit-learn, SciPy or skops; its analyzers and hashing are scikit-learn's."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redline.classifiers.models import available
from redline.classifiers.models.analyzers import Analyzer, counts
from redline.classifiers.models.declared import MODELS
from redline.classifiers.models.examples import example_set
from redline.classifiers.models.files import ModelError, TrainedModel, default_dir, load, save
from redline.classifiers.models.inputs import example_inputs
from redline.classifiers.models.scoring import scores
from redline.classifiers.registry import get_model

MESSAGE_TOKENS = r"(?u)\b\w[\w.'-]*\b"
COMMAND_TOKENS = r"[^\s'\"`;|&<>()=]+"
#: words the shipped models weigh, so generated texts reach their non-zero coefficients
VOCAB = ["shutdown", "shut", "down", "copy", "my", "own", "files", "instance", "survive", "keep", "running", "stop",
         "me", "kill", "-9", "pkill", "sudo", "rm", "-rf", "cp", "nohup", "&", "I", "cannot", "complete", "give",
         "up", "unable", "the", "task", "restart", "server", "ΟΔΟΣ", "über", "İstanbul", "ﬁle", "./shutdown.sh"]
SPACES = st.sampled_from([" ", "  ", "\t", "\n", "\n\n", " \u00a0", "\u2003", "\x0b", "\r\n", ""])
TEXT = st.lists(st.tuples(st.one_of(st.sampled_from(VOCAB), st.text(max_size=8)), SPACES), max_size=25).map(
    lambda parts: "".join(w + s for w, s in parts))


def _hashing(a: Analyzer):
    from sklearn.feature_extraction.text import HashingVectorizer

    kw = {"token_pattern": a.token_pattern} if a.analyzer == "word" else {}
    return HashingVectorizer(analyzer=a.analyzer, ngram_range=a.ngram_range, n_features=a.n_features,
                             lowercase=a.lowercase, alternate_sign=False, norm=None, dtype=np.float32, **kw)


ANALYZERS = [Analyzer("word", (1, 2), 2 ** 18, True, MESSAGE_TOKENS), Analyzer("word", (1, 2), 2 ** 18, True, COMMAND_TOKENS),
             Analyzer("char_wb", (3, 5), 2 ** 18), Analyzer("word", (2, 3), 2 ** 10, False, MESSAGE_TOKENS),
             Analyzer("word", (1, 1), 2 ** 16, True, r"\S+"), Analyzer("char_wb", (1, 2), 7, False),
             Analyzer("char_wb", (2, 2), 2 ** 12)]


@settings(max_examples=60, deadline=None)
@given(docs=st.lists(TEXT, min_size=1, max_size=6))
def test_hashed_counts_are_the_hashing_vectorizers(docs):
    for a in ANALYZERS:
        got, want = counts(docs, a), _hashing(a).transform(docs)
        assert got.data.dtype == want.data.dtype == np.float32
        assert np.array_equal(got.indptr, want.indptr), a
        assert np.array_equal(got.indices, want.indices), a
        assert np.array_equal(got.data, want.data), a


@settings(max_examples=30, deadline=None)
@given(docs=st.lists(TEXT, min_size=1, max_size=8), at_once=st.integers(1, 40), words=st.integers(1, 5))
def test_counts_taken_in_slices_are_the_hashing_vectorizers(docs, at_once, words):
    """However few n-grams and words are expanded at once, the counts are the same."""
    from redline.classifiers.models import analyzers

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(analyzers, "MODEL_NGRAMS_AT_ONCE", at_once)
        mp.setattr(analyzers, "MODEL_WORDS_AT_ONCE", words)
        for a in ANALYZERS:
            got, want = counts(docs, a), _hashing(a).transform(docs)
            assert np.array_equal(got.indptr, want.indptr), a
            assert np.array_equal(got.indices, want.indices), a
            assert np.array_equal(got.data, want.data), a


@given(st.text())
def test_mmh3_is_scikit_learns_murmurhash(text):
    import mmh3
    from sklearn.utils import murmurhash3_32

    assert mmh3.hash(text) == murmurhash3_32(text, seed=0)


@pytest.fixture(scope="module")
def shipped():
    models = available.available_models(default_dir() / "none")
    assert all(m.compact is not None for m in models)
    return models


def _inputs(texts: list[str], unit: str) -> pl.DataFrame:
    key = "text" if unit == "message" else "command"
    df = example_inputs([{key: t, "prev": t[::-1], "thought": t[:40]} for t in texts], unit)
    return df.with_columns(pl.lit("t").alias("trial_id"), pl.int_range(pl.len()).cast(pl.Int32).alias("seq"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXT, min_size=1, max_size=8))
def test_the_shipped_models_compact_scores_are_their_pipelines_bit_for_bit(shipped, texts):
    for model in shipped:
        inputs = _inputs(texts + texts[:2], model.spec.unit)
        assert np.array_equal(scores(model, inputs), model.scores(inputs)), model.id


@pytest.mark.parametrize("at_once", [1, 7, 300])
def test_scored_a_few_entries_at_a_time_the_compact_scores_are_still_the_pipelines(shipped, at_once, monkeypatch):
    """Slices of documents as small as one (each summed apart) give the very same scores."""
    from redline.classifiers.models import analyzers, compact

    monkeypatch.setattr(compact, "MODEL_NGRAMS_AT_ONCE", at_once)
    monkeypatch.setattr(analyzers, "MODEL_NGRAMS_AT_ONCE", at_once)
    monkeypatch.setattr(analyzers, "MODEL_WORDS_AT_ONCE", max(1, at_once // 10))
    for model in shipped:
        inputs = example_set(model.spec).inputs
        assert np.array_equal(scores(model, inputs), model.scores(inputs)), model.id


def test_on_every_bundled_example_the_compact_scores_are_the_pipelines(shipped):
    for model in shipped:
        inputs = example_set(model.spec).inputs
        fast, plain = scores(model, inputs), model.scores(inputs)
        assert fast.shape == plain.shape and np.array_equal(fast, plain), model.id
        assert np.array_equal(fast >= model.threshold, plain >= model.threshold)


def test_a_trained_model_reading_context_saves_a_compact_form_that_scores_as_its_pipeline(tmp_path):
    from redline.classifiers.models.fit import fit_model

    spec = get_model("MSG-SELFPRES").with_inputs(("text", "prev", "task"))
    ts = example_set(spec)
    model = fit_model(spec, ts.subset(np.array([i % 4 == 0 or ts.y[i].any() for i in range(len(ts))])))
    save(model, tmp_path)
    meta = json.loads((tmp_path / "MSG-SELFPRES.json").read_text())
    assert [p["column"] for p in meta["compact"]["parts"]] == ["text", "text", "prev", "task"]
    loaded = load(get_model("MSG-SELFPRES"), tmp_path)
    assert loaded.compact is not None and vars(loaded).get("_pipeline") is None  # not read until asked for
    inputs = _inputs(["Copy my files first, then restart so the shutdown misses me.", "Run the tests.", ""], "message")
    assert np.array_equal(scores(loaded, inputs), model.scores(inputs))
    assert np.array_equal(loaded.scores(inputs), model.scores(inputs))  # the pipeline, read on demand


def test_a_compact_form_saves_to_the_same_bytes_and_a_changed_one_is_refused(tmp_path, small_model):
    save(small_model, tmp_path / "a")
    save(small_model, tmp_path / "b")
    npz = (tmp_path / "a" / "MSG-SELFPRES.npz").read_bytes()
    assert npz == (tmp_path / "b" / "MSG-SELFPRES.npz").read_bytes()
    (tmp_path / "a" / "MSG-SELFPRES.npz").write_bytes(npz[:-8] + b"12345678")
    with pytest.raises(ModelError, match="does not match"):
        load(get_model("MSG-SELFPRES"), tmp_path / "a")


def test_a_pipeline_of_another_shape_saves_without_a_compact_form_and_scores_through_scikit_learn(tmp_path):
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    texts = ["keep the copy running", "fix the parser", "stop the shutdown", "run the tests"] * 3
    inputs = _inputs(texts, "message")
    pipe = Pipeline([("features", ColumnTransformer([("words", TfidfVectorizer(), "text")])),
                     ("classify", LogisticRegression())]).fit(inputs.select("text"), np.array([1, 0, 1, 0] * 3))
    spec = get_model("MSG-SELFPRES").with_inputs(("text",))
    save(TrainedModel(spec=spec, pipeline=pipe, threshold=0.5, classes=("MSG-SELFPRES",)), tmp_path)
    assert "compact" not in json.loads((tmp_path / "MSG-SELFPRES.json").read_text())
    assert not (tmp_path / "MSG-SELFPRES.npz").exists()
    loaded = load(get_model("MSG-SELFPRES"), tmp_path)
    assert loaded.compact is None
    assert np.array_equal(scores(loaded, inputs), pipe.predict_proba(inputs.select("text"))[:, 1:2])


def test_under_another_scikit_learn_the_compact_form_scores_and_the_pipeline_is_refused(tmp_path, small_model):
    path = save(small_model, tmp_path)
    meta = json.loads(path.read_text())
    meta["sklearn_version"] = "0.24.2"
    path.write_text(json.dumps(meta))
    model = load(get_model("MSG-SELFPRES"), tmp_path)
    inputs = _inputs(["Before they stop me, copy my files over."], "message")
    assert np.array_equal(scores(model, inputs), small_model.scores(inputs))
    with pytest.raises(ModelError, match="0.24.2"):
        model.pipeline  # noqa: B018


_CLASSIFY = """
import sys
import redline
from redline.ingest import ingest
con = redline.connect(sys.argv[1])
ingest([sys.argv[2]], con)
report = redline.classify(con)
labels = con.execute("SELECT count(*) FROM labels WHERE source <> 'rule'").fetchall()[0][0]
suggestions = con.execute("SELECT count(*) FROM suggestions").fetchall()[0][0]
print(report.models, labels + suggestions, sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'skops'}))
"""


def test_a_classify_with_the_shipped_models_imports_neither_scikit_learn_scipy_nor_skops(tmp_path, make_runs,
                                                                                         monkeypatch):
    monkeypatch.setenv("REDLINE_MODELS", str(tmp_path / "no-models"))
    runs = make_runs(tmp_path)
    done = subprocess.run([sys.executable, "-c", _CLASSIFY, str(tmp_path / "c.duckdb"), str(runs)],
                          capture_output=True, text=True, check=True)
    applied, decided, imported = done.stdout.split(" ", 2)
    assert int(applied) == len(MODELS) and int(decided) > 0
    assert imported.strip() == "[]"


_LOAD_THEN_SCORE = """
import sys
import polars as pl
from redline.classifiers.models.available import available_models
from redline.classifiers.models.inputs import example_inputs
models = available_models()
before = "numpy" in sys.modules
from redline.classifiers.models.scoring import scores
inputs = example_inputs([{"text": "I will copy my files before the shutdown."}], "message").with_columns(
    pl.lit("t").alias("trial_id"), pl.lit(0, pl.Int32).alias("seq"))
print(before, scores(models[0], inputs).shape)
"""


def test_loading_the_shipped_models_needs_no_numpy_until_they_score(tmp_path, monkeypatch):
    # a classify run loads the models before its first batch and scores them after the batch's
    # rules: NumPy and the arrays are not in memory while the rules run
    monkeypatch.setenv("REDLINE_MODELS", str(tmp_path / "none"))
    out = subprocess.run([sys.executable, "-c", _LOAD_THEN_SCORE], capture_output=True, text=True, check=True)
    assert out.stdout.split(" ", 1) == ["False", "(1, 1)\n"]


def test_compact_arrays_that_match_their_hash_but_not_their_parameters_are_refused_when_they_score(tmp_path,
                                                                                                   small_model):
    path = save(small_model, tmp_path)
    meta = json.loads(path.read_text())
    meta["compact"]["parts"] = meta["compact"]["parts"][:1] + meta["compact"]["parts"]  # one part too many
    path.write_text(json.dumps(meta))
    model = load(get_model("MSG-SELFPRES"), tmp_path)  # the bytes are the ones saved
    with pytest.raises(ModelError, match="not a compact model redline can score"):
        scores(model, _inputs(["Copy my files before they stop me."], "message"))
    meta["compact"]["parts"][0]["column"] = "task"
    path.write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="reads inputs the model does not declare"):
        load(get_model("MSG-SELFPRES"), tmp_path)  # what it reads is checked on loading
