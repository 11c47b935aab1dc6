# emlearn_trees_lite refuses every regression file (decision tree, random forest, extra
# trees, (histogram) gradient boosting, XGBoost, isolation forest; float and int16
# inputs) with ValueError: the classifiers-only build has no values models.
# needs: trees_reg.bin trees_reg.json trees_check.py
# targets: x64 armv6m armv7m armv7emsp armv7emdp rv32imc
import emlearn_trees_lite
import emltest
import trees_check


def test_regressors_refused():
    assert trees_check.check_cases(emlearn_trees_lite, "trees_reg", classifiers_only=True) == (0, 24)


emltest.main(globals())
