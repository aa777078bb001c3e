"""The tools/ scripts run as documented (at small sizes here; the full runs are in the README)."""

import contextlib
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[2]


# Tools that change the process for good (train_pretrained turns on TensorFlow's op determinism) or
# that time a process's start-up run as processes; the others run in the test's own process, which
# spares each several seconds of TensorFlow start-up.
IN_A_PROCESS_OF_THEIR_OWN = {"tools/train_pretrained.py", "tools/startup_time.py", "tools/results.py"}


def run_tool(script, *args):
    """The standard output of `python SCRIPT ARGS...`, which must succeed."""
    if script in IN_A_PROCESS_OF_THEIR_OWN:
        result = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout
    tool = importlib.import_module("tools." + Path(script).stem)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = tool.main(list(args))
        except SystemExit as exit_:
            status = exit_.code
    assert status in (0, None), err.getvalue()[-3000:]
    return out.getvalue()


def test_train_pretrained_reproduces_the_shipped_cnn(tmp_path):
    out = run_tool("tools/train_pretrained.py", "cnn_small.digits", "--output", str(tmp_path))
    assert "test accuracy" in out
    shipped = json.loads((ROOT / "pretrained" / "cnn_small.digits" / "card.json").read_text())
    again = json.loads((tmp_path / "cnn_small.digits" / "card.json").read_text())
    assert again["recipe"] == shipped["recipe"] and again["data"] == shipped["data"]
    assert abs(again["metrics"]["accuracy"] - shipped["metrics"]["accuracy"]) <= 0.005


def test_transfer_digits_prints_the_table(tmp_path):
    results = tmp_path / "results.json"
    out = run_tool("tools/transfer_digits.py", "--ks", "2", "--seeds", "0", "--head-epochs", "2",
                   "--fine-tune-epochs", "2", "--json", str(results))
    assert "| k per class | resnet20 from scratch |" in out
    assert "\n| 2 | " in out
    runs = json.loads(results.read_text())["2"]
    assert set(runs[0]) == {"scratch", "head_only", "fine_tune", "logistic_pixels"}
    assert all(0.0 <= v <= 1.0 for v in runs[0].values())


@pytest.mark.skipif(not (ROOT.parent / "shared" / "data" / "cifar10" / "cifar10-jpg.tar.gz").exists(),
                    reason="needs ../shared/data/cifar10")
def test_transfer_photos_prints_the_table_on_the_five_classes_the_source_never_saw():
    out = run_tool("tools/transfer_photos.py", "--ks", "1", "--seeds", "0", "--head-epochs", "1",
                   "--fine-tune-epochs", "1", "--test-per-class", "40")
    assert "Target: CIFAR-10's dog, frog, horse, ship, truck, 200 held-out test photographs" in out
    assert "| k per class | resnet20 from scratch |" in out and "\n| 1 | " in out


def test_nlp_data_splits_an_sms_file_and_nlp_models_prints_the_table(tmp_path):
    lines = [f"{'spam' if i % 4 == 0 else 'ham'}\t{'win a free prize now' if i % 4 == 0 else 'see you at lunch'} {i}"
             for i in range(60)]
    (tmp_path / "sms.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run_tool("tools/nlp_data.py", "sms-spam", str(tmp_path / "sms.txt"), "--output", str(tmp_path / "sms"))
    assert "48 training and 12 test texts" in out
    header, *rows = (tmp_path / "sms" / "test.csv").read_text(encoding="utf-8").splitlines()
    assert header == "text,label" and sum(row.endswith(",spam") for row in rows) == 3
    out = run_tool("tools/nlp_data.py", "sms-spam", str(tmp_path / "sms.txt"), "--whole", str(tmp_path / "all.csv"))
    assert "60 texts in" in out  # one file, the source's order (how applications/nlp/sample/sms_spam.csv is made)
    header, first, *rest = (tmp_path / "all.csv").read_text(encoding="utf-8").splitlines()
    assert header == "text,label" and first == "win a free prize now 0,spam" and len(rest) == 59

    out = run_tool("tools/nlp_models.py", "--data", str(tmp_path / "sms" / "train.csv"), "--test-data",
                   str(tmp_path / "sms" / "test.csv"), "--models", "cnn_text", "--output", str(tmp_path / "runs"))
    assert "| model | test accuracy | macro-F1 | negation subset | train s |" in out
    assert "\n| cnn_text | " in out and "\n| tfidf_logreg | " in out and "\n| naive_bayes | " in out
    (run,) = json.loads((tmp_path / "runs" / "results.json").read_text())
    assert run["model"] == "cnn_text" and run["data"]["test"] == 12


def test_transfer_text_fine_tunes_the_text_checkpoint_beside_scratch_and_the_baselines(tmp_path, capsys):
    import csv

    from keras_zoo.applications.nlp.corpus import generate_corpus
    from tools import transfer_text

    for name, seed, n in (("train", 0, 40), ("test", 1, 30)):
        with open(tmp_path / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([("text", "label")] + [(e["text"], ("negative", "positive")[e["label"]])
                                                          for e in generate_corpus(n, seed=seed)])
    assert transfer_text.main(["--data", str(tmp_path), "--ks", "6", "--seeds", "0"]) == 0
    out = capsys.readouterr().out
    assert "Source: cnn_text.sentence_polarity. Target: " in out and "(30 held-out test sentences)" in out
    assert "| k per class | scratch | head_only | fine_tuned | tfidf_logreg | naive_bayes |" in out
    (row,) = [line for line in out.splitlines() if line.startswith("| 6 | ")]
    assert all(0.0 <= float(cell.split(" ± ")[0]) <= 1.0 for cell in row.strip("| ").split(" | ")[1:])
    with pytest.raises(SystemExit) as missing:
        transfer_text.main(["--data", str(tmp_path / "nowhere")])
    assert missing.value.code == 2 and "make it with python tools/nlp_data.py product-reviews" in capsys.readouterr().err


def test_nlp_models_cross_validates(tmp_path):
    rows = [("text", "label")] + [(f"{'win a free prize' if i % 2 else 'see you at lunch'} {i}", "spam" if i % 2 else "ham")
                                  for i in range(40)]
    (tmp_path / "all.csv").write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    out = run_tool("tools/nlp_models.py", "--data", str(tmp_path / "all.csv"), "--models", "mlp_text", "--folds", "2",
                   "--output", str(tmp_path / "cv"))
    assert "| model | mean accuracy over 2 folds | standard deviation | folds below 0.78 |" in out
    assert "\n| mlp_text | " in out and "\n| naive_bayes | " in out
    assert len(list((tmp_path / "cv" / "folds").glob("test*.csv"))) == 2


def test_speech_models_prints_the_table(tmp_path):
    out = run_tool("tools/speech_models.py", "--models", "crnn", "--epochs", "1", "--augment", "none",
                   "--output", str(tmp_path))
    assert "| model | augment | test accuracy | macro-F1 | train s |" in out
    assert "\n| crnn | none | " in out and "\n| mfcc_svm | - | " in out
    runs = json.loads((tmp_path / "results.json").read_text())
    assert runs[0]["data"]["split"] == "by voice" and runs[0]["epochs_run"] == 1


def test_speech_speakers_holds_out_each_speaker_in_turn(tmp_path):
    from tests.applications.speech.test_speakers import make_speakers

    data = make_speakers(tmp_path / "digits", speakers=("ann", "bob"))  # two folds: each speaker held out once
    out = run_tool("tools/speech_speakers.py", "--data", str(data), "--epochs", "1", "--augment", "none",
                   "--output", str(tmp_path / "runs"))
    assert "| held-out speaker | ds_cnn_small | mfcc_svm |" in out and "| **worst** |" in out
    summary = json.loads((tmp_path / "runs" / "results.json").read_text())
    folds = summary["folds"]
    assert summary["speed"] == [0.8, 1.25]  # the recipe's speed range, recorded for train_pretrained's check
    assert [f["speaker"] for f in folds] == ["ann", "bob"]
    assert all(f["split"].startswith(f"by speaker: test {f['speaker']} held out") for f in folds)
    # Few-shot to each held-out speaker, on top of the fold that never heard them: 2 clips per word.
    out = run_tool("tools/speech_few_shot.py", "--folds", str(tmp_path / "runs"), "--shots", "2", "--seeds", "0",
                   "--epochs", "1")
    assert "| clips per word | fine-tuned | scratch | mfcc_svm |" in out and "| 2 | " in out
    rows = json.loads((tmp_path / "runs" / "few_shot" / "results.json").read_text())["rows"]
    assert [r["speaker"] for r in rows] == ["ann", "bob"] and all(r["test"] == 2 for r in rows)
    assert all(0 <= r["k2"][m] <= 1 for r in rows for m in ("fine-tuned", "scratch", "mfcc_svm"))


def test_speech_few_shot_pool_is_per_word_and_its_test_clips_are_the_rest():
    import numpy as np

    from tools.speech_few_shot import pool_and_test

    labels = np.repeat([0, 1, 2], 10)
    speaker_rows = np.arange(5, 30)  # rows 0-4 are another speaker's
    picked, test = pool_and_test(labels, speaker_rows, 3, seed=1)
    assert sorted(picked) == [0, 1, 2] and all(len(p) == 3 and set(labels[p]) == {c} for c, p in picked.items())
    pool = np.concatenate(list(picked.values()))
    assert set(pool).isdisjoint(test) and set(pool) | set(test) == set(speaker_rows)
    again, _ = pool_and_test(labels, speaker_rows, 3, seed=1)
    assert all(np.array_equal(picked[c], again[c]) for c in picked)  # the seed fixes the draw


def test_speech_transfer_draws_voices_the_checkpoint_never_heard():
    sys.path.insert(0, str(ROOT))
    from tools.speech_sample import draw_voices
    from tools.speech_transfer import unheard_voices

    heard = {v.id.split("/")[0] for v in draw_voices(200, 1)}  # the checkpoint's training voices
    voices = unheard_voices(30, seed=2)
    assert len(voices) == 30 and not {v.id.split("/")[0] for v in voices} & heard
    card = json.loads((ROOT / "pretrained" / "ds_cnn_small.synthetic_commands" / "card.json").read_text())
    assert "200 synthetic espeak-ng voices" in card["data"]["source"] and "seed 1" in card["data"]["source"]


def test_movielens_csv_converts_grouplens_files_and_refuses_other_folders(tmp_path, capsys):
    source = tmp_path / "ml-100k"
    source.mkdir()
    (source / "u.data").write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t5\t881250950\n")
    flags = ["0"] * 19
    genres = flags.copy()
    genres[5] = genres[8] = "1"  # Comedy, Drama
    (source / "u.item").write_bytes(("242|Kolya (1996)|24-Jan-1997||http://x|" + "|".join(genres) + "\n"
                                     "302|L.A. Confidential (1997)|01-Jan-1997||http://y|" + "|".join(flags) + "\n")
                                    .encode("latin-1"))
    run_tool("tools/movielens_csv.py", str(source), "--output", str(tmp_path / "csv"))
    assert (tmp_path / "csv" / "ratings.csv").read_text().splitlines() == [
        "user_id,item_id,rating,timestamp", "196,242,3,881250949", "186,302,3,891717742", "196,302,5,881250950"]
    assert (tmp_path / "csv" / "items.csv").read_text().splitlines()[1] == "242,Kolya (1996),Comedy|Drama"
    from tools import movielens_csv

    assert movielens_csv.main([str(tmp_path), "--output", str(tmp_path / "x")]) == 2
    assert "holds neither u.data" in capsys.readouterr().err


def test_recommendation_models_prints_both_protocols_beside_the_baselines(tmp_path):
    out = run_tool("tools/recommendation_models.py", "--models", "mf", "--epochs", "1", "--ratings", "no",
                   "--output", str(tmp_path))
    assert "| method | HR@10 | NDCG@10 | recall@10 (all) | recall@50 (all) | NDCG@10 (all) | RMSE | run s |" in out
    for row in ("| mf (auto) | ", "| popularity | ", "| item_knn | ", "| pure_svd | "):
        assert "\n" + row in out
    runs = json.loads((tmp_path / "results.json").read_text())
    assert runs[0]["data"]["source"] == "sample" and runs[0]["epochs_run"] == 1


def test_finance_csv_writes_the_arch_indexes_split_by_date(tmp_path):
    pytest.importorskip("arch")
    run_tool("tools/finance_csv.py", "--series", "sp500", "--split", "2015-01-01", "--output", str(tmp_path))
    from keras_zoo.applications.finance.prices import read_csv

    train, test = read_csv(tmp_path / "sp500_train.csv"), read_csv(tmp_path / "sp500_test.csv")
    assert str(train.dates[0]) == "1999-01-04" and str(train.dates[-1]) == "2014-12-31"
    assert str(test.dates[0]) == "2015-01-02" and len(train) + len(test) == 5031 == len(read_csv(tmp_path / "sp500.csv"))
    assert read_csv(tmp_path / "train" / "sp500.csv").close.tolist() == train.close.tolist()


def test_finance_models_prints_the_model_beside_the_random_walk_and_ewma(tmp_path):
    out = run_tool("tools/finance_models.py", "--models", "mlp_small", "--window", "8", "--epochs", "1",
                   "--output", str(tmp_path))
    assert "| model | return RMSE | / random walk | DM p | volatility QLIKE | / EWMA |" in out
    for row in ("| mlp_small | ", "| zero_return (baseline) | ", "| ewma (baseline) | ", "| garch (baseline) | "):
        assert "\n" + row in out, row
    runs = json.loads((tmp_path / "results.json").read_text())
    assert runs[0]["model"] == "mlp_small" and "qlike" in runs[0]["metrics"]["volatility"]


def test_startup_time_times_the_commands_that_need_no_tensorflow():
    out = run_tool("tools/startup_time.py", "--repeats", "1")
    lines = out.strip().splitlines()
    assert lines[0].split() == ["command", "median", "s", "slowest", "s"]
    assert [line.split("  ")[0].strip() for line in lines[1:]] == ["zoo list", "zoo list --pretrained",
                                                                    "zoo info resnet50"]
    assert all(float(line.split()[-1]) > 0 for line in lines[1:])


def test_results_regenerates_the_checkpoint_table_from_zoo_validate(tmp_path):
    import csv

    # resnet20.cifar10's row needs ../shared/data; the shipped-checkpoint test re-measures it the same way.
    out = run_tool("tools/results.py", "--domains", "vision", "--output", str(tmp_path), "--checkpoints",
                   "cnn_small.digits", "resnet20.digits")
    assert "results-vision.csv: 2 checkpoints" in out
    with open(tmp_path / "results-vision.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["checkpoint"] for row in rows] == ["cnn_small.digits", "resnet20.digits"]
    for row in rows:  # each card reproduced within half a point, by the command the row names
        assert abs(float(row["value"]) - float(row["card_value"])) <= 0.005, row
        assert row["command"] == f"zoo validate vision {row['checkpoint']} --data {row['data']}"
        assert float(row["examples_per_s"]) > 0 and int(row["params"]) > 0


@pytest.mark.skipif(not (ROOT.parent / "shared" / "data" / "fsdd_4speakers").exists(),
                    reason="needs ../shared/data/fsdd_4speakers")
def test_pretrain_fine_tune_folders_keep_the_held_out_speaker_and_words_apart(tmp_path):
    from tools import pretrain_fine_tune as tool

    tool.copy_clips(tmp_path, "lucas", per_class=5, seed=0)
    speaker = lambda folder: {p.name.split("_")[1] for p in (tmp_path / folder).rglob("*.wav")}  # noqa: E731
    words = lambda folder: sorted(p.name for p in (tmp_path / folder).iterdir())  # noqa: E731
    assert words("source") == list(tool.DIGITS_SOURCE) and words("small") == words("test") == list(tool.DIGITS_TARGET)
    assert speaker("test") == {"lucas"} and "lucas" not in speaker("source") | speaker("small")
    assert [len(list((tmp_path / "small" / d).iterdir())) for d in tool.DIGITS_TARGET] == [5] * 5
    assert len(list((tmp_path / "source").rglob("*.wav"))) == 3 * 5 * 50 and len(list((tmp_path / "test").rglob("*.wav"))) == 250


@pytest.mark.skipif(not (ROOT.parent / "shared" / "data" / "cifar10" / "cifar10-jpg.tar.gz").exists(),
                    reason="needs ../shared/data/cifar10")
def test_pretrain_fine_tune_photo_folders_keep_the_target_classes_out_of_the_source(tmp_path):
    from tools import pretrain_fine_tune as tool

    tool.copy_photos(tool.CIFAR10, tmp_path, per_class=3, seeds=[0, 1])
    classes = lambda folder: sorted(p.name for p in (tmp_path / folder).iterdir())  # noqa: E731
    files = lambda folder: {p.relative_to(tmp_path / folder) for p in (tmp_path / folder).rglob("*.jpg")}  # noqa: E731
    assert classes("source/train") == classes("source/test") == sorted(tool.PHOTO_SOURCE)
    assert classes("small0") == classes("target_test") == sorted(tool.PHOTO_TARGET)
    assert len(files("source/train")) == 25_000 and len(files("target_test")) == 2_000
    assert len(files("small0")) == len(files("small1")) == 6 and files("small0") != files("small1")


def test_pretrain_fine_tune_draws_the_small_text_set_per_label_and_seed(tmp_path):
    import csv

    from tools import pretrain_fine_tune as tool

    rows = [{"text": f"review {i}", "label": "positive" if i % 3 else "negative"} for i in range(30)]
    with open(tmp_path / "train.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows(rows)
    tool.copy_texts(tmp_path / "train.csv", tmp_path, per_class=4, seeds=[0, 1])
    drawn = {seed: list(csv.DictReader(open(tmp_path / f"small{seed}.csv", encoding="utf-8"))) for seed in (0, 1)}
    for small in drawn.values():
        assert sorted(r["label"] for r in small) == ["negative"] * 4 + ["positive"] * 4
        assert all(r in rows for r in small)
    assert drawn[0] != drawn[1]
