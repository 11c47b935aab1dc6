"""Reference outputs for tests/micropython/test_linreg_*.py, from scikit-learn and numpy.

Real data sets bundled with scikit-learn, as float32:
- diabetes: disease progression from 10 (already standardized) measurements;
- wine: alcohol content from the 12 other chemical measurements, raw (their
  scales run from 0.1 to 1680, which coordinate descent must centre and
  scale for itself);
- linnerud: weight from 3 exercise counts (20 people).
Each is split into training rows (at most 330) and test rows (at most 40).

For each set and each (alpha, l1_ratio) of CASES: scikit-learn's solution,
fitted in float64 to a duality gap of 1e-12 (Ridge for l1_ratio 0, as
scikit-learn advises; the same objective; LinearRegression for alpha 0), as weights, intercept and
predictions for the test rows; and emlearn-micropython's gradient descent
(the arithmetic of eml_linreg_step) run in float64 for GD_STEPS steps from
zero, as weights and bias, on diabetes (the others' raw scales make it
diverge at any useful learning rate).

Writes linreg_cases.bin (float32 arrays) and linreg_cases.json (index and
scalars) into the folder given.
"""
import json
import os
import sys
import warnings

import numpy as np
from sklearn import datasets
from sklearn.linear_model import ElasticNet, LinearRegression, Ridge

CASES = ((0.01, 0.5), (0.1, 1.0), (0.05, 0.0), (0.5, 0.9), (0.0, 0.5))
GD_STEPS = 200
MAX_TRAIN = 330
MAX_TEST = 40


def data_sets():
    X, y = datasets.load_diabetes(return_X_y=True)
    yield "diabetes", X, y, 0.5
    X, _ = datasets.load_wine(return_X_y=True)
    # alcohol from the rest; no gradient descent reference, as on raw
    # proline (up to 1680) it diverges at any useful rate
    yield "wine", X[:, 1:], X[:, 0], None
    X, Y = datasets.load_linnerud(return_X_y=True)
    yield "linnerud", X, Y[:, 0], None


def sklearn_solution(X, y, alpha, l1_ratio):
    """(weights, intercept) of scikit-learn's estimator, converged tightly."""
    if l1_ratio == 0.0:
        # ElasticNet's objective with l1_ratio 0 is Ridge's with alpha * n
        model = Ridge(alpha=alpha * len(y), solver="cholesky")
    elif alpha == 0.0:
        model = LinearRegression()
    else:
        model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=1_000_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X.astype(np.float64), y.astype(np.float64))
    return model.coef_, float(model.intercept_)


def gradient_descent(X, y, alpha, l1_ratio, rate, steps):
    """emlearn-micropython's steps from zero, in float64."""
    X, y = X.astype(np.float64), y.astype(np.float64)
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(steps):
        error = X @ w + b - y
        gradient = X.T @ error / len(y) + alpha * (1 - l1_ratio) * w
        v = w - rate * gradient
        t = rate * alpha * l1_ratio
        w = np.sign(v) * np.maximum(np.abs(v) - t, 0.0)
        b -= rate * error.mean()
    return w, b


def main(outdir):
    blob = bytearray()
    index = {"sets": []}

    def put(a):
        offset = len(blob)
        blob.extend(np.asarray(a, dtype=np.float32).tobytes())
        return offset

    for name, X, y, rate in data_sets():
        X, y = X.astype(np.float32), y.astype(np.float32)
        order = np.random.RandomState(1).permutation(len(y))
        n_train = min(MAX_TRAIN, len(y) * 3 // 4)
        train, test = order[:n_train], order[n_train:n_train + MAX_TEST]
        Xtr, ytr, Xte = X[train], y[train], X[test]
        entry = {"name": name, "n_features": X.shape[1], "n_train": len(train), "n_test": len(test),
                 "X": put(Xtr), "y": put(ytr), "X_test": put(Xte), "cases": []}
        for alpha, l1_ratio in CASES:
            w, b = sklearn_solution(Xtr, ytr, alpha, l1_ratio)
            case = {"alpha": alpha, "l1_ratio": l1_ratio, "weights": put(w), "intercept": b,
                    "predictions": put(Xte.astype(np.float64) @ w + b)}
            if rate is not None:
                gw, gb = gradient_descent(Xtr, ytr, alpha, l1_ratio, rate, GD_STEPS)
                case.update(rate=rate, steps=GD_STEPS, gd_weights=put(gw), gd_bias=gb)
            entry["cases"].append(case)
        index["sets"].append(entry)
    with open(os.path.join(outdir, "linreg_cases.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(outdir, "linreg_cases.json"), "w") as f:
        json.dump(index, f)


if __name__ == "__main__":
    main(sys.argv[1])
