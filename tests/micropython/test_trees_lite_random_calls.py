# emlearn_trees_lite under the random calls of trees_random_calls.py.
# needs: trees_layout.bin trees_layout.json trees_missing.bin trees_missing.json trees_random_calls.py random_args.py trees_check.py
# targets: x64 armv6m armv7m armv7emsp armv7emdp rv32imc
import emlearn_trees_lite
import emltest
import trees_random_calls


def test_random_calls():
    succeeded, refused = trees_random_calls.run(emlearn_trees_lite, 600, seed=2)
    assert succeeded > 50 and refused > 300, (succeeded, refused)


emltest.main(globals())
