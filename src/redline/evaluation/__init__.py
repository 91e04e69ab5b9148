"""Compare the database's labels with human gold labels: ``redline eval GOLD.jsonl``.

The gold format and how a gold row is matched to a stored step are described in
:mod:`redline.gold`. This package scores the labels of matched steps
(:mod:`~redline.evaluation.score`), computes the statistics (:mod:`~redline.evaluation.metrics`,
:mod:`~redline.evaluation.bootstrap`) and prints them (:mod:`~redline.evaluation.render`).

What is compared
    For each matched gold row: the labels on its action, on the observation(s) answering it and
    on the assistant messages of its turn (see :func:`redline.gold.step_targets`), as the
    ``current_labels`` view shows them (labels of complete classify runs). Only IDs that an
    active registered classifier gives for that unit are scored. Labels of a matched step that
    the gold row does not carry are false positives; every label of an unmatched row counts as
    missed, and its ``item_id`` is listed.

Sources
    Where a rule and a learned model both cover an ID, the labels say which gave them
    (``labels.source``); :func:`~redline.evaluation.score.evaluate_sources` scores the rule's,
    the model's and the combined labels (the union, as stored, with auditors' decisions applied)
    separately, and ``redline eval`` prints all three.

Statistics
    Per label: support (gold rows carrying it), tp, fp, fn, precision, recall, F1, and a 95%
    interval for F1 from a percentile bootstrap over gold rows (:data:`~redline.evaluation.bootstrap.RESAMPLES`
    resamples with a fixed seed, so results are reproducible; the interval is widened to
    contain the point estimate). Precision, recall or F1 with a zero denominator are 0. Micro
    averages pool tp/fp/fn over a unit's labels; macro averages are the mean F1 of the unit's
    labels that occur in the gold rows or the predictions. Labels that occur in neither are not
    listed. A resample in which a label neither occurs nor is predicted is left out of that
    label's interval (its F1 is 0/0 there), so a label that is always right has [1, 1].
"""

from .render import render_sources, render_text
from .results import EvalResult, LabelStats, Miss, RowResult
from .score import SOURCES, evaluate, evaluate_sources, load_gold, registry_universe

__all__ = ["EvalResult", "LabelStats", "Miss", "RowResult", "SOURCES", "evaluate", "evaluate_sources", "load_gold",
           "registry_universe", "render_sources", "render_text"]
