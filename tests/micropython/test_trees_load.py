# emlearn_trees.load: every source of a binary model (bytes used in place, bytearray and
# views of it copied, a file path) gives the same predictions; a copy is isolated from later
# writes to its source; bytes cost no heap for the model; deleting a model returns the heap.
# test_trees_romfs.py covers read-only views and files on ROMFS.
# needs: trees_cls.bin trees_cls.json trees_check.py
import array
import gc
import json
import emlearn_trees
import emltest
import trees_check


def largest_case():
    cases = json.load(open("trees_cls.json"))
    case = max(cases, key=lambda c: c["model"][1])
    f = open("trees_cls.bin", "rb")
    f.seek(case["model"][0])
    data = f.read(case["model"][1])
    offset, typecode, n_rows, n_features = case["rows"]
    rows = trees_check.read(f, offset, typecode, n_rows * n_features)
    classes = trees_check.read(f, case["classes"], "h", n_rows)
    return data, rows, classes


DATA, ROWS, CLASSES = largest_case()
ROW = ROWS[:len(ROWS) // len(CLASSES)]


def batch_classes(model):
    got = array.array("h", bytes(2 * len(CLASSES)))
    model.predict(ROWS, got)
    return list(got)


def test_every_source_predicts_alike():
    assert batch_classes(emlearn_trees.load(DATA)) == list(CLASSES)
    assert batch_classes(emlearn_trees.load(bytearray(DATA))) == list(CLASSES)
    assert batch_classes(emlearn_trees.load(memoryview(bytearray(DATA)))) == list(CLASSES)
    # a view at an odd offset is not 4-byte aligned: copied to an aligned buffer
    padded = bytearray(1) + DATA
    assert batch_classes(emlearn_trees.load(memoryview(padded)[1:])) == list(CLASSES)
    with open("model.emlt", "wb") as f:
        f.write(DATA)
    assert batch_classes(emlearn_trees.load("model.emlt")) == list(CLASSES)
    emltest.raises(OSError, emlearn_trees.load, "no_such_model.emlt")


def test_copy_is_isolated_from_its_source():
    source = bytearray(DATA)
    model = emlearn_trees.load(source)
    for i in range(32, len(source)):  # everything after the header: thresholds, refs, leaves
        source[i] = 0xFF
    assert batch_classes(model) == list(CLASSES)
    emltest.raises(ValueError, emlearn_trees.load, source)


def heap_of(source):
    gc.collect()
    before = gc.mem_alloc()
    model = emlearn_trees.load(source)
    used = gc.mem_alloc() - before
    model.predict(ROW)
    return used


def test_bytes_are_used_in_place():
    copied = heap_of(bytearray(DATA))
    in_place = heap_of(DATA)
    assert copied >= len(DATA), (copied, len(DATA))
    assert in_place + len(DATA) <= copied + 16, (in_place, copied, len(DATA))


def load_and_drop():
    model = emlearn_trees.load(bytearray(DATA))
    model.predict(ROW)
    return gc.mem_alloc()


def test_delete_returns_heap():
    during, levels = emltest.heap_levels(load_and_drop)
    assert during > levels[-1] + len(DATA), (levels, during)
    assert levels[-1] == levels[-2] == levels[-3], levels


emltest.main(globals())
