# emlearn_trees_lite against scikit-learn on digits (64 features, 10 classes): decision
# tree, random forest, extra trees give identical classes and probabilities, float and
# int16 inputs; the gradient boosting files are refused.
# needs: trees_digits.bin trees_digits.json trees_check.py
# targets: x64 armv6m armv7m rv32imc
import gc
import emltest

gc.collect()  # the boards' 140 kB heap holds these files; loading the module wants one free block
import emlearn_trees_lite  # noqa: E402
import trees_check  # noqa: E402


def test_identical_classes_and_probabilities():
    assert trees_check.check_cases(emlearn_trees_lite, "trees_digits", classifiers_only=True) == (6, 2)


emltest.main(globals())
