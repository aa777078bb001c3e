"""Without --model, a run on the user's own images chooses between fine-tuning the zoo's photograph
checkpoint and training from scratch, on the validation split."""

import json

import numpy as np
import pytest

from keras_zoo.applications.vision import pipeline
from tests.cli_checks import run_zoo

pytestmark = pytest.mark.slow  # trains through `zoo` (make test-fast skips it)


def make_colour_folder(root, n_per_class=16, size=24, seed=0):
    """Two classes of noisy colour photographs-to-be: reddish and bluish squares (PNG)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for c, name in enumerate(("red", "blue")):
        (root / name).mkdir(parents=True)
        for i in range(n_per_class):
            img = rng.integers(0, 120, (size, size, 3))
            img[..., 0 if c == 0 else 2] += 120
            Image.fromarray(img.astype("uint8")).save(root / name / f"{i}.png")
    return root


def test_a_folder_without_model_chooses_fine_tuning_or_scratch_on_validation(tmp_path, monkeypatch, capsys):
    data = make_colour_folder(tmp_path / "photos")
    monkeypatch.chdir(tmp_path)
    status, stderr = run_zoo(["train", "vision", "--data", str(data), "--epochs", "2", "--output",
                              str(tmp_path / "run")], capsys)
    assert status == 0, stderr
    record = json.loads((tmp_path / "run" / "metrics.json").read_text())
    search = record["search"]
    val = {row["model"]: row["val_accuracy"] for row in search["candidates"]}
    assert list(val) == list(pipeline.CANDIDATES) and set(search["baselines_val"]) == set(record["baselines"])  # the SVM
    assert search["chosen"] == max(val, key=val.get)  # the earlier of a tie: fine-tuning
    fine_tuned = "." in search["chosen"]
    assert record["model"] == "resnet20" and record["pretrained"] == (search["chosen"] if fine_tuned else None)
    assert record["data"]["image_shape"] == [24, 24, 3]  # the folder's own size


def test_model_or_pretrained_or_the_sample_make_no_choice():
    from keras_zoo.applications.cli import build_parser

    for argv, expected in ((["--data", "photos"], pipeline.CANDIDATES), (["--data", "photos", "--model", "resnet20"], ()),
                           (["--data", "photos", "--pretrained", "resnet20.cifar10"], ()), ([], ())):
        args = build_parser().parse_args(["train", "vision", *argv])
        assert pipeline.config_from_args(args, pipeline.VisionConfig().train).candidates == expected, argv


def test_time_budget_is_refused_where_no_choice_is_made(tmp_path, capsys):
    status, stderr = run_zoo(["train", "speech", "--time-budget", "60", "--output", str(tmp_path / "run")], capsys)
    assert status == 2 and "only nlp and vision runs make" in stderr and not (tmp_path / "run").exists()


def test_a_candidate_that_does_not_fit_is_skipped_with_the_reason(tmp_path):
    """The first candidate's errors are the data's and stop the run; a later one that cannot be built is skipped."""
    from keras_zoo.applications.common.report import prepare_output_dir
    from keras_zoo.applications.common.training import TrainConfig

    config = pipeline.VisionConfig(candidates=("cnn_small", "resnet20.no_such_tag"), train=TrainConfig(epochs=1))
    record = pipeline.train_and_evaluate(config, prepare_output_dir(tmp_path / "run", "vision"), verbose=False)
    first, second = record["search"]["candidates"]
    assert record["model"] == record["search"]["chosen"] == "cnn_small" and "val_accuracy" in first
    assert second["model"] == "resnet20.no_such_tag" and "does not fit this data" in second["skipped"]
    assert "no_such_tag" in second["skipped"]

    with pytest.raises(ValueError, match="no_such_tag"):  # the same misfit first: the run stops
        pipeline.train_and_evaluate(pipeline.VisionConfig(candidates=("resnet20.no_such_tag", "cnn_small"),
                                                          train=TrainConfig(epochs=1)),
                                    prepare_output_dir(tmp_path / "stopped", "vision"), verbose=False)
