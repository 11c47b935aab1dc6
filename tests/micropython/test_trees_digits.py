# emlearn_trees classifiers against scikit-learn on digits (64 features, 10 classes);
# decision tree, random forest, extra trees, gradient boosting, histogram gradient
# boosting; float and int16 inputs. (XGBoost on digits: test_trees_big.py.)
# needs: trees_digits.bin trees_digits.json trees_check.py
import emlearn_trees
import emltest
import trees_check


def test_identical_classes_and_probabilities():
    assert trees_check.check_cases(emlearn_trees, "trees_digits") == (10, 0)


emltest.main(globals())
