"""The SVM baseline: on the digits' pixels, and on area-downsampled larger images."""

from __future__ import annotations

import numpy as np

from keras_zoo.applications.common.classifier import dataset_to_numpy
from keras_zoo.applications.vision.baselines import svm_baseline
from keras_zoo.applications.vision.data import digits_splits, load_sample


def test_svm_on_digits_pixels():
    data = digits_splits(seed=0)
    result = svm_baseline(data.x_train, data.y_train, data.x_test, data.y_test)
    assert result["name"] == "svm_pixels" and result["accuracy"] > 0.95 and result["macro_f1"] > 0.95
    assert result["features"].startswith("raw pixels, 8x8x1 = 64")
    assert result["train_examples"] == len(data.y_train) and "capped" not in result
    from sklearn.metrics import f1_score  # the oracle for macro-F1: scikit-learn's own, on the same SVM
    from sklearn.svm import SVC

    svm = SVC(C=10.0, gamma="scale").fit(data.x_train.reshape(len(data.x_train), -1), data.y_train)
    predicted = svm.predict(data.x_test.reshape(len(data.x_test), -1))
    assert np.isclose(result["macro_f1"], f1_score(data.y_test, predicted, average="macro"))


def test_svm_downsampled_and_capped():
    # 32x32 RGB images whose class is the brighter half (left or right): 16x16 averages keep it.
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    x = rng.random((300, 32, 32, 3)).astype("float32") * 0.5
    for i, label in enumerate(y):
        x[i, :, 16 * label: 16 * label + 16] += 0.3
    result = svm_baseline(x[:200], y[:200], x[200:], y[200:], max_train=150, seed=1)
    assert result["name"] == "svm_downsampled_16"
    assert "32x32 to 16x16x3 = 768 features" in result["features"]
    assert result["train_examples"] == 150 and "150 of 200" in result["capped"]
    assert result["accuracy"] > 0.9 and result["test_examples"] == 100


def test_dataset_to_numpy():
    data = load_sample(seed=0)
    x, y = dataset_to_numpy(data.test)
    assert x.shape == (data.counts["test"], 8, 8, 1) and y.dtype == np.int32
    np.testing.assert_array_equal(y, digits_splits(seed=0).y_test)
    x, y = dataset_to_numpy(data.train, limit=10)
    assert x.shape == (10, 8, 8, 1) and y.shape == (10,)
    x, y = dataset_to_numpy(data.train.take(0))
    assert x.shape == (0, 8, 8, 1) and y.shape == (0,)
