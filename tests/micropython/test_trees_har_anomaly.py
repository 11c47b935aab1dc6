# emlearn_trees as an anomaly detector on real accelerometer data (examples/har_trees):
# an IsolationForest trained on windows of the three exercises gives scikit-learn's
# output (mean path length minus the threshold's, negative for outliers) on every test
# window, the unseen "other" activity included. (The empty recording below is sent
# only to name the shared data, so that the test is skipped without it.)
# needs: har/har_record_exercises_1/data/2000-01-01T000407_squat.npy trees_har_anomaly.bin trees_har_anomaly.json trees_check.py
import emlearn_trees
import emltest
import trees_check


def test_outlier_margins_equal_sklearns():
    checked, refused = trees_check.check_cases(emlearn_trees, "trees_har_anomaly")
    assert checked >= 5 and refused == 0     # every test window, in chunks of 64


emltest.main(globals())
