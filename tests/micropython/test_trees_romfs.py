# emlearn_trees.load from a ROMFS partition (MicroPython's VfsRom): a model file whose
# data is 4-byte aligned (images by emlearn_mp.romfs) is used in place, through a path,
# the open file or a memoryview of it, costing no heap for the model; one that is not
# (as `mpremote romfs build` may place it) is copied. Either way it predicts as
# scikit-learn. The images here are bytes objects mounted as VfsRom, as a board mounts
# its flash partition.
# needs: trees_romfs.img trees_romfs_unaligned.img trees_romfs.json trees_check.py
import array
import gc
import json
import vfs
import emlearn_trees
import emltest
import trees_check

REF = json.load(open("trees_romfs.json"))
ROWS = array.array("h", REF["rows"])
N_FEATURES = REF["n_features"]
N_CLASSES = len(REF["proba"]) // len(REF["classes"])


def mount(image, where):
    vfs.mount(vfs.VfsRom(open(image, "rb").read()), where)


mount("trees_romfs.img", "/rom")
mount("trees_romfs_unaligned.img", "/rom_un")


def check_predictions(model):
    out = array.array("f", bytes(4 * N_CLASSES))
    for r, expected in enumerate(REF["classes"]):
        got = model.predict(ROWS[r * N_FEATURES:(r + 1) * N_FEATURES], out)
        assert got == expected, (r, got, expected)
        for k in range(N_CLASSES):
            p = REF["proba"][r * N_CLASSES + k]
            assert trees_check.close(out[k], p, 0), (r, k, out[k], p)


def heap_of(make):
    """Heap a model made by make() keeps, once loaded. In place, that is the
    model object (and the file or view it holds): under a quarter of the
    model's bytes; a copy is more than all of them."""
    gc.collect()
    before = gc.mem_alloc()
    model = make()
    gc.collect()
    used = gc.mem_alloc() - before
    check_predictions(model)
    return used


def test_aligned_file_is_used_in_place():
    for path in ("/rom/model.emlt", "/rom/models/digits.emlt"):
        for make in (lambda: emlearn_trees.load(path),
                     lambda: emlearn_trees.load(open(path, "rb")),
                     lambda: emlearn_trees.load(memoryview(open(path, "rb")))):
            used = heap_of(make)
            assert used < REF["model_bytes"] // 4, (path, used)


def test_unaligned_file_is_copied():
    path = "/rom_un/model.emlt"
    for make in (lambda: emlearn_trees.load(path), lambda: emlearn_trees.load(memoryview(open(path, "rb")))):
        used = heap_of(make)
        assert used >= REF["model_bytes"], (used, REF["model_bytes"])


def test_read_only_views_are_used_in_place():
    data = open("/rom/model.emlt", "rb").read()
    for make in (lambda: emlearn_trees.load(data), lambda: emlearn_trees.load(memoryview(data))):
        used = heap_of(make)
        assert used < len(data) // 4, used
    for make in (lambda: emlearn_trees.load(bytearray(data)),
                 lambda: emlearn_trees.load(memoryview(bytearray(data)))):
        used = heap_of(make)
        assert used >= len(data), used


emltest.main(globals())
