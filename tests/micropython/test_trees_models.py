# emlearn_trees: emlearn CSV loading, malformed models, builder capacities, memory.
# (test_trees_emlearn_file.py reads a CSV file that emlearn itself wrote.)
# needs: trees_bad.bin trees_bad.json trees_check.py
import array
import gc
import io
import emlearn_trees
import emltest
import trees_check
from trees_check import XOR_CSV


def xor_model(capacities=(1, 3, 2)):
    model = emlearn_trees.new(*capacities)
    emlearn_trees.load_model(model, io.StringIO(XOR_CSV))
    return model


def test_xor_csv():
    model = xor_model()
    out = array.array("f", range(model.outputs()))
    expected = {(0, 0): 0, (32767, 32767): 0, (0, 32767): 1, (32767, 0): 1, (16383, 16384): 1,
                (16384, 16384): 0}
    for x, cls in expected.items():
        assert model.predict(array.array("h", x), out) == cls, x
        assert out[cls] == 1.0 and out[1 - cls] == 0.0, (x, out)


def test_malformed_csv_raises_value_error():
    for text in ("f,2\nc,2\nn,0,5,1\n",      # node with 4 fields
                 "f,2\nc,2\nl,1,2\n",        # leaf with 3 fields
                 "f,2\nc,2\nr,abc\n",        # not a number
                 "l,1\nf,2\nc,2\n",          # leaf before f and c
                 "f,0\nc,2\n",                # no features
                 "f,2\nc,2\nr,4\n",          # root beyond max_nodes (4)
                 "f,2\nc,2\nr,-5\n",         # root leaf beyond max_leaves (4)
                 "f,2\nc,2\nr,4294967296\n",  # 2^32: a big int, not root 0 wrapped
                 "f,2\nc,2\nr,-18446744073709551616\n",
                 "f,2\nc,2\nn,0,inf,-1,-2\n",  # int(inf) would be OverflowError
                 "f,2\nc,2\nn,0,nan,-1,-2\n",
                 "f,2\nc,2\nn,0,1e10,-1,-2\n",  # threshold outside int16
                 "f,2\nc,2\nn,4294967296,1,-1,-2\n"):
        model = emlearn_trees.new(2, 4, 4)
        emltest.raises(ValueError, emlearn_trees.load_model, model, io.StringIO(text))
    # a class leaf that is not a class index fails when the model is finished
    model = emlearn_trees.new(1, 1, 1)
    emlearn_trees.load_model(model, io.StringIO("f,2\nc,2\nl,2\nr,0\nn,0,1,-1,-1\n"))
    emltest.raises(ValueError, model.predict, array.array("h", [0, 0]))


def test_csv_lines_of_other_kinds_are_skipped():
    # emlearn-micropython's loader skips them; a newer emlearn may add kinds
    text = "# comment\nf,2\nc,2\nx,1,2,3\nl,0\nl,1\nr,0\nn,0,1,-1,-2\nmeta,7\n"
    model = emlearn_trees.new(1, 1, 2)
    emlearn_trees.load_model(model, io.StringIO(text))
    assert model.predict(array.array("h", [0, 0])) == 0
    assert model.predict(array.array("h", [1, 0])) == 1


def test_csv_node_values_truncate_toward_zero():
    # emlearn-micropython reads a node value as int(float(v)): -2.5 is -2, 2.9 is 2,
    # 32767.9 is 32767, 1e-30 is 0
    for text, below, at in (("-2.5", -3, -2), ("2.9", 1, 2), ("32767.9", 32766, 32767),
                            ("1e-30", -1, 0), ("-0.99", -1, 0), ("-32768.5", None, -32768)):
        model = emlearn_trees.new(1, 1, 2)
        emlearn_trees.load_model(model, io.StringIO("f,1\nc,2\nl,0\nl,1\nr,0\nn,0,%s,-1,-2\n" % text))
        if below is not None:
            assert model.predict(array.array("h", [below])) == 0, text
        assert model.predict(array.array("h", [at])) == 1, text


def test_out_of_range_ints_raise_value_error():
    # in a native module mp_obj_get_int truncates a big int to a machine
    # word: 2^64 + 1 would be 1; every such value must be refused instead
    big = 2 ** 64
    for args in ((big + 1, 4, 4), (4, big + 4, 4), (4, 4, -big), (True, 4, 4 - big)):
        emltest.raises(ValueError, emlearn_trees.new, *args)
    emltest.raises(TypeError, emlearn_trees.new, 1.5, 4, 4)
    model = emlearn_trees.new(2, 4, 4)
    emltest.raises(ValueError, model.setdata, big + 2, 2)
    emltest.raises(ValueError, model.setdata, 2, big + 2)
    emltest.raises(ValueError, model.setdata, 2, 2, big + 32)
    model.setdata(2, 2)
    for c in (big, -big, big + 1, 2 ** 31, -(2 ** 31) - 1):
        emltest.raises(ValueError, model.addroot, c)
        emltest.raises(ValueError, model.addnode, c, -1, 0, 0)
        emltest.raises(ValueError, model.addnode, -1, c, 0, 0)
        emltest.raises(ValueError, model.addnode, -1, -1, c, 0)
        emltest.raises(ValueError, model.addnode, -1, -1, 0, c)
    emltest.raises(TypeError, model.addroot, 1.0)


def test_builder_errors_say_why():
    # capacities too large for any heap are not "must be >= 1"
    assert "too large" in emltest.raises(ValueError, emlearn_trees.new, 100000, 10 ** 9, 10 ** 9)
    assert ">= 1" in emltest.raises(ValueError, emlearn_trees.new, 0, 4, 4)
    # the first predict finishes the model; later changes say so, setdata too
    model = emlearn_trees.new(1, 1, 2)
    model.setdata(1, 2)
    model.addleaf(0)
    model.addroot(-1)
    assert model.predict(array.array("h", [0])) == 0
    for call in ((model.setdata, 1, 2), (model.addleaf, 1), (model.addroot, -1)):
        assert "already finished" in emltest.raises(ValueError, *call), call
    # a model that failed to finish stays failed, and says so
    model = emlearn_trees.new(1, 1, 2)
    model.setdata(1, 2)
    model.addroot(0)    # node 0 is never added
    assert "out of range" in emltest.raises(ValueError, model.predict, array.array("h", [0]))
    assert "failed earlier" in emltest.raises(ValueError, model.setdata, 1, 2)
    assert "failed earlier" in emltest.raises(ValueError, model.predict, array.array("h", [0]))


def test_setdata_takes_leaf_bits():
    # emlearn-micropython's loader calls setdata(n_features, n_classes, leaf_bits);
    # leaf_bits 32 is a regressor (one output, whatever n_classes says)
    model = emlearn_trees.new(1, 1, 2)
    model.setdata(1, 2, 32)
    assert model.outputs() == 1
    model.addleaf(2.5)
    model.addleaf(-1.0)
    model.addroot(0)
    model.addnode(-1, -2, 0, 10)
    out = array.array("f", [0])
    assert model.predict(array.array("h", [3]), out) is None
    assert out[0] == 2.5 and model.outputs() == 1
    model.predict(array.array("h", [10]), out)
    assert out[0] == -1.0
    model = emlearn_trees.new(1, 1, 2)
    model.setdata(1, 3, 0)
    assert model.outputs() == 3
    emltest.raises(ValueError, model.setdata, 1, 3, 8)   # quantized leaves: not supported


def test_builder_beyond_int16_indices():
    # emlearn-micropython keeps roots and children in int16 (32767 nodes at
    # most); here any index within the capacities works. A chain of 33000
    # nodes needs about 200 kB, more than the emulated boards' heap.
    n = 33000
    gc.collect()
    if gc.mem_free() < 400000:
        print("skip: no room for", n, "nodes")
        return
    model = emlearn_trees.new(2, n, 2)
    model.setdata(1, 2)
    model.addleaf(0)
    model.addleaf(1)
    model.addroot(0)
    model.addroot(n - 1)                    # an absolute root index > 32767
    for i in range(n):
        # x < i % 30000 goes to class 0, else on to node i + 1
        model.addnode(-1, 1 if i + 1 < n else -2, 0, i % 30000)
    out = array.array("f", [0, 0])
    assert model.predict(array.array("h", [29999]), out) == 1 and out[1] == 1.0
    model.predict(array.array("h", [20000]), out)  # tree 0 left at node 20001, tree 1 right
    assert out[0] == 0.5 and out[1] == 0.5, out


def test_bad_models_raise_value_error():
    assert trees_check.check_bad_models(emlearn_trees) >= 30


def test_builder_capacity_errors_name_the_capacity():
    model = emlearn_trees.new(1, 1, 1)
    model.setdata(2, 2)
    model.addleaf(0)
    msg = emltest.raises(ValueError, model.addleaf, 1)
    assert "max_leaves" in msg, msg
    model.addnode(-1, -1, 0, 5)
    msg = emltest.raises(ValueError, model.addnode, -1, -1, 0, 5)
    assert "max_nodes" in msg, msg
    model.addroot(0)
    msg = emltest.raises(ValueError, model.addroot, 0)
    assert "max_trees" in msg, msg


def test_argument_errors():
    emltest.raises(TypeError, emlearn_trees.load, 12)
    emltest.raises(ValueError, emlearn_trees.load, b"")
    emltest.raises(ValueError, emlearn_trees.load, b"EMLT" + bytes(60))
    emltest.raises(ValueError, emlearn_trees.new, 0, 10, 10)
    model = xor_model()
    out = array.array("f", [0, 0])
    emltest.raises(ValueError, model.predict, array.array("h", [1, 2, 3]), out)
    emltest.raises(TypeError, model.predict, array.array("i", [1, 2]), out)
    emltest.raises(ValueError, model.predict, array.array("h", [1, 2]), array.array("f", [0]))


def test_predict_held_or_from_the_class():
    # model.predict is the model's own callable, not a bound method (see
    # trees_attr in the binding): the same object each time, the same
    # arguments as Model.predict, and it keeps the model alive.
    model = xor_model()
    row = array.array("h", [0, 32767])
    out = array.array("f", [0, 0])
    predict = model.predict
    assert predict is model.predict
    assert predict(row) == 1 and predict(row, out) == 1 and list(out) == [0.0, 1.0]
    out[1] = 0.0
    assert type(model).predict(model, row, out) == 1 and list(out) == [0.0, 1.0]
    emltest.raises(TypeError, predict)
    emltest.raises(TypeError, predict, row, out, out)
    emltest.raises(TypeError, predict, row, outputs=out)
    emltest.raises(TypeError, type(model).predict, 1, row)
    emltest.raises(AttributeError, setattr, model, "predict", predict)
    assert model.outputs() == 2 and model.features() == 2 and "predict" in dir(model)
    del model
    gc.collect()
    assert predict(array.array("h", [32767, 32767])) == 0


def array_impostor():
    class array:  # named like the array type, without its buffer
        typecode = "h"
    return array()


def test_inputs_and_outputs_of_every_buffer_kind():
    # array.array takes a fast path that reads the array directly; views
    # and other buffers go through the buffer protocol and must keep their
    # offsets. Rows (0, 0) and (0, 32767) have different XOR classes.
    model = xor_model()
    base = array.array("h", [0, 0, 32767, 0])
    assert model.predict(base[:2]) == 0
    assert model.predict(memoryview(base)[1:3]) == 1
    assert model.predict(array.array("f", [0.0, 32767.0])) == 1
    out_base = array.array("f", [9.0] * 4)
    assert model.predict(memoryview(base)[1:3], memoryview(out_base)[2:]) == 1
    assert out_base[0] == 9.0 and out_base[1] == 9.0 and out_base[3] == 1.0, out_base
    classes = array.array("h", [7, 7, 7])
    model.predict(array.array("h", [0, 0, 0, 32767]), memoryview(classes)[1:])
    assert list(classes) == [7, 0, 1], classes
    emltest.raises(TypeError, model.predict, array_impostor())
    emltest.raises(TypeError, model.predict, bytearray(4))
    emltest.raises(TypeError, model.predict, base[:2], array.array("i", [0, 0]))
    emltest.raises(TypeError, model.predict, base[:2], bytearray(8))
    # outputs over the inputs would be written before the walks read them
    rows = array.array("f", [0.0, 32767.0, 0.0, 0.0])
    view = memoryview(rows)
    for inputs, outputs in ((rows, rows), (view[:2], view[1:3]), (view[2:], view[:3])):
        assert "overlap" in emltest.raises(ValueError, model.predict, inputs, outputs)
    assert model.predict(view[:2], view[2:]) == 1 and list(rows) == [0.0, 32767.0, 0.0, 1.0]


def test_csv_from_a_binary_file():
    # open(path, "rb") gives bytes lines; they read as the text lines do
    with open("xor_written_here.csv", "w") as f:
        f.write(XOR_CSV)
    model = emlearn_trees.new(1, 3, 2)
    with open("xor_written_here.csv", "rb") as f:
        emlearn_trees.load_model(model, f)
    assert model.predict(array.array("h", [0, 32767])) == 1
    assert model.predict(array.array("h", [32767, 32767])) == 0


def make_model():
    model = xor_model((10, 300, 100))    # about 2.5 kB: room on a micro:bit
    model.predict(array.array("h", [0, 0]))
    return gc.mem_alloc()


def test_delete_returns_heap():
    during, levels = emltest.heap_levels(make_model)
    assert during > levels[-1] + 1000, (levels, during)
    assert levels[-1] == levels[-2] == levels[-3], levels


emltest.main(globals())
