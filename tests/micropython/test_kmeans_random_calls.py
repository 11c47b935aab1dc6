# emlearn_kmeans's argument handling and edge cases, against its specification and
# Model (the algorithm in Python, float32 rounding emulated); test_kmeans.py has the
# data sets (a board's heap holds one test's files, source and compilation).
# - Seeded random calls of euclidean_argmin, cluster_iter (stepped; arrays written or
#   resized between passes) and cluster, arguments of every kind and size: a call the
#   specification refuses must raise TypeError (type) or ValueError (size, value;
#   either when both, or for read-only arrays), any other give Model's yields,
#   assignments and centroids and write nothing past its arrays. What it leaves open
#   (memoryviews of int16/float arrays or as assignments, bool features, max_iter
#   2^40) may be refused. Cortex-M4F/M7 may fuse a multiply-add: there a float label
#   may be any cluster within 1e-5 of the nearest (a cluster() run with one: unchecked).
# - Arrays changed between passes; int16 sums above 2^31; cases worked by hand (floor
#   of negative means, ties, max_iter and stop_changes edges); euclidean_argmin at
#   int16 and uint8 extremes (distances above 2^32) and float32 sums feature by
#   feature. (Each refusal with its exception: test_kmeans.py.)
# needs: random_args.py
import array
import gc
import random
import sys
import emlearn_kmeans
import emltest
from random_args import chance, pick, run_calls

FUSED = sys.implementation._mpy >> 10 in (7, 8)      # armv7emsp, armv7emdp
argmin = emlearn_kmeans.euclidean_argmin
cluster = emlearn_kmeans.cluster
cluster_iter = emlearn_kmeans.cluster_iter
A = array.array
raises = emltest.raises
F = A("f", [0])
STOP, ERROR, OPEN = "stop", "error", "open"


def f32(x):
    F[0] = x
    return F[0]


class Model:
    """The algorithm on lists: x values, c centroids, a assignments; t typecode,
    f features, k clusters."""

    def __init__(self, t, f, k):
        self.t, self.f, self.k = t, f, k

    def nearest(self, x, s, c):
        """(index, all distances, the indices a fused multiply-add may make nearest)."""
        ds = []
        for j in range(self.k):
            acc = 0.0 if self.t == "f" else 0
            for m in range(self.f):
                d = x[s * self.f + m] - c[j * self.f + m]
                acc = f32(acc + f32(f32(d) * f32(d))) if self.t == "f" else acc + d * d
            ds.append(acc)
        best = min(ds)
        near = [j for j in range(self.k) if ds[j] <= best * (1 + 1e-5)] if FUSED and self.t == "f" else []
        return ds.index(best), ds, near

    def update(self, x, c, a):
        """The new centroids, or None (an assignment that is no cluster)."""
        f, c = self.f, list(c)
        if max(a + [0]) >= self.k:
            return None
        sums, counts = [0] * len(c), [0] * self.k
        for s in range(len(a)):
            counts[a[s]] += 1
            for m in range(f):
                i = a[s] * f + m
                sums[i] = f32(sums[i] + x[s * f + m]) if self.t == "f" else sums[i] + x[s * f + m]
        for i in range(len(c)):
            if counts[i // f]:
                c[i] = f32(sums[i] / counts[i // f]) if self.t == "f" else sums[i] // counts[i // f]
        return c

    def check_pass(self, x, c, a0, a1, changes):
        """A pass gave a1 from a0 and changes; returns whether a near tie was seen."""
        fragile = False
        for s in range(len(a0)):
            i, _, near = self.nearest(x, s, c)
            assert a1[s] == i or a1[s] in near, ("label", s, a1[s], i, x, c)
            fragile = fragile or len(near) > 1
        assert changes == sum(1 for s in range(len(a0)) if a0[s] != a1[s]), ("changes", changes)
        return fragile

    def run(self, x, c, a, max_iter, stop):
        """(yields, centroids, assignments, whether a near tie was seen)."""
        yields, fragile = [], False
        for _ in range(max_iter):
            new = [self.nearest(x, s, c)[0] for s in range(len(a))]
            changes = sum(1 for s in range(len(a)) if a[s] != new[s])
            fragile = self.check_pass(x, c, a, new, changes) or fragile
            yields.append(changes)
            a = new
            if changes <= stop:
                break
            c = self.update(x, c, a)
        return yields, c, a, fragile


class Stepper:
    """cluster_iter's state: emlearn-micropython's generator."""

    def __init__(self, model, max_iter, stop):
        self.model, self.left, self.stop, self.pending, self.done = model, max_iter, stop, False, False

    def step(self, it, x, c, a):
        """next(it) on the arrays as they are now, checked; False once it ended."""
        x0, c0, a0 = list(x), list(c), list(a)
        want = STOP if self.done else None
        if not self.done and self.pending:
            c0 = self.model.update(x0, c0, a0)
            want = ERROR if c0 is None else None
        if want is None and self.left <= 0:
            want = STOP
        try:
            got = next(it)
        except StopIteration:
            got = STOP
        except ValueError:
            got = ERROR
        assert got == want if want else type(got) is int, (got, want)
        if c0 is not None and got != ERROR:
            assert list(c) == c0, ("centroids", list(c), c0)
        if type(got) is not int:
            self.done = True
            return False
        self.model.check_pass(x0, c0, a0, list(a), got)
        self.left -= 1
        self.pending = got > self.stop
        self.done = not self.pending
        return True


def values(t, n):
    if t == "B":
        return [random.getrandbits(8) if chance(40) else random.getrandbits(2) for _ in range(n)]
    if t == "h":
        return [random.getrandbits(16) - 32768 if chance(30) else random.getrandbits(3) - 4 for _ in range(n)]
    if chance(5):
        return [pick((1e20, -1e20, 0.0, -0.0)) for _ in range(n)]
    # 16-bit values (squares round in float32) or small integers (ties)
    return [(random.getrandbits(16) - 32768) / 256 if chance(60) else random.getrandbits(3) - 4.0 for _ in range(n)]


def buffer(guards, t, n, read_only=50):
    """(an object of n values of typecode t (None: of no accepted type), t or
    None, writable, whether the specification leaves it open); uint8 read-only
    with read_only percent chance."""
    if t is None:
        bad = pick(("b", "H", "i", "d", "list", None, 7))
        return (A(bad, [1] * n) if type(bad) is str and len(bad) == 1 else [1] * n if bad == "list" else bad), \
            None, True, False
    vals = values(t, n)
    r = random.getrandbits(3)
    if r == 7:
        mv = guards(t, n)       # the front of a larger array: no write past it
        for i in range(n):
            mv[i] = vals[i]
        return mv, t, True, t != "B"
    if t != "B" or r < 2:
        return A(t, vals), t, True, False
    if chance(read_only):
        return (bytes(vals), memoryview(bytes(vals)))[r % 2], "B", False, False
    return (bytearray(vals), memoryview(bytearray(vals)))[r % 2], "B", True, False


def verdict(type_error, value_error, read_only, open_):
    """What a call must do: None (succeed), OPEN (either), or the exceptions it may raise."""
    if type_error or value_error or read_only:
        if read_only or type_error and value_error:
            return (TypeError, ValueError)
        return (TypeError,) if type_error else (ValueError,)
    return OPEN if open_ else None


def checked(must, call, lazy=False):
    """call(): it must succeed, may (OPEN), or must raise one of must (for lazy,
    at its first next())."""
    try:
        result = call()
        if lazy and must not in (None, OPEN):
            next(result)
    except (TypeError, ValueError) as e:
        assert must and (must == OPEN or type(e) in must), ("refused", must, e)
        raise
    assert must in (None, OPEN), ("not refused", must)
    return result


def size(obj):
    try:
        return len(obj)
    except TypeError:
        return 0


def random_argmin(guards):
    t, f, n = pick("BBhhff"), random.getrandbits(2), random.getrandbits(3)
    p, tp, _, open_p = buffer(guards, t if chance(85) else pick("Bhf") if chance(50) else None, f)
    v, tv, _, open_v = buffer(guards, t if chance(85) else pick("Bhf") if chance(50) else None,
                              f * n + (1 if chance(10) else 0))
    bad_size = size(p) == 0 or size(v) == 0 or size(v) % max(1, size(p))
    got = checked(verdict(tp is None or tv is None or tp != tv, bad_size, False, open_p or open_v),
                  lambda: argmin(v, p))
    model = Model(tp, len(p), len(v) // len(p))
    i, ds, near = model.nearest(list(p), 0, list(v))
    assert type(got) is tuple and type(got[1]) is type(ds[0]), got
    assert got[0] == i or got[0] in near, (got, i, ds)
    assert got[1] == ds[got[0]] or near and abs(got[1] - ds[got[0]]) <= 1e-6 * abs(ds[got[0]]), (got, ds)


def random_cluster(guards):
    t, f, k, n = pick("BBhhf"), 1 + random.getrandbits(2), 1 + random.getrandbits(2), random.getrandbits(4)
    if chance(5):
        f, k = 1, pick((0, 255, 256))

    def kind():
        return t if chance(90) else pick("Bhf") if chance(50) else None

    x, tx, wx, open_x = buffer(guards, kind(), n * f + (pick((-1, 1)) if chance(10) else 0))
    c, tc, wc, open_c = buffer(guards, kind(), k * f - (1 if chance(10) else 0), 10)
    a, ta, wa, open_a = buffer(guards, "B" if chance(95) else None, n + (pick((-1, 1)) if chance(5) else 0), 10)
    for i in range(size(a) if ta else 0):
        a[i] = random.getrandbits(8)
    features = f if chance(90) else pick((0, -1, float(f), None, "1", True))
    fv = 1 if features is True else features if type(features) is int else 0
    options = [pick((-2, -1, 0, 1, 2, 3, 5, 9)) if chance(90) else pick((1.5, "x", None, 2 ** 40))
               for _ in range(random.getrandbits(2) % 3)]
    type_error = tx is None or tc is None or tx != tc or type(features) not in (int, bool) or \
        any(type(o) is not int for o in options)
    value_error = type(features) is int and fv < 1 or fv > 0 and (
        size(x) % fv or size(c) % fv or not 0 < size(c) // fv <= 255)
    open_ = open_x or open_c or features is True or 2 ** 40 in options
    max_iter, stop = (options + [10, 0][len(options):])[:2]
    kw = {"max_iter": max_iter, "stop_changes": stop} if chance(30) else {}
    args = () if kw else tuple(options)
    model = Model(tx, max(1, fv), size(c) // max(1, fv))
    if chance(40) and 2 ** 40 not in options:       # cluster(): a new array('B'), from 255s
        x0, c0 = list(x), list(c)
        got = checked(verdict(type_error, value_error, not wc, open_), lambda: cluster(x, c, features, *args, **kw))
        yields, cm, am, fragile = model.run(x0, c0, [255] * (len(x0) // fv), max_iter, stop)
        assert type(got) is A and len(bytes(got)) == len(got) == len(am)
        if not fragile:
            assert list(got) == am and list(c) == cm, (list(got), am, list(c), cm, x0, c0, max_iter, stop)
        return
    type_error = type_error or ta is None
    value_error = value_error or fv > 0 and size(a) != size(x) // fv
    it = checked(verdict(type_error, value_error, not wc or not wa, open_ or open_a or type(a) is memoryview),
                 lambda: cluster_iter(x, c, a, features, *args, **kw), lazy=True)
    stepper = Stepper(model, max_iter, stop)
    for _ in range(12):
        if chance(15):      # the arrays written, or one resized, between passes
            target = pick((x, c, a) if wx else (c, a))
            if chance(80) and len(target):
                target[random.getrandbits(4) % len(target)] = pick((0, 1, k - 1, k, 200, 255)) & 255 \
                    if target is a else values(tx, 1)[0]
            elif type(target) is not memoryview:
                target.append(target[0] if len(target) else 0)
                try:
                    got = next(it)
                except ValueError:
                    got = ERROR
                except StopIteration:
                    got = STOP
                assert got == ERROR or stepper.done and got == STOP, ("resized", got)
                return
        if not stepper.step(it, x, c, a):
            return


def test_random_calls():
    random.seed(11)
    ref_v, ref_p = A("h", [-32768, 32767, 5, 5, 32767, -32768]), A("h", [-32768, -32768])

    def step(guards):
        (random_argmin if chance(30) else random_cluster)(guards)

    def check():
        assert argmin(ref_v, ref_p) == (1, 2 * 32773 ** 2)

    succeeded, refused = run_calls(step, (TypeError, ValueError, MemoryError), 1200, check)
    assert succeeded > 300 and refused > 200, (succeeded, refused)


def unassigned(n):
    return A("B", [255] * n)


def consumed(*args, **kw):
    return list(cluster_iter(*args, **kw))


def test_arrays_changed_between_passes():
    def step1():
        v, c, a = A("h", [0, 10, 20, 30]), A("h", [0, 30, 1000]), bytearray(b"\xff" * 4)
        it = cluster_iter(v, c, a, 1, 5)
        assert next(it) == 4 and list(a) == [0, 0, 1, 1]
        return v, c, a, it

    v, c, a, it = step1()
    a[1] = 1            # used by the update: {0} -> 0, {10, 20, 30} -> 20; 10 ties: cluster 0
    assert next(it) == 1 and list(c) == [0, 20, 1000] and list(a) == [0, 0, 1, 1]
    v, c, a, it = step1()
    v[3] = 40           # used by the update and the next pass
    c[2] = -50          # empty cluster: keeps what it is given
    assert next(it) == 0 and list(c) == [5, 30, -50]
    c[2] = 2
    raises(StopIteration, next, it)                 # converged: no update after it
    assert list(c) == [5, 30, 2]
    for x in (3, 200, 255):
        v, c, a, it = step1()
        a[2] = x                                    # not a cluster: ValueError at the update
        raises(ValueError, next, it)
    for k in range(3):
        for more in (1, 100):                       # resized (moved, for 100)
            arrays = step1()
            for _ in range(more):
                arrays[k].append(arrays[k][0])
            raises(ValueError, next, arrays[3])
    # one array as both values and centroids, or values and assignments: no crash
    x = bytearray([0, 10, 20, 30])
    for args in ((x, x, bytearray(4)), (x, bytearray([0, 30]), x)):
        try:
            assert len(consumed(*args, 1, 5)) <= 5
        except ValueError:
            pass
    # the iterator keeps its arrays alive
    it = cluster_iter(A("h", [0, 10, 20, 30]), A("h", [0, 30]), bytearray(4), 1)
    gc.collect()
    junk = [bytearray(40) for _ in range(20)]
    assert list(it) == [2, 0] and len(junk) == 20


def test_small_cases_and_edges():
    for t, v, c0, want in (("h", [-1, -2, 100, 101, 103], [-1, 100], [-2, 101]),    # floor(-3 / 2)
                           ("B", [0, 1, 200, 255, 255], [1, 200], [0, 236]),
                           ("f", [-1, -2, 100, 101, 103], [-1, 100], [-1.5, f32(f32(304) / 3)])):
        c = A(t, c0)
        assert list(cluster(A(t, v), c, 1)) == [0, 0, 1, 1, 1] and list(c) == want, (t, list(c))
    c = A("h", [5, 5, 5])       # ties: the lowest index; the others stay empty
    assert list(cluster(A("h", [1, 2, 9, 10]), c, 1)) == [0] * 4 and list(c) == [5, 5, 5]
    v = A("h", [0, 10, 20, 30])
    c, a = A("h", [0, 30]), bytearray(b"\x07" * 4)
    assert consumed(v, c, a, 1, 0) == [] and list(c) == [0, 30] and list(a) == [7] * 4   # max_iter 0
    assert list(cluster(v, c, 1, max_iter=0)) == [255] * 4 and list(c) == [0, 30]
    for args, kw, yields, final in (((1,), {}, [4], [5, 25]),         # one pass, then the update
                                    ((10, 4), {}, [4], [0, 30]),      # stopped: no update
                                    ((10, 3), {}, [4, 0], [5, 25]),
                                    ((5, -1), {}, [4, 0, 0, 0, 0], [5, 25]),
                                    ((), {"stop_changes": -1}, [4] + [0] * 9, [5, 25])):
        c = A("h", [0, 30])
        assert consumed(v, c, unassigned(4), 1, *args, **kw) == yields and list(c) == final, args
    # a cluster of 69990 samples 32767 and 32766: sum above 2^31, floor(mean) 32766.
    # A board has no room for 140 kB: there 2000 samples.
    for n in (70000, 2000):
        try:
            v = A("h", b"\xff\x7f\xfe\x7f" * (n // 2))
        except MemoryError:
            continue
        for i in range(10):
            v[i] = -32768
        c = A("h", [0, -32768])
        a = cluster(v, c, 1)
        assert list(c) == [32766, -32768] and sum(a) == 10, (n, list(c))
        break
    v = a = None


def test_argmin_extremes():
    n, lo, hi = 100, b"\x00\x80", b"\xff\x7f"      # -32768, 32767 (raw bytes)
    p, q = A("h", lo * n), A("h", hi * n)
    # row k: k features 32767, the rest -32768: distance to p k * 65535^2. k = 2
    # (8589672450) taken mod 2^32 (4294705154) would look nearer than k = 1 (4294836225)
    v = A("h")
    for k in (2, 1, n, 0):
        v.extend(A("h", hi * k + lo * (n - k)))
    assert argmin(v, p) == (3, 0) and argmin(v[:3 * n], p) == (1, 4294836225)
    assert argmin(v[:n], p) == (0, 8589672450) and argmin(v[3 * n:], q) == (0, 429483622500)
    assert argmin(v[:3 * n], q) == (2, 0)
    assert argmin(A("h", (lo + hi) * 200 + hi * 400), A("h", lo * 400)) == (0, 65535 ** 2 * 200)
    for n in (1, 64, 500):
        assert argmin(bytes([0]) * n, bytes([255]) * n) == (0, 65025 * n)
        assert argmin(bytes([255]) * n + bytes(n), bytearray(n)) == (1, 0)
    # float32, feature by feature: 1 + 4e-8 + 4e-8 stays 1; 4e-8 + 4e-8 + 1 does not
    z = A("f", [0, 0, 0])
    one, more = argmin(A("f", [1, 2e-4, 2e-4]), z), argmin(A("f", [2e-4, 2e-4, 1]), z)
    assert one == (0, 1.0) and more[1] > 1.0 or FUSED, (one, more)
    assert argmin(A("f", [1, 2e-4, 2e-4, 2e-4, 2e-4, 1]), z)[0] == 0
    try:        # 65535 features, the limit: 65025 * 65535, just below 2^32 (MemoryError on a board)
        big, zeros = bytes([255]) * 65536, bytes(65536)
    except MemoryError:
        big = None
    if big is not None:
        assert argmin(zeros[:65535], big[:65535]) == (0, 65025 * 65535)
        emltest.raises(ValueError, argmin, zeros, big)     # 65536 features: refused

emltest.main(globals())
