"""Learned classifiers: scikit-learn pipelines declared with the same metadata as rules.

- :mod:`.spec`: :class:`ModelSpec` (ID, name, unit, catalogue IDs, kind, documentation) and
  its stock pipeline (TF-IDF, logistic regression, sigmoid calibration);
- :mod:`.declared`: the models redline declares (``MSG-SELFPRES``, ``MSG-GIVEUP``,
  ``SUGGEST-HIGH``);
- :mod:`.inputs`: what a model reads from a batch (the step's text and its context);
- :mod:`.fit`: fitting, validated thresholds, grouped cross-validation with intervals;
- :mod:`.files`: saving and loading (skops + compact form + JSON metadata), the shipped
  defaults, the user's models folder;
- :mod:`.compact`: a stock pipeline's compact inference form, scored with NumPy to the same
  bits (no scikit-learn, SciPy or skops at classify time), and :mod:`.analyzers`, the hashing
  vectorizer's n-gram counts it reads;
- :mod:`.scoring`: a batch's scores as the pipelines compute them, each distinct input once and
  the hashed n-gram counts shared between models;
- :mod:`.apply`: labels and suggestions for a batch.
"""

from .declared import MODELS
from .files import ModelError, TrainedModel, default_dir, load, save, user_models_dir
from .spec import ModelSpec

__all__ = ["MODELS", "ModelError", "ModelSpec", "TrainedModel", "default_dir", "load", "save", "user_models_dir"]
