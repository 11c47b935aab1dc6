"""Reference outputs for tests/micropython/test_logreg_sklearn.py, from scikit-learn and numpy.

scikit-learn's bundled data sets, split (stratified, seeded) into training
rows and test rows:
- iris (3 classes, 4 features), wine (3 classes, 13 features) and
  breast_cancer (2 classes, 30 features), standardized (StandardScaler
  fitted on the training rows), as float32;
- digits (10 classes, 64 features): its integers 0 to 16, stored as uint8,
  the features being those over 16, which the device divides itself (exact
  in float32).
Training and test rows: iris 100 and 20, wine 80 and 20, breast_cancer 50 and
15, digits 40 (4 a class) and 15. Few: a board's 135 kB heap holds the module,
this file (28 kB), the test's source, and for digits its rows as float32
(10 kB), the model (5 kB) and fit's workspace (5 kB) in single blocks, in a
heap that compiling the test leaves in pieces of 10 to 20 kB.

For each set, scikit-learn's multinomial LogisticRegression, fitted in float64
on the float32 (or /16) values:
- penalty "l2" with C = 1.0 and C = 0.05, which is the module's objective with
  lambda_l2 = 1 / (C n_train): the solver newton-cg, tol 1e-6 (its largest
  gradient component, of the objective summed over rows: about 1e-9 of the mean).
  lbfgs is fitted too (tol 1e-10) and must agree within 2e-4, but is not the
  reference: scipy's L-BFGS-B also stops once the objective changes by less
  than 2.2e-9 of itself (an option scikit-learn does not pass on), which here
  leaves its weights up to 7.6e-5 from newton-cg's (digits, C = 1), and its
  probabilities 2.9e-5, where newton-cg is within 2e-7 of the optimum;
- on iris and wine, penalty "elasticnet", l1_ratio 0.5, C = 0.5 (solver saga,
  tol 1e-10): lambda_l1 = lambda_l2 = 0.5 / (C n_train).
Every fit must converge (ConvergenceWarning is an error), and is checked here
to be the objective's optimum: its gradient (for elasticnet, its proximal
gradient mapping) is below 2e-8 in every component (the parameters checked are
the float64 ones; the ones stored are those, rounded to float32).

Per case: the weights (n_classes rows of n_features, class after class; for
the two-class breast_cancer, scikit-learn's coef_ holds class 1's row and the
model's class 0 row is its negation, as the symmetric optimum of a
multinomial model has it, and the same for the intercept), the biases,
predict_proba and predict of the test rows, the objective on the training rows
(mean cross-entropy + lambda_l2 / 2 |W|^2 + lambda_l1 |W|_1, in float64),
lambda_l2 and lambda_l1, and the smallest gap between the two largest
probabilities of a test row. It is checked that predict_proba is the softmax
of the stored (float64) parameters, and that the float32 parameters leave
every test row's most probable class with a logit gap above 1e-3 (so that
predict on the device must give scikit-learn's class) and its probabilities
within 1e-6 of predict_proba. For elasticnet: a mask per weight, 1 where
scikit-learn's weight is 0 with the smooth part's gradient below 0.9
lambda_l1 (a weight any solver near the optimum sets to exactly 0), 2 where
the weight is above 1e-3 in magnitude (one it must not zero), else 0.

On iris, emlearn-micropython's gradient steps (the arithmetic of
eml_logreg_step, learning rate 0.5, from zero parameters) in float64, for the
lambdas of the l2 C = 1.0 case and of the elasticnet case: the weights,
biases and loss after STEPS steps, and the loss after TRAIN_STOP steps. From
the losses after every step up to TRAIN_STEPS, a tolerance for train()
(check_interval 5) that stops it at TRAIN_STOP steps: between the loss
changes over the checks before and the change at TRAIN_STOP, at least 1e-5
from each.

Writes logreg_cases.bin (little-endian float32 and uint8 arrays) and
logreg_cases.json (offsets into it and scalars) into the folder given.
"""
import json
import os
import sys
import warnings

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

# name: (training rows, test rows, the elasticnet case too)
SETS = {"iris": (100, 20, True), "wine": (80, 20, True), "breast_cancer": (50, 15, False),
        "digits": (40, 15, False)}
L2_CS = (1.0, 0.05)
ELASTICNET = (0.5, 0.5)     # C, l1_ratio
RATE = 0.5
STEPS = 50
TRAIN_STEPS = 300
CHECK_INTERVAL = 5
TRAIN_STOP = 60
OPTIMUM = 2e-8


def data_set(name):
    """Training rows as stored (float32, or uint8 for digits), their float64
    features, labels, and test rows likewise."""
    X, y = getattr(datasets, "load_" + name)(return_X_y=True)
    n_train, n_test, _ = SETS[name]
    Xtr, Xte, ytr, yte = train_test_split(X, y, train_size=n_train, test_size=n_test, random_state=1,
                                          stratify=y)
    if name == "digits":
        assert Xtr.max() == 16 and np.all(Xtr == np.round(Xtr))
        stored = Xtr.astype(np.uint8), Xte.astype(np.uint8)
        features = Xtr / 16.0, Xte / 16.0
    else:
        scaler = StandardScaler().fit(Xtr)
        stored = scaler.transform(Xtr).astype(np.float32), scaler.transform(Xte).astype(np.float32)
        features = stored[0].astype(np.float64), stored[1].astype(np.float64)
    # the device's features are exactly these float64 values
    assert np.array_equal(features[0].astype(np.float32).astype(np.float64), features[0])
    return stored[0], features[0], ytr.astype(np.uint8), stored[1], features[1], yte.astype(np.uint8)


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy(W, b, X, y):
    """Mean cross-entropy of rows X with labels y."""
    z = X @ W.T + b
    top = z.max(axis=1)
    log_sum = np.log(np.exp(z - top[:, None]).sum(axis=1)) + top
    return float(np.mean(log_sum - z[np.arange(len(y)), y]))


def objective(W, b, X, y, l2, l1):
    return cross_entropy(W, b, X, y) + 0.5 * l2 * float(np.sum(W * W)) + l1 * float(np.sum(np.abs(W)))


def smooth_gradient(W, b, X, y, l2):
    """Gradient of the mean cross-entropy + lambda_l2 / 2 |W|^2: (weights, biases)."""
    E = softmax(X @ W.T + b)
    E[np.arange(len(y)), y] -= 1.0
    return E.T @ X / len(y) + l2 * W, E.mean(axis=0)


def soft_threshold(v, t):
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def parameters(model, k):
    """The model's (W, b), class after class; two classes: scikit-learn keeps
    class 1's row only."""
    W, b = model.coef_.astype(np.float64), model.intercept_.astype(np.float64)
    if k == 2:
        W, b = np.vstack([-W, W]), np.concatenate([-b, b])
    assert W.shape[0] == k and b.shape == (k,)
    return W, b


def fit(X, y, penalty, C, l1_ratio=None):
    """scikit-learn's estimator, fitted (l2: newton-cg, checked against lbfgs)."""
    if penalty == "l2":
        model = LogisticRegression(C=C, solver="newton-cg", tol=1e-6, max_iter=1000, multi_class="multinomial")
        check = LogisticRegression(C=C, solver="lbfgs", tol=1e-10, max_iter=100000, multi_class="multinomial")
    else:
        model = LogisticRegression(C=C, penalty="elasticnet", l1_ratio=l1_ratio, solver="saga", tol=1e-10,
                                   max_iter=1000000, multi_class="multinomial", random_state=0)
        check = None
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
        if check is not None:
            check.fit(X, y)
    if check is not None:
        assert np.abs(check.coef_ - model.coef_).max() < 2e-4
    return model


def step_reference(X, y, k, l2, l1):
    """emlearn's steps from zero in float64: (W, b after STEPS steps, the loss
    after each of TRAIN_STEPS steps). No weight comes within 1e-5 of the soft
    threshold in the first STEPS steps: float32 steps zero the same weights."""
    W, b = np.zeros((k, X.shape[1])), np.zeros(k)
    losses, after = [], None
    for i in range(TRAIN_STEPS):
        gW, gb = smooth_gradient(W, b, X, y, l2)       # computed before the step
        V = W - RATE * gW
        if l1 and i < STEPS:
            assert np.min(np.abs(np.abs(V) - RATE * l1)) > 1e-5, i
        W = soft_threshold(V, RATE * l1)
        b = b - RATE * gb
        losses.append(objective(W, b, X, y, l2, l1))
        if i + 1 == STEPS:
            after = W.copy(), b.copy()
    return after[0], after[1], losses


def train_tolerance(losses):
    """A tolerance that stops train() (check_interval 5) at TRAIN_STOP: the
    geometric mean of the change there and the one at the check before, at
    least 1e-5 from every change (float32 losses of the steps are within about
    1e-6 of these)."""
    def change(i):      # the loss change the check after step i sees
        return abs(losses[i - CHECK_INTERVAL - 1] - losses[i - 1])
    before = [change(i) for i in range(3 * CHECK_INTERVAL, TRAIN_STOP, CHECK_INTERVAL)]
    at = change(TRAIN_STOP)
    tol = float(np.sqrt(min(before) * at))
    assert min(before) > tol + 1e-5 and at < tol - 1e-5, (before, at)
    assert all(losses[i + 1] < losses[i] for i in range(len(losses) - 1))     # no divergence
    return tol


class Blob:
    def __init__(self):
        self.data = bytearray()

    def add(self, values, dtype):
        while len(self.data) % 4:       # float32 arrays aligned, for array('f')
            self.data.append(0)
        offset = len(self.data)
        self.data += np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
        return offset


def case_entry(blob, name, Xtr, ytr, Xte, k, penalty, C, l1_ratio=None):
    n = len(ytr)
    if penalty == "l2":
        l2, l1 = 1.0 / (C * n), 0.0
    else:
        l2, l1 = (1.0 - l1_ratio) / (C * n), l1_ratio / (C * n)
    model = fit(Xtr, ytr, penalty, C, l1_ratio)
    W, b = parameters(model, k)
    where = (name, penalty, C)

    # the optimum of the module's objective
    gW, gb = smooth_gradient(W, b, Xtr, ytr, l2)
    mapping = np.abs(soft_threshold(W - gW, l1) - W) if l1 else np.abs(gW)
    assert max(mapping.max(), np.abs(gb).max()) < OPTIMUM, (where, mapping.max(), np.abs(gb).max())

    proba = model.predict_proba(Xte)
    predict = model.predict(Xte)
    assert np.abs(proba - softmax(Xte @ W.T + b)).max() < 1e-12, where
    assert np.array_equal(predict, np.argmax(proba, axis=1)), where
    # float32 parameters: every test row's class by a margin
    z32 = Xte @ W.astype(np.float32).astype(np.float64).T + b.astype(np.float32)
    top2 = np.sort(z32, axis=1)[:, -2:]
    assert np.array_equal(np.argmax(z32, axis=1), predict) and np.min(top2[:, 1] - top2[:, 0]) > 1e-3, where
    assert np.abs(softmax(z32) - proba).max() < 1e-6, where
    p_sorted = np.sort(proba, axis=1)

    entry = {"penalty": penalty, "C": C, "l1_ratio": l1_ratio, "lambda_l2": l2, "lambda_l1": l1,
             "sklearn_n_iter": int(model.n_iter_[0]),
             "objective": objective(W, b, Xtr, ytr, l2, l1),
             "weights": blob.add(W, np.float32), "biases": blob.add(b, np.float32),
             "proba": blob.add(proba, np.float32), "predict": blob.add(predict, np.uint8),
             "min_gap": float(np.min(p_sorted[:, -1] - p_sorted[:, -2]))}
    if l1:
        mask = np.zeros(W.shape, dtype=np.uint8)
        mask[(W == 0) & (np.abs(gW) < 0.9 * l1)] = 1
        mask[np.abs(W) > 1e-3] = 2
        entry.update(zeros=int(np.sum(W == 0)), mask=blob.add(mask, np.uint8))
    return entry


def main(outdir):
    blob = Blob()
    index = {"sets": []}
    for name, (_, _, with_elasticnet) in SETS.items():
        Xtr_stored, Xtr, ytr, Xte_stored, Xte, yte = data_set(name)
        k = int(ytr.max()) + 1
        assert np.array_equal(np.unique(ytr), np.arange(k))
        typecode = "B" if Xtr_stored.dtype == np.uint8 else "f"
        entry = {"name": name, "n_features": Xtr.shape[1], "n_classes": k, "n_train": len(ytr),
                 "n_test": len(yte), "type": typecode, "X": blob.add(Xtr_stored, Xtr_stored.dtype),
                 "y": blob.add(ytr, np.uint8), "X_test": blob.add(Xte_stored, Xte_stored.dtype), "cases": []}
        for C in L2_CS:
            entry["cases"].append(case_entry(blob, name, Xtr, ytr, Xte, k, "l2", C))
        if with_elasticnet:
            entry["cases"].append(case_entry(blob, name, Xtr, ytr, Xte, k, "elasticnet", *ELASTICNET))
        if name == "iris":
            entry["steps"] = []
            for case in entry["cases"]:
                if case["C"] == 1.0 or case["penalty"] == "elasticnet":
                    W, b, losses = step_reference(Xtr, ytr, k, case["lambda_l2"], case["lambda_l1"])
                    entry["steps"].append({
                        "lambda_l2": case["lambda_l2"], "lambda_l1": case["lambda_l1"], "rate": RATE,
                        "steps": STEPS, "weights": blob.add(W, np.float32), "biases": blob.add(b, np.float32),
                        "loss": losses[STEPS - 1], "zeros": int(np.sum(W == 0)),
                        "check_interval": CHECK_INTERVAL, "max_iterations": TRAIN_STEPS,
                        "tolerance": train_tolerance(losses), "stop": TRAIN_STOP,
                        "stop_loss": losses[TRAIN_STOP - 1]})
        index["sets"].append(entry)
    with open(os.path.join(outdir, "logreg_cases.bin"), "wb") as f:
        f.write(blob.data)
    with open(os.path.join(outdir, "logreg_cases.json"), "w") as f:
        json.dump(index, f)


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    main(sys.argv[1])
