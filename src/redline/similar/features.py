"""A step's text as hashed features: the one definition the similar-step index and its queries share.

A text's first :data:`~redline.limits.SIMILAR_TEXT_CHARS` characters are lower-cased and cut into tokens
(:data:`TOKEN_PATTERN`); every token and every pair of neighbouring tokens is a term, and a
term's feature is its MurmurHash3 (32-bit, seed 0, of its UTF-8 bytes) modulo
:data:`N_FEATURES`. These are exactly the features of scikit-learn's ``HashingVectorizer`` with
the settings of :func:`vectorizer`, which the index build uses for speed over millions of
steps. A query hashes one text, and does so here in plain Python (:func:`text_features`) so
that answering a query never imports scikit-learn; a test checks the two agree term for term.
"""

from __future__ import annotations

import re
import struct
from collections import Counter

from ..limits import SIMILAR_TEXT_CHARS

#: hashed features per document
N_FEATURES = 2 ** 20
#: what a token is: a word character, then word characters, dots and dashes (``pytest``, ``-9``, ``app.py``)
TOKEN_PATTERN = r"(?u)\b\w[\w.-]*\b"
#: terms are tokens and pairs of neighbouring tokens
NGRAMS = (1, 2)

_TOKEN = re.compile(TOKEN_PATTERN)
_MASK = 0xFFFFFFFF


def vectorizer():
    """scikit-learn's ``HashingVectorizer`` with these settings (raw term counts, float32)."""
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=N_FEATURES, alternate_sign=False, norm=None, ngram_range=NGRAMS,
                             token_pattern=TOKEN_PATTERN, dtype=np.float32)


def terms(text: str) -> list[str]:
    """The terms of a text: its tokens, then its token pairs (as scikit-learn's word n-grams)."""
    tokens = _TOKEN.findall(text[:SIMILAR_TEXT_CHARS].lower())
    return tokens + [" ".join(tokens[i:i + 2]) for i in range(len(tokens) - 1)]


def murmurhash3_32(key: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit of ``key``, as a signed integer (scikit-learn's ``murmurhash3_32``)."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & _MASK
    n = len(key)
    end = n - n % 4
    for (k,) in struct.iter_unpack("<I", key[:end]):
        k = (k * c1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        h ^= (k * c2) & _MASK
        h = ((h << 13) | (h >> 19)) & _MASK
        h = (h * 5 + 0xE6546B64) & _MASK
    tail = key[end:]
    if tail:
        k = int.from_bytes(tail, "little")
        k = (k * c1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        h ^= (k * c2) & _MASK
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def feature(term: str) -> int:
    """The feature a term hashes to (as scikit-learn places it: ``abs(h) % N_FEATURES``)."""
    h = murmurhash3_32(term.encode("utf-8"))
    if h == -(1 << 31):  # abs() overflows in scikit-learn's int32: it uses this value instead
        return (2 ** 31 - 1 - (N_FEATURES - 1)) % N_FEATURES
    return abs(h) % N_FEATURES


def text_features(text: str) -> dict[int, int]:
    """Feature -> how many of the text's terms hash to it."""
    return dict(Counter(feature(t) for t in terms(text)))
