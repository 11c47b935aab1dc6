"""ROMFS images holding the int8 MNIST CNN of ../shared/data/cnn, for
tests/micropython/test_cnn_romfs.py:
- cnn_romfs.img by emlearn_mp.romfs, which aligns each file's data to 4 bytes:
  /mnist.tmdl;
- cnn_romfs_unaligned.img, as `mpremote romfs build` may make it (file data
  not aligned): /mnist.tmdl 2 bytes past a multiple of 4.
Nothing is written without ../shared/data/cnn (the test is then skipped).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from emlearn_mp import romfs  # noqa: E402

MODEL = os.path.join(HERE, "..", "..", "..", "shared", "data", "cnn", "mnist_cnn_int8.tmdl")


def main(outdir):
    if not os.path.exists(MODEL):
        print("cnn_romfs_cases: ../shared/data/cnn absent, nothing written")
        return
    data = open(MODEL, "rb").read()
    image = romfs.build_image({"mnist.tmdl": data})
    unaligned = romfs.build_image({"mnist.tmdl": data}, align=1)
    if image.find(data) % 4 != 0 or unaligned.find(data) % 4 != 2:
        raise SystemExit("cnn_romfs_cases: the images should place the model 0 and 2 bytes off")
    for name, blob in (("cnn_romfs.img", image), ("cnn_romfs_unaligned.img", unaligned)):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main(sys.argv[1])
