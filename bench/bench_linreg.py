# emlearn_linreg against straightforward pure-MicroPython code (what users write without
# the module): diabetes, 330 rows of 10 features. One predict; one gradient step over
# all rows (emlearn's arithmetic: both must give the same weights); and training to a
# solution: fit (coordinate descent, scikit-learn's tol 1e-4) against emlearn's train
# loop (learning rate 0.5, its default 100 iterations), with the error each reaches.
import array
import emlearn_linreg
import timing

N_TRAIN, N_FEATURES = 330, 10
ALPHA, L1_RATIO, RATE = 0.01, 0.5, 0.5

X = array.array("f", bytes(4 * N_TRAIN * N_FEATURES))
y = array.array("f", bytes(4 * N_TRAIN))
with open("linreg_bench.bin", "rb") as f:
    f.readinto(X)
    f.readinto(y)
row = X[:N_FEATURES]


class PythonModel:
    def __init__(self):
        self.weights = [0.0] * N_FEATURES
        self.bias = 0.0

    def predict(self, x):
        s = self.bias
        w = self.weights
        for j in range(N_FEATURES):
            s += w[j] * x[j]
        return s

    def step(self, X, y):
        w = self.weights
        grad = [0.0] * N_FEATURES
        bias_grad = 0.0
        for i in range(N_TRAIN):
            base = i * N_FEATURES
            e = self.bias - y[i]
            for j in range(N_FEATURES):
                e += w[j] * X[base + j]
            bias_grad += e
            for j in range(N_FEATURES):
                grad[j] += e * X[base + j]
        l2 = ALPHA * (1 - L1_RATIO)
        t = RATE * ALPHA * L1_RATIO
        for j in range(N_FEATURES):
            v = w[j] - RATE * (grad[j] / N_TRAIN + l2 * w[j])
            w[j] = v - t if v > t else v + t if v < -t else 0.0
        self.bias -= RATE * bias_grad / N_TRAIN


model = emlearn_linreg.new(N_FEATURES, ALPHA, L1_RATIO, RATE)
python = PythonModel()
model.step(X, y)
python.step(X, y)
w = array.array("f", bytes(4 * N_FEATURES))
model.get_weights(w)
step_difference = max(abs(w[j] - python.weights[j]) for j in range(N_FEATURES)) / max(abs(v) for v in w)

on_host = timing.UNIT == "us"
print("unit", timing.UNIT)
print("rows", N_TRAIN)
print("features", N_FEATURES)
print("module_per_predict", timing.measure(model.predict, 1000, (row,)))
print("python_per_predict", timing.measure(python.predict, 300 if on_host else 50, (row,)))
print("module_per_step", timing.measure(model.step, 100 if on_host else 3, (X, y)))
print("python_per_step", timing.measure(python.step, 3 if on_host else 1, (X, y)))
print("step_difference", step_difference)


def fit():
    return model.fit(X, y)


zeros = array.array("f", bytes(4 * N_FEATURES))


def train():
    # from zero each time, as fit starts
    model.set_weights(zeros)
    model.set_bias(0)
    return emlearn_linreg.train(model, X, y)


fit_time = timing.measure(fit, 10 if on_host else 1)
sweeps, converged = fit()
fit_mse = model.score_mse(X, y)
train_time = timing.measure(train, 1)
train_mse = model.score_mse(X, y)
print("fit_time", fit_time)
print("fit_sweeps", sweeps)
print("fit_converged", converged)
print("fit_mse", fit_mse)
print("train_time", train_time)
print("train_mse", train_mse)
