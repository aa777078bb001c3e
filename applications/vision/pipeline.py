"""The vision pipeline: image classification with a registry model, measured against an SVM.

`train_and_evaluate(config, output_dir)` is the whole run: data in, a registry model trained
(from scratch or fine-tuned from a checkpoint), evaluated on the held-out test split beside the
classical baseline, and the run's files written (`metrics.json`, `model.keras`, `history.csv`,
`plots/*.png`). `evaluate` and `predict` work on a finished run's folder.

The saved model takes images as they come (any size, pixels in [0, 1]): it resizes them to the
network's input itself, and its augmentation layers act only in training.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keras_zoo.applications.common.classifier import (TIME_BUDGET_S, Classifier, Setup, TestSplit, check_classes,
                                                      check_search, create_network, dataset_to_numpy,
                                                      model_from_args, search_options)
from keras_zoo.applications.common.training import TrainConfig

DOMAIN = "vision"
DEFAULT_MODEL = "resnet20"
# Without --model, a run on the user's images chooses on its validation split between fine-tuning the
# zoo's real-photograph checkpoint (a "<model>.<tag>" candidate) and training the same network from
# scratch. Fine-tuning goes first: on a large set the time budget may leave room for one candidate only,
# and a network that starts from 50,000 photographs is the better bet.
CANDIDATES = ("resnet20.cifar10", "resnet20")
# The networks that take images; an MLP takes them too, flattened.
IMAGE_KINDS = ("image", "vector")


@dataclass
class VisionConfig:
    """One vision run. The command line fills it from `zoo train vision ...`."""

    model: str = DEFAULT_MODEL
    data: str = "sample"  # sample | tfds:NAME[/CONFIG] | a folder of class subfolders
    test_data: str | None = None  # a folder with the same classes, used as the test split
    image_size: tuple[int, int] | None = None  # resize to this; default: the data's size (at least the model's minimum)
    augment: Any = "auto"  # "auto" (no flips for the digits) | "none" | "light", or an AugmentConfig
    pretrained: str | None = None  # a checkpoint tag, folder or URL of `model`, fine-tuned here
    freeze_backbone: bool = False  # with pretrained: train the head only
    max_examples: int | None = None  # cap each TFDS split, for quick runs
    candidates: tuple[str, ...] = ()  # to choose `model` among on the validation split ("<model>.<tag>": fine-tuned)
    time_budget: float = TIME_BUDGET_S  # seconds the choice may take (the first candidate always trains)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        check_search(self)


def check_image_model(name: str) -> None:
    import keras_zoo as zoo

    entry = zoo.registry.get_entry(name)
    if entry.input_kind not in IMAGE_KINDS:
        models = ", ".join(n for n in zoo.list_models() if zoo.registry.get_entry(n).input_kind == "image")
        raise ValueError(f"{name} takes {entry.input_kind} inputs, not images. Models for images: {models} "
                         f"(and the mlp_* models on flattened pixels). Received: --model {name}")


def load_data(config: VisionConfig):
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.vision import data as vision_data

    source = parse_source(config.data)
    return vision_data.load_images(source.kind, name=source.name, path=source.path, text=source.text,
                                   image_size=config.image_size, seed=config.train.seed, test=config.test_data,
                                   max_examples=config.max_examples)


def network_input_shape(name: str, image_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """The data's shape, enlarged to the smallest size the network takes (the digits to a ResNet-50)."""
    import keras_zoo as zoo

    entry = zoo.registry.get_entry(name)
    if entry.input_kind == "vector":
        return image_shape
    shape = tuple(image_shape)
    for side in range(max(shape[:2]), 513):
        candidate = (max(shape[0], side), max(shape[1], side), shape[2])
        try:
            zoo.registry.check_input_shape(entry, entry.config, candidate)
            return candidate if side > max(shape[:2]) else shape
        except ValueError:
            continue
    zoo.registry.check_input_shape(entry, entry.config, shape)  # raises the model's own message
    return shape


def build_model(config: VisionConfig, image_shape: tuple[int, int, int], num_classes: int):
    """`(model, net)`: the registry network inside a model that resizes, (for keras.applications) rescales, augments."""
    check_image_model(config.model)
    net = create_network(config, network_input_shape(config.model, image_shape), num_classes)
    return wrap_network(net, config, image_shape), net


def wrap_network(net, config: VisionConfig, image_shape: tuple[int, int, int]):
    """`net` behind what `zoo train vision` puts before it: resizing, the run's augmentation, and
    (for keras.applications networks) rescaling to [0, 255]. Shared by training and `zoo tune`."""
    import keras

    import keras_zoo as zoo
    from keras_zoo.applications.vision.augment import NO_AUGMENT, AugmentConfig, augmentation_layers

    net_shape = network_input_shape(config.model, image_shape)
    augment = config.augment if isinstance(config.augment, AugmentConfig) else {
        "auto": digits_augment(config.model) if config.data == "sample" else AugmentConfig(),
        "light": AugmentConfig(), "none": NO_AUGMENT}[config.augment]
    inputs = keras.Input(image_shape, name="image")
    x = inputs
    if tuple(net_shape) != tuple(image_shape):
        x = keras.layers.Resizing(net_shape[0], net_shape[1], name="resize")(x)
    for layer in augmentation_layers(augment, seed=config.train.seed):
        x = layer(x)
    if zoo.registry.get_entry(config.model).family.name == "keras":
        x = keras.layers.Rescaling(255.0, name="to_0_255")(x)  # keras.applications models take [0, 255]
    return keras.Model(inputs, net(x), name=f"vision_{config.model}")


def digits_augment(model: str):
    """The digits' augmentation that helps this network (measured in applications/vision/augment.py)."""
    import keras_zoo as zoo
    from keras_zoo.applications.vision.augment import DIGITS_AUGMENT, DIGITS_AUGMENT_SMALL_NETS

    small = zoo.registry.get_entry(model).family.name in ("cnn", "mlp")
    return DIGITS_AUGMENT_SMALL_NETS if small else DIGITS_AUGMENT


class ImageClassifier(Classifier):
    """Vision's run (`common/classifier.py`): images in, the SVM on pixels beside the network."""

    domain, unit, config_class = DOMAIN, "images", VisionConfig
    no_inputs = "Give at least one image file to predict."
    check_model = staticmethod(check_image_model)

    def prepare(self, config: VisionConfig, *, tuning: bool = False) -> Setup:
        from keras_zoo.applications.vision.data import make_batches

        data = load_data(config)
        counts, seed, image_shape = dict(data.counts), config.train.seed, tuple(data.image_shape)
        batch_size = config.train.resolve_batch_size(counts["train"])
        return Setup(data=data, counts=counts, train=make_batches(data.train, batch_size, training=True, seed=seed),
                     val=make_batches(data.val, batch_size, training=False) if counts["val"] else None,
                     test=make_batches(data.test, batch_size, training=False),
                     input_shape=network_input_shape(config.model, image_shape),
                     wrap=lambda net: wrap_network(net, config, image_shape), n_train=counts["train"],
                     steps_per_epoch=max(1, -(-counts["train"] // batch_size)),
                     info={"image_shape": list(image_shape), "augment": "auto (as `zoo train vision`)"})

    def data_line(self, setup):
        data, c = setup.data, setup.counts
        return (f"Data {data.source}: {c['train']} train, {c['val']} validation, {c['test']} test images of "
                f"{data.image_shape}" + (f" ({data.size_rule})" if data.size_rule else "")
                + f", {len(data.class_names)} classes"
                + (f"; {len(data.skipped)} unreadable files skipped" if data.skipped else ""))

    def test_split(self, setup):
        return TestSplit(*dataset_to_numpy(setup.data.test))

    def baselines(self, config, setup, test, probs):
        from keras_zoo.applications.vision import baselines

        svm = baselines.svm_baseline(*dataset_to_numpy(setup.data.train), test.inputs, test.labels,
                                     seed=config.train.seed)
        return {svm.pop("name"): svm}

    def validation_baselines(self, config, setup):
        from keras_zoo.applications.vision import baselines

        if not setup.counts["val"]:
            return {}
        svm = baselines.svm_baseline(*dataset_to_numpy(setup.data.train), *dataset_to_numpy(setup.data.val),
                                     seed=config.train.seed)
        return {svm.pop("name"): svm}

    def data_record(self, setup, test):
        return {"image_shape": list(setup.data.image_shape),
                **({"image_size_from": setup.data.size_rule} if setup.data.size_rule else {})}

    def plots(self, run, output_dir):
        from keras_zoo.applications.common.plotting import save_figure
        from keras_zoo.applications.vision import plots

        x, y, probs, classes = run.test.inputs, run.test.labels, run.probs, run.setup.class_names
        grid = plots.prediction_grid(x[:25], y[:25], probs[:25].argmax(-1), classes, probs=probs[:25])
        paths = [run.accuracy_bars(output_dir), save_figure(grid, output_dir, "predictions")]
        if np.any(probs.argmax(-1) != y):
            paths.append(save_figure(plots.most_confused(x, y, probs, classes), output_dir, "most_confused"))
        if plots.is_convolutional(run.model):
            paths.append(save_figure(plots.grad_cam_figure(run.model, x[:8], classes), output_dir, "grad_cam"))
        return paths

    def read_test(self, source, record, seed):
        from keras_zoo.applications.vision import data as vision_data

        image_shape = tuple(record["data"]["image_shape"])
        if source.kind == "folder":  # every image in it is test data
            loaded = vision_data.load_folder(source.path, image_size=image_shape[:2], seed=seed, val_fraction=0,
                                             test_fraction=0)
            test = loaded.train
        else:
            loaded = vision_data.load_images(source.kind, name=source.name, path=source.path, text=source.text,
                                             image_size=image_shape[:2] if source.kind == "tfds" else None, seed=seed)
            test = loaded.test
        check_classes(loaded.class_names, record["data"]["classes"])
        return TestSplit(*dataset_to_numpy(test))

    def read_inputs(self, inputs, record):
        from keras_zoo.applications.vision.data import load_image_files

        return load_image_files(inputs, tuple(record["data"]["image_shape"]))

    def checkpoint_run(self, net, ckpt):
        # The card's input size (a digits checkpoint's card has none: its network's own, 8x8x1), in [0, 1].
        size = ckpt.card.get("input", {}).get("image_size") or net.input_shape[1:3]
        return net, {"data": {"classes": ckpt.card["data"]["classes"], "image_shape": [*size, net.input_shape[-1]]}}

    def candidate_config(self, config, name):
        if "." in name:  # a checkpoint: its network, fine-tuned
            return dataclasses.replace(config, model=name.split(".", 1)[0], pretrained=name, candidates=())
        return super().candidate_config(config, name)

    def demo_config(self, seed):
        # The recipe of the shipped resnet20.digits checkpoint (tools/train_pretrained.py), less its
        # label smoothing: about 40 s on 2 CPU cores.
        return VisionConfig(train=TrainConfig(epochs=40, optimizer="adamw", learning_rate=2e-3, schedule="cosine",
                                              weight_decay=1e-4, patience=None, seed=seed))


CLASSIFIER = ImageClassifier()
prepare, train_and_evaluate, load_run = CLASSIFIER.prepare, CLASSIFIER.train_and_evaluate, CLASSIFIER.load_run
evaluate, validate, predict, demo = CLASSIFIER.evaluate, CLASSIFIER.validate, CLASSIFIER.predict, CLASSIFIER.demo
tune_data, input_feed = CLASSIFIER.tune_data, CLASSIFIER.input_feed


def config_from_args(args, train: TrainConfig) -> VisionConfig:
    """The run's config from `zoo train vision` arguments."""
    if args.freeze_backbone and not args.pretrained:
        raise ValueError("--freeze-backbone needs --pretrained: a random backbone is not worth freezing.")
    if args.augment not in ("auto", "light", "none"):
        raise ValueError(f"--augment {args.augment} is for speech; vision takes auto, light or none.")
    return VisionConfig(model=model_from_args(args, DEFAULT_MODEL), data=args.data, test_data=args.test_data,
                        image_size=tuple(args.image_size) if args.image_size else None, augment=args.augment,
                        pretrained=args.pretrained, freeze_backbone=args.freeze_backbone,
                        max_examples=args.max_examples, **search_options(args, CANDIDATES),
                        train=train)
