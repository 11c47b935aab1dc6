"""emlearn_mp.tmdl against the TensorFlow Lite models the .tmdl files were converted from."""
import os

import numpy as np
import pytest

from emlearn_mp import tflite, tmdl

CNN = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "cnn")
pytestmark = pytest.mark.skipif(not os.path.isdir(CNN), reason="needs ../shared/data/cnn")


def example(digit: int) -> np.ndarray:
    path = os.path.join(CNN, "mnist_examples", "mnist_example_%d.bin" % digit)
    return np.frombuffer(open(path, "rb").read(), np.uint8)


def test_describe_lists_the_layers():
    text = tmdl.describe(tmdl.read(os.path.join(CNN, "mnist_cnn_int8.tmdl")))
    assert "int8 model, 3912 bytes, working memory 2136 bytes, input 28x28x1" in text
    assert text.count("conv2d") == 3 and "softmax" in text and "(output)" in text


def test_float_model_is_the_tflite_network():
    model = tmdl.read(os.path.join(CNN, "mnist_cnn_fp32.tmdl"))
    net = tflite.load(os.path.join(CNN, "mnist_cnn_fp32.tflite"))
    for digit in range(10):
        pixels = example(digit)
        got = tmdl.run(model, pixels=pixels)
        assert np.abs(got - net.run(pixels.reshape(28, 28, 1) / 255.0)).max() < 1e-6
        assert got.argmax() == digit


def test_int8_model_close_to_tflite_int8():
    # different rescale rounding and an unquantized softmax: see test_cnn_int8.py
    model = tmdl.read(os.path.join(CNN, "mnist_cnn_int8.tmdl"))
    net = tflite.load(os.path.join(CNN, "mnist_cnn_int8.tflite"))
    for digit in range(10):
        pixels = example(digit)
        got = tmdl.run(model, pixels=pixels)
        assert np.abs(got - net.run(pixels.reshape(28, 28, 1) / 255.0)).max() < 0.05
        assert got.argmax() == digit


def test_int8_trace_is_int8():
    trace: list = []
    tmdl.run(tmdl.read(os.path.join(CNN, "mnist_cnn_int8.tmdl")), pixels=example(3), trace=trace)
    assert len(trace) == 6
    for tensor in trace[:-1]:
        assert tensor.min() >= -128 and tensor.max() <= 127


def test_not_a_model():
    with pytest.raises(ValueError):
        tmdl.read(b"NOPE" + bytes(60))
