# Shared by test_neighbors_sklearn.py and test_neighbors_digits.py: builds the models
# of tests/reference/neighbors_cases.py on the device and checks every prediction
# against scikit-learn's and the ranking against numpy's.
import array
import gc
import json
import emlearn_neighbors


def read(f, offset, typecode, n):
    out = array.array(typecode, bytes((4 if typecode == "i" else 2) * n))
    f.seek(offset)
    f.readinto(out)
    return out


def read_into(f, offset, out):
    f.seek(offset)
    f.readinto(out)
    return out


def check_sets(name):
    """[(set, k, test rows, rows compared with scikit-learn directly)] for every
    case in name.json; raises AssertionError at the first difference."""
    index = json.load(open(name + ".json"))
    f = open(name + ".bin", "rb")
    done = []
    for s in index["sets"]:
        n, nf = s["n_train"], s["n_features"]
        labels = read(f, s["labels"], "h", n)
        # buffers made once and refilled: the heap of a board must keep a block
        # as large as the model free, between the file and everything else
        row = array.array("h", bytes(2 * nf))
        block = array.array("h", bytes(2 * 25 * nf))
        rec = array.array("i", bytes(4 * max(case["record"] for case in s["ks"])))
        for case in s["ks"]:
            k, size = case["k"], case["record"]
            gc.collect()
            model = emlearn_neighbors.new(n, nf, k)
            if k == 1:
                # one item at a time, as code written for emlearn-micropython adds them
                for i in range(n):
                    f.seek(s["train"] + 2 * nf * i)
                    f.readinto(row)
                    assert model.additem(row, labels[i]) == i
            else:
                # in blocks of 25 (a board's heap does not hold all rows twice)
                for first in range(0, n, 25):
                    m = min(25, n - first)
                    rows = memoryview(block)[:m * nf]
                    read_into(f, s["train"] + 2 * nf * first, rows)
                    assert model.additems(rows, labels[first:first + m]) == first
            direct = 0
            for t in range(s["n_test"]):
                read_into(f, case["offset"] + 4 * size * t, memoryview(rec)[:size])
                got = model.predict(read_into(f, s["test"] + 2 * nf * t, row))
                where = (s["name"], k, t)
                assert got == rec[0], (where, got, rec[0])
                if not rec[2]:      # no tie at the k-th place: scikit-learn's own label
                    assert got == rec[1], (where, got, rec[1])
                    direct += 1
                ranks = list(range(min(k + 1, n))) + [n - 1]
                for j, r in enumerate(ranks):
                    index_, distance, label = model.getresult(r)
                    assert (index_, distance) == (rec[3 + 2 * j], rec[4 + 2 * j]), (where, r)
                    assert label == labels[index_], (where, r)
            done.append((s["name"], k, s["n_test"], direct))
            del model
            gc.collect()
    return done
