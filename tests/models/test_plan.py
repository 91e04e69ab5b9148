"""A classify run's plan: a label model runs together with the rules of its labels, whether the
model is trained (the run applies it) or only declared (a run without it redoes its rules)."""

from __future__ import annotations

import redline
from redline.classifiers.plan import label_models, plan
from redline.classifiers.registry import active_rules
from redline.classifiers.store import classify
from redline.ingest import ingest


def test_label_models_map_each_label_model_to_the_rules_it_merges_with(small_model):
    assert label_models() == {"model:MSG-SELFPRES": ["MSG-SELFPRES"], "model:MSG-GIVEUP": ["MSG-GIVEUP"]}
    assert label_models({"MSG-GIVEUP"}) == {"model:MSG-SELFPRES": [], "model:MSG-GIVEUP": ["MSG-GIVEUP"]}
    # a trained model's spec answers the same as its declaration
    assert label_models(None, [small_model.spec]) == {"model:MSG-SELFPRES": ["MSG-SELFPRES"]}


def test_a_trained_label_model_runs_with_its_rule_and_a_run_without_it_redoes_that_rule(tmp_path, small_model,
                                                                                        make_runs):
    con = redline.connect(tmp_path / "p.duckdb")
    try:
        ingest([make_runs(tmp_path)], con)
        rules = active_rules()
        classify(con, rules)  # every rule current; no model ever applied
        [only] = plan(con, rules, [small_model])
        assert {r.id for r in only.rules} == {"MSG-SELFPRES"} and only.models == [small_model]
        assert len(only.trial_ids) == 2
        classify(con, rules, models=[small_model])
        assert plan(con, rules, [small_model]) == []
        # without the model, the rule whose labels it shared runs again, and nothing else
        again = plan(con, rules, [])
        assert {r.id for p in again for r in p.rules} == {"MSG-SELFPRES"}
        assert not any(p.models for p in again)
    finally:
        con.close()
