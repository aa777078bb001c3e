"""The speech pipeline end to end: the sample with voices held out, predict on files, evaluate, fine-tune."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from keras_zoo.applications.common.report import prepare_output_dir
from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.speech import pipeline
from keras_zoo.applications.speech.pipeline import SpeechConfig
from keras_zoo.applications.speech.sample import load_sample
from tests.cli_checks import run_zoo, zoo_here

from .test_data import make_folder

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

ZOO = Path(sys.executable).parent / "zoo"
CHECKPOINT = "ds_cnn_small.synthetic_commands"


def quick(**kwargs):
    train = TrainConfig(**{"epochs": 3, "patience": None, "batch_size": 64, "learning_rate": 3e-3,
                           **kwargs.pop("train", {})})
    return SpeechConfig(**{"model": "ds_cnn_small", "augment": "none", **kwargs}, train=train)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """A CRNN (the fastest good KWS model here) on the synthetic sample, tested on voices it never heard."""
    out = prepare_output_dir(tmp_path_factory.mktemp("runs") / "sample", "speech")
    record = pipeline.train_and_evaluate(quick(model="crnn", train={"epochs": 15}), out, verbose=False)
    return out, record


def test_learns_the_sample_and_is_tested_on_held_out_voices(sample_run):
    _, record = sample_run
    data = record["data"]
    assert data["split"] == "by voice" and data["test_voices"]
    assert data["train"] + data["val"] + data["test"] == 900 and len(data["classes"]) == 20
    assert record["metrics"]["accuracy"] > 0.5  # chance is 0.05
    assert record["baselines"]["mfcc_svm"]["accuracy"] > 0.5
    assert set(record["metrics"]["recall_per_word"]) == set(data["classes"])


def test_metrics_json_and_plots(sample_run):
    out, _ = sample_run
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk["domain"] == "speech" and on_disk["model"] == "crnn"
    assert len(on_disk["confusion_matrix"]) == 20 and on_disk["timing"]["train_s"] > 0
    assert {"plots/history.png", "plots/confusion_matrix.png", "plots/model_vs_baseline.png",
            "plots/recall_per_word.png", "plots/examples.png"} <= set(on_disk["plots"])
    for plot in on_disk["plots"]:
        assert (out / plot).read_bytes()[:4] == b"\x89PNG"


def test_predict_takes_wav_files_at_any_rate(sample_run, tmp_path):
    out, _ = sample_run
    sample = load_sample()
    clip = sample.audio[sample.labels == 0][0]  # "yes"
    at16 = tmp_path / "yes16.wav"
    wavfile.write(at16, 16000, (clip * 32767).astype(np.int16))
    from scipy.signal import resample_poly

    at8 = tmp_path / "yes8_stereo.wav"
    mono8 = resample_poly(clip, 1, 2)
    wavfile.write(at8, 8000, np.stack([mono8, mono8], 1).astype(np.float32))
    results = pipeline.predict(out, [str(at16), str(at8)])
    for r in results:
        assert len(r["top"]) == 3 and r["label"] == r["top"][0][0]
        probs = [p for _, p in r["top"]]
        assert probs == sorted(probs, reverse=True) and sum(probs) <= 1.0 + 1e-5
    with pytest.raises(ValueError, match="not a readable .wav"):
        bad = tmp_path / "bad.wav"
        bad.write_text("hello")
        pipeline.predict(out, [str(bad)])


def test_evaluate_on_a_folder_uses_every_clip(sample_run, tmp_path):
    out, record = sample_run
    sample = load_sample()
    for word in ("yes", "no"):
        label = sample.words.index(word)
        for i, clip in enumerate(sample.audio[sample.labels == label][:3]):
            path = tmp_path / "clips" / word / f"{i}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            wavfile.write(path, 16000, clip.astype(np.float32))
    result = pipeline.evaluate(out, str(tmp_path / "clips"), verbose=False)
    assert result["test"] == 6 and 0 <= result["metrics"]["accuracy"] <= 1
    (tmp_path / "clips" / "maybe").mkdir()
    wavfile.write(tmp_path / "clips" / "maybe" / "0.wav", 16000, np.zeros(16000, np.float32))
    with pytest.raises(ValueError, match=r"classes \['maybe'\] that the model does not know"):
        pipeline.evaluate(out, str(tmp_path / "clips"), verbose=False)


def test_fine_tune_the_synthetic_checkpoint_with_a_new_head_on_new_words(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    words = make_folder(tmp_path / "tones", classes=("high", "low", "mid"), per_class=8)
    out = prepare_output_dir(tmp_path / "run", "speech")
    record = pipeline.train_and_evaluate(
        quick(data=str(words), pretrained=CHECKPOINT, freeze_backbone=True, train={"epochs": 8, "batch_size": 8}),
        out, verbose=False)
    assert record["pretrained"] == CHECKPOINT and record["data"]["classes"] == ["high", "low", "mid"]
    model, _ = pipeline.load_run(out)
    assert model.output_shape == (None, 3)
    assert record["metrics"]["accuracy"] >= 0.5  # 3 tones, 4 test clips each after the split; chance 1/3


def test_a_finished_run_is_a_checkpoint_to_fine_tune_from(sample_run, tmp_path, capsys):
    """Issue 26: `--pretrained RUN` takes a run's network (20 synthetic words) to new words (3 tones)."""
    import keras_zoo as zoo

    run, _ = sample_run
    words = make_folder(tmp_path / "tones", classes=("high", "low", "mid"), per_class=8)
    out = tmp_path / "tones-run"
    status, err = run_zoo(["train", "speech", "--model", "crnn", "--data", str(words), "--pretrained", str(run),
                           "--freeze-backbone", "--epochs", "1", "--batch-size", "8", "--output", str(out)], capsys)
    assert status == 0, err
    record = json.loads((out / "metrics.json").read_text())
    assert record["pretrained"] == str(run) and record["data"]["classes"] == ["high", "low", "mid"]
    source = zoo.load_model(run / "model.keras").get_layer("crnn")
    tuned = zoo.load_model(out / "model.keras").get_layer("crnn")
    assert tuned.output_shape == (None, 3)
    kernels = [layer for layer in tuned.layers if layer.weights and layer.name != "head"]
    for layer in kernels:  # frozen: every layer but the new head is still the run's
        for weights, were in zip(layer.weights, source.get_layer(layer.name).weights):
            np.testing.assert_array_equal(weights.numpy(), were.numpy())
    assert len(kernels) >= 3


def test_config_errors():
    with pytest.raises(ValueError, match="features must be one of"):
        SpeechConfig(features="wavelets")
    with pytest.raises(ValueError, match="freeze_backbone needs a pretrained"):
        SpeechConfig(freeze_backbone=True)
    with pytest.raises(ValueError, match="the speech application needs a model of spectrogram frames"):
        pipeline.check_speech_model("resnet20")


def zoo(*args):
    return subprocess.run([str(ZOO), *args], capture_output=True, text=True, timeout=600)


def test_command_line_train_predict_and_bad_input(tmp_path, capsys):
    run = tmp_path / "run"
    result = zoo("train", "speech", "--epochs", "1", "--max-examples", "64", "--output", str(run))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "mfcc_svm" in result.stdout and "ds_cnn_small" in result.stdout
    clip = tmp_path / "clip.wav"
    wavfile.write(clip, 16000, load_sample().audio[0].astype(np.float32))
    result = zoo_here("predict", "speech", "--model-dir", str(run), str(clip))
    assert result.returncode == 0, result.stderr[-2000:]
    fields = result.stdout.strip().split("\t")
    assert fields[0] == str(clip) and len(fields) == 5  # file, word, probability, and two more guesses

    # Bad input, through the same `main` in this process (tests/cli_checks.py)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    one = make_folder(tmp_path / "one", classes=("low",))
    for args, words in (
        (["predict", "speech", "--model-dir", str(run), str(empty)], "is empty (0 bytes)"),
        (["train", "speech", "--data", str(one), "--output", str(tmp_path / "x")], "at least 2 class subfolders"),
        (["train", "speech", "--embeddings", "vectors.txt", "--output", str(tmp_path / "y")],
         "--embeddings is for `zoo train nlp`, not speech."),
    ):
        status, stderr = run_zoo(args, capsys)
        (error,) = [line for line in stderr.splitlines() if line.startswith("zoo ")]
        assert status == 2 and words in error


@pytest.mark.parametrize("model,features,net_input", [("resnet18_1d", "log_mel", (16000, 1)),
                                                      ("gru_frames", "mfcc", (98, 40))])
def test_every_speech_model_takes_raw_audio(model, features, net_input):
    end_to_end, net = pipeline.build_model(SpeechConfig(model=model, features=features), 5)
    assert end_to_end.input_shape == (None, 16000) and net.input_shape[1:] == net_input
    assert end_to_end.predict(np.zeros((2, 16000), np.float32), verbose=0).shape == (2, 5)


def test_evaluate_on_the_sample_repeats_the_runs_test_score(sample_run):
    out, record = sample_run
    result = pipeline.evaluate(out, "sample", verbose=False)
    assert result["test"] == record["data"]["test"]
    assert result["metrics"]["accuracy"] == pytest.approx(record["metrics"]["accuracy"])


def test_augment_auto_means_none_on_the_sample_and_light_on_recordings():
    assert pipeline.resolve_augment(SpeechConfig(data="sample")) == "none"
    assert pipeline.resolve_augment(SpeechConfig(data="my_words")) == "light"
    assert pipeline.augmenter(SpeechConfig(data="sample"), None) is None
    light = pipeline.augmenter(SpeechConfig(data="my_words"), None)  # synthetic noise when the folder has none
    assert light.speed_factors is None and light.noise is not None and len(light.noise) >= 16000
    full = pipeline.augmenter(SpeechConfig(augment="full"), np.ones(32000, np.float32))
    assert full.speed_factors == SpeechConfig().speed_factors
    wider = pipeline.augmenter(SpeechConfig(augment="full", speed_factors=(0.7, 1.4)), None)
    assert wider.speed_factors == (0.7, 1.4)
    for bad in ((1.2, 0.8), (0.0, 1.1), (0.9,), "fast"):
        with pytest.raises(ValueError, match="speed_factors is"):
            SpeechConfig(speed_factors=bad)
    audio = np.zeros((2, 16000), np.float32)
    audio[:, 7000:9000] = 0.5
    augmented, labels = full(audio, np.array([0, 1]))
    assert augmented.shape == (2, 16000) and not np.allclose(augmented, audio)
    model, _ = pipeline.build_model(SpeechConfig(augment="full"), 20)
    assert "spec_augment" in [layer.name for layer in model.layers]
    model, _ = pipeline.build_model(SpeechConfig(), 20)
    assert "spec_augment" not in [layer.name for layer in model.layers]
