"""Learned classifiers as registry entries: :class:`ModelSpec` and the scikit-learn pipelines.

A model is declared like a rule (catalogue IDs, name, summary, documentation in the same
sections, examples, status), with a scikit-learn pipeline as its body instead of a match
expression. The pipelines are stock scikit-learn: TF-IDF features of the step's text and its
context, a logistic regression, and sigmoid calibration (``CalibratedClassifierCV``), so a
score is a probability and one threshold per model turns it into a decision. A pipeline
object is built fresh by :meth:`ModelSpec.pipeline` and only ever fitted; what it learned is
in its fitted attributes (scikit-learn's convention), saved by :mod:`.files`.

Two kinds of model:

``label``
    its decisions are labels, written to ``labels`` with ``source = 'model'`` (or
    ``'rule+model'`` where the rule for the same ID fired too). Both message models are of
    this kind. Where the rule is silent, a decision becomes a label only at the model's
    stricter *adding threshold* (``union_min_precision``); below it, a suggestion.
``suggestion``
    its decisions are *suggestions*, written to the ``suggestions`` table with their score,
    never to ``labels``: an auditor accepts or rejects them (``redline label``). The action
    model is of this kind: it flags commands that look like high-severity actions on steps
    where no rule gave a high-severity label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from ..catalogue import CODES

#: the inputs a model may read, per unit: the step's own text and its context
#: (message: the observation before it and the task prompt; action: the command line and the
#: agent's text of that turn)
INPUTS: dict[str, tuple[str, ...]] = {
    "message": ("text", "prev", "task"),
    "action": ("command", "thought"),
}
#: the word that starts every context input, so that an empty context is still a document
CONTEXT_MARK = "ctx"


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """A learned classifier's declaration (what the registry lists and ``redline rule`` shows)."""

    #: the model's key: the catalogue ID it predicts, or a name of the form FAMILY-NAME for a
    #: model that predicts several IDs
    id: str
    name: str
    unit: Literal["message", "action"]
    #: the catalogue IDs it predicts
    labels: tuple[str, ...]
    kind: Literal["label", "suggestion"]
    summary: str
    doc: str = ""
    #: the inputs it reads (a subset of :data:`INPUTS` for its unit; the first is the step's own text)
    inputs: tuple[str, ...] = ()
    #: how its threshold is chosen on validation data: None = the one with the best F1; a number =
    #: the lowest with at least this precision (the best F1 when none reaches it)
    min_precision: float | None = None
    #: for a ``label`` model: a label the rule of its ID did not give is added only at a score
    #: where the model's precision on validation rows the rule leaves unlabelled reaches this (the
    #: *adding threshold*, never below its own threshold); a decision between the two thresholds
    #: is stored as a suggestion for an auditor instead. None: the model's own threshold adds.
    union_min_precision: float | None = None
    #: inverse regularisation of the logistic regression
    C: float = 4.0
    techniques: tuple[str, ...] = ()
    hits: tuple[Any, ...] = ()
    misses: tuple[Any, ...] = ()
    status: Literal["stable", "experimental", "deprecated"] = "experimental"
    successor: str | None = None
    #: the version of the declaration (features, estimator, threshold policy); a trained model's
    #: version adds a hash of what it learned
    version: str = "1"

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]+(-[A-Z0-9]+)+", self.id):
            raise ValueError(f"model ID {self.id!r} is not of the form FAMILY-NAME")
        unknown = [lid for lid in self.labels if lid not in CODES]
        if unknown:
            raise ValueError(f"model {self.id}: {', '.join(unknown)} not in the catalogue's code table")
        bad = [i for i in self.inputs if i not in INPUTS[self.unit]]
        if bad or not self.inputs or self.inputs[0] != INPUTS[self.unit][0]:
            raise ValueError(f"model {self.id}: inputs must start with {INPUTS[self.unit][0]!r} and be among "
                             f"{INPUTS[self.unit]} (got {self.inputs})")

    @property
    def on(self) -> str:
        return self.unit

    @property
    def classifier_version(self) -> str:
        return f"model-{self.version}"

    def with_inputs(self, inputs: tuple[str, ...]) -> ModelSpec:
        """The same model reading other inputs (to measure whether a context input helps)."""
        from dataclasses import replace

        return replace(self, inputs=tuple(inputs))

    def pipeline(self):
        """A new, unfitted scikit-learn pipeline: TF-IDF of hashed word n-grams and character
        n-grams of each input (no vocabulary to store: a saved model is arrays only, and loads
        fast), a logistic regression calibrated with sigmoid scaling. A ``suggestion`` model
        predicts each of its IDs (one-vs-rest)."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.compose import ColumnTransformer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import Pipeline

        main = self.inputs[0]
        token = r"(?u)\b\w[\w.'-]*\b" if self.unit == "message" else r"[^\s'\"`;|&<>()=]+"
        parts = [
            ("words", _tfidf(analyzer="word", ngram_range=(1, 2), token_pattern=token), main),
            ("chars", _tfidf(analyzer="char_wb", ngram_range=(3, 5)), main),
        ]
        parts += [(name, _tfidf(analyzer="word", ngram_range=(1, 2), n_features=CONTEXT_FEATURES), name)
                  for name in self.inputs[1:]]
        linear = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", dual=True, max_iter=2000,
                                    random_state=0)
        clf = CalibratedClassifierCV(linear, method="sigmoid", cv=3, ensemble=False)
        if self.kind == "suggestion":
            clf = OneVsRestClassifier(clf)
        return Pipeline([("features", ColumnTransformer(parts)), ("classify", clf)])


#: hashed features per input of the step's own text, and per context input
TEXT_FEATURES = 2 ** 18
CONTEXT_FEATURES = 2 ** 16


def _tfidf(n_features: int = TEXT_FEATURES, **kwargs):
    """Hashed n-gram counts, then TF-IDF weights (sublinear term frequency), as one pipeline."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.pipeline import Pipeline

    return Pipeline([("hash", HashingVectorizer(n_features=n_features, alternate_sign=False, norm=None,
                                                dtype=_float32(), **kwargs)),
                     ("tfidf", TfidfTransformer(sublinear_tf=True))])


def _float32():
    import numpy as np

    return np.float32
