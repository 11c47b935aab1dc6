"""Move linear regression models between scikit-learn and the emlearn_linreg module.

The module predicts ``bias + weights . x`` in float32, and trains on the device
(``Model.fit`` reaches scikit-learn's ``ElasticNet`` solution). A model trained on
the host goes to the device as its weights and bias::

    weights, bias = parameters(estimator)      # any fitted linear regressor
    print(micropython_code(estimator))         # or as MicroPython source

and :func:`elasticnet_settings` gives the ``alpha`` and ``l1_ratio`` with which
``Model.fit`` on the device solves the problem an estimator solved on the host.

From the command line, ``python3 -m emlearn_mp.linreg model.pkl`` prints the
MicroPython code of a pickled (or joblib) estimator.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Iterable

import numpy as np

__all__ = ["parameters", "micropython_code", "elasticnet_settings"]


def _linear_step(estimator: Any) -> Any:
    """The estimator itself, or the last step of a Pipeline."""
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def parameters(estimator: Any) -> tuple[np.ndarray, float]:
    """(float32 weights, bias) of a fitted single-output linear regressor:
    LinearRegression, Ridge, Lasso, ElasticNet, SGDRegressor, their CV
    variants and the like (anything with ``coef_`` and ``intercept_``). A
    Pipeline of per-feature scalers (StandardScaler, RobustScaler,
    MaxAbsScaler, MinMaxScaler) and a linear regressor is folded into one
    model on the raw features."""
    model = _linear_step(estimator)
    coef = getattr(model, "coef_", None)
    if coef is None or not hasattr(model, "intercept_"):
        raise ValueError(f"{type(model).__name__} is no fitted linear regressor (no coef_ and intercept_)")
    coef = np.asarray(coef, dtype=np.float64)
    if coef.ndim == 2 and coef.shape[0] == 1:
        coef = coef[0]
    if coef.ndim != 1:
        raise ValueError(f"{coef.shape[0]} outputs: emlearn_linreg predicts one (make one model per output)")
    intercept = np.ravel(np.asarray(model.intercept_, dtype=np.float64))
    bias = float(intercept[0]) if intercept.size else 0.0
    weights = coef
    for _, step in reversed(getattr(estimator, "steps", [])[:-1]):
        # the step maps x to a * x + c, per feature: w . (a x + c) + b = (w a) . x + (w . c + b)
        a, c = _affine(step, len(weights))
        bias += float(weights @ c)
        weights = weights * a
    return weights.astype(np.float32), float(np.float32(bias))


def _affine(step: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, c) of a fitted per-feature scaler that maps x to a * x + c."""
    from sklearn import preprocessing

    def get(name: str, default: float) -> np.ndarray:
        value = getattr(step, name, None)
        return np.full(n, default) if value is None else np.asarray(value, dtype=np.float64)

    if isinstance(step, preprocessing.StandardScaler):
        scale = get("scale_", 1.0) if step.with_std else np.ones(n)
        return 1.0 / scale, -get("mean_", 0.0) / scale if step.with_mean else np.zeros(n)
    if isinstance(step, preprocessing.RobustScaler):
        scale = get("scale_", 1.0) if step.with_scaling else np.ones(n)
        return 1.0 / scale, -get("center_", 0.0) / scale if step.with_centering else np.zeros(n)
    if isinstance(step, preprocessing.MaxAbsScaler):
        return 1.0 / get("scale_", 1.0), np.zeros(n)
    if isinstance(step, preprocessing.MinMaxScaler):
        return get("scale_", 1.0), get("min_", 0.0)
    raise ValueError(f"pipeline step {type(step).__name__} is no per-feature scaler "
                     "(StandardScaler, RobustScaler, MaxAbsScaler, MinMaxScaler)")


def micropython_code(estimator: Any, name: str = "model") -> str:
    """MicroPython source that builds the estimator's model with emlearn_linreg
    (alpha and l1_ratio from :func:`elasticnet_settings` when it has them, for
    further training with Model.fit, else 0; learning rate 0.01)."""
    weights, bias = parameters(estimator)
    try:
        alpha, l1_ratio = elasticnet_settings(estimator)
    except ValueError:
        alpha, l1_ratio = 0.0, 0.0
    values = ", ".join(repr(float(w)) for w in weights)
    return (f"import array\nimport emlearn_linreg\n"
            f"{name} = emlearn_linreg.new({len(weights)}, {alpha!r}, {l1_ratio!r}, 0.01)\n"
            f"{name}.set_weights(array.array('f', [{values}]))\n"
            f"{name}.set_bias({bias!r})\n")


def elasticnet_settings(estimator: Any, n_samples: int | None = None) -> tuple[float, float]:
    """(alpha, l1_ratio) for ``emlearn_linreg.new`` with which ``Model.fit``
    minimizes the objective the estimator minimized: ElasticNet's own,
    Lasso's (l1_ratio 1), LinearRegression's (alpha 0) and Ridge's, whose
    penalty is not divided by the number of rows as ElasticNet's is (pass
    n_samples, the training rows, for it). A Pipeline with scalers is
    refused: its penalty is on the weights of the scaled features, and no
    alpha gives its solution for the folded model on raw features."""
    from sklearn import linear_model

    if len(getattr(estimator, "steps", [])) > 1:
        raise ValueError("the penalty of a Pipeline's regressor is on scaled features: no alpha gives its "
                         "solution on raw features (elasticnet_settings(pipeline[-1]) is for rows scaled "
                         "as the pipeline does)")
    model = _linear_step(estimator)
    if isinstance(model, (linear_model.ElasticNet, linear_model.ElasticNetCV)):
        alpha = getattr(model, "alpha_", model.alpha)
        l1_ratio = getattr(model, "l1_ratio_", model.l1_ratio)
        return float(alpha), float(l1_ratio)
    if isinstance(model, (linear_model.Lasso, linear_model.LassoCV)):
        return float(getattr(model, "alpha_", model.alpha)), 1.0
    if isinstance(model, linear_model.LinearRegression):
        return 0.0, 0.0
    if isinstance(model, linear_model.Ridge):
        if n_samples is None:
            raise ValueError("Ridge's penalty is not per row: give n_samples")
        if np.ndim(model.alpha) != 0:
            raise ValueError("one alpha per target: emlearn_linreg predicts one")
        return float(model.alpha) / n_samples, 0.0
    raise ValueError(f"{type(model).__name__} minimizes no elastic-net objective")


def _load(path: str) -> Any:
    from .trees import _load_model

    return _load_model(path)


def main(argv: Iterable[str] | None = None) -> int:
    """``model.pkl [--name NAME]``: print the model as MicroPython code."""
    parser = argparse.ArgumentParser(prog="python3 -m emlearn_mp.linreg", description=__doc__.split("\n")[0])
    parser.add_argument("model", help="pickle (or joblib) file with a fitted linear regressor or pipeline")
    parser.add_argument("--name", default="model", help="the variable the code assigns (default model)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        print(micropython_code(_load(args.model), args.name), end="")
    except (OSError, ValueError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
