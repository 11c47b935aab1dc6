"""XGBoost models for the emlearn_trees converter (:func:`emlearn_mp.trees.to_binary`).

Reads the model through XGBoost's own JSON serialization (``Booster.save_raw``),
so it needs no private API, and maps it onto the same combines as
scikit-learn's gradient boosting:

- ``binary:logistic``: two outputs, the logistic of the margin
  (``predict_proba``'s two columns);
- ``multi:softprob``, ``multi:softmax``: one output per class, the softmax of
  the class margins;
- regression objectives whose prediction is the margin itself
  (``reg:squarederror``, ``reg:absoluteerror``, ...), one output per target.

The margin starts at XGBoost's base margin and adds every tree's leaf (times
its weight, for ``dart``). XGBoost goes left iff ``x < t`` for a float32 t;
the tree is handed to the converter as scikit-learn's ``x <= t'`` with t' the
float32 just below t, which every float32 (and every integer) input decides
the same way. A missing value (NaN) takes the split's default side: with
``nan='exact'`` exactly, else always right. Trees with categorical splits,
other boosters (``gblinear``) and objectives with other links (``reg:logistic``,
``count:poisson``, ranking, ...) raise ValueError.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from .trees import (COMBINE_LOGISTIC, COMBINE_SOFTMAX, COMBINE_SUM, KIND_VALUES, _Ensemble,
                    _SourceTree, _TreeArrays)

# Objectives whose prediction is the margin (identity link).
IDENTITY_OBJECTIVES = ("reg:squarederror", "reg:linear", "reg:squaredlogerror",
                       "reg:pseudohubererror", "reg:absoluteerror", "reg:quantileerror")
CLASSIFIER_OBJECTIVES = ("binary:logistic", "multi:softprob", "multi:softmax")


def is_xgboost(model: Any) -> bool:
    """Whether model is an XGBoost Booster or scikit-learn wrapper, or of a
    subclass of one (without importing xgboost)."""
    return any(c.__module__.split(".")[0] == "xgboost" for c in type(model).__mro__)


def _booster(model: Any) -> tuple[Any, int | None]:
    """(the Booster, how many iterations predict uses: None for all)."""
    import xgboost

    if isinstance(model, xgboost.Booster):
        return model, None  # Booster.predict uses every tree by default
    if not isinstance(model, xgboost.XGBModel):
        raise TypeError(f"unsupported model type {type(model).__name__}")
    missing = getattr(model, "missing", np.nan)
    if missing is not None and not (isinstance(missing, float) and math.isnan(missing)):
        raise ValueError(f"missing={missing!r}: the device treats only NaN as missing")
    from sklearn.exceptions import NotFittedError  # what the wrapper raises

    try:
        booster = model.get_booster()
    except NotFittedError as e:
        raise ValueError(f"{type(model).__name__} is not fitted") from e
    # as the wrapper's predict: up to the best iteration when it knows one
    best = getattr(model, "best_iteration", None)
    return booster, None if best is None else int(best) + 1


def _tree(t: dict) -> _TreeArrays:
    """One tree of the JSON model as scikit-learn's arrays (x <= threshold goes left)."""
    if any(t["split_type"]) or t["categories_nodes"]:
        raise ValueError("XGBoost models with categorical splits are not supported")
    left = np.asarray(t["left_children"], dtype=np.int64)
    right = np.asarray(t["right_children"], dtype=np.int64)
    leaf = left == -1
    # split_conditions holds the threshold of a split and the value of a leaf
    cond = np.asarray(t["split_conditions"], dtype=np.float64).astype(np.float32)
    below = np.nextafter(cond, np.float32(-np.inf))  # x < t  <=>  x <= below (x float32)
    return _TreeArrays(
        children_left=left,
        children_right=np.where(leaf, -1, right),
        feature=np.where(leaf, -2, np.asarray(t["split_indices"], dtype=np.int64)),
        threshold=np.where(leaf, -2.0, below.astype(np.float64)),
        value=np.where(leaf, cond, 0.0).astype(np.float64).reshape(-1, 1, 1),
        missing_go_to_left=np.asarray(t["default_left"], dtype=bool),
    )


def _base_scores(text: str, n_outputs: int) -> list[float]:
    """learner_model_param's base_score: "5E-1" (XGBoost 1.x), or a list
    "[5E-1]" / "[1E0,2E0]" (newer XGBoost, one per target), as n_outputs values."""
    values = [float(v) for v in text.strip("[]").split(",")]
    if len(values) == 1:
        return values * n_outputs
    if len(values) != n_outputs:
        raise ValueError(f"base_score {text} does not have {n_outputs} values")
    return values


def _base_margin(objective: str, base_score: float) -> float:
    """XGBoost's starting margin: base_score through the objective's inverse link."""
    if objective == "binary:logistic":
        p = np.float32(base_score)
        if not 0.0 < p < 1.0:
            raise ValueError(f"base_score {base_score} is not a probability")
        return float(-np.log(np.float32(1.0) / p - np.float32(1.0)))  # in float32, as XGBoost
    return float(np.float32(base_score))


def describe(model: Any) -> _Ensemble:
    """An XGBoost Booster or fitted scikit-learn wrapper (XGBClassifier,
    XGBRegressor, XGBRFClassifier, XGBRFRegressor) as an ensemble."""
    booster, n_iterations = _booster(model)
    learner = json.loads(bytes(booster.save_raw(raw_format="json")))["learner"]
    objective = learner["objective"]["name"]
    params = learner["learner_model_param"]
    gb = learner["gradient_booster"]
    if gb["name"] == "dart":
        weights = [float(w) for w in gb["weight_drop"]]
        gb = gb["gbtree"]
    elif gb["name"] == "gbtree":
        weights = None
    else:
        raise ValueError(f"booster {gb['name']!r} is not supported (only gbtree and dart have trees)")
    model_json = gb["model"]
    trees = model_json["trees"]
    groups = model_json["tree_info"]  # each tree's class or target
    if n_iterations is not None:
        n_groups = max(int(params["num_class"]), int(params["num_target"]), 1)
        per_iteration = n_groups * int(model_json["gbtree_model_param"]["num_parallel_tree"])
        trees, groups = trees[:n_iterations * per_iteration], groups[:n_iterations * per_iteration]
    n_features = int(params["num_feature"])
    n_targets = max(int(params["num_target"]), 1)
    base = [_base_margin(objective, b) for b in _base_scores(params["base_score"], n_targets)]

    def source(i: int, output: int) -> _SourceTree:
        return _SourceTree(_tree(trees[i]), output, 1.0 if weights is None else weights[i])

    if objective == "binary:logistic":
        return _Ensemble(KIND_VALUES, COMBINE_LOGISTIC, n_features, 2,
                         [source(i, 1) for i in range(len(trees))], np.array([0.0, base[0]]))
    if objective in CLASSIFIER_OBJECTIVES:
        n_classes = int(params["num_class"])
        return _Ensemble(KIND_VALUES, COMBINE_SOFTMAX, n_features, n_classes,
                         [source(i, g) for i, g in enumerate(groups)], np.full(n_classes, base[0]))
    if objective in IDENTITY_OBJECTIVES:
        return _Ensemble(KIND_VALUES, COMBINE_SUM, n_features, n_targets,
                         [source(i, g) for i, g in enumerate(groups)], np.array(base))
    raise ValueError(f"objective {objective!r} is not supported (supported: "
                     + ", ".join(CLASSIFIER_OBJECTIVES + IDENTITY_OBJECTIVES) + ")")
