"""Transformer encoders: one family for token ids, images (ViT) and frames.

A stem turns the input into a sequence of `dim`-wide tokens, chosen by the input's rank:

- `(length,)` token ids: an embedding whose index 0 is padding (`mask_zero=True`), so attention
  and mean pooling ignore pads (Vaswani et al. 2017);
- `(height, width, channels)` images: non-overlapping `patch_size` patches, each linearly
  projected (ViT, Dosovitskiy et al. 2021; DeiT sizes, Touvron et al. 2021);
- `(steps, features)` frames: a dense projection of each frame (spectrograms, series).

Then an optional class token, positions (learned or sinusoidal), `depth` pre-norm encoder blocks,
a final layer norm, pooling (the class token or the mean of the tokens) and the head. Built like
timm's ViT, `vit_tiny` and `vit_small` have exactly the parameter counts of timm's
`vit_tiny_patch16_224` and `vit_small_patch16_224`.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_zoo.models.base import HeadConfig, check_choice, check_positive, check_range
from keras_zoo.registry import Family, register_model

POSITIONS = ("learned", "sinusoidal")
POOLINGS = ("cls", "mean")


@dataclass
class TransformerConfig(HeadConfig):
    dim: int = 192  # token width (d_model); a multiple of heads
    depth: int = 12  # number of encoder blocks
    heads: int = 3  # attention heads per block, each dim // heads wide
    mlp_dim: int = 768  # hidden width of each block's MLP (4 * dim in ViT)
    dropout: float = 0.0  # after the positions, the attention and in the MLPs
    attention_dropout: float = 0.0  # on the attention weights
    position: str = "learned"  # "learned" (ViT, BERT) or "sinusoidal" (Vaswani et al., no weights)
    pooling: str = "cls"  # "cls": a learned class token; "mean": average of the (unpadded) tokens
    patch_size: int = 16  # image inputs only: side of the square patches
    vocab_size: int = 20000  # token inputs only: ids in [0, vocab_size), 0 is padding
    norm_epsilon: float = 1e-6  # of every layer norm, as in ViT

    def __post_init__(self) -> None:
        super().__post_init__()
        check_encoder_fields(self)
        check_choice("position", self.position, POSITIONS)
        check_choice("pooling", self.pooling, POOLINGS)
        check_positive("patch_size", self.patch_size)
        check_positive("vocab_size", self.vocab_size)


def check_encoder_fields(config) -> None:
    """The fields every transformer encoder config has: dim, depth, heads, mlp_dim, dropouts, norm_epsilon."""
    check_positive("dim", config.dim)
    check_positive("depth", config.depth)
    check_positive("heads", config.heads)
    if config.dim % config.heads:
        raise ValueError(
            f"heads must divide dim={config.dim} (each head is dim // heads wide). Received: heads={config.heads}"
        )
    check_positive("mlp_dim", config.mlp_dim)
    check_range("dropout", config.dropout, 0.0, 1.0, high_open=True)
    check_range("attention_dropout", config.attention_dropout, 0.0, 1.0, high_open=True)
    epsilon = config.norm_epsilon
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon <= 0:
        raise ValueError(f"norm_epsilon must be a positive number. Received: norm_epsilon={epsilon!r}")


def check_transformer_input(config: TransformerConfig, input_shape: tuple[int, ...]) -> None:
    if len(input_shape) not in (1, 2, 3):
        raise ValueError(
            "A transformer takes (length,) token ids, (steps, features) frames or (height, width, channels) "
            f"images. Received: input_shape={input_shape}"
        )
    if len(input_shape) == 3:
        p = config.patch_size
        height, width = input_shape[:2]
        if height < p or width < p or height % p or width % p:
            raise ValueError(
                f"Image height and width must be multiples of patch_size={p} (at least {p}), "
                f"e.g. (224, 224, 3) with patch_size=16; or set patch_size. Received: input_shape={input_shape}"
            )


def build_transformer(config: TransformerConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras  # deferred: the registry is listed without importing TensorFlow

    from keras_zoo.layers import (
        ClassToken,
        ExtractClassToken,
        MaskedMean,
        PositionEmbedding,
        SinusoidalPositionEncoding,
        classification_head,
        patch_embedding,
        transformer_encoder_block,
    )

    check_transformer_input(config, input_shape)
    rank = len(input_shape)
    inputs = keras.Input(shape=input_shape, dtype="int32" if rank == 1 else "float32", name="inputs")
    if rank == 1:
        x = keras.layers.Embedding(config.vocab_size, config.dim, mask_zero=True, name="token_embedding")(inputs)
    elif rank == 3:
        x = patch_embedding(inputs, config.dim, config.patch_size, name="patch_embedding")
    else:
        x = keras.layers.Dense(config.dim, name="frame_projection")(inputs)

    if config.pooling == "cls":
        x = ClassToken(name="class_token")(x)
    if config.position == "learned":
        x = PositionEmbedding(x.shape[1], name="position_embedding")(x)
    else:
        x = SinusoidalPositionEncoding(name="position_encoding")(x)
    if config.dropout:
        x = keras.layers.Dropout(config.dropout, name="position_dropout")(x)

    for i in range(config.depth):
        x = transformer_encoder_block(
            x,
            heads=config.heads,
            mlp_dim=config.mlp_dim,
            dropout=config.dropout,
            attention_dropout=config.attention_dropout,
            epsilon=config.norm_epsilon,
            name=f"block_{i}",
        )
    x = keras.layers.LayerNormalization(epsilon=config.norm_epsilon, name="encoder_norm")(x)
    if config.pooling == "cls":
        x = ExtractClassToken(name="cls_pool")(x)
    else:
        x = MaskedMean(name="mean_pool")(x)  # pads are left out; an all-padding text gives zeros, not NaN
    outputs = classification_head(
        x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout
    )
    return keras.Model(inputs, outputs, name=name)


def transformer_search_space(hp, config: TransformerConfig) -> dict:
    dim = hp.Choice("dim", [64, 128, 192, 256])
    return {
        "dim": dim,
        "depth": hp.Int("depth", 1, 6),
        "heads": hp.Choice("heads", [1, 2, 4]),  # all divide every dim above
        "mlp_dim": dim * hp.Choice("mlp_ratio", [2, 4]),
        "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1),
        "attention_dropout": hp.Float("attention_dropout", 0.0, 0.2, step=0.1),
        "position": hp.Choice("position", list(POSITIONS)),
        "pooling": hp.Choice("pooling", list(POOLINGS)),
    }


TRANSFORMER = Family(
    "transformer",
    config_class=TransformerConfig,
    build=build_transformer,
    search_space=transformer_search_space,
    check_input=check_transformer_input,
    description="pre-norm Transformer encoder on token ids, image patches (ViT) or frames",
)

_VASWANI = "Vaswani et al. 2017, https://arxiv.org/abs/1706.03762"
_VIT = (
    "Dosovitskiy et al. 2021, https://arxiv.org/abs/2010.11929; "
    "Touvron et al. 2021 (DeiT sizes), https://arxiv.org/abs/2012.12877"
)
_TEXT = dict(domains=("nlp",), input_kind="tokens", input_shape=(200,), num_classes=2, reference=_VASWANI)
_IMAGES = dict(domains=("vision",), input_kind="image", input_shape=(224, 224, 3), num_classes=1000, reference=_VIT)
_FRAMES = dict(domains=("speech", "finance"), input_kind="sequence", input_shape=(98, 40), num_classes=12,
               reference=_VASWANI)


@register_model(TRANSFORMER, **_TEXT, params=1_360_002)
def transformer_text_tiny():
    """Two blocks of width 64 over token embeddings, mean-pooled: a small text classifier."""
    return TransformerConfig(dim=64, depth=2, heads=2, mlp_dim=128, dropout=0.1, pooling="mean")


@register_model(TRANSFORMER, **_TEXT, params=3_379_202)
def transformer_text_small():
    """Four blocks of width 128 over token embeddings, mean-pooled."""
    return TransformerConfig(dim=128, depth=4, heads=4, mlp_dim=512, dropout=0.1, pooling="mean")


@register_model(TRANSFORMER, **_IMAGES, params=5_717_416)
def vit_tiny():
    """ViT-Ti/16 (DeiT-tiny): width 192, 12 blocks, 3 heads, 16x16 patches, class token."""
    return TransformerConfig(dim=192, depth=12, heads=3, mlp_dim=768, patch_size=16)


@register_model(TRANSFORMER, **_IMAGES, params=22_050_664)
def vit_small():
    """ViT-S/16 (DeiT-small): width 384, 12 blocks, 6 heads, 16x16 patches, class token."""
    return TransformerConfig(dim=384, depth=12, heads=6, mlp_dim=1536, patch_size=16)


@register_model(TRANSFORMER, **_FRAMES, params=70_540)
def transformer_frames_tiny():
    """Two blocks of width 64 over projected frames (spectrograms, series), sinusoidal positions."""
    return TransformerConfig(dim=64, depth=2, heads=2, mlp_dim=128, dropout=0.1, position="sinusoidal")


@register_model(TRANSFORMER, **_FRAMES, params=537_100)
def transformer_frames_small():
    """Four blocks of width 128 over projected frames, sinusoidal positions."""
    return TransformerConfig(dim=128, depth=4, heads=4, mlp_dim=256, dropout=0.1, position="sinusoidal")
