"""Convert fitted scikit-learn tree models to the emlearn_trees binary format.

The format is specified in ``docs/trees-format.md``; this module is its writer.
Supported estimators: DecisionTreeClassifier/Regressor,
RandomForestClassifier/Regressor, ExtraTreesClassifier/Regressor and
GradientBoostingClassifier/Regressor (init estimator ``'zero'`` or the default
prior-based Dummy estimator). Regressors may have several outputs (except
gradient boosting, which scikit-learn does not support for that).

Decisions are reproduced exactly: scikit-learn goes left iff
``float32(x) <= thr`` (thr a float64); the file says go left iff ``x < t``.

- ``thresholds='float'``: t is the smallest float32 above thr, stored as its
  int32 order key. Exact for every float32 (and int16) input.
- ``thresholds='int16'``: t = floor(thr) + 1. Exact for every *integer* input;
  train on integer data (see :func:`fit_int16_scaling`/:func:`quantize_int16`).
  A split that no int16 value can take one way (t outside [-32768, 32767]) is
  replaced by the child it always takes.

Command line::

    python3 -m emlearn_mp.trees convert model.pkl out.emlt [--csv out.csv] [--int16] [--wide]
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
    "float32_above",
    "float32_key",
    "int16_threshold",
    "main",
]

MAGIC = b"EMLT"
VERSION = 1
KIND_CLASSES = 0
KIND_VALUES = 1
FLAG_FLOAT = 0x01
FLAG_WIDE = 0x02
COMBINE_MEAN = 0
COMBINE_SUM = 1
COMBINE_LOGISTIC = 2
COMBINE_SOFTMAX = 3
ALL_OUTPUTS = 0xFFFF
HEADER = struct.Struct("<4sBBBBHHIIIII")
assert HEADER.size == 32

INT16_MIN = -32768
INT16_MAX = 32767
U16_MAX = 0xFFFF
NARROW_MAX_FEATURES = 256
NARROW_MAX_REF = 0xFFFF


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


def float32_key(value: float) -> int:
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
    """t = floor(thr) + 1, so that for every integer x: x <= thr iff x < t."""
    return math.floor(thr) + 1


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


# ---------------------------------------------------------------------------
# Model description: what the trees are and how they combine


@dataclass
class _SourceTree:
    tree: Any  # sklearn.tree._tree.Tree
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


def _sklearn_types() -> dict[str, type]:
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
    }


def _describe(model: Any) -> _Ensemble:
    """Turn a fitted estimator into an :class:`_Ensemble` (raises on others)."""
    t = _sklearn_types()
    if not hasattr(model, "n_features_in_"):
        raise ValueError(f"{type(model).__name__} is not fitted")
    n_features = int(model.n_features_in_)
    if isinstance(model, (t["gbc"], t["gbr"])):
        return _describe_gb(model, n_features, isinstance(model, t["gbc"]))
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


def _class_record(counts: Sequence[int]) -> tuple[int, ...]:
    """``n, class, count, ...`` for the nonzero counts, divided by their gcd."""
    nz = [(c, int(k)) for c, k in enumerate(counts) if k > 0]
    if not nz:
        raise ValueError("leaf with no samples")
    g = 0
    for _, k in nz:
        g = math.gcd(g, k)
    record: list[int] = [len(nz)]
    for c, k in nz:
        record += [c, k // g]
    return tuple(record)


def _scaled_counts(probabilities: np.ndarray) -> np.ndarray:
    """Fallback: probabilities scaled so the largest is 65535 (approximate)."""
    p = np.asarray(probabilities, dtype=np.float64)
    return np.rint(p / p.max() * U16_MAX).astype(np.int64)


class _LeafPool:
    """Deduplicated leaf records, as a list of words (u16 ints or float32)."""

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


class _LeafEncoder:
    """Builds the pool record of a sklearn leaf for one ensemble."""

    def __init__(self, ens: _Ensemble) -> None:
        self.ens = ens
        self.pool = _LeafPool()
        self._counts: dict[int, np.ndarray | None] = {}
        self.approximated = False

    def leaf(self, st: _SourceTree, node: int) -> int:
        if self.ens.kind == KIND_CLASSES:
            return self._class_leaf(st.tree, node)
        values = np.asarray(st.tree.value[node, :, 0], dtype=np.float64)
        if st.output != ALL_OUTPUTS:
            values = values[:1]
        record = tuple(np.float32(st.scale * v) for v in values)
        key = np.array(record, dtype=np.float32).tobytes()
        return self.pool.add(record, key)

    def _class_leaf(self, tree: Any, node: int) -> int:
        tid = id(tree)
        if tid not in self._counts:
            self._counts[tid] = _class_counts(tree)
        counts = self._counts[tid]
        record = None
        if counts is not None:
            record = _class_record(counts[node])
            if max(record[2::2]) > U16_MAX:
                record = None
        if record is None:
            self.approximated = True
            record = _class_record(_scaled_counts(tree.value[node, 0, :]))
        return self.pool.add(record, record)


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
    approximated: bool


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


def _flatten(ens: _Ensemble, int16: bool) -> _Flat:
    """Number the internal nodes in pre-order, tree after tree.

    Leaf refs are kept as ``-(offset + 1)`` until n_nodes is known.
    """
    enc = _LeafEncoder(ens)
    feature: list[int] = []
    threshold: list[int] = []
    left: list[int] = []
    right: list[int] = []
    roots: list[int] = []
    for st in ens.trees:
        tree = st.tree
        cl, cr = tree.children_left, tree.children_right
        stack: list[tuple[int, int, int]] = [(0, -1, 0)]  # node, parent, side
        while stack:
            node, parent, side = stack.pop()
            node = _taken_child(tree, node, int16)
            if cl[node] == -1:
                ref = -(enc.leaf(st, node) + 1)
            else:
                ref = len(feature)
                thr = float(tree.threshold[node])
                feature.append(int(tree.feature[node]))
                if int16:
                    threshold.append(int16_threshold(thr))
                else:
                    threshold.append(float32_key(float32_above(thr)))
                left.append(0)
                right.append(0)
                stack.append((int(cr[node]), ref, 1))
                stack.append((int(cl[node]), ref, 0))  # popped first: pre-order
            if parent < 0:
                roots.append(ref)
            elif side == 0:
                left[parent] = ref
            else:
                right[parent] = ref
    n_nodes = len(feature)

    def fix(r: int) -> int:
        return r if r >= 0 else n_nodes + (-r - 1)

    return _Flat(
        roots=[fix(r) for r in roots],
        feature=feature,
        threshold=threshold,
        left=[fix(r) for r in left],
        right=[fix(r) for r in right],
        pool=enc.pool.words,
        n_leaf_records=enc.pool.n_records,
        approximated=enc.approximated,
    )


# ---------------------------------------------------------------------------
# Serialization


def _pad4(b: bytes) -> bytes:
    return b + bytes(-len(b) % 4)


def _choose_wide(n_features: int, n_nodes: int, pool_len: int, wide: bool | None) -> bool:
    fits_narrow = n_features <= NARROW_MAX_FEATURES and n_nodes + pool_len <= NARROW_MAX_REF
    if wide is None:
        return not fits_narrow
    if not wide and not fits_narrow:
        raise ValueError("model does not fit the narrow layout")
    return wide


def _pack(ens: _Ensemble, flat: _Flat, float_thresholds: bool, wide: bool) -> bytes:
    if ens.n_features > U16_MAX or ens.n_outputs > U16_MAX:
        raise ValueError("n_features and n_outputs must fit in u16")
    ref_t = "<u4" if wide else "<u2"
    feat_t = "<u2" if wide else "u1"
    thr_t = "<i4" if float_thresholds else "<i2"
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
        np.array(flat.pool, dtype="<u2" if ens.kind == KIND_CLASSES else "<f4").tobytes(),
    ]
    if not float_thresholds and flat.threshold:
        assert INT16_MIN <= min(flat.threshold) and max(flat.threshold) <= INT16_MAX
    body = b"".join(_pad4(s) for s in sections)
    flags = (FLAG_FLOAT if float_thresholds else 0) | (FLAG_WIDE if wide else 0)
    size = HEADER.size + len(body)
    header = HEADER.pack(
        MAGIC, VERSION, ens.kind, flags, ens.combine, ens.n_features, ens.n_outputs,
        len(ens.trees), len(flat.feature), len(flat.pool), size, 0,
    )
    return header + body


def to_binary(model: Any, thresholds: str = "float", *, wide: bool | None = None) -> bytes:
    """Serialize a fitted scikit-learn tree model (docs/trees-format.md).

    thresholds: ``'float'`` (exact for float32 inputs) or ``'int16'`` (exact
    for integer inputs). wide: None picks the narrow layout when it fits;
    True/False forces a layout (False raises if the model does not fit).
    Warns when leaf class weights are not integers (e.g. class_weight or
    sample_weight was used): those leaves are stored as probabilities scaled
    to u16, which is accurate to about 1e-5.
    """
    if thresholds not in ("float", "int16"):
        raise ValueError("thresholds must be 'float' or 'int16'")
    ens = _describe(model)
    flat = _flatten(ens, int16=(thresholds == "int16"))
    if flat.approximated:
        warnings.warn(
            "leaf class weights are not integers (or overflow u16): stored as "
            "probabilities scaled to 65535, predict_proba is approximate",
            stacklevel=2,
        )
    use_wide = _choose_wide(ens.n_features, len(flat.feature), len(flat.pool), wide)
    return _pack(ens, flat, thresholds == "float", use_wide)


def to_csv(model: Any, thresholds: str = "int16") -> str:
    """emlearn's CSV tree format; see :func:`emlearn_mp.trees_csv.to_csv`."""
    from .trees_csv import to_csv as _to_csv

    return _to_csv(model, thresholds=thresholds)


# ---------------------------------------------------------------------------
# Command line


def _load_model(path: str) -> Any:
    with open(path, "rb") as f:
        head = f.read(2)
    if head[:1] == b"\x80":
        with open(path, "rb") as f:
            return pickle.load(f)
    import joblib  # compressed joblib files

    return joblib.load(path)


def _print_info(info: dict, prefix: str = "") -> None:
    for k, v in info.items():
        print(f"{prefix}{k}: {v}")


def main(argv: Iterable[str] | None = None) -> int:
    """``convert model.pkl out.emlt [--csv out.csv] [--int16] [--wide]`` / ``info file``."""
    parser = argparse.ArgumentParser(prog="python3 -m emlearn_mp.trees", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="convert a pickled scikit-learn model")
    conv.add_argument("model", help="pickle (or joblib) file with a fitted estimator")
    conv.add_argument("output", help="binary model file to write (.emlt)")
    conv.add_argument("--csv", metavar="OUT_CSV", help="also write emlearn's CSV format")
    conv.add_argument("--int16", action="store_true", help="int16 thresholds (integer inputs)")
    conv.add_argument("--wide", action="store_true", help="force the WIDE layout")
    info = sub.add_parser("info", help="describe a binary (.emlt) or CSV model file")
    info.add_argument("file")
    args = parser.parse_args(list(argv) if argv is not None else None)

    if args.command == "info":
        with open(args.file, "rb") as f:
            data = f.read()
        if data[:4] != MAGIC:
            _print_info(model_info(data.decode("ascii")))
        else:
            _print_info(model_info(data))
        return 0

    model = _load_model(args.model)
    mode = "int16" if args.int16 else "float"
    data = to_binary(model, thresholds=mode, wide=True if args.wide else None)
    with open(args.output, "wb") as f:
        f.write(data)
    print(f"wrote {args.output}")
    _print_info(model_info(data), "  ")
    if args.csv:
        text = to_csv(model, thresholds=mode)
        with open(args.csv, "w") as f:
            f.write(text)
        print(f"wrote {args.csv} (emlearn_trees.new(n_trees, n_nodes, n_leaves) capacities below)")
        _print_info(model_info(text), "  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
