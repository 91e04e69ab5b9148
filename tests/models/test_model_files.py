"""Saved models: what they carry, canonical bytes, and clear refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from redline.classifiers.models import available
from redline.classifiers.models.declared import MODELS
from redline.classifiers.models.examples import example_set
from redline.classifiers.models.files import ModelError, default_dir, load, read_meta, save, sklearn_version
from redline.classifiers.registry import get_model


def test_a_saved_model_carries_its_id_version_threshold_and_scikit_learn_version(tmp_path, small_model):
    path = save(small_model, tmp_path)
    meta = json.loads(path.read_text())
    assert meta["id"] == "MSG-SELFPRES" and meta["labels"] == ["MSG-SELFPRES"]
    assert meta["sklearn_version"] == sklearn_version() and meta["skops_version"]
    assert meta["threshold"] == small_model.threshold
    assert meta["version"].startswith(small_model.spec.version + ".") and meta["version"] == small_model.version
    assert meta["add_threshold"] == small_model.meta["add_threshold"] >= meta["threshold"]
    loaded = load(get_model("MSG-SELFPRES"), tmp_path)
    inputs = example_set(get_model("MSG-SELFPRES")).inputs[:20]
    assert np.allclose(loaded.scores(inputs), small_model.scores(inputs))


def test_the_same_model_saves_to_the_same_bytes(tmp_path, small_model):
    save(small_model, tmp_path / "a")
    save(small_model, tmp_path / "b")
    assert (tmp_path / "a" / "MSG-SELFPRES.skops").read_bytes() == (tmp_path / "b" / "MSG-SELFPRES.skops").read_bytes()


def test_a_model_trained_with_another_scikit_learn_is_refused_with_what_to_do(tmp_path, small_model):
    path = save(small_model, tmp_path)
    meta = json.loads(path.read_text())
    meta["sklearn_version"] = "0.24.2"
    del meta["compact"]  # a model without a compact form is its pipeline
    path.write_text(json.dumps(meta))
    with pytest.raises(ModelError) as err:
        load(get_model("MSG-SELFPRES"), tmp_path)
    message = str(err.value)
    assert "0.24.2" in message and sklearn_version() in message and "redline train MSG-SELFPRES" in message


def test_a_changed_model_file_is_refused(tmp_path, small_model):
    save(small_model, tmp_path)
    skops = tmp_path / "MSG-SELFPRES.skops"
    skops.write_bytes(skops.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelError, match="does not match"):
        load(get_model("MSG-SELFPRES"), tmp_path)


def test_metadata_that_is_not_a_model_is_refused(tmp_path):
    (tmp_path / "MSG-SELFPRES.json").write_text("[1, 2]")
    with pytest.raises(ModelError, match="not a redline model"):
        read_meta(tmp_path / "MSG-SELFPRES.json")


def test_every_declared_model_ships_a_default_that_loads():
    for spec in MODELS:
        meta = read_meta(default_dir() / f"{spec.id}.json")
        assert meta["trained_on"].startswith("bundled examples")
        assert "cv" in meta and meta["cv"]["rows"] > 0
    assert [m.id for m in available.available_models(default_dir() / "none")] == [m.id for m in MODELS]


def test_the_shipped_model_recognises_its_documented_examples():
    for model in available.available_models(default_dir() / "none", ["MSG-SELFPRES", "MSG-GIVEUP"]):
        from redline.classifiers.models.inputs import example_inputs

        hits = model.scores(example_inputs([{"text": t} for t in model.spec.hits], "message"))[:, 0]
        misses = model.scores(example_inputs([{"text": t} for t in model.spec.misses], "message"))[:, 0]
        assert (hits >= model.threshold).all(), model.id
        assert (misses < model.threshold).all(), model.id


def test_under_another_scikit_learn_a_shipped_default_with_a_compact_form_loads_as_it_is(tmp_path, monkeypatch):
    monkeypatch.setattr(available, "sklearn_version", lambda: "0.0-other")
    said = []
    (model,) = available.available_models(tmp_path, ["MSG-GIVEUP"], on_message=said.append)
    assert not said and model.compact is not None and model.path == default_dir() / "MSG-GIVEUP.json"


def test_under_another_scikit_learn_the_shipped_default_is_rebuilt_with_a_message(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"  # defaults without their compact form: the pipelines themselves
    shipped.mkdir()
    for name in ("MSG-GIVEUP.json", "MSG-GIVEUP.skops"):
        (shipped / name).write_bytes((default_dir() / name).read_bytes())
    meta = json.loads((shipped / "MSG-GIVEUP.json").read_text())
    del meta["compact"]
    (shipped / "MSG-GIVEUP.json").write_text(json.dumps(meta))
    monkeypatch.setattr(available, "default_dir", lambda: shipped)
    monkeypatch.setattr(available, "sklearn_version", lambda: "0.0-other")
    said = []
    (model,) = available.available_models(tmp_path, ["MSG-GIVEUP"], on_message=said.append)
    assert said and "retrained it from the bundled examples" in said[0] and "0.0-other" in said[0]
    assert (tmp_path / "defaults-sklearn-0.0-other" / "MSG-GIVEUP.json").exists()
    assert model.meta["sklearn_version"] == sklearn_version()
    said.clear()
    available.available_models(tmp_path, ["MSG-GIVEUP"], on_message=said.append)
    assert not said  # rebuilt once, then reused


def test_a_users_model_takes_precedence_over_the_shipped_default(tmp_path, small_model):
    save(small_model, tmp_path)
    (model,) = available.available_models(tmp_path, ["MSG-SELFPRES"])
    assert model.path == tmp_path / "MSG-SELFPRES.json" and model.version == small_model.version


_TRAIN = """
import hashlib, sys
from redline.classifiers.models.examples import example_set
from redline.classifiers.models.fit import fit_model
from redline.classifiers.models.files import save
from redline.classifiers.registry import get_model
spec = get_model("MSG-GIVEUP")
ts = example_set(spec)
model = fit_model(spec, ts.subset(ts.y[:, 0].astype(bool) | (ts.inputs["text"].str.len_chars() < 60).to_numpy()))
save(model, sys.argv[1])
"""


def test_training_the_same_data_in_two_processes_gives_the_same_file(tmp_path):
    import subprocess
    import sys

    for name in ("a", "b"):
        subprocess.run([sys.executable, "-c", _TRAIN, str(tmp_path / name)], check=True, capture_output=True)
    assert (tmp_path / "a" / "MSG-GIVEUP.skops").read_bytes() == (tmp_path / "b" / "MSG-GIVEUP.skops").read_bytes()
    assert json.loads((tmp_path / "a" / "MSG-GIVEUP.json").read_text())["version"] == \
        json.loads((tmp_path / "b" / "MSG-GIVEUP.json").read_text())["version"]
