"""Host helpers of emlearn_mp.logreg: the parameters of fitted logistic classifiers (pipelines
with scalers folded in) against predict_proba, the penalty settings against the optimality
conditions of scikit-learn's solutions, and the MicroPython code, run on the unix port
(predictions, and Model.fit with those settings) against scikit-learn."""
import os
import subprocess

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.svm import LinearSVC

from emlearn_mp import logreg

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOADERS = {"iris": load_iris, "wine": load_wine, "digits": load_digits, "breast_cancer": load_breast_cancer}


def load(name, standardize=False):
    X, y = LOADERS[name](return_X_y=True)
    return (StandardScaler().fit_transform(X) if standardize else X), y


def predict_proba(weights, biases, X):
    """The device's probabilities, in float64: softmax of W x + b."""
    W = weights.astype(np.float64).reshape(len(biases), -1)
    return softmax(X.astype(np.float64) @ W.T + biases.astype(np.float64), axis=1)


# raw features: wine's go up to 1680, digits' to 16
@pytest.mark.parametrize("data, estimator", [
    ("iris", LogisticRegression(max_iter=5000)),
    ("wine", LogisticRegression(max_iter=10000)),
    ("digits", LogisticRegression(C=0.1, max_iter=5000)),
    ("iris", LogisticRegression(fit_intercept=False, max_iter=5000)),
    ("iris", LogisticRegressionCV(Cs=4, max_iter=5000)),
    ("breast_cancer", make_pipeline(StandardScaler(), LogisticRegression())),           # binary: ovr
    ("breast_cancer", make_pipeline(StandardScaler(), LogisticRegression(multi_class="multinomial"))),
    ("breast_cancer", make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=[0.1, 1.0]))),
    ("breast_cancer", make_pipeline(StandardScaler(), SGDClassifier(loss="log_loss", random_state=0))),
])
def test_parameters_give_predict_proba(data, estimator):
    X, y = load(data)
    estimator.fit(X, y)
    weights, biases = logreg.parameters(estimator)
    n_classes = len(np.unique(y))
    assert weights.dtype == np.float32 and weights.shape == (n_classes * X.shape[1],)
    assert biases.dtype == np.float32 and biases.shape == (n_classes,)
    probabilities = predict_proba(weights, biases, X)
    np.testing.assert_allclose(probabilities, estimator.predict_proba(X), rtol=1e-5, atol=1e-6)
    assert (probabilities.argmax(axis=1) == estimator.predict(X)).all()


def test_binary_forms():
    X, y = load("breast_cancer", standardize=True)
    ovr = LogisticRegression().fit(X, y)
    weights, biases = logreg.parameters(ovr)
    np.testing.assert_array_equal(weights[:30], 0)          # sigmoid(z) = softmax(0, z)[1]
    np.testing.assert_array_equal(weights[30:], ovr.coef_[0].astype(np.float32))
    assert biases[0] == 0 and biases[1] == np.float32(ovr.intercept_[0])
    multinomial = LogisticRegression(multi_class="multinomial").fit(X, y)
    weights, biases = logreg.parameters(multinomial)        # softmax(-z, z)
    np.testing.assert_array_equal(weights[:30], -weights[30:])
    assert biases[0] == -biases[1]


def test_class_labels_of_any_kind():
    X, y = load("iris")
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    model = LogisticRegression(max_iter=5000).fit(X, names)
    weights, biases = logreg.parameters(model)
    np.testing.assert_allclose(predict_proba(weights, biases, X), model.predict_proba(X), rtol=1e-5, atol=1e-6)
    assert "# classes: ['setosa', 'versicolor', 'virginica']\n" in logreg.micropython_code(model)


@pytest.mark.parametrize("scalers", [[StandardScaler()], [RobustScaler()], [MaxAbsScaler()], [MinMaxScaler()],
                                     [StandardScaler(with_mean=False)], [StandardScaler(with_std=False)],
                                     [RobustScaler(with_centering=False)], [RobustScaler(with_scaling=False)],
                                     [MinMaxScaler(), StandardScaler()]])
def test_pipeline_scalers_are_folded_in(scalers):
    X, y = load("wine")
    pipeline = make_pipeline(*scalers, LogisticRegression(C=10.0, max_iter=20000)).fit(X, y)
    weights, biases = logreg.parameters(pipeline)
    np.testing.assert_allclose(predict_proba(weights, biases, X), pipeline.predict_proba(X), rtol=1e-5, atol=1e-6)


def test_refusals():
    X, y = load("iris", standardize=True)
    Xb, yb = load("breast_cancer", standardize=True)
    for ovr in (LogisticRegression(multi_class="ovr"), LogisticRegression(solver="liblinear"),
                SGDClassifier(loss="log_loss", random_state=0)):
        with pytest.raises(ValueError, match="one-vs-rest model of 3 classes"):
            logreg.parameters(ovr.fit(X, y))
        with pytest.raises(ValueError, match="one-vs-rest"):
            logreg.penalty_settings(ovr, 150)
    with pytest.raises(ValueError, match="no probabilities"):
        logreg.parameters(SGDClassifier(loss="hinge", random_state=0).fit(Xb, yb))
    with pytest.raises(ValueError, match="no logistic regression"):
        logreg.parameters(LinearSVC(dual=False).fit(Xb, yb))
    with pytest.raises(ValueError, match="not fitted"):
        logreg.parameters(LogisticRegression())
    with pytest.raises(ValueError, match="scaler"):
        logreg.parameters(make_pipeline(PCA(2), LogisticRegression()).fit(X, y))
    with pytest.raises(ValueError, match="n_samples"):
        logreg.penalty_settings(LogisticRegression().fit(X, y))
    with pytest.raises(ValueError, match="scaled features"):
        logreg.penalty_settings(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), 150)
    with pytest.raises(ValueError, match="class_weight"):
        logreg.penalty_settings(LogisticRegression(class_weight="balanced").fit(X, y), 150)
    with pytest.raises(ValueError, match="intercept"):
        logreg.penalty_settings(LogisticRegression(solver="liblinear").fit(Xb, yb), len(yb))
    with pytest.raises(ValueError, match="refit=False"):
        logreg.penalty_settings(LogisticRegressionCV(Cs=[0.1, 1.0], refit=False).fit(X, y), 150)


def smooth_gradient(W, b, X, y, lambda_l2):
    """The gradient of the device's objective without its L1 term, mean cross-entropy +
    lambda_l2 / 2 |W|^2, in W and in b."""
    residual = softmax(X @ W.T + b, axis=1) - np.eye(len(b))[y]
    return residual.T @ X / len(y) + lambda_l2 * W, residual.mean(axis=0)


def optimality_gap(W, b, X, y, lambda_l2, lambda_l1):
    """The largest violation of the optimality conditions of mean cross-entropy + lambda_l2 / 2
    |W|^2 + lambda_l1 |W|_1 at (W, b): gradient + lambda_l1 sign(W) is 0 where W is not,
    and the gradient at most lambda_l1 in magnitude where it is; the bias gradient 0."""
    G, g = smooth_gradient(W, b, X, y, lambda_l2)
    gap = np.where(W != 0, np.abs(G + lambda_l1 * np.sign(W)), np.maximum(np.abs(G) - lambda_l1, 0))
    return max(gap.max(), np.abs(g).max())


def device_optimum(estimator):
    """The estimator's solution as the device's optimum: the float64 parameters, and for a
    binary one-vs-rest model W = [0, w] centered to [-w/2, w/2] (b too), the two rows'
    split with the least penalty."""
    coef, intercept = estimator.coef_, estimator.intercept_
    if len(estimator.classes_) == 2:
        other = 0.0 if logreg._form(estimator) == "sigmoid" else -1.0
        coef, intercept = np.vstack([other * coef, coef]), np.concatenate([other * intercept, intercept])
        coef, intercept = coef - coef.mean(axis=0), intercept - intercept.mean()
    return coef, intercept


SAGA = dict(solver="saga", tol=1e-12, max_iter=100_000)


@pytest.mark.parametrize("data, estimator", [
    ("iris", LogisticRegression(C=1.0, solver="newton-cg", tol=1e-8)),
    ("wine", LogisticRegression(C=0.05, solver="newton-cg", tol=1e-8)),
    ("iris", LogisticRegression(penalty="elasticnet", l1_ratio=0.5, C=0.5, **SAGA)),
    ("iris", LogisticRegression(penalty="l1", C=0.5, multi_class="multinomial", **SAGA)),
    ("iris", LogisticRegressionCV(Cs=[0.1, 1.0], solver="newton-cg", tol=1e-8)),
    ("breast_cancer", LogisticRegression(C=0.1, solver="newton-cg", tol=1e-8)),             # binary: ovr
    ("breast_cancer", LogisticRegression(penalty="elasticnet", l1_ratio=0.5, C=0.5, **SAGA)),
    ("breast_cancer", LogisticRegression(penalty="l1", C=0.5, **SAGA)),
    ("breast_cancer", LogisticRegression(C=0.1, multi_class="multinomial", solver="newton-cg", tol=1e-8)),
])
def test_penalty_settings_give_the_optimum(data, estimator):
    X, y = load(data, standardize=True)
    estimator.fit(X, y)
    lambda_l2, lambda_l1 = logreg.penalty_settings(estimator, len(y))
    W, b = device_optimum(estimator)
    assert optimality_gap(W, b, X, y, lambda_l2, lambda_l1) < 1e-9
    # the check tells: half or twice either lambda is far from the optimum (gaps of 1e-3 and more)
    for factor in (0.5, 2.0):
        if lambda_l2 > 0:
            assert optimality_gap(W, b, X, y, factor * lambda_l2, lambda_l1) > 1e-4
        if lambda_l1 > 0:
            assert optimality_gap(W, b, X, y, lambda_l2, factor * lambda_l1) > 1e-4


# no penalty: iris's setosa is separable, and lbfgs runs out of iterations
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_penalty_settings_of_each_kind():
    X, y = load("iris", standardize=True)
    Xb, yb = load("breast_cancer", standardize=True)
    n, nb = len(y), len(yb)
    assert logreg.penalty_settings(LogisticRegression(C=2.0).fit(X, y), n) == (1 / (2 * n), 0.0)
    assert logreg.penalty_settings(LogisticRegression(C=2.0).fit(Xb, yb), nb) == (2 / (2 * nb), 0.0)
    assert logreg.penalty_settings(LogisticRegression(penalty=None).fit(X, y)) == (0.0, 0.0)
    assert logreg.penalty_settings(make_pipeline(LogisticRegression(penalty=None)).fit(Xb, yb)) == (0.0, 0.0)
    # liblinear leaves the intercept alone without one
    model = LogisticRegression(penalty="l1", solver="liblinear", fit_intercept=False, C=0.5).fit(Xb, yb)
    assert logreg.penalty_settings(model, nb) == (0.0, 1 / (0.5 * nb))
    sgd = SGDClassifier(loss="log_loss", penalty="elasticnet", alpha=0.01, l1_ratio=0.25, random_state=0)
    assert logreg.penalty_settings(sgd.fit(Xb, yb)) == pytest.approx((2 * 0.0075, 0.0025))
    sgd = SGDClassifier(loss="log_loss", penalty=None, random_state=0)
    assert logreg.penalty_settings(sgd.fit(Xb, yb)) == (0.0, 0.0)


@pytest.mark.parametrize("penalty, l1_ratio, atol", [("l2", 0.15, 1e-3), ("elasticnet", 0.5, 2e-2)])
def test_sgd_settings_are_logistic_regressions(penalty, l1_ratio, atol):
    """SGDClassifier's mean loss + alpha R(w) is LogisticRegression's objective with
    C = 1 / (alpha n): many epochs get near its solution, and the settings agree."""
    X, y = load("breast_cancer", standardize=True)
    n, alpha = len(y), 0.01
    sgd = SGDClassifier(loss="log_loss", penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, max_iter=3000,
                        tol=None, random_state=0).fit(X, y)
    model = LogisticRegression(penalty=penalty, C=1 / (alpha * n), **SAGA,
                               l1_ratio=l1_ratio if penalty == "elasticnet" else None).fit(X, y)
    np.testing.assert_allclose(sgd.coef_, model.coef_, atol=atol)
    np.testing.assert_allclose(logreg.penalty_settings(sgd), logreg.penalty_settings(model, n), rtol=1e-12)


def run_micropython(tmp_path, code):
    micropython = os.path.join(TOP, "deps", "bin", "micropython")
    module = os.path.join(TOP, "dist", "x64_6.3", "emlearn_logreg.mpy")
    assert os.path.exists(micropython) and os.path.exists(module), "make setup and make dist build them"
    script = tmp_path / "model.py"
    script.write_text(code)
    env = dict(os.environ, MICROPYPATH=os.path.dirname(module))
    return subprocess.run([micropython, str(script)], capture_output=True, text=True, env=env, check=True).stdout


PREDICT_ROWS = ("probabilities = array.array('f', bytes(4 * {k}))\n"
                "for row in {rows!r}:\n"
                "    c = {name}.predict(array.array('f', row), probabilities)\n"
                "    print(c, *probabilities)\n")


def device_predictions(out, n_classes):
    lines = [line.split() for line in out.splitlines() if line]
    return (np.array([int(line[0]) for line in lines]),
            np.array([[float(v) for v in line[1:]] for line in lines]).reshape(-1, n_classes))


@pytest.mark.parametrize("data, classifier", [("wine", LogisticRegression(max_iter=5000)),
                                              ("breast_cancer", LogisticRegression())])
def test_micropython_code_runs_on_the_device(tmp_path, data, classifier):
    X, y = load(data)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)
    pipeline = make_pipeline(StandardScaler(), classifier).fit(X_train, y_train)
    rows = X_test.astype(np.float32)
    k = len(pipeline.classes_)
    code = logreg.micropython_code(pipeline, name="m", n_samples=len(y_train))
    assert f"m = emlearn_logreg.new({X.shape[1]}, {k}, 0.1, 0.0, 0.0)\n" in code
    assert "# lambda_l2 and lambda_l1 0: the penalty of a Pipeline" in code
    out = run_micropython(tmp_path, code + PREDICT_ROWS.format(k=k, rows=rows.tolist(), name="m"))
    classes, probabilities = device_predictions(out, k)
    expected = pipeline.predict_proba(rows.astype(np.float64))
    assert (pipeline.classes_[classes] == pipeline.predict(rows.astype(np.float64))).all()
    np.testing.assert_allclose(probabilities, expected, atol=1e-5)


@pytest.mark.parametrize("data, classifier", [
    ("iris", LogisticRegression(C=1.0, solver="newton-cg", tol=1e-8)),
    ("breast_cancer", LogisticRegression(C=0.1, solver="newton-cg", tol=1e-8)),     # binary: ovr
    ("breast_cancer", LogisticRegression(penalty="elasticnet", l1_ratio=0.5, C=0.5, **SAGA)),
])
def test_device_fit_with_the_settings_reaches_the_solution(tmp_path, data, classifier):
    """Model.fit on the rows the classifier was fitted on (standardized, float32), from
    zero, with the lambdas of the generated code, gives scikit-learn's probabilities, and
    for a binary model the weights [-w/2, w/2]."""
    X, y = load(data, standardize=True)
    X = X.astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)
    classifier.fit(X_train.astype(np.float64), y_train)
    k = len(classifier.classes_)
    code = logreg.micropython_code(classifier, n_samples=len(y_train))
    lambda_l2, lambda_l1 = logreg.penalty_settings(classifier, len(y_train))
    assert f"emlearn_logreg.new({X.shape[1]}, {k}, 0.1, {lambda_l2!r}, {lambda_l1!r})\n" in code
    X_train.tofile(tmp_path / "X.bin")
    y_train.astype(np.uint8).tofile(tmp_path / "y.bin")
    code += (f"X = array.array('f', open({str(tmp_path / 'X.bin')!r}, 'rb').read())\n"
             f"y = open({str(tmp_path / 'y.bin')!r}, 'rb').read()\n"
             "n_iter, converged = model.fit(X, y, max_iter=20000, tol=1e-6)\n"
             "print(int(converged))\n"
             f"weights = array.array('f', bytes(4 * {k * X.shape[1]}))\n"
             "model.get_weights(weights)\n"
             "print(*weights)\n")
    out = run_micropython(tmp_path, code + PREDICT_ROWS.format(k=k, rows=X_test.tolist(), name="model"))
    converged, weights, predictions = out.split("\n", 2)
    assert converged == "1"
    classes, probabilities = device_predictions(predictions, k)
    np.testing.assert_allclose(probabilities, classifier.predict_proba(X_test.astype(np.float64)), atol=1e-4)
    W, _ = device_optimum(classifier)
    np.testing.assert_allclose(np.array([float(v) for v in weights.split()]), W.ravel(), atol=1e-4)


def test_command_line(tmp_path, capsys):
    import pickle

    X, y = load("iris", standardize=True)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(LogisticRegression(C=0.5).fit(X, y)))
    assert logreg.main([str(path), "--name", "clf", "--samples", "150"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("import array\nimport emlearn_logreg\n# classes: [0, 1, 2]\n")
    assert f"clf = emlearn_logreg.new(4, 3, 0.1, {1 / 75!r}, 0.0)\n" in out
    assert logreg.main([str(path)]) == 0
    out = capsys.readouterr().out
    assert "model = emlearn_logreg.new(4, 3, 0.1, 0.0, 0.0)" in out and "give n_samples" in out
    (tmp_path / "bad.pkl").write_bytes(b"\x80garbage")
    assert logreg.main([str(tmp_path / "bad.pkl")]) == 1
