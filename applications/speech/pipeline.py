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
from dataclasses import dataclass, field

import numpy as np

from keras_zoo.applications.common.classifier import (Classifier, Setup, TestSplit, check_classes, create_network,
                                                      dataset_to_numpy, model_from_args)
from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.speech.domain import DEFAULT_TRAIN
from keras_zoo.applications.speech.data import CLIP_SAMPLES

DOMAIN = "speech"
DEFAULT_MODEL = "ds_cnn_small"
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
    group_by: str | None = None  # "speaker": validation and test hold out whole speakers (a folder source)
    speaker_regex: str | None = None  # reads the speaker from a file name; default `data.SPEAKER_PATTERN`
    test_speakers: tuple[str, ...] = ()  # with group_by: these speakers are the test split
    # `full` augmentation's speed perturbation range: 0.8-1.25 beat Ko et al.'s 0.9-1.1 and a wider
    # 0.7-1.4 by leave-one-speaker-out on real voices (docs/domains/speech.md)
    speed_factors: tuple[float, float] = (0.8, 1.25)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(**DEFAULT_TRAIN))

    def __post_init__(self) -> None:
        if self.group_by not in (None, "speaker"):
            raise ValueError(f"group_by is 'speaker' or None. Received: group_by={self.group_by!r}")
        if (self.speaker_regex or self.test_speakers) and not self.group_by:
            raise ValueError("--speaker-regex and --test-speaker go with --group-by speaker.")
        if self.features not in FEATURES:
            raise ValueError(f"features must be one of {FEATURES}. Received: features={self.features!r}")
        if self.augment not in AUGMENT:
            raise ValueError(f"augment must be one of {AUGMENT} for speech. Received: augment={self.augment!r}")
        speed = self.speed_factors
        if (not isinstance(speed, (tuple, list)) or len(speed) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in speed)
                or not 0 < speed[0] <= speed[1]):
            raise ValueError(f"speed_factors is (low, high) with 0 < low <= high. Received: speed_factors={speed!r}")
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
                      test=test, max_examples=config.max_examples, group_by=config.group_by,
                      speaker_pattern=config.speaker_regex, test_speakers=tuple(config.test_speakers))


def feature_layer(kind: str):
    from keras_zoo.layers.audio import MFCC, LogMelSpectrogram

    if kind == "mfcc":
        return MFCC(num_coefficients=NUM_FEATURES, num_mel_bins=NUM_FEATURES, name="mfcc")
    return LogMelSpectrogram(num_mel_bins=NUM_FEATURES, name="log_mel")


def network_input_shape(name: str) -> tuple[int, int]:
    """`(16000, 1)` samples for a raw-audio network, else `(frames, NUM_FEATURES)` features."""
    from keras_zoo.layers.audio import frame_count

    return (CLIP_SAMPLES, 1) if reads_raw_audio(name) else (frame_count(CLIP_SAMPLES), NUM_FEATURES)


def build_model(config: SpeechConfig, num_classes: int):
    """`(model, net)`: the registry network `net` inside a model that takes raw audio `(CLIP_SAMPLES,)`."""
    check_speech_model(config.model)
    net = create_network(config, network_input_shape(config.model), num_classes)
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
    speed = tuple(config.speed_factors) if kind == "full" else None
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


class KeywordClassifier(Classifier):
    """Speech's run (`common/classifier.py`): raw audio in, MFCC + SVM beside the network."""

    domain, unit, config_class, top = DOMAIN, "clips", SpeechConfig, TOP
    no_inputs = "Give at least one .wav file, as in: zoo predict speech --model-dir D clip.wav"
    check_model = staticmethod(check_speech_model)

    def prepare(self, config: SpeechConfig, *, tuning: bool = False) -> Setup:
        data = load_data(config)
        counts, seed = dict(data.counts), config.train.seed
        batch_size = config.train.resolve_batch_size(counts["train"])
        n_train = counts["train"] * epoch_repeats(counts["train"], batch_size)
        return Setup(
            data=data, counts=counts, val=batches(data.val, batch_size) if counts["val"] else None,
            train=batches(data.train, batch_size, training=True, seed=seed, augment=augmenter(config, data.noise),
                          n=counts["train"]),
            test=batches(data.test, batch_size), input_shape=network_input_shape(config.model),
            wrap=lambda net: wrap_network(net, config), n_train=n_train, steps_per_epoch=max(1, -(-n_train // batch_size)),
            info={"features": "raw audio" if reads_raw_audio(config.model) else config.features,
                  "augment": resolve_augment(config), **data.notes},
        )

    def data_line(self, setup):
        data, c = setup.data, setup.counts
        return (f"Data {data.source}: {c['train']} train, {c['val']} validation, {c['test']} test clips, "
                f"{len(data.class_names)} words ({data.notes.get('split', '')})"
                + (f"; {len(data.skipped)} unreadable files skipped" if data.skipped else "")
                + (f"; {data.cropped} clips longer than {CLIP_SAMPLES / 16000:g} s cropped to their loudest second"
                   if data.cropped else ""))

    def model_line(self, config, setup, net):
        return super().model_line(config, setup, net) + ("" if reads_raw_audio(config.model)
                                                         else f" ({config.features} frames)")

    def test_split(self, setup):
        return TestSplit(*dataset_to_numpy(setup.data.test))

    def extra_metrics(self, setup, per_class):
        return {"recall_per_word": {w: per_class[w]["recall"] for w in setup.class_names}}

    def baselines(self, config, setup, test, probs):
        from keras_zoo.applications.speech import baselines

        svm = baselines.mfcc_svm(setup.data.train, setup.data.test, setup.class_names, seed=config.train.seed)
        predictions = svm.pop("predictions")
        setup.extra["mfcc_svm_scores"] = svm.pop("scores")  # for the real voices (`_score`), not metrics.json
        svm["recall_per_word"] = {w: svm["per_class"][w]["recall"] for w in setup.class_names}
        svm["agreement_with_model"] = float(np.mean(predictions == probs.argmax(-1))) if len(test.labels) else None
        return {"mfcc_svm": svm}

    def data_record(self, setup, test):
        return {"cropped": setup.data.cropped, "sample_rate": 16000, "clip_samples": CLIP_SAMPLES, **setup.data.notes}

    def _score(self, config, setup, model, fit):
        run = super()._score(config, setup, model, fit)
        svm_scores = setup.extra.pop("mfcc_svm_scores", None)
        if config.data == "sample":  # synthetic voices only: say what that is worth on people
            from keras_zoo.applications.speech.sample import REAL_PATH, load_sample

            names, clips = setup.class_names, load_sample(REAL_PATH)  # read once, for the network and the SVM
            real = real_voice_scores(lambda x: self.probabilities(model, x, len(names)), names, clips)
            if svm_scores is not None:
                real["mfcc_svm"] = {k: v for k, v in real_voice_scores(svm_scores, names, clips).items()
                                    if k not in ("clips", "source")}
            setup.extra["real_voices"] = real
        return run

    def record_extra(self, config, setup):
        return {"real_voices": setup.extra["real_voices"]} if "real_voices" in setup.extra else {}

    def plots(self, run, output_dir):
        from keras_zoo.applications.common.plotting import save_figure
        from keras_zoo.applications.speech import plots

        recalls = {run.config.model: run.metrics["recall_per_word"],
                   **{name: r["recall_per_word"] for name, r in run.baselines.items()}}
        paths = [run.accuracy_bars(output_dir), save_figure(plots.recall_figure(recalls), output_dir, "recall_per_word")]
        x, y = run.test.inputs, run.test.labels
        if len(x):
            pick = plots.pick_examples(y, run.probs.argmax(-1), k=6, seed=run.config.train.seed)
            paths.append(save_figure(plots.examples_figure(x[pick], y[pick], run.probs[pick], run.setup.class_names),
                                     output_dir, "examples"))
        return paths

    def read_test(self, source, record, seed):
        from keras_zoo.applications.speech import data as audio_data

        class_names = tuple(record["data"]["classes"])
        if source.kind == "folder":  # every clip in it is test data
            x, y, skipped, _ = audio_data.read_examples(source.path, class_names)
            return TestSplit(x, y, skipped=skipped)  # already arrays
        loaded = audio_data.load_audio(source.kind, name=source.name, path=source.path, text=source.text, seed=seed)
        check_classes(loaded.class_names, class_names, "words")
        return TestSplit(*dataset_to_numpy(loaded.test))

    def read_inputs(self, inputs, record):
        from keras_zoo.applications.speech.wav import load_clip

        return np.stack([load_clip(p, clip_samples=CLIP_SAMPLES)[0] for p in inputs])  # a bad file: WavError

    def checkpoint_run(self, net, ckpt):
        # The features its card records (log-mel by default), normalised per utterance: 1 s of 16 kHz audio in.
        features = ckpt.card.get("input", {}).get("features", "log_mel")
        config = SpeechConfig(model=ckpt.model, augment="none", features=features)
        return wrap_network(net, config), {"data": {"classes": ckpt.card["data"]["classes"]}}

    def feed_config(self, model, data, *, batch_size, seed):
        return dataclasses.replace(super().feed_config(model, data, batch_size=batch_size, seed=seed), augment="light")


def real_voice_scores(probabilities, class_names, real=None) -> dict:
    """How a model of `class_names` does on the real clips `real` (a `SpeechSample`; by default the
    shipped `sample.REAL_PATH`: people saying digits, never heard in training): accuracy over all its
    classes, accuracy choosing among the digit words only, and each speaker's accuracy.
    `probabilities(audio)` gives the model's outputs.

    Raises:
        ValueError: `class_names` lack a digit word ("zero".."nine").
    """
    from keras_zoo.applications.speech.sample import REAL_PATH, load_sample

    real = real if real is not None else load_sample(REAL_PATH)
    missing = [w for w in real.words if w not in class_names]
    if missing:
        raise ValueError(f"The real clips say {list(real.words)}; the model's words lack {missing}. "
                         f"Received: class_names={list(class_names)}")
    truth = np.array([class_names.index(real.words[label]) for label in real.labels])
    probs = probabilities(real.audio)
    digits = [class_names.index(w) for w in real.words]
    among_digits = np.array(digits)[probs[:, digits].argmax(-1)]
    right = probs.argmax(-1) == truth
    return {"clips": int(len(truth)), "source": real.info.get("licence", ""), "accuracy": float(right.mean()),
            "accuracy_among_digits": float(np.mean(among_digits == truth)),
            "per_speaker": {str(v): float(right[real.voices == v].mean()) for v in sorted(set(real.voices.tolist()))}}


CLASSIFIER = KeywordClassifier()
prepare, train_and_evaluate, load_run = CLASSIFIER.prepare, CLASSIFIER.train_and_evaluate, CLASSIFIER.load_run
evaluate, validate, predict, demo = CLASSIFIER.evaluate, CLASSIFIER.validate, CLASSIFIER.predict, CLASSIFIER.demo
tune_data, input_feed = CLASSIFIER.tune_data, CLASSIFIER.input_feed


def config_from_args(args, train: TrainConfig) -> SpeechConfig:
    """The run's config from `zoo train speech` arguments."""
    return SpeechConfig(
        model=model_from_args(args, DEFAULT_MODEL), data=args.data, test_data=args.test_data,
        features=getattr(args, "features", None) or "log_mel", augment=getattr(args, "augment", "auto") or "auto",
        pretrained=args.pretrained, freeze_backbone=args.freeze_backbone, max_examples=args.max_examples, train=train,
        group_by=args.group_by, speaker_regex=args.speaker_regex, test_speakers=tuple(args.test_speaker or ()),
    )
