"""Convert fitted scikit-learn tree models to the emlearn_trees binary format.

The format is specified in ``docs/trees-format.md``; this module is its writer.
Supported estimators: DecisionTreeClassifier/Regressor,
RandomForestClassifier/Regressor, ExtraTreesClassifier/Regressor and
GradientBoostingClassifier/Regressor (init estimator ``'zero'`` or the default
prior-based Dummy estimator), HistGradientBoostingClassifier/Regressor
(numerical features; regression losses with the identity link) and
IsolationForest (one output: the mean path length minus its value at the
model's threshold, negative for outliers; see
:func:`isolation_forest_constants`). Regressors may have several outputs
(except gradient boosting, which scikit-learn does not support for that).
XGBoost's XGBClassifier/XGBRegressor and Booster models are converted too
(:mod:`emlearn_mp.trees_xgboost` says which).

Decisions are reproduced exactly: scikit-learn goes left iff
``float32(x) <= thr`` (thr a float64); the file says go left iff ``x < t``.

- ``thresholds='float'``: t is the smallest float32 above thr, stored as its
  int32 order key. Exact for every float32 (and int16) input. A threshold of
  +inf (HistGradientBoosting's split of NaN from all numbers) is stored as the
  key just above +inf's, so +inf goes left and NaN right, as in scikit-learn.
  A NaN input goes right at every split, unless ``nan='exact'`` adds check
  nodes that send it where scikit-learn does (see :func:`to_binary`).
- ``thresholds='int16'``: t = floor(thr) + 1. Exact for every *integer* input;
  train on integer data (see :func:`fit_int16_scaling`/:func:`quantize_int16`).
  A split that no int16 value can take one way (t outside [-32768, 32767]) is
  replaced by the child it always takes. When every t lies in [-128, 127] (8-bit
  data such as images) the file stores int8 thresholds (flag ``T8``): same
  decisions, one byte per node.

Classifier leaves (format version 2): a pure leaf is encoded in its ref; any
other leaf is a deduplicated, gcd-reduced record of u8 words, or u16 words
(flag ``C16``) when a class, count or record length exceeds 255.

Command line::

    python3 -m emlearn_mp.trees convert model.pkl out.emlt [--csv out.csv] [--int16] [--wide] [--exact-nan]
    python3 -m emlearn_mp.trees info out.emlt
"""

from __future__ import annotations

import argparse
import math
import pickle
import struct
import sys
import warnings
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from .trees_reader import model_info, predict_binary  # noqa: F401  (re-exported)

__all__ = [
    "to_binary",
    "to_csv",
    "model_info",
    "predict_binary",
    "fit_int16_scaling",
    "quantize_int16",
    "edge_rows",
    "float32_above",
    "float32_key",
    "int16_threshold",
    "float_threshold_key",
    "isolation_forest_constants",
    "main",
]

MAGIC = b"EMLT"
VERSION = 2
KIND_CLASSES = 0
KIND_VALUES = 1
FLAG_FLOAT = 0x01
FLAG_WIDE = 0x02
FLAG_T8 = 0x04
FLAG_C16 = 0x08
COMBINE_MEAN = 0
COMBINE_SUM = 1
COMBINE_LOGISTIC = 2
COMBINE_SOFTMAX = 3
ALL_OUTPUTS = 0xFFFF
HEADER = struct.Struct("<4sBBBBHHIIIII")
assert HEADER.size == 32

INT16_MIN = -32768
INT16_MAX = 32767
INT8_MIN = -128
INT8_MAX = 127
U8_MAX = 0xFF
U16_MAX = 0xFFFF
MAX_RECORD_SUM = 0xFFFF  # a record's counts sum to 1..65535
NARROW_MAX_FEATURES = 256
NARROW_MAX_REF = 0xFFFF
KEY_ABOVE_INF = 0x7F800001  # above key(+inf) = 0x7F800000, below NaN's (INT32_MAX)


# ---------------------------------------------------------------------------
# Thresholds


def float32_above(thr: float) -> np.float32:
    """Smallest float32 t with ``x <= thr`` iff ``x < t`` for every float32 x.

    First f = the largest float32 <= thr (round to nearest, step down if that
    went up), then t = the next float32 after f.
    """
    with np.errstate(over="ignore"):
        f = np.float32(thr)
        if float(f) > thr:
            f = np.nextafter(f, np.float32(-np.inf))
        return np.nextafter(f, np.float32(np.inf))


def float32_key(value: float | np.float32) -> int:
    """The int32 order key of a float32 (docs/trees-format.md, decision rule).

    -0.0 is keyed as +0.0 and every NaN as INT32_MAX.
    """
    v = np.float32(value)
    if np.isnan(v):
        return 0x7FFFFFFF
    if v == 0:
        return 0
    b = int(np.array(v, dtype=np.float32).view(np.int32))
    return b ^ ((b >> 31) & 0x7FFFFFFF)


def int16_threshold(thr: float) -> int:
    """t = floor(thr) + 1, so that for every integer x: x <= thr iff x < t.

    An infinite thr gives a t outside int16 (every integer is <= +inf; none is
    <= -inf): such a split is replaced by the child it always takes."""
    if math.isinf(thr):
        return INT16_MAX + 1 if thr > 0 else INT16_MIN - 1
    return math.floor(thr) + 1


def float_threshold_key(thr: float) -> int:
    """The stored float threshold of a split ``x <= thr``: x goes left iff
    key(x) < it, for every float32 x (NaN goes right)."""
    if thr == math.inf:
        return KEY_ABOVE_INF
    return float32_key(float32_above(thr))


# ---------------------------------------------------------------------------
# Quantization helper for non-integer data


def fit_int16_scaling(X: Any, target: float = 30000.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature (scale, offset) mapping the range of X onto [-target, target].

    Use ``quantize_int16(X, scale, offset)`` on the training data, train the
    model on the quantized values, convert with ``thresholds='int16'`` and
    quantize the inputs the same way on the device: decisions are then exactly
    those of scikit-learn. ``target`` < 32767 leaves headroom for inputs a
    little outside the training range (they are clipped otherwise).
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError("X must be 2-D")
    lo = np.nanmin(X, axis=0)
    hi = np.nanmax(X, axis=0)
    offset = (hi + lo) / 2.0
    half = (hi - lo) / 2.0
    scale = np.where(half > 0, target / np.where(half > 0, half, 1.0), 1.0)
    return scale, offset


def quantize_int16(X: Any, scale: Any, offset: Any) -> np.ndarray:
    """``clip(round((X - offset) * scale), -32768, 32767)`` as np.int16."""
    q = np.rint((np.asarray(X, dtype=np.float64) - offset) * scale)
    return np.clip(q, INT16_MIN, INT16_MAX).astype(np.int16)


def edge_rows(model: Any, X: Any, mode: str, n: int = 300, seed: int = 0) -> np.ndarray:
    """About ``n`` rows of X with one feature set exactly at, or next to, a
    split threshold of the fitted model: the inputs where a converted model is
    most likely to decide differently from scikit-learn. For ``mode`` "int16"
    the integers around the threshold; for "float" the float32 nearest to it
    and its two neighbours. Returns rows of X's dtype (empty if no splits)."""
    rng = np.random.RandomState(seed)
    X = np.asarray(X)
    splits = [(int(f), float(t)) for st in _describe(model).trees
              for f, t, c in zip(st.tree.feature, st.tree.threshold, st.tree.children_left)
              if c != -1 and math.isfinite(t)]
    if not splits:
        return X[:0]
    rows = []
    for i in rng.randint(0, len(splits), size=max(1, n // 3)):
        f, thr = splits[i]
        base = X[rng.randint(len(X))]
        if mode == "int16":
            cands = [math.floor(thr), math.floor(thr) + 1, math.ceil(thr)]
            cands = [min(max(c, INT16_MIN), INT16_MAX) for c in cands]
        else:
            f32 = np.float32(thr)
            cands = [f32, np.nextafter(f32, np.float32(-np.inf)), np.nextafter(f32, np.float32(np.inf))]
        for c in cands:
            r = base.copy()
            r[f] = c
            rows.append(r)
    return np.array(rows, dtype=X.dtype)


# ---------------------------------------------------------------------------
# Model description: what the trees are and how they combine


@dataclass
class _SourceTree:
    tree: Any  # sklearn.tree._tree.Tree, or a _TreeArrays
    output: int  # output index, or ALL_OUTPUTS
    scale: float  # values-kind leaves are float32(scale * value)


@dataclass
class _Ensemble:
    kind: int
    combine: int
    n_features: int
    n_outputs: int
    trees: list[_SourceTree]
    init: np.ndarray | None  # float64, n_outputs values, when combine != 0


def _sklearn_types() -> dict[str, Any]:
    from sklearn import ensemble, tree

    return {
        "dtc": tree.DecisionTreeClassifier,
        "dtr": tree.DecisionTreeRegressor,
        "rfc": ensemble.RandomForestClassifier,
        "rfr": ensemble.RandomForestRegressor,
        "etc": ensemble.ExtraTreesClassifier,
        "etr": ensemble.ExtraTreesRegressor,
        "gbc": ensemble.GradientBoostingClassifier,
        "gbr": ensemble.GradientBoostingRegressor,
        "hgbc": ensemble.HistGradientBoostingClassifier,
        "hgbr": ensemble.HistGradientBoostingRegressor,
        "iforest": ensemble.IsolationForest,
    }


def _describe(model: Any) -> _Ensemble:
    """Turn a fitted estimator into an :class:`_Ensemble` (raises on others)."""
    from . import trees_xgboost  # imports xgboost only for its models

    if trees_xgboost.is_xgboost(model):
        return trees_xgboost.describe(model)
    t = _sklearn_types()
    if not hasattr(model, "n_features_in_"):
        raise ValueError(f"{type(model).__name__} is not fitted")
    n_features = int(model.n_features_in_)
    if isinstance(model, (t["gbc"], t["gbr"])):
        return _describe_gb(model, n_features, isinstance(model, t["gbc"]))
    if isinstance(model, (t["hgbc"], t["hgbr"])):
        return _describe_hist_gb(model, n_features, isinstance(model, t["hgbc"]))
    if isinstance(model, t["iforest"]):
        return _describe_iforest(model, n_features)
    if isinstance(model, (t["dtc"], t["dtr"])):
        estimators = [model]
    elif isinstance(model, (t["rfc"], t["rfr"], t["etc"], t["etr"])):
        estimators = list(model.estimators_)
    else:
        raise TypeError(f"unsupported model type {type(model).__name__}")
    n_outputs = int(model.n_outputs_)
    if isinstance(model, (t["dtc"], t["rfc"], t["etc"])):
        if n_outputs != 1:
            raise ValueError("multi-output classifiers are not supported")
        n_classes = int(np.atleast_1d(model.n_classes_)[0])
        trees = [_SourceTree(e.tree_, ALL_OUTPUTS, 1.0) for e in estimators]
        return _Ensemble(KIND_CLASSES, COMBINE_MEAN, n_features, n_classes, trees, None)
    trees = [_SourceTree(e.tree_, ALL_OUTPUTS, 1.0) for e in estimators]
    return _Ensemble(KIND_VALUES, COMBINE_MEAN, n_features, n_outputs, trees, None)


def _gb_init(model: Any, n_features: int) -> np.ndarray:
    """The constant raw prediction of the init estimator, as sklearn computes it."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    init = model.init_
    if isinstance(init, str):
        if init != "zero":
            raise ValueError(f"unsupported init {init!r}")
    elif not isinstance(init, (DummyClassifier, DummyRegressor)):
        raise ValueError(
            "only init='zero' or the default prior/Dummy init estimator are supported "
            f"(got {type(init).__name__}, whose prediction depends on the input)"
        )
    x0 = np.zeros((1, n_features), dtype=np.float32)
    raw = np.asarray(model._raw_predict_init(x0), dtype=np.float64)
    return raw[0]


def _describe_gb(model: Any, n_features: int, classifier: bool) -> _Ensemble:
    stages = model.estimators_  # shape (n_stages, K)
    raw0 = _gb_init(model, n_features)
    lr = float(model.learning_rate)
    if not classifier:
        trees = [_SourceTree(row[0].tree_, 0, lr) for row in stages]
        return _Ensemble(KIND_VALUES, COMBINE_SUM, n_features, 1, trees, raw0.copy())
    n_classes = int(model.n_classes_)
    # exponential loss: proba = expit(2 * raw); fold the exact factor 2 in.
    factor = 2.0 if model.loss == "exponential" else 1.0
    if n_classes == 2:
        trees = [_SourceTree(row[0].tree_, 1, factor * lr) for row in stages]
        init = np.array([0.0, factor * raw0[0]])
        return _Ensemble(KIND_VALUES, COMBINE_LOGISTIC, n_features, 2, trees, init)
    trees = [
        _SourceTree(row[k].tree_, k, lr) for row in stages for k in range(n_classes)
    ]
    return _Ensemble(KIND_VALUES, COMBINE_SOFTMAX, n_features, n_classes, trees, raw0.copy())


@dataclass
class _TreeArrays:
    """A tree as the arrays of scikit-learn's Tree that the converter reads:
    children -1 at leaves, ``value`` of shape (n_nodes, 1, 1). Made from
    HistGradientBoosting's trees and IsolationForest's path lengths."""

    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    missing_go_to_left: np.ndarray | None = None  # where scikit-learn sends NaN


def _hist_tree(predictor: Any) -> _TreeArrays:
    nodes = predictor.nodes
    leaf = nodes["is_leaf"].astype(bool)
    if np.any(nodes["is_categorical"][~leaf]):
        raise ValueError("HistGradientBoosting with categorical features is not supported")
    return _TreeArrays(
        children_left=np.where(leaf, -1, nodes["left"].astype(np.int64)),
        children_right=np.where(leaf, -1, nodes["right"].astype(np.int64)),
        feature=np.where(leaf, -2, nodes["feature_idx"].astype(np.int64)),
        # sklearn: x <= num_threshold goes left (as float64, like Tree's
        # thresholds); +inf splits NaN (right) from every number (left)
        threshold=np.where(leaf, -2.0, nodes["num_threshold"].astype(np.float64)),
        # leaf values already include the learning rate
        value=nodes["value"].astype(np.float64).reshape(-1, 1, 1),
        missing_go_to_left=nodes["missing_go_to_left"].astype(bool),
    )


def _isolation_tree(estimator: Any, features: np.ndarray | None) -> _TreeArrays:
    """An isolation tree whose leaf values are scikit-learn's path lengths:
    depth + c(training samples in the leaf). features maps the tree's feature
    indices to the model's when the trees saw a subset of the features."""
    from sklearn.ensemble._iforest import _average_path_length  # sklearn's own c(n)

    t = estimator.tree_
    cl = np.asarray(t.children_left, dtype=np.int64)
    cr = np.asarray(t.children_right, dtype=np.int64)
    depth = np.zeros(t.node_count)
    for i in range(t.node_count):  # a node comes before its children
        if cl[i] != -1:
            depth[cl[i]] = depth[cr[i]] = depth[i] + 1
    feature = np.asarray(t.feature, dtype=np.int64)
    if features is not None:
        feature = np.where(cl == -1, -2, np.asarray(features)[np.maximum(feature, 0)])
    path = depth + _average_path_length(np.asarray(t.n_node_samples))
    return _TreeArrays(cl, cr, feature, np.asarray(t.threshold, dtype=np.float64),
                       path.reshape(-1, 1, 1))


def isolation_forest_constants(model: Any) -> tuple[float, float]:
    """(m0, c) of a fitted IsolationForest, for reading its converted output.

    The converted model outputs ``out = m - m0``, m being the mean path length
    of the row over the trees: negative exactly where scikit-learn's
    ``predict`` says -1 (outlier), the sign of ``decision_function``. With c
    the average path length of ``max_samples_`` samples,
    ``score_samples = -2 ** (-(out + m0) / c)``, and ``decision_function`` is
    that minus ``model.offset_``."""
    from sklearn.ensemble._iforest import _average_path_length

    c = float(_average_path_length([model.max_samples_])[0])
    if c == 0.0:
        raise ValueError("IsolationForest with max_samples 1: every score is -1, nothing to convert")
    if not model.offset_ < 0:
        raise ValueError(f"IsolationForest offset_ {model.offset_} is not negative")
    return -c * math.log2(-float(model.offset_)), c


def _describe_iforest(model: Any, n_features: int) -> _Ensemble:
    m0, _ = isolation_forest_constants(model)
    n = len(model.estimators_)
    subset = model._max_features != n_features  # as scikit-learn decides to index X
    trees = [_SourceTree(_isolation_tree(e, f if subset else None), 0, 1.0 / n)
             for e, f in zip(model.estimators_, model.estimators_features_)]
    return _Ensemble(KIND_VALUES, COMBINE_SUM, n_features, 1, trees, np.array([-m0]))


# HistGradientBoostingRegressor losses whose prediction is the raw sum (identity
# link); 'poisson' and 'gamma' take exp of it, which the format has no combine for.
_HIST_IDENTITY_LOSSES = ("squared_error", "absolute_error", "quantile",
                         "least_squares", "least_absolute_deviation")


def _describe_hist_gb(model: Any, n_features: int, classifier: bool) -> _Ensemble:
    """Trees of every iteration plus the baseline, with the loss's link:
    logistic (binary), softmax (one tree per class and iteration) or sum."""
    categorical = getattr(model, "is_categorical_", None)
    # (newer scikit-learn's preprocessor for categories also reorders the features)
    if (categorical is not None and np.any(categorical)) or \
            getattr(model, "_preprocessor", None) is not None:
        raise ValueError("HistGradientBoosting with categorical features is not supported")
    raw0 = np.asarray(model._baseline_prediction, dtype=np.float64).reshape(-1)
    iterations = model._predictors  # n_iter lists of n_trees_per_iteration_ predictors
    if not classifier:
        if model.loss not in _HIST_IDENTITY_LOSSES:
            raise ValueError(f"loss {model.loss!r} is not supported (its prediction is exp of "
                             "the tree sum; supported: squared_error, absolute_error, quantile)")
        trees = [_SourceTree(_hist_tree(it[0]), 0, 1.0) for it in iterations]
        return _Ensemble(KIND_VALUES, COMBINE_SUM, n_features, 1, trees, raw0)
    n_classes = len(model.classes_)
    if n_classes == 2:
        trees = [_SourceTree(_hist_tree(it[0]), 1, 1.0) for it in iterations]
        return _Ensemble(KIND_VALUES, COMBINE_LOGISTIC, n_features, 2, trees,
                         np.array([0.0, raw0[0]]))
    trees = [_SourceTree(_hist_tree(it[k]), k, 1.0) for it in iterations for k in range(n_classes)]
    return _Ensemble(KIND_VALUES, COMBINE_SOFTMAX, n_features, n_classes, trees, raw0)


# ---------------------------------------------------------------------------
# Leaf records


def _class_counts(tree: Any) -> np.ndarray | None:
    """Integer class counts per node, or None when they are not integers.

    sklearn <= 1.3 stores weighted counts in ``tree_.value``; newer versions
    store fractions. Rescaling by weighted_n_node_samples covers both.
    """
    value = np.asarray(tree.value[:, 0, :], dtype=np.float64)
    total = value.sum(axis=1)
    weight = np.asarray(tree.weighted_n_node_samples, dtype=np.float64)
    if not np.allclose(total, weight, rtol=1e-12, atol=0):
        value = value / np.where(total > 0, total, 1.0)[:, None] * weight[:, None]
    counts = np.rint(value)
    if np.any(np.abs(value - counts) > 1e-6):
        return None
    return counts.astype(np.int64)


def _class_record(pairs: Sequence[tuple[int, int]]) -> tuple[int, ...]:
    """``n, class, count, ...`` for (class, count > 0) pairs, counts divided by their gcd."""
    g = 0
    for _, k in pairs:
        g = math.gcd(g, k)
    record: list[int] = [len(pairs)]
    for c, k in pairs:
        record += [c, k // g]
    return tuple(record)


def _approximate_counts(weights: np.ndarray) -> np.ndarray:
    """Integers proportional to ``weights`` (all > 0), rounded to nearest, each >= 1,
    summing to at most 65535 (the largest scale found that fits)."""
    p = np.asarray(weights, dtype=np.float64)
    p = p / p.sum()
    scale = float(MAX_RECORD_SUM)
    while True:
        counts = np.maximum(np.rint(p * scale), 1).astype(np.int64)
        excess = int(counts.sum()) - MAX_RECORD_SUM
        if excess <= 0:
            return counts
        scale -= excess  # counts.sum() >= len(p) and n classes <= 65535: this ends


class _LeafPool:
    """Deduplicated leaf records, as a list of words (ints or float32)."""

    def __init__(self) -> None:
        self.words: list[Any] = []
        self._offsets: dict[Any, int] = {}

    def add(self, record: tuple, key: Any) -> int:
        offset = self._offsets.get(key)
        if offset is None:
            offset = len(self.words)
            self.words.extend(record)
            self._offsets[key] = offset
        return offset

    @property
    def n_records(self) -> int:
        return len(self._offsets)


# A leaf before the final refs are known: (_PURE, class) or (_RECORD, pool offset).
_PURE = 0
_RECORD = 1


class _LeafEncoder:
    """Encodes the sklearn leaves of one ensemble (pure leaves or pool records)."""

    def __init__(self, ens: _Ensemble) -> None:
        self.ens = ens
        self.pool = _LeafPool()
        self._counts: dict[int, np.ndarray | None] = {}
        self.n_non_integer = 0  # records approximated: counts not integers
        self.n_over_sum = 0  # records approximated: reduced counts sum > 65535

    def leaf(self, st: _SourceTree, node: int) -> tuple[int, int]:
        if self.ens.kind == KIND_CLASSES:
            return self._class_leaf(st.tree, node)
        values = np.asarray(st.tree.value[node, :, 0], dtype=np.float64)
        if st.output != ALL_OUTPUTS:
            values = values[:1]
        record = tuple(np.float32(st.scale * v) for v in values)
        key = np.array(record, dtype=np.float32).tobytes()
        return (_RECORD, self.pool.add(record, key))

    def _class_leaf(self, tree: Any, node: int) -> tuple[int, int]:
        tid = id(tree)
        if tid not in self._counts:
            self._counts[tid] = _class_counts(tree)
        counts = self._counts[tid]
        weights: np.ndarray | None = None
        if counts is not None:
            row = counts[node]
            classes = [c for c in range(len(row)) if row[c] > 0]
        else:
            weights = np.asarray(tree.value[node, 0, :], dtype=np.float64)
            classes = [c for c in range(len(weights)) if weights[c] > 0]
        if not classes:
            raise ValueError("leaf with no samples")
        if len(classes) == 1:
            return (_PURE, classes[0])  # exact whatever the weights
        record = None
        if counts is not None:
            record = _class_record([(c, int(counts[node][c])) for c in classes])
            if sum(record[2::2]) > MAX_RECORD_SUM:
                self.n_over_sum += 1
                weights = np.array(record[2::2], dtype=np.float64)
                record = None
        else:
            self.n_non_integer += 1
            assert weights is not None
            weights = weights[classes]
        if record is None:
            assert weights is not None
            approx = _approximate_counts(weights)
            record = _class_record([(c, int(k)) for c, k in zip(classes, approx)])
        return (_RECORD, self.pool.add(record, record))


# ---------------------------------------------------------------------------
# Flattening: pre-order internal nodes of all trees, refs, pool


@dataclass
class _Flat:
    roots: list[int]
    feature: list[int]
    threshold: list[int]
    left: list[int]
    right: list[int]
    pool: list[Any]
    n_leaf_records: int
    n_non_integer: int
    n_over_sum: int

    @property
    def approximated(self) -> bool:
        return bool(self.n_non_integer or self.n_over_sum)


def _taken_child(tree: Any, node: int, int16: bool) -> int:
    """Follow splits that every int16 input takes the same way (int16 mode)."""
    if not int16:
        return node
    cl, cr, thr = tree.children_left, tree.children_right, tree.threshold
    while cl[node] != -1:
        t = int16_threshold(float(thr[node]))
        if t > INT16_MAX:
            node = int(cl[node])  # every int16 x <= thr
        elif t < INT16_MIN:
            node = int(cr[node])  # no int16 x <= thr
        else:
            break
    return node


def _record_base(ens: _Ensemble, n_nodes: int) -> int:
    """The ref of pool offset 0: classifier records follow the n_outputs pure-leaf
    refs; values records start at n_nodes."""
    return n_nodes + (ens.n_outputs if ens.kind == KIND_CLASSES else 0)


def _flatten(ens: _Ensemble, int16: bool, exact_nan: bool = False) -> _Flat:
    """Number the internal nodes in pre-order, tree after tree.

    Leaf refs are kept as (_PURE, class) / (_RECORD, offset) until n_nodes is known.
    exact_nan (float thresholds): where scikit-learn sends NaN left, a check node
    first sends NaN to the split's left child and numbers on to the split; the
    left subtree is shared by the two. A check is left out where x[feature]
    cannot be NaN any more (the path went through a split that sends NaN the
    other way).
    """
    enc = _LeafEncoder(ens)
    feature: list[int] = []
    threshold: list[int] = []
    left: list[Any] = []
    right: list[Any] = []
    roots: list[Any] = []

    def add_node(f: int, t: int) -> int:
        feature.append(f)
        threshold.append(t)
        left.append(0)
        right.append(0)
        return len(feature) - 1

    for st in ens.trees:
        tree = st.tree
        cl, cr = tree.children_left, tree.children_right
        missing = getattr(tree, "missing_go_to_left", None) if exact_nan else None
        # node, the (parent, side) refs to set to it (parent -1: the root), and
        # the features known not to be NaN on the path to it
        stack: list[tuple[int, tuple[tuple[int, int], ...], frozenset]] = [(0, ((-1, 0),), frozenset())]
        while stack:
            node, links, numbers = stack.pop()
            node = _taken_child(tree, node, int16)
            ref: Any
            if cl[node] == -1:
                ref = enc.leaf(st, node)
            else:
                f = int(tree.feature[node])
                thr = float(tree.threshold[node])
                t = int16_threshold(thr) if int16 else float_threshold_key(thr)
                left_links: tuple[tuple[int, int], ...]
                if missing is not None and missing[node] and f not in numbers:
                    ref = add_node(f, KEY_ABOVE_INF)  # numbers left, NaN right
                    split = add_node(f, t)
                    left[ref] = split
                    left_links = ((split, 0), (ref, 1))  # NaN joins the split's left child
                    left_numbers, right_numbers = numbers, numbers | {f}
                else:
                    ref = split = add_node(f, t)
                    left_links = ((split, 0),)
                    # with NaN routed (exact_nan), only numbers reach this left child
                    left_numbers = numbers | {f} if missing is not None else numbers
                    right_numbers = numbers
                stack.append((int(cr[node]), ((split, 1),), right_numbers))
                stack.append((int(cl[node]), left_links, left_numbers))  # popped first: pre-order
            for parent, side in links:
                if parent < 0:
                    roots.append(ref)
                elif side == 0:
                    left[parent] = ref
                else:
                    right[parent] = ref
    n_nodes = len(feature)
    record_base = _record_base(ens, n_nodes)

    def fix(r: Any) -> int:
        if isinstance(r, int):
            return r
        tag, v = r
        return n_nodes + v if tag == _PURE else record_base + v

    return _Flat(
        roots=[fix(r) for r in roots],
        feature=feature,
        threshold=threshold,
        left=[fix(r) for r in left],
        right=[fix(r) for r in right],
        pool=enc.pool.words,
        n_leaf_records=enc.pool.n_records,
        n_non_integer=enc.n_non_integer,
        n_over_sum=enc.n_over_sum,
    )


# ---------------------------------------------------------------------------
# Serialization


def _pad4(b: bytes) -> bytes:
    return b + bytes(-len(b) % 4)


def _ref_limit(ens: _Ensemble, n_nodes: int, pool_len: int) -> int:
    """An upper bound of every ref: the first record ref + pool words."""
    return _record_base(ens, n_nodes) + pool_len


def _choose_wide(ens: _Ensemble, n_nodes: int, pool_len: int, wide: bool | None) -> bool:
    fits_narrow = (ens.n_features <= NARROW_MAX_FEATURES
                   and _ref_limit(ens, n_nodes, pool_len) <= NARROW_MAX_REF)
    if wide is None:
        return not fits_narrow
    if not wide and not fits_narrow:
        raise ValueError("model does not fit the narrow layout")
    return wide


def _pack(ens: _Ensemble, flat: _Flat, float_thresholds: bool, wide: bool) -> bytes:
    if ens.n_features > U16_MAX or ens.n_outputs > U16_MAX:
        raise ValueError("n_features and n_outputs must fit in u16")
    if wide and _ref_limit(ens, len(flat.feature), len(flat.pool)) > 0xFFFFFFFF:
        raise ValueError("model too large for u32 refs")
    flags = (FLAG_FLOAT if float_thresholds else 0) | (FLAG_WIDE if wide else 0)
    if float_thresholds:
        thr_t = "<i4"
    elif all(INT8_MIN <= t <= INT8_MAX for t in flat.threshold):
        thr_t = "i1"
        flags |= FLAG_T8
    else:
        assert all(INT16_MIN <= t <= INT16_MAX for t in flat.threshold)
        thr_t = "<i2"
    if ens.kind == KIND_CLASSES:
        if flat.pool and max(flat.pool) > U8_MAX:
            pool_t = "<u2"
            flags |= FLAG_C16
        else:
            pool_t = "u1"
    else:
        pool_t = "<f4"
    ref_t = "<u4" if wide else "<u2"
    feat_t = "<u2" if wide else "u1"
    sections = [np.array(flat.roots, dtype=ref_t).tobytes()]
    if ens.kind == KIND_VALUES:
        sections.append(np.array([st.output for st in ens.trees], dtype="<u2").tobytes())
    if ens.combine != COMBINE_MEAN:
        assert ens.init is not None and len(ens.init) == ens.n_outputs
        sections.append(np.asarray(ens.init, dtype="<f4").tobytes())
    sections += [
        np.array(flat.feature, dtype=feat_t).tobytes(),
        np.array(flat.threshold, dtype=thr_t).tobytes(),
        np.array(flat.left, dtype=ref_t).tobytes(),
        np.array(flat.right, dtype=ref_t).tobytes(),
        np.array(flat.pool, dtype=pool_t).tobytes(),
    ]
    body = b"".join(_pad4(s) for s in sections)
    size = HEADER.size + len(body)
    header = HEADER.pack(
        MAGIC, VERSION, ens.kind, flags, ens.combine, ens.n_features, ens.n_outputs,
        len(ens.trees), len(flat.feature), len(flat.pool), size, 0,
    )
    return header + body


def _approximation_warning(flat: _Flat) -> str:
    reasons = []
    if flat.n_non_integer:
        reasons.append(f"{flat.n_non_integer} leaf record(s) whose class weights are not "
                       "integers (class_weight or sample_weight)")
    if flat.n_over_sum:
        reasons.append(f"{flat.n_over_sum} leaf record(s) whose class counts sum to more "
                       f"than {MAX_RECORD_SUM}")
    return ("approximated " + " and ".join(reasons) + f": counts scaled to sum <= "
            f"{MAX_RECORD_SUM}, predict_proba is approximate (about 1e-5)")


def to_binary(model: Any, thresholds: str = "float", *, wide: bool | None = None,
              nan: str = "right") -> bytes:
    """Serialize a fitted scikit-learn or XGBoost tree model (docs/trees-format.md, version 2).

    thresholds: ``'float'`` (exact for float32 inputs) or ``'int16'`` (exact
    for integer inputs; stored as int8 when every threshold fits). wide: None
    picks the narrow layout when it fits; True/False forces a layout (False
    raises if the model does not fit).
    Warns (UserWarning) when a classifier leaf record cannot be stored
    exactly: class weights that are not integers (class_weight or
    sample_weight was used) or gcd-reduced counts summing to more than 65535.
    Those records hold counts scaled to sum <= 65535 (rounded to nearest,
    each >= 1), accurate to about 1e-5. Pure leaves are always exact.

    nan: ``'right'`` sends a NaN input right at every split. ``'exact'``
    (float thresholds) sends it where the model does, for models that
    route missing values (HistGradientBoosting, scikit-learn >= 1.3 trees,
    XGBoost, whose default side is often left): a check node before each
    split that sends NaN left, which makes such models up to about twice
    as large and slow (about 1.5 times for HistGradientBoosting).
    """
    if thresholds not in ("float", "int16"):
        raise ValueError("thresholds must be 'float' or 'int16'")
    if nan not in ("right", "exact"):
        raise ValueError("nan must be 'right' or 'exact'")
    if nan == "exact" and thresholds != "float":
        raise ValueError("nan='exact' needs thresholds='float' (int16 inputs are never NaN)")
    ens = _describe(model)
    flat = _flatten(ens, int16=(thresholds == "int16"), exact_nan=(nan == "exact"))
    if flat.approximated:
        warnings.warn(_approximation_warning(flat), stacklevel=2)
    use_wide = _choose_wide(ens, len(flat.feature), len(flat.pool), wide)
    return _pack(ens, flat, thresholds == "float", use_wide)


def to_csv(model: Any, thresholds: str = "int16") -> str:
    """emlearn's CSV tree format; see :func:`emlearn_mp.trees_csv.to_csv`."""
    from .trees_csv import to_csv as _to_csv

    return _to_csv(model, thresholds=thresholds)


# ---------------------------------------------------------------------------
# Command line


def _load_model(path: str) -> Any:
    if path.endswith((".json", ".ubj")):  # XGBoost's own model files
        import xgboost

        try:
            return xgboost.Booster(model_file=path)
        except xgboost.core.XGBoostError as e:
            raise ValueError(f"{path} is not an XGBoost model file ({e})") from e
    with open(path, "rb") as f:
        head = f.read(2)
    try:
        if head[:1] == b"\x80":
            with open(path, "rb") as f:
                return pickle.load(f)
        import joblib  # compressed joblib files

        return joblib.load(path)
    except OSError:
        raise
    except Exception as e:  # unpickling raises whatever the bytes lead it to
        raise ValueError(f"{path} is not a pickle or joblib file of a model ({e})") from e


def _print_info(info: dict, prefix: str = "") -> None:
    for k, v in info.items():
        print(f"{prefix}{k}: {v}")


def main(argv: Iterable[str] | None = None) -> int:
    """``convert model.pkl out.emlt [--csv out.csv] [--int16] [--wide] [--exact-nan]`` / ``info file``."""
    parser = argparse.ArgumentParser(prog="python3 -m emlearn_mp.trees", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="convert a pickled scikit-learn or XGBoost model")
    conv.add_argument("model", help="pickle (or joblib) file with a fitted estimator, "
                      "or an XGBoost model file (.json, .ubj)")
    conv.add_argument("output", help="binary model file to write (.emlt)")
    conv.add_argument("--csv", metavar="OUT_CSV",
                      help="also write emlearn's CSV format, always with integer thresholds: "
                      "emlearn_trees.load_model compares int16 inputs (train on integer data)")
    conv.add_argument("--int16", action="store_true", help="integer thresholds for integer inputs (int16, or int8 when every one fits)")
    conv.add_argument("--wide", action="store_true", help="force the WIDE layout")
    conv.add_argument("--exact-nan", action="store_true",
                      help="send NaN inputs where the model does (HistGradientBoosting, "
                      "XGBoost; up to about twice the nodes), not always right")
    info = sub.add_parser("info", help="describe a binary (.emlt) or CSV model file")
    info.add_argument("file")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        if args.command == "info":
            _info(args.file)
        else:
            _convert(args)
    except (OSError, ValueError, TypeError) as e:
        # a file that is missing or not a model (_load_model turns unpickling
        # errors into ValueError): the reason, not a traceback
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def _info(path: str) -> None:
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == MAGIC:
        _print_info(model_info(data))
        return
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is neither a binary emlearn_trees model nor an emlearn CSV model") from None
    _print_info(model_info(text))


def _convert(args: argparse.Namespace) -> None:
    model = _load_model(args.model)
    mode = "int16" if args.int16 else "float"
    data = to_binary(model, thresholds=mode, wide=True if args.wide else None,
                     nan="exact" if args.exact_nan else "right")
    with open(args.output, "wb") as f:
        f.write(data)
    print(f"wrote {args.output}")
    _print_info(model_info(data), "  ")
    if hasattr(model, "classes_") and getattr(model, "n_outputs_", 1) == 1:
        # predict returns an index into these
        print("  classes: " + ", ".join(str(c) for c in model.classes_))
    if isinstance(model, _sklearn_types()["iforest"]):
        m0, c = isolation_forest_constants(model)
        print(f"  output: mean path length - {m0!r}, < 0 for outliers; "
              f"score_samples = -2 ** (-(output + {m0!r}) / {c!r})")
    if args.csv:
        # load_model reads thresholds with int(float(v)): float ones would be truncated
        text = to_csv(model, thresholds="int16")
        with open(args.csv, "w") as f:
            f.write(text)
        print(f"wrote {args.csv} (emlearn_trees.new(n_trees, n_nodes, n_leaves) capacities below)")
        _print_info(model_info(text), "  ")


if __name__ == "__main__":
    sys.exit(main())
