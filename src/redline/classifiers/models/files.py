"""Saving and loading trained models: a skops file, a compact form and a JSON file of metadata.

A trained model is up to three files in a models folder: ``ID.skops`` (the fitted scikit-learn
pipeline in skops' format, which loads without running pickled code), ``ID.npz`` (its compact
inference form, :mod:`.compact`: the arrays that score it with NumPy alone, written for a
pipeline of the stock shape) and ``ID.json`` (what the model is: its ID, the catalogue IDs it
predicts, its version, threshold, the scikit-learn and skops versions it was trained with, the
SHA-256 of the skops file, the compact form's parameters and SHA-256, what it was trained on
and its cross-validated figures).

Loading checks that the metadata names the model asked for and this redline's declaration of
it, and that the skops file and the compact form are the ones the metadata describes (a changed
file is an error that says what to do). A model with a compact form is then scored from it:
that form is redline's own arithmetic, the same whichever scikit-learn is installed, and a
classify run imports neither scikit-learn, SciPy nor skops (see :mod:`.compact` for the time
and memory this saves). The pipeline itself is read only when asked for (:attr:`TrainedModel.pipeline`),
and then, as for a model without a compact form (read at once), two more checks apply: the
installed scikit-learn must be the one it was trained with (a pipeline fitted by another
version may compute something else, so this is an error with a message that says what to do,
never a warning), and the file may hold only the scikit-learn, NumPy and SciPy types a pipeline
is made of.

Where models live
    the wheel ships a default for each model (package data, trained by ``tools/train_default.py``
    on the project's own examples and sample: :data:`DEFAULT_DIR`); models trained by
    ``redline train`` go to a folder outside the source tree: ``--models DIR``, else
    ``REDLINE_MODELS``, else the user's data directory (:func:`user_models_dir`). A model there
    takes precedence over the shipped default of the same ID.

The skops and npz files are written canonically (entries named in order, fixed timestamps), so
the same training data gives the same bytes and the same version.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...files import write_whole
from .spec import ModelSpec

if TYPE_CHECKING:
    from .compact import Compact

#: the metadata format this redline writes and reads
FORMAT = "redline-model/1"
#: environment variable naming the folder of trained models
MODELS_ENV = "REDLINE_MODELS"
#: the modules whose types a saved pipeline may hold
TRUSTED_MODULES = ("sklearn.", "numpy", "scipy.sparse.", "builtins.")


class ModelError(RuntimeError):
    """A saved model that cannot be used as it is, with the reason and what to do."""


def default_dir() -> Path:
    """The shipped default models (package data)."""
    return Path(__file__).parent / "data" / "default"


def user_models_dir() -> Path:
    """Where ``redline train`` saves models unless told otherwise: ``REDLINE_MODELS``, else the
    user's data directory (``platformdirs``: e.g. ``~/.local/share/redline/models`` on Linux)."""
    env = os.environ.get(MODELS_ENV)
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("redline", appauthor=False)) / "models"


def sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


class _Pipeline:
    """The ``pipeline`` field of :class:`TrainedModel`: read by the model's loader on first use."""

    #: the model's attribute holding the loader
    loader = "load_pipeline"

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = f"_{name}"

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return None  # the field's default
        value = obj.__dict__.get(self.attr)
        load = getattr(obj, self.loader)
        if value is None and load is not None:
            value = obj.__dict__[self.attr] = load()
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.attr] = value


class _Compact(_Pipeline):
    """The ``compact`` field of :class:`TrainedModel`: decoded by the model's loader on first use."""

    loader = "load_compact"


@dataclass(eq=False, repr=False)
class TrainedModel:
    """A fitted pipeline with what it is: its spec, threshold, classes and metadata.

    A loaded model with a compact form (:mod:`.compact`) is scored from that form, decoded
    (``load_compact``) when it first scores: the arrays need NumPy, which a classify run then
    imports only once a batch's rules are done, not beside them. Its scikit-learn pipeline is
    read from the skops file (``load_pipeline``) only when something asks for :attr:`pipeline`
    (:meth:`scores`, saving it again)."""

    spec: ModelSpec
    pipeline: Any = _Pipeline()
    threshold: float = 0.5
    #: the catalogue IDs the pipeline's probability columns stand for, in order
    classes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    #: the pipeline's compact inference form, when it has one
    compact: Compact | None = _Compact()
    #: reads the pipeline when it is first asked for (a loaded model with a compact form)
    load_pipeline: Callable[[], Any] | None = None
    #: decodes the compact form when it is first asked for (a loaded model with one)
    load_compact: Callable[[], Compact] | None = None

    def __repr__(self) -> str:
        return f"TrainedModel({self.id!r}, version={self.version!r}, threshold={self.threshold!r})"

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def version(self) -> str:
        return str(self.meta.get("version", self.spec.classifier_version))

    @property
    def add_threshold(self) -> float:
        """The score at which a ``label`` model adds a label the rule did not give (never below
        its threshold; see :attr:`ModelSpec.union_min_precision`)."""
        add = self.meta.get("add_threshold", self.threshold)
        return float("inf") if add is None else max(self.threshold, float(add))

    def scores(self, inputs) -> Any:
        """Calibrated probabilities, one column per class (rows x classes), for a frame of inputs,
        computed by the scikit-learn pipeline itself (what :mod:`.scoring` is checked against)."""
        import numpy as np

        if inputs.height == 0:
            return np.zeros((0, len(self.classes)))
        return self.select(self.pipeline.predict_proba(inputs.select(list(self.spec.inputs))))

    def select(self, proba) -> Any:
        """The columns of the pipeline's ``predict_proba`` that are the model's scores: a
        ``label`` model's positive class, a ``suggestion`` model's every class."""
        if self.spec.kind == "label":
            return proba[:, 1:2]
        return proba


def _canonical(data: bytes) -> bytes:
    """A skops archive rewritten so the same object always gives the same bytes: array entries
    and object identities (both memory addresses) renumbered in order of first mention, the
    vectorizers' remembered ``id(stop_words)`` (an address too) set to 0, timestamps fixed."""
    import zipfile  # here: saving is rare, and reading a model's metadata (every classify) needs no zip

    src = zipfile.ZipFile(io.BytesIO(data))
    schema = src.read("schema.json").decode("utf-8")
    names: dict[str, str] = {}
    for found in re.findall(r'"(\d+\.npy)"', schema):
        names.setdefault(found, f"{len(names):06d}.npy")
    schema = re.sub(r'"(\d+\.npy)"', lambda m: f'"{names[m.group(1)]}"', schema)
    # scikit-learn's text vectorizers remember id(stop_words) to skip re-checking them; an address
    schema = re.sub(r'("_stop_words_id": \{[^}]*?"content": )"\d+"', r'\1"0"', schema)
    ids: dict[str, int] = {}  # object identities (shared references), numbered in order of first mention
    schema = re.sub(r'"__id__": (\d+)', lambda m: f'"__id__": {ids.setdefault(m.group(1), len(ids) + 1)}', schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        entries = [("schema.json", schema.encode("utf-8"))]
        entries += sorted((names[i.filename], src.read(i.filename)) for i in src.infolist() if i.filename in names)
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, content)
    return out.getvalue()


def save(model: TrainedModel, folder: str | os.PathLike[str], *, extra: dict[str, Any] | None = None) -> Path:
    """Write ``ID.skops``, ``ID.npz`` (the compact form, for a pipeline of the stock shape) and
    ``ID.json`` into ``folder`` (created if needed); returns the JSON file's path. The model's
    version becomes ``<spec version>.<hash of the skops file>``: the compact form is computed
    from that pipeline, so it names both."""
    import skops
    import skops.io as sio

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = _canonical(sio.dumps(model.pipeline))
    digest = hashlib.sha256(data).hexdigest()
    meta = {
        "format": FORMAT, "id": model.spec.id, "unit": model.spec.unit, "kind": model.spec.kind,
        "labels": list(model.classes), "inputs": list(model.spec.inputs),
        "version": f"{model.spec.version}.{digest[:10]}", "spec_version": model.spec.version,
        "threshold": model.threshold, "sklearn_version": sklearn_version(), "skops_version": skops.__version__,
        "sha256": digest, **{k: v for k, v in model.meta.items() if k not in _RESERVED}, **(extra or {}),
    }
    from . import compact as compact_form  # NumPy: only when a model is saved or loaded, not for its metadata

    compact = compact_form.from_pipeline(model.pipeline)
    npz_path = folder / f"{model.spec.id}.npz"
    if compact is not None:
        params, arrays = compact_form.to_files(compact)
        meta["compact"] = {**params, "sha256": hashlib.sha256(arrays).hexdigest()}
        write_whole(npz_path, arrays)
    elif npz_path.exists():
        npz_path.unlink()
    write_whole(folder / f"{model.spec.id}.skops", data)
    json_path = folder / f"{model.spec.id}.json"
    write_whole(json_path, (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    model.meta, model.path, model.compact = meta, json_path, compact
    return json_path


_RESERVED = {"format", "id", "unit", "kind", "labels", "inputs", "version", "spec_version", "threshold",
             "sklearn_version", "skops_version", "sha256", "compact"}


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(path)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: cannot read model metadata: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelError(f"{path}: not a redline model (expected format {FORMAT})")
    return meta


def model_folder(spec_id: str, folder: Path, installed: Callable[[], str | None], shipped: Path | None = None) -> Path:
    """The folder whose ``spec_id`` model a classify run applies, given the user's models
    ``folder`` and the installed scikit-learn version (``installed()``, asked only when it
    matters: importing scikit-learn to ask is slow): the user's model if it is there, else
    the shipped default when it carries its compact form (which scores the same under any
    scikit-learn) or was trained with the installed version, else the default retrained for
    that version inside ``folder`` (which may not exist yet). ``shipped``: the shipped defaults'
    folder (default :func:`default_dir`). Reads metadata only, so the quick check of whether
    labels are current asks the same question as the run."""
    if (folder / f"{spec_id}.json").exists():
        return folder
    shipped = shipped or default_dir()
    meta = read_meta(shipped / f"{spec_id}.json")
    if "compact" in meta:
        return shipped
    version = installed()
    return shipped if meta.get("sklearn_version") == version else folder / f"defaults-sklearn-{version}"


def _read(path: Path, digest: str | None, json_path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise ModelError(f"{path}: does not match {json_path.name} (changed since it was saved): retrain it")
    return data


def load(spec: ModelSpec, folder: str | os.PathLike[str]) -> TrainedModel:
    """Load ``spec``'s model from ``folder`` (see the module docstring for the checks). A model
    with a compact form is scored from it, without scikit-learn; its pipeline is loaded (and the
    scikit-learn version checked) when first asked for."""
    json_path = Path(folder) / f"{spec.id}.json"
    meta = read_meta(json_path)
    if meta.get("id") != spec.id:
        raise ModelError(f"{json_path}: holds model {meta.get('id')!r}, not {spec.id}")
    if meta.get("spec_version") != spec.version:
        raise ModelError(
            f"{json_path}: {spec.id} was trained for declaration version {meta.get('spec_version')}; this redline "
            f"declares version {spec.version}: retrain it with 'redline train {spec.id}'")
    try:
        spec = spec.with_inputs(tuple(meta.get("inputs") or spec.inputs))
    except ValueError as exc:
        raise ModelError(f"{json_path}: {exc}") from None
    skops_path = json_path.with_suffix(".skops")
    data = _read(skops_path, meta.get("sha256"), json_path)
    model = TrainedModel(spec=spec, threshold=float(meta["threshold"]), classes=tuple(meta["labels"]), meta=meta,
                         path=json_path, load_pipeline=partial(_pipeline, spec, meta, data, json_path))
    if isinstance(meta.get("compact"), dict):
        npz_path = json_path.with_suffix(".npz")
        arrays = _read(npz_path, meta["compact"].get("sha256"), json_path)
        parts = meta["compact"].get("parts")
        if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
            raise ModelError(f"{npz_path}: not a compact model redline can score (no parts): retrain it")
        if any(str(p.get("column")) not in spec.inputs for p in parts):
            raise ModelError(f"{npz_path}: reads inputs the model does not declare: retrain it")
        model.load_compact = partial(_compact, meta["compact"], arrays, npz_path)
    else:
        model.pipeline  # noqa: B018 - no compact form: the pipeline is what scores, checked now
    return model


def _compact(params: dict[str, Any], arrays: bytes, npz_path: Path) -> Compact:
    """The compact form of a model's ``.npz`` bytes (already checked against its metadata)."""
    from . import compact as compact_form  # NumPy: once the model scores

    try:
        return compact_form.from_files(params, arrays)
    except (ValueError, KeyError, OSError) as exc:
        raise ModelError(f"{npz_path}: not a compact model redline can score ({exc}): retrain it") from None


def _pipeline(spec: ModelSpec, meta: dict[str, Any], data: bytes, json_path: Path) -> Any:
    """The skops file's pipeline, after checking the scikit-learn version and the types it holds."""
    import skops.io as sio

    installed = sklearn_version()
    if meta.get("sklearn_version") != installed:
        raise ModelError(
            f"{json_path}: {spec.id} was trained with scikit-learn {meta.get('sklearn_version')}, this environment "
            f"has {installed}: retrain it with 'redline train {spec.id}' (or install "
            f"scikit-learn=={meta.get('sklearn_version')})")
    untrusted = sio.get_untrusted_types(data=data)
    foreign = [t for t in untrusted if not t.startswith(TRUSTED_MODULES)]
    if foreign:
        raise ModelError(f"{json_path.with_suffix('.skops')}: holds types a redline model never has: {', '.join(foreign)}")
    return sio.loads(data, trusted=untrusted)
