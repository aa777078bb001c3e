"""The NLP pipeline: text classification with a registry model, measured against TF-IDF and naive Bayes.

`train_and_evaluate(config, output_dir)` is the whole run: texts in, a `TextVectorization`
adapted on the training split only, a registry text model trained on what it reads (a sequence
model on token ids, optionally starting from pretrained word vectors; an MLP on a weighted bag of
word uni- and bigrams), evaluated on the held-out test split beside the two classical baselines,
overall and on the negation subset, and the run's files written (`metrics.json`, `model.keras`,
`history.csv`, `plots/*.png`). `evaluate` and `predict` work on a finished run's folder.

The saved model takes raw strings: its first layer is the vectoriser, so `zoo predict nlp
--model-dir D "some text"` needs nothing but the folder.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.nlp.domain import DEFAULT_TRAIN

DOMAIN = "nlp"
# Chosen by measurement on held-out real text (README, "NLP"): tools/nlp_models.py.
DEFAULT_MODEL = "linear_text"  # the best on movie-review sentences over 10 folds (README)
# The demo's sample is about word order ("not good"), which a bag of n-grams cannot read: it shows
# a sequence model, the best one measured on real text.
DEMO_MODEL = "cnn_text"
# Sequence models read token ids in order; MLPs read a bag of word uni- and bigrams, each weighted by
# how well it separates the classes of the training split (`term_weights`).
TEXT_KINDS = ("tokens", "vector")
NGRAMS = 2
# Vocabulary sizes: words for a sequence model, word uni- and bigrams for a bag (more of them are
# worth keeping: 40,000 measured better than 20,000 in 5-fold cross-validation on movie reviews).
MAX_TOKENS = {"tokens": 20000, "vector": 40000}
MAX_SEQUENCE_LENGTH = 400  # the data-driven length never exceeds this (long documents are truncated)
LENGTH_PERCENTILE = 95  # the sequence length covers this share of the training texts whole

# "not", "no", "never", ... and the contracted "n't" (kept whole in "isn't", or split off as in
# "is n't"): the negation subset of real text, where word order matters most.
NEGATION = re.compile(
    r"\b(?:not|no|never|nothing|nobody|none|neither|nor|cannot|without|hardly|barely)\b|n't\b"
    r"|\b(?:isnt|dont|doesnt|didnt|wasnt|werent|arent|cant|wont|couldnt|wouldnt|shouldnt|aint)\b",
    re.IGNORECASE,
)


@dataclass
class NLPConfig:
    """One NLP run. The command line fills it from `zoo train nlp ...`."""

    model: str = DEFAULT_MODEL
    data: str = "sample"  # sample | tfds:NAME[/CONFIG] | a folder of class subfolders | a .csv file
    test_data: str | None = None  # a folder or CSV with the same classes, used as the test split
    max_tokens: int | None = None  # vocabulary size (with the padding and unknown entries); default MAX_TOKENS
    sequence_length: int | None = None  # tokens per text; default: from the data (LENGTH_PERCENTILE)
    embeddings: str | None = None  # a GloVe or word2vec text file of pretrained word vectors
    freeze_embeddings: bool = False  # with embeddings: keep them fixed (Kim's "static") or fine-tune
    overrides: dict = field(default_factory=dict)  # model config overrides, as `zoo.create_model` takes
    max_examples: int | None = None  # cap each split, for quick runs
    train: TrainConfig = field(default_factory=lambda: TrainConfig(**DEFAULT_TRAIN))

    def __post_init__(self) -> None:
        for name in ("max_tokens", "sequence_length"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
        if self.max_tokens is not None and self.max_tokens < 3:
            raise ValueError(
                f"max_tokens counts the padding and unknown-word entries too: give at least 3. "
                f"Received: max_tokens={self.max_tokens}"
            )
        if self.freeze_embeddings and not self.embeddings:
            raise ValueError("freeze_embeddings needs embeddings: a random embedding is not worth freezing.")


def check_text_model(name: str) -> None:
    import keras_zoo as zoo

    entry = zoo.registry.get_entry(name)
    if entry.input_kind not in TEXT_KINDS:
        models = ", ".join(zoo.list_models(domain=DOMAIN))
        raise ValueError(f"{name} takes {entry.input_kind} inputs, not token ids or a bag of n-grams. Models for "
                         f"text: {models} (and any mlp_* on bags of n-grams). Received: --model {name}")


def reads_bags(name: str) -> bool:
    """Whether the model takes a bag of n-grams (an MLP) rather than a sequence of token ids."""
    import keras_zoo as zoo

    return zoo.registry.get_entry(name).input_kind == "vector"


def load_data(config: NLPConfig):
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.nlp import data as text_data

    source = parse_source(config.data)
    test = parse_source(config.test_data) if config.test_data else None
    return text_data.load_texts(source.kind, name=source.name, path=source.path, text=source.text,
                                seed=config.train.seed, test=test, max_examples=config.max_examples)


def split_arrays(ds) -> tuple[np.ndarray, np.ndarray]:
    """An unbatched dataset of `(text, label)` as a numpy array of str and one of int labels."""
    texts, labels = [], []
    for t, y in ds.batch(4096).as_numpy_iterator():
        texts.extend(x.decode("utf-8") for x in t)
        labels.append(y)
    return np.array(texts, dtype=object), (np.concatenate(labels) if labels else np.zeros(0, "int32"))


# ---------------------------------------------------------------------------------------------
# Vectorising


def make_vectorizer(train_texts: Sequence[str], *, max_tokens: int, sequence_length: int | None,
                    min_length: int = 1, bag_of_ngrams: bool = False):
    """A `TextVectorization` adapted on the training texts only, and the statistics it was sized by.

    Texts are lowercased and stripped of punctuation. For a sequence model the vocabulary is the
    `max_tokens - 2` most frequent words of the training texts; id 0 is padding and id 1 any other
    word. Without `sequence_length`, the length is the `LENGTH_PERCENTILE`th percentile of the
    training texts' token counts, at least `min_length` and at most `MAX_SEQUENCE_LENGTH`: longer
    texts are truncated, shorter padded. With `bag_of_ngrams` (for an MLP) the output is instead a
    multi-hot vector of the `max_tokens` most frequent word uni- and bigrams (`NGRAMS`): which occur.
    """
    import keras
    import tensorflow as tf

    texts = tf.constant([str(t) for t in train_texts], dtype=tf.string)
    counter = keras.layers.TextVectorization(max_tokens=max_tokens)
    counter.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(1024))
    lengths = np.concatenate([
        np.count_nonzero(counter(texts[i:i + 1024]).numpy(), axis=1) for i in range(0, len(train_texts), 1024)
    ])
    stats = {"median_tokens": float(np.median(lengths))}
    if bag_of_ngrams:
        vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens, output_mode="multi_hot", ngrams=NGRAMS,
                                                    name="vectorizer")
        vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(1024))
        stats.update(representation=f"naive-Bayes-weighted bag of word 1- to {NGRAMS}-grams", sequence_length=None,
                     vocabulary_size=int(vectorizer.vocabulary_size()), truncated=0.0)
        return vectorizer, stats
    if sequence_length is None:
        sequence_length = int(math.ceil(np.percentile(lengths, LENGTH_PERCENTILE)))
        sequence_length = min(max(sequence_length, min_length), MAX_SEQUENCE_LENGTH)
    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens, output_sequence_length=sequence_length, vocabulary=counter.get_vocabulary(),
        name="vectorizer",
    )
    stats.update(representation="token ids", sequence_length=sequence_length,
                 vocabulary_size=int(vectorizer.vocabulary_size()),
                 truncated=float(np.mean(lengths > sequence_length)))
    return vectorizer, stats


def term_weights(vectorizer, texts: Sequence[str], labels, num_classes: int, *, alpha: float = 1.0):
    """A `FeatureScale` that weights each n-gram of a bag by its naive Bayes log-count ratio.

    For n-gram j and class c, r_cj = log(p_cj / q_cj), where p_cj is the share of class c's
    n-gram occurrences that are j and q_cj the same share in the other classes, both with
    `alpha` added to every count (Wang and Manning 2012, NBSVM). The weight is max_c |r_cj|: an
    n-gram that only one class uses weighs much, one that all use alike weighs little (a
    supervised term weighting, as Martineau and Finin 2009's Delta TF-IDF). Counted on the
    training texts only.
    """
    import tensorflow as tf

    from keras_zoo.layers import FeatureScale

    labels = np.asarray(labels)
    counts = np.zeros((num_classes, vectorizer.vocabulary_size()), dtype="float64")
    for i in range(0, len(texts), 1024):
        bag = vectorizer(tf.constant([str(t) for t in texts[i:i + 1024]], dtype=tf.string)).numpy()
        for c in range(num_classes):
            counts[c] += bag[labels[i:i + 1024] == c].sum(axis=0)
    counts += alpha
    own = counts / counts.sum(axis=1, keepdims=True)
    rest = counts.sum(axis=0, keepdims=True) - counts
    rest = rest / rest.sum(axis=1, keepdims=True)
    scale = FeatureScale(counts.shape[1], name="term_weights")
    scale.set_scale(np.abs(np.log(own / rest)).max(axis=0))
    return scale


@dataclass
class Featurizer:
    """Texts to the network's input: the vectoriser, then (for a bag of n-grams) the term weights."""

    vectorizer: Any  # keras.layers.TextVectorization, adapted on the training split
    weights: Any  # a FeatureScale of naive Bayes term weights, or None for a sequence model
    stats: dict  # what the vectoriser was sized by (`make_vectorizer`)

    def __call__(self, texts):
        return self.vectorizer(texts) if self.weights is None else self.weights(self.vectorizer(texts))


def make_featurizer(config: NLPConfig, train_texts: Sequence[str], labels, num_classes: int) -> Featurizer:
    """The `Featurizer` for `config.model`, fitted on the training texts only.

    Raises:
        ValueError: `sequence_length` given for a model that reads a bag of n-grams.
    """
    bags = reads_bags(config.model)
    if bags and config.sequence_length is not None:
        raise ValueError(f"{config.model} reads a bag of n-grams: --sequence-length is for the sequence models.")
    vectorizer, stats = make_vectorizer(
        train_texts, max_tokens=config.max_tokens or MAX_TOKENS["vector" if bags else "tokens"],
        sequence_length=config.sequence_length,
        min_length=1 if bags else shortest_input(config.model, config.overrides), bag_of_ngrams=bags,
    )
    # A bag's n-grams are weighted by how well each separates the classes of the training split.
    weights = term_weights(vectorizer, train_texts, labels, num_classes) if bags else None
    return Featurizer(vectorizer, weights, stats)


def batches(vectorizer, texts: Sequence[str], labels, batch_size: int, *, shuffle: bool = False, seed: int = 0):
    """A `tf.data` pipeline of vectorised batches `(x, y)`; texts are vectorised batch by batch.

    `vectorizer` is any callable from a batch of strings to the network's input.
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((tf.constant([str(t) for t in texts], dtype=tf.string),
                                             tf.constant(np.asarray(labels, dtype="int32"))))
    if shuffle:
        ds = ds.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True)
    # Batches vectorised in parallel, delivered in order (vectorising is deterministic), so that on
    # several cores the text work overlaps the training step (`zoo benchmark --pipeline nlp`).
    return ds.batch(batch_size).map(lambda t, y: (vectorizer(t), y), num_parallel_calls=tf.data.AUTOTUNE,
                                    deterministic=True).prefetch(tf.data.AUTOTUNE)


def shortest_input(name: str, overrides: dict) -> int:
    """The fewest tokens the model takes (a text CNN's widest convolution)."""
    import keras_zoo as zoo

    entry = zoo.registry.get_entry(name)
    config = zoo.registry.resolve_config(name, overrides)
    for length in range(1, 65):
        try:
            zoo.registry.check_input_shape(entry, config, (length,))
            return length
        except ValueError:
            continue
    return 1


# ---------------------------------------------------------------------------------------------
# The model


def build_network(config: NLPConfig, sequence_length: int | None, vocabulary: list[str], num_classes: int):
    """The registry network on token ids (or bags of n-grams), with pretrained word vectors when asked for.

    With `embeddings`, a model whose embedding width is a free hyperparameter (`embedding_dim`)
    takes the file's width unless an override says otherwise; a mismatch is a clear error.
    """
    import keras_zoo as zoo

    check_text_model(config.model)
    if reads_bags(config.model):
        if config.embeddings:
            raise ValueError(
                f"{config.model} reads a bag of n-grams, which has no word vectors to start from: --embeddings goes "
                f"with the sequence models ({', '.join(n for n in zoo.list_models(domain=DOMAIN) if not reads_bags(n))})."
            )
        net = zoo.create_model(config.model, input_shape=(len(vocabulary),), num_classes=num_classes,
                               **config.overrides)
        return net, None
    overrides = dict(config.overrides)
    vectors = None
    if config.embeddings:
        from keras_zoo.applications.nlp import embeddings

        entry = zoo.registry.get_entry(config.model)
        if hasattr(entry.config, "embedding_dim") and "embedding_dim" not in overrides:
            overrides["embedding_dim"] = embeddings.vector_dim(config.embeddings)
        vectors = embeddings.read_word_vectors(config.embeddings, vocabulary, seed=config.train.seed)
    net = zoo.create_model(config.model, input_shape=(sequence_length,), num_classes=num_classes,
                           vocab_size=len(vocabulary), **overrides)
    if vectors is not None:
        from keras_zoo.applications.nlp import embeddings

        embeddings.load_into(net, vectors, trainable=not config.freeze_embeddings, model_name=config.model)
    return net, vectors


def end_to_end(vectorizer, net, name: str, *, weights=None):
    """Raw strings in, class probabilities out: the vectoriser, the term weights of a bag, the network."""
    import keras

    inputs = keras.Input(shape=(), dtype="string", name="text")
    x = vectorizer(inputs)
    if weights is not None:
        x = weights(x)
    return keras.Model(inputs, net(x), name=f"nlp_{name}")


# ---------------------------------------------------------------------------------------------
# Subsets of the test data


def subset_masks(texts: Sequence[str], kinds: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The test examples reported on their own: `negation` (and, for the sample, `contrast`).

    For the synthetic sample these are its `negation` and `contrast` kinds; for real text, the
    texts with a negation word (`NEGATION`: not, never, n't, ...).
    """
    if kinds is not None:
        kinds = np.asarray(kinds, dtype=object)
        return {"negation": kinds == "negation", "contrast": kinds == "contrast"}
    return {"negation": np.array([bool(NEGATION.search(str(t))) for t in texts], dtype=bool)}


def _scores(y_true, probs, class_names, masks) -> tuple[dict, dict, list]:
    from keras_zoo.applications.common.evaluation import classification_metrics, subset_accuracies

    metrics, per_class, matrix = classification_metrics(y_true, probs, class_names)
    metrics.update(subset_accuracies(y_true, np.argmax(probs, axis=-1), masks))
    return metrics, per_class, matrix


# ---------------------------------------------------------------------------------------------
# The run


def train_and_evaluate(config: NLPConfig, output_dir: Path, *, verbose: bool = True) -> dict:
    """The whole run; returns the `metrics.json` record. `output_dir` comes from `prepare_output_dir`."""
    from keras_zoo.applications.common import plotting, report, training
    from keras_zoo.applications.common.runs import save_model
    from keras_zoo.applications.nlp import baselines, plots

    def say(message):
        if verbose:
            print(message, flush=True)

    training.set_seed(config.train.seed)
    check_text_model(config.model)
    data = load_data(config)
    train_texts, y_train = split_arrays(data.train)
    val_texts, y_val = split_arrays(data.val)
    test_texts, y_test = split_arrays(data.test)
    n_classes = len(data.class_names)

    featurize = make_featurizer(config, train_texts, y_train, n_classes)
    text_stats, bags = featurize.stats, featurize.weights is not None
    say(f"Data {data.source}: {len(train_texts)} train, {len(val_texts)} validation, {len(test_texts)} test texts, "
        f"{n_classes} classes" + (f"; {data.skipped} empty texts skipped" if data.skipped else "")
        + (f". {text_stats['vocabulary_size']:,} word uni- and bigrams (from the training split)" if bags else
           f". Vocabulary {text_stats['vocabulary_size']:,} words (from the training split), "
           f"{text_stats['sequence_length']} tokens per text ({100 * text_stats['truncated']:.1f}% truncated)"))

    net, vectors = build_network(config, text_stats["sequence_length"], featurize.vectorizer.get_vocabulary(),
                                 n_classes)
    say(f"Model {config.model}: {net.count_params():,} parameters"
        + (f"; word vectors from {config.embeddings}: {vectors.found:,} of {vectors.total:,} words "
           f"({100 * vectors.coverage:.1f}%), {'frozen' if config.freeze_embeddings else 'fine-tuned'}"
           if vectors else ""))

    batch_size = config.train.resolve_batch_size(len(train_texts))
    fit = training.fit(
        net, batches(featurize, train_texts, y_train, batch_size, shuffle=True, seed=config.train.seed),
        batches(featurize, val_texts, y_val, batch_size) if len(val_texts) else None, config.train, output_dir,
        loss="sparse_categorical_crossentropy", metrics=["accuracy"], n_train=len(train_texts),
    )
    say(f"Trained {fit.epochs_run} epochs in {fit.train_s:.1f} s ({fit.examples_per_s:.0f} texts/s)")

    # ## Evaluation on the held-out test split, beside the baselines on the same split
    probs = (net.predict(batches(featurize, test_texts, y_test, 512), verbose=0) if len(test_texts)
             else np.zeros((0, n_classes)))
    masks = subset_masks(test_texts, data.test_kinds)
    metrics, per_class, matrix = _scores(y_test, probs, data.class_names, masks)
    baseline_results = baselines.run_baselines(train_texts, y_train, test_texts, y_test, subsets=masks)

    # ## Files
    model = end_to_end(featurize.vectorizer, net, config.model, weights=featurize.weights)
    save_model(model, output_dir)
    report.write_history_csv(output_dir, fit.history)
    compared = {config.model: metrics, **baseline_results}
    plot_paths = [
        plotting.plot_history(fit.history, output_dir),
        plotting.plot_confusion_matrix(matrix, data.class_names, output_dir),
        plotting.save_figure(plots.comparison_figure(compared, subsets=list(masks)), output_dir, "model_vs_baselines"),
    ]
    examples = plots.saliency_examples(test_texts, masks)
    if examples:
        plot_paths.append(plotting.save_figure(
            plots.saliency_figure(model, examples, data.class_names), output_dir, "token_saliency"))

    record = {
        "domain": DOMAIN,
        "model": config.model,
        "pretrained": None,
        "data": {
            "source": data.source, "train": len(train_texts), "val": len(val_texts), "test": len(test_texts),
            "classes": list(data.class_names), "skipped": data.skipped,
            **{f"test_{name}": int(mask.sum()) for name, mask in masks.items()},
            **text_stats,
        },
        "embeddings": None if vectors is None else {
            "path": str(config.embeddings), "dim": vectors.dim, "found": vectors.found, "total": vectors.total,
            "coverage": vectors.coverage, "frozen": config.freeze_embeddings,
        },
        "metrics": metrics,
        "baselines": baseline_results,
        "timing": {"train_s": fit.train_s, "train_examples_per_s": fit.examples_per_s},
    }
    report.write_metrics(
        output_dir, **record, per_class=per_class, confusion_matrix=matrix, epochs_run=fit.epochs_run,
        config=dataclasses.asdict(config), seed=config.train.seed,
        plots=[str(p.relative_to(output_dir)) for p in plot_paths],
    )
    negation = metrics.get("accuracy_negation")
    say(f"Test accuracy {metrics['accuracy']:.4f} (macro-F1 {metrics['macro_f1']:.4f}"
        + (f", negation subset {negation:.4f}" if negation is not None else "") + "); "
        + ", ".join(f"{name} {r['accuracy']:.4f}" for name, r in baseline_results.items()))
    return report.read_metrics(output_dir)


def load_run(model_dir: str | Path):
    """A finished NLP run's model (raw strings in) and metrics record."""
    from keras_zoo.applications.common.runs import load_run as load

    return load(model_dir, DOMAIN)


def _predict_texts(model, texts: Sequence[str]) -> np.ndarray:
    import tensorflow as tf

    return model.predict(tf.constant([str(t) for t in texts], dtype=tf.string), batch_size=512, verbose=0)


def evaluate(model_dir: str | Path, data: str, *, seed: int | None = None, verbose: bool = True) -> dict:
    """Accuracy, macro-F1 and the negation subset's accuracy of a finished run on `data`.

    For `sample` and `tfds:` sources that is their test split, split with the run's own seed (or
    `seed`), so that it is the test split the run reported on; a CSV file or folder is used whole.
    """
    from keras_zoo.applications.common.runs import run_seed
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.nlp import data as text_data

    model, record = load_run(model_dir)
    seed = run_seed(record) if seed is None else seed
    class_names = tuple(record["data"]["classes"])
    source = parse_source(data)
    kinds = None
    if source.kind in ("csv", "folder"):  # every text in it is test data
        texts, y, _ = text_data.read_examples(source.path, class_names)
    else:
        loaded = text_data.load_texts(source.kind, name=source.name, path=source.path, text=source.text, seed=seed)
        if tuple(loaded.class_names) != class_names:
            raise ValueError(f"The data's classes {list(loaded.class_names)} are not the model's {list(class_names)}.")
        texts, y = split_arrays(loaded.test)
        kinds = loaded.test_kinds
    probs = _predict_texts(model, texts)
    metrics, per_class, matrix = _scores(y, probs, class_names, subset_masks(texts, kinds))
    result = {"data": data, "test": int(len(y)), "metrics": metrics, "per_class": per_class, "confusion_matrix": matrix}
    if verbose:
        negation = metrics.get("accuracy_negation")
        print(f"{data}: accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f} on {len(y)} texts"
              + (f"; negation subset {negation:.4f}" if negation is not None else ""))
    return result


def predict(model_dir: str | Path, texts: list[str], *, top: int = 1) -> list[dict]:
    """The predicted label and its probability for each raw text."""
    if not texts:
        raise ValueError("Give at least one text to classify, as in: zoo predict nlp --model-dir D \"a fine film\".")
    for i, text in enumerate(texts, start=1):
        if not str(text).strip():
            raise ValueError(f"Text {i} is empty: give words to classify. Received: {text!r}")
    model, record = load_run(model_dir)
    probs = _predict_texts(model, texts)
    class_names = record["data"]["classes"]
    results = []
    for text, p in zip(texts, probs):
        order = np.argsort(p)[::-1][:top]
        results.append({"input": str(text), "label": class_names[order[0]], "probability": float(p[order[0]]),
                        "top": [(class_names[i], float(p[i])) for i in order]})
    return results


def demo(output_dir: Path, *, seed: int = 0) -> dict:
    """The offline demo: a sequence model (`DEMO_MODEL`) on the synthetic sample, against both baselines."""
    config = NLPConfig(model=DEMO_MODEL, train=TrainConfig(**{**DEFAULT_TRAIN, "epochs": 10, "seed": seed}))
    start = time.perf_counter()
    record = train_and_evaluate(config, output_dir)
    record["timing"]["total_s"] = time.perf_counter() - start
    return record


def config_from_args(args, train: TrainConfig) -> NLPConfig:
    """The run's config from `zoo train nlp` arguments."""
    if getattr(args, "pretrained", None):
        raise ValueError("--pretrained is not available for nlp: start from word vectors with --embeddings PATH.")
    if getattr(args, "freeze_backbone", False):
        raise ValueError("--freeze-backbone is for --pretrained checkpoints; for word vectors use --freeze-embeddings.")
    if getattr(args, "image_size", None):
        raise ValueError("--image-size is for `zoo train vision`; texts are sized by --sequence-length.")
    if getattr(args, "features", None) or getattr(args, "augment", "auto") not in (None, "auto"):
        raise ValueError("--features and --augment are for speech and vision; nlp takes no augmentation.")
    return NLPConfig(
        model=args.model or DEFAULT_MODEL, data=args.data, test_data=args.test_data,
        max_tokens=args.max_tokens, sequence_length=args.sequence_length, embeddings=args.embeddings,
        freeze_embeddings=args.freeze_embeddings, max_examples=args.max_examples, train=train,
    )


def tune_data(model: str, data: str, *, seed: int, batch_size: int, max_examples: int | None = None):
    """The texts as `zoo train nlp` splits them, vectorised by a vocabulary of the training split only."""
    from keras_zoo.applications.tune import TuneData, need_validation

    config = NLPConfig(model=model, data=data, max_examples=max_examples, train=TrainConfig(seed=seed))
    loaded = load_data(config)
    need_validation(loaded.counts)
    train_texts, y_train = split_arrays(loaded.train)
    val_texts, y_val = split_arrays(loaded.val)
    test_texts, y_test = split_arrays(loaded.test)
    n_classes = len(loaded.class_names)
    bags = reads_bags(model)
    # A sequence is at least as long as the widest convolution any trial may draw (a text CNN's 5).
    vectorizer, stats = make_vectorizer(
        train_texts, max_tokens=MAX_TOKENS["vector" if bags else "tokens"], sequence_length=None,
        min_length=1 if bags else max(shortest_input(model, {}), 5), bag_of_ngrams=bags)
    weights = term_weights(vectorizer, train_texts, y_train, n_classes) if bags else None

    def featurize(t):
        return vectorizer(t) if weights is None else weights(vectorizer(t))

    vocabulary = int(vectorizer.vocabulary_size())
    counts = {"train": len(train_texts), "val": len(val_texts), "test": len(test_texts)}
    return TuneData(
        train=batches(featurize, train_texts, y_train, batch_size, shuffle=True, seed=seed),
        val=batches(featurize, val_texts, y_val, batch_size),
        test=batches(featurize, test_texts, y_test, batch_size),
        num_classes=n_classes, input_shape=(vocabulary,) if bags else (int(stats["sequence_length"]),),
        counts=counts, classification=True, fixed={} if bags else {"vocab_size": vocabulary},
        info={"source": loaded.source or data, **counts, "classes": list(loaded.class_names), **stats},
    )


def input_feed(model: str | None, data: str, *, batch_size: int, seed: int):
    """The texts' training batches, vectorised as `zoo train nlp` does, and the network: `(name, model, dataset)`."""
    config = NLPConfig(data=data, train=TrainConfig(batch_size=batch_size, seed=seed),
                       **({"model": model} if model else {}))
    check_text_model(config.model)
    texts = load_data(config)
    train_texts, y_train = split_arrays(texts.train)
    featurize = make_featurizer(config, train_texts, y_train, len(texts.class_names))  # as zoo train does
    net, _ = build_network(config, featurize.stats["sequence_length"], featurize.vectorizer.get_vocabulary(),
                           len(texts.class_names))
    return config.model, net, batches(featurize, train_texts, y_train, batch_size, shuffle=True, seed=seed)
