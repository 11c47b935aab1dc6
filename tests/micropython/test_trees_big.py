# emlearn_trees against scikit-learn with full-size models: the benchmark forest
# (RandomForestClassifier(n_estimators=10, max_leaf_nodes=100) on digits), unpruned
# extra trees and random forests, gradient boosting, histogram gradient boosting and
# XGBoost with many trees, isolation forests of 100 trees; every test row and 300 rows at
# split thresholds, float and int16 inputs. Too big for the boards' heap, which run the
# same checks on smaller models (test_trees_classifiers/_digits/_regressors).
# needs: trees_big.bin trees_big.json trees_check.py
# targets: x64 builtin
import emlearn_trees
import emltest
import trees_check


def test_full_size_models_identical_to_scikit_learn():
    assert trees_check.check_cases(emlearn_trees, "trees_big") == (36, 0)


emltest.main(globals())
