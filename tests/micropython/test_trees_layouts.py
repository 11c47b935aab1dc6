# emlearn_trees on the model layouts and input types that the data-set tests do not
# reach: forests (wine classifier, diabetes regressor; float and int16 thresholds) in the
# wide layout, and fed rows of the other input type than their thresholds are for.
# needs: trees_layout.bin trees_layout.json trees_check.py
import emlearn_trees
import emltest
import trees_check


def test_wide_layout_and_other_input_type():
    assert trees_check.check_cases(emlearn_trees, "trees_layout") == (8, 0)


emltest.main(globals())
