"""Speaker-held-out splits: `--group-by speaker` tests on voices that training never heard."""

from __future__ import annotations

import numpy as np
import pytest

from keras_zoo.applications.speech import data as audio_data
from tests.applications.speech.test_data import tone, write
from tests.cli_checks import run_zoo

SPEAKERS = ("ann", "bob", "cid", "dee")


def make_speakers(root, *, speakers=SPEAKERS, words=("high", "low"), per_speaker=3, skip=()):
    """`root/<word>/<word>_<speaker>_<n>.wav`, as the Free Spoken Digit Dataset names its clips."""
    freqs = {"high": 2000.0, "low": 300.0}
    rng = np.random.default_rng(0)
    for word in words:
        for k, speaker in enumerate(speakers):
            if (word, speaker) in skip:
                continue
            for i in range(per_speaker):
                audio = tone(freqs[word] * (1 + 0.02 * k), rng.uniform(0.4, 0.9), 8000)
                write(root / word / f"{word}_{speaker}_{i}.wav", audio, 8000)
    return root


def test_group_by_speaker_holds_out_whole_speakers(tmp_path):
    root = make_speakers(tmp_path / "digits")
    data = audio_data.load_folder(root, group_by="speaker", test_speakers=("bob",))
    notes = data.notes
    assert notes["test_speakers"] == ["bob"] and "bob" not in notes["train_speakers"]
    assert notes["train_speakers"] == ["ann", "cid", "dee"]  # 3 left: validation is a share of their clips
    assert "validation clips of the training speakers" in notes["split"]
    assert data.counts["test"] == 6 and data.counts["train"] + data.counts["val"] == 18
    drawn = audio_data.load_folder(root, group_by="speaker", seed=3)  # a test speaker drawn with the seed
    assert len(drawn.notes["test_speakers"]) == 1 and drawn.counts["test"] == 6
    assert audio_data.load_folder(root, group_by="speaker", seed=3).notes == drawn.notes


def test_validation_holds_out_speakers_when_enough_are_left(tmp_path):
    root = make_speakers(tmp_path / "digits", speakers=("a1", "b2", "c3", "d4", "e5", "f6"))
    data = audio_data.load_folder(root, group_by="speaker", test_speakers=("a1",), val_fraction=0.2)
    notes = data.notes
    assert len(notes["val_speakers"]) == 1 and not set(notes["val_speakers"]) & set(notes["train_speakers"])
    assert "validation by speaker" in notes["split"]


def test_speakers_from_a_regex_and_clear_errors(tmp_path):
    files = ["high/spk-ann-take1.wav", "low/spk-bob-take2.wav"]
    assert list(audio_data.speakers_of(files, r"spk-(?P<speaker>[a-z]+)-")) == ["ann", "bob"]
    with pytest.raises(ValueError, match="Cannot read a speaker from 'high/spk-ann-take1.wav'"):
        audio_data.speakers_of(files)
    with pytest.raises(ValueError, match="needs a group"):
        audio_data.speakers_of(files, r"spk")
    root = make_speakers(tmp_path / "digits", skip={("low", "bob")})
    with pytest.raises(ValueError, match=r"The test speakers \['bob'\] never say \['low'\]"):
        audio_data.load_folder(root, group_by="speaker", test_speakers=("bob",))
    with pytest.raises(ValueError, match=r"No clip of speaker\(s\) \['zed'\]; the speakers are \['ann'"):
        audio_data.load_folder(root, group_by="speaker", test_speakers=("zed",))


def test_command_line_refuses_files_without_a_speaker(tmp_path, capsys):
    root = make_speakers(tmp_path / "digits")
    write(root / "high" / "untitled.wav", tone(2000.0, 0.5, 8000), 8000)
    status, stderr = run_zoo(["train", "speech", "--data", str(root), "--group-by", "speaker",
                              "--output", str(tmp_path / "run")], capsys)
    (line,) = [x for x in stderr.splitlines() if x.startswith("zoo ")]
    assert status == 2 and "Cannot read a speaker from" in line and "untitled.wav" in line
    assert not (tmp_path / "run").exists()
    status, stderr = run_zoo(["train", "speech", "--test-speaker", "ann", "--output", str(tmp_path / "r2")], capsys)
    assert status == 2 and "go with --group-by speaker" in stderr
    status, stderr = run_zoo(["train", "nlp", "--group-by", "speaker", "--output", str(tmp_path / "r3")], capsys)
    assert status == 2 and "--group-by is for `zoo train speech`, not nlp." in stderr
