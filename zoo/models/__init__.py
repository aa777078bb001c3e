"""The built-in families. Importing a family module registers its models (and imports no Keras)."""

from zoo.models import mlp  # noqa: F401
