"""The NLP pipeline end to end: the synthetic sample, CSV, a text folder, TFDS (mocked), word vectors, predict."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_zoo.applications.common.report import prepare_output_dir
from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.nlp import pipeline
from keras_zoo.applications.nlp.corpus import generate_corpus
from keras_zoo.applications.nlp.pipeline import NLPConfig
from tests.cli_checks import run_zoo, zoo_here

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

ZOO = Path(sys.executable).parent / "zoo"


def quick(**kwargs):
    train = TrainConfig(**{"epochs": 3, "patience": None, **kwargs.pop("train", {})})
    return NLPConfig(**{"model": "cnn_text", **kwargs}, train=train)


def write_csv(path: Path, rows, header=("text", "label")) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def corpus_rows(n, seed, labels=("bad", "good")):
    return [(e["text"], labels[e["label"]]) for e in generate_corpus(n, seed=seed)]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """A sequence model (an LSTM) on the synthetic sample."""
    out = prepare_output_dir(tmp_path_factory.mktemp("runs") / "sample", "nlp")
    record = pipeline.train_and_evaluate(quick(model="lstm_text", train={"epochs": 12, "patience": 3}), out,
                                         verbose=False)
    return out, record


def test_the_sequence_model_learns_the_sample_and_beats_bag_of_words_on_negation(sample_run):
    _, record = sample_run
    metrics, baselines = record["metrics"], record["baselines"]
    assert record["data"]["test"] == 800 and record["data"]["test_negation"] == 200
    assert metrics["accuracy"] >= 0.95 and metrics["macro_f1"] >= 0.95
    assert set(baselines) == {"tfidf_logreg", "naive_bayes", "nbsvm"}
    for baseline in baselines.values():
        assert metrics["accuracy_negation"] > baseline["accuracy_negation"]
        assert metrics["accuracy"] > baseline["accuracy"]
    # Bag-of-bigrams cannot tell which clause of a contrast comes after "but": well below perfect.
    assert baselines["tfidf_logreg"]["accuracy_contrast"] < 0.9


def test_metrics_json_has_the_contract_fields(sample_run):
    out, record = sample_run
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk["domain"] == "nlp" and on_disk["model"] == "lstm_text"
    assert on_disk["data"]["classes"] == ["negative", "positive"]
    assert on_disk["data"]["vocabulary_size"] > 50 and 5 <= on_disk["data"]["sequence_length"] <= 40
    assert {"accuracy", "macro_f1", "accuracy_negation", "accuracy_contrast"} <= set(on_disk["metrics"])
    assert len(on_disk["confusion_matrix"]) == 2 and set(on_disk["per_class"]) == {"negative", "positive"}
    assert on_disk["embeddings"] is None
    assert {"plots/history.png", "plots/confusion_matrix.png", "plots/model_vs_baselines.png",
            "plots/token_saliency.png"} <= set(on_disk["plots"])
    for plot in on_disk["plots"]:
        assert (out / plot).read_bytes()[:4] == b"\x89PNG"
    assert (out / "model.keras").is_file() and (out / "history.csv").is_file()


def test_the_saved_model_takes_raw_text(sample_run):
    out, _ = sample_run
    results = pipeline.predict(out, ["the acting was not great", "i did not hate the ending",
                                     "the plot was dull at first but the cast was superb"], top=2)
    assert [r["label"] for r in results] == ["negative", "positive", "positive"]
    assert all(0.5 < r["probability"] <= 1.0 and len(r["top"]) == 2 for r in results)
    assert results[0]["input"] == "the acting was not great"


def test_evaluate_a_finished_run_on_the_sample_and_on_a_csv(sample_run, tmp_path):
    out, record = sample_run
    again = pipeline.evaluate(out, "sample", verbose=False)
    assert again["metrics"]["accuracy"] == pytest.approx(record["metrics"]["accuracy"], abs=1e-6)
    test_csv = write_csv(tmp_path / "more.csv", corpus_rows(200, seed=7, labels=("negative", "positive")))
    result = pipeline.evaluate(out, str(test_csv), verbose=False)
    assert result["test"] == 200 and result["metrics"]["accuracy"] > 0.9
    assert "accuracy_negation" in result["metrics"]  # found by the negation words, not the corpus kinds


def test_saliency_points_at_the_negation(sample_run):
    from keras_zoo.applications.nlp.plots import token_saliency

    out, _ = sample_run
    model, _ = pipeline.load_run(out)
    words, drops, predicted, probability = token_saliency(model, "the acting was not great")
    assert words == ["the", "acting", "was", "not", "great"] and predicted == 0 and probability > 0.5
    assert np.argmax(drops) in (3, 4)  # "not" or "great" carries the prediction, not "the" or "acting"


def test_csv_with_a_separate_test_file(tmp_path):
    train = write_csv(tmp_path / "train.csv", corpus_rows(600, seed=1) + [("   ", "good")])
    test = write_csv(tmp_path / "test.csv", corpus_rows(150, seed=2))
    out = prepare_output_dir(tmp_path / "run", "nlp")
    record = pipeline.train_and_evaluate(quick(data=str(train), test_data=str(test), train={"epochs": 8}), out,
                                         verbose=False)
    assert record["data"]["classes"] == ["bad", "good"] and record["data"]["test"] == 150
    assert record["data"]["skipped"] == 1  # the whitespace-only text, counted
    assert record["metrics"]["accuracy"] > 0.75
    assert record["data"]["test_negation"] > 0


def test_folder_of_text_files(tmp_path):
    root = tmp_path / "texts"
    for i, (text, label) in enumerate(corpus_rows(240, seed=3, labels=("neg", "pos"))):
        (root / label).mkdir(parents=True, exist_ok=True)
        (root / label / f"{i}.txt").write_text(text, encoding="utf-8")
    out = prepare_output_dir(tmp_path / "run", "nlp")
    record = pipeline.train_and_evaluate(quick(data=str(root), model="gru_text"), out, verbose=False)
    assert record["data"]["classes"] == ["neg", "pos"]
    assert record["data"]["train"] + record["data"]["val"] + record["data"]["test"] == 240


def test_tfds_source_under_mock_data(tmp_path):
    import tensorflow_datasets as tfds

    out = prepare_output_dir(tmp_path / "run", "nlp")
    with tfds.testing.mock_data(num_examples=40):
        record = pipeline.train_and_evaluate(
            quick(data="tfds:imdb_reviews", model="transformer_text_tiny", max_examples=30, train={"epochs": 1}),
            out, verbose=False)
    assert record["data"]["source"] == "tfds:imdb_reviews" and record["data"]["classes"] == ["neg", "pos"]
    assert 0 < record["data"]["test"] <= 30


def test_sequence_length_and_vocabulary_come_from_the_training_split_only():
    train = ["a b c", "a b c d", "a b", "a b c d e f g h i j"]
    vectorizer, stats = pipeline.make_vectorizer(train, max_tokens=100, sequence_length=None, min_length=1)
    assert stats["sequence_length"] == int(np.ceil(np.percentile([3, 4, 2, 10], 95)))
    assert stats["vocabulary_size"] == 2 + 10
    ids = vectorizer(np.array(["a zebra"], dtype=object)).numpy()
    assert ids[0, 1] == 1  # a word the training split lacks is out of vocabulary
    _, stats = pipeline.make_vectorizer(train, max_tokens=100, sequence_length=None, min_length=12)
    assert stats["sequence_length"] == 12  # a text CNN's widest convolution needs this many
    assert pipeline.shortest_input("cnn_text", {}) == 5 and pipeline.shortest_input("lstm_text", {}) == 1


def test_an_mlp_reads_a_bag_of_uni_and_bigrams():
    train = ["not good", "good", "not bad", "bad film"]
    vectorizer, stats = pipeline.make_vectorizer(train, max_tokens=100, sequence_length=None, bag_of_ngrams=True)
    vocabulary = vectorizer.get_vocabulary()
    assert {"not good", "not bad", "bad film", "good"} <= set(vocabulary) and stats["sequence_length"] is None
    bag = vectorizer(np.array(["good not good zebra"], dtype=object)).numpy()[0]
    assert bag.shape == (len(vocabulary),) and bag[0] == 1  # [UNK]: "zebra", "good zebra"
    assert bag[vocabulary.index("not good")] == 1 and bag[vocabulary.index("bad")] == 0


def test_term_weights_favour_the_n_grams_that_separate_the_classes():
    texts = ["a great film", "great fun", "a great cast", "a dull film", "dull and long", "a dull cast"]
    labels = [1, 1, 1, 0, 0, 0]
    vectorizer, _ = pipeline.make_vectorizer(texts, max_tokens=100, sequence_length=None, bag_of_ngrams=True)
    weights = pipeline.term_weights(vectorizer, texts, labels, 2).scale.numpy()
    vocabulary = vectorizer.get_vocabulary()
    assert weights[vocabulary.index("great")] > weights[vocabulary.index("film")] > 0
    assert weights[vocabulary.index("great")] == pytest.approx(weights[vocabulary.index("dull")], rel=0.2)
    assert weights[vocabulary.index("a")] < 0.2  # in both classes alike
    assert pipeline.reads_bags("mlp_text") and not pipeline.reads_bags("cnn_text")


def test_negation_subset_of_real_text():
    masks = pipeline.subset_masks(["It isn't good", "not bad at all", "a fine film", "I don't know", "nothing works",
                                   "notable acting", "is n't it"])
    assert masks["negation"].tolist() == [True, True, False, True, True, False, True]


# -- pretrained word vectors -------------------------------------------------------------------


def write_glove(path: Path, words, dim, seed=0) -> Path:
    rng = np.random.default_rng(seed)
    path.write_text("".join(f"{w} " + " ".join(f"{v:.4f}" for v in rng.normal(size=dim)) + "\n" for w in words),
                    encoding="utf-8")
    return path


def sample_words():
    return sorted({w.strip(",") for e in generate_corpus(400, seed=0) for w in e["text"].split()})


def test_word_vectors_frozen_stay_fixed(tmp_path):
    glove = write_glove(tmp_path / "glove.txt", sample_words(), dim=12)
    out = prepare_output_dir(tmp_path / "run", "nlp")
    config = quick(embeddings=str(glove), freeze_embeddings=True, train={"epochs": 2})
    record = pipeline.train_and_evaluate(config, out, verbose=False)
    assert record["embeddings"]["dim"] == 12 and record["embeddings"]["frozen"] is True
    assert record["embeddings"]["coverage"] > 0.9
    model, _ = pipeline.load_run(out)
    vocabulary = model.get_layer("vectorizer").get_vocabulary()
    table = next(layer for layer in model.layers if hasattr(layer, "get_layer")).get_layer("token_embedding")
    vectors = {line.split()[0]: np.array(line.split()[1:], dtype="float32")
               for line in glove.read_text().splitlines()}
    row = vocabulary.index("not")
    np.testing.assert_allclose(table.embeddings.numpy()[row], vectors["not"], atol=1e-6)


def test_word_vectors_whose_width_disagrees_with_the_model(tmp_path):
    glove = write_glove(tmp_path / "glove.txt", sample_words(), dim=12)
    out = prepare_output_dir(tmp_path / "run", "nlp")
    with pytest.raises(ValueError, match="12-wide but transformer_text_tiny's token embedding is 64-wide"):
        pipeline.train_and_evaluate(quick(model="transformer_text_tiny", embeddings=str(glove)), out, verbose=False)
    with pytest.raises(ValueError, match="12-wide but cnn_text's token embedding is 32-wide"):
        pipeline.train_and_evaluate(quick(embeddings=str(glove), overrides={"embedding_dim": 32}), out, verbose=False)


# -- bad input ---------------------------------------------------------------------------------


def test_a_finished_run_is_a_checkpoint_that_brings_its_vocabulary(sample_run, tmp_path):
    """Issues 22 and 26: `--pretrained RUN` fine-tunes the run's network on other texts, reading them
    with the run's vocabulary (recorded in the checkpoint's card), so its token ids mean the same words."""
    import keras_zoo as zoo
    from keras_zoo import checkpoints

    run, _ = sample_run
    data = write_csv(tmp_path / "other.csv", corpus_rows(300, seed=5, labels=("con", "pro")))
    out = prepare_output_dir(tmp_path / "tuned", "nlp")
    record = pipeline.train_and_evaluate(quick(model="lstm_text", data=str(data), pretrained=str(run),
                                               freeze_backbone=True, train={"epochs": 1}), out, verbose=False)
    card = json.loads((run / "lstm_text.run" / "card.json").read_text())
    source = zoo.load_model(run / "model.keras")
    assert card["input"]["text"]["vocabulary"] == source.get_layer("vectorizer").get_vocabulary(
        include_special_tokens=False)
    tuned = zoo.load_model(out / "model.keras")
    assert tuned.get_layer("vectorizer").get_vocabulary() == source.get_layer("vectorizer").get_vocabulary()
    assert record["pretrained"] == str(run) and record["data"]["classes"] == ["con", "pro"]
    assert record["data"]["vocabulary_from"] == str(run) and record["data"]["known_words"] > 0.9
    before, after = (m.get_layer("lstm_text").get_layer("token_embedding").get_weights()[0] for m in (source, tuned))
    np.testing.assert_array_equal(after, before)  # frozen: still the run's
    # The card's vectoriser reads text as the run's did.
    again = checkpoints.text_vectorizer(card)
    texts = ["not a good film at all", "an utterly unknown zyxwv word"]
    np.testing.assert_array_equal(again(texts).numpy(), source.get_layer("vectorizer")(texts).numpy())
    # Without --model, --pretrained RUN trains the run's model (not the default linear_text).
    from types import SimpleNamespace

    from keras_zoo.applications.common.classifier import model_from_args

    args = SimpleNamespace(model=None, pretrained=str(run))
    assert model_from_args(args, "linear_text") == "lstm_text"
    assert model_from_args(SimpleNamespace(model=None, pretrained="cnn_text.sentence_polarity"), "x") == "cnn_text"
    assert model_from_args(SimpleNamespace(model="mlp_text", pretrained=str(run)), "x") == "mlp_text"
    assert model_from_args(SimpleNamespace(model=None, pretrained=str(tmp_path / "nothing")), "x") == "x"


@pytest.mark.parametrize("kwargs, message", [
    (dict(model="cnn_text"), "is not a checkpoint of cnn_text but of lstm_text: add --model lstm_text"),
    (dict(model="lstm_text", max_tokens=50), "brings its own vocabulary, length and embeddings: drop --max-tokens"),
])
def test_a_checkpoint_that_does_not_fit_is_refused(sample_run, kwargs, message, tmp_path):
    run, _ = sample_run
    with pytest.raises(ValueError, match=message):
        pipeline.train_and_evaluate(quick(pretrained=str(run), **kwargs), prepare_output_dir(tmp_path / "r", "nlp"),
                                    verbose=False)


def test_a_checkpoint_without_its_vocabulary_is_refused(tmp_path):
    import keras_zoo as zoo

    folder = zoo.save_checkpoint(zoo.create_model("cnn_text", input_shape=(20,), vocab_size=50), tmp_path / "cnn_text.ids")
    with pytest.raises(ValueError, match="records no text vectoriser"):
        pipeline.make_featurizer(quick(pretrained=str(folder)), ["a b c"], [0], 2)


def test_validate_re_measures_a_text_checkpoint(sample_run):
    run, record = sample_run
    from keras_zoo import checkpoints

    folder = checkpoints.checkpoint_from_run(run)
    result = pipeline.validate(str(folder), "sample", seed=record["run"]["seed"], verbose=False)
    assert abs(result["metrics"]["accuracy"] - record["metrics"]["accuracy"]) < 1e-6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(model="resnet20"), "takes image inputs, not token ids"),
        (dict(data="tfds:no_such_dataset_at_all"), "no_such_dataset_at_all"),
        (dict(data="missing.csv"), "No such file or folder: missing.csv"),
    ],
)
def test_bad_configs_fail_with_a_clear_message(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        pipeline.train_and_evaluate(quick(**kwargs), prepare_output_dir(tmp_path / "run", "nlp"), verbose=False)


def test_config_checks():
    with pytest.raises(ValueError, match="freeze_embeddings needs embeddings"):
        NLPConfig(freeze_embeddings=True)
    with pytest.raises(ValueError, match="max_tokens must be a positive integer"):
        NLPConfig(max_tokens=0)
    with pytest.raises(ValueError, match="sequence_length must be a positive integer"):
        NLPConfig(sequence_length=-3)


def test_predict_refuses_empty_texts_and_folders_that_are_not_runs(sample_run, tmp_path):
    out, _ = sample_run
    with pytest.raises(ValueError, match="Text 2 is empty"):
        pipeline.predict(out, ["fine", "  "])
    with pytest.raises(ValueError, match="not a finished nlp run"):
        pipeline.predict(tmp_path, ["fine"])


# -- the command line, as a user types it -----------------------------------------------------


def zoo(*args, cwd):
    return subprocess.run([str(ZOO), *args], capture_output=True, text=True, cwd=cwd)


def test_cli_train_predict_evaluate(tmp_path):
    train = write_csv(tmp_path / "train.csv", corpus_rows(500, seed=4, labels=("0", "1")))
    test = write_csv(tmp_path / "test.csv", corpus_rows(100, seed=5, labels=("0", "1")))
    # Without --model the run chooses on validation; a budget of a millisecond leaves time for the first
    # candidate only (a second did not always: NBSVM's solve can take less).
    result = zoo("train", "nlp", "--data", str(train), "--test-data", str(test), "--epochs", "4", "--time-budget", "0.001",
                 "--output", str(tmp_path / "run"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "tfidf_logreg" in result.stdout and "naive_bayes" in result.stdout and "negation acc." in result.stdout
    record = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert record["search"]["chosen"] == pipeline.CANDIDATES[0] and record["data"]["classes"] == ["0", "1"]
    assert record["model"] == "linear_text" and record["config"]["solver"] == "nbsvm"  # NBSVM's weights, as Keras
    assert [row.get("skipped", "") for row in record["search"]["candidates"]] == [
        "", *["the time budget (0.001 s) was spent"] * (len(pipeline.CANDIDATES) - 1)]
    assert "val. accuracy" in result.stdout and f"{pipeline.CANDIDATES[0]} (chosen)" in result.stdout
    assert all(f"{name} " in result.stdout for name in pipeline.CANDIDATES) and "skipped" in result.stdout
    assert record["config"]["train"]["patience"] == pipeline.DEFAULT_TRAIN["patience"]  # the domain's recipe

    result = zoo_here("predict", "nlp", "--model-dir", str(tmp_path / "run"), "i loved the film", "it was awful",
                      cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == ["i loved the film", "it was awful"]
    assert all(line.split("\t")[1] in ("0", "1") and 0 <= float(line.split("\t")[2]) <= 1 for line in lines)

    result = zoo_here("evaluate", "nlp", "--model-dir", str(tmp_path / "run"), "--data", str(test), cwd=tmp_path)
    assert result.returncode == 0 and "on 100 texts" in result.stdout


@pytest.mark.parametrize(
    "make, flags, message",
    [
        (lambda p: write_csv(p / "d.csv", [("a", "x")], header=("review", "stars")), [], "'text' and 'label' columns"),
        (lambda p: write_csv(p / "d.csv", [("good film", "pos")] * 20), [], "single class 'pos'"),
        (lambda p: (p / "d.csv").write_bytes(b"text,label\ncaf\xe9,pos\n") and p / "d.csv", [], "not UTF-8"),
        (lambda p: write_csv(p / "d.csv", corpus_rows(50, 0)), ["--freeze-embeddings"], "needs embeddings"),
        (lambda p: write_csv(p / "d.csv", corpus_rows(50, 0)), ["--embeddings", "nope.txt", "--model", "cnn_text"],
         "nope.txt"),
        (lambda p: write_glove(p / "g.txt", sample_words(), dim=12) and write_csv(p / "d.csv", corpus_rows(50, 0)),
         ["--embeddings", "g.txt", "--model", "linear_text"], "linear_text reads a bag of n-grams"),
        (lambda p: write_csv(p / "d.csv", corpus_rows(50, 0)), ["--max-tokens", "0"], "max_tokens"),
        (lambda p: write_glove(p / "g.txt", sample_words(), dim=12) and write_csv(p / "d.csv", corpus_rows(50, 0)),
         ["--embeddings", "g.txt", "--model", "transformer_text_tiny"], "12-wide but transformer_text_tiny's"),
        (lambda p: write_csv(p / "d.csv", [("", "pos"), (" ", "neg")]), [], "no non-empty texts (2 empty skipped)"),
    ],
)
def test_cli_bad_input_is_one_clear_line(make, flags, message, tmp_path, monkeypatch, capsys):
    data = make(tmp_path)
    monkeypatch.chdir(tmp_path)
    status, stderr = run_zoo(["train", "nlp", "--data", str(data), "--epochs", "1", *flags,
                              "--output", str(tmp_path / "run")], capsys)
    assert status == 2, stderr
    assert "Traceback" not in stderr
    (error,) = [line for line in stderr.splitlines() if line.startswith("zoo ")]
    assert error.startswith("zoo train: error: ") and message in error
    assert not (tmp_path / "run").exists() or not (tmp_path / "run" / "model.keras").exists()
