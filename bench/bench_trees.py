# emlearn_trees against a pure-MicroPython tree walker: RandomForestClassifier(n_estimators=10,
# max_leaf_nodes=100, random_state=1) on digits, int16 features (tools/bench.py converts it).
import array
import gc
import emlearn_trees
import timing

data = open("trees_bench.emlt", "rb").read()
N_FEATURES = 64
with open("trees_bench_rows.bin", "rb") as f:
    rows = array.array("h", bytes(f.seek(0, 2)))
    f.seek(0)
    f.readinto(rows)
n_rows = len(rows) // N_FEATURES
row = rows[:N_FEATURES]

gc.collect()
before = gc.mem_alloc()
model = emlearn_trees.load(data)      # bytes: used in place
in_place = gc.mem_alloc() - before
from_file = -1
if timing.UNIT == "us":  # boards' 140 kB heap cannot hold a third copy next to the rest
    writable = bytearray(data)  # as read from a file into RAM: copied, then validated
    gc.collect()
    before = gc.mem_alloc()
    copied = emlearn_trees.load(writable)
    from_file = gc.mem_alloc() - before
    del copied, writable

out = array.array("f", bytes(4 * model.outputs()))
# A straightforward pure-MicroPython walker over the same arrays (what users
# write without this module): nodes as lists, a vote per tree.
N = 0


def python_model():
    # format version 2: narrow layout, int8 (T8) or int16 thresholds, u8 class records
    import struct
    h = struct.unpack_from("<4sBBBBHHIIII", data, 0)
    flags, n_outputs, n_trees, n_nodes, n_leaf_words = h[3], h[6], h[7], h[8], h[9]
    assert h[1] == 2 and h[2] == 0 and flags & 0x0B == 0  # classifier; not FLOAT, WIDE, C16
    t8 = flags & 0x04
    pos = 32
    roots = list(struct.unpack_from("<%dH" % n_trees, data, pos))
    pos += (2 * n_trees + 3) & ~3
    feature = list(data[pos:pos + n_nodes])
    pos += (n_nodes + 3) & ~3
    if t8:
        threshold = list(struct.unpack_from("<%db" % n_nodes, data, pos))
        pos += (n_nodes + 3) & ~3
    else:
        threshold = list(struct.unpack_from("<%dh" % n_nodes, data, pos))
        pos += (2 * n_nodes + 3) & ~3
    left = list(struct.unpack_from("<%dH" % n_nodes, data, pos))
    pos += (2 * n_nodes + 3) & ~3
    right = list(struct.unpack_from("<%dH" % n_nodes, data, pos))
    pos += (2 * n_nodes + 3) & ~3
    leaves = data[pos:pos + n_leaf_words]
    return roots, feature, threshold, left, right, leaves, n_nodes, n_outputs


ROOTS, FEATURE, THRESHOLD, LEFT, RIGHT, LEAVES, N_NODES, N_OUTPUTS = python_model()


def python_predict(x, votes):
    for i in range(len(votes)):
        votes[i] = 0.0
    for root in ROOTS:
        n = root
        while n < N_NODES:
            n = LEFT[n] if x[FEATURE[n]] < THRESHOLD[n] else RIGHT[n]
        leaf = n - N_NODES
        if leaf < N_OUTPUTS:  # a pure leaf: the class itself
            votes[leaf] += 1.0
            continue
        off = leaf - N_OUTPUTS  # record n, class_0, count_0, ... in u8 words
        count = LEAVES[off]
        total = 0
        for k in range(count):
            total += LEAVES[off + 2 + 2 * k]
        for k in range(count):
            votes[LEAVES[off + 1 + 2 * k]] += LEAVES[off + 2 + 2 * k] / total
    best = 0
    for i in range(1, len(votes)):
        if votes[i] > votes[best]:
            best = i
    return best


votes = [0.0] * model.outputs()
agree = sum(1 for r in range(n_rows) if python_predict(rows[r * 64:(r + 1) * 64], votes)
            == model.predict(rows[r * 64:(r + 1) * 64], out))
fast = timing.UNIT == "us"
# On the boards the timer reads around each round cost about 2700 instructions
# (see timing.measure): 1000 calls, or 50 batches of 30 rows, bring their share
# under 3 instructions per call or row.
single = timing.measure(model.predict, 20000 if fast else 1000, (row, out))
single_class = timing.measure(model.predict, 20000 if fast else 1000, (row,))  # class only
batch_out = array.array("h", bytes(2 * n_rows))  # one class per row
batch = timing.measure(model.predict, 2000 if fast else 50, (rows, batch_out)) / n_rows
batch_proba_out = array.array("f", bytes(4 * n_rows * model.outputs()))  # probabilities per row
batch_proba = timing.measure(model.predict, 2000 if fast else 50, (rows, batch_proba_out)) / n_rows
python = timing.measure(python_predict, 20 if fast else 5, (row, votes))
# What the harness itself costs: the loop and a call of a native method that
# does almost nothing (emlearn_trees' outputs()). That call goes through a
# bound method, which model.predict does not (docs/emlearn_trees.md, speed
# notes), so its path is longer than predict's.
call = timing.measure(model.outputs, 20000 if fast else 1000)
print("unit", timing.UNIT)
print("module_per_predict", single)
print("module_per_predict_class", single_class)
print("module_per_row_batch", batch)
print("module_per_row_batch_proba", batch_proba)
print("python_per_predict", python)
print("speedup", python / single)
print("call_overhead", call)
print("model_bytes", len(data))
print("heap_in_place", in_place)
print("heap_copied", from_file)
print("python_agrees", agree, "of", n_rows)
