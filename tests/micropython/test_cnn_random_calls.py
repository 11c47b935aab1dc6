# emlearn_cnn_int8 and emlearn_cnn_fp32 under seeded random calls: the small valid
# models of the bad-model corpus (tests/reference/cnn_badmodels.py: padded and
# depthwise convolutions, pooling, fully connected, softmax) given as bytes, bytearrays
# or unaligned memoryviews, run with inputs and outputs of every typecode and length
# (float inputs NaN and infinite too), numbers and other objects. A call may only
# succeed or raise TypeError or ValueError, must never write past the outputs it was
# given (the front of a larger array whose rest is checked), and a reference model
# must keep giving the same outputs. (test_cnn_api.py checks each refusal.)
# needs: random_args.py cnn_badmodels.bin cnn_badmodels.json
import array
import json
import random
import emlearn_cnn_fp32
import emlearn_cnn_int8
import emltest
from random_args import FLOATS, anything, pick, run_calls

REFUSALS = (TypeError, ValueError)
INDEX = json.load(open("cnn_badmodels.json"))
MODULES = {0: emlearn_cnn_int8, 2: emlearn_cnn_fp32}


def read(offset, n):
    data = bytearray(n)
    with open("cnn_badmodels.bin", "rb") as f:
        f.seek(offset)
        f.readinto(data)
    return data


# (model type, file bytes, number of inputs, number of outputs) of each valid model
MODELS = [(e[3], bytes(read(e[1], e[2])), e[4], e[5]) for e in INDEX["valid"] if e[2] < 4096]


def model_source(data):
    """The file as bytes (used in place), a bytearray, or a memoryview of a
    copy one byte in (unaligned: copied); or its front only."""
    r = random.getrandbits(2)
    if r == 0:
        return data
    if r == 1:
        return bytearray(data)
    if r == 2:
        return memoryview(b"\0" + data)[1:]
    return data[:random.getrandbits(10) % len(data)]


def inputs(n):
    """n pixels or floats, mostly; sometimes a wrong length or anything."""
    if not random.getrandbits(3):
        return anything()
    n = n if random.getrandbits(2) else pick((0, 1, n - 1, n + 1))
    if random.getrandbits(1):
        return array.array("B", [random.getrandbits(8) for _ in range(max(n, 0))])
    return array.array("f", [pick(FLOATS) if random.getrandbits(1) else random.getrandbits(8) / 255
                             for _ in range(max(n, 0))])


def reference_output(model, n_in, n_out):
    out = array.array("f", bytes(4 * n_out))
    model.run(array.array("B", [(37 * i) % 256 for i in range(n_in)]), out)
    return list(out)


def test_random_calls():
    random.seed(7)
    kind, data, n_in, n_out = MODELS[0]
    reference = MODULES[kind].new(data)
    expected = reference_output(reference, n_in, n_out)
    live = []

    def step(guards):
        op = random.getrandbits(2)
        if op == 0 or not live:
            del live[:-4]
            kind, data, n_in, n_out = pick(MODELS)
            module = MODULES[kind] if random.getrandbits(3) else MODULES[2 - kind]
            live.append((module.new(model_source(data) if random.getrandbits(3) else anything()), n_in, n_out))
        elif op == 1 and not random.getrandbits(1):
            model = pick(live)[0]
            assert len(model.input_dimensions()) >= 1 and len(model.output_dimensions()) >= 1
        else:
            model, n_in, n_out = pick(live)
            n = n_out if random.getrandbits(2) else pick((0, 1, n_out + 1))
            out = guards("f", n) if random.getrandbits(3) else anything()
            model.run(inputs(n_in), out)

    def check():
        assert reference_output(reference, n_in, n_out) == expected, "reference model changed"

    succeeded, refused = run_calls(step, REFUSALS, 1200, check)
    assert succeeded > 300 and refused > 300, (succeeded, refused)


emltest.main(globals())
