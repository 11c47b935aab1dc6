# emlearn_kmeans against numpy models of its algorithm (reference:
# tests/reference/kmeans_cases.py) on scikit-learn's data sets: digits as uint8 (to
# convergence, default max_iter, stop_changes, max_iter 3 pass by pass, clusters that
# start empty), wine as int16 (floor of negative means), iris and wine as float32 (as
# scikit-learn's KMeans, which the generator checks; wine where the heap holds its
# 9 kB, always on the unix port): the values yielded and the assignments exactly,
# centroids exactly (integers) or within 1e-5 (float32), through cluster_iter and
# cluster, arguments by position and keyword. euclidean_argmin on rows of those sets
# (float32 distances exact but on Cortex-M4F/M7) and ties. Buffer types accepted,
# each refusal with its exception, iterator protocol, heap returned. Extremes, arrays
# changed between passes, edge cases: test_kmeans_random_calls.py (a board's heap
# holds the data files, this source and its compilation, and no more).
# needs: kmeans_cases.bin kmeans_cases.json
import array
import gc
import json
import sys
import emlearn_kmeans
import emltest

INDEX = json.load(open("kmeans_cases.json"))
DATA = open("kmeans_cases.bin", "rb")
# Cortex-M4F/M7 (armv7emsp, armv7emdp): the compiler may fuse the distance's
# multiply-add, so float distances may differ from the model's in the last bits.
FUSED = sys.implementation._mpy >> 10 in (7, 8)
argmin = emlearn_kmeans.euclidean_argmin
cluster = emlearn_kmeans.cluster
cluster_iter = emlearn_kmeans.cluster_iter
A = array.array
raises = emltest.raises


def read(offset, n, t):
    out = bytearray(n) if t == "B" else A(t, range(n))      # no temporary copy
    DATA.seek(offset)
    DATA.readinto(out)
    return out


def rows(name, start, stop):
    """A new array of rows start to stop of a data set; wine as float32 is made
    from the int16 values times a float32 step (one product: exact everywhere)."""
    d = INDEX["data"][name]
    f = d["features"]
    if "from" not in d:
        return SETS[name][0][start * f:stop * f]
    v, step = SETS[d["from"]][0], read(d["step"], 1, "f")[0]
    out = A("f", range((stop - start) * f))
    for i in range(len(out)):
        out[i] = v[start * f + i] * step
    return out


# The data sets read once, first (later a board's heap has no room for big blocks),
# but float32 wine (9 kB), which only the test of the float32 k-means makes.
SETS = {}
for name in ("wine_int16", "digits", "iris"):
    d = INDEX["data"][name]
    SETS[name] = read(d["offset"], d["n_samples"] * d["features"], d["type"]), d["features"], d["type"]


def data(name):
    return SETS[name]


def case(name):
    return [c for c in INDEX["kmeans"] if c["name"] == name][0]


def start(c):
    """(values, initial centroids: the rows chosen (None: 255s), features, typecode)."""
    v, f, t = data(c["data"])
    init = A(t)
    for r in c["init_rows"]:
        init.extend(A(t, [255] * f) if r is None else v[r * f:r * f + f])
    return v, init, f, t


def check(c, centroids, a, t, at=None):
    """Assignments and centroids as the case's at its end, or at pass `at`."""
    w = c if at is None else c["passes"][at]
    want_a, want_c = read(w["assignments"], len(a), "B"), read(w["centroids"], len(centroids), t)
    assert bytes(a) == want_a, (c["name"], at, "assignments")     # (no lists: no big blocks)
    if t == "f":
        ok, worst = emltest.close(centroids, want_c, 1e-5)
        assert ok, (c["name"], at, worst)
    else:
        assert bytes(centroids) == bytes(want_c), (c["name"], at, "centroids")


def unassigned(n):
    return A("B", [255] * n)


def run_case(name, *args, **kw):
    """cluster_iter, then cluster: the case's yields and end state."""
    c = case(name)
    v, init, f, t = start(c)
    centroids, a = A(t, init), unassigned(len(v) // f)
    assert list(cluster_iter(v, centroids, a, f, *args, **kw)) == c["changes"], name
    check(c, centroids, a, t)
    a = cluster(v, init, f, *args, **kw)
    assert type(a) is A and len(bytes(a)) == len(a) == len(v) // f
    check(c, init, a, t)
    return c


def test_data_sets():
    run_case("digits", max_iter=100)
    run_case("digits", 100, 0)
    assert len(run_case("digits-defaults")["changes"]) == 10      # max_iter 10 stopped it
    run_case("digits-defaults", 10, stop_changes=0)
    run_case("digits-stop-changes", stop_changes=5, max_iter=100)    # stopped at 5 changes
    run_case("digits-max-iter", 3)
    run_case("wine-int16", 100)


def test_argmin_and_kmeans_float32_like_sklearn():
    # wine where the heap holds it (first, while the heap has room): always on the
    # unix port (x64, builtin)
    try:
        d = INDEX["data"]["wine"]
        SETS["wine"] = rows("wine", 0, d["n_samples"]), d["features"], "f"
    except MemoryError:
        assert sys.platform != "linux"
        print("  (k-means of float32 wine: no room on this board)")
    try:
        if "wine" in SETS:
            assert run_case("wine", 300)["sklearn_n_iter"] == len(case("wine")["changes"])
    finally:
        SETS.pop("wine", None)
    assert run_case("iris", 300)["sklearn_n_iter"] == len(case("iris")["changes"])
    assert argmin_cases("f") == ["wine", "iris"]


def test_stepped_max_iter_and_stop_changes():
    # max_iter 3: three yields; the next next() updates the centroids and stops;
    # later calls stop and change nothing
    c = case("digits-max-iter")
    v, centroids, f, t = start(c)
    a = unassigned(128)
    it = cluster_iter(v, centroids, a, f, max_iter=3)
    assert iter(it) is it
    for k in range(3):
        assert next(it) == c["changes"][k]
        check(c, centroids, a, t, at=k)
    last = bytes(centroids)
    for _ in range(3):
        raises(StopIteration, next, it)
        assert bytes(centroids) != last
        check(c, centroids, a, t)
    # stopped by stop_changes: no update after the last pass
    v, centroids, f, t = start(case("digits-stop-changes"))
    for n in cluster_iter(v, centroids, unassigned(128), f, 100, 5):
        last = bytes(centroids)
    assert n == 5 and bytes(centroids) == last


def test_empty_clusters_keep_their_centroids():
    # the 10 clusters of "digits", a copy of the first (empty at the first pass: its
    # samples are as near cluster 0, the lower index) and 255s (always empty)
    c = case("digits-empty-clusters")
    v, centroids, f, t = start(c)
    a = unassigned(128)
    it = cluster_iter(v, centroids, a, f, 100)
    assert next(it) == c["changes"][0] and max(a) == 9
    assert next(it) == c["changes"][1] and max(a) == 10
    r = c["init_rows"][0] * 64
    assert bytes(centroids[640:704]) == v[r:r + 64]        # kept at the first update
    assert list(it) == c["changes"][2:]
    check(c, centroids, a, t)
    assert bytes(centroids[704:]) == bytes([255]) * 64


def argmin_cases(typecode):
    """euclidean_argmin on the data set cases of one type: their names."""
    done = []
    for k in INDEX["argmin"]:
        if INDEX["data"][k["data"]]["type"] != typecode:
            continue
        vectors = rows(k["data"], k["vectors"][0], k["vectors"][1])
        n = k["points"][1] - k["points"][0]
        index, want = read(k["index"], n, "B"), read(k["distances"], n, "f" if typecode == "f" else "q")
        for i in range(n):
            got = argmin(vectors, rows(k["data"], k["points"][0] + i, k["points"][0] + i + 1))
            assert type(got) is tuple and got[0] == index[i] and type(got[1]) is type(want[i]), (k["name"], i)
            assert got[1] == want[i] or FUSED and typecode == "f" and abs(got[1] - want[i]) <= 1e-6 * want[i], \
                (got, want[i])
        done.append(k["name"])
    return done


def test_argmin_data_sets_and_ties():
    assert argmin_cases("B") + argmin_cases("h") == ["digits", "wine-int16"]
    v = data("digits")[0][:640]
    for r in range(10):     # rows 0 to 9 twice: each ties with its copy; the first wins
        assert argmin(v + v, v[r * 64:r * 64 + 64]) == (r, 0)
    for t in "Bhf":
        for p, want in (([2, 2], (0, 2)), ([3, 3], (1, 0)), ([1, 3], (0, 4))):
            got = argmin(A(t, [1, 1, 3, 3, 1, 1, 3, 3]), A(t, p))
            assert got == want and type(got[1]) is (float if t == "f" else int), (t, got)


def test_buffers_accepted():
    B = (lambda x: A("B", x), bytearray, bytes, lambda x: memoryview(bytes(x)),
         lambda x: memoryview(bytearray([9]) + bytearray(x))[1:], lambda x: memoryview(A("B", x)))
    for mv in B:
        for mp in B:
            assert argmin(mv([1, 2, 3, 4, 3, 1, 15, 251, 0, 0, 0, 0]), mp([3, 0, 16, 250])) == (1, 3)
    assert argmin(A("h", [-5, 5, 100, -100]), A("h", [99, -99])) == (1, 2)
    assert argmin(A("f", [0.5, -0.5, 2.0, 2.0]), A("f", [1.5, 1.5])) == (1, 0.5)
    # values of each uint8 kind; centroids and assignments array('B'), bytearray or
    # a memoryview of part of a bytearray: all as arrays('B') on 20 digits rows
    d, init = start(case("digits"))[:2]
    part = d[:1280]
    want = None
    for mv in B:
        for mc in (lambda x: A("B", x), bytearray, lambda x: memoryview(bytearray(b"\x07") + x)[1:]):
            c = mc(init)
            a = mc(bytes([255]) * 20)
            got = (list(cluster_iter(mv(part), c, a, 64, 8)), bytes(c), bytes(a))
            want = want or got
            assert got == want and got[0][0] == 20 and len(got[0]) > 1
    assert list(cluster(A("h", [0, 10, 20, 30]), A("h", [0, 30]), 1)) == [0, 0, 1, 1]
    assert list(cluster(A("f", [0, 10, 20, 30]), A("f", [0, 30]), 1)) == [0, 0, 1, 1]


def consumed(*args, **kw):
    return list(cluster_iter(*args, **kw))


def test_refusals():
    wrong = []      # every call not refused as documented, reported together
    names = {argmin: "euclidean_argmin", consumed: "cluster_iter", cluster: "cluster"}

    def expect(exc, fn, *args, **kw):
        try:
            fn(*args, **kw)
            e = None
        except exc:
            return
        except Exception as error:
            e = error
        wrong.append((names[fn], repr(args)[:70], kw, type(e).__name__ if e else "not refused"))

    ab, ah, af = A("B", [1, 2]), A("h", [1, 2]), A("f", [1, 2])
    for good in (ab, ah, af, bytes(2)):
        for bad in [A(t, [1, 2]) for t in "bHiIlLd"] + [[1, 2], (1, 2), 12, None, 1.5, "ab"]:
            expect(TypeError, argmin, good, bad)
            expect(TypeError, argmin, bad, good)
    for x, y in ((ab, ah), (ah, af), (af, ab), (bytes(2), ah), (bytearray(2), af), (memoryview(bytes(2)), ah)):
        expect(TypeError, argmin, x, y)     # mixed types
        expect(TypeError, argmin, y, x)
    for t in "Bhf":
        for v, p in (([1, 2], []), ([], [1, 2]), ([1, 2, 3], [1, 2]), ([1], [1, 2])):
            expect(ValueError, argmin, A(t, v), A(t, p))
    expect(TypeError, argmin, ab)
    # cluster_iter (refused at the call or at the first next()) and cluster
    v, c, a = A("B", [1, 2, 3, 4, 5, 6]), A("B", [1, 2, 5, 6]), unassigned(3)
    assert consumed(v, c, a, 2) == [3, 0] and list(a) == [0, 0, 1] and list(c) == [2, 3, 5, 6]
    vh, ch, vf, cf = A("h", v), A("h", c), A("f", v), A("f", c)
    for values, centroids in ((v, ch), (v, cf), (vh, c), (vh, cf), (vf, c), (vf, ch), (v, A("b", c)),
                              (A("b", v), c), (A("H", v), A("H", c)), (A("i", v), A("i", c)),
                              (A("d", v), A("d", c)), (list(v), c), (v, list(c)), (v, None), ("abcdef", c)):
        expect(TypeError, consumed, values, centroids, a, 2)
        expect(TypeError, cluster, values, centroids, 2)
    for bad in (A("b", a), A("h", a), list(a), None):
        expect(TypeError, consumed, v, c, bad, 2)
    for ro in (bytes, lambda n: memoryview(bytes(n))):     # read-only assignments, centroids
        expect((TypeError, ValueError), consumed, v, c, ro(3), 2)
        expect((TypeError, ValueError), consumed, v, ro(4), a, 2)
        expect((TypeError, ValueError), cluster, v, ro(4), 2)
    for f in (2.0, "2", None):
        expect(TypeError, consumed, v, c, a, f)
        expect(TypeError, cluster, v, c, f)
    for f in (0, -1, -2 ** 31, 4):      # 4: 6 values are not whole rows
        expect(ValueError, consumed, v, c, a, f)
        expect(ValueError, cluster, v, c, f)
    for centroids in (bytearray(), A("B", [1, 2, 3]), bytearray(256 * 2)):     # 0, 1.5, 256 clusters
        expect(ValueError, consumed, v, centroids, a, 2)
        expect(ValueError, cluster, v, centroids, 2)
    # 255 clusters at (0, 0): all samples tie, cluster 0 takes them and moves to (3, 4);
    # then (1, 2) is nearer cluster 1, still at (0, 0)
    assert list(cluster(v, bytearray(255 * 2), 2)) == [1, 0, 0]
    for n in (0, 2, 4, 6):
        expect(ValueError, consumed, v, c, unassigned(n), 2)
    for bad in (1.5, "3", None):
        expect(TypeError, consumed, v, c, a, 2, bad)
        expect(TypeError, consumed, v, c, a, 2, 10, bad)
        expect(TypeError, cluster, v, c, 2, max_iter=bad)
        expect(TypeError, cluster, v, c, 2, stop_changes=bad)
    expect(TypeError, consumed, v, c, a)
    expect(TypeError, consumed, v, c, a, 2, 10, 0, 1)
    expect(TypeError, cluster, v, c, 2, iterations=3)
    assert not wrong, wrong


def test_heap_returned():
    c = case("digits-max-iter")

    def use():
        v, init, f, t = start(c)
        assert consumed(v, A(t, init), unassigned(128), f, 3) == c["changes"]
        it = cluster_iter(v, A(t, init), bytearray(128), f, 3)
        assert next(it) > 0     # abandoned half-way
        assert len(cluster(v, init, f, 2)) == 128
        raises(ValueError, cluster, v[:256], bytearray(256), 1)
        raises(TypeError, argmin, v, A("h", [1]))
        keep = bytearray(2000)
        assert len(keep) == 2000
        return gc.mem_alloc()

    during, levels = emltest.heap_levels(use)
    assert during > levels[-1] + 2000, (levels, during)
    assert levels[-1] == levels[-2] == levels[-3], levels


emltest.main(globals())
