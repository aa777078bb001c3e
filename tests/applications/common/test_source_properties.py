"""Properties of the data-source parser and the shared CSV reader, over inputs nobody writes by hand.

What is promised: `parse_source` and `read_csv_frame` either return a result that keeps its
documented form, or raise `ValueError` (their one documented error) with a message that names what
was received. Never a TypeError, an OSError, a RuntimeError or a UnicodeDecodeError that is not a
ValueError: the command line turns a ValueError into one line of advice, anything else into a
traceback.

Hypothesis runs derandomized, so that a failure in CI is the same failure on a laptop.
"""

import os
import string
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from keras_zoo.applications.common.sources import KINDS, parse_source
from keras_zoo.applications.common.tables import read_csv_frame

# Derandomized: the same examples on every run and machine. No deadline: the first examples pay
# for imports (pandas) and a slow disk must not fail a test.
PROPERTY = settings(derandomize=True, deadline=None, max_examples=500)

# Any character, lone surrogates included (a file name read with surrogateescape has them).
ANY_CHAR = st.characters(exclude_categories=())
SEGMENT = st.one_of(
    st.text(ANY_CHAR, max_size=12),
    st.sampled_from([".", "..", "~", "sample", "data.csv", "images.zip", "x.CSV", "tfds:mnist", " "]),
    st.text("a", min_size=250, max_size=300),  # longer than a file name may be (ENAMETOOLONG)
)
PATH_LIKE = st.builds(
    lambda head, segments, tail: head + "/".join(segments) + tail,
    st.sampled_from(["", "/", "./", "../", "~", "~/", "~no_such_user_zoo/", "\\", " "]),
    st.lists(SEGMENT, max_size=5),
    st.sampled_from(["", "/", ".csv", ".CSV", ".txt", "\x00", "\n", " "]),
)
SOURCE_TEXT = st.one_of(
    st.text(ANY_CHAR),
    PATH_LIKE,
    st.builds(lambda a, name, b: f"{a}tfds:{name}{b}", st.sampled_from(["", " ", "\t"]),
              st.one_of(st.text(ANY_CHAR, max_size=20), st.from_regex(r"[a-z0-9_]{1,8}(/[\w.:+-]{1,6}){0,2}", fullmatch=True)),
              st.sampled_from(["", " ", "\n", "/"])),
    st.sampled_from(["sample", " sample\n", "SAMPLE", "sample/", "tfds:", "tfds", "\x00", "\ud800"]),
    st.text(ANY_CHAR, min_size=1000, max_size=5000),  # longer than a whole path may be
)


@pytest.fixture(scope="module")
def existing(tmp_path_factory):
    """A folder holding one of each thing a source can name: a folder, a .csv file, another file, a pipe."""
    root = tmp_path_factory.mktemp("sources")
    (root / "flowers" / "roses").mkdir(parents=True)
    (root / "prices.csv").write_text("date,close\n2020-01-02,1\n")
    (root / "IMAGES.ZIP").write_bytes(b"PK")
    os.mkfifo(root / "pipe.csv")  # exists, but neither a folder nor a file: parse_source must not open it
    return root


def check_source(text, source_or_error):
    """The property: a `Source` of consistent fields, or a ValueError naming the received text."""
    if isinstance(source_or_error, BaseException):
        assert isinstance(source_or_error, ValueError), repr(source_or_error)
        message = str(source_or_error)
        assert f"Received: source={text!r}" in message, message
        return
    source = source_or_error
    assert source.kind in KINDS
    assert source.text == text.strip() and str(source) == source.text
    if source.kind == "sample":
        assert (source.text, source.name, source.path) == ("sample", None, None)
    elif source.kind == "tfds":
        assert source.path is None and source.text.startswith("tfds:")
        assert source.name and source.name == source.text[len("tfds:"):].strip()
    else:
        assert source.name is None and source.path.is_absolute()
        if source.kind == "folder":
            assert source.path.is_dir()
        else:
            assert source.path.is_file() and source.path.suffix.lower() == ".csv"


def outcome(function, *args):
    try:
        return function(*args)
    except Exception as error:  # the property decides which errors are allowed
        return error


@PROPERTY
@given(SOURCE_TEXT)
@example("a" * 300)  # once an OSError (File name too long) from Path.is_dir
@example("~no_such_user_zoo/data.csv")  # once a RuntimeError from Path.expanduser
@example("x\x00y.csv")  # a NUL byte: os.stat refuses it with a ValueError of its own
def test_any_string_is_a_source_or_a_value_error(text):
    check_source(text, outcome(parse_source, text))


@PROPERTY
@given(st.sampled_from(["flowers", "flowers/roses", "prices.csv", "IMAGES.ZIP", "pipe.csv", "nope.csv", "flowers/x"]),
       st.sampled_from(["", "/", " ", "/.", "/.."]))
def test_existing_paths_are_a_source_or_a_value_error(existing, name, tail):
    text = str(existing / name) + tail
    check_source(text, outcome(parse_source, text))


@PROPERTY
@given(st.one_of(st.none(), st.integers(), st.floats(), st.binary(), st.lists(st.text()), st.just(Path("."))))
def test_a_non_string_is_a_value_error(value):
    error = outcome(parse_source, value)
    assert isinstance(error, ValueError) and f"Received: source={value!r}" in str(error)


# ---------------------------------------------------------------------------------------------
# read_csv_frame: the bytes of the file are the input.

NAME = st.one_of(
    st.sampled_from(["date", "Date", " DATE ", "close", "Close", "user_id", "item_id", "rating", "", "a", "A"]),
    st.text(string.ascii_letters + " _;\t", max_size=8),
    st.text(ANY_CHAR.filter(lambda c: c not in "\r\n"), max_size=6),
)
CELL = st.one_of(
    st.sampled_from(["", "1", "2020-01-02", "3.5", "NA", "nan", "x y", '"quoted, with a comma"', '"unclosed', '""', "#"]),
    st.text(ANY_CHAR.filter(lambda c: c not in "\r\n"), max_size=8),
)


def join_csv(header, rows, newline, trailing):
    return newline.join([",".join(header)] + [",".join(row) for row in rows]) + (newline if trailing else "")


# A header, then rows of random width (missing and extra cells), random line ends.
CSV_TEXT = st.builds(
    join_csv,
    st.lists(NAME, min_size=1, max_size=5),
    st.lists(st.lists(CELL, max_size=6), max_size=5),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
)
BOM = b"\xef\xbb\xbf"
CSV_BYTES = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda bom, text: bom + text.encode("utf-8", "surrogatepass"), st.sampled_from([b"", BOM]), CSV_TEXT),
    CSV_TEXT.map(lambda text: text.encode("utf-16")),  # not UTF-8: NUL bytes and a foreign BOM
    st.text("abcé,\n ", max_size=60).map(lambda text: text.encode("latin-1")),  # é as one byte: not UTF-8
    st.builds(lambda text, byte, cut: (lambda data: data[:cut] + byte + data[cut:])(text.encode()),
              CSV_TEXT, st.sampled_from([b"\xff", b"\xc3", b"\x80", b"\x00"]), st.integers(0, 40)),
    st.sampled_from([b"", BOM, b"\n", b"\n\n", b" ", BOM + b"a,b", b"a,b\n", b'"', b"a\n\"", b",\n,", b"\x00"]),
)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    """One file, rewritten by each example (a function-scoped tmp_path would be shared anyway)."""
    return tmp_path_factory.mktemp("tables") / "data.csv"


@PROPERTY
@given(CSV_BYTES, st.sampled_from([None, None, 1, 2, 5]))
@example(b"Close,close\n1,2\n", None)  # once a frame with two columns named close (frame["close"] a frame)
@example(b"a ,A\n1,2\n", None)
@example(b"\xef\xbb\xbfa,b\n1,2\n", 1)
def test_any_bytes_are_a_frame_of_text_or_a_value_error(csv_path, data, max_rows):
    csv_path.write_bytes(data)
    result = outcome(read_csv_frame, csv_path, "--data", max_rows)
    if isinstance(result, BaseException):
        assert isinstance(result, ValueError), repr(result)
        assert f"Received: --data={str(csv_path)!r}" in str(result), str(result)
        return
    frame = result
    # The documented form: at least one row, text cells, names stripped, lower-cased and distinct.
    assert 1 <= len(frame) <= (max_rows or len(frame))
    columns = list(frame.columns)
    assert all(isinstance(c, str) and c == c.strip().lower() for c in columns), columns
    assert len(set(columns)) == len(columns), columns
    for column in columns:
        assert all(isinstance(value, str) for value in frame[column]), (column, list(frame[column]))


def test_a_missing_file_or_a_folder_is_a_value_error(tmp_path):
    for path in (tmp_path / "nope.csv", tmp_path, Path(str(tmp_path) + "/\x00.csv")):
        with pytest.raises(ValueError, match="No such file"):
            read_csv_frame(path, "--items")
