"""Host helpers of emlearn_mp.linreg: the parameters of fitted linear regressors (pipelines
with scalers folded in), elastic-net settings, and the MicroPython code, run on the unix
port against scikit-learn's predictions."""
import os
import subprocess

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_linnerud, load_wine
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge, SGDRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.decomposition import PCA
from sklearn.tree import DecisionTreeRegressor

from emlearn_mp import linreg

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def predict(weights, bias, X):
    return X.astype(np.float64) @ weights.astype(np.float64) + bias


@pytest.mark.parametrize("estimator", [LinearRegression(), Ridge(alpha=2.0), Lasso(alpha=0.1),
                                       ElasticNet(alpha=0.01, l1_ratio=0.3),
                                       SGDRegressor(random_state=0, max_iter=5000, tol=None)])
def test_parameters_give_the_predictions(estimator):
    X, y = load_diabetes(return_X_y=True)
    estimator.fit(X, y)
    weights, bias = linreg.parameters(estimator)
    assert weights.dtype == np.float32 and weights.shape == (10,)
    np.testing.assert_allclose(predict(weights, bias, X), estimator.predict(X), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("scalers", [[StandardScaler()], [RobustScaler()], [MaxAbsScaler()], [MinMaxScaler()],
                                     [StandardScaler(with_mean=False)], [StandardScaler(with_std=False)],
                                     [RobustScaler(with_centering=False)], [RobustScaler(with_scaling=False)],
                                     [MinMaxScaler(), StandardScaler()]])
def test_pipeline_scalers_are_folded_in(scalers):
    X, _ = load_wine(return_X_y=True)
    y, X = X[:, 0], X[:, 1:]     # alcohol from the others, raw scales up to 1680
    pipeline = make_pipeline(*scalers, Ridge(alpha=1.0)).fit(X, y)
    weights, bias = linreg.parameters(pipeline)
    np.testing.assert_allclose(predict(weights, bias, X), pipeline.predict(X), rtol=1e-5)


def test_refusals():
    X, Y = load_linnerud(return_X_y=True)
    with pytest.raises(ValueError, match="outputs"):
        linreg.parameters(Ridge().fit(X, Y))
    with pytest.raises(ValueError, match="linear"):
        linreg.parameters(DecisionTreeRegressor().fit(X, Y[:, 0]))
    with pytest.raises(ValueError, match="scaler"):
        linreg.parameters(make_pipeline(PCA(2), Ridge()).fit(X, Y[:, 0]))
    with pytest.raises(ValueError, match="n_samples"):
        linreg.elasticnet_settings(Ridge().fit(X, Y[:, 0]))
    with pytest.raises(ValueError, match="elastic-net"):
        linreg.elasticnet_settings(SGDRegressor().fit(X, Y[:, 0]))


# ElasticNet with l1_ratio 0 (Ridge's problem) has no usable duality gap: it warns, and
# its coefficients still agree
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_elasticnet_settings_solve_the_same_problem():
    X, y = load_diabetes(return_X_y=True)
    n = len(y)
    for estimator in (Ridge(alpha=0.5), Lasso(alpha=0.2), ElasticNet(alpha=0.05, l1_ratio=0.7), LinearRegression()):
        estimator.fit(X, y)
        alpha, l1_ratio = linreg.elasticnet_settings(make_pipeline(estimator), n_samples=n)
        if alpha == 0:
            same = LinearRegression().fit(X, y)
        else:
            same = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000).fit(X, y)
        np.testing.assert_allclose(same.coef_, estimator.coef_, rtol=1e-5, atol=1e-3 * np.abs(estimator.coef_).max())


def test_micropython_code_runs_on_the_device(tmp_path):
    micropython = os.path.join(TOP, "deps", "bin", "micropython")
    module = os.path.join(TOP, "dist", "x64_6.3", "emlearn_linreg.mpy")
    assert os.path.exists(micropython) and os.path.exists(module), "make setup and make dist build them"
    X, _ = load_wine(return_X_y=True)
    y, X = X[:, 0], X[:, 1:]
    pipeline = make_pipeline(StandardScaler(), ElasticNet(alpha=0.01)).fit(X, y)
    rows = X[:5].astype(np.float32)
    code = linreg.micropython_code(pipeline, name="m")
    # the pipeline's alpha is for scaled features: no penalty for the raw-feature model
    assert "emlearn_linreg.new(12, 0.0, 0.0, 0.01)" in code
    assert "emlearn_linreg.new(12, 0.01, 0.5, 0.01)" in linreg.micropython_code(pipeline[-1])
    with pytest.raises(ValueError, match="scaled features"):
        linreg.elasticnet_settings(pipeline)
    code += "for row in %r:\n    print(m.predict(array.array('f', row)))\n" % rows.tolist()
    script = tmp_path / "model.py"
    script.write_text(code)
    env = dict(os.environ, MICROPYPATH=os.path.dirname(module))
    out = subprocess.run([micropython, str(script)], capture_output=True, text=True, env=env, check=True).stdout
    got = np.array([float(v) for v in out.split()])
    np.testing.assert_allclose(got, pipeline.predict(rows.astype(np.float64)), rtol=1e-5)


def test_command_line(tmp_path, capsys):
    import pickle

    X, y = load_diabetes(return_X_y=True)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(Lasso(alpha=0.5).fit(X, y)))
    assert linreg.main([str(path), "--name", "lasso"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("import array\n") and "lasso = emlearn_linreg.new(10, 0.5, 1.0, 0.01)" in out
    (tmp_path / "bad.pkl").write_bytes(b"\x80garbage")
    assert linreg.main([str(tmp_path / "bad.pkl")]) == 1
