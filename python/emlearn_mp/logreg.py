"""Move logistic regression models between scikit-learn and the emlearn_logreg module.

The module computes the class probabilities ``softmax(W x + b)`` in float32, and
trains on the device (``Model.fit`` reaches scikit-learn's ``LogisticRegression``
solution). A model trained on the host goes to the device as its weights and biases::

    weights, biases = parameters(estimator)    # any fitted logistic classifier
    print(micropython_code(estimator))         # or as MicroPython source

and :func:`penalty_settings` gives the ``lambda_l2`` and ``lambda_l1`` with which
``Model.fit`` on the device solves the problem an estimator solved on the host.
The device predicts class indices: index i is the estimator's ``classes_[i]``.

From the command line, ``python3 -m emlearn_mp.logreg model.pkl --samples N`` prints the
MicroPython code of a pickled (or joblib) estimator trained on N rows.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Iterable

import numpy as np

from .linreg import _affine, _linear_step

__all__ = ["parameters", "micropython_code", "penalty_settings"]

MAX_CLASSES = 1024     # emlearn_logreg.new takes 2 to 1024 classes


def _form(model: Any) -> str:
    """How a fitted classifier turns its coef_ into probabilities: "softmax"
    (multinomial) or "sigmoid" (binary, one-vs-rest); ValueError for
    classifiers whose probabilities are no softmax of linear functions."""
    from sklearn import linear_model

    n_classes = len(getattr(model, "classes_", ()))
    if isinstance(model, linear_model.LogisticRegression):      # and LogisticRegressionCV
        # scikit-learn's own rule (LogisticRegression.predict_proba)
        if model.multi_class in ("auto", "deprecated"):
            ovr = n_classes <= 2 or model.solver in ("liblinear", "newton-cholesky")
        else:
            ovr = model.multi_class in ("ovr", "warn")
        how = "fit with multi_class='multinomial'"
    elif isinstance(model, linear_model.SGDClassifier):
        if model.loss not in ("log_loss", "log"):
            raise ValueError(f"SGDClassifier with loss={model.loss!r} gives no probabilities "
                             "(loss='log_loss' does)")
        ovr = True
        how = "fit LogisticRegression (multinomial)"
    else:
        raise ValueError(f"{type(model).__name__} is no logistic regression classifier (LogisticRegression, "
                         "LogisticRegressionCV, SGDClassifier(loss='log_loss'))")
    if getattr(model, "coef_", None) is None or not hasattr(model, "intercept_"):
        raise ValueError(f"{type(model).__name__} is not fitted (no coef_ and intercept_)")
    if ovr and n_classes > 2:
        raise ValueError(f"one-vs-rest model of {n_classes} classes: its probabilities are no softmax "
                         f"(emlearn_logreg's); {how}")
    if not 2 <= n_classes <= MAX_CLASSES:
        raise ValueError(f"{n_classes} classes: emlearn_logreg takes 2 to {MAX_CLASSES}")
    return "sigmoid" if ovr else "softmax"


def parameters(estimator: Any) -> tuple[np.ndarray, np.ndarray]:
    """(float32 weights, float32 biases) of a fitted LogisticRegression,
    LogisticRegressionCV or SGDClassifier(loss="log_loss") for
    ``Model.set_weights`` and ``Model.set_bias``: ``n_classes * n_features``
    weights, class after class (multinomial ``coef_.ravel()``), and
    ``n_classes`` biases, whose softmax gives ``predict_proba``. A binary
    one-vs-rest model (scikit-learn's default for two classes), whose
    probability of class 1 is ``sigmoid(w . x + b)``, becomes ``W = [0, w]``,
    ``b = [0, b]``; a binary multinomial one, ``softmax(-z, z)``, becomes
    ``[-w, w]``, ``[-b, b]``. One-vs-rest models of more classes are refused:
    their probabilities are no softmax. A Pipeline of per-feature scalers
    (StandardScaler, RobustScaler, MaxAbsScaler, MinMaxScaler) and the
    classifier is folded into one model on the raw features."""
    model = _linear_step(estimator)
    form = _form(model)
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.ravel(np.asarray(model.intercept_, dtype=np.float64))
    n_classes = len(model.classes_)
    rows = 1 if n_classes == 2 else n_classes
    if coef.ndim != 2 or coef.shape[0] != rows or intercept.shape != (rows,):
        raise ValueError(f"coef_ of shape {coef.shape} and intercept_ of shape {intercept.shape} "
                         f"for {n_classes} classes")
    weights, biases = coef, intercept
    if n_classes == 2:
        # class 0's logit: 0 for sigmoid(z) = softmax(0, z)[1], -z for softmax(-z, z)
        if form == "sigmoid":
            coef_0, intercept_0 = np.zeros_like(coef), np.zeros_like(intercept)
        else:
            coef_0, intercept_0 = -coef, -intercept
        weights, biases = np.vstack([coef_0, coef]), np.concatenate([intercept_0, intercept])
    for _, step in reversed(getattr(estimator, "steps", [])[:-1]):
        # the step maps x to a * x + c, per feature: W (a x + c) + b = (W a) x + (W c + b)
        a, c = _affine(step, weights.shape[1])
        biases = biases + weights @ c
        weights = weights * a
    return weights.ravel().astype(np.float32), biases.astype(np.float32)


def _one_value(values: Any, name: str) -> float:
    """The value of a CV estimator's per-class array, all equal."""
    flat = np.ravel(np.asarray(values, dtype=np.float64))
    if flat.size == 0 or not np.all(flat == flat[0]):
        raise ValueError(f"{name} differs between classes: {flat.tolist()}")
    return float(flat[0])


def penalty_settings(estimator: Any, n_samples: int | None = None) -> tuple[float, float]:
    """(lambda_l2, lambda_l1) for ``emlearn_logreg.new`` with which ``Model.fit``
    minimizes the objective the estimator minimized, divided by its scale:
    for LogisticRegression (and LogisticRegressionCV's final fit, with its
    ``C_``), whose penalty is not per row, give n_samples, the training rows:
    ``1 / (C n_samples)`` times ``(1 - l1_ratio, l1_ratio)`` (penalty "l2":
    l1_ratio 0; "l1": 1; "elasticnet": its own; no penalty: both 0);
    SGDClassifier(loss="log_loss"): ``alpha`` times the same.

    A binary one-vs-rest model penalizes its one weight vector ``w``; the
    device's two classes have two rows, whose optimum is ``W = [-w/2, w/2]``
    (probabilities ``sigmoid(w . x + b)`` as the host's, through the model
    :func:`parameters` gives, ``[0, w]``): its penalty ``lambda_l2 / 4 |w|^2 +
    lambda_l1 |w|_1`` is the host's with lambda_l2 doubled, which this does.
    Binary multinomial models (``softmax(-z, z)``) need no change.

    ValueError for a solver whose objective is not this one (liblinear
    penalizes the intercept, when fit_intercept), for ``class_weight`` (it
    weighs the rows; ``Model.fit`` does not: nor does it know of
    ``sample_weight``, which the caller must not have used), for
    LogisticRegressionCV with ``refit=False`` (its coefficients are the mean of
    the folds', no optimum), and for a Pipeline with scalers: the penalty is
    on the weights of the scaled features, which no lambda gives for the folded
    model on raw features (``penalty_settings(pipeline[-1], n_samples)`` is for
    a device that scales its rows as the pipeline does, before ``Model.fit``)."""
    from sklearn import linear_model

    if len(getattr(estimator, "steps", [])) > 1:
        raise ValueError("the penalty of a Pipeline's classifier is on scaled features: no lambda gives its "
                         "solution on raw features (penalty_settings(pipeline[-1], n_samples) is for rows "
                         "scaled as the pipeline does)")
    model = _linear_step(estimator)
    form = _form(model)
    if getattr(model, "class_weight", None) is not None:
        raise ValueError("class_weight weighs the rows' losses: Model.fit weighs every row the same")
    if model.penalty in (None, "none"):
        return 0.0, 0.0
    l1_ratio: Any = getattr(model, "l1_ratio", None)     # LogisticRegressionCV: l1_ratio_
    if isinstance(model, linear_model.SGDClassifier):
        strength = float(model.alpha)
    else:
        if model.solver == "liblinear" and model.fit_intercept:
            raise ValueError("liblinear penalizes the intercept too: fit with another solver "
                             "(lbfgs, newton-cg, saga)")
        if isinstance(model, linear_model.LogisticRegressionCV):
            if not model.refit:
                raise ValueError("LogisticRegressionCV with refit=False: its coefficients are the mean of the "
                                 "folds', the optimum of no objective")
            C = _one_value(model.C_, "C_")
            if model.penalty == "elasticnet":
                l1_ratio = _one_value(model.l1_ratio_, "l1_ratio_")
        else:
            C = float(model.C)
        if n_samples is None:
            raise ValueError(f"{type(model).__name__}'s penalty is not per row: give n_samples, "
                             "the training rows")
        if n_samples < 1:
            raise ValueError(f"n_samples must be at least 1, not {n_samples}")
        strength = 1.0 / (C * n_samples)
    if model.penalty == "l2":
        share_l1 = 0.0
    elif model.penalty == "l1":
        share_l1 = 1.0
    elif model.penalty == "elasticnet":
        share_l1 = float(l1_ratio)
    else:
        raise ValueError(f"penalty {model.penalty!r}: emlearn_logreg's are l2, l1 and elasticnet")
    lambda_l2 = strength * (1.0 - share_l1) * (2.0 if form == "sigmoid" else 1.0)
    return lambda_l2, strength * share_l1


def micropython_code(estimator: Any, name: str = "model", n_samples: int | None = None) -> str:
    """MicroPython source that builds the estimator's model with emlearn_logreg
    (lambda_l2 and lambda_l1 from :func:`penalty_settings` when it has them,
    for further training with Model.fit, else 0 with a comment why; learning
    rate 0.1), after a comment with the class labels, index by index."""
    weights, biases = parameters(estimator)
    classes = np.asarray(_linear_step(estimator).classes_).tolist()
    note = ""
    try:
        lambda_l2, lambda_l1 = penalty_settings(estimator, n_samples)
    except ValueError as e:
        lambda_l2, lambda_l1 = 0.0, 0.0
        note = "# lambda_l2 and lambda_l1 0: " + " ".join(str(e).split()) + "\n"
    n_classes = len(biases)
    n_features = len(weights) // n_classes
    values = ", ".join(repr(float(w)) for w in weights)
    bias_values = ", ".join(repr(float(b)) for b in biases)
    return (f"import array\nimport emlearn_logreg\n"
            f"# classes: {classes!r}\n{note}"
            f"{name} = emlearn_logreg.new({n_features}, {n_classes}, 0.1, {lambda_l2!r}, {lambda_l1!r})\n"
            f"{name}.set_weights(array.array('f', [{values}]))\n"
            f"{name}.set_bias(array.array('f', [{bias_values}]))\n")


def _load(path: str) -> Any:
    from .trees import _load_model

    return _load_model(path)


def main(argv: Iterable[str] | None = None) -> int:
    """``model.pkl [--name NAME] [--samples N]``: print the model as MicroPython code."""
    parser = argparse.ArgumentParser(prog="python3 -m emlearn_mp.logreg", description=__doc__.split("\n")[0])
    parser.add_argument("model", help="pickle (or joblib) file with a fitted logistic classifier or pipeline")
    parser.add_argument("--name", default="model", help="the variable the code assigns (default model)")
    parser.add_argument("--samples", type=int, default=None,
                        help="the training rows, for LogisticRegression's lambda_l2 and lambda_l1")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        print(micropython_code(_load(args.model), args.name, args.samples), end="")
    except (OSError, ValueError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
