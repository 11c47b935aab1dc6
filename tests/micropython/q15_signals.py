# The input signals of the emlearn_iir_q15 tests, made by the same code in the reference
# generator (tests/reference/iir_q15_cases.py, CPython) and on the device: only small
# integers and array.array, which both have, so the two agree exactly.
import array


def signal_values(n, seed=1):
    """x = (75 x + 74) mod 65537, as int16 (x - 32768) >> 2: about +-8192, so no
    section of the test designs saturates."""
    out = array.array("h", bytes(2 * n))
    x = seed
    for i in range(n):
        x = (75 * x + 74) % 65537
        out[i] = (x - 32768) >> 2
    return out


def square_wave(n, half):
    """Full scale: half samples of 32767, half of -32768, repeated."""
    return array.array("h", [32767 if (i // half) % 2 == 0 else -32768 for i in range(n)])
