# emlearn_linreg: emlearn-micropython's own test of its module, train()'s stopping rules
# and results (as emlearn's loop gives them), fit's warm start and edge cases, the
# accessors, batch prediction, every refusal, and the heap returned on delete.
# (test_linreg_sklearn.py compares the results with scikit-learn's.)
import array
import gc
import emlearn_linreg
import emltest


def floats(values):
    return array.array("f", values)


# Training rows of y = 3 + 2 x0 - x1 + 0.5 x2, from small integers.
def line_data(n=20):
    X, y = [], []
    for i in range(n):
        x = (i % 5 - 2.0, (i * 7) % 11 - 5.0, (i * 3) % 4 * 1.5)
        X += x
        y.append(3 + 2 * x[0] - x[1] + 0.5 * x[2])
    return floats(X), floats(y)


def test_emlearn_trivial():
    # emlearn-micropython's tests/test_linreg.py, unchanged
    model = emlearn_linreg.new(4, 0.1, 0.5, 0.01)
    X = array.array('f', [1, 2, 3, 4, 2, 3, 4, 5])
    y = array.array('f', [10, 15])
    emlearn_linreg.train(model, X, y, max_iterations=100, tolerance=1e-6, verbose=0)
    prediction = model.predict(array.array('f', [1, 2, 3, 4]))
    error = prediction - 10.0
    assert abs(error) < 0.80, error


def test_train_returns_emlearns_results():
    X, y = line_data()
    # no early stop: checks at 0, 10, 20; the error returned is the one of the check
    # at iteration 20, after 21 steps
    model = emlearn_linreg.new(3, 0.0, 0.5, 0.01)
    iteration, mse = emlearn_linreg.train(model, X, y, max_iterations=25, tolerance=0.0)
    assert iteration == 24, iteration
    again = emlearn_linreg.new(3, 0.0, 0.5, 0.01)
    for _ in range(21):
        again.step(X, y)
    assert mse == again.score_mse(X, y), (mse, again.score_mse(X, y))
    for _ in range(4):
        again.step(X, y)
    assert model.get_bias() == again.get_bias()
    # converged: the change under tolerance, at the first check past 2 intervals
    model = emlearn_linreg.new(3, 0.0, 0.5, 0.01)
    iteration, mse = emlearn_linreg.train(model, X, y, max_iterations=1000, tolerance=1e30)
    assert iteration == 30 and mse < 1e30, (iteration, mse)
    # score limit: at the first check, with the error of no check before (inf)
    model = emlearn_linreg.new(3, 0.0, 0.5, 0.01)
    iteration, mse = emlearn_linreg.train(model, X, y, score_limit=1e30)
    assert iteration == 0 and mse == float("inf"), (iteration, mse)
    # diverged: a learning rate far too large
    model = emlearn_linreg.new(3, 0.0, 0.5, 5.0)
    iteration, mse = emlearn_linreg.train(model, X, y, max_iterations=1000, check_interval=1)
    assert iteration < 10, iteration
    # positional arguments, emlearn's order; and verbose output does not disturb
    model = emlearn_linreg.new(3, 0.0, 0.5, 0.01)
    assert emlearn_linreg.train(model, X, y, 25, 0.0, 10, 10.0, None, 2)[0] == 24


def test_fit_solves_exact_line():
    X, y = line_data()
    model = emlearn_linreg.new(3, 0.0, 0.5, 0.0)
    n_iter, converged = model.fit(X, y)
    assert converged and n_iter < 200, n_iter
    w = floats([0, 0, 0])
    model.get_weights(w)
    ok, worst = emltest.close(w, [2, -1, 0.5], 1e-4)
    assert ok, (list(w), worst)
    assert abs(model.get_bias() - 3) < 1e-4, model.get_bias()
    # warm start from the solution: at once
    n_iter, converged = model.fit(X, y, warm_start=True)
    assert converged and n_iter <= 2, n_iter
    # without warm start it starts over, the same way
    assert model.fit(X, y, 1000, 1e-4) == model.fit(X, y, max_iter=1000, tol=1e-4)
    # a sweep limit: not converged
    assert model.fit(X, y, max_iter=1, tol=1e-9) == (1, False)


def test_fit_edge_cases():
    X, y = line_data()
    # a strong L1 penalty: every weight 0, the bias the mean
    model = emlearn_linreg.new(3, 1000.0, 1.0, 0.0)
    assert model.fit(X, y)[1]
    w = floats([1, 1, 1])
    model.get_weights(w)
    assert list(w) == [0, 0, 0], list(w)
    mean = sum(y) / len(y)
    assert abs(model.get_bias() - mean) < 1e-5 * abs(mean), (model.get_bias(), mean)
    # constant targets and a constant column
    model = emlearn_linreg.new(2, 0.1, 0.5, 0.0)
    assert model.fit(floats([1, 4, 2, 4, 3, 4]), floats([7, 7, 7]))[1]
    w = floats([1, 1])
    model.get_weights(w)
    assert list(w) == [0, 0] and model.get_bias() == 7, (list(w), model.get_bias())
    # one row
    model = emlearn_linreg.new(2, 0.1, 0.5, 0.0)
    model.fit(floats([1, 2]), floats([5]))
    assert model.predict(floats([1, 2])) == 5
    # NaN in the data: no crash, NaN out
    model = emlearn_linreg.new(2, 0.1, 0.5, 0.01)
    model.fit(floats([1, float("nan"), 2, 3]), floats([1, 2]), max_iter=5)
    model.step(floats([1, float("nan"), 2, 3]), floats([1, 2]))
    assert model.score_mse(floats([1, 2, 2, 3]), floats([1, 2])) != 0


def test_accessors_and_batch_predict():
    model = emlearn_linreg.new(3, 0.1, 0.5, 0.01)
    assert model.get_n_features() == 3
    assert model.get_bias() == 0
    w = floats([9, 9, 9])
    model.get_weights(w)
    assert list(w) == [0, 0, 0]
    model.set_weights(floats([0.5, -2, 0.25]))
    model.set_bias(1.5)
    model.get_weights(w)
    assert list(w) == [0.5, -2, 0.25] and model.get_bias() == 1.5
    assert model.predict(floats([2, 1, 4])) == 1.5 + 1 - 2 + 1
    X = floats([2, 1, 4, 0, 0, 0, -1, 3, 8])
    out = floats([0, 0, 0])
    assert model.predict(X, out) is None
    assert list(out) == [model.predict(X[i * 3:i * 3 + 3]) for i in range(3)], list(out)
    # predictions 1.5, 1.5, -3: errors 0, 0, 3
    assert model.score_mse(X, floats([1.5, 1.5, 0])) == 3.0


def test_refusals():
    model = emlearn_linreg.new(2, 0.1, 0.5, 0.01)
    good_X, good_y = floats([1, 2, 3, 4]), floats([1, 2])
    value_errors = [
        lambda: emlearn_linreg.new(0, 0.1, 0.5, 0.01),
        lambda: emlearn_linreg.new(65536, 0.1, 0.5, 0.01),
        lambda: emlearn_linreg.new(2 ** 40, 0.1, 0.5, 0.01),
        lambda: emlearn_linreg.new(2, -0.1, 0.5, 0.01),
        lambda: emlearn_linreg.new(2, float("nan"), 0.5, 0.01),
        lambda: emlearn_linreg.new(2, float("inf"), 0.5, 0.01),
        lambda: emlearn_linreg.new(2, 0.1, -0.01, 0.01),
        lambda: emlearn_linreg.new(2, 0.1, 1.01, 0.01),
        lambda: emlearn_linreg.new(2, 0.1, 0.5, -1),
        lambda: emlearn_linreg.new(2, 0.1, 0.5, float("nan")),
        lambda: emlearn_linreg.new(65535, 0.1, 2.0, 0.01),    # before the allocation
        lambda: model.step(floats([1, 2, 3]), good_y),
        lambda: model.step(floats([]), floats([])),
        lambda: model.step(good_X, floats([1])),
        lambda: model.score_mse(good_X, floats([1, 2, 3])),
        lambda: model.predict(floats([1])),
        lambda: model.predict(floats([1, 2, 3])),
        lambda: model.predict(good_X, floats([0])),
        lambda: model.predict(floats([1, 2, 3]), floats([0])),
        lambda: model.get_weights(floats([0])),
        lambda: model.set_weights(floats([0, 0, 0])),
        lambda: model.fit(good_X, good_y, max_iter=0),
        lambda: model.fit(good_X, good_y, tol=0),
        lambda: model.fit(good_X, good_y, tol=float("nan")),
        lambda: model.fit(good_X, good_y, max_iter=2 ** 40),
        lambda: model.fit(floats([]), floats([])),
        lambda: emlearn_linreg.train(model, good_X, good_y, max_iterations=0),
        lambda: emlearn_linreg.train(model, good_X, good_y, check_interval=0),
        lambda: emlearn_linreg.train(model, good_X, floats([1])),
    ]
    for call in value_errors:
        emltest.raises(ValueError, call)
    type_errors = [
        lambda: emlearn_linreg.new("2", 0.1, 0.5, 0.01),
        lambda: emlearn_linreg.new(2, "x", 0.5, 0.01),
        lambda: model.step(array.array("h", [1, 2]), good_y),
        lambda: model.step(good_X, array.array("i", [1, 2])),
        lambda: model.step(bytearray(16), good_y),
        lambda: model.predict([1.0, 2.0]),
        lambda: model.predict(good_X, array.array("h", [0, 0])),
        lambda: model.get_weights(array.array("h", [0, 0])),
        lambda: model.set_weights(None),
        lambda: model.set_bias("x"),
        lambda: model.fit(good_X, 5),
        lambda: emlearn_linreg.train(None, good_X, good_y),
        lambda: emlearn_linreg.train(good_X, good_X, good_y),
    ]
    for call in type_errors:
        emltest.raises(TypeError, call)
    # the model is as before
    model.set_weights(floats([1, 2]))
    assert model.predict(floats([1, 1])) == 3


def test_heap_returned():
    X, y = line_data()

    def use_model():
        model = emlearn_linreg.new(200, 0.1, 0.5, 0.01)
        assert model.get_n_features() == 200
        small = emlearn_linreg.new(3, 0.1, 0.5, 0.01)
        small.fit(X, y)
        emlearn_linreg.train(small, X, y, max_iterations=20)
        return gc.mem_alloc()

    during, levels = emltest.heap_levels(use_model)
    assert during > levels[-1] + 200 * 8, (levels, during)
    assert levels[-1] == levels[-2] == levels[-3], levels


emltest.main(globals())
