"""Training reads the database in the batches classify uses: bounded by characters as well as by
trials, with the same rows whatever the batches."""

from __future__ import annotations

import redline
from redline.classifiers import reading, training
from redline.classifiers.registry import get_model


def test_training_reads_character_bounded_batches_and_gets_the_same_rows(runs_db, monkeypatch):
    con = redline.connect(runs_db)
    try:
        spec = get_model("SUGGEST-HIGH")
        whole = training.training_set(spec, con, examples=False)
        seen: list[list[list[str]]] = []

        def tiny(con, trial_ids=None, **kwargs):  # a character budget of one: a trial per batch
            out = reading.batches(con, trial_ids, batch_chars=1)
            seen.append(out)
            return out

        monkeypatch.setattr(training, "batches", tiny)
        split = training.training_set(spec, con, examples=False)
        trials = con.execute("SELECT count(*) FROM trials").fetchall()[0][0]
    finally:
        con.close()
    assert seen and all(len(b) == 1 for b in seen[0]) and len(seen[0]) == trials > 1
    assert whole.inputs.height > 0 and split.inputs.equals(whole.inputs)
    assert split.y.tolist() == whole.y.tolist() and split.origin.tolist() == whole.origin.tolist()
