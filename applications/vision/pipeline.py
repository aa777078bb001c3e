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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keras_zoo.applications.common.training import TrainConfig

DOMAIN = "vision"
DEFAULT_MODEL = "resnet20"
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
    train: TrainConfig = field(default_factory=TrainConfig)


def check_image_model(name: str) -> None:
    import keras_zoo as zoo

    entry = zoo.registry.get_entry(name)
    if entry.input_kind not in IMAGE_KINDS:
        models = ", ".join(n for n in zoo.list_models() if zoo.registry.get_entry(n).input_kind == "image")
        raise ValueError(
            f"{name} takes {entry.input_kind} inputs, not images. Models for images: {models} "
            f"(and the mlp_* models on flattened pixels). Received: --model {name}"
        )


def load_data(config: VisionConfig):
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.vision import data as vision_data

    source = parse_source(config.data)
    return vision_data.load_images(
        source.kind, name=source.name, path=source.path, text=source.text, image_size=config.image_size,
        seed=config.train.seed, test=config.test_data, max_examples=config.max_examples,
    )


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
    """The registry network inside a model that resizes, (for keras.applications) rescales, augments."""
    import keras_zoo as zoo

    check_image_model(config.model)
    net_shape = network_input_shape(config.model, image_shape)
    if config.pretrained:
        net = zoo.create_model(config.model, pretrained=config.pretrained, num_classes=num_classes, input_shape=net_shape)
        if config.freeze_backbone:
            import keras_zoo.transfer

            zoo.transfer.freeze_backbone(net)
    else:
        net = zoo.create_model(config.model, num_classes=num_classes, input_shape=net_shape)
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
        "light": AugmentConfig(),
        "none": NO_AUGMENT,
    }[config.augment]
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


def _predict_numpy(model, ds, batch_size=256):
    import numpy as np

    from keras_zoo.applications.vision.baselines import dataset_to_numpy

    x, y = dataset_to_numpy(ds)
    probs = model.predict(x, batch_size=batch_size, verbose=0) if len(x) else np.zeros((0, 0))
    return x, y, probs


def train_and_evaluate(config: VisionConfig, output_dir: Path, *, verbose: bool = True) -> dict:
    """The whole run; returns the `metrics.json` record. `output_dir` comes from `prepare_output_dir`."""
    import numpy as np

    from keras_zoo.applications.common import plotting, report, training
    from keras_zoo.applications.common.evaluation import classification_metrics
    from keras_zoo.applications.common.runs import save_model
    from keras_zoo.applications.vision import baselines, plots
    from keras_zoo.applications.vision.data import make_batches

    def say(message):
        if verbose:
            print(message, flush=True)

    training.set_seed(config.train.seed)
    check_image_model(config.model)
    data = load_data(config)
    n_classes = len(data.class_names)
    say(f"Data {data.source}: {data.counts['train']} train, {data.counts['val']} validation, "
        f"{data.counts['test']} test images of {data.image_shape}, {n_classes} classes"
        + (f"; {len(data.skipped)} unreadable files skipped" if data.skipped else ""))

    model, net = build_model(config, data.image_shape, n_classes)
    say(f"Model {config.model}" + (f" from checkpoint {config.pretrained}" if config.pretrained else "")
        + f": {net.count_params():,} parameters, input {net.input_shape[1:]}")

    batch_size = config.train.resolve_batch_size(data.counts["train"])
    train_ds = make_batches(data.train, batch_size, training=True, seed=config.train.seed)
    val_ds = make_batches(data.val, batch_size, training=False) if data.counts["val"] else None
    steps = max(1, int(np.ceil(data.counts["train"] / batch_size)))
    fit = training.fit(
        model, train_ds, val_ds, config.train, output_dir,
        loss="sparse_categorical_crossentropy", metrics=["accuracy"], steps_per_epoch=steps,
        n_train=data.counts["train"],
    )
    say(f"Trained {fit.epochs_run} epochs in {fit.train_s:.1f} s ({fit.examples_per_s:.0f} images/s)")

    # ## Evaluation on the held-out test split
    x_test, y_test, probs = _predict_numpy(model, data.test)
    metrics, per_class, matrix = classification_metrics(y_test, probs, data.class_names)
    x_train, y_train = baselines.dataset_to_numpy(data.train)
    svm = baselines.svm_baseline(x_train, y_train, x_test, y_test, seed=config.train.seed)
    baseline_name = svm.pop("name")

    # ## Files
    save_model(model, output_dir)
    report.write_history_csv(output_dir, fit.history)
    plot_paths = [
        plotting.plot_history(fit.history, output_dir),
        plotting.plot_confusion_matrix(matrix, data.class_names, output_dir),
        plotting.plot_bars({config.model: metrics["accuracy"], baseline_name: svm["accuracy"]}, output_dir,
                           "model_vs_baseline", title="Test accuracy", ylabel="accuracy"),
        plotting.save_figure(plots.prediction_grid(x_test[:25], y_test[:25], probs[:25].argmax(-1), data.class_names,
                                                   probs=probs[:25]), output_dir, "predictions"),
    ]
    if np.any(probs.argmax(-1) != y_test):
        plot_paths.append(plotting.save_figure(
            plots.most_confused(x_test, y_test, probs, data.class_names), output_dir, "most_confused"))
    if plots.is_convolutional(model):
        plot_paths.append(plotting.save_figure(
            plots.grad_cam_figure(model, x_test[:8], data.class_names), output_dir, "grad_cam"))

    record = {
        "domain": DOMAIN,
        "model": config.model,
        "pretrained": config.pretrained,
        "data": {
            "source": data.source, "train": data.counts["train"], "val": data.counts["val"],
            "test": data.counts["test"], "classes": list(data.class_names), "image_shape": list(data.image_shape),
            "skipped": data.skipped,
        },
        "metrics": metrics,
        "baselines": {baseline_name: svm},
        "timing": {"train_s": fit.train_s, "train_examples_per_s": fit.examples_per_s},
    }
    report.write_metrics(
        output_dir, **record, per_class=per_class, confusion_matrix=matrix, epochs_run=fit.epochs_run,
        config=_config_record(config), seed=config.train.seed, plots=[str(p.relative_to(output_dir)) for p in plot_paths],
    )
    say(f"Test accuracy {metrics['accuracy']:.4f} (macro-F1 {metrics['macro_f1']:.4f}); "
        f"{baseline_name} {svm['accuracy']:.4f}")
    return report.read_metrics(output_dir)


def _config_record(config: VisionConfig) -> dict:
    record = dataclasses.asdict(config)
    record["image_size"] = list(config.image_size) if config.image_size else None
    return record


def load_run(model_dir: str | Path):
    """A finished vision run's model and metrics record; a clear error for a folder that is not one."""
    from keras_zoo.applications.common.runs import load_run as load

    return load(model_dir, DOMAIN)


def evaluate(model_dir: str | Path, data: str, *, seed: int | None = None, verbose: bool = True) -> dict:
    """Accuracy and per-class scores of a finished run on the test split of `data`.

    For `sample` and `tfds:` sources that is their test split, split with the run's own seed (or
    `seed`), so that it is the test split the run reported on; a folder is used whole, as test data.
    """
    from keras_zoo.applications.common.evaluation import classification_metrics
    from keras_zoo.applications.common.runs import run_seed
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.vision import data as vision_data

    model, record = load_run(model_dir)
    seed = run_seed(record) if seed is None else seed
    image_shape = tuple(record["data"]["image_shape"])
    source = parse_source(data)
    if source.kind == "folder":  # every image in it is test data
        loaded = vision_data.load_folder(source.path, image_size=image_shape[:2], seed=seed, val_fraction=0,
                                         test_fraction=0)
        test = loaded.train
    else:
        loaded = vision_data.load_images(source.kind, name=source.name, path=source.path, text=source.text,
                                         image_size=image_shape[:2] if source.kind == "tfds" else None, seed=seed)
        test = loaded.test
    class_names = tuple(record["data"]["classes"])
    if tuple(loaded.class_names) != class_names:
        raise ValueError(f"The data's classes {list(loaded.class_names)} are not the model's {list(class_names)}.")
    _, y, probs = _predict_numpy(model, test)
    metrics, per_class, matrix = classification_metrics(y, probs, class_names)
    result = {"data": data, "test": int(len(y)), "metrics": metrics, "per_class": per_class, "confusion_matrix": matrix}
    if verbose:
        print(f"{data}: accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f} on {len(y)} images")
    return result


def predict(model_dir: str | Path, paths: list[str], *, top: int = 1) -> list[dict]:
    """The predicted label and its probability for each image file."""
    import numpy as np

    from keras_zoo.applications.vision.data import load_image_files

    if not paths:
        raise ValueError("Give at least one image file to predict.")
    model, record = load_run(model_dir)
    images = load_image_files(paths, tuple(record["data"]["image_shape"]))
    probs = model.predict(images, verbose=0)
    class_names = record["data"]["classes"]
    results = []
    for path, p in zip(paths, probs):
        order = np.argsort(p)[::-1][:top]
        results.append({"file": str(path), "label": class_names[order[0]], "probability": float(p[order[0]]),
                        "top": [(class_names[i], float(p[i])) for i in order]})
    return results


def demo(output_dir: Path, *, seed: int = 0) -> dict:
    """The offline demo: the default model on the bundled digits, against the SVM."""
    config = VisionConfig(
        # The recipe of the shipped resnet20.digits checkpoint (tools/train_pretrained.py), less its
        # label smoothing: about 40 s on 2 CPU cores.
        train=TrainConfig(epochs=40, optimizer="adamw", learning_rate=2e-3, schedule="cosine", weight_decay=1e-4,
                          patience=None, seed=seed),
    )
    start = time.perf_counter()
    record = train_and_evaluate(config, output_dir)
    record["timing"]["total_s"] = time.perf_counter() - start
    return record


def config_from_args(args, train: TrainConfig) -> VisionConfig:
    """The run's config from `zoo train vision` arguments."""
    if args.freeze_backbone and not args.pretrained:
        raise ValueError("--freeze-backbone needs --pretrained: a random backbone is not worth freezing.")
    text_only = [flag for flag, given in (("--embeddings", getattr(args, "embeddings", None)),
                                          ("--freeze-embeddings", getattr(args, "freeze_embeddings", False)),
                                          ("--sequence-length", getattr(args, "sequence_length", None))) if given]
    if text_only:
        raise ValueError(f"{', '.join(text_only)} are for `zoo train nlp`, not vision.")
    if getattr(args, "features", None):
        raise ValueError("--features is for `zoo train speech`, not vision.")
    if args.augment not in ("auto", "light", "none"):
        raise ValueError(f"--augment {args.augment} is for speech; vision takes auto, light or none.")
    return VisionConfig(
        model=args.model or DEFAULT_MODEL, data=args.data, test_data=args.test_data,
        image_size=tuple(args.image_size) if args.image_size else None, augment=args.augment,
        pretrained=args.pretrained, freeze_backbone=args.freeze_backbone, max_examples=args.max_examples, train=train,
    )


def tune_data(model: str, data: str, *, seed: int, batch_size: int, max_examples: int | None = None):
    """The images as `zoo train vision` splits them; the network behind the same resizing and augmentation."""
    from keras_zoo.applications.tune import TuneData, need_validation
    from keras_zoo.applications.vision.data import make_batches

    config = VisionConfig(model=model, data=data, max_examples=max_examples, train=TrainConfig(seed=seed))
    loaded = load_data(config)
    need_validation(loaded.counts)
    image_shape = tuple(loaded.image_shape)
    net_shape = network_input_shape(model, image_shape)

    def wrap(net):  # what `zoo train vision --augment auto` puts before the network
        return wrap_network(net, config, image_shape)

    return TuneData(
        train=make_batches(loaded.train, batch_size, training=True, seed=seed),
        val=make_batches(loaded.val, batch_size, training=False),
        test=make_batches(loaded.test, batch_size, training=False),
        num_classes=len(loaded.class_names), input_shape=tuple(net_shape), counts=dict(loaded.counts),
        classification=True, wrap=wrap,
        info={"source": loaded.source or data, **loaded.counts, "classes": list(loaded.class_names),
              "image_shape": list(image_shape), "augment": "auto (as `zoo train vision`)"},
    )


def input_feed(model: str | None, data: str, *, batch_size: int, seed: int):
    """The images' training batches as `zoo train vision` makes them, and its model: `(name, model, dataset)`."""
    from keras_zoo.applications.vision.data import make_batches

    config = VisionConfig(data=data, train=TrainConfig(batch_size=batch_size, seed=seed),
                          **({"model": model} if model else {}))
    check_image_model(config.model)
    images = load_data(config)
    keras_model, _ = build_model(config, images.image_shape, len(images.class_names))
    return config.model, keras_model, make_batches(images.train, batch_size, training=True, seed=seed)
