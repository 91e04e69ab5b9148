"""Which (classifier, trial) pairs are current, and a quick answer when all of them are.

A classify run records, in ``classify_coverage``, every (trial, classifier) pair it labelled,
with the classifier's version and when the trial's file was ingested. A pair is *current* when
a complete run covered it with the classifier's version of now and the trial has not been read
again since (a file that changed is read again, and its trials replaced). A trial a rule gave no
label is thus told apart from one never classified. Classifiers are keyed by their ID (rules)
or ``model:ID`` (learned models).

The rules' versions are fingerprints of their logic (:mod:`redline.classifiers.fingerprint`):
computing them means loading every rule and reading its source. A run over the default set of
classifiers therefore also records a digest of the source the versions came from
(:func:`source_digest`) and every classifier's version (``classify_runs.code`` and
``classify_runs.current``); while the source is unchanged, :func:`labels_current` reads the
versions back from there and the models' from their JSON metadata, and answers from the
database alone, without loading a rule, polars or a model.

The same digest keys a cache of the registry's rule versions in the user's cache directory
(:func:`cached_rule_versions`): the registry computes its rules' versions and checks their
regexes once per source, and a later process loading the same source reads the versions back.

This module imports nothing but the standard library, DuckDB, redline's database module and the
models' declarations.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from .models.declared import MODELS
from ..db import release_memory
from ..files import write_whole
from .models.files import ModelError, model_folder, read_meta, user_models_dir

if TYPE_CHECKING:
    import duckdb

#: the prefix of a learned model's key among the classifiers a run records
MODEL_PREFIX = "model:"

_PACKAGE = Path(__file__).resolve().parent.parent
#: besides the Python source, the files rules may read their word lists and patterns from
_DATA = ("classifiers/data",)


def _files(folder: str, prefix: str = "") -> Iterator[tuple[str, os.DirEntry]]:
    """(path relative to the package, entry) of every file under ``folder``."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir():
                yield from _files(entry.path, f"{prefix}{entry.name}/")
            elif entry.is_file():
                yield f"{prefix}{entry.name}", entry


def _source_files() -> list[tuple[str, os.DirEntry]]:
    """What a digest reads, in order: redline's Python files, then the data files (paths
    relative to the package, ordered part by part)."""
    every = list(_files(str(_PACKAGE)))
    files = sorted(((rel, e) for rel, e in every if rel.endswith(".py")), key=lambda f: f[0].split("/"))
    data = [(rel, e) for rel, e in every if any(rel.startswith(d + "/") for d in _DATA)]
    return files + sorted(data, key=lambda f: f[0].split("/"))


def _digest(files: list[tuple[str, os.DirEntry]]) -> str:
    from importlib import metadata

    h = hashlib.sha256()
    h.update(f"{sys.version_info[:3]} polars {metadata.version('polars')}\0".encode())
    for rel, entry in files:
        h.update(rel.encode() + b"\0")
        with open(entry.path, "rb") as fh:
            h.update(fh.read())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _stat_key(files: list[tuple[str, os.DirEntry]]) -> str:
    """What :func:`source_digest` is cached under: each file's name, modification time (ns),
    size and inode, and those of polars' package file (a polars upgrade writes it anew)."""
    polars = find_spec("polars")
    origin = polars.origin if polars and polars.origin else None
    h = hashlib.sha256(f"{sys.version_info[:3]} {origin}\0".encode())
    stats = [(rel, entry.stat()) for rel, entry in files]
    if origin:
        stats.append((origin, os.stat(origin)))
    h.update("".join(f"{rel}\0{st.st_mtime_ns}\0{st.st_size}\0{st.st_ino}\0" for rel, st in stats).encode())
    return h.hexdigest()


@lru_cache(maxsize=1)
def source_digest() -> str:
    """A hash of what the rules' versions are computed from: redline's Python source, the
    classifiers' data files, and the versions of Python and polars (whose serialised form of an
    expression is part of a version). Equal digests give equal rule versions.

    Hashing the source reads every file, so the digest is kept in the cache folder
    (:func:`cache_dir`) under a key of the files' names, sizes, modification times and inodes
    (the test Python applies to its own bytecode, and more): a process whose files are as they
    were reads it back; any file written since makes it hash them again."""
    files = _source_files()
    try:
        key = _stat_key(files)
    except OSError:  # a file went away while we looked: hash what is there
        return _digest(_source_files())
    path = cache_dir() / "source-digest.json"
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(cached, dict) and cached.get("key") == key and isinstance(cached.get("digest"), str):
            return cached["digest"]
    except (OSError, ValueError):
        pass
    digest = _digest(files)
    _write(path, json.dumps({"key": key, "digest": digest}))
    return digest


def _write(path: Path, text: str) -> None:
    """Write a cache file whole (nothing happens if the folder cannot be written: what it
    would hold is computed again next time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_whole(path, text)
    except OSError:
        pass


#: environment variable naming the folder of redline's caches (default: the user's cache directory)
CACHE_ENV = "REDLINE_CACHE"


def cache_dir() -> Path:
    """Where computed rule versions are kept: ``REDLINE_CACHE``, else the user's cache
    directory (``platformdirs``: e.g. ``~/.cache/redline`` on Linux)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("redline", appauthor=False))


def _cache_file() -> Path:
    return cache_dir() / "rule-versions" / f"{source_digest()}.json"


def cached_rule_versions() -> dict[str, str] | None:
    """The registry's rule versions as computed (and its rules checked) once for this very
    source (:func:`source_digest`), or None when they were not yet."""
    try:
        data = json.loads(_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and all(isinstance(v, str) for v in data.values()) else None


def cache_rule_versions(versions: dict[str, str]) -> None:
    """Keep the registry's rule versions for this source (nothing happens if the folder cannot
    be written: they are computed again next time)."""
    _write(_cache_file(), json.dumps(versions, sort_keys=True))


def _sklearn_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("scikit-learn")
    except metadata.PackageNotFoundError:
        return None


def model_versions(folder: str | Path | None = None, ids: Iterable[str] | None = None) -> dict[str, str] | None:
    """``model:ID`` -> version of each trained model a run would apply, read from the JSON
    metadata beside it (the choice :func:`~redline.classifiers.models.available.available_models`
    makes: the user's model in ``folder``, else the shipped default, else the default retrained
    for this scikit-learn). None when that cannot be told without loading a model (the run
    loads them and says what is wrong)."""
    folder = Path(folder) if folder is not None else user_models_dir()
    wanted = None if ids is None else set(ids)
    out: dict[str, str] = {}
    try:
        for spec in MODELS:
            if wanted is not None and spec.id not in wanted:
                continue
            path = model_folder(spec.id, folder, _sklearn_version) / f"{spec.id}.json"
            if not path.exists():  # a default not yet retrained for this scikit-learn
                return None
            meta = read_meta(path)
            if (meta.get("id") != spec.id or meta.get("spec_version") != spec.version or not meta.get("version")
                    or ("compact" not in meta and meta.get("sklearn_version") != _sklearn_version())):
                return None
            out[MODEL_PREFIX + spec.id] = str(meta["version"])
    except ModelError:
        return None
    return out


def _values(expected: dict[str, str], *, numbered: bool = False) -> tuple[str, list[str]]:
    """A VALUES list of (classifier, version), in classifier order, and its parameters
    (``numbered``: (index, classifier, version), the index the classifier's place in that order)."""
    params = [x for pair in sorted(expected.items()) for x in pair]
    rows = (f"({i}, ?, ?)" if numbered else "(?, ?)" for i in range(len(expected)))
    return ", ".join(rows), params


#: the coverage rows of ``expected`` (a VALUES list of classifier, version) that are current: the
#: classifier's version, written by a complete run, for the trial as it was last ingested
_CURRENT_COVERAGE = """classify_coverage c
            JOIN expected e ON e.classifier = c.classifier AND e.version = c.version
            JOIN trials t ON t.trial_id = c.trial_id
            LEFT JOIN ingested_files f ON f.path = t.source_path
            WHERE c.run_id IN (SELECT run_id FROM classify_runs WHERE status = 'complete')
              AND c.ingested_at IS NOT DISTINCT FROM f.ingested_at"""


def pending(con: duckdb.DuckDBPyConnection, expected: dict[str, str],
            trial_ids: Sequence[str] | None = None) -> dict[tuple[str, ...], list[str]]:
    """The trials (default: all stored trials) where some classifiers of ``expected`` are not
    current, grouped by which: each set of classifier keys not current (sorted) -> the trials,
    in trial order, where exactly those are not. ``expected``: classifier key -> version.

    The database groups them: a few sets of classifiers are pending (typically all of them on
    the trials ingested since the last run, and those whose version changed on every other
    trial), and each is held once, whatever the number of trials. Classifiers are numbered in
    the query, so what DuckDB aggregates per trial is a list of small integers."""
    if not expected:
        return {}
    names = sorted(expected)
    values, params = _values(expected, numbered=True)
    rows = con.execute(f"""
        WITH expected(idx, classifier, version) AS (VALUES {values}),
        covered AS (SELECT c.trial_id, c.classifier FROM {_CURRENT_COVERAGE}),
        missing AS (
            SELECT t.trial_id, list(e.idx ORDER BY e.idx) AS keys
            FROM trials t CROSS JOIN expected e
            ANTI JOIN covered v ON v.trial_id = t.trial_id AND v.classifier = e.classifier
            GROUP BY t.trial_id
        )
        SELECT keys, list(trial_id ORDER BY trial_id) FROM missing GROUP BY keys ORDER BY keys
    """, params).fetchall()
    release_memory(con)
    wanted = None if trial_ids is None else set(trial_ids)
    out: dict[tuple[str, ...], list[str]] = {}
    for idx, trials in rows:
        if wanted is not None:
            trials = [t for t in trials if t in wanted]
        if trials:
            out[tuple(names[i] for i in idx)] = trials
    return out


def recorded_versions(con: duckdb.DuckDBPyConnection, digest: str | None = None) -> dict[str, str] | None:
    """Every classifier's version as the newest complete run over the default classifiers
    recorded it, when that run's source digest is ``digest`` (default: this source's)."""
    rows = con.execute(
        "SELECT current FROM classify_runs WHERE status = 'complete' AND code = ? AND current IS NOT NULL "
        "ORDER BY run_id DESC LIMIT 1", [digest or source_digest()]).fetchall()
    return json.loads(rows[0][0]) if rows else None


def labels_current(con: duckdb.DuckDBPyConnection, models_folder: str | Path | None = None, *,
                   use_models: bool = True) -> tuple[int, int] | None:
    """(trials, classifiers) when every stored trial is current for every active classifier
    (and, with ``use_models``, every trained model a run would apply); None when some pair is
    not, or when that cannot be told without loading the classifiers (the source changed since
    the last run over all of them, or a model's metadata cannot be read)."""
    recorded = recorded_versions(con)
    if recorded is None:
        return None
    expected = {k: v for k, v in recorded.items() if not k.startswith(MODEL_PREFIX)}
    if use_models:
        models = model_versions(models_folder)
        if models is None:
            return None
        expected |= models
    trials, covered, by_models = _coverage(con, expected)
    if not use_models and by_models:
        return None  # the rules run again where a model gave part of their labels
    if covered != trials * len(expected):
        return None
    return trials, len(expected)


def _coverage(con: duckdb.DuckDBPyConnection, expected: dict[str, str]) -> tuple[int, int, int]:
    """In one query: the stored trials; the (trial, classifier) pairs of ``expected`` that are
    current (:func:`pending` tells which are not, this only counts); and the coverage rows of
    complete runs that learned models wrote. Pairs are told apart by a 64-bit hash of the two
    (cheaper than the strings): two pairs of one hash would count as one, which can only make
    the labels look not current, and the run then finds the answer the slow way."""
    values, params = _values(expected) if expected else ("(NULL, NULL)", [])
    return con.execute(f"""
        WITH expected(classifier, version) AS (VALUES {values}),
        complete AS (SELECT run_id FROM classify_runs WHERE status = 'complete')
        SELECT
            (SELECT count(*) FROM trials),
            (SELECT count(DISTINCT hash(c.trial_id, c.classifier)) FROM {_CURRENT_COVERAGE}),
            (SELECT count(*) FROM classify_coverage
             WHERE classifier LIKE 'model:%' AND run_id IN (SELECT run_id FROM complete))
    """, params).fetchall()[0]
