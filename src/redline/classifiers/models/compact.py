"""A fitted stock pipeline in a compact inference form: what it learned as a few small NumPy
arrays, scored with NumPy and ``mmh3`` alone, to the same bits as the pipeline.

Why
    Loading the three shipped models as scikit-learn pipelines (``benchmarks/models.py``, on the
    Scout benchmark's database of 1,000 trials: medians of 5 fresh processes) took 1.6 CPU
    seconds and +197 MB of resident memory: importing scikit-learn's text, linear-model,
    calibration and pipeline modules (0.7 to 0.9 s, +76 MB) and skops (0.4 s, +20 MB), then the
    pipelines themselves (the first message model +15 MB with skops' transient copies, the
    second +5 MB, the action model +78 MB). Each logistic regression keeps a dense float64
    coefficient row over all 524,288 hashed features (4.2 MB), of which 24,128 are non-zero for
    a message model and 7,859 for the action model, whose ten one-vs-rest classes hold ten such
    rows (42 MB); each TF-IDF step keeps a dense float32 ``idf_`` of 262,144 values (1 MB),
    nearly all one value. The compact form keeps only the features seen in training (170 to
    280 kB per model on disk): the three load in 0.015 CPU seconds and +4 MB, and need neither
    scikit-learn, SciPy nor skops; scoring the database's 122,000 steps takes about as long as
    through scikit-learn (0.07 CPU seconds with the inputs built, against 0.08).

What it holds (:func:`from_pipeline`, at save time)
    for a pipeline of the stock shape (:meth:`~redline.classifiers.models.spec.ModelSpec.pipeline`:
    a column transformer with sparse output of (hashing vectorizer, TF-IDF) pipelines, then a
    sigmoid-calibrated logistic regression, one-vs-rest for several classes): per part, the
    input column and the vectorizer's parameters (JSON), and the sorted columns ``features``
    where the IDF weight differs from the weight of an unseen column or a coefficient is not
    zero, their IDF weights (float32, as fitted), the unseen weight, and the coefficients
    (float64, one column per class); per class, the intercept and the calibration's ``a`` and
    ``b``. Anything else (another vectorizer, analyzer, norm, estimator, calibration) has no
    compact form and is scored by the pipeline itself.

How it scores (:meth:`Compact.proba`), step by step as scikit-learn does
    hashed counts (:mod:`.analyzers`); ``log(count) + 1`` in float32 (sublinear TF); times the
    IDF weight in float32; each row divided by its L2 norm (squares summed in float64, in column
    order); the rows of the parts side by side; the decision ``sum(x * coef) + intercept`` summed
    in float64 in column order, as SciPy's sparse product does; the calibrated probability
    ``1 / (1 + exp(a * d + b))`` with the C library's ``exp`` (Python's ``math.exp``, which is
    what SciPy's ``expit`` calls; NumPy's own ``exp`` differs in the last bit now and then).
    Each step is the same IEEE operation in the same order, so the scores are equal, not merely
    close: the tests compare them with the pipeline's bit for bit.
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...limits import MODEL_NGRAMS_AT_ONCE
from .analyzers import Analyzer, Counts

#: the compact form's format (in the model's metadata)
FORMAT = "redline-compact/1"


@dataclass(frozen=True)
class Part:
    """One input column's features: its analyzer and what its TF-IDF and the classifier learned."""

    column: str
    analyzer: Analyzer
    sublinear_tf: bool
    features: np.ndarray  # sorted int64 columns
    idf: np.ndarray  # float32, one per feature
    idf_unseen: np.float32
    coef: np.ndarray  # float64, features x classes


@dataclass(frozen=True)
class Compact:
    """A stock pipeline's inference form (see the module docstring)."""

    parts: tuple[Part, ...]
    intercept: np.ndarray  # float64, one per class
    calibration: np.ndarray  # float64, classes x (a, b)
    #: True: one class, and ``proba`` gives (1 - p, p) as a binary classifier does;
    #: False: one-vs-rest, one probability per class, not normalised (multi-label)
    binary: bool

    def tfidf(self, part: Part, counts: Counts) -> np.ndarray:
        """The TF-IDF weights (float32, L2-normalised per row) of ``counts``' entries."""
        data = counts.data.copy()
        if part.sublinear_tf:
            np.log(data, data)
            data += np.float32(1.0)
        pos, seen = _lookup(part.features, counts.indices)
        data *= np.where(seen, part.idf[pos], part.idf_unseen)
        rows = np.repeat(np.arange(len(counts.indptr) - 1), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(rows, weights=(data * data).astype(np.float64), minlength=len(counts.indptr) - 1))
        norms[norms == 0.0] = 1.0
        return (data.astype(np.float64) / norms[rows]).astype(np.float32)

    def proba(self, counts: list[Counts], rows: np.ndarray) -> np.ndarray:
        """What the pipeline's ``predict_proba`` gives for the documents whose parts are rows
        ``rows[:, i]`` of ``counts[i]`` (each part's counts of its column's distinct values).
        Each document's decisions depend on its entries alone: they are summed a slice of
        documents at a time (:data:`~redline.limits.MODEL_NGRAMS_AT_ONCE` entries), so the
        memory it takes stays bounded (about 50 bytes an entry while a slice is summed)."""
        n = len(rows)
        weights = [self.tfidf(part, cnt) for part, cnt in zip(self.parts, counts)]
        # every part's coefficients, one row a feature (an entry finds its row by its feature's
        # position among every part's features: one int64 an entry, not a row of coefficients)
        coef = np.concatenate([p.coef for p in self.parts])
        offsets = np.cumsum([0] + [len(p.features) for p in self.parts])
        sizes = sum(np.diff(cnt.indptr)[rows[:, i]] for i, cnt in enumerate(counts))
        ends = np.cumsum(sizes) if n else np.zeros(0, dtype=np.int64)
        decision = np.empty((n, len(self.intercept)))
        r0 = 0
        while r0 < n:
            r1 = max(r0 + 1, int(np.searchsorted(ends, ends[r0] - sizes[r0] + MODEL_NGRAMS_AT_ONCE, side="right")))
            r1 = min(r1, n)
            decision[r0:r1] = self._decisions(counts, weights, coef, offsets, rows[r0:r1])
            r0 = r1
        out = np.empty((n, len(self.intercept)))
        for k in range(len(self.intercept)):
            a, b = self.calibration[k]
            out[:, k] = [_expit(v) for v in (-(a * decision[:, k] + b)).tolist()]
        if self.binary:
            return np.stack([1.0 - out[:, 0], out[:, 0]], axis=1)
        return out

    def _decisions(self, counts: list[Counts], weights: list[np.ndarray], coef: np.ndarray, offsets: np.ndarray,
                   rows: np.ndarray) -> np.ndarray:
        """The linear decisions (documents x classes) of the documents ``rows`` (as in :meth:`proba`;
        ``coef``, every part's coefficients, ``offsets``, where each part's features start there)."""
        n = len(rows)
        r_all, c_all, v_all = [], [], []
        for i, (part, cnt) in enumerate(zip(self.parts, counts)):
            sel = rows[:, i]
            lengths = np.diff(cnt.indptr)[sel]
            start = np.repeat(cnt.indptr[sel] - (np.cumsum(lengths) - lengths), lengths)
            take = start + np.arange(int(lengths.sum()), dtype=np.int64)
            del start
            pos, hit = _lookup(part.features, cnt.indices[take])
            r_all.append(np.repeat(np.arange(n, dtype=np.int64), lengths)[hit])
            c_all.append(pos[hit] + offsets[i])
            v_all.append(weights[i][take][hit].astype(np.float64))
        # the rows' entries in the pipeline's column order: by row, then part, then column
        r = np.concatenate(r_all)
        del r_all
        order = np.argsort(r, kind="stable")
        r = r[order]
        at = np.concatenate(c_all)[order]
        del c_all
        x = np.concatenate(v_all)[order]
        del v_all, order
        decision = np.empty((n, len(self.intercept)))
        for k in range(len(self.intercept)):
            decision[:, k] = np.bincount(r, weights=x * coef[at, k], minlength=n) + self.intercept[k]
        return decision


def _lookup(features: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's position among the sorted ``features`` (never empty) and whether it is one of them."""
    pos = np.minimum(np.searchsorted(features, columns), len(features) - 1)
    return pos, features[pos] == columns


def _expit(x: float) -> float:
    """SciPy's ``expit``: 1 / (1 + exp(-x)) with the C library's exp."""
    try:
        return 1.0 / (1.0 + math.exp(-x))
    except OverflowError:
        return 0.0


# --- files ---------------------------------------------------------------------------------------

def to_files(c: Compact) -> tuple[dict[str, Any], bytes]:
    """(parameters for the JSON metadata, the arrays as canonical .npz bytes)."""
    arrays: dict[str, np.ndarray] = {"intercept": c.intercept, "calibration": c.calibration}
    params = {"format": FORMAT, "binary": c.binary, "parts": []}
    for i, p in enumerate(c.parts):
        params["parts"].append({"column": p.column, "sublinear_tf": p.sublinear_tf, **p.analyzer.to_json()})
        arrays |= {f"p{i}_features": p.features, f"p{i}_idf": p.idf, f"p{i}_idf_unseen": np.asarray(p.idf_unseen),
                   f"p{i}_coef": p.coef}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, buf.getvalue())
    return params, out.getvalue()


def from_files(params: dict[str, Any], data: bytes) -> Compact:
    """The compact form saved by :func:`to_files` (ValueError when it is not one)."""
    if params.get("format") != FORMAT:
        raise ValueError(f"not a compact model of format {FORMAT}")
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    parts = []
    for i, p in enumerate(params["parts"]):
        parts.append(Part(column=str(p["column"]), analyzer=Analyzer.from_json(p), sublinear_tf=bool(p["sublinear_tf"]),
                          features=arrays[f"p{i}_features"].astype(np.int64), idf=arrays[f"p{i}_idf"],
                          idf_unseen=np.float32(arrays[f"p{i}_idf_unseen"]), coef=arrays[f"p{i}_coef"]))
    c = Compact(tuple(parts), arrays["intercept"], arrays["calibration"], bool(params["binary"]))
    k = len(c.intercept)
    if c.calibration.shape != (k, 2) or any(p.coef.shape != (len(p.features), k) or p.idf.dtype != np.float32
                                            or p.idf.shape != p.features.shape or not len(p.features)
                                            or (np.diff(p.features) <= 0).any() for p in parts) \
            or (c.binary and k != 1):
        raise ValueError("the compact arrays do not fit together")
    return c


# --- from a fitted pipeline (needs scikit-learn: save time only) --------------------------------

def from_pipeline(pipeline: Any) -> Compact | None:
    """The compact form of a fitted stock pipeline, or None when it is not of that shape."""
    from sklearn.calibration import CalibratedClassifierCV, _SigmoidCalibration
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline

    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        return None
    ct, clf = pipeline.steps[0][1], pipeline.steps[1][1]
    if not isinstance(ct, ColumnTransformer) or not getattr(ct, "sparse_output_", False):
        return None
    if isinstance(clf, OneVsRestClassifier):
        if not clf.multilabel_ or len(clf.estimators_) < 2:
            return None
        calibrated, binary = list(clf.estimators_), False
    else:
        calibrated, binary = [clf], True

    def linear(c: Any) -> tuple[Any, Any] | None:
        if not isinstance(c, CalibratedClassifierCV) or c.method != "sigmoid" or len(c.calibrated_classifiers_) != 1:
            return None
        inner = c.calibrated_classifiers_[0]
        est, cal = inner.estimator, inner.calibrators
        if type(est) is not LogisticRegression or len(cal) != 1 or type(cal[0]) is not _SigmoidCalibration \
                or list(c.classes_) != [0, 1] or list(est.classes_) != [0, 1] or est.coef_.shape[0] != 1:
            return None
        return est, cal[0]

    fitted = [linear(c) for c in calibrated]
    if any(f is None for f in fitted):
        return None
    coef = np.stack([est.coef_[0] for est, _ in fitted], axis=1).astype(np.float64)
    parts, offset = [], 0
    for _name, inner, col in ct.transformers_:
        if isinstance(inner, str):
            if inner != "drop":
                return None
            continue
        if not isinstance(col, str) or not isinstance(inner, Pipeline) or len(inner.steps) != 2:
            return None
        vec, tfidf = inner.steps[0][1], inner.steps[1][1]
        if type(vec) is not HashingVectorizer or type(tfidf) is not TfidfTransformer:
            return None
        p = vec.get_params()
        if p["analyzer"] not in ("word", "char_wb") or p["input"] != "content" or p["strip_accents"] is not None \
                or p["preprocessor"] is not None or p["tokenizer"] is not None or p["stop_words"] is not None \
                or p["binary"] or p["norm"] is not None or p["alternate_sign"] or np.dtype(p["dtype"]) != np.float32 \
                or tfidf.norm != "l2" or not tfidf.use_idf or tfidf.idf_.dtype != np.float32:
            return None
        nf = int(p["n_features"])
        idf = tfidf.idf_
        values, freq = np.unique(idf, return_counts=True)
        unseen = values[np.argmax(freq)]
        block = coef[offset:offset + nf]
        features = np.flatnonzero((idf != unseen) | (block != 0).any(axis=1))
        if not len(features):  # nothing learned from this input
            return None
        analyzer = Analyzer(p["analyzer"], tuple(p["ngram_range"]), nf, bool(p["lowercase"]),
                            p["token_pattern"] if p["analyzer"] == "word" else None)
        parts.append(Part(col, analyzer, bool(tfidf.sublinear_tf), features.astype(np.int64), idf[features].copy(),
                          np.float32(unseen), block[features].copy()))
        offset += nf
    if offset != coef.shape[0] or not parts:
        return None
    intercept = np.array([float(est.intercept_[0]) for est, _ in fitted])
    calibration = np.array([[float(cal.a_), float(cal.b_)] for _, cal in fitted])
    return Compact(tuple(parts), intercept, calibration, binary)
