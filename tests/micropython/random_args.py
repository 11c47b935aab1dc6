# Arguments for the random-call tests (test_*_random_calls.py): values of every kind
# a binding must take or refuse, drawn from MicroPython's random (seeded by the test,
# so a failure repeats). getrandbits and seed are all the ports are sure to have.
import array
import gc
import random

GUARD = 77  # fills the room after a call's outputs (exact in int16 and float)
FLOATS = (0.0, 1.0, -1.0, 0.5, 1e30, -1e30, float("nan"), float("inf"), float("-inf"))
NUMBERS = (0, 1, -1, 2, 3, 7, 64, 255, 32767, 32768, 65535, 65536, 2 ** 31 - 1, 2 ** 31,
           -2 ** 31, 2 ** 64 + 1, -2 ** 70, 0.5, -0.0, float("nan"), float("inf"), 1e38)


def pick(seq):
    return seq[random.getrandbits(16) % len(seq)]


def chance(percent):
    return random.getrandbits(7) % 100 < percent


def number():
    """An int of any size, a float of any kind, or a value that is no number."""
    if chance(10):
        return pick((None, "x", True, b"", (), [1.0]))
    return pick(NUMBERS) if chance(80) else random.getrandbits(16) - 32768


def some_array(lengths=(0, 1, 2, 3, 5, 6, 7, 12, 13, 16, 30)):
    """An array of a typecode a binding may take ("f", "h") or not, of any length."""
    typecode = pick("fhbBiH")
    n = pick(lengths)
    if typecode == "f":
        return array.array("f", [pick(FLOATS) for _ in range(n)])
    return array.array(typecode, [random.getrandbits(7) for _ in range(n)])


def anything():
    """An array, a memoryview of one (not always from its start), bytes, a
    bytearray or a number."""
    r = random.getrandbits(3)
    if r < 3:
        return some_array()
    if r == 3:
        return memoryview(some_array())[random.getrandbits(1):]
    if r == 4:
        return bytes(random.getrandbits(5))
    if r == 5:
        return bytearray(random.getrandbits(5))
    return number()


class Guards:
    """The outputs of one call: each a memoryview of the front of a larger
    array whose other values must stay GUARD."""

    def __init__(self):
        self.rooms = []

    def __call__(self, typecode, n):
        """n outputs of typecode ("f" or "h")."""
        room = array.array(typecode, [GUARD] * (n + 4))
        self.rooms.append((room, n))
        return memoryview(room)[:n]

    def intact(self):
        return all(room[k] == GUARD for room, n in self.rooms for k in range(n, len(room)))


def run_calls(step, refusals, n_calls, check=None, check_every=64):
    """(calls that succeeded, calls refused) of n_calls calls step(guards),
    guards a Guards for the outputs the call is given. A call may succeed or
    raise one of refusals; anything else fails the test after the last call,
    and so does a write past a guarded output. check(), if given, runs after
    every check_every calls and a collection, and at the end."""
    succeeded = refused = 0
    unexpected = []
    for i in range(n_calls):
        guards = Guards()
        try:
            step(guards)
            succeeded += 1
        except refusals:
            refused += 1
        except Exception as e:
            unexpected.append((i, type(e).__name__, str(e)))
        assert guards.intact(), (i, "wrote past the outputs")
        if i % check_every == check_every - 1:
            gc.collect()
            if check:
                check()
    if check:
        check()
    assert not unexpected, unexpected[:3]
    return succeeded, refused
