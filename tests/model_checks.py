"""One-call checks that the model tests share (in the spirit of KerasHub's TestCase helpers)."""

import numpy as np


def forward_backward(model, x, y, loss=None):
    """A training-mode forward pass and its gradients: finite outputs, a gradient for every weight.

    `loss(y, out)` defaults to the sparse categorical cross-entropy of a softmax classifier; pass
    e.g. `keras.losses.binary_crossentropy` for a model with one sigmoid output.
    """
    import keras
    import tensorflow as tf

    loss_fn = keras.losses.sparse_categorical_crossentropy if loss is None else loss
    with tf.GradientTape() as tape:
        out = model(x, training=True)
        value = loss_fn(y, out)
    grads = tape.gradient(value, model.trainable_weights)
    assert np.all(np.isfinite(out))
    assert all(g is not None for g in grads), "a weight gets no gradient"
    # An embedding's gradient is sparse (tf.IndexedSlices): densify before inspecting it.
    grads = [tf.convert_to_tensor(g) for g in grads]
    assert all(np.all(np.isfinite(g)) for g in grads)
    assert any(np.any(g != 0) for g in grads)
    return out


def assert_round_trip(model, x, tmp_path):
    """Save to `.keras`, load back in safe mode: identical predictions."""
    import keras

    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=True)
    # Called, not `predict`: the same inference-mode forward pass, without tracing a tf.function per model.
    np.testing.assert_allclose(np.asarray(restored(x, training=False)), np.asarray(model(x, training=False)),
                               rtol=1e-5, atol=1e-6)
    return restored
