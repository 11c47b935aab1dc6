# emlearn_cnn_int8 on the int8 MNIST CNN of ../shared/data/cnn (tests/reference/
# cnn_cases.py): against the numpy evaluation of its arithmetic (emlearn_mp.tmdl) and
# against TensorFlow Lite's int8 model, on the MNIST examples, scikit-learn's digits and
# noise (cnn_check.py).
# needs: cnn/mnist_cnn_int8.tmdl cnn_cases.bin cnn_cases.json cnn_check.py
import emlearn_cnn_int8
import emltest
from cnn_check import INDEX, argmax, check_classes, check_float_inputs, expected, run_all, worst

MODEL = emlearn_cnn_int8.new(open("mnist_cnn_int8.tmdl", "rb").read())


def test_mnist_examples_classified():
    check_classes(MODEL)


def test_float_inputs_match_pixels():
    check_float_inputs(MODEL)


def test_matches_its_arithmetic():
    # int8 tensors are exact; the softmax is float32: measured 6e-8
    outputs, classes = run_all(MODEL)
    assert worst(outputs, "int8") < 1e-6, worst(outputs, "int8")
    for i, out in enumerate(outputs):
        assert classes[i] == argmax(out), i


def test_agrees_with_tflite_int8():
    # TFLite rounds its rescales twice in fixed point and quantizes the
    # softmax to steps of 1/256; the module rounds once and returns the
    # softmax unquantized. One step of the last layer's int8 output (0.128
    # in the logits) moves a probability by up to 0.032; measured 0.050 (on
    # a noise image). Classes may differ on near ties only.
    outputs, classes = run_all(MODEL)
    assert worst(outputs, "tflite_int8") < 0.07, worst(outputs, "tflite_int8")
    for i in range(INDEX["n_cases"]):
        ref = sorted(expected("tflite_int8", i))
        if ref[-1] - ref[-2] > 0.06:
            assert classes[i] == argmax(expected("tflite_int8", i)), i


emltest.main(globals())
