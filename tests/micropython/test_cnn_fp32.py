# emlearn_cnn_fp32 on the float MNIST CNN of ../shared/data/cnn (tests/reference/
# cnn_cases.py): against the TensorFlow Lite float model, evaluated in float64
# (emlearn_mp.tflite), on the MNIST examples, scikit-learn's digits and noise
# (cnn_check.py).
# needs: cnn/mnist_cnn_fp32.tmdl cnn_cases.bin cnn_cases.json cnn_check.py
import emlearn_cnn_fp32
import emltest
from cnn_check import argmax, check_classes, check_float_inputs, expected, run_all, worst

# First, while the heap is whole: 12.9 kB of file and 8.5 kB of working memory.
MODEL = emlearn_cnn_fp32.new(open("mnist_cnn_fp32.tmdl", "rb").read())


def test_mnist_examples_classified():
    check_classes(MODEL)


def test_float_inputs_match_pixels():
    check_float_inputs(MODEL)


def test_matches_tflite_float_model():
    # float32 sums against float64
    outputs, classes = run_all(MODEL)
    assert worst(outputs, "fp32") < 5e-6, worst(outputs, "fp32")
    for i in range(len(outputs)):
        assert classes[i] == argmax(expected("fp32", i)), i


emltest.main(globals())
