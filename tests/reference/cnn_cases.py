"""Reference outputs for tests/micropython/test_cnn.py: the MNIST CNN of
../shared/data/cnn, in TinyMaix's format for the modules, and as TensorFlow Lite
models for the references.

Inputs (28x28 uint8 images, the model reads pixel / 255):
- the ten MNIST examples, mnist_example_N.bin of digit N;
- scikit-learn's digits (8x8, 0-16), each pixel made 2x2 and centred in
  28x28: other handwriting, from another data set (the model classifies 60%
  of them right: it learned MNIST's finer strokes). Stored as 8x8 pixels
  (p * 255 // 16): the test enlarges them, as the boards' RAM is small;
- a few images of noise from the generator of noise_image, which the test
  repeats, driving every value range.

Expected outputs:
- fp32: the TensorFlow Lite float model (emlearn_mp.tflite, in float64). The
  generator checks that the .tmdl file computes the same (emlearn_mp.tmdl);
- int8: emlearn_mp.tmdl's numpy evaluation of the int8 file with the modules'
  arithmetic (exact int8 tensors);
- tflite_int8: the TensorFlow Lite int8 model, as TFLite computes it, whose
  classes the int8 module should share.

Writes cnn_cases.bin (uint8 images, then float32 outputs) and cnn_cases.json
into the folder given; nothing without ../shared/data/cnn (the test is then
skipped: see tools/check.py).
"""
import json
import os
import sys

import numpy as np
from sklearn import datasets

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from emlearn_mp import tflite, tmdl  # noqa: E402

CNN = os.path.join(HERE, "..", "..", "..", "shared", "data", "cnn")
N_DIGITS = 12
N_NOISE = 2


def mnist_examples():
    for d in range(10):
        path = os.path.join(CNN, "mnist_examples", "mnist_example_%d.bin" % d)
        yield np.frombuffer(open(path, "rb").read(), np.uint8), d


def enlarge(small):
    """An 8x8 image as 28x28: each pixel 2x2, in a 6-pixel border (as the test)."""
    out = np.zeros((28, 28), np.uint8)
    out[6:22, 6:22] = np.kron(small.reshape(8, 8), np.ones((2, 2), np.uint8))
    return out.reshape(-1)


def sklearn_digits():
    digits = datasets.load_digits()
    for image, label in zip(digits.images[:N_DIGITS], digits.target[:N_DIGITS]):
        yield (image.astype(np.int64) * 255 // 16).astype(np.uint8).reshape(-1), int(label)


def noise_image(seed):
    """784 pixels from a 31-bit linear congruential generator (the test's)."""
    x, out = seed, []
    for _ in range(784):
        x = (x * 1103515245 + 12345) & 0x7fffffff
        out.append(x >> 23)
    return np.array(out, np.uint8)


def main(outdir):
    if not os.path.isdir(CNN):
        print("cnn_cases: ../shared/data/cnn absent, nothing written")
        return
    small = list(sklearn_digits())
    cases = list(mnist_examples()) + [(enlarge(im), label) for im, label in small]
    cases += [(noise_image(seed), -1) for seed in range(1, N_NOISE + 1)]
    images = np.stack([c[0] for c in cases])
    labels = [c[1] for c in cases]
    int8_file = tmdl.read(os.path.join(CNN, "mnist_cnn_int8.tmdl"))
    fp32_file = tmdl.read(os.path.join(CNN, "mnist_cnn_fp32.tmdl"))
    fp32_net = tflite.load(os.path.join(CNN, "mnist_cnn_fp32.tflite"))
    int8_net = tflite.load(os.path.join(CNN, "mnist_cnn_int8.tflite"))
    expected = {"fp32": [], "int8": [], "tflite_int8": []}
    for image in images:
        real = image.reshape(28, 28, 1) / 255.0
        expected["fp32"].append(fp32_net.run(real))
        expected["int8"].append(tmdl.run(int8_file, pixels=image))
        expected["tflite_int8"].append(int8_net.run(real))
        # The converter's float file is the TFLite model: checked here, so the
        # test's reference is the network itself.
        assert np.abs(tmdl.run(fp32_file, pixels=image) - expected["fp32"][-1]).max() < 1e-6
        # Real-valued input pixel / 255 quantizes to the same int8 input.
        values = (image.astype(np.float32) / np.float32(255.0))
        assert np.array_equal(tmdl.run(int8_file, values=values), expected["int8"][-1])
    blob = images[:10].tobytes() + np.stack([im for im, _ in small]).tobytes()
    index = {"n_cases": len(cases), "n_inputs": 784, "n_outputs": 10, "labels": labels,
             "n_mnist": 10, "n_digits": N_DIGITS, "n_noise": N_NOISE, "images": 0}
    for name, outputs in expected.items():
        index[name] = len(blob)
        blob += np.asarray(outputs, np.float32).tobytes()
    with open(os.path.join(outdir, "cnn_cases.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(outdir, "cnn_cases.json"), "w") as f:
        json.dump(index, f)


if __name__ == "__main__":
    main(sys.argv[1])
