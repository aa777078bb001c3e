"""Hyperparameter search over the registry with Keras Tuner.

Every family declares a search space (`Family.search_space`): a function of a Keras Tuner
`HyperParameters` that returns config overrides. `hypermodel(name, ...)` turns a registry model
into a `keras_tuner.HyperModel` that any tuner (RandomSearch, BayesianOptimization, Hyperband)
can search, with the learning rate searched too.

Example:
    >>> import keras_tuner, keras_zoo as zoo, keras_zoo.tuning
    >>> tuner = keras_tuner.RandomSearch(
    ...     zoo.tuning.hypermodel("cnn_small", num_classes=10, input_shape=(8, 8, 1)),
    ...     objective="val_accuracy", max_trials=5, directory="runs/tune")
    >>> tuner.search(x_train, y_train, validation_data=(x_val, y_val), epochs=3)
"""

from __future__ import annotations

from typing import Any

import keras
import keras_tuner

from keras_zoo.registry import check_input_shape, create_model, get_entry, resolve_config
from keras_zoo.transfer import default_loss_and_metrics  # in the core (transfer uses it): no keras_tuner needed


class ZooHyperModel(keras_tuner.HyperModel):
    """A registry model whose config and learning rate are drawn from its family's search space.

    Args:
        name: a registry name.
        num_classes: outputs of the head; defaults to the model's.
        input_shape: shape of one example; defaults to the model's.
        learning_rate: `(low, high)` of the log-uniform learning-rate range searched with Adam.
        **fixed: config overrides held fixed in every trial (they win over the search space).
    """

    def __init__(
        self,
        name: str,
        *,
        num_classes: int | None = None,
        input_shape: tuple[int, ...] | None = None,
        learning_rate: tuple[float, float] = (1e-4, 1e-2),
        **fixed: Any,
    ):
        super().__init__(name=name, tunable=True)
        entry = get_entry(name)
        config = resolve_config(name, fixed)  # fail now, not in the first trial, on a bad key
        self.model_name = name
        self.num_classes = entry.num_classes if num_classes is None else num_classes
        self.input_shape = check_input_shape(entry, config, entry.input_shape if input_shape is None else input_shape)
        self.learning_rate = learning_rate
        self.fixed = fixed

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        entry = get_entry(self.model_name)
        overrides = {**entry.family.search_space(hp, entry.config), **self.fixed}
        model = create_model(self.model_name, num_classes=self.num_classes, input_shape=self.input_shape, **overrides)
        low, high = self.learning_rate
        lr = hp.Float("learning_rate", low, high, sampling="log")
        activation = resolve_config(self.model_name, overrides).classifier_activation
        loss, metrics = default_loss_and_metrics(activation, self.num_classes)
        model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss, metrics=metrics)
        return model


def hypermodel(name: str, *, num_classes: int | None = None, input_shape: tuple[int, ...] | None = None,
               **kwargs: Any) -> ZooHyperModel:
    """A `keras_tuner.HyperModel` for a registry model; see `ZooHyperModel` for the arguments."""
    return ZooHyperModel(name, num_classes=num_classes, input_shape=input_shape, **kwargs)
