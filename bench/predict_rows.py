# Prints the class emlearn_trees predicts for every int16 row of rows.bin (used by tools/demo.py),
# reading and predicting 50 rows at a time so that a board's heap need not hold a second copy.
import array
import emlearn_trees

model = emlearn_trees.load(open("model.emlt", "rb").read())
n_features = model.features()
CHUNK = 50
rows = array.array("h", bytes(2 * CHUNK * n_features))
classes = array.array("h", bytes(2 * CHUNK))
out = []
with open("rows.bin", "rb") as f:
    while True:
        n = f.readinto(rows) // (2 * n_features)
        if n == 0:
            break
        got = memoryview(classes)[:n]
        model.predict(memoryview(rows)[:n * n_features], got)
        out.extend(got)
print(" ".join(str(c) for c in out))
