"""Real voices: the shipped clips of people saying digits, and what a run on the synthetic sample is worth on them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_zoo.applications.speech.domain import DOMAIN
from keras_zoo.applications.speech.pipeline import real_voice_scores
from keras_zoo.applications.speech.sample import REAL_PATH, WORDS, load_sample
from tests.applications.speech.test_speakers import make_speakers

ROOT = Path(__file__).resolve().parents[3]
DIGITS = WORDS[10:]


def test_the_shipped_real_clips_are_four_people_saying_every_digit_under_their_licence():
    real = load_sample(REAL_PATH)
    assert real.audio.shape == (200, 16000) and real.words == DIGITS
    assert sorted(set(real.voices.tolist())) == ["george", "jackson", "lucas", "nicolas"]
    for voice in set(real.voices.tolist()):
        assert np.bincount(real.labels[real.voices == voice], minlength=10).tolist() == [5] * 10
    assert "CC BY-SA 4.0" in real.info["licence"] and len(real.info["files"]) == 200
    assert np.abs(real.audio).max(axis=1).min() > 0.05  # every clip holds speech, not silence


def test_real_voice_scores_counts_right_answers_overall_among_digits_and_per_speaker():
    real = load_sample(REAL_PATH)
    truth = np.array([WORDS.index(real.words[y]) for y in real.labels])

    def oracle(audio):
        assert audio.shape == (200, 16000)
        return np.eye(len(WORDS))[truth]

    perfect = real_voice_scores(oracle, WORDS)
    assert perfect["accuracy"] == perfect["accuracy_among_digits"] == 1.0 and perfect["clips"] == 200
    assert perfect["per_speaker"] == {"george": 1.0, "jackson": 1.0, "lucas": 1.0, "nicolas": 1.0}

    def says_yes_then_the_digit(audio):  # "yes" first: wrong among all words, right among the digits
        p = 0.5 * np.eye(len(WORDS))[truth]
        p[:, WORDS.index("yes")] = 0.6
        return p

    scores = real_voice_scores(says_yes_then_the_digit, WORDS)
    assert scores["accuracy"] == 0.0 and scores["accuracy_among_digits"] == 1.0
    with pytest.raises(ValueError, match=r"lack \['nine'\]"):
        real_voice_scores(oracle, WORDS[:-1])


def test_the_summary_says_what_the_run_is_worth_on_real_voices():
    record = {"model": "ds_cnn_small", "metrics": {"accuracy": 0.9, "macro_f1": 0.9}, "timing": {"train_s": 1.0},
              "real_voices": {"clips": 200, "accuracy": 0.25, "accuracy_among_digits": 0.5,
                              "per_speaker": {"ann": 0.2, "bob": 0.3}}}
    notes = DOMAIN.summary(record)[2]
    assert any(n.startswith("Real voices: 200 clips of 2 people") and "accuracy 0.2500" in n and "ann 0.20" in n
               for n in notes)
    record["real_voices"]["mfcc_svm"] = {"accuracy": 0.1, "accuracy_among_digits": 0.3}
    assert any(n.endswith("; mfcc_svm 0.1000, 0.3000 among the digits.") for n in DOMAIN.summary(record)[2])
    del record["real_voices"]
    assert not any("Real voices" in n for n in DOMAIN.summary(record)[2])


def test_the_tool_writes_clips_load_sample_reads_and_refuses_a_folder_without_them(tmp_path):
    data = make_speakers(tmp_path / "digits", speakers=("ann", "bob"), words=("high", "low"), per_speaker=3)
    for word, digit in (("high", 1), ("low", 2)):  # FSDD's names: <digit>_<speaker>_<n>.wav
        for f in (data / word).iterdir():
            f.rename(data / word / f.name.replace(word, str(digit), 1))
    out = tmp_path / "real.npz"
    command = [sys.executable, "tools/speech_real_clips.py", "--data", str(data), "--output", str(out)]
    done = subprocess.run([*command, "--per-digit", "2"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    real = load_sample(out)
    assert real.words == DIGITS and real.labels.tolist() == [1, 1, 2, 2, 1, 1, 2, 2]
    assert real.voices.tolist() == ["ann"] * 4 + ["bob"] * 4
    out.unlink()
    refused = subprocess.run([*command, "--per-digit", "4"], capture_output=True, text=True, cwd=ROOT)
    assert refused.returncode == 2 and "Fewer than 4 recordings" in refused.stderr and not out.exists()


def test_the_mfcc_svm_scores_more_clips_as_it_predicts_them():
    import tensorflow as tf

    from keras_zoo.applications.speech.baselines import mfcc_svm

    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    audio = np.stack([0.3 * np.sin(2 * np.pi * (300 if i % 2 else 2000) * t) + 0.01 * rng.normal(size=16000)
                      for i in range(12)]).astype("float32")
    labels = np.arange(12, dtype="int32") % 2
    ds = tf.data.Dataset.from_tensor_slices((audio, labels))
    svm = mfcc_svm(ds, ds, ("high", "low", "never_heard"))
    values = svm["scores"](audio)
    assert values.shape == (12, 3) and np.all(values[:, 2] == -np.inf)  # a class training lacked
    assert values.argmax(-1).tolist() == svm["predictions"].tolist() == labels.tolist()
