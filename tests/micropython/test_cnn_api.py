# emlearn_cnn_int8 and emlearn_cnn_fp32: the API. Inputs, errors, dimensions, models
# used in place, memory; with the int8 MNIST model of ../shared/data/cnn (the float one
# is too large to load beside test data on the emulated boards: test_cnn.py runs it).
# needs: cnn/mnist_cnn_int8.tmdl cnn/mnist_examples/mnist_example_2.bin cnn/mnist_examples/mnist_example_7.bin
import array
import gc
import emlearn_cnn_fp32
import emlearn_cnn_int8
import emltest

N_IN = 784


def model_bytes():
    with open("mnist_cnn_int8.tmdl", "rb") as f:
        return f.read()


def image(digit):
    with open("mnist_example_%d.bin" % digit, "rb") as f:
        return array.array("B", f.read())


def argmax(values):
    best = 0
    for i in range(len(values)):
        if values[i] > values[best]:
            best = i
    return best


def test_dimensions():
    model = emlearn_cnn_int8.new(model_bytes())
    assert model.input_dimensions() == (28, 28, 1)
    assert model.output_dimensions() == (10,)


def test_emlearn_micropython_usage():
    # emlearn-micropython's examples pass the model as array('B') and a
    # 10-float output; run returned None there (code that ignores it runs).
    model = emlearn_cnn_int8.new(array.array("B", model_bytes()))
    out = array.array("f", [0.0] * 10)
    model.run(image(7), out)
    assert argmax(out) == 7


def test_model_from_path():
    out = array.array("f", bytes(40))
    assert emlearn_cnn_int8.new("mnist_cnn_int8.tmdl").run(image(2), out) == 2


def test_wrong_module_for_model():
    data = model_bytes()
    msg = emltest.raises(ValueError, emlearn_cnn_fp32.new, data)
    assert "emlearn_cnn_int8" in msg, msg
    as_float = bytearray(data)
    as_float[4] = 2     # the header's model type: float32
    msg = emltest.raises(ValueError, emlearn_cnn_int8.new, as_float)
    assert "emlearn_cnn_fp32" in msg, msg


def test_argument_errors():
    model = emlearn_cnn_int8.new(model_bytes())
    out = array.array("f", bytes(40))
    emltest.raises(TypeError, emlearn_cnn_int8.new, 5)
    emltest.raises(TypeError, model.run, array.array("h", bytes(2 * N_IN)), out)
    emltest.raises(TypeError, model.run, image(2), array.array("B", bytes(10)))
    emltest.raises(TypeError, model.run, image(2), [0.0] * 10)
    emltest.raises(ValueError, model.run, array.array("B", bytes(N_IN - 1)), out)
    emltest.raises(ValueError, model.run, array.array("f", bytes(4 * N_IN + 4)), out)
    emltest.raises(ValueError, model.run, image(2), array.array("f", bytes(36)))
    emltest.raises(ValueError, model.run, image(2), array.array("f", bytes(44)))
    emltest.raises(ValueError, emlearn_cnn_int8.new, b"")
    emltest.raises(ValueError, emlearn_cnn_int8.new, model_bytes()[:1000])


def test_bytes_used_in_place():
    # bytes are used where they are (a model in flash costs no RAM); a
    # bytearray is copied, as later writes to it must not reach the model.
    data = model_bytes()
    gc.collect()
    before = gc.mem_alloc()
    kept = emlearn_cnn_int8.new(data)
    in_place = gc.mem_alloc() - before
    copied = emlearn_cnn_int8.new(bytearray(data))
    gc.collect()
    both = gc.mem_alloc() - before
    assert in_place < 2600, in_place        # working memory 2136 bytes, no copy
    assert both - in_place > len(data), (in_place, both)
    out = array.array("f", bytes(40))
    assert kept.run(image(2), out) == 2 and copied.run(image(2), out) == 2


def test_heap_returns():
    data = model_bytes()

    def use():
        model = emlearn_cnn_int8.new(bytearray(data))
        model.run(image(7), array.array("f", bytes(40)))
        return gc.mem_alloc()

    during, levels = emltest.heap_levels(use)
    assert levels[-1] == levels[-2] == levels[-3], levels


emltest.main(globals())
