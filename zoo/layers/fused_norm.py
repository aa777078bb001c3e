"""`zoo.layers.BatchNormalization`: Keras' batch normalisation, trained through TensorFlow's fused kernel."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="zoo")
class BatchNormalization(keras.layers.BatchNormalization):
    """A `keras.layers.BatchNormalization` whose training step runs as one fused TensorFlow kernel.

    Keras 3 computes a training-mode batch norm from separate operations (two reductions for the
    moments, then the normalisation, then the same again differentiated), where Keras 2 called
    TensorFlow's `FusedBatchNormV3`, one kernel forward and one backward. With it the registry's
    ResNet-50 trains 1.34x as fast as keras.applications' in float32 on 2 CPU cores (README,
    "Benchmark"). This layer takes the fused path whenever it computes the same thing: TensorFlow
    backend, training mode, normalising the last axis, no mask, no renormalisation, no
    cross-replica statistics, and not compiled by XLA (`jit_compile=True`: XLA made a slower
    ResNet-50 training step of the fused kernel than of Keras' operations on a CPU). Otherwise, and
    always at inference, it is Keras' `BatchNormalization` itself.

    It computes what `BatchNormalization` computes, to float32 rounding: the same outputs, the same
    gradients, and the same moving averages (the fused kernel reports the unbiased batch variance;
    it is converted back to the biased one Keras averages). Its weights, arguments and
    configuration are `BatchNormalization`'s, so weights move between the two, `zoo.fold_batchnorm`
    folds it, and `zoo.transfer` freezes it like any batch norm.

    It has Keras' class name on purpose: a `.weights.h5` file addresses each layer by its class
    name, so with the same name, weights saved from a model built with `keras.layers.BatchNormalization`
    (the zoo's checkpoints before this layer existed, among them) load into one built with this
    layer, and the other way round. Saved models tell the two apart by the registered name
    (`zoo>BatchNormalization`).
    """

    def _fused_applies(self, inputs, training, mask) -> bool:
        rank = len(inputs.shape)
        return (bool(training) and self.trainable and mask is None and not self.renorm
                and not getattr(self, "synchronized", False) and keras.backend.backend() == "tensorflow"
                and rank >= 2 and self.axis in (-1, rank - 1) and inputs.shape[-1] is not None
                and not _compiled_by_xla())

    def call(self, inputs, training=None, mask=None):
        if not self._fused_applies(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        x = tf.cast(inputs, "float32")  # as BatchNormalization does: the statistics in float32
        channels = x.shape[-1]
        shape = tf.shape(x)
        if len(x.shape) != 4:  # the kernel takes (N, H, W, C); the statistics are per channel either way
            x = tf.reshape(x, [-1, 1, 1, channels])
        gamma = tf.cast(self.gamma, "float32") if self.scale else tf.ones([channels])
        beta = tf.cast(self.beta, "float32") if self.center else tf.zeros([channels])
        y, mean, unbiased = tf.compat.v1.nn.fused_batch_norm(x, gamma, beta, epsilon=self.epsilon,
                                                             is_training=True, data_format="NHWC")
        count = tf.cast(tf.size(x, out_type=tf.int64) // channels, "float32")
        variance = unbiased * (count - 1.0) / tf.maximum(count, 1.0)
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + tf.cast(mean, self.moving_mean.dtype) * (1.0 - momentum))
        self.moving_variance.assign(self.moving_variance * momentum
                                    + tf.cast(variance, self.moving_variance.dtype) * (1.0 - momentum))
        if len(inputs.shape) != 4:
            y = tf.reshape(y, shape)
        return tf.cast(y, self.compute_dtype)


def _compiled_by_xla() -> bool:
    """Whether the function being traced is compiled by XLA: `tf.function(jit_compile=True)`, Keras' `jit_compile`."""
    import tensorflow as tf

    find = getattr(getattr(tf, "__internal__", None), "get_enclosing_xla_context", None)
    return find is not None and find() is not None
