# emlearn_cnn_int8 and emlearn_cnn_fp32 on malformed TinyMaix models: every file of
# the corpus of python/emlearn_mp/cnn_badmodels.py (tests/reference/cnn_badmodels.py)
# must raise ValueError with the loader's reason, in both modules, from bytes and
# from a bytearray; its small valid models must load, run as the numpy reference
# (python/emlearn_mp/tmdl.py, run) computes and give their memory back.
# needs: cnn_badmodels.bin cnn_badmodels.json
import array
import gc
import json
import struct
import emlearn_cnn_fp32
import emlearn_cnn_int8
import emltest

INDEX = json.load(open("cnn_badmodels.json"))
MODULES = ((0, emlearn_cnn_int8), (2, emlearn_cnn_fp32))   # model type byte, module
NO_BASE = 255


def bad_models(max_length=0x7fffffff):
    """(name, bytearray, expected message) for each bad model of at most
    max_length bytes, one at a time: the .bin holds the valid models they
    are made from, and edits."""
    f = open("cnn_badmodels.bin", "rb")
    pos, count = INDEX["cases"]
    head = bytearray(12)
    edit = bytearray(6)
    for _ in range(count):
        f.seek(pos)
        f.readinto(head)
        message, base, name_len, length, n_edits = struct.unpack_from("<BBHIH", head)
        name = f.read(name_len).decode()
        if base != NO_BASE:
            name = INDEX["bases"][base][0] + "_" + name
        pos += 12 + name_len
        if length > max_length:     # past its edits, without allocating it
            for _ in range(n_edits):
                f.seek(pos)
                f.readinto(edit)
                pos += 6 + struct.unpack_from("<IH", edit)[1]
            continue
        data = bytearray(length)
        view = memoryview(data)
        if base != NO_BASE:
            _, offset, base_len = INDEX["bases"][base]
            f.seek(offset)
            f.readinto(view[:min(length, base_len)])
        for _ in range(n_edits):
            f.seek(pos)
            f.readinto(edit)
            at, n = struct.unpack_from("<IH", edit)
            f.readinto(view[at:at + n])
            pos += 6 + n
        del view
        yield name, data, INDEX["messages"][message]
    f.close()


def load_error(module, source):
    """The message of the ValueError that module.new(source) raises, or a
    description of what happened instead."""
    try:
        module.new(source)
    except ValueError as e:
        return str(e)
    except Exception as e:  # any other exception is a failure: report it
        return "%s %s" % (type(e).__name__, e)
    return "loaded"


OTHER_TYPE = {0: "model is float32: load it with emlearn_cnn_fp32",
              2: "model is int8: load it with emlearn_cnn_int8"}


def right_refusal(model_type, data, msg, expected):
    """Whether msg, from the module of model_type loading data, is the one
    due: the binding's, that the file is of the other module's type, if it
    has 64 bytes or more, the MAIX magic and the other type (header byte 4),
    which the binding checks before the loader; else the loader's reason."""
    other = 2 if model_type == 0 else 0
    if len(data) >= 64 and data[:4] == b"MAIX" and data[4] == other:
        return msg == OTHER_TYPE[model_type]
    return expected in msg


def test_every_reason_has_a_bad_model():
    # the reference script lists the reasons of src/core/eml_cnn.c that no file reaches
    assert INDEX["uncovered"] == [], INDEX["uncovered"]
    assert INDEX["core_messages"] >= 30, INDEX["core_messages"]


def test_bad_models_raise_the_loader_reason():
    bad = []
    n = other_type = 0
    for name, data, expected in bad_models():
        for model_type, module in MODULES:
            for source in (data, bytes(data)):
                msg = load_error(module, source)
                if not right_refusal(model_type, data, msg, expected):
                    bad.append((name, module.__name__, type(source).__name__, msg, expected))
                elif expected not in msg:
                    other_type += 1
        n += 1
        del data
        gc.collect()    # the boards' heap is small: no holes between the copies
    assert n == INDEX["cases"][1], n
    assert not bad, (len(bad), bad[:4])
    print("  %d bad models, 4 loads each; %d refused as the other type" % (n, other_type))


def read(offset, typecode, n):
    out = array.array(typecode, bytes(n * (4 if typecode == "f" else 1)))
    f = open("cnn_badmodels.bin", "rb")
    f.seek(offset)
    f.readinto(out)
    f.close()
    return out


def model_bytes(entry):
    return bytes(read(entry[1], "B", entry[2]))


def valid_model(entry):
    """name, model type, the file, pixels, float inputs, and the outputs
    expected from each."""
    name, offset, length, model_type, n_in, n_out, pixels, floats, want_p, want_f = entry
    return (name, model_type, model_bytes(entry), read(pixels, "B", n_in), read(floats, "f", n_in),
            read(want_p, "f", n_out), read(want_f, "f", n_out))


def close(got, expected):
    ok = True
    for g, e in zip(got, expected):
        ok = ok and abs(g - e) <= 1e-5 * max(1.0, abs(e))
    return ok and len(got) == len(expected)


def test_valid_models_run_as_the_reference():
    bad = []
    for entry in INDEX["valid"]:
        name, model_type, data, pixels, floats, want_p, want_f = valid_model(entry)
        for mt, module in MODULES:
            if mt != model_type:
                msg = load_error(module, data)
                assert msg == OTHER_TYPE[mt], (name, msg)
                continue
            for source in (data, bytearray(data)):
                model = module.new(source)
                assert len(model.input_dimensions()) >= 1
                out = array.array("f", bytes(4 * len(want_p)))
                for inputs, want in ((pixels, want_p), (floats, want_f)):
                    cls = model.run(inputs, out)
                    if not close(out, want):
                        bad.append((name, type(source).__name__, inputs.typecode, list(out), list(want)))
                    top = max(want)
                    if sum(1 for v in want if top - v <= 1e-4) == 1 and cls != list(want).index(top):
                        bad.append((name, "class", cls, list(want)))
    assert not bad, bad[:3]


def test_memory_returns_after_loads_runs_and_refusals():
    valid = [valid_model(entry) for entry in INDEX["valid"]]
    refused = []
    for name, data, expected in bad_models(1024):
        refused.append((data, expected))
        if len(refused) == 8:
            break

    def use():
        during = 0
        for name, model_type, data, pixels, floats, want_p, want_f in valid:
            module = emlearn_cnn_int8 if model_type == 0 else emlearn_cnn_fp32
            model = module.new(bytearray(data))
            out = array.array("f", bytes(4 * len(want_p)))
            model.run(pixels, out)
            model.run(floats, out)
            during = max(during, gc.mem_alloc())
        for data, expected in refused:
            for model_type, module in MODULES:
                msg = load_error(module, data if model_type == 0 else bytes(data))
                assert right_refusal(model_type, data, msg, expected), msg
        return during

    during, levels = emltest.heap_levels(use)
    assert during > levels[-1], (during, levels)
    assert levels[-1] == levels[-2] == levels[-3], levels


emltest.main(globals())
