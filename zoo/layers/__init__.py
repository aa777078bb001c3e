"""Building blocks shared by the families, one concept per file. Importing this imports Keras.

Importing it also registers the custom layers (package "zoo") that saved models need to load.
"""

from keras_zoo.layers.audio import MFCC, LogMelSpectrogram, SpecAugment, UtteranceNormalization, frame_count
from keras_zoo.layers.catalogue import ItemRange
from keras_zoo.layers.class_token import ClassToken, ExtractClassToken
from keras_zoo.layers.folded import FoldedNormalization
from keras_zoo.layers.fused_norm import BatchNormalization
from keras_zoo.layers.head import classification_head
from keras_zoo.layers.patches import patch_embedding
from keras_zoo.layers.pooling import MaskedMean
from keras_zoo.layers.positions import PositionEmbedding, SinusoidalPositionEncoding
from keras_zoo.layers.residual import batch_norm, conv, residual_block, resnet_stem
from keras_zoo.layers.scale import FeatureScale
from keras_zoo.layers.shortcut import ZeroPadShortcut
from keras_zoo.layers.strided_depthwise import DepthwiseConv2D
from keras_zoo.layers.subspectral_norm import SubSpectralNorm
from keras_zoo.layers.transformer_encoder import transformer_encoder_block

__all__ = [
    "BatchNormalization",
    "ClassToken",
    "DepthwiseConv2D",
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
