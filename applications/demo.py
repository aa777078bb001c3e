"""Title: A tour of the registry
Description: list the zoo, build a registry model for the bundled digits, train it briefly, and
compare it on held-out data with a classical baseline.

Runs offline in about a minute on two CPU cores: the data is scikit-learn's bundled copy of the
UCI handwritten digits (1,797 real 8x8 greyscale images).
"""

from __future__ import annotations

import time
from collections import Counter


def registry_tour(*, model_name: str = "cnn_small", epochs: int = 15, seed: int = 0) -> dict:
    """Run the tour and return its numbers (test accuracies of the model and the baseline)."""
    import zoo

    # ## The registry
    names = zoo.list_models()
    families = Counter(zoo.model_info(n).family for n in names)
    print(f"The zoo has {len(names)} models: " + ", ".join(f"{n} {f}" for f, n in sorted(families.items())))
    print(f"ResNets: {', '.join(zoo.list_models('resnet*'))}\n")

    # ## Data: held-out test split, never seen in training
    import numpy as np

    from applications.vision.data import digits_splits

    data = digits_splits(seed=seed)
    x_train, y_train, x_val, y_val, x_test, y_test = (
        data.x_train, data.y_train, data.x_val, data.y_val, data.x_test, data.y_test
    )
    print(f"Digits: {len(x_train)} train, {len(x_val)} validation, {len(x_test)} test images of 8x8x1")

    # ## Model
    import keras

    keras.utils.set_random_seed(seed)
    model = zoo.create_model(model_name, num_classes=10, input_shape=(8, 8, 1))
    print(f"Built {model.name}: {model.count_params():,} parameters for input (8, 8, 1) and 10 classes")
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    # ## Training
    start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=32, verbose=0)
    train_s = time.perf_counter() - start
    print(
        f"Trained {epochs} epochs in {train_s:.1f} s: loss {history.history['loss'][0]:.3f} -> "
        f"{history.history['loss'][-1]:.3f}, validation accuracy {history.history['val_accuracy'][-1]:.3f}"
    )

    # ## Evaluation against a classical baseline on the same split
    from sklearn.svm import SVC

    _, model_acc = model.evaluate(x_test, y_test, verbose=0)
    svm = SVC(kernel="rbf", C=10.0, gamma="scale").fit(x_train.reshape(len(x_train), -1), y_train)
    svm_acc = float(np.mean(svm.predict(x_test.reshape(len(x_test), -1)) == y_test))
    # Two standard errors of the difference of two accuracies on n examples: smaller gaps are noise.
    n = len(y_test)
    noise = 2 * np.sqrt((model_acc * (1 - model_acc) + svm_acc * (1 - svm_acc)) / n)
    if abs(model_acc - svm_acc) <= noise:
        verdict = f"a tie: the gap is within the noise of {n} test images"
    else:
        verdict = f"{model.name} {'beats' if model_acc > svm_acc else 'loses to'} the SVM"
    print(
        f"Test accuracy: {model.name} {model_acc:.3f} ({round((1 - model_acc) * n)} errors), "
        f"SVM on pixels {svm_acc:.3f} ({round((1 - svm_acc) * n)} errors): {verdict}"
    )
    return {"model": model.name, "test_accuracy": float(model_acc), "svm_test_accuracy": svm_acc, "train_s": train_s}
