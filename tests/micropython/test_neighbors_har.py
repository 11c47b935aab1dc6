# emlearn_neighbors on the features of real accelerometer recordings (examples/har_trees,
# ../shared/data/har): 474 training windows of 15 features, standardized and quantized
# with emlearn_mp.neighbors, k = 5: scikit-learn's label for each of 160 test windows,
# and the ranking of the nearest six and of the farthest. (The recording it names, empty as
# the recorder left it, ties the test to ../shared/data: skipped without it.)
# needs: har/har_record_exercises_1/data/2000-01-01T000407_squat.npy neighbors_check.py neighbors_har.bin neighbors_har.json
import emltest
from neighbors_check import check_sets


def test_matches_sklearn():
    done = check_sets("neighbors_har")
    assert done == [("har", 5, 160, 160)], done     # no ties at the 5th place here


emltest.main(globals())
