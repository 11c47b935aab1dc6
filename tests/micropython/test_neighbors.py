# emlearn_neighbors: emlearn-micropython's own tests of its module (unchanged in what they
# check), the results of small models worked out by hand, exact distances at the limit of
# the faster loops, additems, every refusal, and that deleting a model returns the heap.
# (The scikit-learn comparisons are in test_neighbors_sklearn.py, test_neighbors_digits.py
# and test_neighbors_har.py.)
import array
import gc
import emlearn_neighbors
import emltest

H = lambda values: array.array("h", values)  # noqa: E731

EMLEARN_DATA = [
    (H([-100, -100, -2]), 0),
    (H([-100, -100, -2]), 0),
    (H([100, 100, 2]), 1),
    (H([100, 100, 2]), 1),
]


def test_emlearn_del():
    # emlearn-micropython's own bounds on the heap a small model takes
    gc.collect()
    before = gc.mem_alloc()
    model = emlearn_neighbors.new(30, 5, 1)
    added = gc.mem_alloc() - before
    assert 100 < added < 1000, added
    del model


def test_emlearn_trivial():
    model = emlearn_neighbors.new(100, 3, 2)
    item = H([0, 0, 0])
    for x, y in EMLEARN_DATA:
        i = model.additem(x, y)
        model.getitem(i, item)
        assert item == x
    assert model.predict(EMLEARN_DATA[3][0]) == 1
    assert model.predict(EMLEARN_DATA[0][0]) == 0


def test_emlearn_get_results():
    model = emlearn_neighbors.new(100, 3, 1)
    for x, y in EMLEARN_DATA:
        model.additem(x, y)
    assert model.predict(EMLEARN_DATA[1][0]) == 0
    # sqrt(200^2 + 200^2 + 4^2) = 282.87: emlearn's distances are rounded down
    assert [model.getresult(i) for i in range(4)] == [(0, 0, 0), (1, 0, 0), (2, 282, 1), (3, 282, 1)]


def test_votes_and_ties():
    model = emlearn_neighbors.new(10, 1, 4)
    for x, y in ((0, 9), (1, 5), (2, 9), (3, 5), (4, 5), (100, -2)):
        model.additem(H([x]), y)
    assert model.predict(H([0])) == 5      # 9 5 9 5: a tie, the smaller label
    assert model.predict(H([100])) == 5    # -2 5 5 9
    assert model.predict(H([1])) == 5      # 5, then 9 9 (items 0 and 2), then 5: a tie
    # 2; 1 and 3 at 1 (equal: the earlier first); 0 and 4 at 2: 0 is fourth, not 4:
    # 9 5 5 9, a tie again
    assert model.predict(H([2])) == 5
    assert [model.getresult(r)[0] for r in range(6)] == [2, 1, 3, 0, 4, 5]
    assert [model.getresult(r)[1] for r in range(6)] == [0, 1, 1, 2, 2, 98]


def test_fewer_items_than_k():
    model = emlearn_neighbors.new(10, 2, 5)
    model.additem(H([0, 0]), -7)
    assert model.predict(H([5, 5])) == -7
    model.additem(H([10, 10]), 3)
    model.additem(H([11, 11]), 3)
    assert model.predict(H([0, 0])) == 3
    assert model.getresult(2) == (2, 15, 3)


def test_extremes():
    # the largest distances are exact: 40 features at opposite ends of int16
    n = 40
    model = emlearn_neighbors.new(2, n, 1)
    model.additem(H([32767] * n), 1)
    model.additem(H([32767] + [-32768] * (n - 1)), 2)
    assert model.predict(H([-32768] * n)) == 2
    assert model.getresult(0) == (1, 65535, 2)
    assert model.getresult(1) == (0, 414479, 1)    # isqrt(40 * 65535^2)


def test_narrow_limit():
    # values within +-11585 take the faster loops (Cortex-M4/M7: two features per
    # instruction, for an even number of features): distances at that limit are exact,
    # and a query past it takes the general loop
    expected = {
        (16, False): [(1, 0, 2), (2, 46340, 3), (0, 92680, 1)],
        (16, True): [(1, 23171, 2), (2, 46340, 3), (0, 89737, 1)],
        (15, False): [(1, 0, 2), (2, 44868, 3), (0, 89737, 1)],
        (15, True): [(1, 23171, 2), (2, 44868, 3), (0, 86694, 1)],
    }
    for n in (16, 15):
        model = emlearn_neighbors.new(3, n, 1)
        model.additem(H([11585] * n), 1)
        model.additem(H([-11585] * n), 2)
        model.additem(H([0] * n), 3)
        for wide in (False, True):
            query = H([11586 if wide else -11585] + [-11585] * (n - 1))
            assert model.predict(query) == 2
            assert [model.getresult(r) for r in range(3)] == expected[(n, wide)], (n, wide)


def test_additems():
    model = emlearn_neighbors.new(5, 2, 1)
    assert model.additems(H([0, 0, 10, 10]), H([1, 2])) == 0
    assert model.additems(H([]), H([])) == 2
    assert model.additem(H([20, 20]), 3) == 2
    assert model.additems(H([30, 30, 40, 40]), H([4, -5])) == 3
    assert model.predict(H([39, 41])) == -5
    out = H([0, 0])
    model.getitem(3, out)
    assert out == H([30, 30])
    # all or nothing: a full model takes none of them
    model = emlearn_neighbors.new(3, 2, 1)
    model.additem(H([0, 0]), 1)
    assert "full" in emltest.raises(ValueError, model.additems, H([1, 1, 2, 2, 3, 3]), H([1, 2, 3]))
    emltest.raises(ValueError, model.getitem, 1, out)
    assert model.additems(H([1, 1, 2, 2]), H([1, 2])) == 1


def test_results_follow_the_model():
    model = emlearn_neighbors.new(4, 1, 1)
    emltest.raises(ValueError, model.predict, H([0]))          # no items yet
    model.additem(H([0]), 1)
    emltest.raises(ValueError, model.getresult, 0)             # no prediction yet
    model.predict(H([3]))
    assert model.getresult(0) == (0, 3, 1)
    emltest.raises(ValueError, model.getresult, 1)             # one item
    model.additem(H([4]), 2)                                   # forgets the ranking
    emltest.raises(ValueError, model.getresult, 0)
    assert model.predict(H([3])) == 2


def test_refusals():
    new = emlearn_neighbors.new
    for args in ((0, 3, 1), (65536, 3, 1), (10, 0, 1), (10, 65536, 1), (10, 3, 0), (10, 3, 11),
                 (-1, 3, 1), (2 ** 64, 3, 1), (10, 2 ** 70, 1), (10, 3, -2 ** 70)):
        emltest.raises(ValueError, new, *args)
    for args in ((1.5, 3, 1), ("10", 3, 1), (10, None, 1), (10, 3, [1])):
        emltest.raises(TypeError, new, *args)
    model = new(3, 2, 1)
    for bad in (array.array("f", [0.0, 0.0]), array.array("i", [0, 0]), b"\x00\x00\x00\x00", 5, None):
        emltest.raises(TypeError, model.additem, bad, 1)
        emltest.raises(TypeError, model.predict, bad)
    for n in (0, 1, 3):
        emltest.raises(ValueError, model.additem, H([0] * n), 1)
    for label in (32768, -32769, 2 ** 40, -2 ** 80):
        emltest.raises(ValueError, model.additem, H([0, 0]), label)
    emltest.raises(TypeError, model.additem, H([0, 0]), 1.0)
    model.additem(H([1, 2]), True)     # a bool is the int 1
    for n in (1, 3):
        emltest.raises(ValueError, model.predict, H([0] * n))
    emltest.raises(ValueError, model.additems, H([0, 0, 0]), H([1]))
    emltest.raises(ValueError, model.additems, H([0, 0]), H([1, 2]))
    emltest.raises(TypeError, model.additems, H([0, 0]), array.array("b", [1]))
    out = H([0, 0])
    for index in (-1, 1, 2 ** 64):
        emltest.raises(ValueError, model.getitem, index, out)
    emltest.raises(ValueError, model.getitem, 0, H([0]))
    emltest.raises(TypeError, model.getitem, 0, b"\x00\x00\x00\x00")     # read-only
    model.predict(H([0, 0]))
    for rank in (-1, 1, 2 ** 64):
        emltest.raises(ValueError, model.getresult, rank)
    emltest.raises(TypeError, type(model).predict, None, H([0, 0]))     # unbound, not a model
    emltest.raises(TypeError, type(model).getresult, 5, 0)
    model.getitem(0, out)
    assert out == H([1, 2]) and model.getresult(0) == (0, 2, 1)


def test_too_big_for_the_heap():
    emltest.raises(MemoryError, emlearn_neighbors.new, 65535, 65535, 1)
    emltest.raises(MemoryError, emlearn_neighbors.new, 60000, 100, 1)


def use_model():
    model = emlearn_neighbors.new(200, 8, 3)
    for i in range(200):
        model.additem(H([i] * 8), i % 3)
    model.predict(H([7] * 8))
    model.getresult(150)
    return gc.mem_alloc()


def test_delete_returns_heap():
    during, levels = emltest.heap_levels(use_model)
    assert during > levels[-1] + 200 * (16 + 10), (levels, during)
    assert levels[-1] == levels[-2] == levels[-3], levels


emltest.main(globals())
