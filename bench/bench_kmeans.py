# emlearn_kmeans.cluster against the same k-means in pure MicroPython, and against the
# loop emlearn-micropython runs (Python passes and updates around the C argmin, here this
# module's euclidean_argmin): 600 RGB pixels (uint8, 3 features) around 8 colours, 8
# clusters started at the first 8 pixels, 4 passes (stop_changes=-1: never earlier).
# Also the module alone on the same pixels as int16 and as float.
import array
import micropython
import emlearn_kmeans
import timing

N = 600
FEATURES = 3
CLUSTERS = 8
PASSES = 4


def pixels():
    # 8 colours, each value moved by up to +-24 (an LCG on small integers).
    colours = (20, 20, 20, 230, 40, 40, 40, 200, 60, 50, 60, 220, 240, 230, 60, 200, 60, 200,
               60, 210, 210, 235, 235, 235)
    out = array.array("B", bytes(N * FEATURES))
    x = 1
    for s in range(N):
        c = (s * 5) % CLUSTERS
        for j in range(FEATURES):
            x = (75 * x + 74) % 65537
            v = colours[c * FEATURES + j] + x % 49 - 24
            out[s * FEATURES + j] = 0 if v < 0 else 255 if v > 255 else v
    return out


def update(values, centroids, labels, features):
    # Each centroid to the floor of its samples' mean; an empty cluster keeps its own.
    k = len(centroids) // features
    sums = [0] * (k * features)
    counts = [0] * k
    for s in range(len(labels)):
        c = labels[s]
        counts[c] += 1
        for j in range(features):
            sums[c * features + j] += values[s * features + j]
    for c in range(k):
        if counts[c]:
            for j in range(features):
                centroids[c * features + j] = sums[c * features + j] // counts[c]


@micropython.native
def python_argmin(centroids, values, at, features):
    best = 0
    best_d = -1
    for c in range(len(centroids) // features):
        d = 0
        for j in range(features):
            e = values[at + j] - centroids[c * features + j]
            d += e * e
        if best_d < 0 or d < best_d:
            best, best_d = c, d
    return best


def python_kmeans(values, centroids, features, passes):
    labels = array.array("B", [255] * (len(values) // features))
    for p in range(passes):
        if p:
            update(values, centroids, labels, features)
        for s in range(len(labels)):
            labels[s] = python_argmin(centroids, values, s * features, features)
    return labels


def argmin_loop_kmeans(values, centroids, features, passes):
    # emlearn-micropython's structure: the passes in Python, each sample's argmin in C.
    argmin = emlearn_kmeans.euclidean_argmin
    labels = array.array("B", [255] * (len(values) // features))
    for p in range(passes):
        if p:
            update(values, centroids, labels, features)
        for s in range(len(labels)):
            labels[s] = argmin(centroids, values[s * features:(s + 1) * features])[0]
    return labels


def run(kmeans, values, typecode, passes):
    centroids = array.array(typecode, values[:CLUSTERS * FEATURES])
    labels = kmeans(values, centroids, FEATURES, passes)
    return labels, centroids


def module(values, centroids, features, passes):
    return emlearn_kmeans.cluster(values, centroids, features, max_iter=passes, stop_changes=-1)


def main():
    data = pixels()
    repeat = 5 if timing.UNIT == "us" else 1
    per = N * PASSES
    results = {}
    for name, kmeans, reps in (("module", module, repeat), ("argmin_loop", argmin_loop_kmeans, 1),
                               ("python", python_kmeans, 1)):
        results[name] = run(kmeans, data, "B", PASSES)
        print(name + "_per_sample_pass", timing.measure(lambda: run(kmeans, data, "B", PASSES), reps) / per)
    for typecode in ("h", "f"):
        values = array.array(typecode, data)
        labels, centroids = run(module, values, typecode, PASSES)
        print("module_%s_per_sample_pass" % typecode,
              timing.measure(lambda: run(module, values, typecode, PASSES), repeat) / per)
        if typecode == "h":     # the same integers, the same floored means
            print("agree_h", "yes" if labels == results["module"][0] else "NO")
    print("unit", timing.UNIT)
    print("agree", "yes" if results["module"] == results["python"] == results["argmin_loop"] else "NO")
    print("changes", list(emlearn_kmeans.cluster_iter(data, array.array("B", data[:CLUSTERS * FEATURES]),
                                                      bytearray(b"\xff" * N), FEATURES, max_iter=PASSES)))


main()
