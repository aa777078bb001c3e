"""The application domains: one line each, the name and the module holding its `DOMAIN` instance.

A domain module defines a `Domain` (`applications/common/domain.py`) and imports no TensorFlow:
the whole `zoo` parser is built from them, `zoo list` included. A new domain is a package of its
own and one line here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from keras_zoo.applications.common.domain import Domain

REGISTERED = {
    "vision": "keras_zoo.applications.vision.domain",
    "nlp": "keras_zoo.applications.nlp.domain",
    "speech": "keras_zoo.applications.speech.domain",
    "recommendation": "keras_zoo.applications.recommendation.domain",
    "finance": "keras_zoo.applications.finance.domain",
}


def built() -> list[str]:
    """The names of the registered domains, in the order they were registered."""
    return list(REGISTERED)


def every() -> list[Domain]:
    """Every registered `Domain`, in the order they were registered (imports their light modules)."""
    return [importlib.import_module(module).DOMAIN for module in REGISTERED.values()]


def get(domain: str) -> Domain:
    """The `Domain` registered as `domain`; a ValueError naming the registered ones for another name."""
    if domain not in REGISTERED:
        raise ValueError(f"Unknown domain; expected one of {', '.join(REGISTERED)}. Received: {domain!r}")
    every()  # all of them at once: a command run with the file system taken away finds them imported
    return importlib.import_module(REGISTERED[domain]).DOMAIN


def pipeline(domain: str) -> ModuleType:
    """The pipeline module behind `domain`'s `Domain` (for code that calls its functions directly)."""
    return get(domain).module
