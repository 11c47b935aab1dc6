# emlearn_trees_lite against scikit-learn on digits (64 features, 10 classes): decision
# tree, random forest, extra trees give identical classes and probabilities, float and
# int16 inputs; the (histogram) gradient boosting files are refused.
# needs: trees_digits.bin trees_digits.json trees_check.py
# targets: x64 armv6m armv7m armv7emsp armv7emdp rv32imc
import emlearn_trees_lite
import emltest
import trees_check


def test_identical_classes_and_probabilities():
    assert trees_check.check_cases(emlearn_trees_lite, "trees_digits", classifiers_only=True) == (6, 4)


emltest.main(globals())
