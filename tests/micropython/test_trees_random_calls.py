# emlearn_trees under seeded random calls with valid, damaged and wrong-typed
# arguments (trees_random_calls.py): refusals only, no crash, no corruption.
# needs: trees_layout.bin trees_layout.json trees_missing.bin trees_missing.json trees_random_calls.py random_args.py trees_check.py
import emlearn_trees
import emltest
import trees_random_calls


def test_random_calls():
    succeeded, refused = trees_random_calls.run(emlearn_trees, 600, seed=1)
    # enough of both for the run to mean something
    assert succeeded > 50 and refused > 300, (succeeded, refused)


emltest.main(globals())
