# emlearn_arrayutils under seeded random calls: arrays of every typecode and length,
# memoryviews, bytes, numbers of every kind (big ints, NaN, inf) as positional and
# keyword arguments. A call may only succeed or raise TypeError, ValueError or
# OverflowError (a big int as start or stride), and never write past its outputs,
# which are often the front of a larger array whose rest is checked after the call.
# (test_arrayutils.py checks each refusal's message and the results.)
# needs: random_args.py
import array
import random
import emlearn_arrayutils as au
import emltest
from random_args import anything, number, pick, run_calls

REFUSALS = (TypeError, ValueError, OverflowError)


def call_linear_map(outputs, n):
    if random.getrandbits(1):
        inputs = array.array(pick("fh"), [random.getrandbits(7) for _ in range(n)])
    else:
        inputs = anything()
    args = [inputs, outputs, number(), number(), number(), number()]
    if not random.getrandbits(3):
        args = args[:random.getrandbits(3)]
    au.linear_map(*args)


def call_int16_from_bytes(outputs, n):
    data = pick((bytes(random.getrandbits(6)), bytearray(random.getrandbits(6)), anything()))
    kw = {}
    for name in ("start", "stride", "big_endian", "scale", "offset"):
        if random.getrandbits(1):
            kw[name] = number() if name in ("scale", "offset") else pick(
                (0, 1, 2, 3, -1, 7, 2 ** 31, 2 ** 64 + 1, -2 ** 70, 1.5, float("nan"), None, True))
    au.int16_from_bytes(data, outputs, **kw)


def step(guards):
    """One call, mostly into guarded outputs."""
    n = random.getrandbits(4)
    outputs = guards(pick("fh"), n)
    call = call_linear_map if random.getrandbits(1) else call_int16_from_bytes
    call(outputs if random.getrandbits(3) else anything(), n)


def test_random_calls():
    random.seed(3)
    succeeded, refused = run_calls(step, REFUSALS, 1500)
    assert succeeded > 100 and refused > 300, (succeeded, refused)


emltest.main(globals())
