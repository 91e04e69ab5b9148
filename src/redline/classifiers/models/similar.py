"""Similar steps: a TF-IDF index of every step, stored beside the database, and its queries.

``redline similar TRIAL:SEQ`` finds the steps most like one step across the database, so an
auditor who finds one surprising move finds its siblings. Every action (its command line),
assistant message and observation is a document: its first :data:`MAX_CHARS` characters are
hashed into :data:`N_FEATURES` word and word-pair features (scikit-learn's
``HashingVectorizer``: no vocabulary to hold, the same on any machine), weighted by sublinear
term frequency and inverse document frequency, and scaled to unit length. A query is the cosine
similarity of one step's vector with every stored one: a sparse dot product read column by
column (the index is stored column-major), so its cost grows with how common the query's words
are, not with the number of steps times the vocabulary.

The index is built once (:func:`build_index`, streaming the events in batches of
:data:`BUILD_BATCH`) into ``<database>.similar.npz`` and reused while the database's events are
unchanged: it records a fingerprint of them (:func:`events_fingerprint`), and a query against a
changed database says so instead of answering from a stale index.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

#: hashed features per document
N_FEATURES = 2 ** 20
#: characters of a step's text that are indexed
MAX_CHARS = 2000
#: events read and vectorised at a time while building
BUILD_BATCH = 50_000
#: step kinds in the index, by code
KINDS = ("action", "message", "observation")
SUFFIX = ".similar.npz"


class SimilarIndexError(RuntimeError):
    """The index is missing, stale or unreadable; the message says what to do."""


def index_path(db_path: str | os.PathLike[str]) -> Path:
    """Where the index of a database file is stored (beside it)."""
    return Path(str(db_path) + SUFFIX)


def _vectorizer():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=N_FEATURES, alternate_sign=False, norm=None, ngram_range=(1, 2),
                             token_pattern=r"(?u)\b\w[\w.-]*\b", dtype=np.float32)


def events_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A fingerprint of the indexed events: changes whenever a step is added, removed or edited."""
    n, h = con.execute(
        "SELECT count(*), coalesce(sum(hash(trial_id, seq, kind, text)::HUGEINT), 0)::VARCHAR FROM events "
        "WHERE kind <> 'message' OR role = 'assistant'").fetchall()[0]
    return f"{n}:{h}"


_QUERY = ("SELECT trial_id, seq, kind, left(coalesce(text, ''), {n}) AS text FROM events "
          "WHERE kind <> 'message' OR role = 'assistant' ORDER BY trial_id, seq")


@dataclass
class SimilarIndex:
    """The loaded index: a column-major (CSC) matrix of unit vectors and who each row is."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    idf: np.ndarray
    trial_codes: np.ndarray
    trial_ids: np.ndarray
    seqs: np.ndarray
    kinds: np.ndarray
    fingerprint: str

    @property
    def rows(self) -> int:
        return int(self.seqs.size)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, weights) of a text's unit vector."""
        counts = _vectorizer().transform([text[:MAX_CHARS]]).tocsr()
        cols, vals = counts.indices, np.log1p(counts.data) * self.idf[counts.indices]
        norm = float(np.sqrt((vals ** 2).sum()))
        return cols, (vals / norm if norm else vals).astype(np.float32)

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of ``text`` with every indexed step."""
        out = np.zeros(self.rows, dtype=np.float32)
        cols, weights = self.vector(text)
        for col, w in zip(cols.tolist(), weights.tolist()):
            start, end = self.indptr[col], self.indptr[col + 1]
            out[self.indices[start:end]] += self.data[start:end] * w
        return out


def build_index(con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], *, on_batch=None) -> SimilarIndex:
    """Vectorise every step of the database and store the index at ``path``."""
    import scipy.sparse as sp

    fingerprint = events_fingerprint(con)
    vec = _vectorizer()
    chunks, trial_parts, seq_parts, kind_parts = [], [], [], []
    df = np.zeros(N_FEATURES, dtype=np.int64)
    reader = con.sql(_QUERY.format(n=MAX_CHARS)).to_arrow_reader(BUILD_BATCH)
    kind_code = {k: i for i, k in enumerate(KINDS)}
    for batch in reader:
        cols = batch.to_pydict()
        m = vec.transform(cols["text"]).tocsr()
        m.data = np.log1p(m.data)
        df += np.bincount(m.indices, minlength=N_FEATURES)
        chunks.append(m)
        trial_parts.append(np.asarray(cols["trial_id"], dtype=object))
        seq_parts.append(np.asarray(cols["seq"], dtype=np.int32))
        kind_parts.append(np.asarray([kind_code[k] for k in cols["kind"]], dtype=np.int8))
        if on_batch:
            on_batch(m.shape[0])
    n = sum(c.shape[0] for c in chunks)
    idf = (np.log((1 + n) / (1 + df)) + 1).astype(np.float32)
    matrix = sp.vstack(chunks, format="csr") if chunks else sp.csr_matrix((0, N_FEATURES), dtype=np.float32)
    del chunks
    matrix.data *= idf[matrix.indices]
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1
    matrix.data /= np.repeat(norms, np.diff(matrix.indptr)).astype(np.float32)
    csc = matrix.tocsc()
    del matrix
    trials = np.concatenate(trial_parts) if trial_parts else np.array([], dtype=object)
    trial_ids, trial_codes = np.unique(trials, return_inverse=True) if trials.size else (trials, np.array([], int))
    index = SimilarIndex(csc.data.astype(np.float32), csc.indices.astype(np.int32), csc.indptr.astype(np.int64), idf,
                         trial_codes.astype(np.int32), trial_ids.astype(str),
                         np.concatenate(seq_parts) if seq_parts else np.array([], np.int32),
                         np.concatenate(kind_parts) if kind_parts else np.array([], np.int8), fingerprint)
    save_index(index, path)
    return index


def save_index(index: SimilarIndex, path: str | os.PathLike[str]) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, data=index.data, indices=index.indices, indptr=index.indptr, idf=index.idf,
             trial_codes=index.trial_codes, trial_ids=index.trial_ids, seqs=index.seqs, kinds=index.kinds,
             fingerprint=np.array(index.fingerprint), n_features=np.array(N_FEATURES))
    os.replace(tmp, path)


def load_index(path: str | os.PathLike[str]) -> SimilarIndex:
    path = Path(path)
    if not path.exists():
        raise SimilarIndexError(f"{path}: no similar-step index (run 'redline similar --build')")
    try:
        with np.load(path, allow_pickle=False) as z:
            if int(z["n_features"]) != N_FEATURES:
                raise SimilarIndexError(f"{path}: built with other settings: rebuild it with 'redline similar --build'")
            return SimilarIndex(z["data"], z["indices"], z["indptr"], z["idf"], z["trial_codes"], z["trial_ids"],
                                z["seqs"], z["kinds"], str(z["fingerprint"]))
    except (OSError, ValueError, KeyError) as exc:
        raise SimilarIndexError(f"{path}: cannot read the similar-step index ({exc}): rebuild it") from None


@dataclass
class SimilarStep:
    trial_id: str
    seq: int
    kind: str
    score: float


def resolve_step(con: duckdb.DuckDBPyConnection, ref: str) -> tuple[str, int]:
    """``TRIAL:SEQ`` (a trial ID or a unique prefix of one, and the step's seq) -> (trial_id, seq)."""
    trial, sep, seq = ref.rpartition(":")
    if not sep or not trial or not seq.strip().lstrip("-").isdigit():
        raise ValueError(f"{ref!r}: expected TRIAL:SEQ (a trial ID or unique prefix, and the step's seq)")
    found = [r[0] for r in con.execute("SELECT trial_id FROM trials WHERE starts_with(trial_id, ?) ORDER BY 1 LIMIT 6",
                                       [trial]).fetchall()]
    if not found:
        raise ValueError(f"no trial ID starts with {trial!r}")
    if len(found) > 1 and trial not in found:
        raise ValueError(f"{trial!r} is the start of several trial IDs ({', '.join(found[:5])}...): give more of it")
    tid = trial if trial in found else found[0]
    if not con.execute("SELECT count(*) FROM events WHERE trial_id = ? AND seq = ?", [tid, int(seq)]).fetchall()[0][0]:
        raise ValueError(f"trial {tid} has no step {seq}")
    return tid, int(seq)


def check_fresh(con: duckdb.DuckDBPyConnection, index: SimilarIndex) -> None:
    """Refuse an index built before the database's steps last changed."""
    if index.fingerprint != events_fingerprint(con):
        raise SimilarIndexError("the database's steps changed since the similar-step index was built: rebuild it "
                                "('redline similar --build')")


def similar(con: duckdb.DuckDBPyConnection, index: SimilarIndex, trial_id: str, seq: int, *, k: int = 10,
            same_kind: bool = True) -> list[SimilarStep]:
    """The ``k`` steps most like (trial_id, seq), best first, the step itself left out; only steps
    of its own kind unless ``same_kind`` is false. (Check the index with :func:`check_fresh`
    once after loading it.)"""
    kind, text = con.execute("SELECT kind, left(coalesce(text, ''), ?) FROM events WHERE trial_id = ? AND seq = ?",
                             [MAX_CHARS, trial_id, seq]).fetchall()[0]
    scores = index.scores(text)
    code = int(np.searchsorted(index.trial_ids, trial_id))
    if code < index.trial_ids.size and index.trial_ids[code] == trial_id:
        scores[(index.trial_codes == code) & (index.seqs == seq)] = -1
    if same_kind and kind in KINDS:
        scores[index.kinds != KINDS.index(kind)] = -1
    k = min(k, scores.size)
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((index.seqs[top], index.trial_codes[top], -scores[top]))]
    return [SimilarStep(str(index.trial_ids[index.trial_codes[i]]), int(index.seqs[i]), KINDS[index.kinds[i]],
                        float(scores[i])) for i in top if scores[i] > 0]
