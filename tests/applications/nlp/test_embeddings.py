import gzip

import numpy as np
import pytest

from keras_zoo.applications.nlp.embeddings import WordVectors, load_into, read_word_vectors, vector_dim

VOCAB = ["", "[UNK]", "the", "movie", "good", "bad", "paris", "zyzzyva"]
D = 4
RNG = np.random.default_rng(123)
FILE_WORDS = ["the", "movie", "good", "bad", "unrelated", "words", "here"]
FILE_VECTORS = {w: RNG.normal(0, 0.5, D).round(5) for w in FILE_WORDS + ["Paris", "PARIS", "Bad"]}


def _line(word, vector):
    return word + " " + " ".join(f"{v:.5f}" for v in vector) + "\n"


def _glove(path, words=FILE_WORDS, extra=""):
    path.write_text("".join(_line(w, FILE_VECTORS[w]) for w in words) + extra, encoding="utf-8")
    return path


def _word2vec(path, words=("the", "Paris", "PARIS", "movie", "Bad", "bad"), dim=D):
    # the C tool writes a trailing space after each value
    lines = [f"{len(words)} {dim}\n"] + [_line(w, FILE_VECTORS[w]).replace("\n", " \n") for w in words]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_glove_rows(tmp_path):
    vectors = read_word_vectors(_glove(tmp_path / "glove.txt", extra="\n  \n"), VOCAB, seed=0)
    assert isinstance(vectors, WordVectors)
    assert vectors.matrix.shape == (len(VOCAB), D) and vectors.matrix.dtype == np.float32
    assert vectors.dim == D and vectors.total == 6 and vectors.found == 4
    assert vectors.coverage == pytest.approx(4 / 6)
    assert vectors.path == str(tmp_path / "glove.txt")
    for word in ("the", "movie", "good", "bad"):
        np.testing.assert_allclose(vectors.matrix[VOCAB.index(word)], FILE_VECTORS[word], atol=1e-6)
    assert not vectors.matrix[0].any()
    for i in (1, VOCAB.index("paris"), VOCAB.index("zyzzyva")):  # random rows, all different
        assert vectors.matrix[i].any()
    assert len({tuple(vectors.matrix[i]) for i in (1, 6, 7)}) == 3
    again = read_word_vectors(tmp_path / "glove.txt", VOCAB, seed=0)
    np.testing.assert_array_equal(again.matrix, vectors.matrix)
    other = read_word_vectors(tmp_path / "glove.txt", VOCAB, seed=1)
    assert not np.array_equal(other.matrix[1], vectors.matrix[1])
    np.testing.assert_array_equal(other.matrix[2:6], vectors.matrix[2:6])


def test_missing_rows_on_the_found_scale(tmp_path):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    path = tmp_path / "big.txt"
    path.write_text("".join(_line(w, rng.normal(0, 3.0, 8)) for w in words[:200]), encoding="utf-8")
    vectors = read_word_vectors(path, ["", "[UNK]"] + words)
    assert vectors.found == 200 and vectors.coverage == 0.5
    found_std = vectors.matrix[2:202].std()
    random_rows = vectors.matrix[202:]
    assert abs(random_rows.mean()) < 0.2
    assert random_rows.std() == pytest.approx(found_std, rel=0.1)


def test_word2vec_header_and_lowercase_fallback(tmp_path):
    path = _word2vec(tmp_path / "w2v.txt")
    vectors = read_word_vectors(path, VOCAB)
    assert vectors.dim == D and vectors.found == 4  # the, movie, paris (from Paris), bad
    np.testing.assert_allclose(vectors.matrix[VOCAB.index("paris")], FILE_VECTORS["Paris"], atol=1e-6)  # first wins
    np.testing.assert_allclose(vectors.matrix[VOCAB.index("bad")], FILE_VECTORS["bad"], atol=1e-6)  # exact wins
    np.testing.assert_allclose(vectors.matrix[VOCAB.index("the")], FILE_VECTORS["the"], atol=1e-6)
    assert vector_dim(path) == D


def test_gzip(tmp_path):
    path = tmp_path / "glove.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("".join(_line(w, FILE_VECTORS[w]) for w in FILE_WORDS))
    vectors = read_word_vectors(path, VOCAB)
    assert vectors.found == 4
    np.testing.assert_allclose(vectors.matrix[VOCAB.index("good")], FILE_VECTORS["good"], atol=1e-6)
    assert vector_dim(path) == D
    fake = tmp_path / "fake.gz"
    fake.write_text("the 1 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="gzip"):
        vector_dim(fake)


def test_vector_dim(tmp_path):
    assert vector_dim(_glove(tmp_path / "g.txt")) == D
    assert vector_dim(_word2vec(tmp_path / "w.txt")) == D
    # only up to the first vector line: a bad line later is not read
    path = tmp_path / "partial.txt"
    path.write_text("\n3 2\ncat 0.1 0.2\ndog 0.1\n", encoding="utf-8")
    assert vector_dim(path) == 2


def test_token_with_spaces_is_tolerated(tmp_path):
    path = _glove(tmp_path / "g.txt", extra=_line(". . .", FILE_VECTORS["the"]) + _line("zyzzyva", [1, 2, 3, 4]))
    vectors = read_word_vectors(path, VOCAB)
    assert vectors.found == 5
    np.testing.assert_allclose(vectors.matrix[VOCAB.index("zyzzyva")], [1, 2, 3, 4])


def test_file_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        read_word_vectors(tmp_path / "missing.txt", VOCAB)
    with pytest.raises(ValueError, match="does not exist"):
        vector_dim(tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="holds no vectors"):
        read_word_vectors(empty, VOCAB)
    with pytest.raises(ValueError, match="holds no vectors"):
        vector_dim(empty)
    header_only = tmp_path / "header.txt"
    header_only.write_text("0 300\n", encoding="utf-8")
    with pytest.raises(ValueError, match="holds no vectors"):
        read_word_vectors(header_only, VOCAB)
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"the 0.1 0.2\ncaf\xe9 0.3 0.4\n")
    with pytest.raises(ValueError, match=r"latin\.txt.*not UTF-8.*line 2.*0xe9"):
        read_word_vectors(latin, VOCAB)
    latin.write_bytes(b"caf\xe9 0.3 0.4\n")
    with pytest.raises(ValueError, match=r"not UTF-8.*line 1"):
        vector_dim(latin)


def test_line_errors(tmp_path):
    short = _glove(tmp_path / "short.txt", extra="movie 0.1 0.2\n")
    with pytest.raises(ValueError, match=rf"Line 8 of .*short\.txt.* has 2 values but the vectors have {D}"):
        read_word_vectors(short, VOCAB)
    long = _glove(tmp_path / "long.txt", extra="other 1 2 3 4 5\n")  # checked even for words not kept
    with pytest.raises(ValueError, match=rf"Line 8 .* has 5 values but the vectors have {D}"):
        read_word_vectors(long, VOCAB)
    words = tmp_path / "nan.txt"
    words.write_text("the 0.1 0.2\n\nmovie 0.3 abc\n", encoding="utf-8")
    with pytest.raises(ValueError, match="Line 3 .* not a finite number: 'abc'"):
        read_word_vectors(words, VOCAB)
    words.write_text("the 0.1 nan\n", encoding="utf-8")
    with pytest.raises(ValueError, match="Line 1 .* not a finite number: 'nan'"):
        read_word_vectors(words, VOCAB)
    header = _word2vec(tmp_path / "w2v.txt", dim=300)
    with pytest.raises(ValueError, match=rf"header .*line 1.* 300 values, but line 2 holds {D}"):
        read_word_vectors(header, VOCAB)
    with pytest.raises(ValueError, match="300 values"):
        vector_dim(header)


def test_nothing_found(tmp_path):
    path = _glove(tmp_path / "g.txt", words=["unrelated", "words", "here"])
    with pytest.raises(ValueError, match=r"None of the 6 vocabulary words .*another language.*lowercased differently"):
        read_word_vectors(path, VOCAB)
    with pytest.raises(ValueError, match="special tokens"):
        read_word_vectors(path, ["the", "movie"])


# ---------------------------------------------------------------------------------------------
# Into a model


def _model(embedding_dim=D, vocab_size=len(VOCAB)):
    import keras_zoo as zoo

    return zoo.create_model("lstm_text", input_shape=(10,), vocab_size=vocab_size, embedding_dim=embedding_dim,
                            units=(8,))


def _embedding_weights(model):
    return model.get_layer("token_embedding").get_weights()[0]


def _fit_one_step(model):
    x = np.tile(np.arange(2, 8, dtype="int32"), 4)[:20].reshape(2, 10)
    y = np.array([0, 1], dtype="int32")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=2, verbose=0)


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    return read_word_vectors(_glove(tmp_path_factory.mktemp("vectors") / "glove.txt"), VOCAB)


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("trainable", [False, True])
def test_load_into_frozen_or_fine_tuned(vectors, trainable):
    model = _model()
    load_into(model, vectors, trainable=trainable, model_name="lstm_text")
    layer = model.get_layer("token_embedding")
    assert layer.trainable is trainable
    np.testing.assert_allclose(_embedding_weights(model), vectors.matrix)
    _fit_one_step(model)
    changed = not np.allclose(_embedding_weights(model), vectors.matrix)
    assert changed is trainable


def test_load_into_nested_model(vectors):
    import keras

    inner = _model()
    inputs = keras.Input(shape=(10,), dtype="int32")
    outer = keras.Model(inputs, inner(inputs), name="wrapper")
    load_into(outer, vectors, trainable=False)
    np.testing.assert_allclose(_embedding_weights(inner), vectors.matrix)
    assert not inner.get_layer("token_embedding").trainable


def test_load_into_errors(vectors):
    import keras

    with pytest.raises(ValueError, match=r"glove\.txt are 4-wide but lstm_text's token embedding is 6-wide\. "
                                         r"Use vectors of width 6.*embedding_dim"):
        load_into(_model(embedding_dim=6), vectors, model_name="lstm_text")
    with pytest.raises(ValueError, match=r"has 20\. Build the model with vocab_size=8"):
        load_into(_model(vocab_size=20), vectors, model_name="lstm_text")
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"mlp has no token embedding layer named 'token_embedding'.*"
                                         r"zoo list --domain nlp"):
        load_into(dense, vectors, model_name="mlp")
