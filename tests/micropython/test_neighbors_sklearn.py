# emlearn_neighbors against scikit-learn's KNeighborsClassifier on iris, wine and
# breast_cancer (standardized, quantized to int16; 30 test rows each), k = 1, 3, 4, 8:
# every label, and the ranking (index and distance of the nearest k + 1 items and of the
# farthest).
# needs: neighbors_check.py neighbors_small.bin neighbors_small.json
import emltest
from neighbors_check import check_sets


def test_matches_sklearn():
    done = check_sets("neighbors_small")
    assert len(done) == 12, done
    # at most one row in ten has items at equal distances across the k-th place
    # (then scikit-learn's choice among them is unspecified): the others compare directly
    assert 10 * sum(d for _, _, _, d in done) >= 9 * sum(n for _, _, n, _ in done), done


emltest.main(globals())
