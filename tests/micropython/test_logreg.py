# emlearn_logreg: predict's three forms against the logits and softmax computed here,
# emlearn-micropython's buffers (step's last-row logits and probabilities and bias
# gradient, score_logloss's), every kind of labels giving what one-hot rows give,
# train()'s stopping rules and results as emlearn's loop gives them, train_batches over
# batches (with and without a scorer), fit's optimum (no lower loss nearby) and warm
# start, the accessors, every refusal, and the heap returned on delete.
# (test_logreg_sklearn.py compares the results with scikit-learn's.)
import array
import gc
import math
import emlearn_logreg
import emltest

raises = emltest.raises


def floats(values):
    return array.array("f", values)


# Three classes in two features: class c's points around a corner of its own.
CENTRES = ((0.0, 0.0), (3.0, 0.5), (0.5, 3.0))


def blobs(n=24):
    X, labels = [], []
    for i in range(n):
        c = i % 3
        X += (CENTRES[c][0] + (i * 7 % 5 - 2) * 0.6, CENTRES[c][1] + (i * 3 % 7 - 3) * 0.4)
        labels.append(c)
    return floats(X), bytes(labels)


def one_hot(labels, k=3):
    out = floats([0.0] * (len(labels) * k))
    for i, c in enumerate(labels):
        out[i * k + c] = 1.0
    return out


def weights(model):
    w = floats([0.0] * (model.get_n_features() * model.get_n_classes()))
    model.get_weights(w)
    return w


def test_predict_forms():
    model = emlearn_logreg.new(2, 3, 0.1, 0.0, 0.0)
    model.set_weights(floats([0.5, -1.0, 2.0, 0.25, -1.5, 1.0]))
    model.set_bias(floats([0.1, -0.2, 0.3]))
    x = floats([1.5, -0.5])
    z = [0.1 + 0.5 * 1.5 + 1.0 * 0.5, -0.2 + 2.0 * 1.5 - 0.25 * 0.5, 0.3 - 1.5 * 1.5 - 1.0 * 0.5]
    e = [math.exp(v - max(z)) for v in z]
    p = [v / sum(e) for v in e]
    probabilities, logits = floats([9, 9, 9]), floats([9, 9, 9])
    assert model.predict(x) == 1
    assert model.predict(x, probabilities) == 1
    assert emltest.close(probabilities, p, 1e-6)[0], (list(probabilities), p)
    assert model.predict(x, probabilities, logits) == 1
    assert emltest.close(logits, z, 1e-6)[0], (list(logits), z)
    assert abs(sum(probabilities) - 1) < 1e-6
    # a confident prediction: probabilities 1 and 0, not NaN
    model.set_bias(floats([0.0, 500.0, 0.0]))
    assert model.predict(x, probabilities) == 1 and list(probabilities) == [0.0, 1.0, 0.0]
    # ties: the first class; NaN features: NaN probabilities, class 0
    model.set_weights(floats([0] * 6))
    model.set_bias(floats([0.0, 0.0, 0.0]))
    assert model.predict(x, probabilities) == 0 and abs(probabilities[2] - 1 / 3) < 1e-7
    assert model.predict(floats([float("nan"), 1]), probabilities) == 0
    assert probabilities[0] != probabilities[0]


def test_labels_of_every_kind_agree():
    X, labels = blobs()
    # (array(t, bytes) would take the bytes' memory as items: lists here)
    kinds = (labels, bytearray(labels), array.array("B", list(labels)), array.array("h", list(labels)),
             array.array("H", list(labels)), one_hot(labels), memoryview(labels))
    results = []
    for y in kinds:
        model = emlearn_logreg.new(2, 3, 0.3, 0.01, 0.001)
        model.step(X, y)
        model.step(X, y)
        results.append((list(weights(model)), list(model.get_bias()), model.score_logloss(X, y)))
    for r in results[1:]:
        assert r == results[0], (r, results[0])


def test_emlearn_buffers():
    X, labels = blobs(6)
    y = one_hot(labels)
    model = emlearn_logreg.new(2, 3, 0.5, 0.0, 0.0)
    model.set_weights(floats([0.2, -0.1, 0.0, 0.3, -0.2, 0.1]))
    start_w, start_b = list(weights(model)), list(model.get_bias())
    logits, probs, bias_gradients = floats([0] * 3), floats([0] * 3), floats([0] * 3)
    model.step(X, y, logits, probs, bias_gradients)
    # the bias gradient is the mean of probabilities minus targets; the buffers hold
    # the last row's logits and probabilities, for the parameters before the step
    check = emlearn_logreg.new(2, 3, 0.0, 0.0, 0.0)
    check.set_weights(floats(start_w))
    check.set_bias(floats(start_b))
    mean = [0.0, 0.0, 0.0]
    p, z = floats([0] * 3), floats([0] * 3)
    for i in range(6):
        check.predict(X[2 * i:2 * i + 2], p, z)
        for c in range(3):
            mean[c] += (p[c] - y[3 * i + c]) / 6
    assert emltest.close(bias_gradients, mean, 1e-6)[0], (list(bias_gradients), mean)
    assert emltest.close(logits, z, 1e-6)[0] and emltest.close(probs, p, 1e-6)[0]
    after = model.get_bias()
    assert emltest.close(after, [start_b[c] - 0.5 * mean[c] for c in range(3)], 1e-6)[0]
    # score_logloss with buffers: the same loss, the last row's values
    loss = model.score_logloss(X, y, logits, probs)
    assert loss == model.score_logloss(X, labels)
    model.predict(X[10:12], p, z)
    assert list(logits) == list(z) and list(probs) == list(p)


def test_loss_value():
    X, labels = blobs(9)
    model = emlearn_logreg.new(2, 3, 0.0, 0.2, 0.05)
    w = [0.3, -0.2, 0.1, 0.4, -0.5, 0.25]
    model.set_weights(floats(w))
    model.set_bias(floats([0.1, 0.0, -0.1]))
    total = 0.0
    p = floats([0] * 3)
    for i in range(9):
        z = [model.get_bias()[c] + w[2 * c] * X[2 * i] + w[2 * c + 1] * X[2 * i + 1] for c in range(3)]
        total += math.log(sum(math.exp(v) for v in z)) - z[labels[i]]
        model.predict(X[2 * i:2 * i + 2], p)
    expected = total / 9 + 0.5 * 0.2 * sum(v * v for v in w) + 0.05 * sum(abs(v) for v in w)
    loss = model.score_logloss(X, labels)
    assert abs(loss - expected) < 2e-6 * expected, (loss, expected)


def steps_loss(X, y, n, rate=0.5):
    model = emlearn_logreg.new(2, 3, rate, 0.01, 0.0)
    for _ in range(n):
        model.step(X, y)
    return model, model.score_logloss(X, y)


def test_train_returns_emlearns_results():
    X, labels = blobs()
    # no early stop: checks after steps 5, 10, 15, 20; 22 steps, the loss of the last check
    model = emlearn_logreg.new(2, 3, 0.5, 0.01, 0.0)
    iterations, loss = emlearn_logreg.train(model, X, labels, max_iterations=22, tolerance=0.0)
    again, loss20 = steps_loss(X, labels, 20)
    assert iterations == 22 and loss == loss20, (iterations, loss, loss20)
    again.step(X, labels)
    again.step(X, labels)
    assert list(weights(model)) == list(weights(again))
    # converged: the change under tolerance, at the first check past 2 intervals
    model = emlearn_logreg.new(2, 3, 0.5, 0.01, 0.0)
    assert emlearn_logreg.train(model, X, labels, tolerance=1e30)[0] == 15
    # score limit: at the first check
    model = emlearn_logreg.new(2, 3, 0.5, 0.01, 0.0)
    iterations, loss = emlearn_logreg.train(model, X, labels, score_limit=1e30)
    assert iterations == 5 and loss == steps_loss(X, labels, 5)[1], (iterations, loss)
    # diverged: the loss grew past twice the last check's (a huge rate)
    model = emlearn_logreg.new(2, 3, 1e4, 0.0, 0.0)
    iterations, loss = emlearn_logreg.train(model, X, labels, max_iterations=1000, check_interval=1)
    assert iterations < 20, iterations
    # no check at all: the loss after the last step
    model = emlearn_logreg.new(2, 3, 0.5, 0.01, 0.0)
    assert emlearn_logreg.train(model, X, labels, max_iterations=3) == (3, steps_loss(X, labels, 3)[1])
    # emlearn's positional order, one-hot targets, and verbose output
    model = emlearn_logreg.new(2, 3, 0.5, 0.01, 0.0)
    assert emlearn_logreg.train(model, X, one_hot(labels), 22, 0.0, 5, 2.0, None, 2) == (22, loss20)


def test_train_batches():
    X, labels = blobs()
    halves = ((X[:24], labels[:12]), (X[24:], labels[12:]), (floats([]), b""))

    def factory():
        return iter(halves)

    # without a scorer every epoch runs, and the loss is inf
    model = emlearn_logreg.new(2, 3, 0.5, 0.01, 0.0)
    assert emlearn_logreg.train_batches(model, factory, max_iterations=4) == (4, float("inf"))
    check = emlearn_logreg.new(2, 3, 0.5, 0.01, 0.0)
    for _ in range(4):
        check.step(X[:24], labels[:12])
        check.step(X[24:], labels[12:])
    assert list(weights(model)) == list(weights(check))
    # with one: its value at the checks, emlearn's stopping rules
    calls = []

    def score(m):
        calls.append(m)
        return m.score_logloss(X, labels)

    model = emlearn_logreg.new(2, 3, 0.5, 0.01, 0.0)
    iterations, loss = emlearn_logreg.train_batches(model, factory, max_iterations=100, tolerance=1e30,
                                                    check_interval=2, score_batches=score, verbose=1)
    assert iterations == 6 and len(calls) == 3 and calls[0] is model, (iterations, len(calls))
    assert loss == model.score_logloss(X, labels)
    # refusals
    raises(ValueError, emlearn_logreg.train_batches, model, lambda: iter(()))
    raises(ValueError, emlearn_logreg.train_batches, model, lambda: iter([(X,)]))
    raises(ValueError, emlearn_logreg.train_batches, model, lambda: iter([(X, labels[:3])]))
    raises(TypeError, emlearn_logreg.train_batches, model, 5)
    raises(TypeError, emlearn_logreg.train_batches, model, lambda: 5)


def test_fit():
    X, labels = blobs()
    model = emlearn_logreg.new(2, 3, 0.0, 0.05, 0.0)
    n_iter, converged = model.fit(X, labels, tol=1e-5)
    assert converged and n_iter < 500, n_iter
    best = model.score_logloss(X, labels)
    # the optimum: moving any parameter a little raises the loss
    w = weights(model)
    for k in range(len(w)):
        for d in (-1e-2, 1e-2):
            moved = floats(w)
            moved[k] += d
            model.set_weights(moved)
            assert model.score_logloss(X, labels) > best, (k, d)
    model.set_weights(w)
    # lower than emlearn's gradient steps reach
    steps = emlearn_logreg.new(2, 3, 0.5, 0.05, 0.0)
    emlearn_logreg.train(steps, X, labels, max_iterations=50)
    assert best < steps.score_logloss(X, labels)
    # warm start at the optimum: at once; a cold start starts over, the same way
    assert model.fit(X, labels, warm_start=True, tol=1e-5)[0] <= 3
    assert model.fit(X, labels, 1000, 1e-5) == (n_iter, True)
    assert model.fit(X, labels, max_iter=2, tol=1e-9) == (2, False)
    # an L1 penalty strong enough zeroes every weight; the biases fit the class shares
    model = emlearn_logreg.new(2, 3, 0.0, 0.0, 100.0)
    assert model.fit(X, labels)[1]
    assert list(weights(model)) == [0.0] * 6
    p = floats([0] * 3)
    model.predict(floats([5, 5]), p)
    assert emltest.close(p, [1 / 3] * 3, 1e-4)[0], list(p)


def test_accessors():
    model = emlearn_logreg.new(4, 2, 0.1, 0.0, 0.0)
    assert model.get_n_features() == 4 and model.get_n_classes() == 2
    b = model.get_bias()
    assert isinstance(b, array.array) and list(b) == [0.0, 0.0]
    model.set_bias(floats([1.5, -2.5]))
    assert list(b) == [0.0, 0.0], "get_bias returns a copy"
    out = floats([0, 0])
    assert model.get_bias(out) is None and list(out) == [1.5, -2.5]
    model.set_weights(floats(range(8)))
    assert list(weights(model)) == list(range(8))


def test_refusals():
    model = emlearn_logreg.new(2, 3, 0.1, 0.0, 0.0)
    X, labels = floats([1, 2, 3, 4]), bytes([0, 2])
    f3 = floats([0, 0, 0])
    value_errors = [
        lambda: emlearn_logreg.new(0, 3, 0.1, 0, 0),
        lambda: emlearn_logreg.new(65536, 3, 0.1, 0, 0),
        lambda: emlearn_logreg.new(2 ** 40, 3, 0.1, 0, 0),
        lambda: emlearn_logreg.new(2, 1, 0.1, 0, 0),
        lambda: emlearn_logreg.new(2, 1025, 0.1, 0, 0),
        lambda: emlearn_logreg.new(2, 3, -0.1, 0, 0),
        lambda: emlearn_logreg.new(2, 3, 0.1, float("nan"), 0),
        lambda: emlearn_logreg.new(2, 3, 0.1, 0, float("inf")),
        lambda: emlearn_logreg.new(65535, 1024, 0.1, -1, 0),     # before the allocation
        lambda: model.step(floats([1, 2, 3]), labels),
        lambda: model.step(floats([]), b""),
        lambda: model.step(X, bytes([0])),
        lambda: model.step(X, bytes([0, 3])),
        lambda: model.step(X, array.array("h", [0, -1])),
        lambda: model.step(X, floats([1, 0, 0, 0, 1])),
        lambda: model.step(X, labels, f3, f3, floats([0, 0])),
        lambda: model.score_logloss(X, labels, floats([0] * 4), f3),
        lambda: model.predict(floats([1])),
        lambda: model.predict(X, f3),
        lambda: model.predict(floats([1, 2]), floats([0, 0])),
        lambda: model.predict(floats([1, 2]), f3, floats([0] * 4)),
        lambda: model.get_weights(floats([0] * 5)),
        lambda: model.set_weights(floats([0] * 7)),
        lambda: model.get_bias(floats([0, 0])),
        lambda: model.set_bias(floats([0] * 4)),
        lambda: model.fit(X, labels, max_iter=0),
        lambda: model.fit(X, labels, max_iter=2 ** 40),
        lambda: model.fit(X, labels, tol=0),
        lambda: model.fit(X, labels, tol=float("nan")),
        lambda: emlearn_logreg.train(model, X, labels, max_iterations=0),
        lambda: emlearn_logreg.train(model, X, labels, check_interval=0),
        lambda: emlearn_logreg.train(model, X, bytes([5, 0])),
    ]
    for call in value_errors:
        raises(ValueError, call)
    type_errors = [
        lambda: emlearn_logreg.new("2", 3, 0.1, 0, 0),
        lambda: emlearn_logreg.new(2, 3, "x", 0, 0),
        lambda: model.step(array.array("h", [1, 2, 3, 4]), labels),
        lambda: model.step(X, array.array("i", [0, 1])),
        lambda: model.step(X, [0, 1]),
        lambda: model.step(X, labels, f3),
        lambda: model.step(X, labels, f3, f3, array.array("h", [0, 0, 0])),
        lambda: model.score_logloss(X, labels, f3),
        lambda: model.predict([1.0, 2.0]),
        lambda: model.predict(floats([1, 2]), array.array("h", [0, 0, 0])),
        lambda: model.set_weights(None),
        lambda: model.set_bias(1.5),
        lambda: model.fit(X, 5),
        lambda: emlearn_logreg.train(None, X, labels),
        lambda: emlearn_logreg.train(X, X, labels),
        lambda: emlearn_logreg.train_batches(None, lambda: iter(())),
    ]
    for call in type_errors:
        raises(TypeError, call)
    # the model is as before
    assert list(weights(model)) == [0.0] * 6 and list(model.get_bias()) == [0.0] * 3


def test_heap_returned():
    X, labels = blobs()

    def use_model():
        big = emlearn_logreg.new(100, 10, 0.1, 0.0, 0.0)
        assert big.get_n_classes() == 10
        model = emlearn_logreg.new(2, 3, 0.5, 0.01, 0.0)
        model.fit(X, labels)
        emlearn_logreg.train(model, X, labels, max_iterations=20)
        emlearn_logreg.train_batches(model, lambda: iter([(X, labels)]), max_iterations=2)
        model.get_bias()
        return gc.mem_alloc()

    during, levels = emltest.heap_levels(use_model)
    assert during > levels[-1] + 2 * 1010 * 4, (levels, during)
    assert levels[-1] == levels[-2] == levels[-3], levels


emltest.main(globals())
