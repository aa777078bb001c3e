"""The vision pipeline end to end: sample, TFDS (mocked), a folder of images; predict; bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_zoo.applications.common.report import prepare_output_dir
from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.vision import pipeline
from keras_zoo.applications.vision.pipeline import VisionConfig
from tests.cli_checks import run_zoo, zoo_here

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

ZOO = Path(sys.executable).parent / "zoo"


def quick(**kwargs):
    train = TrainConfig(**{"epochs": 3, "learning_rate": 3e-3, "patience": None, **kwargs.pop("train", {})})
    return VisionConfig(**{"model": "cnn_small", **kwargs}, train=train)


def make_image_folder(root: Path, n_per_class=12, size=24, classes=("horizontal", "vertical"), seed=0):
    """Two real classes of PNG images: noisy horizontal or vertical stripes."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_class):
            stripes = (np.arange(size) // 3 % 2 * 200).astype("uint8")
            img = np.tile(stripes[:, None] if c == 0 else stripes[None, :], (1, size) if c == 0 else (size, 1))
            img = np.clip(img + rng.integers(0, 50, img.shape), 0, 255).astype("uint8")
            Image.fromarray(np.stack([img] * 3, -1)).save(root / name / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = prepare_output_dir(tmp_path_factory.mktemp("runs") / "digits", "vision")
    record = pipeline.train_and_evaluate(quick(train={"epochs": 20}), out, verbose=False)
    return out, record


def test_sample_reaches_95_percent_on_held_out_digits(sample_run):
    _, record = sample_run
    assert record["metrics"]["accuracy"] >= 0.95
    assert record["data"]["test"] == 360


def test_metrics_json_has_the_contract_fields(sample_run):
    out, record = sample_run
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk["domain"] == "vision" and on_disk["model"] == "cnn_small" and on_disk["pretrained"] is None
    assert set(on_disk["data"]) >= {"source", "train", "val", "test", "classes"}
    assert on_disk["data"]["classes"] == [str(d) for d in range(10)]
    assert {"accuracy", "macro_f1"} <= set(on_disk["metrics"])
    (baseline,) = on_disk["baselines"].values()
    assert baseline["accuracy"] > 0.95  # the SVM on 8x8 pixels is a strong baseline
    assert on_disk["timing"]["train_s"] > 0 and on_disk["timing"]["train_examples_per_s"] > 0
    assert len(on_disk["per_class"]) == 10 and len(on_disk["confusion_matrix"]) == 10
    assert (out / "model.keras").is_file() and (out / "history.csv").is_file()
    for plot in on_disk["plots"]:
        assert (out / plot).read_bytes()[:4] == b"\x89PNG"
    assert {"plots/history.png", "plots/confusion_matrix.png", "plots/grad_cam.png"} <= set(on_disk["plots"])


def test_evaluate_a_finished_run(sample_run):
    out, record = sample_run
    result = pipeline.evaluate(out, "sample", verbose=False)
    assert result["metrics"]["accuracy"] == pytest.approx(record["metrics"]["accuracy"], abs=1e-6)


def test_folder_of_images_train_then_predict_new_files(tmp_path):
    from PIL import Image

    data = make_image_folder(tmp_path / "stripes")
    (data / "horizontal" / "broken.png").write_bytes(b"not an image")
    out = prepare_output_dir(tmp_path / "run", "vision")
    record = pipeline.train_and_evaluate(quick(data=str(data), train={"epochs": 8}), out, verbose=False)
    assert record["data"]["classes"] == ["horizontal", "vertical"]
    assert [Path(p).name for p in record["data"]["skipped"]] == ["broken.png"]
    new = make_image_folder(tmp_path / "new", n_per_class=2, seed=1)
    files = sorted(str(p) for p in new.rglob("*.png"))
    Image.open(files[0]).convert("L").resize((40, 30)).save(tmp_path / "grey_other_size.png")
    results = pipeline.predict(out, [*files, str(tmp_path / "grey_other_size.png")])
    assert [r["input"] for r in results[:-1]] == files
    assert all(0.0 <= r["probability"] <= 1.0 and r["label"] in ("horizontal", "vertical") for r in results)


def test_tfds_source_under_mock_data(tmp_path):
    import tensorflow_datasets as tfds

    out = prepare_output_dir(tmp_path / "run", "vision")
    with tfds.testing.mock_data(num_examples=40):
        record = pipeline.train_and_evaluate(quick(data="tfds:mnist", max_examples=20, train={"epochs": 1}), out,
                                             verbose=False)
    assert record["data"]["source"] == "tfds:mnist"
    assert record["data"]["train"] + record["data"]["val"] <= 20 and record["data"]["test"] <= 20
    assert record["data"]["classes"][:2] == ["0", "1"] and len(record["data"]["classes"]) == 10


@pytest.mark.parametrize(
    "config, message",
    [
        (quick(model="lstm_text"), "takes tokens inputs, not images"),
        (quick(data="tfds:no_such_dataset_at_all"), "no_such_dataset_at_all"),
    ],
)
def test_bad_configs_fail_with_a_clear_message(config, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        pipeline.train_and_evaluate(config, prepare_output_dir(tmp_path / "run", "vision"), verbose=False)


def test_bad_folders_fail_with_a_clear_message(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        pipeline.train_and_evaluate(quick(data=str(tmp_path / "empty")), prepare_output_dir(tmp_path / "r1", "vision"))
    make_image_folder(tmp_path / "one", classes=("cats",))
    with pytest.raises(ValueError, match="at least two classes"):
        pipeline.train_and_evaluate(quick(data=str(tmp_path / "one")), prepare_output_dir(tmp_path / "r2", "vision"))


def test_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(ValueError, match="not a finished vision run"):
        pipeline.predict(tmp_path, ["x.png"])


# -- the command line, as a user types it -----------------------------------------------------


def zoo(*args, cwd):
    return subprocess.run([str(ZOO), *args], capture_output=True, text=True, cwd=cwd)


def test_cli_train_predict_evaluate(tmp_path):
    data = make_image_folder(tmp_path / "stripes")
    result = zoo("train", "vision", "--model", "cnn_small", "--data", str(data), "--epochs", "3",
                 "--image-size", "16", "20", "--augment", "light", "--optimizer", "sgd", "--schedule", "cosine",
                 "--warmup-epochs", "1", "--batch-size", "full", "--output", str(tmp_path / "run"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "test accuracy" in result.stdout and "svm" in result.stdout
    record = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert record["config"]["train"]["epochs"] == 3 and record["config"]["train"]["batch_size"] == "full"
    assert record["config"]["train"]["optimizer"] == "sgd" and record["config"]["augment"] == "light"
    assert record["data"]["image_shape"] == [16, 20, 1]  # grey stripes saved as RGB are detected as grey

    result = zoo_here("evaluate", "vision", "--model-dir", str(tmp_path / "run"), "--data", str(data), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout and "on 24 images" in result.stdout

    files = sorted(str(p) for p in (data / "vertical").glob("*.png"))[:2]
    result = zoo_here("predict", "vision", "--model-dir", str(tmp_path / "run"), *files, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == files

    again = zoo_here("train", "vision", "--model", "cnn_small", "--data", str(data), "--output",
                     str(tmp_path / "run"), cwd=tmp_path)
    assert again.returncode == 2 and "never silently overwritten" in again.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["predict", "vision", "x.png"], "--model-dir"),
        (["train", "vision", "--epochs", "-1"], "epochs"),
        (["train", "vision", "--batch-size", "0"], "--batch-size"),
        (["train", "vision", "--data", "no/such/folder"], "No such file or folder"),
        (["train", "vision", "--freeze-backbone"], "--freeze-backbone needs --pretrained"),
        (["train", "vision", "--embeddings", "glove.txt"], "--embeddings is for `zoo train nlp`, not vision."),
        (["train", "vision", "--window", "8"], "--window is for `zoo train finance`, not vision"),
        (["train", "vision", "--items", "items.csv"], "--items is for `zoo train recommendation`, not vision"),
        (["train", "vision", "--features", "mfcc"], "--features is for `zoo train speech`"),
        (["train", "nlp", "--augment", "full"], "nlp takes no augmentation"),
    ],
)
def test_cli_bad_input(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status, stderr = run_zoo(args, capsys)
    assert status == 2
    assert message in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("sizes, expected", [
    ([(32, 32)] * 5, (32, 32)),                      # CIFAR-10's photographs stay 32x32
    ([(375, 500)] * 3 + [(333, 500)] * 2, (96, 128)),  # photographs: the longer side capped at 128
    ([(20, 30), (28, 44), (60, 90)], (32, 48)),       # the median of each side (28x44), to a multiple of 8
    ([(3, 5)], (8, 8)),                               # never below 8
])
def test_a_folder_is_read_at_its_own_median_size(sizes, expected, tmp_path):
    from PIL import Image

    from keras_zoo.applications.vision.data import size_of

    files = []
    for i, (height, width) in enumerate(sizes):
        Image.new("RGB", (width, height)).save(tmp_path / f"{i}.png")
        files.append(tmp_path / f"{i}.png")
    (tmp_path / "broken.png").write_bytes(b"not an image")
    size, how = size_of(files + [tmp_path / "broken.png"])
    assert size == expected and how.endswith(f"{expected[0]}x{expected[1]}") and f"of {len(sizes)} images" in how


def test_real_photographs_never_seen(tmp_path):
    """Crops of the two real photographs scikit-learn ships (a temple in China, a flower)."""
    from PIL import Image
    from sklearn.datasets import load_sample_images

    rng = np.random.default_rng(0)
    photos = load_sample_images()
    for name, photo in zip(("temple", "flower"), photos.images):
        for split, count in (("train", 24), ("new", 3)):
            (tmp_path / split / name).mkdir(parents=True)
            for i in range(count):
                top, left = rng.integers(0, photo.shape[0] - 96), rng.integers(0, photo.shape[1] - 96)
                Image.fromarray(photo[top:top + 96, left:left + 96]).save(tmp_path / split / name / f"{i}.jpg")
    out = prepare_output_dir(tmp_path / "run", "vision")
    record = pipeline.train_and_evaluate(quick(data=str(tmp_path / "train"), image_size=(64, 64), train={"epochs": 6}),
                                         out, verbose=False)
    assert record["data"]["image_shape"] == [64, 64, 3] and "image_size_from" not in record["data"]  # as asked
    assert record["metrics"]["accuracy"] >= 0.75  # 8 held-out crops: far from a coin toss
    files = sorted(str(p) for p in (tmp_path / "new").rglob("*.jpg"))
    labels = [r["label"] for r in pipeline.predict(out, files)]
    assert np.mean([label == Path(f).parent.name for label, f in zip(labels, files)]) >= 4 / 6


def test_fine_tune_a_checkpoint_with_a_frozen_backbone(tmp_path):
    out = prepare_output_dir(tmp_path / "run", "vision")
    config = quick(model="resnet20", pretrained="digits04", freeze_backbone=True, augment="none",
                   data=str(make_image_folder(tmp_path / "stripes")), train={"epochs": 3})
    record = pipeline.train_and_evaluate(config, out, verbose=False)
    assert record["pretrained"] == "digits04"
    assert record["data"]["classes"] == ["horizontal", "vertical"]
    model = pipeline.load_run(out)[0]
    assert model.output_shape == (None, 2)  # a new head for the new classes


def test_a_finished_run_is_a_checkpoint_to_fine_tune_from(sample_run, tmp_path, capsys):
    """Issue 26: `--pretrained RUN` takes a run's network (digits, 8x8) to another task (grey stripes
    read at the folder's own 24x24, two classes): a new head, the rest from the run."""
    import keras_zoo as zoo

    run, _ = sample_run
    out = tmp_path / "stripes-run"
    status, err = run_zoo(["train", "vision", "--model", "cnn_small", "--data", str(make_image_folder(tmp_path / "s")),
                           "--pretrained", str(run), "--freeze-backbone", "--epochs", "1", "--output", str(out)], capsys)
    assert status == 0, err
    record = json.loads((out / "metrics.json").read_text())
    assert record["pretrained"] == str(run) and record["data"]["classes"] == ["horizontal", "vertical"]
    assert record["data"]["image_shape"] == [24, 24, 1]  # the folder's own size (issue 25)
    assert record["data"]["image_size_from"] == "median 24x24 of 24 images, rounded to a multiple of 8: 24x24"
    source = zoo.load_model(run / "model.keras").get_layer("cnn_small")
    tuned = zoo.load_model(out / "model.keras").get_layer("cnn_small")
    for weights, were in zip(tuned.get_layer("stage2_conv1").weights, source.get_layer("stage2_conv1").weights):
        np.testing.assert_array_equal(weights.numpy(), were.numpy())  # frozen: still the run's
    assert tuned.output_shape == (None, 2) and tuned.input_shape == (None, 24, 24, 1)
    card = json.loads((run / "cnn_small.run" / "card.json").read_text())  # the run's network, as a checkpoint
    assert card["data"]["classes"] == [str(d) for d in range(10)] and card["input"] == {"image_size": [8, 8]}
    assert card["metrics"]["accuracy"] == json.loads((run / "metrics.json").read_text())["metrics"]["accuracy"]


def test_evaluate_refuses_data_with_other_classes(sample_run, tmp_path):
    out, _ = sample_run
    with pytest.raises(ValueError, match="not the model's"):
        pipeline.evaluate(out, str(make_image_folder(tmp_path / "stripes")), verbose=False)
