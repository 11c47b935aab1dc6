# emlearn_cnn_int8.new from a ROMFS partition (MicroPython's VfsRom): a model file whose
# data is 4-byte aligned (images by emlearn_mp.romfs; tests/reference/cnn_romfs_cases.py)
# is used in place, through a path, the open file or a memoryview of it: the model then
# costs its working memory only. One that is not aligned is copied. Either way it
# classifies as from bytes. The images are bytes mounted as VfsRom, as a board mounts
# its flash partition.
# needs: cnn/mnist_examples/mnist_example_7.bin cnn_romfs.img cnn_romfs_unaligned.img
import array
import gc
import vfs
import emlearn_cnn_int8
import emltest

MODEL_BYTES = 3912
WORKING_MEMORY = 2136 + 108     # the file's buffer, one channel's weights

vfs.mount(vfs.VfsRom(open("cnn_romfs.img", "rb").read()), "/rom")
vfs.mount(vfs.VfsRom(open("cnn_romfs_unaligned.img", "rb").read()), "/rom_un")
IMAGE = array.array("B", open("mnist_example_7.bin", "rb").read())


def heap_of(make):
    """Heap the model made by make() keeps; it must classify the 7."""
    gc.collect()
    before = gc.mem_alloc()
    model = make()
    gc.collect()
    used = gc.mem_alloc() - before
    assert model.run(IMAGE, array.array("f", bytes(40))) == 7
    return used


def test_aligned_file_is_used_in_place():
    path = "/rom/mnist.tmdl"
    for make in (lambda: emlearn_cnn_int8.new(path), lambda: emlearn_cnn_int8.new(open(path, "rb")),
                 lambda: emlearn_cnn_int8.new(memoryview(open(path, "rb")))):
        used = heap_of(make)
        assert used < WORKING_MEMORY + 400, used


def test_unaligned_file_is_copied():
    path = "/rom_un/mnist.tmdl"
    for make in (lambda: emlearn_cnn_int8.new(path), lambda: emlearn_cnn_int8.new(memoryview(open(path, "rb")))):
        used = heap_of(make)
        assert used >= WORKING_MEMORY + MODEL_BYTES, used


emltest.main(globals())
