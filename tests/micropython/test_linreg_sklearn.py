# emlearn_linreg against scikit-learn and numpy on real data (diabetes, wine, linnerud;
# tests/reference/linreg_cases.py): fit's weights, intercept and test predictions against
# scikit-learn's ElasticNet (Ridge, LinearRegression) solution for lasso, ridge,
# elastic-net and unpenalized cases; train's gradient descent against emlearn's steps
# computed in float64; predict of scikit-learn's weights against its predictions.
# needs: linreg_cases.bin linreg_cases.json
import array
import gc
import json
import emlearn_linreg
import emltest

INDEX = json.load(open("linreg_cases.json"))


def floats(offset, n):
    out = array.array("f", bytes(4 * n))
    with open("linreg_cases.bin", "rb") as f:
        f.seek(offset)
        f.readinto(out)
    return out


def data(s):
    nf = s["n_features"]
    return (floats(s["X"], s["n_train"] * nf), floats(s["y"], s["n_train"]),
            floats(s["X_test"], s["n_test"] * nf))


def spread(values):
    """Largest |value|, at least 1e-30."""
    return max(max(abs(v) for v in values), 1e-30)


def worst_relative(got, expected, scale):
    return max(abs(got[i] - expected[i]) for i in range(len(got))) / scale


def test_fit_matches_sklearn():
    worst = [0.0, 0.0]
    for s in INDEX["sets"]:
        X, y, X_test = data(s)
        nf = s["n_features"]
        y_scale = spread(y)
        for case in s["cases"]:
            gc.collect()
            model = emlearn_linreg.new(nf, case["alpha"], case["l1_ratio"], 0.0)
            n_iter, converged = model.fit(X, y, max_iter=20000, tol=1e-6)
            where = (s["name"], case["alpha"], case["l1_ratio"], n_iter)
            assert converged, where
            w = array.array("f", bytes(4 * nf))
            model.get_weights(w)
            expected = floats(case["weights"], nf)
            # the same optimum: weights within 5e-4 of the largest weight (3.2e-5 seen, for
            # unpenalized diabetes, whose correlated columns take about 565 sweeps; under
            # 5e-6 for the others), predictions within 2e-5 of the largest target (1e-6)
            dw = worst_relative(w, expected, spread(expected))
            out = array.array("f", bytes(4 * s["n_test"]))
            model.predict(X_test, out)
            dp = worst_relative(out, floats(case["predictions"], s["n_test"]), y_scale)
            worst = [max(worst[0], dw), max(worst[1], dp)]
            assert dw < 5e-4 and dp < 2e-5, (where, dw, dp)
            # the lasso's zeros are scikit-learn's zeros
            if case["l1_ratio"] == 1.0:
                for j in range(nf):
                    assert (w[j] == 0) == (expected[j] == 0), (where, j, w[j], expected[j])
            assert abs(model.get_bias() - case["intercept"]) < 2e-5 * y_scale, where
    print("worst relative difference: weights %.2g, predictions %.2g" % tuple(worst))


def test_train_follows_emlearn_steps():
    for s in INDEX["sets"]:
        X, y, _ = data(s)
        nf = s["n_features"]
        for case in s["cases"]:
            if "rate" not in case:
                continue
            model = emlearn_linreg.new(nf, case["alpha"], case["l1_ratio"], case["rate"])
            # tolerance 0: no early stop, every step runs
            iteration, mse = emlearn_linreg.train(model, X, y, max_iterations=case["steps"], tolerance=0.0)
            assert iteration == case["steps"] - 1, iteration
            w = array.array("f", bytes(4 * nf))
            model.get_weights(w)
            expected = floats(case["gd_weights"], nf)
            where = (s["name"], case["alpha"], case["l1_ratio"])
            dw = worst_relative(w, expected, spread(expected))
            assert dw < 1e-4, (where, dw)
            assert abs(model.get_bias() - case["gd_bias"]) < 1e-4 * abs(case["gd_bias"]), where
            # the error train returns is the one of the check before the last (at 180)
            assert 0 < mse < 1e30, mse


def test_predict_sklearn_weights():
    for s in INDEX["sets"]:
        X, y, X_test = data(s)
        nf = s["n_features"]
        y_scale = spread(y)
        for case in s["cases"]:
            model = emlearn_linreg.new(nf, 0.0, 0.0, 0.0)
            model.set_weights(floats(case["weights"], nf))
            model.set_bias(case["intercept"])
            expected = floats(case["predictions"], s["n_test"])
            for i in range(s["n_test"]):
                got = model.predict(X_test[i * nf:(i + 1) * nf])
                assert abs(got - expected[i]) < 1e-5 * y_scale, (s["name"], i, got, expected[i])


emltest.main(globals())
