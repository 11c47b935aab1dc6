"""XGBoost models through the converter: the file must take XGBoost's own
decisions (strict x < t on float32 thresholds, default sides for NaN) and
give its outputs within float32 rounding. The forms of test_trees_convert.py's
data-set tests (XGBClassifier, XGBRegressor, float and int16) are there; these
are the options that change how a model is read."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import xgboost

from emlearn_mp import trees, trees_xgboost
from emlearn_mp.trees import to_binary
from emlearn_mp.trees_reader import model_info, predict_binary

from test_trees_convert import (check_classifier, check_nan_routing, check_regressor, dataset,
                                with_missing)


def check_booster_margin(booster, data, X, n_outputs):
    """A Booster's own prediction (margin objectives: the values)."""
    out, cls = predict_binary(data, X)
    ref = booster.predict(xgboost.DMatrix(X)).reshape(len(X), n_outputs)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(ref).max()))


@pytest.mark.parametrize("params", [
    dict(booster="dart", rate_drop=0.3, skip_drop=0.0),   # tree weights
    dict(num_parallel_tree=3, subsample=0.7),            # forests per iteration
    dict(base_score=100.0),
    dict(objective="reg:absoluteerror"),
    dict(objective="reg:pseudohubererror", huber_slope=50.0),  # slope near the targets' scale
    dict(max_depth=12, n_estimators=5),                  # deep trees
], ids=["dart", "parallel", "base_score", "absolute", "huber", "deep"])
@pytest.mark.parametrize("mode", ["float", "int16"])
def test_regressor_variants(params, mode):
    Xtr, X, ytr = dataset("diabetes", mode)
    kw = dict(n_estimators=15, max_depth=4, random_state=0)
    model = xgboost.XGBRegressor(**{**kw, **params}).fit(Xtr, ytr)
    data = to_binary(model, mode)
    check_regressor(model, data, X)
    check_regressor(model, data, trees.edge_rows(model, X, mode))


@pytest.mark.parametrize("params,name", [
    (dict(base_score=0.3), "breast_cancer"),             # margin logit(0.3)
    (dict(booster="dart", rate_drop=0.2, skip_drop=0.0), "breast_cancer"),
    (dict(num_parallel_tree=2, colsample_bynode=0.5), "wine"),
    (dict(objective="multi:softmax"), "iris"),
    (dict(base_score=0.2), "wine"),
], ids=["base_score", "dart", "parallel", "softmax", "base_score-multi"])
def test_classifier_variants(params, name):
    Xtr, X, ytr = dataset(name, "float")
    model = xgboost.XGBClassifier(n_estimators=12, max_depth=3, random_state=0, **params).fit(Xtr, ytr)
    data = to_binary(model)
    assert model_info(data)["combine"] == ("logistic" if len(model.classes_) == 2 else "softmax")
    if params.get("objective") == "multi:softmax":
        # predict_proba of a multi:softmax model gives classes; the file gives probabilities
        out, cls = predict_binary(data, X)
        np.testing.assert_array_equal(cls, model.predict(X))
        return
    check_classifier(model, data, X)
    check_classifier(model, data, trees.edge_rows(model, X, "float"))


@pytest.mark.parametrize("name", ["iris", "breast_cancer", "diabetes"])
def test_random_forest_wrappers(name):
    """XGBRFClassifier/XGBRFRegressor: one iteration of parallel trees."""
    Xtr, X, ytr = dataset(name, "float")
    est, check = ((xgboost.XGBRFRegressor, check_regressor) if name == "diabetes"
                  else (xgboost.XGBRFClassifier, check_classifier))
    model = est(n_estimators=8, max_depth=4, random_state=0).fit(Xtr, ytr)
    data = to_binary(model)
    assert model_info(data)["n_trees"] == 8 * (3 if name == "iris" else 1)
    check(model, data, X)
    check(model, data, trees.edge_rows(model, X, "float"))


def test_early_stopping_uses_the_best_iteration():
    """The wrapper's predict stops at best_iteration; so does the file."""
    Xtr, X, ytr = dataset("breast_cancer", "float")
    model = xgboost.XGBClassifier(n_estimators=200, learning_rate=0.5, early_stopping_rounds=3,
                                  random_state=0)
    model.fit(Xtr[:300], ytr[:300], eval_set=[(Xtr[300:], ytr[300:])], verbose=False)
    n_used = model.best_iteration + 1
    assert n_used < model.get_booster().num_boosted_rounds(), "training did not stop early"
    data = to_binary(model)
    assert model_info(data)["n_trees"] == n_used
    check_classifier(model, data, X)


def test_booster_and_model_files(tmp_path, capsys):
    """A Booster (no wrapper) and XGBoost's own .json/.ubj files, through the CLI."""
    Xtr, X, ytr = dataset("regression3", "float")
    model = xgboost.XGBRegressor(n_estimators=10, max_depth=3, random_state=0).fit(Xtr, ytr)
    booster = model.get_booster()
    data = to_binary(booster)
    assert data == to_binary(model)
    check_booster_margin(booster, data, X, 3)
    for suffix in (".json", ".ubj"):
        path = tmp_path / ("model" + suffix)
        booster.save_model(str(path))
        out = tmp_path / "m.emlt"
        assert trees.main(["convert", str(path), str(out)]) == 0
        assert out.read_bytes() == data
    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(pickle.dumps(model))
    assert trees.main(["convert", str(pkl), str(tmp_path / "p.emlt")]) == 0
    assert (tmp_path / "p.emlt").read_bytes() == data
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert trees.main(["convert", str(bad), str(tmp_path / "x.emlt")]) == 1
    assert "not an XGBoost model file" in capsys.readouterr().err


@pytest.mark.parametrize("trained_with_nan", [False, True])
@pytest.mark.parametrize("name", ["breast_cancer", "diabetes"])
def test_missing_values(name, trained_with_nan):
    """XGBoost sends NaN to each split's default side, left at every split
    of a model trained without missing values: nan='exact' follows it,
    nan='right' does not."""
    Xtr, X, ytr = dataset(name, "float")
    classifier = name != "diabetes"
    est = xgboost.XGBClassifier if classifier else xgboost.XGBRegressor
    model = est(n_estimators=15, max_depth=4, random_state=0)
    model.fit(with_missing(Xtr) if trained_with_nan else Xtr, ytr)
    check_nan_routing(model, X, classifier)


def test_infinities():
    """+-inf are numbers to XGBoost (x < t decides), not missing values."""
    Xtr, X, ytr = dataset("breast_cancer", "float")
    model = xgboost.XGBClassifier(n_estimators=10, max_depth=3, random_state=0).fit(Xtr, ytr)
    data = to_binary(model)
    mask = np.random.RandomState(2).rand(*X.shape) < 0.3
    for value in (np.inf, -np.inf):
        check_classifier(model, data, np.where(mask, np.float32(value), X))


def test_unsupported():
    Xtr, X, ytr = dataset("iris", "float")
    for params, reason in ((dict(objective="reg:logistic"), "objective 'reg:logistic'"),
                           (dict(objective="count:poisson"), "objective 'count:poisson'"),
                           (dict(objective="reg:gamma"), "objective 'reg:gamma'"),
                           (dict(booster="gblinear"), "booster 'gblinear'")):
        model = xgboost.XGBRegressor(n_estimators=2, **params).fit(Xtr, ytr / 3 + 0.1)
        with pytest.raises(ValueError, match=reason):
            to_binary(model)
    with pytest.raises(ValueError, match="not fitted"):
        to_binary(xgboost.XGBClassifier())

    class Subclassed(xgboost.XGBClassifier):  # a user's own class: still XGBoost
        pass

    with pytest.raises(ValueError, match="Subclassed is not fitted"):
        to_binary(Subclassed())
    with pytest.raises(ValueError, match="only NaN"):
        to_binary(xgboost.XGBClassifier(n_estimators=2, missing=0.0).fit(Xtr, ytr))
    # categorical splits (the native interface takes feature types without pandas)
    Xc = np.column_stack([(ytr * 2 + np.arange(len(ytr)) % 2), Xtr[:, :2]]).astype(np.float32)
    dm = xgboost.DMatrix(Xc, label=ytr, feature_types=["c", "q", "q"], enable_categorical=True)
    booster = xgboost.train(dict(tree_method="hist", max_cat_to_onehot=1, max_depth=3), dm, 3)
    with pytest.raises(ValueError, match="categorical"):
        to_binary(booster)
    with pytest.raises(ValueError):
        trees.to_csv(xgboost.XGBClassifier(n_estimators=2).fit(Xtr, ytr))


def test_leaf_only_and_pruned_trees():
    """Trees without a split (the root a leaf), and trees pruned after
    training, whose arrays keep deleted nodes that no path reaches."""
    Xtr, X, ytr = dataset("diabetes", "float")
    model = xgboost.XGBRegressor(n_estimators=3, gamma=1e12).fit(Xtr, ytr)
    data = to_binary(model)
    assert model_info(data)["n_nodes"] == 0
    check_regressor(model, data, X)
    train = xgboost.DMatrix(Xtr, label=ytr)
    grown = xgboost.train(dict(max_depth=6), train, 5)
    pruned = xgboost.train(dict(process_type="update", updater="prune", gamma=2000.0, max_depth=6),
                           train, 5, xgb_model=grown)
    trees_json = json.loads(bytes(pruned.save_raw(raw_format="json")))["learner"]["gradient_booster"]["model"]["trees"]
    assert all(int(t["tree_param"]["num_deleted"]) > 0 for t in trees_json)
    data = to_binary(pruned)
    assert 0 < model_info(data)["n_nodes"] < model_info(to_binary(grown))["n_nodes"]
    check_booster_margin(pruned, data, X, 1)


def test_base_score_forms():
    """XGBoost 1.x writes base_score as one number; newer versions as a list,
    one value per target."""
    assert trees_xgboost._base_scores("5E-1", 3) == [0.5, 0.5, 0.5]
    assert trees_xgboost._base_scores("[5E-1]", 2) == [0.5, 0.5]
    assert trees_xgboost._base_scores("[1E0,-2.5E0]", 2) == [1.0, -2.5]
    with pytest.raises(ValueError):
        trees_xgboost._base_scores("[1E0,2E0]", 3)
