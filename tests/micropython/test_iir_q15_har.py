# emlearn_iir_q15 on real accelerometer recordings (reference: tests/reference/iir_q15_cases.py):
# the device reads two .npy recordings itself (one cut short while recording, 750 rows;
# one whole, 1000 rows) and filters each axis, in windows of 100 samples as they would
# arrive, with a 4th-order Butterworth lowpass at 5 Hz and a 2nd-order highpass at
# 0.5 Hz (gravity removal; without and with error feedback), fs 100. The outputs equal
# emlearn_mp.iir_q15.sosfilt_q15's
# bit for bit (the generator checks those against scipy within error_bound).
# needs: har/har_record_exercises_1/data/2000-01-01T000051_jumpingjack.npy har/har_record_exercises_1/data/2000-01-01T000204_lunge.npy iir_q15_har.bin iir_q15_har.json har_features.py
import array
import gc
import json
import emlearn_iir_q15
import emltest
import har_features

INDEX = json.load(open("iir_q15_har.json"))
DATA = open("iir_q15_har.bin", "rb")
CHUNK = 100


def read(offset, n):
    out = array.array("h", bytes(2 * n))
    DATA.seek(offset)
    DATA.readinto(out)
    return out


def test_recordings_filtered_bit_exact():
    filters = [(read(f["offset"], f["n_coefficients"]), f["post_shift"], f["error_feedback"])
               for f in INDEX["filters"]]
    n_rows_seen = []
    for recording in INDEX["recordings"]:
        gc.collect()
        samples, n_rows = har_features.read_npy(recording["name"])
        assert n_rows == recording["n_rows"], (recording["name"], n_rows)
        n_rows_seen.append(n_rows)
        outputs = iter(recording["outputs"])
        for c, post_shift, feedback in filters:
            for axis in range(har_features.AXES):
                y = array.array("h", bytes(2 * n_rows))
                for i in range(n_rows):
                    y[i] = samples[har_features.AXES * i + axis]
                f = emlearn_iir_q15.new(c, post_shift, error_feedback=feedback)
                for start in range(0, n_rows, CHUNK):
                    f.run(memoryview(y)[start:start + CHUNK])
                expected = read(next(outputs), n_rows)
                bad = [i for i in range(n_rows) if y[i] != expected[i]]
                assert not bad, (recording["name"], axis, bad[:3], y[bad[0]], expected[bad[0]])
        del samples
    assert n_rows_seen == [750, 1000], n_rows_seen


emltest.main(globals())
