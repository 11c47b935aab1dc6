"""Host helpers of emlearn_mp.neighbors: int16 standard scaling and the export of a
fitted KNeighborsClassifier."""
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from emlearn_mp import neighbors


def test_scaling_is_standard_scores_times_one_factor():
    X, _ = load_wine(return_X_y=True)
    scale, offset = neighbors.fit_int16_standard_scaling(X, target=8000.0)
    q = neighbors.quantize_int16(X, scale, offset)
    assert int(np.abs(q).max()) == 8000
    z = StandardScaler().fit_transform(X)
    factor = 8000.0 / np.abs(z).max()
    np.testing.assert_allclose(q, z * factor, atol=0.5 + 1e-9)


def test_constant_feature_adds_nothing():
    X = np.array([[1.0, 5.0], [3.0, 5.0], [2.0, 5.0]])
    scale, offset = neighbors.fit_int16_standard_scaling(X)
    assert scale[1] == 0 and np.all(neighbors.quantize_int16(X, scale, offset)[:, 1] == 0)
    with pytest.raises(ValueError):
        neighbors.fit_int16_standard_scaling(X, target=40000)
    with pytest.raises(ValueError):
        neighbors.fit_int16_standard_scaling(X[0])


def test_quantized_neighbours_agree_with_float_ones():
    # the int16 values rank neighbours as the standardized floats do, but for rounding
    X, y = load_breast_cancer(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=3)
    scaler = StandardScaler().fit(Xtr)
    floats = KNeighborsClassifier(n_neighbors=5).fit(scaler.transform(Xtr), ytr).predict(scaler.transform(Xte))
    scale, offset = neighbors.fit_int16_standard_scaling(Xtr)
    ints = KNeighborsClassifier(n_neighbors=5).fit(neighbors.quantize_int16(Xtr, scale, offset), ytr)
    assert np.mean(ints.predict(neighbors.quantize_int16(Xte, scale, offset)) == floats) >= 0.99


def test_training_data():
    rng = np.random.default_rng(1)
    X = rng.integers(-32768, 32768, size=(50, 3))
    y = rng.choice([-300, 7, 12], size=50)
    rows, labels, k = neighbors.training_data(KNeighborsClassifier(n_neighbors=4).fit(X, y))
    assert rows.dtype == np.int16 and labels.dtype == np.int16 and k == 4
    assert np.array_equal(rows, X) and np.array_equal(labels, y)
    _, _, k = neighbors.training_data(KNeighborsClassifier(n_neighbors=80).fit(X, y))
    assert k == 50


@pytest.mark.parametrize("model, X, y, message", [
    (KNeighborsClassifier(weights="distance"), [[0], [1]], [0, 1], "uniform"),
    (KNeighborsClassifier(metric="manhattan"), [[0], [1]], [0, 1], "Euclidean"),
    (KNeighborsClassifier(p=1), [[0], [1]], [0, 1], "Euclidean"),
    (KNeighborsClassifier(n_neighbors=1), [[0.5], [1]], [0, 1], "int16 values"),
    (KNeighborsClassifier(n_neighbors=1), [[0], [40000]], [0, 1], "int16 values"),
    (KNeighborsClassifier(n_neighbors=1), [[0], [1]], ["a", "b"], "integers"),
    (KNeighborsClassifier(n_neighbors=1), [[0], [1]], [0, 70000], "integers"),
])
def test_training_data_refusals(model, X, y, message):
    with pytest.raises(ValueError, match=message):
        neighbors.training_data(model.fit(X, y))
    with pytest.raises(ValueError, match="KNeighborsClassifier"):
        neighbors.training_data(StandardScaler())
