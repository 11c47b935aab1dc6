"""The binary files must reproduce scikit-learn: identical classes, outputs
within float32 rounding. Outputs come from the independent reader
(emlearn_mp.trees_reader), compared with the scikit-learn model itself."""

from __future__ import annotations

import functools
import math
import pickle
import struct
import warnings

import numpy as np
import pytest
from sklearn import datasets, ensemble, tree
from sklearn.model_selection import train_test_split

from emlearn_mp import trees
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


# ---------------------------------------------------------------------------
# Data


@functools.lru_cache(maxsize=None)
def dataset(name: str, mode: str):
    """(X_train, X_eval, y_train) with X_eval = all samples; int16 mode gives
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
    return Xtr, X, ytr


def edge_inputs(model, X: np.ndarray, mode: str, n: int = 300) -> np.ndarray:
    """Rows of X with one feature set exactly at/next to a split threshold."""
    rng = np.random.RandomState(0)
    est = getattr(model, "estimators_", None)
    ests = [model] if est is None else list(np.ravel(est))
    splits = [(int(f), float(t)) for e in ests
              for f, t, c in zip(e.tree_.feature, e.tree_.threshold, e.tree_.children_left) if c != -1]
    if not splits:
        return X[:0]
    rows = []
    for i in rng.randint(0, len(splits), size=n // 3):
        f, thr = splits[i]
        base = X[rng.randint(len(X))]
        if mode == "int16":
            cands = [math.floor(thr), math.floor(thr) + 1, math.ceil(thr)]
            cands = [min(max(c, -32768), 32767) for c in cands]
        else:
            f32 = np.float32(thr)
            cands = [f32, np.nextafter(f32, np.float32(-np.inf)), np.nextafter(f32, np.float32(np.inf))]
        for c in cands:
            r = base.copy()
            r[f] = c
            rows.append(r)
    return np.array(rows, dtype=X.dtype)


def check_classifier(model, data: bytes, X: np.ndarray) -> None:
    out, cls = predict_binary(data, X)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(model.classes_[cls], model.predict(X))
    np.testing.assert_allclose(out, model.predict_proba(X), rtol=RTOL, atol=ATOL)


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
}
REGRESSORS = {
    "dt": lambda: tree.DecisionTreeRegressor(random_state=0),
    "rf": lambda: ensemble.RandomForestRegressor(n_estimators=10, random_state=0),
    "et": lambda: ensemble.ExtraTreesRegressor(n_estimators=10, random_state=0),
    "gb": lambda: ensemble.GradientBoostingRegressor(n_estimators=20, random_state=0),
}


@pytest.mark.parametrize("mode", ["float", "int16"])
@pytest.mark.parametrize("kind", sorted(CLASSIFIERS))
@pytest.mark.parametrize("name", ["digits", "iris", "wine", "breast_cancer"])
def test_classifier_matches_sklearn(name, kind, mode):
    Xtr, X, ytr = dataset(name, mode)
    model = CLASSIFIERS[kind]().fit(Xtr, ytr)
    data = to_binary(model, thresholds=mode)
    info = model_info(data)
    assert info["size"] == len(data) and info["thresholds"] == mode
    check_classifier(model, data, X)
    check_classifier(model, data, edge_inputs(model, X, mode))


@pytest.mark.parametrize("mode", ["float", "int16"])
@pytest.mark.parametrize("kind", sorted(REGRESSORS))
@pytest.mark.parametrize("name", ["diabetes", "regression3"])
def test_regressor_matches_sklearn(name, kind, mode):
    Xtr, X, ytr = dataset(name, mode)
    if kind == "gb" and ytr.ndim > 1:
        ytr = ytr[:, 1]  # sklearn's gradient boosting has a single output
    model = REGRESSORS[kind]().fit(Xtr, ytr)
    data = to_binary(model, thresholds=mode)
    assert model_info(data)["n_outputs"] == (1 if ytr.ndim == 1 else ytr.shape[1])
    check_regressor(model, data, X)
    check_regressor(model, data, edge_inputs(model, X, mode))


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
    n_internal = sum(int((e.tree_.children_left != -1).sum()) for e in model.estimators_)
    assert info["n_nodes"] == n_internal  # no split of digits is pruned in int16
    # header + roots + feature(u8) + threshold(i16) + left/right(u16) + pool(u16), 4-aligned
    a4 = lambda n: (n + 3) & ~3  # noqa: E731
    nn, nl = info["n_nodes"], info["n_leaf_words"]
    assert len(data) == 32 + a4(20) + a4(nn) + 3 * a4(2 * nn) + a4(2 * nl)
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
    expected = struct.pack("<4sBBBBHHIIIII", b"EMLT", 1, 0, 0, 0, 1, 2, 1, 1, 6, 64, 0)
    expected += struct.pack("<H2x", 0)            # roots: node 0
    expected += struct.pack("<B3x", 0)            # feature
    expected += struct.pack("<h2x", 2)            # threshold: floor(1.5) + 1
    expected += struct.pack("<H2x", 1 + 0)        # left: leaf at pool offset 0
    expected += struct.pack("<H2x", 1 + 3)        # right: leaf at pool offset 3
    expected += struct.pack("<6H", 1, 0, 1, 1, 1, 1)  # gcd-reduced pure leaves
    assert data == expected
    fdata = to_binary(model, "float")
    m = parse_model(fdata)
    assert m.float_thresholds and int(m.threshold[0]) == 0x3FC00001  # key(nextafter(1.5f))


def test_hand_written_file_predicts_per_spec():
    """The reader follows the doc, checked on a file written by hand."""
    key = float32_key(np.float32(2.5))
    hdr = struct.pack("<4sBBBBHHIIIII", b"EMLT", 1, 1, 1, 1, 2, 1, 2, 1, 3, 0, 0)
    body = struct.pack("<HH", 1, 0)               # roots: tree 0 = leaf@0, tree 1 = node 0
    body += struct.pack("<HH", 0, 0)              # tree_output: both feed output 0
    body += struct.pack("<f", 10.0)               # init
    body += struct.pack("<B3x", 1)                # feature 1
    body += struct.pack("<i", key)                # threshold key(2.5)
    body += struct.pack("<H2x", 1 + 1)            # left: leaf@1
    body += struct.pack("<H2x", 1 + 2)            # right: leaf@2
    body += struct.pack("<3f", 0.5, -1.0, 4.0)
    data = bytearray(hdr + body)
    struct.pack_into("<I", data, 24, len(data))
    out, cls = predict_binary(bytes(data), np.array([[0, 2.4999], [0, 2.5], [0, np.nan]], dtype=np.float32))
    assert cls is None
    np.testing.assert_array_equal(out[:, 0], np.float32([9.5, 14.5, 14.5]))


def test_leaf_records_are_deduplicated_and_reduced():
    Xtr, X, ytr = dataset("iris", "float")
    model = ensemble.RandomForestClassifier(n_estimators=20, random_state=0).fit(Xtr, ytr)
    m = parse_model(to_binary(model))
    records = []
    for o in m.leaf_offsets.tolist():
        n = int(m.pool[o])
        rec = tuple(int(v) for v in m.pool[o:o + 1 + 2 * n])
        counts = rec[2::2]
        assert functools.reduce(math.gcd, counts) == 1
        records.append(rec)
    assert len(records) == len(set(records))
    assert (1, 0, 1) in records  # a pure setosa leaf
    n_leaves = sum(int((e.tree_.children_left == -1).sum()) for e in model.estimators_)
    assert len(records) < n_leaves


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
    model = ensemble.RandomForestClassifier(n_estimators=5, class_weight="balanced", random_state=0).fit(Xtr, ytr)
    with pytest.warns(UserWarning, match="not integers"):
        data = to_binary(model)
    out, cls = predict_binary(data, X)
    np.testing.assert_allclose(out, model.predict_proba(X), atol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_binary(ensemble.RandomForestClassifier(n_estimators=3, random_state=0).fit(Xtr, ytr))


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
    edge = edge_inputs(model, X, mode, n=90)
    for Xs in (X, edge):
        proba, cls = predict_csv(text, Xs)
        np.testing.assert_allclose(proba, csv_votes(model, Xs), atol=1e-6)
    if mode == "int16":
        assert all(ln.split(",")[2].lstrip("-").isdigit() for ln in lines if ln.startswith("n,"))


def test_csv_rejects_what_emlearn_cannot_hold():
    Xtr, X, ytr = dataset("diabetes", "float")
    with pytest.raises(ValueError):
        to_csv(tree.DecisionTreeRegressor(max_depth=2).fit(Xtr, ytr))
    Xc, _, yc = dataset("iris", "float")
    with pytest.raises(ValueError):
        to_csv(ensemble.GradientBoostingClassifier(n_estimators=2).fit(Xc, yc))
    X3, y3 = datasets.make_classification(n_samples=100, n_features=200, random_state=0)
    with pytest.raises(ValueError):
        to_csv(tree.DecisionTreeClassifier(max_depth=2).fit(X3, y3))


# ---------------------------------------------------------------------------
# Bad models and seeds


def test_bad_models_are_all_rejected():
    bad = make_bad_models()
    assert len(bad) >= 30
    for name, data in bad.items():
        with pytest.raises(ValueError):
            parse_model(data)
            pytest.fail(f"{name} was accepted")


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
    assert data == to_binary(model, "int16")
    assert csv.read_text() == to_csv(model, "int16")
    check_classifier(model, data, X)
    assert trees.main(["info", str(csv)]) == 0
    assert f"n_nodes: {model_info(csv.read_text())['n_nodes']}" in capsys.readouterr().out
