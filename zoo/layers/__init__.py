"""Building blocks shared by the families, one concept per file. Importing this imports Keras."""

from zoo.layers.head import classification_head

__all__ = ["classification_head"]
