"""The pre-norm Transformer encoder block, composed of built-in Keras layers."""

from __future__ import annotations

import keras


def transformer_encoder_block(
    x,
    *,
    heads: int,
    mlp_dim: int,
    dropout: float = 0.0,
    attention_dropout: float = 0.0,
    epsilon: float = 1e-6,
    activation: str = "gelu",
    causal: bool = False,
    name: str = "block",
):
    """One pre-norm encoder block (ViT; Xiong et al. 2020), two residual lines:

        x = x + Dropout(MultiHeadAttention(LayerNorm(x)))
        x = x + MLP(LayerNorm(x))          # Dense(mlp_dim, activation) -> Dropout -> Dense(dim) -> Dropout

    A padding mask on `x` (from `Embedding(mask_zero=True)`) reaches the attention, so no token
    attends to a pad, and flows on to the output. Vaswani et al. 2017, https://arxiv.org/abs/1706.03762

    Args:
        x (KerasTensor): tokens, `(batch, length, dim)`; `dim` must be a multiple of `heads`.
        heads: attention heads; each has `dim // heads` query/key/value units.
        mlp_dim: hidden width of the MLP.
        dropout: rate after the attention and in the MLP; 0 adds no layers.
        attention_dropout: rate on the attention weights.
        epsilon: of the layer norms (1e-6 in ViT).
        activation: of the MLP's hidden layer (gelu in ViT; relu in SASRec).
        causal: each token attends only to itself and the tokens before it (a decoder's mask, for
            predicting what comes next, as SASRec does).
        name: prefix of every layer's name.

    Returns:
        tokens (KerasTensor): the tokens after the block, same shape as `x`.
    """
    dim = x.shape[-1]
    if dim % heads:
        raise ValueError(f"The token width {dim} must be a multiple of heads. Received: heads={heads}")
    y = keras.layers.LayerNormalization(epsilon=epsilon, name=f"{name}_norm1")(x)
    y = keras.layers.MultiHeadAttention(
        heads, dim // heads, dropout=attention_dropout, name=f"{name}_attention"
    )(y, y, use_causal_mask=causal)
    if dropout:
        y = keras.layers.Dropout(dropout, name=f"{name}_attention_dropout")(y)
    x = keras.layers.Add(name=f"{name}_residual1")([x, y])

    y = keras.layers.LayerNormalization(epsilon=epsilon, name=f"{name}_norm2")(x)
    y = keras.layers.Dense(mlp_dim, activation=activation, name=f"{name}_mlp_fc1")(y)
    if dropout:
        y = keras.layers.Dropout(dropout, name=f"{name}_mlp_dropout1")(y)
    y = keras.layers.Dense(dim, name=f"{name}_mlp_fc2")(y)
    if dropout:
        y = keras.layers.Dropout(dropout, name=f"{name}_mlp_dropout2")(y)
    return keras.layers.Add(name=f"{name}_residual2")([x, y])
