"""Which optional extra of keras-zoo each `zoo` command needs, and one clear line when it is missing.

`pip install keras-zoo` is the core: the registry, checkpoints, transfer learning and the layers,
on TensorFlow, Keras, numpy and tqdm; `zoo list`, `zoo info` and `zoo benchmark PATTERN` run on
it. The applications need the `apps` extra (data sets, baselines, plots) and `zoo tune` needs
`tune` too. Checking before a command starts, rather than catching an ImportError deep inside,
means a user never waits through an epoch to learn that a plotting library is missing.

This module imports nothing beyond the standard library: the check runs before TensorFlow loads.
"""

from __future__ import annotations

import importlib.util

DISTRIBUTION = "keras-zoo"

# extra -> the import names it provides (and the distribution each comes from, for the message).
# tests/test_packaging.py keeps these equal to pyproject.toml's [project.optional-dependencies].
EXTRAS: dict[str, dict[str, str]] = {
    "apps": {"tensorflow_datasets": "tensorflow-datasets", "matplotlib": "matplotlib", "sklearn": "scikit-learn",
             "scipy": "scipy", "pandas": "pandas", "tensorboard": "tensorboard"},
    "tune": {"keras_tuner": "keras-tuner"},
    "finance": {"arch": "arch"},
    "torch": {"torch": "torch", "torchvision": "torchvision"},
}

# The extras a command cannot run without. `finance` is not among them: without `arch` the
# finance application skips its GARCH baseline and says so.
COMMAND_EXTRAS: dict[str, tuple[str, ...]] = {
    "list": (), "info": (), "benchmark": (),  # `--pipeline` needs apps: see required_extras
    "train": ("apps",), "evaluate": ("apps",), "validate": ("apps",), "predict": ("apps",), "demo": ("apps",),
    "export": ("apps",),
    "tune": ("apps", "tune"),
}


class MissingExtraError(ValueError):
    """A command needs an optional extra that is not installed; the message says what to install."""


def required_extras(command: str, *, pipeline: bool = False, reference: str | None = None) -> tuple[str, ...]:
    """The extras `zoo COMMAND` needs (`zoo benchmark --pipeline` needs the applications', `--reference
    torch` PyTorch's)."""
    if command == "benchmark" and pipeline:
        return ("apps",)
    if command == "benchmark" and reference == "torch":
        return ("torch",)
    return COMMAND_EXTRAS.get(command, ("apps",))


def missing_modules(extra: str) -> list[str]:
    """The distributions of `extra` whose import name cannot be found here."""
    return [dist for module, dist in EXTRAS[extra].items() if importlib.util.find_spec(module) is None]


def require(command: str, *, pipeline: bool = False, reference: str | None = None) -> None:
    """Raise `MissingExtraError` naming the extra to install if `zoo COMMAND` cannot run here."""
    for extra in required_extras(command, pipeline=pipeline, reference=reference):
        missing = missing_modules(extra)
        if missing:
            raise MissingExtraError(f"`zoo {command}` needs the '{extra}' extra ({', '.join(missing)} not installed): "
                                    f"pip install '{DISTRIBUTION}[{extra}]'")
