"""Hashed n-gram counts without scikit-learn: its ``HashingVectorizer``'s analyzers and hashing,
reproduced exactly for the parameters the stock pipelines use.

A hashing vectorizer learns nothing: its counts follow from its parameters alone. These
functions compute the same sparse counts as ``HashingVectorizer(analyzer=..., ngram_range=...,
token_pattern=..., lowercase=..., n_features=..., alternate_sign=False, norm=None,
dtype=float32).transform(docs)`` (no accent stripping, stop words, custom preprocessor or
tokenizer; the tests compare them with scikit-learn's on generated texts):

- preprocessing: ``doc.lower()`` when lowercasing;
- ``word``: the token pattern's ``findall``, then word n-grams joined by one space, the
  unigrams first, then each longer n in order of position;
- ``char_wb``: runs of two or more whitespace characters become one space, and each word
  (``str.split``) padded with a space on each side gives its character n-grams; a word shorter
  than the smallest n gives itself once;
- hashing: MurmurHash3 (x86, 32 bits, seed 0, signed) of each n-gram's UTF-8 bytes, by the
  ``mmh3`` library; the column is ``abs(h) % n_features`` (scikit-learn's own value for
  ``h = -2**31``), every occurrence counts 1, and a row's columns are sorted with duplicates
  summed.

``char_wb`` n-grams never cross whitespace, so a document's counts are the sum of its words':
each distinct word of a batch is cut into n-grams and hashed once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import mmh3
import numpy as np

from ...limits import MODEL_NGRAMS_AT_ONCE, MODEL_WORDS_AT_ONCE

#: what scikit-learn's char_wb analyzer turns into one space
_WHITE_SPACES = re.compile(r"\s\s+")


@dataclass(frozen=True)
class Analyzer:
    """A hashing vectorizer's parameters (the ones the stock pipelines set)."""

    analyzer: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    n_features: int
    lowercase: bool = True
    token_pattern: str | None = None

    def to_json(self) -> dict:
        return {"analyzer": self.analyzer, "ngram_range": list(self.ngram_range), "n_features": self.n_features,
                "lowercase": self.lowercase, "token_pattern": self.token_pattern}

    @staticmethod
    def from_json(d: dict) -> Analyzer:
        if d.get("analyzer") not in ("word", "char_wb") or (d["analyzer"] == "word" and not d.get("token_pattern")):
            raise ValueError(f"not an analyzer this redline computes: {d!r}")
        lo, hi = (int(n) for n in d["ngram_range"])
        if not 1 <= lo <= hi or int(d["n_features"]) < 1:
            raise ValueError(f"bad n-gram range or feature count: {d!r}")
        return Analyzer(d["analyzer"], (lo, hi), int(d["n_features"]), bool(d["lowercase"]), d.get("token_pattern"))


@dataclass(frozen=True)
class Counts:
    """Sparse rows (CSR: ``indptr``, sorted ``indices``, ``data``) of hashed n-gram counts."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray


@lru_cache(maxsize=16)
def _pattern(token_pattern: str) -> re.Pattern:
    pattern = re.compile(token_pattern)
    if pattern.groups > 1:
        raise ValueError("a token pattern has at most one capturing group")
    return pattern


def word_ngrams(doc: str, a: Analyzer) -> list[str]:
    """The word analyzer's n-grams of ``doc``, in scikit-learn's order."""
    tokens = _pattern(a.token_pattern).findall(doc.lower() if a.lowercase else doc)
    lo, hi = a.ngram_range
    out = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi, len(tokens)) + 1):
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_wb_words(doc: str, a: Analyzer) -> list[str]:
    """The words the char_wb analyzer cuts into n-grams."""
    return _WHITE_SPACES.sub(" ", doc.lower() if a.lowercase else doc).split()


def char_wb_ngrams(word: str, a: Analyzer) -> list[str]:
    """One word's character n-grams (padded with a space each side), in scikit-learn's order."""
    w = f" {word} "
    lo, hi = a.ngram_range
    out = []
    for n in range(lo, hi + 1):
        if n >= len(w):
            out.append(w)  # a short word counts once
            break
        out.extend(w[i:i + n] for i in range(len(w) - n + 1))
    return out


def columns(ngrams: list[str], n_features: int) -> np.ndarray:
    """The hashed column of each n-gram (int64)."""
    h = np.fromiter(map(mmh3.hash, ngrams), dtype=np.int64, count=len(ngrams))
    return np.where(h == -2 ** 31, (2 ** 31 - 1 - (n_features - 1)) % n_features, np.abs(h) % n_features)


def counts(docs: list[str], a: Analyzer) -> Counts:
    """The hashed n-gram counts of ``docs`` (one row each), float32 as the vectorizer gives them.
    The n-gram occurrences are expanded and counted a slice of whole documents at a time
    (:data:`~redline.limits.MODEL_NGRAMS_AT_ONCE`): each row depends on its document alone, and
    the slices' sorted keys, in document order, are the sorted keys of the whole."""
    if a.analyzer == "word":
        grams = [word_ngrams(d, a) for d in docs]
        sizes = np.fromiter(map(len, grams), dtype=np.int64, count=len(docs))
        cols = columns([g for gs in grams for g in gs], a.n_features)
        del grams
        # each n-gram a piece of one column
        return _counted(np.ones(len(cols), dtype=np.int64), cols, np.arange(len(cols), dtype=np.int64), sizes,
                        a.n_features)
    index: dict[str, int] = {}
    doc_words = [[index.setdefault(w, len(index)) for w in char_wb_words(d, a)] for d in docs]
    word_sizes, word_cols = _word_columns(list(index), a)
    del index
    ids = np.fromiter((w for ws in doc_words for w in ws), dtype=np.int64)
    words_per_doc = np.fromiter(map(len, doc_words), dtype=np.int64, count=len(docs))
    del doc_words
    starts = np.cumsum(word_sizes) - word_sizes
    # each occurrence of a word contributes its n-grams' columns: word_cols[starts[id]:][:size]
    return _counted(word_sizes[ids], word_cols, starts[ids], words_per_doc, a.n_features)


def _word_columns(words: list[str], a: Analyzer) -> tuple[np.ndarray, np.ndarray]:
    """(each word's n-gram count, the hashed columns of all their char_wb n-grams, word after
    word), hashed :data:`~redline.limits.MODEL_WORDS_AT_ONCE` words at a time."""
    sizes, cols = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for at in range(0, len(words), MODEL_WORDS_AT_ONCE):
        per_word = [char_wb_ngrams(w, a) for w in words[at:at + MODEL_WORDS_AT_ONCE]]
        sizes.append(np.fromiter(map(len, per_word), dtype=np.int64, count=len(per_word)))
        cols.append(columns([g for gs in per_word for g in gs], a.n_features))
    return np.concatenate(sizes), np.concatenate(cols)


def _counted(lengths: np.ndarray, cols: np.ndarray, starts: np.ndarray, per_doc: np.ndarray,
             n_features: int) -> Counts:
    """The counts of documents made of ``per_doc[d]`` consecutive pieces each, a piece ``p``
    being the ``lengths[p]`` columns ``cols[starts[p]:starts[p] + lengths[p]]`` (a word's
    n-grams; for the word analyzer, one n-gram). Expanded a slice of documents at a time."""
    piece_end = np.cumsum(per_doc)
    gram_end = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=gram_end[1:])
    doc_grams = gram_end[piece_end]  # n-grams before each document's end
    per_row, indices, data = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int32)], [np.zeros(0, dtype=np.float32)]
    d0 = 0
    while d0 < len(per_doc):
        p0 = int(piece_end[d0] - per_doc[d0])
        d1 = max(d0 + 1, int(np.searchsorted(doc_grams, gram_end[p0] + MODEL_NGRAMS_AT_ONCE, side="right")))
        d1 = min(d1, len(per_doc))
        p1 = int(piece_end[d1 - 1])
        size = lengths[p0:p1]
        first = np.repeat(starts[p0:p1] - (np.cumsum(size) - size), size)
        first += np.arange(int(size.sum()), dtype=np.int64)
        keys = np.repeat(np.repeat(np.arange(d1 - d0, dtype=np.int64), per_doc[d0:d1]), size)
        keys *= n_features
        keys += cols[first]
        del first
        keys, n = np.unique(keys, return_counts=True)
        per_row.append(np.bincount(keys // n_features, minlength=d1 - d0))
        indices.append((keys % n_features).astype(np.int32))
        data.append(n.astype(np.float32))
        del keys, n
        d0 = d1
    indptr = np.zeros(len(per_doc) + 1, dtype=np.int64)
    np.cumsum(np.concatenate(per_row), out=indptr[1:])
    return Counts(indptr, np.concatenate(indices), np.concatenate(data))
