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

from keras_zoo.applications.common.classifier import (LOSS, TIME_BUDGET_S, Classifier, Setup, TestSplit, check_classes,
                                                      check_search, chooses, model_from_args, search_options)
from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.nlp.domain import DEFAULT_TRAIN

DOMAIN = "nlp"
# Chosen by measurement on held-out real text (README, "NLP"): tools/nlp_models.py.
DEFAULT_MODEL = "linear_text"  # the best on movie-review sentences over 10 folds (README)
# Without --model, a run on the user's data chooses among these on its validation split (the simplest
# first: a tie keeps it): the bag of n-grams read linearly and by a hidden layer, and the word-order CNN,
# each the best of its kind on some real text measured (README, "NLP").
# "linear_text_nbsvm" is `linear_text` with the weights NBSVM solves for (`solve_nbsvm`): the classical baseline as a
# Keras model, which wins where the data is too little for gradient descent to match it.
CANDIDATES = ("linear_text_nbsvm", "linear_text", "mlp_text", "cnn_text")
SOLVED = {"linear_text_nbsvm": "linear_text"}  # candidates whose weights are solved for, not trained: the model they fill
# The demo's sample is about word order ("not good"), which a bag of n-grams cannot read: it shows
# a sequence model, the best one measured on real text.
DEMO_MODEL = "cnn_text"
# Real text that ships (CC BY 4.0, sample/README.md): the demo ends with the default model on it.
REAL_SAMPLE = Path(__file__).resolve().parent / "sample" / "sms_spam.csv"
REAL_SAMPLE_NAME = "SMS Spam Collection (UCI; real messages, CC BY 4.0)"
# Sequence models read token ids in order; MLPs read a bag of word uni- and bigrams, each weighted by
# how well it separates the classes of the training split (`term_weights`).
TEXT_KINDS = ("tokens", "vector")
NGRAMS = 2
# Vocabulary sizes: words for a sequence model, word uni- and bigrams for a bag (more of them are
# worth keeping: 40,000 measured better than 20,000 in 5-fold cross-validation on movie reviews).
MAX_TOKENS = {"tokens": 20000, "vector": 40000}
# NBSVM, solved rather than trained, keeps every n-gram up to this many (as scikit-learn's would; a
# cap only against memory): what it gains over `linear_text` is the rare, telling n-grams.
MAX_TOKENS_SOLVED = 200_000
MAX_SEQUENCE_LENGTH = 400  # the data-driven length never exceeds this (long documents are truncated)
LENGTH_PERCENTILE = 95  # the sequence length covers this share of the training texts whole

# "not", "no", "never", ... and the contracted "n't" (kept whole in "isn't", or split off as in
# "is n't"): the negation subset of real text, where word order matters most.
NEGATION = re.compile(r"\b(?:not|no|never|nothing|nobody|none|neither|nor|cannot|without|hardly|barely)\b|n't\b"
                      r"|\b(?:isnt|dont|doesnt|didnt|wasnt|werent|arent|cant|wont|couldnt|wouldnt|shouldnt|aint)\b",
                      re.IGNORECASE)


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
    pretrained: str | None = None  # a text checkpoint of `model` (or a finished nlp run's folder): its vocabulary too
    freeze_backbone: bool = False  # with pretrained: train the head only
    overrides: dict = field(default_factory=dict)  # model config overrides, as `zoo.create_model` takes
    max_examples: int | None = None  # cap each split, for quick runs
    candidates: tuple[str, ...] = ()  # models to choose `model` among on the validation split; (): train `model`
    solver: str = "gradient"  # "gradient": train `model`; "nbsvm": solve a linear_text's weights as NBSVM does
    time_budget: float = TIME_BUDGET_S  # seconds the choice may take (the first candidate always trains)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(**DEFAULT_TRAIN))

    def __post_init__(self) -> None:
        for name in ("max_tokens", "sequence_length"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
        if self.max_tokens is not None and self.max_tokens < 3:
            raise ValueError("max_tokens counts the padding and unknown-word entries too: give at least 3. "
                             f"Received: max_tokens={self.max_tokens}")
        check_search(self)
        if self.solver not in ("gradient", "nbsvm") or (self.solver == "nbsvm" and self.model != "linear_text"):
            raise ValueError(f"solver is 'gradient', or 'nbsvm' for linear_text. Received: solver={self.solver!r} "
                             f"for {self.model}")
        if self.freeze_embeddings and not self.embeddings:
            raise ValueError("freeze_embeddings needs embeddings: a random embedding is not worth freezing.")
        if self.freeze_backbone and not self.pretrained:
            raise ValueError("freeze_backbone needs a pretrained checkpoint (--pretrained).")
        given = [f"--{n.replace('_', '-')}" for n in ("max_tokens", "sequence_length", "embeddings") if getattr(self, n)]
        if self.pretrained and given:
            raise ValueError(f"A pretrained text checkpoint brings its own vocabulary, length and embeddings: drop "
                             f"{', '.join(given)}. Received: pretrained={self.pretrained!r}")


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


# ## Vectorising


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

    texts = tf.data.Dataset.from_tensor_slices(tf.constant([str(t) for t in train_texts], dtype=tf.string)).batch(1024)
    counter = keras.layers.TextVectorization(max_tokens=max_tokens)
    counter.adapt(texts)
    lengths = np.concatenate([np.count_nonzero(counter(batch).numpy(), axis=1) for batch in texts])
    stats = {"median_tokens": float(np.median(lengths))}
    if bag_of_ngrams:
        vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens, output_mode="multi_hot", ngrams=NGRAMS,
                                                    name="vectorizer")
        vectorizer.adapt(texts)
        stats.update(representation=f"naive-Bayes-weighted bag of word 1- to {NGRAMS}-grams", sequence_length=None,
                     vocabulary_size=int(vectorizer.vocabulary_size()), truncated=0.0)
        return vectorizer, stats
    if sequence_length is None:
        sequence_length = int(math.ceil(np.percentile(lengths, LENGTH_PERCENTILE)))
        sequence_length = min(max(sequence_length, min_length), MAX_SEQUENCE_LENGTH)
    vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens, output_sequence_length=sequence_length,
                                                vocabulary=counter.get_vocabulary(), name="vectorizer")
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
    bags = _to_scipy(sparse_bags(vectorizer, tf.constant([str(t) for t in texts], dtype=tf.string)))
    counts = np.stack([np.asarray(bags[labels == c].sum(axis=0), dtype="float64").ravel()
                       for c in range(num_classes)])
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


def make_featurizer(config: NLPConfig, train_texts: Sequence[str], labels, num_classes: int, *,
                    tuning: bool = False) -> Featurizer:
    """The `Featurizer` for `config.model`, fitted on the training texts only.

    `tuning`: sequences at least as long as the widest convolution a `zoo tune` trial may draw (a
    text CNN's 5).

    Raises:
        ValueError: `sequence_length` given for a model that reads a bag of n-grams.
    """
    bags = reads_bags(config.model)
    if bags and config.sequence_length is not None:
        raise ValueError(f"{config.model} reads a bag of n-grams: --sequence-length is for the sequence models.")
    if config.pretrained:
        vectorizer, stats = checkpoint_vectorizer(config.model, config.pretrained, train_texts)
        weights = term_weights(vectorizer, train_texts, labels, num_classes) if bags else None
        return Featurizer(vectorizer, weights, stats)
    vectorizer, stats = make_vectorizer(
        train_texts, max_tokens=config.max_tokens or (MAX_TOKENS_SOLVED if config.solver == "nbsvm" else
                                                       MAX_TOKENS["vector" if bags else "tokens"]),
        sequence_length=config.sequence_length, bag_of_ngrams=bags,
        min_length=1 if bags else max(shortest_input(config.model, config.overrides), 5 if tuning else 1))
    # A bag's n-grams are weighted by how well each separates the classes of the training split.
    weights = term_weights(vectorizer, train_texts, labels, num_classes) if bags else None
    return Featurizer(vectorizer, weights, stats)


def checkpoint_vectorizer(model: str, pretrained: str, train_texts: Sequence[str]):
    """The vectoriser a text checkpoint (or a finished nlp run) records, and its statistics on `train_texts`.

    Raises:
        ValueError: a checkpoint of another model, or one that records no text vectoriser (it was not
            trained on text by the zoo).
    """
    import keras
    import tensorflow as tf

    from keras_zoo import checkpoints

    found = checkpoints.read(checkpoints.resolve(model, pretrained))
    if found is None or found.model != model:
        raise ValueError(f"{pretrained} is not a checkpoint of {model}" + (f" but of {found.model}: add --model "
                         f"{found.model}" if found else "") + f". Received: --model {model} --pretrained {pretrained}")
    vectorizer = checkpoints.text_vectorizer(found.card)
    if vectorizer is None:
        raise ValueError(f"Checkpoint {found.path} records no text vectoriser (its card's input.text), so its token ids "
                         "mean nothing here: fine-tune a checkpoint trained by zoo train nlp or "
                         "tools/train_pretrained.py. Received: --pretrained " + str(pretrained))
    settings = vectorizer.get_config()
    stats = {"representation": "token ids" if settings["output_mode"] == "int" else
             f"naive-Bayes-weighted bag of word 1- to {settings['ngrams'] or 1}-grams",
             "sequence_length": settings["output_sequence_length"],
             "vocabulary_size": int(vectorizer.vocabulary_size()), "vocabulary_from": str(pretrained)}
    # How the new texts meet the checkpoint's words: the tokens per text, and the share it knows.
    counter = keras.layers.TextVectorization(
        standardize=settings["standardize"], split=settings["split"],
        vocabulary=[w for w in vectorizer.get_vocabulary(include_special_tokens=False) if " " not in w])
    ids = [counter(tf.constant([str(t) for t in train_texts[i:i + 1024]])).numpy()
           for i in range(0, len(train_texts), 1024)]
    lengths = np.concatenate([np.count_nonzero(x, axis=1) for x in ids])
    known = sum(int(np.count_nonzero(x > 1)) for x in ids)
    length = settings["output_sequence_length"]
    stats.update(median_tokens=float(np.median(lengths)), known_words=known / max(int(lengths.sum()), 1),
                 truncated=float(np.mean(lengths > length)) if length else 0.0)
    return vectorizer, stats


def batches(featurize, texts: Sequence[str], labels, batch_size: int, *, shuffle: bool = False, seed: int = 0):
    """A `tf.data` pipeline of vectorised batches `(x, y)`.

    `featurize` is a `Featurizer`, or any callable from a batch of strings to the network's input
    (vectorised batch by batch). A bag of n-grams is vectorised and weighted once, for the whole
    split, and kept sparse (a few dozen n-grams a text, of tens of thousands): each batch is then
    only made dense, so that the string work is not redone every epoch and the model is fed about
    as fast as from memory (`zoo benchmark --pipeline nlp`).
    """
    import tensorflow as tf

    strings = tf.constant([str(t) for t in texts], dtype=tf.string)
    y = tf.constant(np.asarray(labels, dtype="int32"))
    weights = getattr(featurize, "weights", None)
    if weights is not None:
        bags = sparse_bags(featurize.vectorizer, strings)
        rows, columns = bags.indices[:, 0], bags.indices[:, 1]
        # Each text's n-gram ids and weights as rows of two ragged tensors: a batch gathers its rows
        # and scatters them into a dense (batch, n-grams) matrix, two cheap ops.
        ids = tf.RaggedTensor.from_value_rowids(columns, rows, nrows=len(texts))
        values = tf.RaggedTensor.from_value_rowids(bags.values * tf.gather(tf.convert_to_tensor(weights.scale), columns),
                                                   rows, nrows=len(texts))
        width = bags.dense_shape[1]

        def step(index):
            taken = tf.gather(ids, index)
            at = tf.stack([taken.value_rowids(), taken.flat_values], axis=1)
            dense = tf.scatter_nd(at, tf.gather(values, index).flat_values, tf.stack([tf.shape(index, tf.int64)[0], width]))
            return dense, tf.gather(y, index)

        ds = tf.data.Dataset.range(len(texts))
    else:
        ds = tf.data.Dataset.from_tensor_slices((strings, y))
        step = lambda t, y: (featurize(t), y)  # noqa: E731
    if shuffle:
        ds = ds.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True)
    # Batches made in parallel, delivered in order (each is deterministic), so that on several cores
    # the text work overlaps the training step.
    return ds.batch(batch_size).map(step, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(
        tf.data.AUTOTUNE)


def sparse_bags(vectorizer, strings, chunk: int = 4096):
    """The bags of n-grams of `strings` as one `tf.SparseTensor` (what the multi-hot `vectorizer`
    gives, without its zeros), vectorised `chunk` texts at a time."""
    import keras
    import tensorflow as tf

    settings = vectorizer.get_config()
    twin = keras.layers.TextVectorization(**{key: settings[key] for key in (
        "max_tokens", "standardize", "split", "ngrams", "output_mode")}, sparse=True,
        vocabulary=vectorizer.get_vocabulary(include_special_tokens=False))
    parts = [tf.cast(twin(strings[i:i + chunk]), tf.float32) for i in range(0, int(strings.shape[0]), chunk)]
    return tf.sparse.concat(0, parts) if len(parts) > 1 else parts[0]


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


def build_network(config: NLPConfig, sequence_length: int | None, vocabulary: list[str], num_classes: int):
    """The registry network on token ids (or bags of n-grams), with pretrained word vectors when asked for.

    With `embeddings`, a model whose embedding width is a free hyperparameter (`embedding_dim`)
    takes the file's width unless an override says otherwise; a mismatch is a clear error.
    """
    import keras_zoo as zoo

    check_text_model(config.model)
    if config.pretrained:  # the checkpoint's vocabulary (its `vectorizer`), so its ids mean the same words
        from keras_zoo.applications.common.classifier import create_network

        bags = reads_bags(config.model)
        return create_network(config, (len(vocabulary),) if bags else (sequence_length,), num_classes,
                              **({} if bags else {"vocab_size": len(vocabulary)})), None
    if reads_bags(config.model):
        if config.embeddings:
            raise ValueError(f"{config.model} reads a bag of n-grams, which has no word vectors to start from: "
                             "--embeddings goes with the sequence models "
                             f"({', '.join(n for n in zoo.list_models(domain=DOMAIN) if not reads_bags(n))}).")
        net = zoo.create_model(config.model, input_shape=(len(vocabulary),), num_classes=num_classes,
                               **config.overrides)
        return net, None
    from keras_zoo.applications.nlp import embeddings

    overrides = dict(config.overrides)
    vectors = None
    if config.embeddings:
        entry = zoo.registry.get_entry(config.model)
        if hasattr(entry.config, "embedding_dim") and "embedding_dim" not in overrides:
            overrides["embedding_dim"] = embeddings.vector_dim(config.embeddings)
        vectors = embeddings.read_word_vectors(config.embeddings, vocabulary, seed=config.train.seed)
    net = zoo.create_model(config.model, input_shape=(sequence_length,), num_classes=num_classes,
                           vocab_size=len(vocabulary), **overrides)
    if vectors is not None:
        embeddings.load_into(net, vectors, trainable=not config.freeze_embeddings, model_name=config.model)
    return net, vectors


def solve_nbsvm(net, setup: Setup):
    """Fill `net`, a `linear_text` on the run's bag of n-grams, with the weights NBSVM solves for.

    NBSVM (`baselines.NBSVM`) is fitted on which of the vectoriser's n-grams each training text
    has; its decision value for class c, w_c . (x * r_c) + b_c, is a linear function of the bag, so
    it becomes the network's logits: kernel column c = w_c * r_c / t, where t is the term weight
    the network's input is already scaled by (`term_weights`). With two classes, NBSVM's one
    decision value is class 1's logit and class 0's is 0: the predictions are NBSVM's, and the
    probabilities the softmax of its decision values. Returns a `FitResult` whose one "epoch" is
    the solve, with the loss and accuracy it gives on the training and validation splits.
    """
    import tensorflow as tf

    from keras_zoo.applications.common.training import FitResult
    from keras_zoo.applications.nlp.baselines import NBSVM

    start = time.perf_counter()
    featurize = setup.extra["featurize"]
    texts, labels = setup.extra["train"]
    bags = sparse_bags(featurize.vectorizer, tf.constant([str(t) for t in texts], dtype=tf.string))
    solved = NBSVM().fit(_to_scipy(bags), np.asarray(labels))
    kernel = np.zeros((int(bags.dense_shape[1]), len(setup.class_names)), dtype="float32")
    bias = np.zeros(len(setup.class_names), dtype="float32")
    columns = [1] if len(setup.class_names) == 2 else [int(c) for c in solved.classes_]
    scale = np.asarray(featurize.weights.scale.numpy(), dtype="float64")
    for column, r, w, b in zip(columns, solved.ratios_, solved.weights_, solved.biases_):
        kernel[:, column] = np.divide(w * r, scale, out=np.zeros_like(scale), where=scale > 0)
        bias[column] = b
    net.get_layer("head").set_weights([kernel, bias])
    net.compile(loss=LOSS, metrics=["accuracy"])
    train_s = time.perf_counter() - start
    history = {}
    for prefix, batches in (("", setup.train), ("val_", setup.val)):
        if batches is not None:
            for key, value in net.evaluate(batches, verbose=0, return_dict=True).items():
                history[prefix + key] = [float(value)]
    return FitResult(history=history, train_s=train_s, examples_per_s=len(texts) / max(train_s, 1e-9), epochs_run=1,
                     best_epoch=1 if setup.val is not None else None)


def _to_scipy(sparse):
    """A `tf.SparseTensor` as a scipy CSR matrix (what scikit-learn reads)."""
    from scipy import sparse as scipy_sparse

    indices = sparse.indices.numpy()
    return scipy_sparse.csr_matrix((sparse.values.numpy(), (indices[:, 0], indices[:, 1])),
                                   shape=tuple(int(n) for n in sparse.dense_shape))


def end_to_end(vectorizer, net, name: str, *, weights=None):
    """Raw strings in, class probabilities out: the vectoriser, the term weights of a bag, the network."""
    import keras

    inputs = keras.Input(shape=(), dtype="string", name="text")
    x = vectorizer(inputs)
    if weights is not None:
        x = weights(x)
    return keras.Model(inputs, net(x), name=f"nlp_{name}")


# ## Subsets of the test data


def subset_masks(texts: Sequence[str], kinds: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The test examples reported on their own: `negation` (and, for the sample, `contrast`).

    For the synthetic sample these are its `negation` and `contrast` kinds; for real text, the
    texts with a negation word (`NEGATION`: not, never, n't, ...).
    """
    if kinds is not None:
        kinds = np.asarray(kinds, dtype=object)
        return {"negation": kinds == "negation", "contrast": kinds == "contrast"}
    return {"negation": np.array([bool(NEGATION.search(str(t))) for t in texts], dtype=bool)}


class TextClassifier(Classifier):
    """NLP's run (`common/classifier.py`): raw strings in, TF-IDF and naive Bayes beside the network."""

    domain, unit, config_class, demo_model = DOMAIN, "texts", NLPConfig, DEMO_MODEL
    reported_subset = "negation"
    no_inputs = "Give at least one text to classify, as in: zoo predict nlp --model-dir D \"a fine film\"."
    check_model = staticmethod(check_text_model)

    def prepare(self, config: NLPConfig, *, tuning: bool = False) -> Setup:
        data = load_data(config)
        (train, y_train), (val, y_val), (test, y_test) = (split_arrays(s) for s in (data.train, data.val, data.test))
        featurize = make_featurizer(config, train, y_train, len(data.class_names), tuning=tuning)
        stats, vocabulary = featurize.stats, int(featurize.vectorizer.vocabulary_size())
        bags, seed = featurize.weights is not None, config.train.seed
        batch_size = config.train.resolve_batch_size(len(train))
        return Setup(
            data=data, counts={"train": len(train), "val": len(val), "test": len(test)},
            train=batches(featurize, train, y_train, batch_size, shuffle=True, seed=seed),
            val=batches(featurize, val, y_val, batch_size) if len(val) else None,
            test=batches(featurize, test, y_test, batch_size),
            input_shape=(vocabulary,) if bags else (int(stats["sequence_length"]),), n_train=len(train),
            fixed={} if bags else {"vocab_size": vocabulary}, info=stats,
            extra={"featurize": featurize, "train": (train, y_train), "val": (val, y_val), "test": (test, y_test),
                   "model": config.model},
        )

    def data_line(self, setup):
        data, c, stats = setup.data, setup.counts, setup.extra["featurize"].stats
        origin = (f"from checkpoint {stats['vocabulary_from']}, which knows {100 * stats['known_words']:.1f}% of the "
                  "training split's words" if "vocabulary_from" in stats else "from the training split")
        return (f"Data {data.source}: {c['train']} train, {c['val']} validation, {c['test']} test texts, "
                f"{len(data.class_names)} classes" + (f"; {data.skipped} empty texts skipped" if data.skipped else "")
                + (f". {stats['vocabulary_size']:,} word uni- and bigrams ({origin})"
                   if stats["sequence_length"] is None else
                   f". Vocabulary {stats['vocabulary_size']:,} words ({origin}), "
                   f"{stats['sequence_length']} tokens per text ({100 * stats['truncated']:.1f}% truncated)"))

    def build(self, config, setup):
        featurize = setup.extra["featurize"]
        net, setup.extra["vectors"] = build_network(config, featurize.stats["sequence_length"],
                                                    featurize.vectorizer.get_vocabulary(), len(setup.class_names))
        return net, net

    def model_line(self, config, setup, net):
        vectors = setup.extra["vectors"]
        return (f"Model {config.model}" + (f" from checkpoint {config.pretrained}" if config.pretrained else "")
                + f": {net.count_params():,} parameters"
                + (f"; word vectors from {config.embeddings}: {vectors.found:,} of {vectors.total:,} words "
                   f"({100 * vectors.coverage:.1f}%), {'frozen' if config.freeze_embeddings else 'fine-tuned'}"
                   if vectors else ""))

    def saved_model(self, model, setup):
        featurize = setup.extra["featurize"]
        return end_to_end(featurize.vectorizer, model, setup.extra["model"], weights=featurize.weights)

    def probabilities(self, model, inputs, num_classes):
        import tensorflow as tf

        if not len(inputs):
            return np.zeros((0, num_classes))
        return model.predict(tf.constant([str(t) for t in inputs], dtype=tf.string), batch_size=512, verbose=0)

    def test_split(self, setup):
        texts, labels = setup.extra["test"]
        return TestSplit(texts, labels, masks=subset_masks(texts, setup.data.test_kinds))

    def baselines(self, config, setup, test, probs):
        from keras_zoo.applications.nlp import baselines

        return baselines.run_baselines(*setup.extra["train"], test.inputs, test.labels, subsets=test.masks)

    def candidate_config(self, config, name):
        if name in SOLVED:
            return dataclasses.replace(config, model=SOLVED[name], solver="nbsvm", candidates=())
        return super().candidate_config(config, name)

    def _train(self, config, setup, built, output_dir, say, verbose):
        if config.solver == "gradient":
            return super()._train(config, setup, built, output_dir, say, verbose)
        model, net = built
        say(self.model_line(config, setup, net) + ", its weights solved by NBSVM")
        return model, solve_nbsvm(model, setup)

    def validation_baselines(self, config, setup):
        from keras_zoo.applications.nlp import baselines

        return baselines.run_baselines(*setup.extra["train"], *setup.extra["val"])

    def data_record(self, setup, test):
        return {**{f"test_{name}": int(mask.sum()) for name, mask in test.masks.items()}, **setup.info}

    def record_extra(self, config, setup):
        vectors = setup.extra["vectors"]
        return {"embeddings": None if vectors is None else {
            "path": str(config.embeddings), "dim": vectors.dim, "found": vectors.found, "total": vectors.total,
            "coverage": vectors.coverage, "frozen": config.freeze_embeddings}}

    def plots(self, run, output_dir):
        from keras_zoo.applications.common.plotting import save_figure
        from keras_zoo.applications.nlp import plots

        masks = run.test.masks
        compared = {run.config.model: run.metrics, **run.baselines}
        paths = [save_figure(plots.comparison_figure(compared, subsets=list(masks)), output_dir, "model_vs_baselines")]
        examples = plots.saliency_examples(run.test.inputs, masks)
        if examples:
            paths.append(save_figure(plots.saliency_figure(run.model, examples, run.setup.class_names), output_dir,
                                     "token_saliency"))
        return paths

    def read_test(self, source, record, seed):
        from keras_zoo.applications.nlp import data as text_data

        class_names = tuple(record["data"]["classes"])
        if source.kind in ("csv", "folder"):  # every text in it is test data
            texts, y, _ = text_data.read_examples(source.path, class_names)
            return TestSplit(texts, y, masks=subset_masks(texts))
        loaded = text_data.load_texts(source.kind, name=source.name, path=source.path, text=source.text, seed=seed)
        check_classes(loaded.class_names, class_names)
        texts, y = split_arrays(loaded.test)
        return TestSplit(texts, y, masks=subset_masks(texts, loaded.test_kinds))

    def read_inputs(self, inputs, record):
        for i, text in enumerate(inputs, start=1):
            if not str(text).strip():
                raise ValueError(f"Text {i} is empty: give words to classify. Received: {text!r}")
        return inputs

    def checkpoint_run(self, net, ckpt):
        from keras_zoo import checkpoints

        vectorizer = checkpoints.text_vectorizer(ckpt.card)
        if vectorizer is None or reads_bags(ckpt.model):
            raise ValueError(f"zoo validate nlp takes checkpoints of sequence models whose card records their "
                             f"vocabulary (input.text); {ckpt.name} " + ("reads a bag of n-grams, weighted by its "
                             "training data" if vectorizer is not None else "records none") + ".")
        return end_to_end(vectorizer, net, ckpt.model), {"data": {"classes": ckpt.card["data"]["classes"]}}

    def demo_config(self, seed):
        return NLPConfig(model=DEMO_MODEL, train=TrainConfig(**{**DEFAULT_TRAIN, "epochs": 10, "seed": seed}))

    def demo(self, output_dir, *, seed=0):
        """The synthetic sample's run (word order and negation, which real text has too few of), then the
        default model on real SMS messages (`REAL_SAMPLE`), a run of its own in `<output>/sms_spam`,
        summed up in the first run's record as `real_text`."""
        from keras_zoo.applications.common import report

        record = super().demo(output_dir, seed=seed)
        folder = report.prepare_output_dir(Path(output_dir) / "sms_spam", DOMAIN)
        real = self.train_and_evaluate(NLPConfig(data=str(REAL_SAMPLE), train=TrainConfig(**{
            **DEFAULT_TRAIN, "seed": seed})), folder, verbose=False)
        record["real_text"] = {
            "source": REAL_SAMPLE_NAME, "run": str(folder), "model": real["model"], "test": real["data"]["test"],
            "accuracy": real["metrics"]["accuracy"], "macro_f1": real["metrics"]["macro_f1"],
            "baselines": {name: {"accuracy": b["accuracy"], "macro_f1": b["macro_f1"]}
                          for name, b in real["baselines"].items()}}
        report.write_json(Path(output_dir) / report.METRICS_FILE, record)
        return record


CLASSIFIER = TextClassifier()
prepare, train_and_evaluate, load_run = CLASSIFIER.prepare, CLASSIFIER.train_and_evaluate, CLASSIFIER.load_run
evaluate, validate, predict, demo = CLASSIFIER.evaluate, CLASSIFIER.validate, CLASSIFIER.predict, CLASSIFIER.demo
tune_data, input_feed = CLASSIFIER.tune_data, CLASSIFIER.input_feed


def config_from_args(args, train: TrainConfig) -> NLPConfig:
    """The run's config from `zoo train nlp` arguments."""
    if getattr(args, "augment", "auto") not in (None, "auto"):
        raise ValueError("--augment is for speech and vision; nlp takes no augmentation.")
    candidates = choices(args)
    return NLPConfig(model=candidates[0] if len(candidates) == 1 else model_from_args(args, DEFAULT_MODEL), data=args.data,
                     test_data=args.test_data, max_tokens=args.max_tokens, sequence_length=args.sequence_length,
                     embeddings=args.embeddings, freeze_embeddings=args.freeze_embeddings, pretrained=args.pretrained,
                     freeze_backbone=args.freeze_backbone, max_examples=args.max_examples,
                     **search_options(args, candidates), train=train)


def choices(args) -> tuple[str, ...]:
    """The candidates a `zoo train nlp` run chooses among: `CANDIDATES` on the user's own data without
    --model or --pretrained (with --embeddings, those that read word vectors); () otherwise."""
    if not chooses(args):
        return ()
    return tuple(n for n in CANDIDATES if not (args.embeddings and reads_bags(SOLVED.get(n, n))))
