import numpy as np
import pytest

from keras_zoo.applications.nlp.data import TextData, load_csv, load_folder, load_sample, load_texts, load_tfds


def _examples(ds):
    return [(t.decode("utf-8"), int(y)) for t, y in ds.as_numpy_iterator()]


def _write_csv(path, rows, header="text,label"):
    path.write_text(header + "\n" + "".join(rows), encoding="utf-8")
    return path


def _reviews(n, labels=("neg", "pos")):
    return [f'"review {i}, with a comma",{labels[i % len(labels)]}\n' for i in range(n)]


def test_sample_split_and_kinds():
    data = load_sample(seed=0, n=1000)
    assert isinstance(data, TextData)
    assert data.counts == {"train": 640, "val": 160, "test": 200}
    assert data.class_names == ("negative", "positive") and data.skipped == 0 and data.source == "sample"
    test = _examples(data.test)
    assert len(test) == 200 and len(data.test_kinds) == 200
    assert set(data.test_kinds) == {"plain", "intensified", "negation", "contrast"}
    spec = data.train.element_spec
    assert spec[0].dtype.name == "string" and spec[0].shape == () and spec[1].dtype.name == "int32"
    train = {t for t, _ in _examples(data.train)}
    assert _examples(load_sample(seed=0, n=1000).test) == test
    assert not train & {t for t, _ in test}
    labels = np.array([y for _, y in test])
    assert abs(labels.mean() - 0.5) < 0.05


def test_csv_string_labels_quotes_and_skips(tmp_path):
    rows = _reviews(40) + ['"   ",pos\n', ',neg\n', '"a text\nover two lines",neg\n']
    path = _write_csv(tmp_path / "r.csv", rows, header="ID,Text,Label")
    path.write_text("ID,Text,Label\n" + "".join(f"{i},{r}" for i, r in enumerate(rows)), encoding="utf-8")
    data = load_csv(path, seed=0, val_fraction=0.2, test_fraction=0.2)
    assert data.class_names == ("neg", "pos")
    assert data.skipped == 2
    assert sum(data.counts.values()) == 41
    assert abs(data.counts["test"] - 8) <= 1
    everything = _examples(data.train) + _examples(data.val) + _examples(data.test)
    assert ("a text\nover two lines", 0) in everything
    assert ("review 1, with a comma", 1) in everything
    assert _examples(load_csv(path, seed=0, val_fraction=0.2, test_fraction=0.2).test) == _examples(data.test)


def test_csv_integer_labels_sorted_numerically(tmp_path):
    rows = [f"text number {i},{[0, 2, 10][i % 3]}\n" for i in range(60)]
    data = load_csv(_write_csv(tmp_path / "r.csv", rows))
    assert data.class_names == ("0", "2", "10")
    labels = {t: y for t, y in _examples(data.train) + _examples(data.val) + _examples(data.test)}
    assert labels["text number 2"] == 2 and labels["text number 1"] == 1 and labels["text number 0"] == 0


def test_csv_with_test_path(tmp_path):
    train = _write_csv(tmp_path / "train.csv", _reviews(30))
    test = _write_csv(tmp_path / "test.csv", ["held out one,pos\n", "held out two,neg\n"])
    data = load_csv(train, test_path=test)
    assert data.counts["test"] == 2 and data.counts["train"] + data.counts["val"] == 30
    assert sorted(_examples(data.test)) == [("held out one", 1), ("held out two", 0)]
    other = _write_csv(tmp_path / "other.csv", ["x,maybe\n"])
    with pytest.raises(ValueError, match=r"classes \['maybe'\]"):
        load_csv(train, test_path=other)


def test_csv_errors(tmp_path):
    with pytest.raises(ValueError, match=r"columns found are \['review', 'stars'\]"):
        load_csv(_write_csv(tmp_path / "a.csv", ["x,1\n"], header="review,stars"))
    with pytest.raises(ValueError, match="single class 'pos'"):
        load_csv(_write_csv(tmp_path / "b.csv", _reviews(10, labels=("pos",))))
    latin = tmp_path / "c.csv"
    latin.write_bytes("text,label\ncaf\u00e9,pos\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"c\.csv.*not UTF-8.*offset 14.*UTF-8"):
        load_csv(latin)
    with pytest.raises(ValueError, match="empty label on line 3"):
        load_csv(_write_csv(tmp_path / "d.csv", ["a,pos\n", "b,\n"]))
    with pytest.raises(ValueError, match="only 1 example"):
        load_csv(_write_csv(tmp_path / "e.csv", _reviews(20) + ["lonely,other\n"]))
    with pytest.raises(ValueError, match="does not exist"):
        load_csv(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="no non-empty texts"):
        load_csv(_write_csv(tmp_path / "f.csv", [" ,pos\n", ",neg\n"]))
    with pytest.raises(ValueError, match="below 1"):
        load_csv(_write_csv(tmp_path / "g.csv", _reviews(20)), val_fraction=0.5, test_fraction=0.5)


def _folder(root, per_class=10, classes=("neg", "pos")):
    for name in classes:
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            (root / name / f"{i}.txt").write_text(f"{name} text {i}", encoding="utf-8")
    return root


def test_folder(tmp_path):
    root = _folder(tmp_path / "texts", per_class=20)
    (root / "pos" / "empty.txt").write_text("  \n", encoding="utf-8")
    (root / "pos" / "notes.md").write_text("ignored", encoding="utf-8")
    (root / "pos" / "sub").mkdir()
    (root / "pos" / "sub" / "deep.txt").write_text("pos deep", encoding="utf-8")
    data = load_folder(root, seed=1)
    assert data.class_names == ("neg", "pos") and data.skipped == 1
    assert sum(data.counts.values()) == 41
    everything = _examples(data.train) + _examples(data.val) + _examples(data.test)
    assert ("pos deep", 1) in everything and ("neg text 3", 0) in everything

    held_out = _folder(tmp_path / "held", per_class=2)
    data = load_folder(root, test_path=held_out)
    assert data.counts["test"] == 4


def test_folder_errors(tmp_path):
    with pytest.raises(ValueError, match=r"at least two class subfolders.*\['only'\]"):
        load_folder(_folder(tmp_path / "one", classes=("only",)))
    bad = _folder(tmp_path / "bad")
    (bad / "neg" / "x.txt").write_bytes(b"ok \xff\xfe")
    with pytest.raises(ValueError, match=r"x\.txt.*not UTF-8.*0xff at offset 3"):
        load_folder(bad)
    empty = _folder(tmp_path / "empty")
    (empty / "extra").mkdir()
    with pytest.raises(ValueError, match="extra.*no .txt files"):
        load_folder(empty)
    with pytest.raises(ValueError, match="does not exist"):
        load_folder(tmp_path / "nowhere")


def test_load_texts_dispatch(tmp_path):
    from keras_zoo.applications.common.sources import parse_source

    path = _write_csv(tmp_path / "r.csv", _reviews(40))
    src = parse_source(str(path))
    data = load_texts(src.kind, name=src.name, path=src.path, text=src.text, max_examples=3)
    assert data.source == str(path) and data.counts == {"train": 3, "val": 3, "test": 3}
    assert len(_examples(data.test)) == 3
    data = load_texts("folder", path=_folder(tmp_path / "f", per_class=10), test=parse_source(str(path)))
    assert data.counts["test"] == 40
    sample = load_texts("sample", text="sample", max_examples=5)
    assert sample.test_kinds is not None and len(sample.test_kinds) == 5
    with pytest.raises(ValueError, match="bring their own test"):
        load_texts("sample", test=path)
    with pytest.raises(ValueError, match="kind must be"):
        load_texts("audio")
    with pytest.raises(ValueError, match="needs a name"):
        load_texts("tfds")


def test_tfds_mock(tmp_path):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=30):
        data = load_tfds("imdb_reviews", seed=0, val_fraction=0.2)
        assert data.class_names == ("neg", "pos")
        assert data.counts["train"] + data.counts["val"] + data.skipped <= 30
        assert data.counts["test"] > 0 and data.source == "tfds:imdb_reviews"
        text, label = next(iter(data.train.as_numpy_iterator()))
        assert isinstance(text, bytes) and label in (0, 1)
        capped = load_texts("tfds", name="imdb_reviews", text="tfds:imdb_reviews", max_examples=10)
        assert capped.counts["test"] <= 10
        with pytest.raises(ValueError, match="not a text-classification set"):
            load_tfds("mnist")
    with pytest.raises(ValueError, match="no data set named"):
        load_tfds("imdb_reviewz")
