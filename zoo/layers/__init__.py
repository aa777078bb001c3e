"""Building blocks shared by the families, one concept per file. Importing this imports Keras.

Importing it also registers the custom layers (package "zoo") that saved models need to load.
"""

from zoo.layers.audio import MFCC, LogMelSpectrogram, SpecAugment, UtteranceNormalization, frame_count
from zoo.layers.catalogue import ItemRange
from zoo.layers.class_token import ClassToken, ExtractClassToken
from zoo.layers.folded import FoldedNormalization
from zoo.layers.fused_norm import BatchNormalization
from zoo.layers.head import classification_head
from zoo.layers.patches import patch_embedding
from zoo.layers.pooling import MaskedMean
from zoo.layers.positions import PositionEmbedding, SinusoidalPositionEncoding
from zoo.layers.residual import batch_norm, conv, residual_block, resnet_stem
from zoo.layers.scale import FeatureScale
from zoo.layers.shortcut import ZeroPadShortcut
from zoo.layers.subspectral_norm import SubSpectralNorm
from zoo.layers.transformer_encoder import transformer_encoder_block

__all__ = [
    "BatchNormalization",
    "ClassToken",
    "ExtractClassToken",
    "FeatureScale",
    "FoldedNormalization",
    "ItemRange",
    "LogMelSpectrogram",
    "MFCC",
    "MaskedMean",
    "PositionEmbedding",
    "SinusoidalPositionEncoding",
    "SpecAugment",
    "SubSpectralNorm",
    "UtteranceNormalization",
    "ZeroPadShortcut",
    "batch_norm",
    "classification_head",
    "conv",
    "frame_count",
    "patch_embedding",
    "residual_block",
    "resnet_stem",
    "transformer_encoder_block",
]
