# emlearn_neighbors against a straightforward pure-MicroPython k-nearest-neighbours
# classifier (what users write without the module): digits, 200 training images of 64
# int16 pixels, k = 5, one predict per call; both must give the same labels.
import array
import emlearn_neighbors
import timing

N_TRAIN, N_FEATURES, N_TEST, K = 200, 64, 10, 5

f = open("neighbors_bench.bin", "rb")
model = emlearn_neighbors.new(N_TRAIN, N_FEATURES, K)
row = array.array("h", bytes(2 * N_FEATURES))
rows = []
labels = array.array("h", bytes(2 * N_TRAIN))
f.seek(2 * N_TRAIN * N_FEATURES)
f.readinto(labels)
for i in range(N_TRAIN):
    f.seek(2 * N_FEATURES * i)
    f.readinto(row)
    model.additem(row, labels[i])
    rows.append(array.array("h", row))
tests = []
for t in range(N_TEST):
    f.seek(2 * N_TRAIN * (N_FEATURES + 1) + 2 * N_FEATURES * t)
    f.readinto(row)
    tests.append(array.array("h", row))


def python_predict(x):
    # the k smallest squared distances in a sorted list, then a vote (the smallest
    # label among equal counts, as the module)
    best = []
    for i in range(N_TRAIN):
        item = rows[i]
        d = 0
        for j in range(N_FEATURES):
            e = x[j] - item[j]
            d += e * e
        if len(best) < K or d < best[-1][0]:
            best.append((d, i))
            best.sort()
            if len(best) > K:
                best.pop()
    votes = {}
    for _, i in best:
        votes[labels[i]] = votes.get(labels[i], 0) + 1
    return min(votes, key=lambda c: (-votes[c], c))


agree = sum(model.predict(x) == python_predict(x) for x in tests)
on_host = timing.UNIT == "us"
module = timing.measure(model.predict, 200 if on_host else 10, (tests[0],))
python = timing.measure(python_predict, 3 if on_host else 1, (tests[0],))
print("unit", timing.UNIT)
print("items", N_TRAIN)
print("features", N_FEATURES)
print("k", K)
print("module_per_predict", module)
print("python_per_predict", python)
print("speedup", python / module)
print("agree", "%d/%d" % (agree, N_TEST))
