"""The text CNN family: shapes, pinned size, it learns n-grams, bad configs and inputs fail early."""

import numpy as np
import pytest

import keras_zoo as zoo
from tests.model_checks import assert_round_trip, forward_backward
from keras_zoo import registry
from keras_zoo.models.textcnn import TextCNNConfig, build_textcnn

TINY = dict(vocab_size=50, embedding_dim=8, filters=8)


def test_registered_model():
    assert zoo.list_models(family="textcnn") == ["cnn_text"]
    entry = registry.get_entry("cnn_text")
    assert (entry.input_kind, entry.input_shape, entry.num_classes, entry.domains) == ("tokens", (200,), 2, ("nlp",))
    assert entry.params == 2_714_502
    config = entry.config
    assert (config.kernel_sizes, config.filters, config.embedding_dim, config.head_dropout) == ((3, 4, 5), 100, 128, 0.5)
    assert "Kim 2014" in entry.reference and "arxiv.org/abs/1408.5882" in entry.reference


def test_pinned_parameter_count():
    model = zoo.create_model("cnn_text")
    embedding = 20000 * 128
    convs = sum(k * 128 * 100 + 100 for k in (3, 4, 5))
    assert model.count_params() == embedding + convs + 300 * 2 + 2 == 2_714_502


@pytest.mark.parametrize("length", [None, 37], ids=["default_length", "custom_length"])
def test_output_shape(length):
    shape = None if length is None else (length,)
    model = zoo.create_model("cnn_text", num_classes=4, input_shape=shape, vocab_size=100, embedding_dim=8, filters=4)
    n = length or 200
    ids = np.random.default_rng(0).integers(0, 100, size=(3, n)).astype("int32")
    assert model.predict(ids, verbose=0).shape == (3, 4)
    assert model.input_shape == (None, n)


def test_token_embedding_takes_pretrained_vectors():
    model = zoo.create_model("cnn_text", vocab_size=300, embedding_dim=16, filters=4)
    embedding = model.get_layer("token_embedding")
    assert tuple(embedding.embeddings.shape) == (300, 16)
    assert not embedding.mask_zero


@pytest.mark.parametrize("pooling", ["max", "avg"])
@pytest.mark.parametrize("kernel_sizes", [(3,), (2, 4)], ids=["one_branch", "two_branches"])
def test_options_build_train_and_round_trip(kernel_sizes, pooling, tmp_path):
    model = zoo.create_model("cnn_text", num_classes=3, input_shape=(12,), kernel_sizes=kernel_sizes, pooling=pooling,
                             embedding_dropout=0.1, activation="gelu", **TINY)
    x = np.random.default_rng(0).integers(1, 50, size=(2, 12)).astype("int32")
    x[0, 7:] = 0  # padded
    assert forward_backward(model, x, np.array([0, 2])).shape == (2, 3)
    names = {layer.name for layer in model.layers}
    assert {f"conv{k}" for k in kernel_sizes} | {f"pool{k}" for k in kernel_sizes} <= names
    assert ("concat" in names) == (len(kernel_sizes) > 1)
    assert "embedding_dropout" in names
    assert model.get_layer("head").input.shape == (None, 8 * len(kernel_sizes))
    assert_round_trip(model, x, tmp_path)


def bigram_task(n, length=20, seed=0):
    """Ids in [2, 50); label 1 iff the bigram (5, 6) occurs. Negatives hold 5 and 6 too, never adjacent in order."""
    rng = np.random.default_rng(seed)
    x = rng.integers(2, 50, size=(n, length))
    x[np.isin(x, (5, 6))] = 7  # no accidental 5s or 6s: every one below is placed
    y = np.arange(n) % 2
    for row, label in zip(x, y):
        i, j = rng.choice(length - 1, size=2, replace=False)
        if label:
            row[i : i + 2] = (5, 6)
        elif rng.random() < 0.5:
            row[i : i + 2] = (6, 5)  # the reversed bigram
        else:
            row[i], row[j] = 5, 6  # both tokens, not (5, 6) -- unless j follows i, fixed below
            if j == i + 1:
                row[i], row[j] = 6, 5
    return x.astype("int32"), y.astype("int32")


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
def test_learns_a_bigram():
    """A token's meaning depends on its neighbour: a bag of words cannot solve this, a width-2 filter can."""
    import keras

    keras.utils.set_random_seed(0)
    x, y = bigram_task(1200)
    x_test, y_test = bigram_task(400, seed=1)
    assert not any(((row[:-1] == 5) & (row[1:] == 6)).any() for row in x[y == 0])
    assert all(((row[:-1] == 5) & (row[1:] == 6)).any() for row in x[y == 1])

    def held_out_accuracy(kernel_sizes):
        model = zoo.create_model("cnn_text", input_shape=(20,), kernel_sizes=kernel_sizes, vocab_size=50,
                                 embedding_dim=16, filters=16, head_dropout=0.0)
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, batch_size=32, epochs=8, verbose=0)
        return model.evaluate(x_test, y_test, verbose=0)[1]

    assert held_out_accuracy((2, 3)) > 0.9
    assert held_out_accuracy((1,)) < 0.7  # the control: one-token filters see a bag of words, and guess


def test_too_short_input_is_refused():
    with pytest.raises(ValueError, match=r"cnn_text: .*spans 5 tokens: sequences must be at least 5 long\. "
                                         r"Received: input_shape=\(3,\)"):
        zoo.create_model("cnn_text", input_shape=(3,))
    zoo.create_model("cnn_text", input_shape=(3,), kernel_sizes=(2, 3), **TINY)  # narrower filters fit
    with pytest.raises(ValueError, match=r"Received: input_shape=\(10, 3\)"):
        zoo.create_model("cnn_text", input_shape=(10, 3))
    with pytest.raises(ValueError, match=r"\(length,\) token ids\. Received: input_shape=\(10, 3\)"):
        build_textcnn(TextCNNConfig(), input_shape=(10, 3), num_classes=2, name="bad")


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("kernel_sizes", (), r"Received: kernel_sizes=\(\)"),
        ("kernel_sizes", (3, 0), r"Received: kernel_sizes=\(3, 0\)"),
        ("kernel_sizes", (3, 3), r"must not repeat a size\. Received: kernel_sizes=\(3, 3\)"),
        ("pooling", "median", r"pooling must be one of \('max', 'avg'\)\. Received: pooling='median'"),
        ("filters", 0, r"Received: filters=0"),
        ("vocab_size", -1, r"Received: vocab_size=-1"),
        ("embedding_dim", 2.5, r"Received: embedding_dim=2.5"),
        ("activation", "swish", r"Received: activation='swish'"),
        ("embedding_dropout", 1.0, r"Received: embedding_dropout=1.0"),
        ("head_dropout", -0.1, r"Received: head_dropout=-0.1"),
    ],
)
def test_invalid_fields_are_rejected(field, value, match):
    with pytest.raises(ValueError, match=match + "$"):
        TextCNNConfig(**{field: value})
    with pytest.raises(ValueError, match=match):
        zoo.create_model("cnn_text", **{field: value})


def test_search_space_gives_a_config_that_builds():
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    overrides = registry.get_entry("cnn_text").family.search_space(hp, TextCNNConfig())
    assert {"filters", "kernel_sizes", "embedding_dim", "head_dropout"} <= set(hp.values)
    config = registry.resolve_config("cnn_text", overrides)
    model = zoo.create_model("cnn_text", input_shape=(16,), vocab_size=100, **overrides)
    assert model.get_layer("token_embedding").embeddings.shape == (100, config.embedding_dim)
    assert model.output_shape == (None, 2)
