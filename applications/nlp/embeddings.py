"""Pretrained word vectors (GloVe, word2vec) for a text model's token embedding.

Two text formats are read, plain or gzipped (a `.gz` name is read through gzip), UTF-8:

- GloVe: one vector a line, `word v1 v2 ... vD`, space-separated
  (https://nlp.stanford.edu/projects/glove/);
- word2vec text: the same, after a header line `COUNT DIM` of two integers, whose `DIM` must
  match the vectors (the binary word2vec format is not read; convert it to text first, e.g.
  with gensim's `save_word2vec_format(..., binary=False)`).

Blank lines are skipped. A word is the first field; should a line hold more fields than the
first vector line and the extra leading ones are not numbers, they are part of the word (GloVe
840B has a few tokens with spaces, which a vocabulary of single words never asks for).

`read_word_vectors` streams the file once and keeps only the vectors of the vocabulary's words,
so files of gigabytes need memory for the vocabulary only. It fills one matrix row per entry of
keras `TextVectorization.get_vocabulary()`:

- row 0 (the padding `""`) stays all zeros;
- a word's row is its vector in the file; failing that, the vector of a file word whose lowercase
  form it is (the first such word in the file), since word2vec's GoogleNews vectors are cased
  and `TextVectorization` lowercases by default;
- row 1 (`[UNK]`) and the rows of words the file lacks are drawn from a normal distribution
  with mean 0 and the standard deviation of the vectors found, seeded, so they are on the
  same scale as the pretrained rows.

`load_into` puts the matrix into the model's layer named `token_embedding`, either frozen
(`trainable=False`: the embedding keeps the pretrained vectors, as Kim 2014's CNN-static) or
fine-tuned (`trainable=True`: it trains with the rest of the model, as CNN-non-static); Kim,
"Convolutional Neural Networks for Sentence Classification", 2014,
https://arxiv.org/abs/1408.5882.

No TensorFlow at import time.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

EMBEDDING_LAYER = "token_embedding"


@dataclass(frozen=True)
class WordVectors:
    """An embedding matrix read from a word-vector file for a vocabulary.

    `matrix` has one float32 row per vocabulary entry (`len(vocabulary)` by `dim`); `found` of
    the `total` vocabulary words (the padding and `[UNK]` entries not counted) had a vector in
    the file at `path`.
    """

    matrix: np.ndarray
    dim: int
    found: int
    total: int
    path: str

    @property
    def coverage(self) -> float:
        """The fraction of the vocabulary's words that had a vector in the file."""
        return self.found / self.total if self.total else 0.0


def read_word_vectors(path, vocabulary: Sequence[str], *, seed: int = 0) -> WordVectors:
    """The embedding matrix of `vocabulary` from a GloVe or word2vec text file (plain or `.gz`).

    Args:
        path: the word-vector file.
        vocabulary: keras `TextVectorization.get_vocabulary()`: index 0 the padding `""`, index 1
            the out-of-vocabulary token (`"[UNK]"`), then the words.
        seed: seeds the random rows of `[UNK]` and of the words the file lacks.

    Returns:
        A `WordVectors` whose `matrix` row `i` is the vector of `vocabulary[i]` (see the module
        docstring for the rows the file does not give).

    Raises:
        ValueError: a missing file, a file that is not UTF-8 (naming the line), a file with no
            vectors, a line with another number of values than the first (naming the line and
            both counts), a value that is not a number, a word2vec header whose dimension
            disagrees with the vectors, or a file holding none of the vocabulary's words.

    Example:
        >>> vectorizer = keras.layers.TextVectorization(max_tokens=20000, output_sequence_length=200)
        >>> vectorizer.adapt(texts)
        >>> vectors = read_word_vectors("glove.6B.100d.txt", vectorizer.get_vocabulary())
        >>> f"{vectors.coverage:.0%} of the words found"
    """
    file = _check_file(path)
    vocabulary = _check_vocabulary(vocabulary)
    words = set(vocabulary[2:])
    exact: dict[str, np.ndarray] = {}
    lowered: dict[str, np.ndarray] = {}
    dim = None

    def wanted(word: str) -> bool:
        if word in words and word not in exact:
            return True
        lower = word.lower()
        return lower != word and lower in words and lower not in lowered

    for dim, number, word, values in _records(file, wanted):
        vector = None
        if word in words and word not in exact:
            vector = exact[word] = _parse_values(values, number, file)
        lower = word.lower()
        if lower != word and lower in words and lower not in lowered:
            lowered[lower] = vector if vector is not None else _parse_values(values, number, file)
    if dim is None:
        raise _empty_error(file)

    total = len(vocabulary) - 2
    matrix = np.zeros((len(vocabulary), dim), dtype=np.float32)
    missing = [1]  # the rows drawn at random: [UNK] and the words the file lacks
    for i, word in enumerate(vocabulary[2:], start=2):
        vector = exact[word] if word in exact else lowered.get(word)
        if vector is None:
            missing.append(i)
        else:
            matrix[i] = vector
    found = total + 1 - len(missing)
    if not found:
        raise ValueError(f"None of the {total} vocabulary words was found in the word vectors {str(file)!r} "
                         "(looked up as written, then by the lowercase form of the file's words). The file may be in "
                         "another language than the texts, or lowercased differently from the vocabulary "
                         f"(TextVectorization lowercases by default). Received: path={str(file)!r}, "
                         f"vocabulary={list(vocabulary[2:7])} and {max(total - 5, 0)} more")
    scale = float(np.std(matrix[np.setdiff1d(np.arange(2, len(vocabulary)), missing)]))
    rng = np.random.default_rng(seed)
    matrix[missing] = rng.normal(0.0, scale, size=(len(missing), dim)).astype(np.float32)
    return WordVectors(matrix=matrix, dim=dim, found=found, total=total, path=str(file))


def vector_dim(path) -> int:
    """The dimension of the vectors in a GloVe or word2vec text file (plain or `.gz`).

    Reads only up to the first vector line (checking it against a word2vec header).

    Raises:
        ValueError: a missing file, a file that is not UTF-8, a file with no vectors, or a word2vec
            header whose dimension disagrees with the first vector.

    Example:
        >>> vector_dim("glove.6B.100d.txt")
        100
    """
    file = _check_file(path)
    for dim, *_ in _records(file, lambda word: False):
        return dim
    raise _empty_error(file)


def load_into(model, vectors: WordVectors, *, trainable: bool = True, model_name: str = "the model") -> None:
    """Set the weights of `model`'s `token_embedding` layer to the word vectors' matrix.

    The layer is searched in `model` and in the models nested in it. Set `trainable` before
    compiling the model (Keras reads it when compiling).

    Args:
        model: a keras model with an `Embedding` layer named `token_embedding` (the text models
            of the registry: `zoo list --domain nlp`), of `len(vocabulary)` rows.
        vectors: from `read_word_vectors`.
        trainable: True to fine-tune the embedding with the model; False to keep it frozen.
        model_name: how error messages name the model (e.g. `"lstm_text"`).

    Raises:
        ValueError: no `token_embedding` layer, or one whose vocabulary size or width differs
            from the matrix's.

    Example:
        >>> model = zoo.create_model("lstm_text", vocab_size=len(vocabulary), embedding_dim=vectors.dim)
        >>> load_into(model, vectors, trainable=False, model_name="lstm_text")
    """
    layer = _find_layer(model, EMBEDDING_LAYER)
    if layer is None:
        raise ValueError(f"{model_name} has no token embedding layer named {EMBEDDING_LAYER!r}; "
                         "pretrained word vectors go into the text models: list them with `zoo list --domain nlp`. "
                         f"Received: model={getattr(model, 'name', model)!r}")
    rows, width = (int(n) for n in layer.embeddings.shape)
    if width != vectors.dim:
        raise ValueError(f"The word vectors in {vectors.path} are {vectors.dim}-wide but "
                         f"{model_name}'s token embedding is {width}-wide. Use vectors of width {width}, or a model "
                         "whose embedding width follows the file (those with an `embedding_dim` setting: "
                         f"`zoo info NAME` shows it). Received: vectors width={vectors.dim}, embedding width={width}")
    if rows != vectors.matrix.shape[0]:
        raise ValueError(f"The word vectors in {vectors.path} have {vectors.matrix.shape[0]} rows, "
                         f"one per vocabulary entry, but {model_name}'s token embedding has {rows}. Build the model "
                         f"with vocab_size={vectors.matrix.shape[0]}, the size of the vocabulary the vectors were read "
                         f"for. Received: vectors rows={vectors.matrix.shape[0]}, embedding rows={rows}")
    layer.embeddings.assign(vectors.matrix)
    layer.trainable = bool(trainable)


def _check_file(path) -> Path:
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"Word-vector file {str(file)!r} does not exist. Received: path={str(file)!r}")
    return file


def _check_vocabulary(vocabulary) -> list[str]:
    words = [w.decode("utf-8") if isinstance(w, bytes) else str(w) for w in vocabulary]
    if len(words) < 3 or words[0] != "":
        raise ValueError("vocabulary must be a TextVectorization vocabulary with its special tokens (get_vocabulary()):"
                         " index 0 the padding '', index 1 the OOV token '[UNK]', then at least one word. "
                         f"Received: vocabulary={words[:5]}" + (" ..." if len(words) > 5 else ""))
    return words


def _empty_error(file: Path) -> ValueError:
    return ValueError(f"Word-vector file {str(file)!r} holds no vectors: expected lines 'word v1 ... vD' (GloVe), "
                      f"optionally after a header 'COUNT DIM' (word2vec text). Received: path={str(file)!r}")


def _lines(file: Path) -> Iterator[tuple[int, str]]:
    """(line number, text without trailing whitespace) of the non-blank lines, decoded as UTF-8."""
    gzipped = file.name.lower().endswith(".gz")
    opener = gzip.open if gzipped else open
    try:
        with opener(file, "rb") as stream:
            for number, raw in enumerate(stream, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise ValueError(f"{str(file)!r} is not UTF-8: line {number} has byte 0x{raw[error.start]:02x} at "
                                     f"offset {error.start} of the line, which cannot be decoded. "
                                     f"Word-vector files must be UTF-8. Received: path={str(file)!r}") from None
                if number == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                text = text.rstrip()
                if text:
                    yield number, text.replace("\t", " ")
    except (gzip.BadGzipFile, EOFError, OSError) as error:
        if not gzipped or isinstance(error, (FileNotFoundError, PermissionError)):
            raise
        raise ValueError(f"Could not read {str(file)!r} as gzip ({error}); a .gz name must be a gzipped text file. "
                         f"Received: path={str(file)!r}") from None


def _records(file: Path, wanted) -> Iterator[tuple[int, int, str, list[str]]]:
    """(dim, line number, word, value strings) of the vector lines whose word `wanted(word)` accepts.

    Every vector line's number of values is checked against the first's; the values are left
    unparsed (the caller parses the few it keeps). The first vector line is always yielded.
    """
    dim = None
    header = None  # (line number, DIM)
    for index, (number, text) in enumerate(_lines(file)):
        if index == 0:
            fields = text.split()
            if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit():
                header = (number, int(fields[1]))
                continue
        if dim is not None:
            space = text.find(" ")
            word = text[:space] if space > 0 else text
            if text.count(" ") == dim and "  " not in text and not wanted(word):
                continue  # the right number of fields, and a word nobody asked for
        fields = [f for f in text.split(" ") if f]
        if dim is None:
            dim = len(fields) - 1
            if dim < 1:
                raise ValueError(f"Line {number} of {str(file)!r} holds a word but no vector: "
                                 f"expected 'word v1 ... vD'. Received: line {number}={text[:80]!r}")
            if header is not None and header[1] != dim:
                raise ValueError(f"The word2vec header of {str(file)!r} (line {header[0]}) gives vectors of "
                                 f"{header[1]} values, but line {number} holds {dim}. "
                                 f"The header is 'COUNT DIM'; fix DIM or the file. Received: path={str(file)!r}")
            yield dim, number, fields[0], fields[1:]
            continue
        word, values = _split_fields(fields, dim, number, file)
        if wanted(word):
            yield dim, number, word, values


def _split_fields(fields: list[str], dim: int, number: int, file: Path) -> tuple[str, list[str]]:
    """The word and the `dim` value strings of a line, or a ValueError for a wrong number of values."""
    if len(fields) == dim + 1:
        return fields[0], fields[1:]
    extra = fields[1:len(fields) - dim]
    if len(fields) > dim + 1 and not any(_is_number(f) for f in extra):
        return " ".join(fields[:-dim]), fields[-dim:]  # a token with spaces
    raise ValueError(f"Line {number} of {str(file)!r} has {len(fields) - 1} values but the vectors have {dim} "
                     f"(the first vector line's count); every line must be 'word' and {dim} values. "
                     f"Received: path={str(file)!r}")


def _parse_values(values: list[str], number: int, file: Path) -> np.ndarray:
    try:
        vector = np.array([float(v) for v in values], dtype=np.float32)
    except ValueError:
        vector = None
    if vector is None or not np.all(np.isfinite(vector)):
        bad = next(v for v in values if not _is_number(v) or not math.isfinite(float(v)))
        raise ValueError(f"Line {number} of {str(file)!r} has a value that is not a finite number: {bad!r}. "
                         f"Values must be decimal numbers such as 0.418 or -1.2e-3. Received: path={str(file)!r}")
    return vector


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _find_layer(model, name: str):
    """The layer called `name` in `model` or in the models (anything with `.layers`) nested in it."""
    for layer in getattr(model, "layers", ()):
        if layer.name == name:
            return layer
        if getattr(layer, "layers", None):
            found = _find_layer(layer, name)
            if found is not None:
                return found
    return None
