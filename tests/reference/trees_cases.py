"""Reference models and outputs for tests/micropython/test_trees_*.py, from scikit-learn
and XGBoost.

For every estimator kind (decision tree, random forest, extra trees, gradient
boosting, histogram gradient boosting, XGBoost; classifiers and regressors; isolation
forests, whose output is a margin of the mean path length) on scikit-learn's bundled
data sets, in both threshold modes (float inputs, and int16 inputs on integer or
quantized data), writes the converted model, a few test rows and rows at its split
thresholds, and the model's own predict_proba / predict for them. Models are
kept small (a 140 kB heap holds them) but the decisions taken on each row are
the full models'. Forests of wine and diabetes also go in the wide layout and
with rows of the other input type (trees_layout.bin/.json), and histogram
gradient boosting and XGBoost get rows with NaN values, converted with
nan="exact" (trees_missing.bin/.json).

Also writes the malformed-model corpus (trees_bad.bin/.json), and the same
classifiers in emlearn's CSV format (trees_csv.bin/.json) with their expected
votes under emlearn's semantics, for the on-device CSV agreement test.
"""
import json
import os
import sys

import numpy as np
import xgboost
from sklearn import datasets, ensemble, tree
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from emlearn_mp import trees, trees_badmodels, trees_csv, trees_reader  # noqa: E402

N_ROWS = 10
N_EDGE = 6  # and rows with a feature at or next to a split threshold (trees.edge_rows)


def data_sets():
    reg3 = datasets.make_regression(n_samples=300, n_features=8, n_targets=3, noise=0.5, random_state=2)
    return {
        "digits": (datasets.load_digits(return_X_y=True), "cls"),
        "iris": (datasets.load_iris(return_X_y=True), "cls"),
        "wine": (datasets.load_wine(return_X_y=True), "cls"),
        "breast_cancer": (datasets.load_breast_cancer(return_X_y=True), "cls"),
        "diabetes": (datasets.load_diabetes(return_X_y=True), "reg"),
        "regression3": (reg3, "reg"),
    }


def estimators(task, multi_output):
    if task == "cls":
        return {
            "dt": tree.DecisionTreeClassifier(max_depth=6, random_state=1),
            "rf": ensemble.RandomForestClassifier(n_estimators=4, max_depth=5, random_state=1),
            "et": ensemble.ExtraTreesClassifier(n_estimators=4, max_depth=5, random_state=1),
            "gb": ensemble.GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=1),
            "hgb": ensemble.HistGradientBoostingClassifier(max_iter=3, max_depth=2, random_state=1),
            "xgb": xgboost.XGBClassifier(n_estimators=3, max_depth=2, random_state=1),
        }
    models = {
        "dt": tree.DecisionTreeRegressor(max_depth=5, random_state=1),
        "rf": ensemble.RandomForestRegressor(n_estimators=4, max_depth=4, random_state=1),
        "et": ensemble.ExtraTreesRegressor(n_estimators=4, max_depth=4, random_state=1),
    }
    if not multi_output:
        models["gb"] = ensemble.GradientBoostingRegressor(n_estimators=6, max_depth=2, random_state=1)
        models["hgb"] = ensemble.HistGradientBoostingRegressor(max_iter=6, max_depth=2, random_state=1)
    # one tree per output and iteration for several outputs
    models["xgb"] = xgboost.XGBRegressor(n_estimators=6, max_depth=2, random_state=1)
    # unsupervised (fit ignores y); on the regression sets because its output is a value
    models["iforest"] = ensemble.IsolationForest(n_estimators=5, max_samples=32, max_features=0.75,
                                                 random_state=1)
    return models


def outlier_margin(model, rows):
    """An IsolationForest's converted output, m - m0, from scikit-learn's
    score_samples (m: mean path length), checked against its predict."""
    m0, c = trees.isolation_forest_constants(model)
    margin = -c * np.log2(-model.score_samples(rows)) - m0
    clear = np.abs(model.decision_function(rows)) > 1e-5
    if not np.array_equal((margin < 0)[clear], (model.predict(rows) == -1)[clear]):
        raise SystemExit("IsolationForest: margin sign differs from predict")
    return margin, m0


def check_reader(data, rows, expected, classes, scale, name):
    """The independent reader (the spec's semantics, bit for bit for classifiers)
    must meet the device tests' tolerance on these rows (trees_check.py), or the
    data is inconsistent."""
    out, cls = trees_reader.predict_binary(data, rows)
    if np.any(np.abs(out - expected) > 1e-6 + 2e-6 * np.maximum(np.abs(expected), scale)):
        raise SystemExit("%s: reader outputs differ from scikit-learn" % name)
    if cls is not None and not np.array_equal(cls, classes):
        raise SystemExit("%s: reader classes %s != scikit-learn %s" % (name, cls, classes))


def csv_case(blob, model, data, rows, name):
    """A classifier or single-output regressor as emlearn CSV text, its rows,
    the votes (or values) and classes emlearn's semantics give
    (trees_csv.predict_csv). A single decision tree's CSV leaf is the argmax of
    its distribution, so there the two formats must give the same class;
    classifier ensembles may differ (majority vote against averaged
    probabilities); regressors give the binary format's values."""
    text = trees_csv.to_csv(model, thresholds="int16")
    votes, classes = trees_csv.predict_csv(text, rows)
    binary_out, binary_classes = trees_reader.predict_binary(data, rows)
    regress = binary_classes is None
    if name.endswith("-dt") and not regress and not np.array_equal(classes, binary_classes):
        raise SystemExit("%s: CSV and binary classes differ for a single tree" % name)
    if regress and np.any(np.abs(votes - binary_out) > 1e-6 + 2e-6 * np.abs(binary_out)):
        raise SystemExit("%s: CSV and binary regression values differ" % name)
    lines = text.splitlines()
    capacity = [sum(1 for line in lines if line.startswith(k + ",")) for k in ("r", "n", "l")]
    return {
        "name": name, "capacity": capacity, "same_as_binary": name.endswith("-dt") or regress,
        "csv": [blob.put(np.frombuffer(text.encode(), dtype=np.uint8)), len(text)],
        "binary": [blob.put(np.frombuffer(data, dtype=np.uint8)), len(data)],
        "rows": [blob.put(rows.astype(np.int16)), len(rows), rows.shape[1]],
        "votes": [blob.put(votes.astype(np.float32)), votes.shape[1]],
        "classes": blob.put(np.asarray(classes, dtype=np.int16)),
    }


class Blob:
    """One data file and its JSON index; arrays start 4-byte aligned."""

    def __init__(self):
        self.data = bytearray()

    def put(self, array_):
        while len(self.data) % 4:
            self.data.append(0)
        offset = len(self.data)
        self.data.extend(array_.tobytes())
        return offset

    def write(self, outdir, name, index):
        with open(os.path.join(outdir, name + ".bin"), "wb") as f:
            f.write(self.data)
        with open(os.path.join(outdir, name + ".json"), "w") as f:
            json.dump(index, f)


def big_estimators(task, multi_output):
    """Full-size models for the unix port (test_trees_big.py): the benchmark
    forest, unpruned ensembles and boosting with many trees."""
    if task == "cls":
        return {
            "rf": ensemble.RandomForestClassifier(n_estimators=10, max_leaf_nodes=100, random_state=1),
            "et": ensemble.ExtraTreesClassifier(n_estimators=30, random_state=1),
            "gb": ensemble.GradientBoostingClassifier(n_estimators=15, random_state=1),
            "hgb": ensemble.HistGradientBoostingClassifier(max_iter=15, random_state=1),
            "xgb": xgboost.XGBClassifier(n_estimators=15, max_depth=6, random_state=1),
        }
    models = {"rf": ensemble.RandomForestRegressor(n_estimators=20, random_state=1)}
    if not multi_output:
        models["gb"] = ensemble.GradientBoostingRegressor(n_estimators=50, random_state=1)
        models["hgb"] = ensemble.HistGradientBoostingRegressor(max_iter=50, random_state=1)
    models["xgb"] = xgboost.XGBRegressor(n_estimators=50, max_depth=6, random_state=1)
    models["iforest"] = ensemble.IsolationForest(random_state=1)
    return models


def input_modes(X, Xtr, Xte):
    """(mode, X_train, X_test) for float inputs and int16 inputs (the data as
    integers, or quantized with the converter's helper)."""
    yield "float", Xtr.astype(np.float32), Xte.astype(np.float32)
    if np.all(X == np.round(X)) and np.abs(X).max() < 32768:
        yield "int16", Xtr.astype(np.int16), Xte.astype(np.int16)
    else:
        scale, offset = trees.fit_int16_scaling(Xtr)
        yield "int16", trees.quantize_int16(Xtr, scale, offset), trees.quantize_int16(Xte, scale, offset)


def model_case(put, name, task, model, mode, rows, wide=None, row_type=None, nan="right"):
    """A fitted model converted, its rows and scikit-learn's outputs, checked
    with the reference reader first; the arrays go to the blob via put.
    wide forces a layout (None: the converter's choice); row_type ("h" or "f")
    sends the rows as the other input type than the model's thresholds are
    for: integer rows, so both types hold them exactly. nan: the converter's
    NaN routing."""
    data = trees.to_binary(model, thresholds=mode, wide=wide, nan=nan)
    # A value is a float32 sum of leaf values: rounding errors scale with the
    # model's largest outputs, not with a result that is small by cancellation.
    if task == "cls":
        expected = model.predict_proba(rows).astype(np.float32)
        classes = np.searchsorted(model.classes_, model.predict(rows)).astype(np.int16)
        scale = 0.0
    elif isinstance(model, ensemble.IsolationForest):
        margin, m0 = outlier_margin(model, rows)
        expected = margin.astype(np.float32).reshape(len(rows), 1)
        classes = np.full(len(rows), -1, dtype=np.int16)
        scale = float(np.abs(expected).max()) + m0   # the sum starts at -m0
    else:
        expected = model.predict(rows).astype(np.float32).reshape(len(rows), -1)
        classes = np.full(len(rows), -1, dtype=np.int16)
        scale = float(np.abs(expected).max())
    row_type = row_type or ("h" if mode == "int16" else "f")
    check_reader(data, rows, expected, classes, scale, name)
    return data, {
        "name": name, "task": task, "scale": scale,
        "model": [put(np.frombuffer(data, dtype=np.uint8)), len(data)],
        "rows": [put(rows.astype(np.int16 if row_type == "h" else np.float32)),
                 row_type, len(rows), rows.shape[1]],
        "expected": [put(expected), expected.shape[1]],
        "classes": put(classes),
    }


def layout_cases(put, name, task, X, y):
    """The layouts and input types the data-set cases do not reach, on real
    data: the wide layout (u16 features, u32 refs) that big models get, for
    both threshold modes, and rows of the other input type than the model's
    (float32 rows into an int16 model, int16 rows into a float model, both
    holding integers): the device takes them through its general walk."""
    Xq = np.round(X * (100.0 / np.abs(X).max()))   # integers, held exactly by both types
    Xtr, Xte, ytr, _ = train_test_split(Xq, y, random_state=3)
    forest = ensemble.RandomForestClassifier if task == "cls" else ensemble.RandomForestRegressor
    model = forest(n_estimators=3, max_depth=4, random_state=1).fit(Xtr, ytr)
    rows = np.concatenate([Xte[:N_ROWS], trees.edge_rows(model, Xte, "int16", N_EDGE, seed=1)])
    cases = []
    for mode in ("float", "int16"):
        other = "f" if mode == "int16" else "h"
        for wide, row_type, label in ((True, None, "wide"), (None, other, other + "-rows")):
            cases.append(model_case(put, "%s-rf-%s-%s" % (name, mode, label), task, model, mode,
                                    rows, wide=wide, row_type=row_type)[1])
    return cases


def missing_value_cases(put, sets):
    """Models that route NaN inputs, converted with nan="exact": histogram
    gradient boosting and XGBoost, trained with missing values (breast_cancer,
    which learns where NaN goes) and without (diabetes, where scikit-learn
    sends NaN to the larger child and XGBoost left); test rows with a fifth of
    their values NaN."""
    cases = []
    small = dict(max_depth=3, random_state=1)
    for name, kind, est, train_nan in (
            ("breast_cancer", "hgb", ensemble.HistGradientBoostingClassifier(max_iter=4, **small), True),
            ("diabetes", "hgb", ensemble.HistGradientBoostingRegressor(max_iter=4, **small), False),
            ("breast_cancer", "xgb", xgboost.XGBClassifier(n_estimators=4, **small), True),
            ("diabetes", "xgb", xgboost.XGBRegressor(n_estimators=4, **small), False)):
        (X, y), task = sets[name]
        X = np.asarray(X, dtype=np.float32)
        Xn = np.where(np.random.RandomState(4).rand(*X.shape) < 0.2, np.float32(np.nan), X)
        train, test = train_test_split(np.arange(len(X)), random_state=1)
        model = est.fit((Xn if train_nan else X)[train], y[train])
        rows = Xn[test[:3 * N_ROWS]]
        case_name = "%s-%s-float-nan" % (name, kind)
        cases.append(model_case(put, case_name, task, model, "float", rows, nan="exact")[1])
    return cases


def main(outdir):
    # Separate files (digits, other classifiers, regressors, layouts, missing values)
    # so that a 140 kB board holds one at a time; "big" is for the unix port only.
    blobs = {"digits": Blob(), "cls": Blob(), "reg": Blob(), "big": Blob(), "layout": Blob(),
             "missing": Blob()}
    cases = {group: [] for group in blobs}
    csv_blob, csv_cases = Blob(), []

    sets = data_sets()
    for name, ((X, y), task) in sets.items():
        X = np.asarray(X, dtype=np.float64)
        Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=1)
        multi_output = np.ndim(y) > 1
        for mode, Xtr_m, Xte_m in input_modes(X, Xtr, Xte):
            for kind, model in estimators(task, multi_output).items():
                if name == "digits" and kind == "xgb":
                    # a 140 kB board cannot hold the digits file with it; XGBoost's
                    # softmax runs as gradient boosting's does (both on digits
                    # here), and the digits XGBoost model is in trees_big
                    continue
                model.fit(Xtr_m, ytr)
                rows = np.concatenate([Xte_m[:N_ROWS], trees.edge_rows(model, Xte_m, mode, N_EDGE, seed=1)])
                if kind == "iforest":   # and the test rows it finds most anomalous
                    rows = np.concatenate([rows, Xte_m[np.argsort(model.score_samples(Xte_m))[:4]]])
                group = "digits" if name == "digits" else task
                data, case = model_case(blobs[group].put, "%s-%s-%s" % (name, kind, mode), task, model, mode, rows)
                cases[group].append(case)
                # emlearn's CSV holds trees and forests (no boosting), one output
                if mode == "int16" and kind in ("dt", "rf", "et") and name != "digits" and not multi_output:
                    csv_cases.append(csv_case(csv_blob, model, data, rows, "%s-%s" % (name, kind)))
            if name in ("iris", "wine"):
                continue                # small data sets: the models above are full size
            # every test row and 300 rows at split thresholds through full-size models
            for kind, model in big_estimators(task, multi_output).items():
                model.fit(Xtr_m, ytr)
                rows = np.concatenate([Xte_m, trees.edge_rows(model, Xte_m, mode, 300, seed=2)])
                _, case = model_case(blobs["big"].put, "%s-%s-%s" % (name, kind, mode), task, model, mode, rows)
                cases["big"].append(case)
    for name in ("wine", "diabetes"):
        (X, y), task = sets[name]
        cases["layout"] += layout_cases(blobs["layout"].put, name, task, np.asarray(X, dtype=np.float64), y)
    cases["missing"] = missing_value_cases(blobs["missing"].put, sets)
    for group in blobs:
        blobs[group].write(outdir, "trees_%s" % group, cases[group])
    csv_blob.write(outdir, "trees_csv", csv_cases)
    bad, bad_index = Blob(), []
    for name, data in sorted(trees_badmodels.make_bad_models().items()):
        bad_index.append([name, bad.put(np.frombuffer(data, dtype=np.uint8)), len(data)])
    bad.write(outdir, "trees_bad", bad_index)


if __name__ == "__main__":
    main(sys.argv[1])
