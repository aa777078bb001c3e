"""Multi-layer perceptrons: dense layers on flattened inputs.

The classic baseline network (Rumelhart, Hinton and Williams 1986). Any input is flattened, so an
MLP takes vectors, images (as pixels) or lagged time-series features alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from keras_zoo.models.base import ACTIVATIONS, HeadConfig, check_choice, check_positive_ints, check_range
from keras_zoo.registry import Family, register_model

NORMALIZATIONS = ("batch", "layer", None)


@dataclass
class MLPConfig(HeadConfig):
    hidden_units: tuple[int, ...] = (256, 128)  # one dense layer per entry: depth and width
    activation: str = "relu"  # one of ACTIVATIONS
    dropout: float = 0.0  # after every hidden layer
    l1: float = 0.0  # L1 weight penalty on every dense kernel
    l2: float = 0.0  # L2 weight penalty on every dense kernel
    normalization: str | None = None  # "batch", "layer" or None, between dense and activation

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive_ints("hidden_units", self.hidden_units, allow_empty=True)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("normalization", self.normalization, NORMALIZATIONS)
        check_range("dropout", self.dropout, 0.0, 1.0, high_open=True)
        check_range("l1", self.l1, 0.0, float("inf"))
        check_range("l2", self.l2, 0.0, float("inf"))


def build_mlp(config: MLPConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras  # deferred: the registry is listed without importing TensorFlow

    from keras_zoo.layers import BatchNormalization, classification_head

    regularizer = keras.regularizers.L1L2(l1=config.l1, l2=config.l2) if (config.l1 or config.l2) else None
    inputs = keras.Input(shape=input_shape, name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    for i, units in enumerate(config.hidden_units):
        x = keras.layers.Dense(
            units,
            use_bias=config.normalization != "batch",  # batch norm's beta is the bias
            kernel_regularizer=regularizer,
            name=f"dense_{i}",
        )(x)
        if config.normalization == "batch":
            x = BatchNormalization(name=f"dense_{i}_bn")(x)
        elif config.normalization == "layer":
            x = keras.layers.LayerNormalization(name=f"dense_{i}_ln")(x)
        x = keras.layers.Activation(config.activation, name=f"dense_{i}_{config.activation}")(x)
        if config.dropout:
            x = keras.layers.Dropout(config.dropout, name=f"dense_{i}_dropout")(x)
    outputs = classification_head(
        x, num_classes, activation=config.classifier_activation, dropout=config.head_dropout
    )
    return keras.Model(inputs, outputs, name=name)


def mlp_search_space(hp, config: MLPConfig) -> dict:
    depth = hp.Int("depth", 1, 3)
    width = hp.Choice("width", [64, 128, 256, 512])
    return {
        "hidden_units": tuple(max(16, width // 2**i) for i in range(depth)),
        "activation": hp.Choice("activation", ["relu", "gelu", "tanh"]),
        "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1),
        "l2": hp.Choice("l2", [0.0, 1e-5, 1e-4]),
        # Keras Tuner choices cannot be None: "none" stands for no normalisation.
        "normalization": {"none": None}.get(n := hp.Choice("normalization", ["none", "batch", "layer"]), n),
    }


MLP = Family(
    "mlp",
    config_class=MLPConfig,
    build=build_mlp,
    search_space=mlp_search_space,
    description="dense layers on flattened inputs",
)

_MLP_REFERENCE = "Rumelhart, Hinton and Williams 1986, https://doi.org/10.1038/323533a0"


@register_model(MLP, domains=("vision", "finance"), input_kind="vector", input_shape=(784,),
                num_classes=10, params=109_386, reference=_MLP_REFERENCE)
def mlp_small():
    """Two hidden layers (128, 64): a quick baseline for flattened pixels or lagged features."""
    return MLPConfig(hidden_units=(128, 64))


@register_model(MLP, domains=("vision", "finance"), input_kind="vector", input_shape=(784,),
                num_classes=10, params=570_122, reference=_MLP_REFERENCE)
def mlp_base():
    """Three hidden layers (512, 256, 128) with batch norm and dropout 0.2."""
    return MLPConfig(hidden_units=(512, 256, 128), normalization="batch", dropout=0.2)


@register_model(MLP, domains=("nlp",), input_kind="vector", input_shape=(40000,), num_classes=2,
                params=2_560_194,
                reference="Google's text classification guide, n-gram models: "
                          "https://developers.google.com/machine-learning/guides/text-classification/step-2-5")
def mlp_text():
    """One hidden layer (64) with dropout 0.7, for a text's bag of word uni- and bigrams (the NLP pipeline's)."""
    return MLPConfig(hidden_units=(64,), dropout=0.7)


@register_model(MLP, domains=("nlp",), input_kind="vector", input_shape=(40000,), num_classes=2, params=80_002,
                reference="Wang and Manning 2012, NBSVM: https://aclanthology.org/P12-2018/")
def linear_text():
    """A linear classifier (no hidden layer, L2 1e-4) on a text's naive-Bayes-weighted bag of word uni- and bigrams.

    NBSVM's recipe (Wang and Manning 2012) with a softmax: the NLP pipeline weights each n-gram by
    its naive Bayes log-count ratio; the L2 weight was chosen by 10-fold cross-validation on
    movie-review sentences (README).
    """
    return MLPConfig(hidden_units=(), l2=1e-4)
