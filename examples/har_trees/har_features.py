# Accelerometer windows to features, the same code on the host (CPython, for
# training) and on the device (MicroPython): integer arithmetic only, so both
# sides compute identical features and the device's model sees exactly the
# values it was trained on.
import array

WINDOW = 100            # samples per window: 1 s at the recorder's 100 Hz
AXES = 3                # x, y, z interleaved, as the recorder writes them
N_FEATURES = 5 * AXES   # per axis: mean, min, max, mean deviation, mean step


def read_npy(path):
    """(samples, n_rows) of an int16 (n, 3) .npy file written by a recording
    device: samples is array('h') of x, y, z interleaved. A file cut short
    while recording (its header names more rows than follow) gives the rows
    present; ValueError for anything else than int16 rows of 3. The samples
    are read straight into their array (raw little-endian bytes, as every
    MicroPython target and x86/ARM hosts store int16)."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:6] != b"\x93NUMPY":
            raise ValueError("%s: not a .npy file" % path)
        # format 1.0: u16 header length at byte 8; 2.0 and later: u32
        header_at = 10 if head[6] == 1 else 12
        length = head[8] | head[9] << 8
        if header_at == 12:
            length |= head[10] << 16 | head[11] << 24
        start = header_at + length
        f.seek(header_at)
        header = f.read(length)
        if b"'<i2'" not in header or b"'fortran_order': False" not in header:
            raise ValueError("%s: not little-endian int16 rows" % path)
        shape = header[header.index(b"(") + 1:header.index(b")")].replace(b" ", b"").split(b",")
        if len(shape) != 2 or int(shape[1]) != AXES:
            raise ValueError("%s: not rows of %d values" % (path, AXES))
        size = f.seek(0, 2)
        n_rows = min(int(shape[0]), (size - start) // (2 * AXES))
        samples = array.array("h", bytes(2 * AXES * n_rows))
        f.seek(start)
        f.readinto(samples)
    return samples, n_rows


def _int16(v):
    return -32768 if v < -32768 else 32767 if v > 32767 else v


def features(samples, row, out):
    """The N_FEATURES features of the window of WINDOW rows from row `row`,
    written into out (a list or array('h')), axis by axis: mean, min, max,
    mean absolute deviation from the mean, mean absolute step between
    consecutive samples (how fast it moves). Divisions floor."""
    for axis in range(AXES):
        first = row * AXES + axis
        end = first + WINDOW * AXES
        total = 0
        low = high = samples[first]
        for i in range(first, end, AXES):
            v = samples[i]
            total += v
            if v < low:
                low = v
            elif v > high:
                high = v
        mean = total // WINDOW
        deviation = 0
        step = 0
        prev = samples[first]
        for i in range(first, end, AXES):
            v = samples[i]
            deviation += v - mean if v > mean else mean - v
            step += v - prev if v > prev else prev - v
            prev = v
        k = axis * 5
        out[k] = mean
        out[k + 1] = low
        out[k + 2] = high
        out[k + 3] = _int16(deviation // WINDOW)
        out[k + 4] = _int16(step // (WINDOW - 1))
    return out


def windows(n_rows):
    """Start rows of the whole, non-overlapping windows of a recording."""
    return range(0, n_rows - WINDOW + 1, WINDOW)


# The recordings' classes (the last part of a file name), in scikit-learn's
# order of model.classes_: predict returns an index into this.
CLASSES = ("jumpingjack", "lunge", "other", "squat")
