# emlearn_trees regressors against scikit-learn: diabetes and a 3-output make_regression;
# decision tree, random forest, extra trees, gradient boosting, histogram gradient
# boosting, XGBRegressor (3 outputs too), and isolation forests on the same data (their
# output: the mean path length minus the model's threshold, from score_samples); float
# and int16 inputs.
# needs: trees_reg.bin trees_reg.json trees_check.py
import emlearn_trees
import emltest
import trees_check


def test_values_within_float32():
    assert trees_check.check_cases(emlearn_trees, "trees_reg") == (24, 0)


emltest.main(globals())
