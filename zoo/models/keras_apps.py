"""keras.applications backbones in the zoo, with their published ImageNet weights.

`keras_resnet50`, `keras_mobilenet_v2` and `keras_efficientnet_b0` are keras.applications'
`ResNet50`, `MobileNetV2` and `EfficientNetB0` built with `include_top=False`, followed by the
zoo's global pooling and `classification_head` (a Dense named `head`), so that `zoo.transfer`
treats them like every other registry model.

Input: RGB pixels in [0, 255], as `keras.utils.load_img` and `image_dataset_from_directory` give
them. The model scales them itself as its ImageNet weights expect (what
`keras.applications.<module>.preprocess_input` would do), with built-in layers that save in safe
mode: ResNet50 flips RGB to BGR and subtracts the ImageNet mean ("caffe"), MobileNetV2 scales to
[-1, 1] ("tf"), and EfficientNetB0 carries its own rescaling and normalization. With
`include_preprocessing=False` (ResNet50 and MobileNetV2) the model takes what `preprocess_input`
returns instead.

Weights: `weights="imagenet"` downloads keras.applications' own files with `keras.utils.get_file`,
from the URLs and with the hashes that the keras.applications modules hold (read at build time),
into Keras's cache `$KERAS_HOME/models` (default `~/.keras/models`). With `num_classes=1000` the
whole ImageNet classifier is loaded, its top Dense into `head`: predictions equal
`keras.applications.X(weights="imagenet")`'s. With any other `num_classes` the backbone
("notop") file is loaded and the head is new. With `ZOO_OFFLINE=1` a file missing from the cache is
`zoo.checkpoints.OfflineError` that names it, its cache folder and URL, before any network
access. A download whose hash does not match is deleted and refused with
`zoo.checkpoints.ChecksumError` (keras.applications publishes no hash for MobileNetV2's files, so
those are not verified). `create_model(name, pretrained="imagenet")` is the same as
`weights="imagenet"`.

Example:
    >>> model = zoo.create_model("keras_mobilenet_v2", weights="imagenet")  # the ImageNet classifier
    >>> model = zoo.create_model("keras_resnet50", weights="imagenet", num_classes=5,
    ...                          input_shape=(160, 160, 3))  # an ImageNet backbone, a new head
"""

from __future__ import annotations

import importlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from keras_zoo.models.base import HeadConfig, check_choice
from keras_zoo.registry import Family, register_model

# Each application: the keras.src.applications module that holds its weights' URL base and hashes,
# and the input scaling its ImageNet weights expect (a mode of imagenet_utils.preprocess_input;
# None where the keras.applications model scales its own input).
APPLICATIONS = {
    "ResNet50": dict(module="resnet", preprocessing="caffe"),
    "MobileNetV2": dict(module="mobilenet_v2", preprocessing="tf"),
    "EfficientNetB0": dict(module="efficientnet", preprocessing=None),
}
WEIGHTS = (None, "imagenet")
POOLINGS = ("avg", "max")
MOBILENET_V2_IMAGENET_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)  # widths published with ImageNet weights
MOBILENET_V2_IMAGENET_SIZES = (96, 128, 160, 192, 224)  # resolutions published; other inputs get 224's
MIN_SIZE = 32  # keras.applications' smallest input side for these three
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)  # imagenet_utils.preprocess_input(mode="caffe")


@dataclass
class KerasAppConfig(HeadConfig):
    """A keras.applications backbone, global pooling, and the zoo head."""

    application: str = "ResNet50"  # the keras.applications function: one of APPLICATIONS
    # None: random initialisation; "imagenet": keras.applications' ImageNet weights (downloaded once).
    weights: str | None = None
    pooling: str = "avg"  # global pooling of the last feature map: "avg" (as the ImageNet top) or "max"
    alpha: float = 1.0  # MobileNetV2's width multiplier; ImageNet weights exist for MOBILENET_V2_IMAGENET_ALPHAS
    # Scale raw [0, 255] RGB pixels inside the model as the application expects. EfficientNetB0
    # always does (its rescaling and normalization are part of keras.applications' model).
    include_preprocessing: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        check_choice("application", self.application, APPLICATIONS)
        check_choice("weights", self.weights, WEIGHTS)
        check_choice("pooling", self.pooling, POOLINGS)
        if not isinstance(self.include_preprocessing, bool):
            raise ValueError(
                "include_preprocessing must be True or False. "
                f"Received: include_preprocessing={self.include_preprocessing!r}"
            )
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)) or self.alpha <= 0:
            raise ValueError(f"alpha must be a positive number. Received: alpha={self.alpha!r}")
        if self.application != "MobileNetV2" and self.alpha != 1.0:
            raise ValueError(
                f"alpha is MobileNetV2's width multiplier; {self.application} has none. Received: alpha={self.alpha!r}"
            )
        imagenet_mobilenet = self.application == "MobileNetV2" and self.weights == "imagenet"
        if imagenet_mobilenet and self.alpha not in MOBILENET_V2_IMAGENET_ALPHAS:
            raise ValueError(
                f"MobileNetV2's ImageNet weights exist for alpha in {MOBILENET_V2_IMAGENET_ALPHAS}. "
                f"Received: alpha={self.alpha!r}"
            )
        if APPLICATIONS[self.application]["preprocessing"] is None and not self.include_preprocessing:
            raise ValueError(
                f"{self.application} always scales its own input (keras.applications builds it in). "
                "Received: include_preprocessing=False"
            )


def build_keras_app(config: KerasAppConfig, *, input_shape: tuple[int, ...], num_classes: int, name: str):
    import keras  # deferred: the registry is listed without importing TensorFlow

    from keras_zoo.layers import classification_head

    imagenet = config.weights == "imagenet"
    imagenet_top = imagenet and num_classes == 1000  # the ImageNet classifier fits our head as it is
    # Resolve the weights first: offline or corrupted, fail before building anything.
    weights_path = None
    if imagenet:
        weights_path = fetch_weights(imagenet_weights_file(config, input_shape, include_top=imagenet_top))

    inputs = keras.Input(shape=input_shape, name="inputs")
    x = _preprocess(inputs, config)
    extra = {"alpha": config.alpha} if config.application == "MobileNetV2" else {}
    backbone = getattr(keras.applications, config.application)(
        include_top=False,
        weights=None if imagenet_top else weights_path,  # the notop file, loaded by keras.applications
        input_tensor=x,  # one flat model: the backbone's layers are ours
        input_shape=input_shape,
        pooling=None,
        **extra,
    )
    pool = {"avg": keras.layers.GlobalAveragePooling2D, "max": keras.layers.GlobalMaxPooling2D}[config.pooling]
    features = pool(name=f"{config.pooling}_pool")(backbone.output)
    outputs = classification_head(
        features, num_classes, activation=config.classifier_activation, dropout=config.head_dropout
    )
    model = keras.Model(inputs, outputs, name=name)
    if imagenet_top:
        # The include_top file's layers with weights are the backbone's, then "predictions": in
        # the same order as ours, whose last one with weights is "head" (keras' legacy .h5 loading
        # matches them by order and checks every shape).
        model.load_weights(weights_path)
    if imagenet and config.application == "EfficientNetB0":
        _fold_efficientnet_stddev(backbone)
    return model


def _preprocess(inputs, config: KerasAppConfig):
    """The input scaling of `keras.applications.<module>.preprocess_input`, as serialisable layers."""
    import keras

    mode = APPLICATIONS[config.application]["preprocessing"]
    if not config.include_preprocessing or mode is None:
        return inputs
    if mode == "tf":  # [0, 255] -> [-1, 1]
        return keras.layers.Rescaling(1.0 / 127.5, offset=-1.0, name="preprocessing")(inputs)
    # "caffe": RGB -> BGR (keras.ops in a functional model save and load in safe mode), minus the mean.
    bgr = keras.ops.flip(inputs, axis=-1)
    return keras.layers.Rescaling(1.0, offset=[-m for m in CAFFE_MEAN_BGR], name="preprocessing")(bgr)


def _fold_efficientnet_stddev(backbone) -> None:
    """Give EfficientNetB0 the input scaling that keras.applications adds only for weights="imagenet".

    With ImageNet weights keras.applications puts a Rescaling by 1/sqrt(stddev) after the
    Normalization layer (see keras.src.applications.efficientnet and tensorflow#49930); a model
    built with weights=None has no such layer. (x - mean) / sqrt(var) / sqrt(std) equals
    (x - mean) / sqrt(var * std): folding std into the variance gives the same model with the same
    layers whatever the weights, so a saved zoo model never depends on how it was first built.
    """
    import keras
    from keras.src.applications import efficientnet

    norm = next(layer for layer in backbone.layers if isinstance(layer, keras.layers.Normalization))
    norm.adapt_variance.assign(norm.adapt_variance * keras.ops.convert_to_tensor(efficientnet.IMAGENET_STDDEV_RGB))
    norm.finalize_state()  # the layer computes with a copy of the variance made from the variable


# ImageNet weights files: keras.applications' own names, URLs and hashes, through keras.utils.get_file.


@dataclass(frozen=True)
class WeightsFile:
    """A file keras.applications downloads: its name in the cache, URL, and hash (None: unverified)."""

    name: str
    url: str
    file_hash: str | None


def imagenet_weights_file(config: KerasAppConfig, input_shape: tuple[int, ...], *, include_top: bool) -> WeightsFile:
    """The file keras.applications would load for this config, with its URL base and hashes read now.

    The URL bases and hash tables are module constants of keras.src.applications.<module>, read at
    call time (so that a test can point them at a local server).
    """
    module = importlib.import_module(f"keras.src.applications.{APPLICATIONS[config.application]['module']}")
    if config.application == "ResNet50":
        name = f"resnet50_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
        file_hash = module.WEIGHTS_HASHES["resnet50"][0 if include_top else 1]
        return WeightsFile(name, module.BASE_WEIGHTS_PATH + name, file_hash)
    if config.application == "MobileNetV2":
        rows, cols = input_shape[:2]
        size = rows if rows == cols and rows in MOBILENET_V2_IMAGENET_SIZES else 224  # as keras.applications
        suffix = "" if include_top else "_no_top"
        name = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(config.alpha)}_{size}{suffix}.h5"
        return WeightsFile(name, module.BASE_WEIGHT_PATH + name, None)  # keras publishes no hash for these
    name = f"efficientnetb0{'' if include_top else '_notop'}.h5"
    return WeightsFile(name, module.BASE_WEIGHTS_PATH + name, module.WEIGHTS_HASHES["b0"][0 if include_top else 1])


def keras_cache_dir() -> Path:
    """Where keras.utils.get_file keeps keras.applications' weights: `$KERAS_HOME/models`.

    `$KERAS_HOME` is read now (Keras itself reads it once, when it is imported); unset, it is
    Keras's default (`~/.keras`). An existing folder that is not writable falls back to
    `<tmp>/.keras`, as get_file does.
    """
    from keras.src.backend import config as keras_config

    base = os.path.expanduser(os.environ.get("KERAS_HOME") or keras_config.keras_home())
    if os.path.isdir(base) and not os.access(base, os.W_OK):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    return Path(base) / "models"


def fetch_weights(file: WeightsFile) -> str:
    """The local path of a keras.applications weights file: from the cache, else downloaded and verified.

    Raises:
        zoo.checkpoints.OfflineError: `ZOO_OFFLINE=1` and the file is not in the cache (or fails its
            hash there); raised before any network access.
        zoo.checkpoints.ChecksumError: the downloaded file does not match keras.applications' hash;
            it is deleted from the cache.
        OSError: the download failed.
    """
    from keras.src.utils import file_utils

    from keras_zoo.checkpoints import ChecksumError, OfflineError, offline

    cache = keras_cache_dir()
    target = cache / file.name
    if offline():
        if not target.is_file():
            raise OfflineError(
                f"ZOO_OFFLINE=1 and the ImageNet weights file {file.name} is not in the Keras cache {cache}. "
                f"Download it from {file.url} into that folder, or unset ZOO_OFFLINE."
            )
        if file.file_hash is not None and not file_utils.validate_file(str(target), file.file_hash):
            raise OfflineError(
                f"ZOO_OFFLINE=1 and the ImageNet weights file {target} does not match keras.applications' hash "
                f"{file.file_hash} (incomplete or outdated). Download it again from {file.url}, or unset ZOO_OFFLINE."
            )
        return str(target)
    cache.mkdir(parents=True, exist_ok=True)  # get_file would fall back to /tmp for a folder that does not exist
    try:
        return file_utils.get_file(
            file.name, file.url, cache_subdir="models", cache_dir=str(cache.parent), file_hash=file.file_hash
        )
    except ValueError as err:  # get_file's hash check, which leaves the bad file in the cache
        if not target.is_file() or file.file_hash is None:
            raise
        received = file_utils.hash_file(str(target), file_utils.resolve_hasher("auto", file.file_hash))
        target.unlink()
        raise ChecksumError(
            f"The ImageNet weights file {file.name} downloaded from {file.url} does not match keras.applications' "
            f"hash {file.file_hash}: it is corrupted or not the published file, and was deleted from {cache}. "
            f"Received: hash={received}"
        ) from err
    except Exception as err:  # get_file raises a bare Exception for HTTP and URL errors
        raise OSError(
            f"Could not download the ImageNet weights file {file.name} from {file.url} ({err}). "
            f"Without network access, put the file in {cache} by hand."
        ) from err


def check_keras_app_input(config: KerasAppConfig, input_shape: tuple[int, ...]) -> None:
    """keras.applications' limits, before building: sides of at least 32, RGB for ImageNet weights."""
    height, width, channels = input_shape
    if height < MIN_SIZE or width < MIN_SIZE:
        raise ValueError(
            f"{config.application} takes images of at least {MIN_SIZE}x{MIN_SIZE}. Received: input_shape={input_shape}"
        )
    if config.weights == "imagenet" and channels != 3:
        raise ValueError(f"ImageNet weights take 3 (RGB) channels. Received: input_shape={input_shape}")
    if config.include_preprocessing and APPLICATIONS[config.application]["preprocessing"] == "caffe" and channels != 3:
        raise ValueError(
            f"{config.application}'s preprocessing flips RGB to BGR and subtracts a mean per channel: it needs 3 "
            f"channels; pass include_preprocessing=False for other inputs. Received: input_shape={input_shape}"
        )


def keras_app_search_space(hp, config: KerasAppConfig) -> dict:
    space = {
        "pooling": hp.Choice("pooling", list(POOLINGS)),
        "head_dropout": hp.Float("head_dropout", 0.0, 0.5, step=0.1),
    }
    if config.application == "MobileNetV2":
        alphas = MOBILENET_V2_IMAGENET_ALPHAS if config.weights == "imagenet" else (0.35, 0.5, 0.75, 1.0)
        space["alpha"] = hp.Choice("alpha", list(alphas))
    return space


KERAS_APPS = Family(
    "keras",
    config_class=KerasAppConfig,
    build=build_keras_app,
    search_space=keras_app_search_space,
    check_input=check_keras_app_input,
    description="keras.applications backbones with the zoo head; ImageNet weights from keras.applications",
    builtin_weights=("imagenet",),
)

_IMAGENET = dict(domains=("vision",), input_kind="image", input_shape=(224, 224, 3), num_classes=1000)


# Parameter counts equal keras.applications.X(weights=None).count_params(): our head is their top.


@register_model(KERAS_APPS, **_IMAGENET, params=25_636_712,
                reference="He et al. 2016, https://arxiv.org/abs/1512.03385")
def keras_resnet50():
    """keras.applications.ResNet50 (v1), ImageNet weights with weights="imagenet"."""
    return KerasAppConfig(application="ResNet50")


@register_model(KERAS_APPS, **_IMAGENET, params=3_538_984,
                reference="Sandler et al. 2018, https://arxiv.org/abs/1801.04381")
def keras_mobilenet_v2():
    """keras.applications.MobileNetV2 (alpha 1.0), ImageNet weights with weights="imagenet"."""
    return KerasAppConfig(application="MobileNetV2")


# head_dropout 0.2: keras.applications' EfficientNetB0 top has dropout 0.2 (its dropout_rate) before the dense.
@register_model(KERAS_APPS, **_IMAGENET, params=5_330_571,
                reference="Tan and Le 2019, https://arxiv.org/abs/1905.11946")
def keras_efficientnet_b0():
    """keras.applications.EfficientNetB0, ImageNet weights with weights="imagenet"."""
    return KerasAppConfig(application="EfficientNetB0", head_dropout=0.2)
