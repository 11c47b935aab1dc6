# emlearn_neighbors against scikit-learn's KNeighborsClassifier on digits (its own
# integer pixels, 64 features; 200 training and 30 test images), k = 1, 3, 4, 8: every
# label, and the ranking of the nearest k + 1 images and of the farthest.
# needs: neighbors_check.py neighbors_digits.bin neighbors_digits.json
import emltest
from neighbors_check import check_sets


def test_matches_sklearn():
    done = check_sets("neighbors_digits")
    assert len(done) == 4, done
    # at most one row in ten has items at equal distances across the k-th place
    # (then scikit-learn's choice among them is unspecified): the others compare directly
    assert 10 * sum(d for _, _, _, d in done) >= 9 * sum(n for _, _, n, _ in done), done


emltest.main(globals())
