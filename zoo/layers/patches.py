"""Patch embedding: an image cut into non-overlapping patches, each projected to a token."""

from __future__ import annotations

import keras


def patch_embedding(x, dim: int, patch_size: int, *, name: str = "patch_embedding"):
    """`(batch, h, w, c) -> (batch, (h // p) * (w // p), dim)`, as in ViT.

    A `Conv2D` with kernel = stride = `patch_size` (with bias) is the linear projection of each
    flattened patch; a `Reshape` lays the patch grid out as a sequence, row by row.
    Dosovitskiy et al. 2021, https://arxiv.org/abs/2010.11929

    Args:
        x (KerasTensor): images, `(batch, height, width, channels)`; height and width multiples of `patch_size`.
        dim: width of each token.
        patch_size: side of a square patch, in pixels.
        name: the conv layer's name; the reshape is named `{name}_flatten`.
    """
    height, width = x.shape[1], x.shape[2]
    if height is None or width is None or height % patch_size or width % patch_size:
        raise ValueError(
            f"Image height and width must be known multiples of patch_size={patch_size}. "
            f"Received: input_shape={tuple(x.shape[1:])}"
        )
    x = keras.layers.Conv2D(dim, patch_size, strides=patch_size, padding="valid", name=name)(x)
    return keras.layers.Reshape(((height // patch_size) * (width // patch_size), dim), name=f"{name}_flatten")(x)
