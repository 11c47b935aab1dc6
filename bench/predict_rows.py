# Prints the class emlearn_trees predicts for every int16 row of rows.bin (used by tools/demo.py).
import array
import emlearn_trees

model = emlearn_trees.load(open("model.emlt", "rb").read())
n_features = model.features()
with open("rows.bin", "rb") as f:
    rows = array.array("h", bytes(f.seek(0, 2)))
    f.seek(0)
    f.readinto(rows)
classes = array.array("h", bytes(2 * (len(rows) // n_features)))
model.predict(rows, classes)
print(" ".join(str(c) for c in classes))
