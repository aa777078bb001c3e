"""The private Keras and TensorFlow names the zoo reads, in the versions pyproject.toml admits.

pyproject.toml bounds Keras and TensorFlow to the minor versions tested because of these: a new
release that moves one fails here, by name, before a user meets it as an AttributeError.
"""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module, names", [
    # zoo.models.keras_apps: keras.applications' weight URLs and hashes, and the ImageNet std of EfficientNet
    ("keras.src.applications.resnet", ("BASE_WEIGHTS_PATH", "WEIGHTS_HASHES")),
    ("keras.src.applications.mobilenet_v2", ("BASE_WEIGHT_PATH",)),
    ("keras.src.applications.efficientnet", ("BASE_WEIGHTS_PATH", "WEIGHTS_HASHES", "IMAGENET_STDDEV_RGB")),
    ("keras.src.backend.config", ("keras_home",)),
    ("keras.src.utils.file_utils", ("get_file", "validate_file", "hash_file", "resolve_hasher")),
    # zoo.benchmark: FLOPs of a frozen graph
    ("tensorflow.python.framework.convert_to_constants", ("convert_variables_to_constants_v2",)),
    ("tensorflow.python.profiler.model_analyzer", ("profile",)),
    ("tensorflow.python.profiler.option_builder", ("ProfileOptionBuilder",)),
])
def test_private_names_the_zoo_reads_exist(module, names):
    loaded = importlib.import_module(module)
    missing = [n for n in names if not hasattr(loaded, n)]
    assert not missing, f"{module} no longer has {missing}: update the zoo and pyproject.toml's bounds"


def test_the_xla_context_probe_of_the_fused_batch_norm_exists():
    import tensorflow as tf

    # zoo.layers.fused_norm falls back to "not under XLA" without it: correct, but slower under XLA.
    assert callable(tf.__internal__.get_enclosing_xla_context)


def test_resnet50_hashes_are_keyed_as_the_zoo_reads_them():
    from keras.src.applications import resnet

    assert len(resnet.WEIGHTS_HASHES["resnet50"]) == 2  # (with top, without top)
