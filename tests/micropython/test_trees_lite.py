# emlearn_trees_lite, the classifiers-only native module: scikit-learn's classes and
# probabilities for every classifier file of iris, wine and breast_cancer (decision tree,
# random forest, extra trees; float and int16 inputs), ValueError for boosting files
# ((histogram) gradient boosting, XGBoost) and for every malformed file, and no builder
# API. Regression files: test_trees_lite_regressors.py (one file each, so that a board's
# heap holds the data).
# needs: trees_cls.bin trees_cls.json trees_bad.bin trees_bad.json trees_check.py
# targets: x64 armv6m armv7m armv7emsp armv7emdp rv32imc
import array
import gc
import json
import emlearn_trees_lite
import emltest
import trees_check


def test_classifiers_identical_boosting_refused():
    # 36 cases: 3 data sets x 6 estimators x 2 input types; the 18 boosting ones
    # ((histogram) gradient boosting, XGBoost) are values models (a sum of trees and a
    # link function)
    assert trees_check.check_cases(emlearn_trees_lite, "trees_cls", classifiers_only=True) == (18, 18)


def test_bad_models_raise_value_error():
    assert trees_check.check_bad_models(emlearn_trees_lite) >= 30


def test_only_the_binary_model_api():
    assert not hasattr(emlearn_trees_lite, "new") and not hasattr(emlearn_trees_lite, "load_model")
    f = open("trees_cls.bin", "rb")
    case = json.load(open("trees_cls.json"))[0]
    f.seek(case["model"][0])
    model = emlearn_trees_lite.load(f.read(case["model"][1]))
    for name in ("predict", "outputs", "features"):
        assert hasattr(model, name), name
    for name in ("setdata", "addroot", "addnode", "addleaf"):
        assert not hasattr(model, name), name
    assert model.outputs() == case["expected"][1]
    assert model.features() == case["rows"][3]


def use_model(data, row):
    model = emlearn_trees_lite.load(data)
    model.predict(row)
    return gc.mem_alloc()  # the model is gone when the function returns


def test_delete_returns_heap():
    f = open("trees_cls.bin", "rb")
    case = json.load(open("trees_cls.json"))[0]
    f.seek(case["model"][0])
    data = bytearray(f.read(case["model"][1]))  # copied into the model's own buffer
    row = array.array("h", bytes(2 * case["rows"][3]))
    during, levels = emltest.heap_levels(lambda: use_model(data, row))
    assert during > levels[-1] + len(data) // 2, (levels, during)
    assert levels[-1] == levels[-2] == levels[-3], levels


emltest.main(globals())
