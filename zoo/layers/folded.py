"""`FoldedNormalization`: where a batch normalisation was, once `zoo.fold_batchnorm` folded it into the layer before."""

import keras


@keras.saving.register_keras_serializable(package="zoo")
class FoldedNormalization(keras.layers.Layer):
    """Passes its input through: the normalisation it replaces now lives in the previous layer's weights.

    It keeps the replaced layer's name, and takes the `training` and `mask` arguments a
    `BatchNormalization` is called with, so that a folded model has the original's graph.
    """

    def call(self, inputs, training=None, mask=None):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
