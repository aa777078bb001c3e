"""What every family's config shares: the classification head, and value checks.

No Keras here: configs are plain dataclasses that the registry reads without importing TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "gelu")
CLASSIFIER_ACTIVATIONS = ("softmax", "sigmoid", None)


@dataclass
class HeadConfig:
    """The head every model ends with: dropout, a dense layer named `head`, an activation.

    `classifier_activation=None` gives logits (or, with `num_classes=1`, a regression value), as
    in keras.applications. The dense layer is always named `head` so that `zoo.transfer` can find
    and replace it.
    """

    classifier_activation: str | None = "softmax"
    head_dropout: float = 0.0

    def __post_init__(self) -> None:
        check_choice("classifier_activation", self.classifier_activation, CLASSIFIER_ACTIVATIONS)
        check_range("head_dropout", self.head_dropout, 0.0, 1.0, high_open=True)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}. Received: {name}={value!r}")


def check_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int. Received: {name}={value!r}")


def check_positive_ints(name: str, values: Any, *, allow_empty: bool = False) -> None:
    if not isinstance(values, (tuple, list)) or (not values and not allow_empty):
        raise ValueError(f"{name} must be a {'' if allow_empty else 'non-empty '}tuple of positive ints. Received: {name}={values!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values):
        raise ValueError(f"{name} must hold positive ints. Received: {name}={values!r}")


def check_range(name: str, value: Any, low: float, high: float, *, high_open: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value and (
        value < high if high_open else value <= high
    )
    if not ok:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be a number in [{low}, {high}{bracket}. Received: {name}={value!r}")
