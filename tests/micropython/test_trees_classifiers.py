# emlearn_trees classifiers against scikit-learn and XGBoost: iris, wine, breast_cancer;
# decision tree, random forest, extra trees, gradient boosting, histogram gradient
# boosting, XGBClassifier; float and int16 inputs.
# needs: trees_cls.bin trees_cls.json trees_check.py
import emlearn_trees
import emltest
import trees_check


def test_identical_classes_and_probabilities():
    assert trees_check.check_cases(emlearn_trees, "trees_cls") == (36, 0)


emltest.main(globals())
