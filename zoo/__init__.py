"""keras-zoo: a Keras 3 model zoo. List, inspect and build models by name.

Example:
    >>> import keras_zoo as zoo
    >>> zoo.list_models("resnet*")
    >>> print(zoo.model_info("resnet20"))
    >>> model = zoo.create_model("resnet20", num_classes=10, input_shape=(32, 32, 3))

Importing `keras_zoo` does not import TensorFlow; building a model does.
"""

from keras_zoo import models as _models  # noqa: F401  (registers the built-in families)
from keras_zoo.registry import (
    DOMAINS,
    Family,
    ModelCard,
    UnknownModelError,
    create_model,
    list_models,
    model_info,
    register_model,
)
from keras_zoo.checkpoints import checkpoint_from_run, save_checkpoint
from keras_zoo.saving import load_model, register_with_keras as _register_with_keras
from keras_zoo.serving import fold_batchnorm

_register_with_keras()  # plain keras.saving.load_model reads zoo models, once Keras is imported

__version__ = "0.1.0"

__all__ = [
    "DOMAINS",
    "Family",
    "ModelCard",
    "UnknownModelError",
    "checkpoint_from_run",
    "create_model",
    "fold_batchnorm",
    "list_models",
    "load_model",
    "model_info",
    "register_model",
    "save_checkpoint",
]
