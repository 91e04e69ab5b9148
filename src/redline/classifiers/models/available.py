"""Which trained models a classify run uses, and the shipped defaults' fallback.

For each declared model (:data:`~redline.classifiers.models.declared.MODELS`), the one in the
user's models folder (``--models DIR``, ``REDLINE_MODELS``, or the user's data directory) if it
is there, else the shipped default (package data). A user's model that cannot be loaded is an
error that names the file and says what to do.

The shipped defaults carry their compact form (:mod:`.compact`), which scores the same under
any scikit-learn, so they are loaded as they are. A shipped default without one (trained with
one scikit-learn version) is not loaded under another (a pipeline fitted by one version may
compute something else under another): it is retrained from the same bundled examples it was
made from, deterministically, into ``defaults-sklearn-<version>`` inside the models folder,
once, and a message says so (``on_message``). No pipeline is ever loaded across versions
silently.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from .declared import MODELS
from .files import (ModelError, TrainedModel, default_dir, load, model_folder, read_meta, save, sklearn_version,
                    user_models_dir)
from .spec import ModelSpec


def train_default(spec: ModelSpec) -> TrainedModel:
    """``spec`` fitted on the bundled examples alone: what the shipped default is. Training is
    imported here, where a default has to be retrained: it reads the examples through
    :mod:`redline.convert` (pyarrow, about 25 MB and 0.1 s), which applying a model never needs."""
    from .examples import example_set
    from .fit import fit_model

    return fit_model(spec, example_set(spec), meta={"trained_on": "bundled examples (written and sample)"})


def _rebuilt(spec: ModelSpec, rebuilt: Path, on_message: Callable[[str], None] | None) -> TrainedModel:
    """The shipped default retrained for this scikit-learn in ``rebuilt``, made once."""
    if (rebuilt / f"{spec.id}.json").exists():
        try:
            return load(spec, rebuilt)
        except ModelError:
            pass
    model = train_default(spec)
    save(model, rebuilt)
    if on_message:
        meta = read_meta(default_dir() / f"{spec.id}.json")
        on_message(f"the shipped {spec.id} model was trained with scikit-learn {meta.get('sklearn_version')} and this "
                   f"environment has {sklearn_version()}: retrained it from the bundled examples into {rebuilt}")
    return model


def available_models(folder: str | os.PathLike[str] | None = None, ids: Sequence[str] | None = None, *,
                     on_message: Callable[[str], None] | None = None) -> list[TrainedModel]:
    """The trained models to apply (see the module docstring); ``ids`` limits them."""
    folder = Path(folder) if folder is not None else user_models_dir()
    out = []
    for spec in MODELS:
        if ids is not None and spec.id not in ids:
            continue
        shipped = default_dir()
        source = model_folder(spec.id, folder, sklearn_version, shipped)
        if source in (folder, shipped):
            out.append(load(spec, source))
        else:
            out.append(_rebuilt(spec, source, on_message))
    return out
