"""A fixed weight per feature, computed from data before training and saved with the model."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="zoo")
class FeatureScale(keras.layers.Layer):
    """Multiplies each feature by a fixed weight: `(batch, n) -> (batch, n)`, nothing trained.

    For weights that come from the training data, such as a term weighting of a bag of n-grams
    (`set_scale` after building); they are saved in the model's weights, so a loaded model applies
    the same ones.

    Args:
        features: the number of features `n`.

    Example:
        >>> scale = FeatureScale(3)
        >>> scale.set_scale([1.0, 0.5, 2.0])
        >>> scale(np.ones((1, 3)))  # [[1.0, 0.5, 2.0]]
    """

    def __init__(self, features: int, **kwargs):
        super().__init__(**kwargs)
        self.features = int(features)
        self.scale = self.add_weight(shape=(self.features,), initializer="ones", trainable=False, name="scale")

    def set_scale(self, values) -> None:
        values = ops.convert_to_numpy(values).astype("float32").reshape(-1)
        if values.shape[0] != self.features:
            raise ValueError(f"FeatureScale has {self.features} features; got {values.shape[0]} weights.")
        self.scale.assign(values)

    def call(self, inputs):
        return ops.cast(inputs, self.compute_dtype) * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "features": self.features}
