"""Properties of the registry's config validation, over inputs a caller or a config.json may hold.

What is promised: `resolve_config` / `apply_overrides`, `check_input_shape`, `ModelSpec.from_json`
and `create_model` (up to building, which is patched out here: Keras is slow and not under test)
either accept their input, and then return a valid config, shape or spec, or raise `ValueError`
(`UnknownModelError` is one) with a message. A checkpoint folder's config.json is untrusted input:
no JSON value may make reading it fail with a TypeError, KeyError, IndexError or AttributeError.

Hypothesis runs derandomized, so that a failure in CI is the same failure on a laptop.
"""

import dataclasses
import json
import math
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import keras_zoo as zoo
from keras_zoo import registry

# Derandomized: the same examples on every run and machine. No deadline: nothing here is timed.
PROPERTY = settings(derandomize=True, deadline=None, max_examples=500)

NAMES = zoo.list_models()
FIELDS = sorted({f.name for n in NAMES for f in dataclasses.fields(registry.get_entry(n).config)})
# create_model's own arguments: as override keys they would clash with them at the call.
CREATE_ARGS = {"name", "num_classes", "input_shape", "pretrained"}

# Values near the accepted ones (so that some overrides pass and reach the deeper checks) and far.
PLAUSIBLE = st.one_of(
    st.integers(-2, 300),
    st.floats(-0.5, 1.5),
    st.sampled_from([0.0, 1.0, 1e-4, math.nan, math.inf, -math.inf, True, False, None, "", "relu", "gelu", "softmax",
                     "sigmoid", "avg", "max", "flatten", "batch", "layer", "imagenet", "MobileNetV2", "basic",
                     "bottleneck", "lstm", "gru", 2**63, 10**20]),
    st.lists(st.integers(-1, 64), max_size=4),
    st.lists(st.integers(-1, 64), max_size=4).map(tuple),
)
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10))
JSON = st.recursive(
    st.one_of(JSON_SCALAR, PLAUSIBLE.filter(lambda v: not isinstance(v, tuple))),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=8,
)
VALUE = st.one_of(PLAUSIBLE, JSON)
KEY = st.one_of(st.sampled_from(FIELDS), st.text(max_size=10))
NAME = st.one_of(st.sampled_from(NAMES), st.text(max_size=12), JSON)


def outcome(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except Exception as error:  # the property decides which errors are allowed
        return error


def refused(result) -> bool:
    """True for an error: a ValueError with a message. Anything else is a bug."""
    if isinstance(result, BaseException):
        assert isinstance(result, ValueError), repr(result)
        assert str(result).strip(), repr(result)
        return True
    return False


def check_config(name, config, overrides):
    """An accepted config: the model's class, the overrides applied (lists as tuples), still valid."""
    entry = registry.get_entry(name)
    assert type(config) is type(entry.config)
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if field.name not in overrides:
            assert value == getattr(entry.config, field.name)
        else:
            given_value = overrides[field.name]
            assert value is given_value or value == (tuple(given_value) if isinstance(given_value, list) else given_value)
    dataclasses.replace(config)  # runs the config's own checks again: what was accepted stays acceptable


def check_shape(entry, input_shape, shape):
    assert type(shape) is tuple and shape == tuple(input_shape)
    assert shape and all(type(d) is int and d > 0 for d in shape)
    rank = registry.INPUT_KINDS[entry.input_kind]
    assert rank is None or len(shape) == rank


@PROPERTY
@given(NAME, st.dictionaries(KEY, VALUE, max_size=4))
@example("mlp_small", {"hidden_units": [8, 4]})
def test_overrides_are_applied_or_a_value_error(name, overrides):
    result = outcome(registry.resolve_config, name, overrides)
    if not refused(result):
        check_config(name, result, overrides)


@PROPERTY
@given(st.sampled_from(NAMES), st.one_of(st.dictionaries(st.one_of(KEY, JSON_SCALAR, st.tuples(st.integers())), VALUE,
                                                          max_size=4), JSON))
@example("resnet20", {1: 2, "a": 3})  # once a TypeError: unknown keys of two types were sorted together
@example("resnet20", [["depth", 3]])  # once a TypeError: overrides that are not a mapping
def test_overrides_of_any_type_are_applied_or_a_value_error(name, overrides):
    entry = registry.get_entry(name)
    result = outcome(registry.apply_overrides, name, entry.config, overrides)
    if not refused(result):
        check_config(name, result, overrides)


SHAPE = st.one_of(
    st.lists(st.integers(-2, 300), max_size=4),
    st.lists(st.integers(-2, 300), max_size=4).map(tuple),
    st.lists(st.one_of(st.integers(), st.floats(), st.booleans(), st.none(), st.text(max_size=3)), max_size=4),
    st.lists(st.sampled_from([1, 3, 32, 40, 98, 2**63 - 1, 2**63, 10**400]), max_size=4),
    JSON,
    st.sampled_from([None, "784", b"\x01\x02", 3, 3.0, range(1, 4), {1: 2}]),
)


@PROPERTY
@given(st.sampled_from(NAMES), SHAPE)
@example("bc_resnet_8", [98, 10**400])  # once an OverflowError: a float of the features, far too many to count
def test_input_shapes_are_a_tuple_of_positive_ints_or_a_value_error(name, input_shape):
    entry = registry.get_entry(name)
    result = outcome(registry.check_input_shape, entry, entry.config, input_shape)
    if not refused(result):
        check_shape(entry, input_shape, result)


def spec_json(name) -> dict:
    entry = registry.get_entry(name)
    return json.loads(json.dumps(registry.ModelSpec(name, entry.config, entry.input_shape, entry.num_classes).to_json()))


@pytest.mark.parametrize("name", NAMES)
def test_every_model_spec_reads_back_from_its_json(name):
    data = spec_json(name)
    assert json.loads(json.dumps(registry.ModelSpec.from_json(data).to_json())) == data


# A config.json as a checkpoint folder may hold one: anything, or a valid one with a key broken.
SPEC_KEY = st.sampled_from(["model", "config", "input_shape", "num_classes"])
BROKEN_SPEC = st.one_of(
    st.builds(lambda name, key, value: {**spec_json(name), key: value}, st.sampled_from(NAMES), SPEC_KEY, VALUE),
    st.builds(lambda name, key: {k: v for k, v in spec_json(name).items() if k != key}, st.sampled_from(NAMES), SPEC_KEY),
    st.builds(lambda name, config: {**spec_json(name), "config": config}, st.sampled_from(NAMES),
              st.dictionaries(KEY, VALUE, max_size=3)),
    st.fixed_dictionaries({"model": NAME}, optional={"config": JSON, "input_shape": SHAPE, "num_classes": VALUE}),
    JSON,
)


@PROPERTY
@given(BROKEN_SPEC)
@example(None)  # once a TypeError: None is not subscriptable
@example({"model": "resnet20"})  # once a KeyError: input_shape
@example({"model": None, "input_shape": [8, 8, 1], "num_classes": 10})  # once a TypeError from difflib
@example({"model": [], "input_shape": [8, 8, 1], "num_classes": 10})  # once a TypeError: unhashable type
@example({"model": "resnet20", "config": [], "input_shape": [8, 8, 1], "num_classes": 10})  # once an AttributeError
@example({"model": "resnet20", "input_shape": 8, "num_classes": 10})  # once a TypeError: int is not iterable
@example({"model": "resnet20", "input_shape": "abc", "num_classes": 10})  # once accepted as ('a', 'b', 'c')
@example({"model": "resnet20", "input_shape": [8, 8, 1], "num_classes": None})  # once a TypeError from int()
@example({"model": "resnet20", "input_shape": [8, 8, 1], "num_classes": 2.7})  # once truncated to 2
def test_any_json_is_a_model_spec_or_a_value_error(data):
    result = outcome(registry.ModelSpec.from_json, data)
    if refused(result):
        return
    spec = result
    entry = registry.get_entry(spec.model)
    check_config(spec.model, spec.config, data.get("config", {}))
    check_shape(entry, data["input_shape"], spec.input_shape)
    assert type(spec.num_classes) is int and spec.num_classes >= 1 and spec.num_classes == data["num_classes"]


@PROPERTY
@given(st.one_of(st.sampled_from(NAMES), st.text(max_size=12).filter(lambda s: "." not in s), JSON_SCALAR),
       st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)).filter(lambda k: k not in CREATE_ARGS),
                       VALUE, max_size=3),
       st.one_of(st.none(), VALUE), st.one_of(st.none(), SHAPE))
@example(5, {}, None, None)  # once a TypeError: `"." in name` of an int
def test_create_model_builds_a_valid_spec_or_raises_a_value_error(name, overrides, num_classes, input_shape):
    # A name with a dot is a checkpoint: loading one is not validation, and is left out.
    with mock.patch.object(registry.ModelSpec, "build", lambda spec: spec):  # the spec it would build
        result = outcome(zoo.create_model, name, num_classes=num_classes, input_shape=input_shape, **overrides)
    if refused(result):
        return
    spec = result
    entry = registry.get_entry(name)
    check_config(name, spec.config, overrides)
    check_shape(entry, entry.input_shape if input_shape is None else input_shape, spec.input_shape)
    assert spec.num_classes == (entry.num_classes if num_classes is None else num_classes)
