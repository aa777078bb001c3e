"""`zoo validate DOMAIN CHECKPOINT --data SRC`: a checkpoint's card re-measured on data, through
the input its card records (timm's validate.py)."""

import json
import re

import pytest

from keras_zoo import checkpoints
from keras_zoo.applications import cli, domains
from tests.cli_checks import run_zoo


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("ZOO_OFFLINE", "1")  # shipped checkpoints never need the network


def test_a_shipped_vision_card_is_reproduced_on_its_own_test_split(capsys):
    card = json.loads((checkpoints.shipped_dir() / "resnet20.digits" / "card.json").read_text())
    capsys.readouterr()
    assert cli.main(["validate", "vision", "resnet20.digits", "--data", "sample"]) == 0
    measured, difference = re.search(r"accuracy ([\d.]+), .* minus card ([-+][\d.]+)", capsys.readouterr().out,
                                     re.S).groups()
    assert abs(float(measured) - card["metrics"]["accuracy"]) <= 0.005 and abs(float(difference)) <= 0.005
    result = domains.get("vision").validate("resnet20.digits", "sample", verbose=False)
    assert result["test"] == card["data"]["test"] == 360 and round(result["metrics"]["accuracy"], 4) == float(measured)
    assert result["card"] == card["metrics"] and result["checkpoint"] == "resnet20.digits"


def test_a_checkpoint_folder_is_taken_as_well_as_a_name():
    folder = checkpoints.shipped_dir() / "cnn_small.digits"
    card = json.loads((folder / "card.json").read_text())
    result = domains.get("vision").validate(str(folder), "sample", verbose=False)
    assert abs(result["metrics"]["accuracy"] - card["metrics"]["accuracy"]) <= 0.005


def test_a_speech_checkpoint_hears_through_the_features_its_card_records():
    result = domains.get("speech").validate("ds_cnn_small.synthetic_commands", "sample", verbose=False)
    assert result["test"] == 180 and result["metrics"]["accuracy"] > 0.9  # 20 words: chance is 0.05


@pytest.mark.parametrize("args, message", [
    (["nlp", "resnet20.digits"], "zoo validate nlp takes checkpoints of sequence models whose card records their "
                                 "vocabulary (input.text); resnet20.digits records none."),
    (["finance", "resnet20.digits"], "`zoo validate` takes vision, speech and nlp checkpoints, not finance ones."),
    (["vision", "nothing"], "A checkpoint is a <model>.<tag> name (zoo list --pretrained), a folder or a URL. "
                            "Received: 'nothing'"),
    (["vision", "resnet20.nowhere"], "resnet20.nowhere"),
    (["vision", "resnet20.digits04"], "are not the model's ['0', '1', '2', '3', '4']"),
])
def test_a_misfit_exits_2_with_one_line_naming_it(args, message, capsys):
    status, err = run_zoo(["validate", *args, "--data", "sample"], capsys)
    assert status == 2
    assert message in err and err.count("\n") == 1
