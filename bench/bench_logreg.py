# emlearn_logreg against straightforward pure-MicroPython code (what users write without
# the module): wine, 178 rows of 13 standardized features, 3 classes. One predict with
# probabilities; one gradient step over all rows (emlearn's arithmetic: both must give
# the same weights); and training from zero: fit (accelerated proximal gradient to
# scikit-learn's tol 1e-4) against emlearn's train loop (learning rate 0.5, its
# defaults: at most 200 steps), with the loss each reaches. The penalty is
# scikit-learn's LogisticRegression(C=1.0): lambda_l2 = 1 / (C n).
import array
import math
import emlearn_logreg
import timing

N_TRAIN, N_FEATURES, N_CLASSES = 178, 13, 3
RATE, L2 = 0.5, 1.0 / 178

X = array.array("f", bytes(4 * N_TRAIN * N_FEATURES))
labels = bytearray(N_TRAIN)
with open("logreg_bench.bin", "rb") as f:
    f.readinto(X)
    f.readinto(labels)
row = X[:N_FEATURES]


class PythonModel:
    def __init__(self):
        self.weights = [0.0] * (N_CLASSES * N_FEATURES)
        self.bias = [0.0] * N_CLASSES

    def probabilities(self, X, base):
        w = self.weights
        z = []
        for c in range(N_CLASSES):
            s = self.bias[c]
            o = c * N_FEATURES
            for j in range(N_FEATURES):
                s += w[o + j] * X[base + j]
            z.append(s)
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return [v / total for v in e]

    def predict(self, x, out):
        p = self.probabilities(x, 0)
        best = 0
        for c in range(N_CLASSES):
            out[c] = p[c]
            if p[c] > p[best]:
                best = c
        return best

    def step(self, X, labels):
        w = self.weights
        grad = [0.0] * (N_CLASSES * N_FEATURES)
        bias_grad = [0.0] * N_CLASSES
        for i in range(N_TRAIN):
            base = i * N_FEATURES
            p = self.probabilities(X, base)
            for c in range(N_CLASSES):
                e = p[c] - (1.0 if labels[i] == c else 0.0)
                bias_grad[c] += e
                o = c * N_FEATURES
                for j in range(N_FEATURES):
                    grad[o + j] += e * X[base + j]
        for k in range(N_CLASSES * N_FEATURES):
            w[k] -= RATE * (grad[k] / N_TRAIN + L2 * w[k])
        for c in range(N_CLASSES):
            self.bias[c] -= RATE * bias_grad[c] / N_TRAIN


model = emlearn_logreg.new(N_FEATURES, N_CLASSES, RATE, L2, 0.0)
python = PythonModel()
model.step(X, labels)
python.step(X, labels)
w = array.array("f", bytes(4 * N_CLASSES * N_FEATURES))
model.get_weights(w)
step_difference = max(abs(w[k] - python.weights[k]) for k in range(len(w))) / max(abs(v) for v in w)

on_host = timing.UNIT == "us"
probabilities = array.array("f", bytes(4 * N_CLASSES))
print("unit", timing.UNIT)
print("rows", N_TRAIN)
print("features", N_FEATURES)
print("classes", N_CLASSES)
print("module_per_predict", timing.measure(model.predict, 1000, (row, probabilities)))
print("python_per_predict", timing.measure(python.predict, 300 if on_host else 30, (row, probabilities)))
print("module_per_step", timing.measure(model.step, 100 if on_host else 3, (X, labels)))
print("python_per_step", timing.measure(python.step, 3 if on_host else 1, (X, labels)))
print("step_difference", step_difference)


def fit():
    return model.fit(X, labels)


zeros = array.array("f", bytes(4 * N_CLASSES * N_FEATURES))


def train():
    # from zero each time, as fit starts
    model.set_weights(zeros)
    model.set_bias(array.array("f", bytes(4 * N_CLASSES)))
    return emlearn_logreg.train(model, X, labels)


fit_time = timing.measure(fit, 10 if on_host else 1)
iterations, converged = fit()
fit_loss = model.score_logloss(X, labels)
train_time = timing.measure(train, 3 if on_host else 1)
steps, train_loss = train()
print("fit_time", fit_time)
print("fit_iterations", iterations)
print("fit_converged", converged)
print("fit_loss", fit_loss)
print("train_time", train_time)
print("train_steps", steps)
print("train_loss", model.score_logloss(X, labels))
