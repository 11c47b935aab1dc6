"""Prepare data for the emlearn_neighbors module (k-nearest neighbours on int16 vectors).

The module ranks items by exact squared Euclidean distance on int16 values, so
it predicts what scikit-learn's ``KNeighborsClassifier`` (uniform weights,
Euclidean metric) predicts when both see the same integers. Features on
different scales are usually standardized first; :func:`fit_int16_standard_scaling`
does that and maps the result to int16 with one common factor, which keeps
the distances proportional to those between standardized values (up to
rounding)::

    scale, offset = fit_int16_standard_scaling(X_train)
    Xq = quantize_int16(X_train, scale, offset)
    model = KNeighborsClassifier(n_neighbors=5).fit(Xq, y_train)
    rows, labels, k = training_data(model)    # for Model.additems on the device

and the device quantizes its inputs with the same scale and offset.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .trees import quantize_int16

__all__ = ["fit_int16_standard_scaling", "quantize_int16", "training_data"]

INT16_MIN, INT16_MAX = -32768, 32767


def fit_int16_standard_scaling(X: Any, target: float = 4000.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature (scale, offset) for :func:`quantize_int16`: standard scores
    (``(x - mean) / std``, as StandardScaler) times one factor, chosen so the
    largest standard score in X maps to ``target``. With the default, inputs
    up to 8 times the training range fit in int16 before they clip, and up
    to 2.9 times it (values within +-11585) the device takes its faster
    distance loops; 4000 steps for the largest score keep the neighbours of
    the standardized floats (the tests find the same predictions). A feature
    that is constant in X gets scale 0 (it adds nothing to any distance)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError("X must be 2-D with at least one row")
    if not 0 < target <= INT16_MAX:
        raise ValueError("target must be in (0, 32767]")
    offset = X.mean(axis=0)
    std = X.std(axis=0)
    inv = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 0.0)
    largest = float(np.max(np.abs((X - offset) * inv)))
    factor = target / largest if largest > 0 else 1.0
    return inv * factor, offset


def training_data(model: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """(rows, labels, k) of a fitted KNeighborsClassifier, for ``emlearn_neighbors``:
    ``new(len(labels), rows.shape[1], k)`` then ``additems(rows, labels)`` (flat
    int16 arrays) gives the device model. The classifier must have been fitted
    on int16-valued data, with integer class labels in the int16 range,
    uniform weights and the Euclidean metric; ValueError otherwise."""
    from sklearn.neighbors import KNeighborsClassifier

    if not isinstance(model, KNeighborsClassifier):
        raise ValueError("expected a fitted KNeighborsClassifier, got %s" % type(model).__name__)
    if model.weights != "uniform":
        raise ValueError("emlearn_neighbors votes uniformly: weights must be 'uniform'")
    metric, p = model.effective_metric_, model.effective_metric_params_.get("p", 2)
    if metric not in ("euclidean", "minkowski") or (metric == "minkowski" and p != 2):
        raise ValueError("emlearn_neighbors ranks by Euclidean distance; metric is %r" % metric)
    X = np.asarray(model._fit_X, dtype=np.float64)
    if not np.array_equal(X, np.rint(X)) or X.min() < INT16_MIN or X.max() > INT16_MAX:
        raise ValueError("the model must be fitted on int16 values (see quantize_int16)")
    classes = np.asarray(model.classes_)
    if classes.dtype.kind not in "iub" or classes.min() < INT16_MIN or classes.max() > INT16_MAX:
        raise ValueError("class labels must be integers from -32768 to 32767")
    n = len(X)
    if n > 65535 or X.shape[1] > 65535:
        raise ValueError("emlearn_neighbors holds at most 65535 items of 65535 features")
    labels = classes[np.asarray(model._y)].astype(np.int16)
    return X.astype(np.int16), labels, min(int(model.n_neighbors), n)
