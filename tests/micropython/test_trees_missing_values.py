# emlearn_trees with NaN inputs: HistGradientBoosting and XGBoost models converted with
# nan="exact" (breast_cancer classifiers trained with missing values, diabetes regressors
# trained without) send every NaN where scikit-learn and XGBoost do, on rows with a fifth
# of their values NaN.
# needs: trees_missing.bin trees_missing.json trees_check.py
import emlearn_trees
import emltest
import trees_check


def test_nan_inputs_routed_as_sklearn():
    assert trees_check.check_cases(emlearn_trees, "trees_missing") == (4, 0)


emltest.main(globals())
