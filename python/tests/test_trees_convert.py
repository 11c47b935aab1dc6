"""The binary files (format version 2) must reproduce scikit-learn: identical
classes, outputs within float32 rounding (classifier probabilities within
1e-6 + 2e-6 * |p|, as the device tests require). Outputs come from the
independent reader (emlearn_mp.trees_reader), compared with the scikit-learn
model itself."""

from __future__ import annotations

import functools
import math
import re
from fractions import Fraction
import pickle
import struct
import warnings

import numpy as np
import pytest
import xgboost
from sklearn import datasets, ensemble, tree
from sklearn.model_selection import train_test_split

from emlearn_mp import trees, trees_reader
from emlearn_mp.trees import (
    fit_int16_scaling,
    float32_above,
    float32_key,
    int16_threshold,
    quantize_int16,
    to_binary,
)
from emlearn_mp.trees_badmodels import (
    base_models,
    make_bad_models,
    make_fuzz_seeds,
    write_bad_models,
    write_fuzz_seeds,
)
from emlearn_mp.trees_csv import predict_csv, to_csv
from emlearn_mp.trees_reader import model_info, parse_model, predict_binary

RTOL, ATOL = 1e-5, 1e-6
P_RTOL, P_ATOL = 2e-6, 1e-6  # classifier probabilities: |out - p| <= 1e-6 + 2e-6 |p|
HEADER = "<4sBBBBHHIIIII"


# ---------------------------------------------------------------------------
# Data


@functools.lru_cache(maxsize=None)
def dataset(name: str, mode: str):
    """(X_train, X_eval, y_train) with X_eval = all samples; float mode gives
    float32 arrays (what the device takes: HistGradientBoosting compares in
    float64, so its decisions are the device's for float32 rows), int16 mode
    np.int16 arrays (digits as-is, others quantized with the helper)."""
    loaders = {
        "digits": datasets.load_digits, "iris": datasets.load_iris,
        "wine": datasets.load_wine, "breast_cancer": datasets.load_breast_cancer,
        "diabetes": datasets.load_diabetes,
    }
    if name == "regression3":
        X, y = datasets.make_regression(n_samples=300, n_features=8, n_targets=3,
                                        noise=1.0, random_state=0)
    else:
        X, y = loaders[name](return_X_y=True)
    Xtr, _, ytr, _ = train_test_split(X, y, random_state=1)
    if mode == "int16":
        if name == "digits":
            return Xtr.astype(np.int16), X.astype(np.int16), ytr
        scale, offset = fit_int16_scaling(Xtr)
        return quantize_int16(Xtr, scale, offset), quantize_int16(X, scale, offset), ytr
    return Xtr.astype(np.float32), X.astype(np.float32), ytr


def check_classifier(model, data: bytes, X: np.ndarray) -> None:
    out, cls = predict_binary(data, X)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(model.classes_[cls], model.predict(X))
    np.testing.assert_allclose(out, model.predict_proba(X), rtol=P_RTOL, atol=P_ATOL)


def check_regressor(model, data: bytes, X: np.ndarray) -> None:
    out, cls = predict_binary(data, X)
    assert cls is None and out.dtype == np.float32
    ref = model.predict(X).reshape(len(X), -1)
    np.testing.assert_allclose(out, ref, rtol=RTOL, atol=ATOL * max(1.0, np.abs(ref).max()))


CLASSIFIERS = {
    "dt": lambda: tree.DecisionTreeClassifier(random_state=0),
    "rf": lambda: ensemble.RandomForestClassifier(n_estimators=10, random_state=0),
    "et": lambda: ensemble.ExtraTreesClassifier(n_estimators=10, random_state=0),
    "gb": lambda: ensemble.GradientBoostingClassifier(n_estimators=10, random_state=0),
    "hgb": lambda: ensemble.HistGradientBoostingClassifier(max_iter=10, random_state=0),
    "xgb": lambda: xgboost.XGBClassifier(n_estimators=10, max_depth=4, random_state=0),
}
REGRESSORS = {
    "dt": lambda: tree.DecisionTreeRegressor(random_state=0),
    "rf": lambda: ensemble.RandomForestRegressor(n_estimators=10, random_state=0),
    "et": lambda: ensemble.ExtraTreesRegressor(n_estimators=10, random_state=0),
    "gb": lambda: ensemble.GradientBoostingRegressor(n_estimators=20, random_state=0),
    "hgb": lambda: ensemble.HistGradientBoostingRegressor(max_iter=20, random_state=0),
    "xgb": lambda: xgboost.XGBRegressor(n_estimators=20, max_depth=4, random_state=0),  # multi-output too
}


@pytest.mark.parametrize("mode", ["float", "int16"])
@pytest.mark.parametrize("kind", sorted(CLASSIFIERS))
@pytest.mark.parametrize("name", ["digits", "iris", "wine", "breast_cancer"])
def test_classifier_matches_sklearn(name, kind, mode):
    Xtr, X, ytr = dataset(name, mode)
    model = CLASSIFIERS[kind]().fit(Xtr, ytr)
    data = to_binary(model, thresholds=mode)
    info = model_info(data)
    assert info["size"] == len(data) and info["version"] == 2
    # digits are 0..16: every int16 threshold fits int8; the quantized sets use +-30000
    assert info["thresholds"] == {"float": "float", "int16": "int8" if name == "digits" else "int16"}[mode]
    assert info["records"] == ("float32" if kind in ("gb", "hgb", "xgb") else "u8")
    check_classifier(model, data, X)
    check_classifier(model, data, trees.edge_rows(model, X, mode))


@pytest.mark.parametrize("mode", ["float", "int16"])
@pytest.mark.parametrize("kind", sorted(REGRESSORS))
@pytest.mark.parametrize("name", ["diabetes", "regression3"])
def test_regressor_matches_sklearn(name, kind, mode):
    Xtr, X, ytr = dataset(name, mode)
    if kind in ("gb", "hgb") and ytr.ndim > 1:
        ytr = ytr[:, 1]  # sklearn's gradient boosting has a single output
    model = REGRESSORS[kind]().fit(Xtr, ytr)
    data = to_binary(model, thresholds=mode)
    assert model_info(data)["n_outputs"] == (1 if ytr.ndim == 1 else ytr.shape[1])
    check_regressor(model, data, X)
    check_regressor(model, data, trees.edge_rows(model, X, mode))


GB_VARIANTS = [
    ("breast_cancer", dict(loss="exponential")),
    ("breast_cancer", dict(init="zero")),
    ("breast_cancer", dict(learning_rate=0.37, max_depth=2)),
    ("iris", dict(init="zero")),
    ("iris", dict(learning_rate=0.37, max_depth=2)),
]


@pytest.mark.parametrize("mode", ["float", "int16"])
@pytest.mark.parametrize("name,params", GB_VARIANTS, ids=[f"{n}-{p}" for n, p in GB_VARIANTS])
def test_gradient_boosting_variants(name, params, mode):
    Xtr, X, ytr = dataset(name, mode)
    model = ensemble.GradientBoostingClassifier(n_estimators=15, random_state=0, **params).fit(Xtr, ytr)
    data = to_binary(model, thresholds=mode)
    info = model_info(data)
    assert info["combine"] == ("logistic" if name == "breast_cancer" else "softmax")
    check_classifier(model, data, X)


@pytest.mark.parametrize("loss", ["absolute_error", "huber", "quantile"])
def test_gradient_boosting_regressor_losses(loss):
    Xtr, X, ytr = dataset("diabetes", "float")
    model = ensemble.GradientBoostingRegressor(n_estimators=15, loss=loss, random_state=0).fit(Xtr, ytr)
    check_regressor(model, to_binary(model), X)


@pytest.mark.parametrize("params", [dict(loss="absolute_error"), dict(loss="quantile", quantile=0.8)])
def test_hist_gradient_boosting_regressor_losses(params):
    Xtr, X, ytr = dataset("diabetes", "float")
    model = ensemble.HistGradientBoostingRegressor(max_iter=15, random_state=0, **params).fit(Xtr, ytr)
    data = to_binary(model)
    assert model_info(data)["combine"] == "sum"
    check_regressor(model, data, X)


def with_missing(X: np.ndarray, fraction: float = 0.2, seed: int = 0) -> np.ndarray:
    X = np.array(X, dtype=np.float32)
    X[np.random.RandomState(seed).rand(*X.shape) < fraction] = np.nan
    return X


def check_nan_routing(model, X: np.ndarray, classifier: bool) -> tuple[bytes, bytes]:
    """The model converted with nan='exact' gives the model's outputs on X and
    on X with a fifth of its values NaN; with nan='right' it must differ on
    the NaN rows, or they would not test the routing. Returns both files."""
    rows = with_missing(X, seed=1)
    check = check_classifier if classifier else check_regressor
    exact, right = to_binary(model, nan="exact"), to_binary(model, nan="right")
    check(model, exact, rows)
    check(model, exact, X)
    with pytest.raises(AssertionError):
        check(model, right, rows)
    return exact, right


@pytest.mark.parametrize("name", ["breast_cancer", "iris"])
def test_hist_gradient_boosting_trained_with_missing_values(name):
    """Trained on data with NaNs, HistGradientBoosting learns splits of NaN
    from every number (threshold +inf): +inf goes left there and NaN right.
    The converted model takes the same decisions for every row without NaN,
    +inf included; a NaN input goes right at every split (nan='right', the
    default; nan='exact' is tested below)."""
    X, y = {"breast_cancer": datasets.load_breast_cancer, "iris": datasets.load_iris}[name](return_X_y=True)
    X = with_missing(X)
    model = ensemble.HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)
    nodes = [p.nodes for it in model._predictors for p in it]
    n_inf = sum(int(np.sum(np.isinf(n["num_threshold"]) & (n["is_leaf"] == 0))) for n in nodes)
    assert n_inf > 0, "no split of NaN from the numbers: the test does not reach the +inf threshold"
    data = to_binary(model, "float")
    assert parse_model(data).threshold.tolist().count(trees.KEY_ABOVE_INF) == n_inf
    check_classifier(model, data, np.where(np.isnan(X), np.float32(np.inf), X))
    check_classifier(model, data, np.where(np.isnan(X), np.float32(-np.inf), X))
    Xi = np.where(np.isnan(X), 0, np.round(X * 10)).astype(np.int16)  # int16: every split of NaN goes left
    check_classifier(model, to_binary(model, "int16"), Xi)


ISOLATION_VARIANTS = [dict(), dict(max_features=0.5), dict(contamination=0.1, max_samples=64)]


@pytest.mark.parametrize("mode", ["float", "int16"])
@pytest.mark.parametrize("params", ISOLATION_VARIANTS, ids=["auto", "features", "contamination"])
@pytest.mark.parametrize("name", ["breast_cancer", "diabetes", "digits"])
def test_isolation_forest_matches_sklearn(name, params, mode):
    """Output m - m0 < 0 exactly where predict says outlier (rows within float32
    rounding of the threshold aside) and the documented formula gives back
    score_samples; max_features < 1 checks that the trees' feature subsets map
    to the model's features."""
    Xtr, X, _ = dataset(name, mode)
    model = ensemble.IsolationForest(n_estimators=30, random_state=0, **params).fit(Xtr)
    m0, c = trees.isolation_forest_constants(model)
    data = to_binary(model, thresholds=mode)
    info = model_info(data)
    assert info["combine"] == "sum" and info["n_outputs"] == 1
    for rows in (X, trees.edge_rows(model, X, mode)):
        out, cls = predict_binary(data, rows)
        assert cls is None
        out = out[:, 0].astype(np.float64)
        np.testing.assert_allclose(-(2 ** (-(out + m0) / c)), model.score_samples(rows), rtol=0, atol=1e-6)
        clear = np.abs(model.decision_function(rows)) > 1e-5
        assert clear.mean() > 0.9
        outlier = model.predict(rows) == -1
        if rows is X:
            assert 0 < outlier.sum() < len(rows)  # both kinds of rows are checked
        np.testing.assert_array_equal((out < 0)[clear], outlier[clear])


def test_isolation_forest_unsupported():
    Xtr, X, _ = dataset("iris", "float")
    with pytest.raises(ValueError, match="max_samples"):
        to_binary(ensemble.IsolationForest(n_estimators=3, max_samples=1).fit(Xtr))
    with pytest.raises(ValueError):
        to_csv(ensemble.IsolationForest(n_estimators=3).fit(Xtr))


@pytest.mark.parametrize("trained_with_nan", [False, True])
@pytest.mark.parametrize("name", ["breast_cancer", "iris", "diabetes"])
def test_nan_exact_routes_missing_values_as_sklearn(name, trained_with_nan):
    """nan='exact': NaN inputs go where scikit-learn sends them (learned with
    missing values in training, or to the larger child without), through check
    nodes; nan='right' differs on those rows, so the rows test the routing."""
    Xtr, X, ytr = dataset(name, "float")
    classifier = name != "diabetes"
    est = ensemble.HistGradientBoostingClassifier if classifier else ensemble.HistGradientBoostingRegressor
    model = est(max_iter=15, random_state=0).fit(with_missing(Xtr) if trained_with_nan else Xtr, ytr)
    exact, right = check_nan_routing(model, X, classifier)
    n_exact, n_right = model_info(exact)["n_nodes"], model_info(right)["n_nodes"]
    assert n_right < n_exact < 2 * n_right


def test_nan_exact_options():
    Xtr, X, ytr = dataset("iris", "float")
    forest = ensemble.RandomForestClassifier(n_estimators=3, random_state=0).fit(Xtr, ytr)
    # scikit-learn 1.2 trees do not route NaN: nothing to add
    if not hasattr(forest.estimators_[0].tree_, "missing_go_to_left"):
        assert to_binary(forest, nan="exact") == to_binary(forest)
    hgb = ensemble.HistGradientBoostingClassifier(max_iter=3).fit(Xtr, ytr)
    with pytest.raises(ValueError, match="float"):
        to_binary(hgb, "int16", nan="exact")
    with pytest.raises(ValueError, match="nan"):
        to_binary(hgb, nan="left")


def test_hist_gradient_boosting_unsupported():
    Xtr, X, ytr = dataset("diabetes", "float")
    with pytest.raises(ValueError, match="poisson"):
        to_binary(ensemble.HistGradientBoostingRegressor(max_iter=3, loss="poisson").fit(Xtr, ytr))
    cat = np.zeros(Xtr.shape[1], dtype=bool)
    cat[1] = True  # diabetes' sex column: two values
    Xc = Xtr.copy()
    Xc[:, 1] = Xc[:, 1] > 0
    with pytest.raises(ValueError, match="categorical"):
        to_binary(ensemble.HistGradientBoostingRegressor(max_iter=3, categorical_features=cat).fit(Xc, ytr))
    with pytest.raises(ValueError):
        to_csv(ensemble.HistGradientBoostingRegressor(max_iter=2).fit(Xtr, ytr))


def test_float_model_accepts_int16_inputs():
    Xtr, X, ytr = dataset("digits", "int16")
    model = ensemble.RandomForestClassifier(n_estimators=5, random_state=0).fit(Xtr, ytr)
    check_classifier(model, to_binary(model, "float"), X)


def test_reported_digits_forest():
    """RandomForestClassifier(10, max_leaf_nodes=100) on digits, int16."""
    X, y = datasets.load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=1)
    model = ensemble.RandomForestClassifier(n_estimators=10, max_leaf_nodes=100, random_state=1).fit(Xtr, ytr)
    data = to_binary(model, "int16")
    info = model_info(data)
    assert info["layout"] == "narrow" and info["n_trees"] == 10
    assert info["thresholds"] == "int8" and info["records"] == "u8" and info["flags"] == "0x04 (T8)"
    n_internal = sum(int((e.tree_.children_left != -1).sum()) for e in model.estimators_)
    assert info["n_nodes"] == n_internal  # no split of digits is pruned in int16
    # header + roots + feature(u8) + threshold(i8) + left/right(u16) + pool(u8), 4-aligned
    a4 = lambda n: (n + 3) & ~3  # noqa: E731
    nn, nl = info["n_nodes"], info["n_leaf_words"]
    assert len(data) == 32 + a4(20) + 2 * a4(nn) + 2 * a4(2 * nn) + a4(nl)
    assert len(data) < 8160
    check_classifier(model, data, Xte.astype(np.int16))


# ---------------------------------------------------------------------------
# Thresholds


def test_float32_above_is_exact():
    rng = np.random.RandomState(0)
    thrs = list(rng.randn(2000) * 10.0 ** rng.randint(-40, 39, 2000))
    thrs += [0.0, -0.0, 1e-50, -1e-50, 0.5, -0.5, 3.4e38, 1e39, -1e39, 1.5, float(np.float32(0.1))]
    for thr in thrs:
        with np.errstate(over="ignore"):
            t = float32_above(thr)
        assert t.dtype == np.float32
        f32 = np.float32(thr) if abs(thr) < 3.4e38 else np.float32(np.sign(thr) * 3.4e38)
        with np.errstate(over="ignore"):
            below = np.nextafter(t, np.float32(-np.inf))
        for x in (t, below, f32, np.nextafter(f32, np.float32(np.inf)), np.nextafter(f32, np.float32(-np.inf))):
            assert (float(x) <= thr) == (float(x) < float(t)), (thr, x, t)
        assert float(below) <= thr < float(t)  # t is the smallest such float32


def test_float32_key_orders_like_floats():
    rng = np.random.RandomState(1)
    v = np.concatenate([rng.randn(500).astype(np.float32) * np.float32(1e3),
                        np.array([0, -0.0, np.inf, -np.inf, 1e-45, -1e-45], dtype=np.float32)])
    keys = np.array([float32_key(x) for x in v])
    order = np.argsort(v, kind="stable")
    assert np.all(np.diff(keys[order]) >= 0)
    assert float32_key(-0.0) == float32_key(0.0) == 0
    assert float32_key(np.nan) == 0x7FFFFFFF > float32_key(np.inf)
    assert all(-(2 ** 31) <= k < 2 ** 31 for k in keys)


def test_int16_threshold_is_exact():
    for thr in [-3.5, -3.0, -2.9, 0.0, 0.5, 4.5, 7.0, 32766.5, -32768.5]:
        t = int16_threshold(thr)
        for x in range(int(thr) - 3, int(thr) + 4):
            assert (x <= thr) == (x < t)


@pytest.mark.parametrize("lo,hi", [(32767, 40000), (32767, 32768), (-40000, -35000), (-32771, -32768)])
def test_int16_out_of_range_splits_are_replaced(lo, hi):
    # feature 0 splits between lo and hi, where every int16 goes one way
    # (t = 32768 or t = -32769 at the edges); feature 1 carries a real split.
    X = np.array([[a, c] for a in (lo, hi) for c in (0, 5)] * 5, dtype=float)
    y = np.array([2 * (a == hi) + (c == 5) for a, c in X])
    model = tree.DecisionTreeClassifier(random_state=0).fit(X, y)
    float_data = to_binary(model, "float")
    data = to_binary(model, "int16")
    assert model_info(data)["n_nodes"] < model_info(float_data)["n_nodes"]
    Xq = np.array([[a, c] for a in (-32768, -1, 0, 32767) for c in (-32768, 0, 2, 3, 5, 32767)],
                  dtype=np.int16)
    check_classifier(model, data, Xq)
    check_classifier(model, float_data, X)


# ---------------------------------------------------------------------------
# Layout, leaves, exact bytes


def test_exact_bytes_of_a_tiny_tree():
    model = tree.DecisionTreeClassifier().fit([[0], [1], [2], [3]], [0, 0, 1, 1])
    data = to_binary(model, "int16")
    expected = struct.pack(HEADER, b"EMLT", 2, 0, 0x04, 0, 1, 2, 1, 1, 0, 52, 0)  # T8
    expected += struct.pack("<H2x", 0)            # roots: node 0
    expected += struct.pack("<B3x", 0)            # feature
    expected += struct.pack("<b3x", 2)            # threshold (int8): floor(1.5) + 1
    expected += struct.pack("<H2x", 1 + 0)        # left: pure leaf, class 0 (ref n_nodes + 0)
    expected += struct.pack("<H2x", 1 + 1)        # right: pure leaf, class 1; empty pool
    assert data == expected
    fdata = to_binary(model, "float")
    m = parse_model(fdata)
    assert m.float_thresholds and not m.int8_thresholds and int(m.threshold[0]) == 0x3FC00001
    assert fdata[6] == 0x01 and len(fdata) == 32 + 4 + 4 + 4 + 4 + 4


def test_exact_bytes_with_a_record():
    # left leaf holds classes 0, 1 with counts 2, 4 (gcd-reduced to 1, 2); right is pure class 1
    X = [[0]] * 6 + [[5]] * 2
    model = tree.DecisionTreeClassifier().fit(X, [0, 0, 1, 1, 1, 1, 1, 1])
    data = to_binary(model, "int16")
    expected = struct.pack(HEADER, b"EMLT", 2, 0, 0x04, 0, 1, 2, 1, 1, 5, 60, 0)
    expected += struct.pack("<H2x", 0)
    expected += struct.pack("<B3x", 0)
    expected += struct.pack("<b3x", 3)            # floor(2.5) + 1
    expected += struct.pack("<H2x", 1 + 2 + 0)    # record at pool offset 0: n_nodes + n_outputs + 0
    expected += struct.pack("<H2x", 1 + 1)        # pure class 1
    expected += bytes([2, 0, 1, 1, 2]) + bytes(3)  # u8 record n, class, count, ... padded to 4
    assert data == expected
    out, cls = predict_binary(data, np.array([[0], [5]], dtype=np.int16))
    np.testing.assert_array_equal(cls, [1, 1])
    assert out[0, 0] == np.float32(1 / 3) and out[0, 1] == np.float32(2 / 3)
    np.testing.assert_array_equal(out[1], [0, 1])


def _file(kind, flags, combine, n_features, n_outputs, sections, n_nodes, n_leaf_words):
    """A hand-written model: sections are padded to 4 and the size filled in."""
    body = b"".join(s + bytes(-len(s) % 4) for s in sections)
    hdr = struct.pack(HEADER, b"EMLT", 2, kind, flags, combine, n_features, n_outputs,
                      len(sections[0]) // (4 if flags & 2 else 2), n_nodes, n_leaf_words,
                      32 + len(body), 0)
    return hdr + body


def test_hand_written_file_predicts_per_spec():
    """The reader follows the doc, checked on a file written by hand."""
    key = float32_key(np.float32(2.5))
    data = _file(1, 1, 1, 2, 1, [
        struct.pack("<HH", 1, 0),                 # roots: tree 0 = leaf@0, tree 1 = node 0
        struct.pack("<HH", 0, 0),                 # tree_output: both feed output 0
        struct.pack("<f", 10.0),                  # init
        struct.pack("<B", 1),                     # feature 1
        struct.pack("<i", key),                   # threshold key(2.5)
        struct.pack("<H", 1 + 1),                 # left: leaf@1
        struct.pack("<H", 1 + 2),                 # right: leaf@2
        struct.pack("<3f", 0.5, -1.0, 4.0),
    ], 1, 3)
    out, cls = predict_binary(data, np.array([[0, 2.4999], [0, 2.5], [0, np.nan]], dtype=np.float32))
    assert cls is None
    np.testing.assert_array_equal(out[:, 0], np.float32([9.5, 14.5, 14.5]))


@pytest.mark.parametrize("c16", [False, True])
def test_hand_written_classifier_integer_votes(c16):
    """Combining trees, by hand: n_trees = 3, S = floor(2^31 / 3) = 715827882."""
    word = "<H" if c16 else "B"
    rec = lambda *w: b"".join(struct.pack(word, v) for v in w)  # noqa: E731
    pool = rec(2, 0, 2, 2, 3) + rec(2, 1, 1, 2, 1)  # N = 5 at offset 0; N = 2 at offset 5
    data = _file(0, 0x04 | (0x08 if c16 else 0), 0, 1, 3, [
        struct.pack("<HHH", 1 + 1, 0, 1 + 3 + 0),  # tree 0: pure class 1; tree 1: node 0; tree 2: record@0
        struct.pack("<B", 0),                      # node 0: feature 0
        struct.pack("<b", -5),                     # x < -5 goes left
        struct.pack("<H", 1 + 3 + 5),              # left: record@5
        struct.pack("<H", 1 + 2),                  # right: pure class 2
        pool,
    ], 1, 10)
    S = 715827882
    # record@0, N = 5: q = 143165576, r = 2: class 0 gets 2q + 4 div 5, class 2 gets 3q + 6 div 5
    r0 = {0: 286331152, 2: 429496729}
    # record@5, N = 2: q = 357913941, r = 0
    r5 = {1: 357913941, 2: 357913941}
    m = parse_model(data)
    assert m.u16_records == c16 and list(m.pure_leaves) == [1, 2] and list(m.leaf_offsets) == [0, 5]
    X = np.array([[-6], [-5], [0]], dtype=np.int16)
    acc = trees_reader.classifier_accumulators(m, X.astype(np.int64))
    went_left = [r0[0], S + r5[1], r0[2] + r5[2]]
    went_right = [r0[0], S, r0[2] + S]
    want = np.array([went_left, went_right, went_right])
    np.testing.assert_array_equal(acc, want)
    out, cls = predict_binary(data, X)
    np.testing.assert_array_equal(out, (want * 2.0 ** -31).astype(np.float32))
    np.testing.assert_array_equal(cls, [1, 2, 2])


def test_classifier_ties_take_the_first_class():
    # two trees, pure leaves 1 and 0: acc = [S, S], class 0
    data = _file(0, 0x04, 0, 1, 2, [struct.pack("<HH", 1, 0), b"", b"", b"", b"", b""], 0, 0)
    out, cls = predict_binary(data, np.zeros((1, 1), dtype=np.int16))
    np.testing.assert_array_equal(out, [[0.5, 0.5]])
    assert cls[0] == 0


def test_classifier_outputs_within_the_spec_bound_of_the_exact_mean():
    """|output - exact mean| <= 2 n_trees 2^-31 (+ float32 rounding), from the file's records."""
    Xtr, X, ytr = dataset("wine", "float")
    model = ensemble.RandomForestClassifier(n_estimators=7, max_depth=3, random_state=0).fit(Xtr, ytr)
    data = to_binary(model)
    m = parse_model(data)
    out, _ = predict_binary(data, X)
    values = X.astype(np.float32)
    exact = [[Fraction(0)] * m.n_outputs for _ in range(len(X))]
    for root in m.roots.tolist():
        for s in range(len(X)):
            i = root
            while i < m.n_nodes:
                key = float32_key(values[s, m.feature[i]])
                i = int(m.left[i] if key < m.threshold[i] else m.right[i])
            L = i - m.n_nodes
            if L < m.n_outputs:
                exact[s][L] += Fraction(1, m.n_trees)
            else:
                o = L - m.n_outputs
                n = int(m.pool[o])
                cs = [(int(m.pool[o + 1 + 2 * j]), int(m.pool[o + 2 + 2 * j])) for j in range(n)]
                N = sum(c for _, c in cs)
                for k, c in cs:
                    exact[s][k] += Fraction(c, N * m.n_trees)
    bound = 2 * m.n_trees * 2.0 ** -31
    for s in range(len(X)):
        for k in range(m.n_outputs):
            assert abs(float(out[s, k]) - float(exact[s][k])) <= bound + 2.0 ** -24 * float(exact[s][k])


def test_leaf_records_are_deduplicated_and_reduced():
    Xtr, X, ytr = dataset("iris", "float")
    model = ensemble.RandomForestClassifier(n_estimators=20, random_state=0).fit(Xtr, ytr)
    m = parse_model(to_binary(model))
    assert not m.u16_records
    records = []
    for o in m.leaf_offsets.tolist():
        n = int(m.pool[o])
        rec = tuple(int(v) for v in m.pool[o:o + 1 + 2 * n])
        counts = rec[2::2]
        assert n >= 2 and all(counts)  # one class would be a pure leaf
        assert functools.reduce(math.gcd, counts) == 1
        records.append(rec)
    assert len(records) == len(set(records))
    assert 0 in m.pure_leaves.tolist()  # a pure setosa leaf, stored in its ref
    n_leaves = sum(int((e.tree_.children_left == -1).sum()) for e in model.estimators_)
    assert len(records) + len(m.pure_leaves) < n_leaves
    # the pool holds the distinct records and nothing else
    assert m.n_leaf_words == sum(len(r) for r in records)


def test_nodes_in_preorder():
    Xtr, X, ytr = dataset("wine", "float")
    model = ensemble.ExtraTreesClassifier(n_estimators=3, random_state=0).fit(Xtr, ytr)
    m = parse_model(to_binary(model))
    for child in (m.left, m.right):
        internal = child < m.n_nodes
        assert np.all(child[internal] > np.arange(m.n_nodes)[internal])
    assert m.roots[0] == 0 and np.all(np.diff(m.roots) > 0)


def test_wide_layout():
    Xtr, X, ytr = dataset("iris", "float")
    model = ensemble.RandomForestClassifier(n_estimators=5, random_state=0).fit(Xtr, ytr)
    narrow, wide = to_binary(model), to_binary(model, wide=True)
    assert model_info(narrow)["layout"] == "narrow" and model_info(wide)["layout"] == "wide"
    check_classifier(model, wide, X)
    X3, y3 = datasets.make_classification(n_samples=200, n_features=300, n_informative=20, random_state=0)
    big = tree.DecisionTreeClassifier(random_state=0).fit(X3, y3)
    data = to_binary(big)
    assert model_info(data)["layout"] == "wide"
    check_classifier(big, data, X3)
    with pytest.raises(ValueError):
        to_binary(big, wide=False)


def test_single_leaf_trees():
    X = np.arange(20, dtype=float).reshape(10, 2)
    one = tree.DecisionTreeClassifier().fit(X, np.zeros(10, dtype=int))
    data = to_binary(one)
    assert model_info(data)["n_nodes"] == 0
    check_classifier(one, data, X)
    reg = tree.DecisionTreeRegressor().fit(X, np.full(10, 3.25))
    check_regressor(reg, to_binary(reg, "int16"), X.astype(np.int16))


def test_non_integer_weights_warn_and_approximate():
    Xtr, X, ytr = dataset("wine", "float")
    model = ensemble.RandomForestClassifier(n_estimators=5, max_depth=3, class_weight="balanced",
                                            random_state=0).fit(Xtr, ytr)
    with pytest.warns(UserWarning, match="not integers"):
        data = to_binary(model)
    m = parse_model(data)  # every record valid: sum <= 65535, counts >= 1
    for o in m.leaf_offsets.tolist():
        counts = m.pool[o + 2:o + 2 + 2 * int(m.pool[o]):2].astype(np.int64)
        assert counts.min() >= 1 and counts.sum() <= 65535
    out, cls = predict_binary(data, X)
    np.testing.assert_allclose(out, model.predict_proba(X), atol=2e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_binary(ensemble.RandomForestClassifier(n_estimators=3, random_state=0).fit(Xtr, ytr))


def test_weighted_pure_leaves_are_exact():
    """Pure leaves need no counts: non-integer weights do not make them approximate."""
    X = np.arange(40, dtype=float)[:, None]
    y = (np.arange(40) // 10) % 3
    w = np.linspace(0.3, 1.7, 40)
    full = tree.DecisionTreeClassifier(random_state=0).fit(X, y, sample_weight=w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = to_binary(full)
    m = parse_model(data)
    assert m.n_leaf_words == 0 and sorted(m.pure_leaves.tolist()) == [0, 1, 2]
    check_classifier(full, data, X)
    stump = tree.DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y, sample_weight=w)
    with pytest.warns(UserWarning, match=r"1 leaf record\(s\) whose class weights are not integers"):
        data = to_binary(stump)  # one leaf is pure (exact), the other a record
    out, cls = predict_binary(data, X)
    np.testing.assert_allclose(out, stump.predict_proba(X), atol=2e-5)
    np.testing.assert_array_equal(stump.classes_[cls], stump.predict(X))


def _depth1_big(n: int, seed: int = 0):
    rng = np.random.RandomState(seed)
    x = rng.randint(0, 100, size=n)
    y = (rng.rand(n) < 0.3 + 0.004 * x).astype(int)
    return x[:, None].astype(np.int16), y


def test_counts_over_255_use_u16_records():
    X, y = _depth1_big(3001)
    model = tree.DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exact: reduced sums are below 65536
        data = to_binary(model, "int16")
    info = model_info(data)
    assert info["records"] == "u16" and info["flags"] == "0x0c (T8 C16)"
    m = parse_model(data)
    assert max(int(v) for v in m.pool) > 255
    a4 = lambda n: (n + 3) & ~3  # noqa: E731
    assert len(data) == 32 + 4 + 4 + 4 + 4 + 4 + a4(2 * m.n_leaf_words)
    check_classifier(model, data, X)
    check_classifier(model, data, np.arange(-3, 103, dtype=np.int16)[:, None])
    small = tree.DecisionTreeClassifier(max_depth=1, random_state=0).fit(X[:200], y[:200])
    assert model_info(to_binary(small, "int16"))["records"] == "u8"


def test_class_index_over_255_uses_u16_records():
    X = np.repeat(np.arange(300), 3)[:, None].astype(np.int16) // 2
    y = np.repeat(np.arange(300), 3)
    model = tree.DecisionTreeClassifier(random_state=0).fit(X, y)
    data = to_binary(model, "int16")
    info = model_info(data)
    assert info["records"] == "u16" and info["thresholds"] == "int16"
    m = parse_model(data)
    assert max(int(c) for o in m.leaf_offsets.tolist() for c in m.pool[o + 1:o + 1 + 2 * int(m.pool[o]):2]) > 255
    check_classifier(model, data, X)


def test_record_sums_over_65535_are_approximated_with_a_warning():
    X, y = _depth1_big(200001)
    model = tree.DecisionTreeClassifier(max_depth=1, random_state=0).fit(X, y)
    assert model.tree_.n_node_samples[1:].max() > 65535
    with pytest.warns(UserWarning, match="sum to more than 65535"):
        data = to_binary(model, "int16")
    m = parse_model(data)
    assert m.u16_records
    for o in m.leaf_offsets.tolist():
        counts = m.pool[o + 2:o + 2 + 2 * int(m.pool[o]):2].astype(np.int64)
        assert counts.sum() <= 65535 and counts.min() >= 1
    Xq = np.arange(-3, 103, dtype=np.int16)[:, None]
    out, cls = predict_binary(data, Xq)
    np.testing.assert_allclose(out, model.predict_proba(Xq), atol=2e-5)
    np.testing.assert_array_equal(model.classes_[cls], model.predict(Xq))


def test_approximated_counts_round_to_nearest_and_keep_every_class():
    c = trees._approximate_counts(np.array([1e-9, 1.0, 2.0]))
    assert c.min() >= 1 and c.sum() <= 65535
    assert c[1] in (21844, 21845) and c[2] in (43689, 43690)
    c = trees._approximate_counts(np.array([70000.0, 30001.0]))
    assert c.sum() <= 65535 and abs(c[0] / c.sum() - 70000 / 100001) < 1e-5
    c = trees._approximate_counts(np.ones(65535))
    assert c.sum() == 65535 and c.min() == 1


# ---------------------------------------------------------------------------
# int8 thresholds (T8)


@pytest.mark.parametrize("a,b,want", [(126, 127, "int8"), (127, 128, "int16"),
                                      (-129, -128, "int8"), (-130, -129, "int16")])
def test_int8_thresholds_when_every_threshold_fits(a, b, want):
    # the split is thr = (a + b) / 2, t = floor(thr) + 1: 127, 128, -128, -129
    X = np.array([[a], [b]] * 3, dtype=np.int16)
    model = tree.DecisionTreeClassifier().fit(X, [0, 1] * 3)
    data = to_binary(model, "int16")
    info = model_info(data)
    assert info["thresholds"] == want and bool(data[6] & 0x04) == (want == "int8")
    t = int(parse_model(data).threshold[0])
    assert t == math.floor((a + b) / 2) + 1
    Xq = np.arange(-140, 140, dtype=np.int16)[:, None]
    check_classifier(model, data, Xq)
    check_classifier(model, data, np.array([[-32768], [32767]], dtype=np.int16))
    out, cls = predict_binary(data, np.array([[t - 1.0001], [t - 1e-4], [t], [np.nan], [1e9], [-1e9]],
                                             dtype=np.float32))
    np.testing.assert_array_equal(cls, [0, 0, 1, 1, 1, 0])
    assert model_info(to_binary(model, "float"))["thresholds"] == "float"


def test_int8_thresholds_on_digits_regressor_and_forest():
    Xtr, X, ytr = dataset("digits", "int16")
    reg = tree.DecisionTreeRegressor(max_depth=8, random_state=0).fit(Xtr, ytr.astype(float))
    data = to_binary(reg, "int16")
    assert model_info(data)["thresholds"] == "int8" and model_info(data)["records"] == "float32"
    check_regressor(reg, data, X)
    gb = ensemble.GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0).fit(Xtr, ytr)
    gdata = to_binary(gb, "int16")
    assert model_info(gdata)["thresholds"] == "int8"
    check_classifier(gb, gdata, X)
    # the same data scaled past int8: int16 thresholds, the same decisions
    big = ensemble.RandomForestClassifier(n_estimators=3, random_state=0).fit(Xtr * 100, ytr)
    bdata = to_binary(big, "int16")
    assert model_info(bdata)["thresholds"] == "int16"
    check_classifier(big, bdata, X * 100)


def test_narrow_ref_limit():
    cls = trees._Ensemble(trees.KIND_CLASSES, 0, 10, 5, [], None)
    assert not trees._choose_wide(cls, 65000, 65535 - 65000 - 5, None)
    assert trees._choose_wide(cls, 65000, 65535 - 65000 - 4, None)
    assert trees._choose_wide(cls, 65535 - 5 + 1, 0, None)  # pure-leaf refs alone overflow
    with pytest.raises(ValueError):
        trees._choose_wide(cls, 65000, 600, False)
    val = trees._Ensemble(trees.KIND_VALUES, 0, 10, 5, [], None)
    assert not trees._choose_wide(val, 65000, 535, None)
    assert trees._choose_wide(val, 65000, 536, None)
    assert trees._choose_wide(trees._Ensemble(trees.KIND_CLASSES, 0, 257, 2, [], None), 1, 0, None)
    assert not trees._choose_wide(trees._Ensemble(trees.KIND_CLASSES, 0, 256, 2, [], None), 1, 0, None)


def test_rejects_unsupported_models():
    from sklearn.linear_model import LinearRegression, LogisticRegression

    Xtr, X, ytr = dataset("iris", "float")
    with pytest.raises(TypeError):
        to_binary(LogisticRegression(max_iter=500).fit(Xtr, ytr))
    with pytest.raises(ValueError):
        to_binary(tree.DecisionTreeClassifier())  # not fitted
    with pytest.raises(ValueError):
        to_binary(tree.DecisionTreeClassifier().fit(Xtr, np.stack([ytr, ytr], 1)))
    gb = ensemble.GradientBoostingRegressor(n_estimators=3, init=LinearRegression()).fit(Xtr, ytr)
    with pytest.raises(ValueError, match="init"):
        to_binary(gb)
    with pytest.raises(ValueError):
        to_binary(tree.DecisionTreeClassifier().fit(Xtr, ytr), thresholds="int8")


# ---------------------------------------------------------------------------
# Quantization helper


def test_quantize_int16():
    X = np.array([[0.0, -5.0, 7.0], [1.0, 5.0, 7.0], [0.5, 0.0, 7.0]])
    scale, offset = fit_int16_scaling(X)
    q = quantize_int16(X, scale, offset)
    assert q.dtype == np.int16
    np.testing.assert_array_equal(q[:, 0], [-30000, 30000, 0])
    np.testing.assert_array_equal(q[:, 2], [0, 0, 0])
    far = quantize_int16(np.array([[100.0, -100.0, 7.0]]), scale, offset)
    np.testing.assert_array_equal(far, [[32767, -32768, 0]])


# ---------------------------------------------------------------------------
# emlearn CSV


def csv_votes(model, X):
    ests = getattr(model, "estimators_", [model])
    votes = np.zeros((len(X), len(model.classes_)))
    for e in ests:
        votes[np.arange(len(X)), e.predict_proba(X).argmax(axis=1)] += 1
    return votes / len(ests)


@pytest.mark.parametrize("mode", ["int16", "float"])
@pytest.mark.parametrize("kind,name", [("rf", "digits"), ("dt", "iris"), ("et", "wine")])
def test_csv_votes_match_sklearn_trees(kind, name, mode):
    Xtr, X, ytr = dataset(name, mode)
    model = CLASSIFIERS[kind]().fit(Xtr, ytr)
    text = to_csv(model, thresholds=mode)
    lines = text.splitlines()
    assert lines[0] == f"f,{X.shape[1]}" and lines[1] == f"c,{len(model.classes_)}"
    kinds = [ln.split(",")[0] for ln in lines]
    assert kinds == sorted(kinds, key="fclrn".index)  # f, c, l..., r..., n...
    info = model_info(text)
    assert info["n_trees"] == len(getattr(model, "estimators_", [model]))
    assert info["n_leaves"] <= len(model.classes_)
    edge = trees.edge_rows(model, X, mode, n=90)
    for Xs in (X, edge):
        proba, cls = predict_csv(text, Xs)
        np.testing.assert_allclose(proba, csv_votes(model, Xs), atol=1e-6)
    if mode == "int16":
        assert all(ln.split(",")[2].lstrip("-").isdigit() for ln in lines if ln.startswith("n,"))


@pytest.mark.parametrize("mode", ["int16", "float"])
@pytest.mark.parametrize("est", [tree.DecisionTreeRegressor(max_depth=6, random_state=1),
                                 ensemble.RandomForestRegressor(n_estimators=5, max_depth=5, random_state=1),
                                 ensemble.ExtraTreesRegressor(n_estimators=5, max_depth=5, random_state=1)])
def test_csv_regressors_match_sklearn(est, mode):
    Xtr, X, ytr = dataset("diabetes", mode)
    model = est.fit(Xtr, ytr)
    text = to_csv(model, thresholds=mode)
    lines = text.splitlines()
    assert lines[:4] == [f"f,{X.shape[1]}", "c,0", "lb,32", "lf,32"], lines[:4]
    for Xs in (X, trees.edge_rows(model, X, mode, n=90)):
        values, cls = predict_csv(text, Xs)
        assert values.shape == (len(Xs), 1) and np.all(cls == -1)
        np.testing.assert_allclose(values[:, 0], model.predict(Xs), rtol=2e-6, atol=1e-6)


def test_csv_rejects_what_emlearn_cannot_hold():
    Xtr, X, ytr = dataset("diabetes", "float")
    with pytest.raises(ValueError):
        Y2 = np.stack([ytr, -ytr], axis=1)
        to_csv(tree.DecisionTreeRegressor(max_depth=2).fit(Xtr, Y2))     # multi-output
    with pytest.raises(ValueError):
        to_csv(ensemble.GradientBoostingRegressor(n_estimators=2).fit(Xtr, ytr))
    Xc, _, yc = dataset("iris", "float")
    with pytest.raises(ValueError):
        to_csv(ensemble.GradientBoostingClassifier(n_estimators=2).fit(Xc, yc))
    X3, y3 = datasets.make_classification(n_samples=100, n_features=200, random_state=0)
    with pytest.raises(ValueError):
        to_csv(tree.DecisionTreeClassifier(max_depth=2).fit(X3, y3))


# ---------------------------------------------------------------------------
# Bad models and seeds


# The reader's reason for the bad models that test rules new in version 2 (a
# file breaking one of these must not be rejected for an unrelated reason).
V2_REASONS = {
    "version_1": "unsupported version 1",
    "unknown_flag_bit4": "unknown flags",
    "t8_with_float": "T8 .* FLOAT",
    "t8_with_float_no_nodes": "T8 .* FLOAT",
    "c16_on_values_gb": "C16 .* values",
    "c16_on_values_regressor": "C16 .* values",
    "values_logistic_with_3_outputs": "n_outputs 2",
    "narrow_ref_overflow_wraps_to_node_0": "does not name a later node",
    "pure_leaf_ref_eq_n_outputs_empty_pool": "outside the leaf pool",
    "pure_root_ref_eq_n_outputs_empty_pool": "outside the leaf pool",
    "single_leaf_root_past_empty_pool": "outside the leaf pool",
    "left_ref_past_pool": "outside the leaf pool",
    "c16_leaf_ref_past_pool": "outside the leaf pool",
    "leaf_class_eq_n_outputs": "class >= n_outputs",
    "c16_leaf_class_eq_n_outputs": "class >= n_outputs",
    "c16_leaf_class_0xffff": "class >= n_outputs",
    "leaf_zero_counts": "zero counts",
    "c16_record_sum_zero": "zero counts",
    "c16_record_sum_65536": "sum to 65536 > 65535",
    "c16_record_counts_all_0xffff": "> 65535",
    "u8_record_overruns_pool_end": "overruns the leaf pool",
    "c16_record_overruns_pool_end": "overruns the leaf pool",
    "leaf_n_zero": "no classes",
    "c16_leaf_n_zero": "no classes",
}


def test_bad_models_are_all_rejected():
    bad = make_bad_models()
    assert len(bad) >= 30
    assert set(V2_REASONS) <= set(bad)
    for name, data in bad.items():
        with pytest.raises(ValueError) as err:
            parse_model(data)
            pytest.fail(f"{name} was accepted")
        if name in V2_REASONS:
            assert re.search(V2_REASONS[name], str(err.value)), (name, str(err.value))


def test_bad_model_bases_and_seeds_are_valid(tmp_path):
    for data in list(base_models().values()) + list(make_fuzz_seeds().values()):
        info = model_info(data)
        assert info["size"] == len(data) and len(data) % 4 == 0
    paths = write_bad_models(str(tmp_path / "bad"))
    assert len(paths) == len(make_bad_models())
    seeds = write_fuzz_seeds(str(tmp_path / "seeds"))
    assert len(seeds) >= 5
    for p in seeds:
        with open(p, "rb") as f:
            parse_model(f.read())


# ---------------------------------------------------------------------------
# Command line


def test_cli_convert_and_info(tmp_path, capsys):
    Xtr, X, ytr = dataset("digits", "int16")
    model = ensemble.RandomForestClassifier(n_estimators=3, random_state=0).fit(Xtr, ytr)
    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(pickle.dumps(model))
    out, csv = tmp_path / "m.emlt", tmp_path / "m.csv"
    assert trees.main(["convert", str(pkl), str(out), "--csv", str(csv), "--int16"]) == 0
    printed = capsys.readouterr().out
    data = out.read_bytes()
    assert f"size: {len(data)}" in printed and "n_leaves:" in printed
    assert "version: 2" in printed and "thresholds: int8" in printed and "records: u8" in printed
    assert data == to_binary(model, "int16")
    assert csv.read_text() == to_csv(model, "int16")
    check_classifier(model, data, X)
    assert trees.main(["info", str(csv)]) == 0
    assert f"n_nodes: {model_info(csv.read_text())['n_nodes']}" in capsys.readouterr().out


def test_cli_prints_class_labels(tmp_path, capsys):
    # predict returns an index into model.classes_: the user needs the labels
    X, y = datasets.load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(pickle.dumps(tree.DecisionTreeClassifier(random_state=0).fit(X, names)))
    assert trees.main(["convert", str(pkl), str(tmp_path / "m.emlt")]) == 0
    assert "classes: setosa, versicolor, virginica" in capsys.readouterr().out


def test_cli_errors_are_reported_not_raised(tmp_path, capsys):
    from sklearn.linear_model import LinearRegression
    unsupported = tmp_path / "linear.pkl"
    unsupported.write_bytes(pickle.dumps(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])))
    unfitted = tmp_path / "unfitted.pkl"
    unfitted.write_bytes(pickle.dumps(tree.DecisionTreeClassifier()))
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)))
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    out = str(tmp_path / "m.emlt")
    for argv, reason in ((["convert", str(tmp_path / "missing.pkl"), out], "No such file"),
                         (["convert", str(unsupported), out], "unsupported model type LinearRegression"),
                         (["convert", str(unfitted), out], "is not fitted"),
                         (["convert", str(garbage), out], "not a pickle or joblib file"),
                         (["info", str(garbage)], "neither a binary emlearn_trees model nor"),
                         (["info", str(text)], "no f and c lines")):
        assert trees.main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("error: ") and reason in err, (argv, err)
    assert not (tmp_path / "m.emlt").exists()
