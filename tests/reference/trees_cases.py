"""Reference models and outputs for tests/micropython/test_trees.py, from scikit-learn.

For every estimator kind (decision tree, random forest, extra trees, gradient
boosting; classifiers and regressors) on scikit-learn's bundled data sets, in
both threshold modes (float inputs, and int16 inputs on integer or quantized
data), writes the converted model, a few test rows, and scikit-learn's
predict_proba / predict for them. Models are kept small (a 140 kB heap holds
them) but the decisions taken on each row are the full models'.

Also writes the malformed-model corpus (trees_bad.bin/.json), and the same
classifiers in emlearn's CSV format (trees_csv.bin/.json) with their expected
votes under emlearn's semantics, for the on-device CSV agreement test.
"""
import json
import os
import sys

import numpy as np
from sklearn import datasets, ensemble, tree
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from emlearn_mp import trees, trees_badmodels, trees_csv, trees_reader  # noqa: E402

N_ROWS = 10


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
        }
    models = {
        "dt": tree.DecisionTreeRegressor(max_depth=5, random_state=1),
        "rf": ensemble.RandomForestRegressor(n_estimators=4, max_depth=4, random_state=1),
        "et": ensemble.ExtraTreesRegressor(n_estimators=4, max_depth=4, random_state=1),
    }
    if not multi_output:
        models["gb"] = ensemble.GradientBoostingRegressor(n_estimators=6, max_depth=2, random_state=1)
    return models


def check_reader(data, rows, expected, classes, name):
    """The independent reader (the spec's semantics, bit for bit for classifiers)
    must meet the device tests' tolerance on these rows, or the data is inconsistent."""
    out, cls = trees_reader.predict_binary(data, rows)
    if np.any(np.abs(out - expected) > 1e-6 + 2e-6 * np.abs(expected)):
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


def main(outdir):
    # Separate files (digits, other classifiers, regressors) so that a 140 kB
    # board holds one at a time.
    blobs = {"digits": Blob(), "cls": Blob(), "reg": Blob()}
    cases = {"digits": [], "cls": [], "reg": []}
    csv_blob, csv_cases = Blob(), []

    for name, ((X, y), task) in data_sets().items():
        X = np.asarray(X, dtype=np.float64)
        Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=1)
        integer_data = np.all(X == np.round(X)) and np.abs(X).max() < 32768
        for mode in ("float", "int16"):
            if mode == "int16" and not integer_data:
                scale, offset = trees.fit_int16_scaling(Xtr)
                Xtr_m, Xte_m = trees.quantize_int16(Xtr, scale, offset), trees.quantize_int16(Xte, scale, offset)
            elif mode == "int16":
                Xtr_m, Xte_m = Xtr.astype(np.int16), Xte.astype(np.int16)
            else:
                Xtr_m, Xte_m = Xtr.astype(np.float32), Xte.astype(np.float32)
            rows = Xte_m[:N_ROWS]
            for kind, model in estimators(task, np.ndim(y) > 1).items():
                model.fit(Xtr_m, ytr)
                data = trees.to_binary(model, thresholds=mode)
                if task == "cls":
                    expected = model.predict_proba(rows).astype(np.float32)
                    classes = np.searchsorted(model.classes_, model.predict(rows)).astype(np.int16)
                else:
                    expected = model.predict(rows).astype(np.float32).reshape(len(rows), -1)
                    classes = np.full(len(rows), -1, dtype=np.int16)
                check_reader(data, rows, expected, classes, "%s-%s-%s" % (name, kind, mode))
                group = "digits" if name == "digits" else task
                put = blobs[group].put
                cases[group].append({
                    "name": "%s-%s-%s" % (name, kind, mode), "task": task,
                    "model": [put(np.frombuffer(data, dtype=np.uint8)), len(data)],
                    "rows": [put(rows.astype(np.int16 if mode == "int16" else np.float32)),
                             "h" if mode == "int16" else "f", len(rows), rows.shape[1]],
                    "expected": [put(expected), expected.shape[1]],
                    "classes": put(classes),
                })
                single_output = task == "cls" or np.ndim(y) == 1
                if mode == "int16" and kind != "gb" and name != "digits" and single_output:
                    csv_cases.append(csv_case(csv_blob, model, data, rows, "%s-%s" % (name, kind)))
    for group in blobs:
        blobs[group].write(outdir, "trees_%s" % group, cases[group])
    csv_blob.write(outdir, "trees_csv", csv_cases)
    bad, bad_index = Blob(), []
    for name, data in sorted(trees_badmodels.make_bad_models().items()):
        bad_index.append([name, bad.put(np.frombuffer(data, dtype=np.uint8)), len(data)])
    bad.write(outdir, "trees_bad", bad_index)


if __name__ == "__main__":
    main(sys.argv[1])
