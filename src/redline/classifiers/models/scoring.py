"""Scoring a batch's steps with trained models: the pipeline's own arithmetic, done once per
distinct input and shared between models.

A model with a compact form (:mod:`.compact`, every model of the stock shape saved by this
redline) is scored from it, with NumPy and the hashed counts of :mod:`.analyzers`: no
scikit-learn is imported. The rest of this docstring is about models without one (saved by an
earlier redline, or of another shape), scored through scikit-learn.

:meth:`TrainedModel.scores <redline.classifiers.models.files.TrainedModel.scores>` runs the
fitted pipeline on every row. Almost all of that time is the hashing vectorizers' n-gram
loops in Python, repeated for every copy of the same command or message and for every model
that reads the same text. :func:`scores` computes the very same numbers with less work:

- each model scores each *distinct* input once (every step of a pipeline is row-wise: the
  hashed counts, the TF-IDF weights and normalisation, the linear model and its calibration
  of a row depend on that row alone), and the rows take the scores of their input;
- the hashed n-gram counts of a column are computed once per batch for every model whose
  vectorizer has the same parameters (a hashing vectorizer learns nothing, so two models with
  the same parameters compute the same counts); each model then applies its own fitted TF-IDF
  weights, classifier and calibration;
- the counts of ``char_wb`` n-grams (which never cross whitespace) are summed from the counts
  of each distinct word, hashed once per batch: a document's count vector is the sum of its
  words' vectors. The counts are small integers, exact in float32, so the sum is the same
  matrix, with its indices sorted as the hasher sorts them.

A pipeline not of the stock shape (:meth:`~redline.classifiers.models.spec.ModelSpec.pipeline`:
a column transformer of (hashing vectorizer, TF-IDF) pipelines with sparse output, then a
classifier) is scored by the plain pipeline, on its distinct inputs. The tests check that these
scores equal the plain pipeline's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from .analyzers import Analyzer, Counts, counts
from .files import TrainedModel

#: what a batch's scorer remembers between models: per column, its distinct values and each
#: row's index among them; per (column, vectorizer parameters), the hashed counts of the distinct values
Cache = dict[tuple, Any]


def scores(model: TrainedModel, inputs: pl.DataFrame, cache: Cache | None = None) -> np.ndarray:
    """The same array as ``model.scores(inputs)`` (rows x classes); ``cache`` (one per batch's
    inputs frame) shares the distinct values and hashed counts between models."""
    if inputs.height == 0:
        return np.zeros((0, len(model.classes)))
    cache = {} if cache is None else cache
    cols = list(model.spec.inputs)
    uniq, first, inverse = _combinations(cache, inputs, cols)
    if model.compact is not None:
        parts = model.compact.parts
        counts = [_counts(cache, inputs, p.column, p.analyzer) for p in parts]
        proba = model.compact.proba(counts, uniq[:, [cols.index(p.column) for p in parts]])
        return model.select(proba)[inverse]
    plan = _plan(model.pipeline)
    if plan is None:
        proba = model.pipeline.predict_proba(inputs[first].select(cols))
    else:
        ct, classifier = plan
        parts = []
        for _name, inner, col in ct.transformers_:
            if isinstance(inner, str):  # 'drop'
                continue
            values, _ = _distinct(cache, inputs, col)
            counts = _hashed(cache, inner.steps[0][1], col, values)
            for _step, transformer in inner.steps[1:]:
                counts = transformer.transform(counts)
            parts.append(counts[uniq[:, cols.index(col)]])
        proba = classifier.predict_proba(_hstack(parts))
    return model.select(proba)[inverse]


def _plan(pipeline: Any) -> tuple[Any, Any] | None:
    """(column transformer, classifier) when the pipeline is of the stock shape, else None."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.pipeline import Pipeline

    steps = getattr(pipeline, "steps", None)
    if not isinstance(pipeline, Pipeline) or len(steps) != 2 or not isinstance(steps[0][1], ColumnTransformer):
        return None
    ct = steps[0][1]
    if not getattr(ct, "sparse_output_", False):
        return None
    for _name, inner, col in ct.transformers_:
        if isinstance(inner, str):
            if inner != "drop":
                return None
            continue
        if not isinstance(col, str) or not isinstance(inner, Pipeline) \
                or not isinstance(inner.steps[0][1], HashingVectorizer):
            return None
    return ct, steps[1][1]


def _hstack(parts: list) -> Any:
    """What the column transformer returns for these parts (its sparse output)."""
    from scipy import sparse
    from sklearn.utils import check_array

    return sparse.hstack([check_array(x, accept_sparse=True, ensure_all_finite=False) for x in parts]).tocsr()


def _distinct(cache: Cache, inputs: pl.DataFrame, col: str) -> tuple[list[str], np.ndarray]:
    """The column's distinct values (in order of first appearance) and each row's index among them."""
    key = ("distinct", col)
    if key not in cache:
        values = inputs[col].fill_null("")
        uniq = values.unique(maintain_order=True)
        codes = values.replace_strict(uniq, pl.int_range(len(uniq), eager=True), return_dtype=pl.Int64)
        cache[key] = (uniq.to_list(), codes.to_numpy())
    return cache[key]


def _combinations(cache: Cache, inputs: pl.DataFrame, cols: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct combinations of the columns' values (rows of value indices, one column per
    input), the first row of each, and each row's combination."""
    distinct = [_distinct(cache, inputs, c) for c in cols]
    sizes = [len(values) for values, _ in distinct]
    if int(np.prod(sizes, dtype=float)) < 2 ** 62:  # one int64 key per row
        key = np.zeros(inputs.height, dtype=np.int64)
        for (_, codes), size in zip(distinct, sizes):
            key = key * size + codes
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return np.stack([codes[first] for _, codes in distinct], axis=1), first, inverse.reshape(-1)
    uniq, first, inverse = np.unique(np.stack([codes for _, codes in distinct], axis=1), axis=0,
                                     return_index=True, return_inverse=True)
    return uniq, first, inverse.reshape(-1)


def _counts(cache: Cache, inputs: pl.DataFrame, col: str, analyzer: Analyzer) -> Counts:
    """The hashed counts of the column's distinct values (:mod:`.analyzers`), shared by models
    with the same analyzer."""
    key = ("hashed", col, analyzer)
    if key not in cache:
        cache[key] = counts(_distinct(cache, inputs, col)[0], analyzer)
    return cache[key]


def _hashed(cache: Cache, vectorizer: Any, col: str, values: list[str]) -> Any:
    """The vectorizer's counts of the column's distinct values, shared by equal vectorizers."""
    params = vectorizer.get_params()
    key = ("hashed", col, repr(sorted(params.items())))
    if key not in cache:
        if params.get("analyzer") == "char_wb" and not params.get("binary") and params.get("norm") is None:
            cache[key] = char_wb_counts(vectorizer, values)
        else:
            cache[key] = vectorizer.transform(values)
    return cache[key]


def char_wb_counts(vectorizer: Any, docs: list[str]) -> Any:
    """``vectorizer.transform(docs)`` for a hashing vectorizer of ``char_wb`` n-grams without
    normalisation: each distinct word's n-grams hashed once, a document's counts the sum of its
    words' (the vectorizer's own preprocessing, whitespace handling and n-grams)."""
    from scipy import sparse

    decode, preprocess = vectorizer.decode, vectorizer.build_preprocessor()
    spaces = vectorizer._white_spaces
    words: dict[str, int] = {}
    indices: list[int] = []
    indptr = [0]
    for doc in docs:
        for word in spaces.sub(" ", preprocess(decode(doc))).split():
            indices.append(words.setdefault(word, len(words)))
        indptr.append(len(indices))
    if not words:  # no words at all: no n-grams
        return vectorizer.transform(docs)
    dtype = vectorizer.dtype
    per_doc = sparse.csr_matrix((np.ones(len(indices), dtype=dtype), np.asarray(indices, dtype=np.int64),
                                 np.asarray(indptr, dtype=np.int64)), shape=(len(docs), len(words)))
    per_doc.sum_duplicates()
    hasher = vectorizer._get_hasher()
    per_word = hasher.transform(vectorizer._char_wb_ngrams(w) for w in words)
    out = sparse.csr_matrix(per_doc @ per_word, dtype=dtype)
    out.sum_duplicates()  # also sorts the indices, as the hasher does
    return type(per_word)(out) if not isinstance(out, type(per_word)) else out
