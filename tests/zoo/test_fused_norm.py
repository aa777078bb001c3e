"""`zoo.layers.BatchNormalization` trains through TensorFlow's fused kernel and computes what Keras' computes."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_zoo as zoo
from keras_zoo.layers import BatchNormalization as FusedBatchNormalization  # the zoo's, beside keras.layers'


def _pair(shape, **kwargs):
    """A Keras batch norm and a fused one with the same (non-trivial) weights, built for `shape`."""
    rng = np.random.default_rng(0)
    plain, fused = keras.layers.BatchNormalization(**kwargs), FusedBatchNormalization(**kwargs)
    plain.build(shape)
    fused.build(shape)
    weights = [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in plain.weights]
    plain.set_weights(weights)
    fused.set_weights(weights)
    return plain, fused


def _step(layer, x, graph):
    """One training-mode call: outputs and the gradients of a non-uniform loss to input and weights."""
    x = tf.constant(x)
    weights = tf.constant(np.random.default_rng(2).standard_normal(x.shape).astype("float32"))

    def call(t):
        return layer(t, training=True)

    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.function(call)(x) if graph else call(x)
        loss = tf.reduce_sum(y * weights)  # (a plain sum of normalised values has no gradient)
    grads = tape.gradient(loss, [x, *layer.trainable_weights])
    return y.numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("shape", [(8, 5, 6, 4), (16, 7, 3), (32, 5)])
@pytest.mark.parametrize("options", [{}, {"center": False}, {"scale": False, "momentum": 0.5}])
@pytest.mark.parametrize("graph", [False, True], ids=["eager", "tf.function"])
def test_training_matches_batch_normalization(shape, options, graph):
    plain, fused = _pair(shape, **options)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype("float32")  # inference is BatchNormalization's own, exactly
    np.testing.assert_array_equal(fused(x, training=False).numpy(), plain(x, training=False).numpy())
    for step in range(3):  # the moving averages follow the same path
        x = (rng.standard_normal(shape) * 3 + 2).astype("float32")
        y_plain, g_plain = _step(plain, x, graph)
        y_fused, g_fused = _step(fused, x, graph)
        np.testing.assert_allclose(y_fused, y_plain, rtol=1e-4, atol=1e-4)
        for a, b in zip(g_fused, g_plain):
            np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(fused.moving_mean.numpy(), plain.moving_mean.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fused.moving_variance.numpy(), plain.moving_variance.numpy(), rtol=1e-5, atol=1e-6)


def test_training_runs_the_fused_kernel():
    layer = FusedBatchNormalization()
    fn = tf.function(lambda x: layer(x, training=True))
    graph = fn.get_concrete_function(tf.TensorSpec((4, 6, 6, 8), "float32")).graph
    assert "FusedBatchNormV3" in {op.type for op in graph.get_operations()}
    frozen = FusedBatchNormalization()
    frozen.trainable = False  # a frozen batch norm runs in inference mode, as in Keras
    fn = tf.function(lambda x: frozen(x, training=True))
    graph = fn.get_concrete_function(tf.TensorSpec((4, 6, 6, 8), "float32")).graph
    assert "FusedBatchNormV3" not in {op.type for op in graph.get_operations()}
    # Under XLA it is Keras' own graph: XLA compiles that into a faster step than the fused kernel.
    fn = tf.function(lambda x: layer(x, training=True), jit_compile=True)
    graph = fn.get_concrete_function(tf.TensorSpec((4, 6, 6, 8), "float32")).graph
    assert "FusedBatchNormV3" not in {op.type for op in graph.get_operations()}


def test_one_value_per_channel_keeps_finite_statistics():
    plain, fused = _pair((1, 1, 1, 3))
    x = np.array([[[[1.0, -2.0, 3.0]]]], "float32")
    np.testing.assert_allclose(fused(x, training=True).numpy(), plain(x, training=True).numpy(), atol=1e-5)
    assert np.isfinite(fused.moving_variance.numpy()).all()
    np.testing.assert_allclose(fused.moving_variance.numpy(), plain.moving_variance.numpy(), rtol=1e-6)


def test_mixed_precision_keeps_the_compute_dtype():
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        layer = FusedBatchNormalization()
        y = layer(np.ones((2, 3, 3, 4), "float16"), training=True)
    finally:
        keras.config.set_dtype_policy(policy)
    assert y.dtype == "float16" and layer.moving_mean.dtype == "float32"


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
def test_the_registry_resnet_trains_and_round_trips_with_it(tmp_path):
    model = zoo.create_model("resnet20", input_shape=(16, 16, 3), num_classes=4)
    assert any(type(layer) is FusedBatchNormalization for layer in model.layers)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 16, 16, 3)).astype("float32"), rng.integers(0, 4, 64)
    x[np.arange(64), :, :, 0] += y[:, None, None]  # a learnable signal
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < history[0]
    model.save(tmp_path / "m.keras")
    again = zoo.load_model(tmp_path / "m.keras")  # safe mode; the registered name keeps the zoo's class
    norm = next(layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization))
    assert type(again.get_layer(norm.name)) is FusedBatchNormalization
    np.testing.assert_allclose(again(x[:4]).numpy(), model(x[:4]).numpy(), rtol=1e-5, atol=1e-6)


def test_weight_files_move_between_keras_and_zoo_batch_norms(tmp_path):
    """A `.weights.h5` addresses layers by class name: checkpoints saved with Keras' batch norm still load."""

    def build(norm):
        inputs = keras.Input((6, 6, 2))
        x = norm(name="bn1")(keras.layers.Conv2D(3, 3)(inputs))
        return keras.Model(inputs, norm(name="bn2")(keras.layers.Conv2D(4, 1)(x)))

    rng = np.random.default_rng(0)
    keras_model, zoo_model = build(keras.layers.BatchNormalization), build(FusedBatchNormalization)
    keras_model.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in keras_model.get_weights()])
    keras_model.save_weights(tmp_path / "keras.weights.h5")
    zoo_model.load_weights(tmp_path / "keras.weights.h5")
    x = rng.standard_normal((2, 6, 6, 2)).astype("float32")
    np.testing.assert_array_equal(zoo_model(x).numpy(), keras_model(x).numpy())
    zoo_model.save_weights(tmp_path / "zoo.weights.h5")
    again = build(keras.layers.BatchNormalization)
    again.load_weights(tmp_path / "zoo.weights.h5")
    np.testing.assert_array_equal(again(x).numpy(), keras_model(x).numpy())
