# emlearn_trees on real accelerometer recordings (examples/har_trees): the device
# reads .npy files as a recorder wrote them (one cut short, one empty) and
# computes the same integer features as the host, and the model takes
# scikit-learn's decisions on every test window of the data set.
# needs: har/har_record_exercises_1/data/2000-01-01T000051_jumpingjack.npy har/har_record_exercises_1/data/2000-01-01T000204_lunge.npy har/har_record_exercises_1/data/2000-01-01T000407_squat.npy trees_har.bin trees_har.json trees_har_features.json har_features.py trees_check.py
import array
import gc
import json
import emlearn_trees
import emltest
import har_features
import trees_check


def test_device_features_equal_the_hosts():
    expected = json.load(open("trees_har_features.json"))
    assert len(expected) == 2
    for name, values in expected.items():
        # a board's heap holds one recording: the last one's array is freed
        # and collected before the next is read (reading takes two 6 kB blocks)
        gc.collect()
        samples, n_rows = har_features.read_npy(name)
        row = array.array("h", bytes(2 * har_features.N_FEATURES))
        got = []
        for start in har_features.windows(n_rows):
            got.extend(har_features.features(samples, start, row))
        del samples
        assert got == values, name
    assert har_features.read_npy("2000-01-01T000051_jumpingjack.npy")[1] == 750   # cut short


def test_empty_recording_is_refused():
    emltest.raises(ValueError, har_features.read_npy, "2000-01-01T000407_squat.npy")


def test_identical_classes_and_probabilities():
    checked, refused = trees_check.check_cases(emlearn_trees, "trees_har")
    assert checked >= 5 and refused == 0     # every test window, in chunks of 64


emltest.main(globals())
