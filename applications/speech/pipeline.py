"""The speech pipeline: keyword spotting with a registry model, measured against MFCC + SVM.

`train_and_evaluate(config, output_dir)` is the whole run: one-second clips in (16 kHz mono), a
registry network trained on their log-mel spectrogram (or MFCCs), normalised per utterance, with
waveform augmentation (time shift, background noise at a random SNR, speed perturbation) and
SpecAugment masking while training; evaluated on the held-out test split (for the sample: voices
never heard in training) beside the MFCC + SVM baseline; the run's files written (`metrics.json`,
`model.keras`, `history.csv`, `plots/*.png`). `evaluate` and `predict` work on a finished run.

The saved model takes raw audio: its first layers compute the features, so `zoo predict speech
--model-dir D clip.wav` needs nothing but the folder (and the clip, at any sample rate).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.speech.domain import DEFAULT_TRAIN
from keras_zoo.applications.speech.data import CLIP_SAMPLES

DOMAIN = "speech"
DEFAULT_MODEL = "ds_cnn_small"
DEMO_MODEL = DEFAULT_MODEL
FEATURES = ("log_mel", "mfcc")
NUM_FEATURES = 40  # mel bands (or cepstral coefficients) per 10 ms frame: the registry's (98, 40) input
# light: time shift and background noise; full: also speed perturbation and SpecAugment; auto: none
# on the synthetic sample (its test voices are clean speech: on held-out voices, DS-CNN measured
# 0.967 without augmentation, 0.917 light, 0.667 full, 40 epochs, tools/speech_models.py), light
# on recordings (the Speech Commands recipe: shifts and noise make a model robust to where the word
# falls and to the room).
AUGMENT = ("auto", "light", "none", "full")
TOP = 3  # `predict` gives the three likeliest words
# A small training set (a few clips a word, for fine-tuning) is repeated within an epoch so that
# an epoch is at least this many optimizer steps: with one step an epoch, 40 epochs are 40 steps,
# too few for the batch-norm statistics to settle, and early stopping judges after single steps.
MIN_STEPS_PER_EPOCH = 8


@dataclass
class SpeechConfig:
    """One speech run. The command line fills it from `zoo train speech ...`."""

    model: str = DEFAULT_MODEL
    data: str = "sample"  # sample | tfds:NAME | a folder of class subfolders of .wav files
    test_data: str | None = None  # a folder with the same class subfolders, used as the test split
    features: str = "log_mel"  # "log_mel" or "mfcc"
    augment: str = "auto"  # one of AUGMENT
    pretrained: str | None = None  # a checkpoint of `model` (tag, folder or URL) to fine-tune
    freeze_backbone: bool = False  # with pretrained: train the new head only
    overrides: dict = field(default_factory=dict)  # model config overrides, as `zoo.create_model` takes
    max_examples: int | None = None  # cap each split, for quick runs
    train: TrainConfig = field(default_factory=lambda: TrainConfig(**DEFAULT_TRAIN))

    def __post_init__(self) -> None:
        if self.features not in FEATURES:
            raise ValueError(f"features must be one of {FEATURES}. Received: features={self.features!r}")
        if self.augment not in AUGMENT:
            raise ValueError(f"augment must be one of {AUGMENT} for speech. Received: augment={self.augment!r}")
        if self.freeze_backbone and not self.pretrained:
            raise ValueError("freeze_backbone needs a pretrained checkpoint (--pretrained): a random backbone is not "
                             "worth freezing.")


def check_speech_model(name: str) -> None:
    """A registry model that reads spectrogram frames or raw audio (`zoo list --domain speech`)."""
    import keras_zoo as zoo

    entry = zoo.registry.get_entry(name)
    if entry.input_kind != "sequence":
        speech = ", ".join(zoo.list_models(domain=DOMAIN))
        raise ValueError(f"{name} takes {entry.input_kind} inputs; the speech application needs a model of "
                         f"spectrogram frames or raw audio: {speech}. Received: --model {name}")


def reads_raw_audio(name: str) -> bool:
    """Whether the model reads the waveform itself (`(16000, 1)`), not spectrogram frames."""
    import keras_zoo as zoo

    shape = zoo.registry.get_entry(name).input_shape
    return len(shape) == 2 and shape[-1] == 1 and shape[0] >= 1000


def load_data(config: SpeechConfig):
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.speech.data import load_audio

    source = parse_source(config.data)
    test = parse_source(config.test_data) if config.test_data else None
    return load_audio(source.kind, name=source.name, path=source.path, text=source.text, seed=config.train.seed,
                      test=test, max_examples=config.max_examples)


def feature_layer(kind: str):
    from keras_zoo.layers.audio import MFCC, LogMelSpectrogram

    if kind == "mfcc":
        return MFCC(num_coefficients=NUM_FEATURES, num_mel_bins=NUM_FEATURES, name="mfcc")
    return LogMelSpectrogram(num_mel_bins=NUM_FEATURES, name="log_mel")


def build_model(config: SpeechConfig, num_classes: int):
    """`(model, net)`: the registry network `net` inside a model that takes raw audio `(CLIP_SAMPLES,)`."""
    import keras_zoo as zoo
    from keras_zoo.layers.audio import frame_count

    check_speech_model(config.model)
    raw = reads_raw_audio(config.model)
    shape = (CLIP_SAMPLES, 1) if raw else (frame_count(CLIP_SAMPLES), NUM_FEATURES)
    kwargs = dict(num_classes=num_classes, input_shape=shape, **config.overrides)
    net = zoo.create_model(config.model, pretrained=config.pretrained, **kwargs) if config.pretrained else \
        zoo.create_model(config.model, **kwargs)
    if config.freeze_backbone:
        import keras_zoo.transfer

        zoo.transfer.freeze_backbone(net)
    return wrap_network(net, config), net


def wrap_network(net, config: SpeechConfig):
    """`net` behind what `zoo train speech` puts before it: raw audio `(CLIP_SAMPLES,)` in, reshaped
    for a raw-audio network, else log-mel (or MFCC) features normalised per utterance, and
    SpecAugment with `--augment full`. Shared by training and `zoo tune`."""
    import keras

    from keras_zoo.layers.audio import SpecAugment, UtteranceNormalization

    inputs = keras.Input((CLIP_SAMPLES,), name="audio")
    if reads_raw_audio(config.model):
        x = keras.layers.Reshape((CLIP_SAMPLES, 1), name="samples")(inputs)
    else:
        x = UtteranceNormalization(name="normalize")(feature_layer(config.features)(inputs))
        if resolve_augment(config) == "full":
            x = SpecAugment(seed=config.train.seed, name="spec_augment")(x)
    return keras.Model(inputs, net(x), name=f"speech_{config.model}")


def resolve_augment(config: SpeechConfig) -> str:
    """"light", "none" or "full": what `config.augment` means for its data."""
    if config.augment != "auto":
        return config.augment
    return "none" if config.data == "sample" else "light"


def augmenter(config: SpeechConfig, noise: np.ndarray | None):
    """The waveform augmentation of training batches, or None (`augment="none"`)."""
    from keras_zoo.applications.speech import augment

    kind = resolve_augment(config)
    if kind == "none":
        return None
    if noise is None:  # no recorded background noise: white, pink and brown noise, made here
        noise = np.concatenate([augment.synthetic_noise(colour, 5 * CLIP_SAMPLES, seed=config.train.seed + i)
                                for i, colour in enumerate(("white", "pink", "brown"))])
    speed = (0.9, 1.1) if kind == "full" else None
    return augment.Augmenter(noise=noise, speed_factors=speed, seed=config.train.seed)


def batches(ds, batch_size: int, *, training: bool = False, seed: int = 0, augment=None, n: int | None = None):
    import tensorflow as tf

    if training:
        ds = ds.shuffle(max(1, min(n or 10000, 10000)), seed=seed, reshuffle_each_iteration=True)
        repeats = epoch_repeats(n or 0, batch_size)
        if repeats > 1:
            ds = ds.repeat(repeats)
    ds = ds.batch(batch_size)
    if augment is not None:  # sequential: the augmenter's random draws then come in the same order every run
        ds = ds.map(augment)
    return ds.prefetch(tf.data.AUTOTUNE)


def epoch_repeats(n: int, batch_size: int) -> int:
    """How many times an epoch goes through `n` training clips (`MIN_STEPS_PER_EPOCH`)."""
    return max(1, -(-MIN_STEPS_PER_EPOCH * batch_size // max(n, 1))) if n else 1


def _predict(model, ds, batch_size: int = 256):
    audio, labels = [], []
    for a, y in ds.batch(batch_size):
        audio.append(a.numpy())
        labels.append(y.numpy())
    x = np.concatenate(audio) if audio else np.zeros((0, CLIP_SAMPLES), np.float32)
    y = np.concatenate(labels) if labels else np.zeros((0,), np.int32)
    probs = model.predict(x, batch_size=batch_size, verbose=0) if len(x) else np.zeros((0, model.output_shape[-1]))
    return x, y, probs


# ---------------------------------------------------------------------------------------------
# The run


def train_and_evaluate(config: SpeechConfig, output_dir: Path, *, verbose: bool = True) -> dict:
    """The whole run; returns the `metrics.json` record. `output_dir` comes from `prepare_output_dir`."""
    from keras_zoo.applications.common import plotting, report, training
    from keras_zoo.applications.common.evaluation import classification_metrics
    from keras_zoo.applications.common.runs import save_model
    from keras_zoo.applications.speech import baselines, plots

    def say(message):
        if verbose:
            print(message, flush=True)

    training.set_seed(config.train.seed)
    check_speech_model(config.model)
    data = load_data(config)
    n_classes = len(data.class_names)
    counts = data.counts
    say(f"Data {data.source}: {counts['train']} train, {counts['val']} validation, {counts['test']} test clips, "
        f"{n_classes} words ({data.notes.get('split', '')})"
        + (f"; {len(data.skipped)} unreadable files skipped" if data.skipped else "")
        + (f"; {data.cropped} clips longer than {CLIP_SAMPLES / 16000:g} s cropped to their loudest second"
           if data.cropped else ""))

    model, net = build_model(config, n_classes)
    say(f"Model {config.model}" + (f" from checkpoint {config.pretrained}" if config.pretrained else "")
        + f": {net.count_params():,} parameters, input {net.input_shape[1:]}"
        + ("" if reads_raw_audio(config.model) else f" ({config.features} frames)"))

    batch_size = config.train.resolve_batch_size(counts["train"])
    train_ds = batches(data.train, batch_size, training=True, seed=config.train.seed,
                       augment=augmenter(config, data.noise), n=counts["train"])
    val_ds = batches(data.val, batch_size) if counts["val"] else None
    per_epoch = counts["train"] * epoch_repeats(counts["train"], batch_size)
    fit = training.fit(model, train_ds, val_ds, config.train, output_dir, loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"], steps_per_epoch=max(1, -(-per_epoch // batch_size)), n_train=per_epoch)
    say(f"Trained {fit.epochs_run} epochs in {fit.train_s:.1f} s ({fit.examples_per_s:.0f} clips/s)"
        + (f"; each epoch went {per_epoch // counts['train']} times through the {counts['train']} training clips"
           if per_epoch > counts["train"] else ""))

    # ## Evaluation on the held-out test split, beside the baseline on the same split
    x_test, y_test, probs = _predict(model, data.test)
    metrics, per_class, matrix = classification_metrics(y_test, probs, data.class_names)
    svm = baselines.mfcc_svm(data.train, data.test, data.class_names, seed=config.train.seed)
    svm_predictions = svm.pop("predictions")

    # ## Files
    save_model(model, output_dir)
    report.write_history_csv(output_dir, fit.history)
    recalls = {config.model: {w: per_class[w]["recall"] for w in data.class_names},
               "mfcc_svm": {w: svm["per_class"][w]["recall"] for w in data.class_names}}
    plot_paths = [
        plotting.plot_history(fit.history, output_dir),
        plotting.plot_confusion_matrix(matrix, data.class_names, output_dir),
        plotting.plot_bars({config.model: metrics["accuracy"], "mfcc_svm": svm["accuracy"]}, output_dir,
                           "model_vs_baseline", title="Test accuracy", ylabel="accuracy"),
        plotting.save_figure(plots.recall_figure(recalls), output_dir, "recall_per_word"),
    ]
    if len(x_test):
        pick = plots.pick_examples(y_test, probs.argmax(-1), k=6, seed=config.train.seed)
        plot_paths.append(plotting.save_figure(
            plots.examples_figure(x_test[pick], y_test[pick], probs[pick], data.class_names), output_dir, "examples"))

    record = {
        "domain": DOMAIN,
        "model": config.model,
        "pretrained": config.pretrained,
        "data": {
            "source": data.source, "train": counts["train"], "val": counts["val"], "test": counts["test"],
            "classes": list(data.class_names), "skipped": data.skipped, "cropped": data.cropped,
            "sample_rate": 16000, "clip_samples": CLIP_SAMPLES, **data.notes,
        },
        "metrics": {**metrics, "recall_per_word": recalls[config.model]},
        "baselines": {"mfcc_svm": {**svm, "recall_per_word": recalls["mfcc_svm"],
                                   "agreement_with_model": float(np.mean(svm_predictions == probs.argmax(-1)))
                                   if len(y_test) else None}},
        "timing": {"train_s": fit.train_s, "train_examples_per_s": fit.examples_per_s},
    }
    report.write_metrics(
        output_dir, **record, per_class=per_class, confusion_matrix=matrix, epochs_run=fit.epochs_run,
        config=dataclasses.asdict(config), seed=config.train.seed,
        plots=[str(p.relative_to(output_dir)) for p in plot_paths],
    )
    say(f"Test accuracy {metrics['accuracy']:.4f} (macro-F1 {metrics['macro_f1']:.4f}); mfcc_svm {svm['accuracy']:.4f}")
    return report.read_metrics(output_dir)


def load_run(model_dir: str | Path):
    """A finished speech run's model (raw audio in) and metrics record."""
    from keras_zoo.applications.common.runs import load_run as load

    return load(model_dir, DOMAIN)


def evaluate(model_dir: str | Path, data: str, *, seed: int | None = None, verbose: bool = True) -> dict:
    """Accuracy, macro-F1 and per-word recall of a finished run on `data`.

    For `sample` and `tfds:` sources that is their test split, split with the run's own seed (or
    `seed`), so that it is the test split the run reported on; a folder is used whole.
    """
    import tensorflow as tf

    from keras_zoo.applications.common.evaluation import classification_metrics
    from keras_zoo.applications.common.runs import run_seed
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.speech import data as audio_data

    model, record = load_run(model_dir)
    seed = run_seed(record) if seed is None else seed
    class_names = tuple(record["data"]["classes"])
    source = parse_source(data)
    skipped: list = []
    if source.kind == "folder":  # every clip in it is test data
        x, y, skipped, _ = audio_data.read_examples(source.path, class_names)
        ds = tf.data.Dataset.from_tensor_slices((x, y))
    else:
        loaded = audio_data.load_audio(source.kind, name=source.name, path=source.path, text=source.text, seed=seed)
        if tuple(loaded.class_names) != class_names:
            raise ValueError(f"The data's words {list(loaded.class_names)} are not the model's {list(class_names)}.")
        ds = loaded.test
    _, y, probs = _predict(model, ds)
    metrics, per_class, matrix = classification_metrics(y, probs, class_names)
    result = {"data": data, "test": int(len(y)), "metrics": metrics, "per_class": per_class,
              "confusion_matrix": matrix, "skipped": skipped}
    if verbose:
        print(f"{data}: accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f} on {len(y)} clips"
              + (f"; {len(skipped)} unreadable files skipped" if skipped else ""))
    return result


def predict(model_dir: str | Path, paths: list[str], *, top: int = TOP) -> list[dict]:
    """The likeliest words (`top` of them, with probabilities) for each `.wav` file."""
    from keras_zoo.applications.speech.wav import load_clip

    if not paths:
        raise ValueError("Give at least one .wav file, as in: zoo predict speech --model-dir D clip.wav")
    clips = [load_clip(p, clip_samples=CLIP_SAMPLES)[0] for p in paths]  # a bad file: WavError, a ValueError
    model, record = load_run(model_dir)
    probs = model.predict(np.stack(clips), batch_size=256, verbose=0)
    class_names = record["data"]["classes"]
    results = []
    for path, p in zip(paths, probs):
        order = np.argsort(p)[::-1][:top]
        results.append({"file": str(path), "label": class_names[order[0]], "probability": float(p[order[0]]),
                        "top": [(class_names[i], float(p[i])) for i in order]})
    return results


def demo(output_dir: Path, *, seed: int = 0) -> dict:
    """The offline demo: `DEMO_MODEL` on the synthetic sample, tested on voices held out from training."""
    config = SpeechConfig(model=DEMO_MODEL, train=TrainConfig(**{**DEFAULT_TRAIN, "seed": seed}))
    start = time.perf_counter()
    record = train_and_evaluate(config, output_dir)
    record["timing"]["total_s"] = time.perf_counter() - start
    return record


def config_from_args(args, train: TrainConfig) -> SpeechConfig:
    """The run's config from `zoo train speech` arguments."""
    for flag, value in (("--embeddings", "embeddings"), ("--max-tokens", "max_tokens"),
                        ("--sequence-length", "sequence_length"), ("--image-size", "image_size")):
        if getattr(args, value, None):
            raise ValueError(f"{flag} is not a speech option; speech takes --features and --augment.")
    augment = getattr(args, "augment", "auto") or "auto"
    return SpeechConfig(
        model=args.model or DEFAULT_MODEL, data=args.data, test_data=args.test_data,
        features=getattr(args, "features", None) or "log_mel", augment=augment, pretrained=args.pretrained,
        freeze_backbone=args.freeze_backbone, max_examples=args.max_examples, train=train,
    )


def tune_data(model: str, data: str, *, seed: int, batch_size: int, max_examples: int | None = None):
    """The clips as `zoo train speech` splits them; the network behind the same log-mel features."""
    from keras_zoo.applications.tune import TuneData, need_validation
    from keras_zoo.layers.audio import frame_count

    config = SpeechConfig(model=model, data=data, max_examples=max_examples, train=TrainConfig(seed=seed))
    loaded = load_data(config)
    need_validation(loaded.counts)
    raw = reads_raw_audio(model)
    shape = (CLIP_SAMPLES, 1) if raw else (frame_count(CLIP_SAMPLES), NUM_FEATURES)

    def wrap(net):  # what `zoo train speech` puts before the network
        return wrap_network(net, config)

    counts = dict(loaded.counts)
    return TuneData(
        train=batches(loaded.train, batch_size, training=True, seed=seed,
                      augment=augmenter(config, loaded.noise), n=counts["train"]),
        val=batches(loaded.val, batch_size), test=batches(loaded.test, batch_size),
        num_classes=len(loaded.class_names), input_shape=shape, counts=counts, classification=True, wrap=wrap,
        info={"source": loaded.source or data, **counts, "classes": list(loaded.class_names),
              "features": "raw audio" if raw else config.features, "augment": resolve_augment(config),
              **loaded.notes},
    )


def input_feed(model: str | None, data: str, *, batch_size: int, seed: int):
    """The clips' training batches (light augmentation) and the model, as `zoo train speech` makes them."""
    config = SpeechConfig(data=data, augment="light", train=TrainConfig(batch_size=batch_size, seed=seed),
                          **({"model": model} if model else {}))
    check_speech_model(config.model)
    clips = load_data(config)
    keras_model, _ = build_model(config, len(clips.class_names))
    ds = batches(clips.train, batch_size, training=True, seed=seed,
                 augment=augmenter(config, clips.noise), n=clips.counts["train"])
    return config.model, keras_model, ds
