# emlearn_logreg against scikit-learn's multinomial LogisticRegression on iris, wine,
# breast_cancer, digits (tests/reference/logreg_cases.py): its parameters predict its
# test classes and probabilities; fit reaches its optimum (l2, C 1.0 and 0.05;
# elasticnet): probabilities, classes, weights, biases, zeros, score_logloss; labels of
# every type and one-hot rows give the same loss and fit; step and train follow
# emlearn's steps done in float64; fit and train return the heap. (Keep this source
# small: compiling it leaves a board's heap in pieces, where digits needs 5-10 kB blocks.)
# needs: logreg_cases.bin logreg_cases.json
import array
import gc
import json
import emlearn_logreg
import emltest

INDEX = json.load(open("logreg_cases.json"))
DATA = open("logreg_cases.bin", "rb")
SETS = {s["name"]: s for s in INDEX["sets"]}
A = array.array
new = emlearn_logreg.new
# digits first: its rows, model and fit's workspace want the biggest blocks
FITTED = ("digits", "breast_cancer", "wine", "iris")
gc.collect()
ROWS = A("f", range(max(SETS[n]["n_train"] * SETS[n]["n_features"] for n in FITTED)))
# fit's tol (largest gradient-mapping component): about the float32 limit. Worst seen
# (all targets; x64 the worst): probabilities 1.8e-5, weights 3.1e-5, biases 3.7e-4
# (up to a common shift; digits' raw features leave them loosely fixed), loss 2.4e-7.
FIT_TOL = 1e-6
PROB_TOL = 1e-4
WEIGHT_TOL = 1.5e-4
BIAS_TOL = 2e-3
LOSS_REL = 2e-6
# scikit-learn's parameters in float32 move logits by |w||x| 2^-24 (< 6e-7 here),
# probabilities by less (worst seen 1.8e-7)
PREDICT_TOL = 2e-6
# float32 steps against float64 (worst seen: parameters 3e-7, loss 6e-8)
STEP_TOL = 3e-6
STEP_LOSS_REL = 1e-6


def read(buf, offset):
    DATA.seek(offset)
    DATA.readinto(buf)
    return buf


def floats(offset, n):
    return read(A("f", range(n)), offset)


def row_into(x, s, offset, i, row):
    # row i (of X at offset) into x; digits' uint8 values over 16 (exact)
    nf = len(x)
    if s["type"] == "f":
        read(x, offset + 4 * nf * i)
    else:
        read(row, offset + nf * i)
        for j in range(nf):
            x[j] = row[j] / 16


def training(s):
    nf, n = s["n_features"], s["n_train"]
    X, row = memoryview(ROWS)[:n * nf], bytearray(nf)
    for i in range(n):
        row_into(X[i * nf:(i + 1) * nf], s, s["X"], i, row)
    return X, read(bytearray(n), s["y"])


def check_rows(model, s, case, tol):
    # worst probability difference on the test rows; rows of another class than
    # scikit-learn's, where its top two probabilities are within tol
    nf, k = s["n_features"], s["n_classes"]
    x, p, z, want = A("f", range(nf)), A("f", range(k)), A("f", range(k)), A("f", range(k))
    row, predict = bytearray(nf), read(bytearray(s["n_test"]), case["predict"])
    worst, ties = 0.0, 0
    for i in range(s["n_test"]):
        row_into(x, s, s["X_test"], i, row)
        c = model.predict(x, p, z)
        assert model.predict(x) == c and all(z[j] < z[c] for j in range(c)) and max(z) == z[c]
        worst = max(worst, emltest.close(p, read(want, case["proba"] + 4 * k * i), 0)[1])
        if c != predict[i]:
            top = sorted(want)
            assert top[-1] - top[-2] <= tol, (s["name"], case["C"], i, c, predict[i])
            ties += 1
    return worst, ties


def sklearn_model(s, case):
    model = new(s["n_features"], s["n_classes"], 0.1, case["lambda_l2"], case["lambda_l1"])
    model.set_weights(floats(case["weights"], s["n_classes"] * s["n_features"]))
    model.set_bias(floats(case["biases"], s["n_classes"]))
    return model


def test_predict_sklearn_parameters():
    worst = 0.0
    for s in INDEX["sets"]:
        for case in s["cases"]:
            # every class scikit-learn's (float32 logits keep each by 1e-3: generator)
            d, ties = check_rows(sklearn_model(s, case), s, case, 0.0)
            assert d <= PREDICT_TOL and ties == 0, (s["name"], case["C"], d)
            worst = max(worst, d)
    print("  worst probability difference: %.2g" % worst)


def test_fit_reaches_sklearn_optimum():
    worst, ties = [0.0] * 4, 0
    for name in FITTED:
        s = SETS[name]
        nf, k = s["n_features"], s["n_classes"]
        X, y = training(s)
        for case in s["cases"]:
            gc.collect()
            where = (name, case["penalty"], case["C"])
            model = new(nf, k, 0.1, case["lambda_l2"], case["lambda_l1"])
            n_iter, converged = model.fit(X, y, max_iter=20000, tol=FIT_TOL)
            assert converged and n_iter > 0, (where, n_iter)
            d_p, t = check_rows(model, s, case, PROB_TOL)
            ties += t
            w = A("f", range(k * nf))
            model.get_weights(w)
            d_w = emltest.close(w, floats(case["weights"], k * nf), 0)[1]
            b, want = model.get_bias(), floats(case["biases"], k)
            shift = sum(b[c] - want[c] for c in range(k)) / k
            d_b = max(abs(b[c] - want[c] - shift) for c in range(k))
            d_loss = abs(model.score_logloss(X, y) / case["objective"] - 1)
            worst = [max(worst[0], d_p), max(worst[1], d_w), max(worst[2], d_b), max(worst[3], d_loss)]
            assert d_p <= PROB_TOL and d_w <= WEIGHT_TOL and d_b <= BIAS_TOL and d_loss <= LOSS_REL, \
                (where, d_p, d_w, d_b, d_loss)
            if "mask" in case:      # scikit-learn's sure zeros 0, its clear non-zeros not
                mask = read(bytearray(k * nf), case["mask"])
                for j in range(k * nf):
                    assert (mask[j] != 1 or w[j] == 0) and (mask[j] != 2 or w[j] != 0), (where, j, w[j])
    print("  worst: probabilities %.2g, weights %.2g, biases %.2g, loss %.2g; %d near ties"
          % tuple(worst + [ties]))


def test_label_types_agree():
    s = SETS["wine"]
    k, case = s["n_classes"], s["cases"][0]
    X, y = training(s)
    one_hot = A("f", range(len(y) * k))
    for i in range(len(one_hot)):
        one_hot[i] = 1.0 if y[i // k] == i % k else 0.0
    results = []
    # (A("h", a bytearray) would take its bytes as the array's memory)
    for targets in (y, bytes(y), A("B", list(y)), A("h", list(y)), A("H", list(y)), one_hot):
        model = sklearn_model(s, case)
        loss = model.score_logloss(X, targets)
        fit = model.fit(X, targets, tol=FIT_TOL)
        w = A("f", range(k * s["n_features"]))
        model.get_weights(w)
        results.append((loss, fit, bytes(w), bytes(model.get_bias()), model.score_logloss(X, targets)))
    # the same arithmetic whatever the type: equal to the last bit
    assert all(r == results[0] for r in results), [r[:2] for r in results]
    loss, fit, _, _, after = results[0]
    assert fit[1] and max(abs(loss / case["objective"] - 1), abs(after / case["objective"] - 1)) <= LOSS_REL


def test_step_and_train_follow_emlearn_steps():
    s = SETS["iris"]
    nf, k = s["n_features"], s["n_classes"]
    X, y = training(s)
    worst = [0.0, 0.0]
    for ref in s["steps"]:
        settings = (nf, k, ref["rate"], ref["lambda_l2"], ref["lambda_l1"])
        # tolerance 0: every step runs; the loss is the last check's (at the last step)
        model = new(*settings)
        n, loss = emlearn_logreg.train(model, X, y, max_iterations=ref["steps"], tolerance=0.0)
        assert n == ref["steps"] and loss == model.score_logloss(X, y), (settings, n, loss)
        w = A("f", range(k * nf))
        model.get_weights(w)
        d = max(emltest.close(w, floats(ref["weights"], k * nf), 0)[1],
                emltest.close(model.get_bias(), floats(ref["biases"], k), 0)[1])
        d_loss = abs(loss / ref["loss"] - 1)
        worst = [max(worst[0], d), max(worst[1], d_loss)]
        assert d <= STEP_TOL and d_loss <= STEP_LOSS_REL and sum(1 for v in w if v == 0) == ref["zeros"], \
            (settings, d, loss, ref["loss"])
        # step by step: the same to the last bit
        stepped = new(*settings)
        for _ in range(ref["steps"]):
            stepped.step(X, y)
        w2 = A("f", range(k * nf))
        stepped.get_weights(w2)
        assert bytes(w2) == bytes(w) and bytes(stepped.get_bias()) == bytes(model.get_bias()), settings
        # the tolerance that stops the float64 steps at the check at ref["stop"]
        model = new(*settings)
        n, loss = emlearn_logreg.train(model, X, y, max_iterations=ref["max_iterations"],
                                       tolerance=ref["tolerance"], check_interval=ref["check_interval"])
        assert n == ref["stop"] and n % ref["check_interval"] == 0, (settings, n)
        assert loss == model.score_logloss(X, y) and abs(loss / ref["stop_loss"] - 1) <= STEP_LOSS_REL, settings
    print("  worst: parameters %.2g, loss %.2g" % tuple(worst))


def test_heap_returned_by_fit_and_train():
    s = SETS["iris"]
    X, y = training(s)

    def use_models():
        m = new(s["n_features"], s["n_classes"], 0.5, s["cases"][0]["lambda_l2"], 0.0)
        big = new(100, 10, 0.5, 0.0, 0.0)
        m.fit(X, y, tol=FIT_TOL)
        emlearn_logreg.train(m, X, y, max_iterations=10)
        m.fit(X, y, tol=FIT_TOL, warm_start=True)
        assert big.get_n_classes() == 10
        return gc.mem_alloc()

    during, levels = emltest.heap_levels(use_models)
    assert during > levels[-1] + 100 * 10 * 8 and levels[-1] == levels[-2] == levels[-3], (during, levels)


emltest.main(globals())
