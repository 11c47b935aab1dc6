# On the device: classify accelerometer recordings with a model made by
# har_demo.py. Each whole second (100 samples) is a window; a recording's class
# is its windows' most frequent one. Prints one line per recording:
#   <file> <recording class> <class index of each window...>
#
#   micropython har_classify.py har_model.emlt rec1.npy [rec2.npy ...]
import array
import sys
import emlearn_trees
import har_features


def classify(model, path):
    """(recording class, [class index of each window])."""
    samples, n_rows = har_features.read_npy(path)
    row = array.array("h", bytes(2 * har_features.N_FEATURES))
    votes = [0] * len(har_features.CLASSES)
    classes = []
    for start in har_features.windows(n_rows):
        cls = model.predict(har_features.features(samples, start, row))
        classes.append(cls)
        votes[cls] += 1
    best = votes.index(max(votes)) if classes else None
    return best, classes


def main(args):
    model = emlearn_trees.load(args[0])
    for path in args[1:]:
        best, classes = classify(model, path)
        name = har_features.CLASSES[best] if best is not None else "-"
        print(path, name, " ".join(str(c) for c in classes))


main(sys.argv[1:])
