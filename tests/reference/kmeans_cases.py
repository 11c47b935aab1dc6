"""Reference outputs for tests/micropython/test_kmeans*.py (emlearn_kmeans).

The module's algorithm is emlearn-micropython's k-means generator (Lloyd's
iterations):

    for i in range(max_iter):
        assign every sample to its nearest centroid (squared Euclidean
        distance, ties to the lowest index); yield the number of changes
        if changes <= stop_changes: break
        centroid = mean of its samples (integers: floor, sum // count;
        float32: sum in sample order, / count); an empty cluster keeps its own

kmeans() below is that algorithm in numpy, exact for uint8 and int16 (int64
sums and distances) and for float32 (distances accumulated feature by
feature, sums sample by sample, every operation rounded to float32, as the
module computes them without fused multiply-adds).

kmeans_cases.bin/.json (for test_kmeans.py; test_kmeans_random_calls.py has its
own model in Python) hold scikit-learn's data sets as the module's types:
- digits (its values 0 to 16 as uint8; the first 128 rows: a board's 140 kB
  heap holds this file, the test's source and the data it reads), 10 clusters
  started at 10 rows drawn at random (seeded; the first draw that needs more
  than 12 passes): to convergence (13 passes), with the default max_iter 10,
  with stop_changes 5 (stopped by a pass of exactly 5 changes), stopped by
  max_iter 3 (the centroids and assignments at every pass), and with two more
  clusters that start empty (a copy of the first initial row, which loses
  every tie to cluster 0 at the first pass but not later, and a centroid of
  255s, which stays empty);
- wine as int16, standardized and scaled so its largest value is 30000
  (negative sums: floor division matters; distances above 2^32), 3 clusters;
- iris and wine standardized as float32, 3 clusters (wine: the int16 values
  above times one float32 step, largest score / 30000, which the test
  multiplies out itself: one float32 product, exact on every target, and
  the file holds wine once), started at samples chosen here so that no
  cluster empties and no sample is near a tie at any pass (nearest and
  second-nearest distances differ by more than MARGIN * (1 + second), so
  float32 rounding, scikit-learn's own or a fused multiply-add on the
  device, cannot change a label). For these, scikit-learn's
  KMeans(init=the same centroids, n_init=1, algorithm="lloyd", tol=0) is
  checked here to give the same labels, the same number of iterations and
  the same centers within 1e-5: so the module agrees with scikit-learn;
- euclidean_argmin cases: 40 rows of those data sets against 25 to 40 other
  rows, for each type: the index (uint8) and the squared distance (int64, or
  float32 for 'f').

kmeans_har.bin/.json (only with ../shared/data/har, for test_kmeans_har.py):
k-means of the accelerometer samples (x, y, z as int16, 3 features) of four
recordings, which the device reads itself (har_features.read_npy): 4
clusters to convergence, and 8 clusters with stop_changes 10.
"""
import json
import os
import sys

import numpy as np
from sklearn import datasets
from sklearn.cluster import KMeans

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "har_trees"))
import har_features  # noqa: E402
from emlearn_mp import neighbors  # noqa: E402

DIGITS_ROWS = 128
MARGIN = 1e-4
HAR = os.path.join(HERE, "..", "..", "..", "shared", "data", "har", "har_record_exercises_1", "data")
HAR_RECORDINGS = ("2000-01-01T000051_jumpingjack.npy", "2000-01-01T000204_lunge.npy",
                  "2000-01-01T000308_squat.npy", "2000-01-01T000132_other.npy")
DTYPES = {"B": np.uint8, "h": np.int16, "f": np.float32, "q": np.int64}


def distances(X, C, typecode):
    """Squared distances (n_samples, n_clusters): int64, or float32 summed
    feature by feature."""
    if typecode != "f":
        return ((X.astype(np.int64)[:, None, :] - C.astype(np.int64)[None, :, :]) ** 2).sum(axis=2)
    diff = X.astype(np.float32)[:, None, :] - C.astype(np.float32)[None, :, :]
    square = diff * diff
    acc = np.zeros(square.shape[:2], dtype=np.float32)
    for j in range(square.shape[2]):
        acc = acc + square[:, :, j]
    return acc


def argmin(d):
    """Index of the smallest distance of each row, the lowest on a tie."""
    return np.argmin(d, axis=1)


def margins(d):
    """Second-nearest minus nearest distance, and the second, per row."""
    s = np.sort(d.astype(np.float64), axis=1)
    return s[:, 1] - s[:, 0], s[:, 1]


def update(X, C, labels, typecode):
    """The new centroids, and whether some negative sum was not a multiple of
    its count (where floor and truncation differ)."""
    C = C.copy()
    floor_matters = False
    for c in range(len(C)):
        mask = labels == c
        count = int(mask.sum())
        if count == 0:
            continue
        if typecode == "f":
            sums = np.cumsum(X[mask].astype(np.float32), axis=0, dtype=np.float32)[-1]
            C[c] = sums / np.float32(count)
        else:
            sums = X[mask].astype(np.int64).sum(axis=0)
            C[c] = sums // count
            floor_matters |= bool(np.any((sums < 0) & (sums % count != 0)))
    return C, floor_matters


def kmeans(X, C0, typecode, max_iter=10, stop_changes=0):
    """Run the module's algorithm. Returns a dict: changes (the values
    yielded), passes (centroids and assignments as they are at each yield),
    centroids and assignments at the end, and facts about the run (the
    smallest relative margin of a float run, empty clusters seen, floor
    division mattering, largest distance)."""
    C = np.array(C0, dtype=DTYPES[typecode])
    a = np.full(len(X), 255, dtype=np.uint8)       # as cluster() starts
    out = {"changes": [], "passes": [], "min_margin": np.inf, "empty": False, "floor_matters": False,
           "max_distance": 0}
    for _ in range(max_iter):
        d = distances(X, C, typecode)
        labels = argmin(d).astype(np.uint8)
        gap, second = margins(d) if len(C) > 1 else (np.array([np.inf]), np.array([0.0]))
        out["min_margin"] = min(out["min_margin"], float(np.min(gap / (1.0 + second))))
        out["max_distance"] = max(out["max_distance"], float(d.max()))
        changes = int(np.sum(labels != a))
        a = labels
        out["changes"].append(changes)
        out["passes"].append((C.copy(), a.copy()))
        out["empty"] |= len(np.unique(a)) < len(C)
        if changes <= stop_changes:
            break
        C, floor_matters = update(X, C, a, typecode)
        out["floor_matters"] |= floor_matters
    out["centroids"], out["assignments"] = C, a
    return out


class Blob:
    def __init__(self):
        self.data = bytearray()

    def add(self, array, typecode):
        offset = len(self.data)
        self.data += np.asarray(array).astype(np.dtype(DTYPES[typecode]).newbyteorder("<")).tobytes()
        return offset


def write(outdir, name, blob, index):
    with open(os.path.join(outdir, name + ".bin"), "wb") as f:
        f.write(blob.data)
    with open(os.path.join(outdir, name + ".json"), "w") as f:
        json.dump(index, f)


def standardized(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def data_sets():
    """{name: (typecode, rows[, the data set they are made from, float32 step])}."""
    digits = datasets.load_digits().data[:DIGITS_ROWS].astype(np.uint8)
    assert digits.max() == 16
    wine = datasets.load_wine().data
    scale, offset = neighbors.fit_int16_standard_scaling(wine, 30000.0)
    wine_int16 = neighbors.quantize_int16(wine, scale, offset)
    assert wine_int16.min() < -15000 and wine_int16.max() == 30000
    step = np.float32(np.max(np.abs(standardized(wine))) / 30000.0)
    wine_f32 = wine_int16.astype(np.float32) * step
    assert wine_f32.dtype == np.float32 and np.max(np.abs(wine_f32 - standardized(wine))) < 1e-3
    return {"digits": ("B", digits), "wine_int16": ("h", wine_int16),
            "iris": ("f", standardized(datasets.load_iris().data).astype(np.float32)),
            "wine": ("f", wine_f32, "wine_int16", step)}


def sklearn_check(name, X, C0, run):
    """scikit-learn's KMeans from the same centroids: same labels and number
    of iterations, centers within 1e-5 of the model's."""
    km = KMeans(n_clusters=len(C0), init=C0, n_init=1, algorithm="lloyd", tol=0, max_iter=300).fit(X)
    assert run["changes"][-1] == 0, (name, "not converged")
    assert np.array_equal(km.labels_, run["assignments"]), name
    assert km.n_iter_ == len(run["changes"]), (name, km.n_iter_, len(run["changes"]))
    worst = float(np.max(np.abs(km.cluster_centers_ - run["centroids"])))
    assert worst <= 1e-5, (name, worst)
    return int(km.n_iter_)


def float_init(name, X, k):
    """Rows to start k clusters from (the first of seeded random draws) such
    that no cluster empties and no sample comes near a tie, at any pass."""
    rng = np.random.RandomState(0)
    for _ in range(200):
        rows = sorted(int(r) for r in rng.choice(len(X), k, replace=False))
        run = kmeans(X, X[rows], "f", max_iter=300)
        if run["changes"][-1] == 0 and not run["empty"] and run["min_margin"] > MARGIN \
                and len(run["changes"]) >= 4:
            return rows, run
    raise AssertionError("%s: no initial centroids without near-ties" % name)


def kmeans_case(blob, name, data, typecode, X, C0, max_iter, stop_changes, passes=0, rows=None):
    """The json entry of a run (and the run): the changes yielded, offsets of
    the final centroids and assignments, and of the centroids and assignments
    at the first `passes` yields. (The test passes max_iter and stop_changes
    itself.)"""
    run = kmeans(X, C0, typecode, max_iter, stop_changes)
    case = {"name": name, "data": data, "init_rows": rows, "changes": run["changes"],
            "assignments": blob.add(run["assignments"], "B"),
            "centroids": blob.add(run["centroids"], typecode)}
    if passes:
        case["passes"] = [{"centroids": blob.add(C, typecode), "assignments": blob.add(a, "B")}
                          for C, a in run["passes"][:passes]]
    return case, run


def argmin_case(blob, name, data, typecode, X, vector_rows, point_rows):
    """euclidean_argmin of each row of X[point_rows] among X[vector_rows]: the
    index and distance (the test takes the rows from the data set itself)."""
    V, P = X[vector_rows[0]:vector_rows[1]], X[point_rows[0]:point_rows[1]]
    d = distances(P, V, typecode)
    index = argmin(d)
    best = d[np.arange(len(P)), index]
    case = {"name": name, "data": data, "vectors": vector_rows, "points": point_rows,
            "index": blob.add(index, "B"), "distances": blob.add(best, "f" if typecode == "f" else "q")}
    if typecode == "f":
        gap, second = margins(d)
        assert np.all(gap / (1.0 + second) > MARGIN), name      # no near-tie: a fused multiply-add keeps the index
    return case


def main_cases(outdir):
    blob = Blob()
    sets = data_sets()
    index = {"data": {}, "kmeans": [], "argmin": []}
    for name, (typecode, X, *source) in sets.items():
        index["data"][name] = {"type": typecode, "n_samples": len(X), "features": X.shape[1]}
        if source:      # values of another data set times a float32 step
            index["data"][name].update({"from": source[0], "step": blob.add([source[1]], "f")})
        else:
            index["data"][name]["offset"] = blob.add(X, typecode)

    # digits, uint8
    X = sets["digits"][1]
    rng = np.random.RandomState(0)
    while True:
        first = sorted(int(r) for r in rng.choice(DIGITS_ROWS, 10, replace=False))
        if len(kmeans(X, X[first], "B", 100)["changes"]) > 12:
            break
    C0 = X[first]
    case, run = kmeans_case(blob, "digits", "digits", "B", X, C0, 100, 0, rows=first)
    assert len(run["changes"]) > 12 and run["changes"][-1] == 0 and run["changes"][0] == DIGITS_ROWS
    assert len(np.unique(run["assignments"])) == 10
    index["kmeans"].append(case)
    case, run = kmeans_case(blob, "digits-defaults", "digits", "B", X, C0, 10, 0, rows=first)
    assert len(run["changes"]) == 10 and min(run["changes"]) > 0
    index["kmeans"].append(case)
    case, run = kmeans_case(blob, "digits-stop-changes", "digits", "B", X, C0, 100, 5, rows=first)
    assert 3 <= len(run["changes"]) < 10 and run["changes"][-1] == 5 < min(run["changes"][:-1])
    index["kmeans"].append(case)
    case, run = kmeans_case(blob, "digits-max-iter", "digits", "B", X, C0, 3, 0, passes=3, rows=first)
    assert len(run["changes"]) == 3 and min(run["changes"]) > 0
    assert not np.array_equal(run["passes"][-1][0], run["centroids"])     # updated after the last pass
    index["kmeans"].append(case)
    C0 = np.vstack([X[first], X[first[0]], np.full(64, 255)])
    case, run = kmeans_case(blob, "digits-empty-clusters", "digits", "B", X, C0, 100, 0,
                            rows=first + [first[0], None])
    assert run["changes"][-1] == 0 and run["empty"]
    assert np.all(run["centroids"][11] == 255) and 11 not in run["assignments"]
    assert 10 not in run["passes"][0][1]          # the copy of row first[0] loses its ties to cluster 0
    assert 10 in run["passes"][1][1]              # but not once cluster 0 moved
    index["kmeans"].append(case)

    # wine, int16: negative sums
    X = sets["wine_int16"][1]
    rows = [59, 60, 130]     # 59: the farthest from another sample (distances above 2^32)
    case, run = kmeans_case(blob, "wine-int16", "wine_int16", "h", X, X[rows], 100, 0, rows=rows)
    assert run["changes"][-1] == 0 and len(run["changes"]) >= 4 and not run["empty"]
    assert run["floor_matters"] and run["max_distance"] > 2 ** 32
    assert run["centroids"].min() < 0
    index["kmeans"].append(case)

    # float32, checked against scikit-learn
    for name in ("iris", "wine"):
        X = sets[name][1]
        rows, _ = float_init(name, X, 3)
        case, run = kmeans_case(blob, name, name, "f", X, X[rows], 300, 0, rows=rows)
        case["sklearn_n_iter"] = sklearn_check(name, X, X[rows], run)
        index["kmeans"].append(case)

    # euclidean_argmin on the data sets
    index["argmin"].append(argmin_case(blob, "digits", "digits", "B", sets["digits"][1], (0, 40), (88, 128)))
    index["argmin"].append(argmin_case(blob, "wine-int16", "wine_int16", "h", sets["wine_int16"][1],
                                       (0, 40), (138, 178)))
    index["argmin"].append(argmin_case(blob, "wine", "wine", "f", sets["wine"][1], (0, 40), (138, 178)))
    index["argmin"].append(argmin_case(blob, "iris", "iris", "f", sets["iris"][1], (0, 25), (110, 150)))
    write(outdir, "kmeans_cases", blob, index)


def main_har(outdir):
    if not os.path.isdir(HAR):
        print("kmeans_cases: %s absent, no kmeans_har files written" % HAR)
        return
    parts, recordings = [], []
    for name in HAR_RECORDINGS:
        samples, n_rows = har_features.read_npy(os.path.join(HAR, name))
        parts.append(np.array(samples, dtype=np.int16).reshape(n_rows, har_features.AXES))
        recordings.append({"name": name, "n_rows": n_rows})
    X = np.vstack(parts)
    blob = Blob()
    index = {"recordings": recordings, "n_samples": len(X), "cases": []}
    starts = np.cumsum([0] + [r["n_rows"] for r in recordings])
    for k, stop_changes in ((4, 0), (8, 10)):
        # k samples spread over the recordings, 100 rows into each
        rows = [int(starts[i % 4] + 100 + 37 * (i // 4)) for i in range(k)]
        case, run = kmeans_case(blob, "har-%d" % k, "har", "h", X, X[rows], 100, stop_changes, rows=rows)
        assert run["changes"][-1] <= stop_changes and len(run["changes"]) >= 5, run["changes"]
        assert run["floor_matters"] and not run["empty"]
        index["cases"].append(case)
    write(outdir, "kmeans_har", blob, index)


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    main_cases(sys.argv[1])
    main_har(sys.argv[1])
