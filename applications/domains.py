"""The application domains and the module that runs each. A domain is added here when it exists."""

from __future__ import annotations

import importlib
from types import ModuleType

from keras_zoo.registry import DOMAINS

PIPELINES = {
    "vision": "keras_zoo.applications.vision.pipeline",
    "nlp": "keras_zoo.applications.nlp.pipeline",
    "speech": "keras_zoo.applications.speech.pipeline",
    "recommendation": "keras_zoo.applications.recommendation.pipeline",
    "finance": "keras_zoo.applications.finance.pipeline",
}


def built() -> list[str]:
    """The domains whose pipeline exists, in the registry's order."""
    return [d for d in DOMAINS if d in PIPELINES]


def pipeline(domain: str) -> ModuleType:
    """The pipeline module of `domain`: `train_and_evaluate`, `evaluate`, `predict`, `demo`."""
    if domain not in DOMAINS:
        raise ValueError(f"Unknown domain; expected one of {', '.join(DOMAINS)}. Received: {domain!r}")
    if domain not in PIPELINES:
        raise ValueError(f"The {domain} application is not built yet; available: {', '.join(built())}.")
    return importlib.import_module(PIPELINES[domain])
