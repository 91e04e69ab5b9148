"""The similar-step index: built once, stored beside the database, memory-mapped by each query.

Every action (its command line), assistant message and observation is a document: its hashed
word and word-pair counts (:mod:`.features`), weighted by sublinear term frequency and inverse
document frequency and scaled to unit length. A query is the cosine similarity of one step's
vector with every stored one: a sparse dot product read column by column (the matrix is stored
column-major, CSC), so its cost grows with how common the query's words are, not with the
number of steps times the vocabulary.

The index is a folder, ``<database>.similar``, of plain ``.npy`` arrays and a ``meta.json``.
A query memory-maps the arrays (nothing is read until a column is touched, so opening a
million-step index costs milliseconds), hashes the one query text in plain Python, and reads
from the database only the query step and the texts of the steps it returns: it imports neither
scikit-learn nor scipy. :func:`build_index` streams the events in batches of
:data:`~redline.limits.SIMILAR_BUILD_BATCH`, writes a new folder and swaps it in whole, so a
reader never sees half an index.

The index is refused once the database's steps changed (:func:`check_fresh`): it records a
fingerprint (:func:`events_fingerprint`) of what ``redline ingest`` records whenever it changes
a step (the files it read, with their content hashes and when it read them) and of the numbers
of trials and steps. Checking it reads no text, so it stays cheap on any database; a step's
text edited by hand outside redline (the same number of steps, no ingest) is not noticed:
rebuild with ``redline similar --build`` after such an edit.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from ..files import temporary_name
from ..limits import SIMILAR_BUILD_BATCH, SIMILAR_TEXT_CHARS
from .features import N_FEATURES, NGRAMS, TOKEN_PATTERN, text_features, vectorizer

#: step kinds in the index, by code
KINDS = ("action", "message", "observation")
#: the index folder beside a database file
SUFFIX = ".similar"
#: the stored layout's version (a folder of another layout is rebuilt, never misread)
FORMAT = 1
#: the arrays of an index, one ``.npy`` file each
ARRAYS = ("data", "indices", "indptr", "idf", "trial_codes", "trial_ids", "seqs", "kinds")
_SETTINGS = {"format": FORMAT, "n_features": N_FEATURES, "max_chars": SIMILAR_TEXT_CHARS,
             "token_pattern": TOKEN_PATTERN, "ngrams": list(NGRAMS)}
_INDEXED = "kind <> 'message' OR role = 'assistant'"


class SimilarIndexError(RuntimeError):
    """The index is missing, stale or unreadable; the message says what to do."""


def index_path(db_path: str | os.PathLike[str]) -> Path:
    """Where the index of a database file is stored (a folder beside it)."""
    return Path(str(db_path) + SUFFIX)


def events_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """Changes whenever ``redline ingest`` adds, replaces or removes a step: the number of trials
    and steps, and every ingested file's path, content hash and when it was read (an ingest
    that changes any step rewrites its file's row). Costs milliseconds on a million steps: it
    reads the steps' count, never their texts."""
    counts = con.execute("SELECT (SELECT count(*) FROM trials), (SELECT count(*) FROM events)").fetchall()[0]
    files = con.execute("SELECT count(*), coalesce(sum(hash(path, sha256, ingested_at)::HUGEINT), 0)::VARCHAR "
                        "FROM ingested_files").fetchall()[0]
    return ":".join(str(v) for v in (*counts, *files))


@dataclass
class SimilarIndex:
    """The index: a column-major (CSC) matrix of unit vectors and which step each row is."""

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
        """(feature indices, weights) of a text's unit vector, weighted as the stored rows are."""
        counts = text_features(text)
        cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.log1p(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
        vals = tf * np.asarray(self.idf[cols], dtype=np.float32)
        norm = float(np.sqrt((vals.astype(np.float64) ** 2).sum()))
        return cols, (vals / norm if norm else vals).astype(np.float32)

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of ``text`` with every indexed step."""
        out = np.zeros(self.rows, dtype=np.float32)
        cols, weights = self.vector(text)
        for col, w in zip(cols.tolist(), weights.tolist()):
            start, end = int(self.indptr[col]), int(self.indptr[col + 1])
            if end > start:
                out[self.indices[start:end]] += self.data[start:end] * np.float32(w)
        return out


def build_index(con: duckdb.DuckDBPyConnection, path: str | os.PathLike[str], *, on_batch=None) -> SimilarIndex:
    """Vectorise every step of the database and store the index at ``path`` (a folder)."""
    import scipy.sparse as sp

    fingerprint = events_fingerprint(con)
    vec = vectorizer()
    chunks, trial_parts, seq_parts, kind_parts = [], [], [], []
    df = np.zeros(N_FEATURES, dtype=np.int64)
    reader = con.sql(f"SELECT trial_id, seq, kind, left(coalesce(text, ''), {SIMILAR_TEXT_CHARS}) AS text "
                     f"FROM events WHERE {_INDEXED} ORDER BY trial_id, seq").to_arrow_reader(SIMILAR_BUILD_BATCH)
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
    """Write the index as a new folder and swap it in whole (a reader sees the old or the new).

    The new folder and the old one, while it is moved aside, have fresh hidden names of their own
    (:func:`redline.files.temporary_name`), so two writers never share one and no folder beside
    the index is touched; a failed write leaves the index as it was and removes its folder."""
    path = Path(path)
    tmp = temporary_name(path)
    tmp.mkdir()
    try:
        for name in ARRAYS:
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(getattr(index, name)), allow_pickle=False)
        meta = {**_SETTINGS, "fingerprint": index.fingerprint, "rows": index.rows, "nnz": int(index.data.size)}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        old = None
        if path.exists() or path.is_symlink():
            old = temporary_name(path)
            os.replace(path, old)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if old is not None and old.is_dir() and not old.is_symlink():
        shutil.rmtree(old, ignore_errors=True)
    elif old is not None:
        old.unlink()


def _array(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:  # an empty array cannot be memory-mapped: it is read (it is empty)
        return np.load(path, allow_pickle=False)


def load_index(path: str | os.PathLike[str]) -> SimilarIndex:
    """The stored index, memory-mapped (its arrays are read as a query touches them)."""
    path = Path(path)
    if not (path / "meta.json").is_file():
        raise SimilarIndexError(f"{path}: no similar-step index (run 'redline similar --build')")
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        if {k: meta.get(k) for k in _SETTINGS} != _SETTINGS:
            raise SimilarIndexError(f"{path}: built with other settings: rebuild it with 'redline similar --build'")
        arrays = {name: _array(path / f"{name}.npy") for name in ARRAYS}
        index = SimilarIndex(**arrays, fingerprint=str(meta["fingerprint"]))
        if index.indptr.size != N_FEATURES + 1 or index.data.size != int(meta["nnz"]) or index.rows != int(meta["rows"]):
            raise ValueError("its arrays do not match its meta.json")
        return index
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SimilarIndexError(f"{path}: cannot read the similar-step index ({exc}): rebuild it with "
                                "'redline similar --build'") from None


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
                             [SIMILAR_TEXT_CHARS, trial_id, seq]).fetchall()[0]
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


def step_texts(con: duckdb.DuckDBPyConnection, steps: list[SimilarStep]) -> dict[tuple[str, int], str]:
    """The stored text of each step, by (trial_id, seq): one query filtered on the trial IDs, so
    DuckDB reads the texts of those trials' steps only."""
    wanted = {(s.trial_id, s.seq) for s in steps}
    if not wanted:
        return {}
    rows = con.execute("SELECT trial_id, seq, text FROM events WHERE trial_id IN (SELECT unnest(?))",
                       [sorted({t for t, _ in wanted})]).fetchall()
    return {(t, s): text or "" for t, s, text in rows if (t, s) in wanted}
