# emlearn_kmeans on real accelerometer recordings (../shared/data/har; reference:
# tests/reference/kmeans_cases.py): the device reads four recordings itself (jumping
# jacks, cut short while recording: 750 rows; lunges, squats, other: 1000 rows each)
# and clusters their 3750 samples (x, y, z as int16: 3 features, negative values),
# starting from samples of each recording: 4 clusters to convergence, and 8 clusters
# stopped by stop_changes 10. The values yielded, the assignments and the centroids
# equal the generator's numpy model of the algorithm exactly, through cluster_iter and
# through cluster.
# needs: har/har_record_exercises_1/data/2000-01-01T000051_jumpingjack.npy har/har_record_exercises_1/data/2000-01-01T000204_lunge.npy har/har_record_exercises_1/data/2000-01-01T000308_squat.npy har/har_record_exercises_1/data/2000-01-01T000132_other.npy kmeans_har.bin kmeans_har.json har_features.py
import array
import gc
import json
import emlearn_kmeans
import emltest
import har_features

INDEX = json.load(open("kmeans_har.json"))
DATA = open("kmeans_har.bin", "rb")
AXES = har_features.AXES
OPTIONS = {"har-4": (100, 0), "har-8": (100, 10)}    # max_iter, stop_changes (as the generator)


def read(offset, n, typecode):
    out = array.array(typecode, range(n))       # n values, without a temporary copy
    DATA.seek(offset)
    DATA.readinto(out)
    return out


def all_samples():
    """The recordings' samples, one after the other, in one array('h')."""
    out = array.array("h", range(AXES * INDEX["n_samples"]))
    at = 0
    for recording in INDEX["recordings"]:
        samples, n_rows = har_features.read_npy(recording["name"])
        assert n_rows == recording["n_rows"], (recording["name"], n_rows)
        for i in range(AXES * n_rows):
            out[at + i] = samples[i]
        at += AXES * n_rows
        samples = None
        gc.collect()
    assert at == len(out)
    return out


X = all_samples()
N = len(X) // AXES


def initial(c):
    centroids = array.array("h")
    for r in c["init_rows"]:
        centroids.extend(X[AXES * r:AXES * r + AXES])
    return centroids


def check(c, centroids, assignments):
    want = read(c["assignments"], N, "B")
    bad = [i for i in range(N) if assignments[i] != want[i]]
    assert not bad, (c["name"], "assignments", len(bad), bad[:3])
    want = read(c["centroids"], len(centroids), "h")
    assert list(centroids) == list(want), (c["name"], list(centroids), list(want))


def test_recordings_clustered_exactly():
    assert [r["n_rows"] for r in INDEX["recordings"]] == [750, 1000, 1000, 1000]
    assert min(X) < 0
    done = []
    for c in INDEX["cases"]:
        max_iter, stop_changes = OPTIONS[c["name"]]
        centroids = initial(c)
        a = array.array("B", [255] * N)
        changes = list(emlearn_kmeans.cluster_iter(X, centroids, a, AXES, max_iter, stop_changes=stop_changes))
        assert changes == c["changes"], (c["name"], changes, c["changes"])
        check(c, centroids, a)
        centroids = initial(c)
        a = emlearn_kmeans.cluster(X, centroids, AXES, max_iter=max_iter, stop_changes=stop_changes)
        check(c, centroids, a)
        done.append((c["name"], len(changes), changes[-1]))
        a = None
        gc.collect()
    assert done == [("har-4", 19, 0), ("har-8", 21, 8)], done


emltest.main(globals())
