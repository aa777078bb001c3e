"""Reading keyword clips: wav files of every common kind, folders, TFDS under mock data, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import wavfile

from keras_zoo.applications.speech import data as audio_data
from keras_zoo.applications.speech.wav import WavError, fit_clip, load_clip, read_wav


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amplitude * np.sin(2 * np.pi * freq * t)


def write(path, audio: np.ndarray, rate: int, kind: str = "int16", channels: int = 1):
    path.parent.mkdir(parents=True, exist_ok=True)
    if channels == 2:
        audio = np.stack([audio, 0.5 * audio], axis=1)
    if kind == "int16":
        data = np.round(audio * 32767).astype(np.int16)
    elif kind == "int32":
        data = np.round(audio * (2**31 - 1)).astype(np.int32)
    elif kind == "uint8":
        data = np.round(audio * 127 + 128).astype(np.uint8)
    else:
        data = audio.astype(np.float32)
    wavfile.write(path, rate, data)
    return path


@pytest.mark.parametrize("rate,kind,channels", [(8000, "int16", 2), (16000, "float32", 1), (22050, "int32", 1),
                                                (11025, "uint8", 1), (44100, "int16", 2)])
def test_any_rate_depth_and_channels_become_16k_mono(tmp_path, rate, kind, channels):
    path = write(tmp_path / "a.wav", tone(440, 0.5, rate), rate, kind, channels)
    audio = read_wav(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - 8000) <= 1  # half a second at 16 kHz
    peak = 0.5 * (0.75 if channels == 2 else 1.0)  # stereo is averaged: (1 + 0.5) / 2 of the left channel
    assert np.max(np.abs(audio)) == pytest.approx(peak, abs=0.03)
    spectrum = np.abs(np.fft.rfft(audio))
    assert np.argmax(spectrum) * 16000 / len(audio) == pytest.approx(440, abs=4)  # the pitch survives resampling


def test_fit_clip_pads_centred_and_crops_to_the_loudest_second():
    short, cropped = fit_clip(np.ones(4000, np.float32), 16000)
    assert not cropped and short.shape == (16000,) and short[:6000].sum() == 0 and short[6000:10000].all()
    long = np.zeros(40000, np.float32)
    long[30000:34000] = 1.0  # the "word", late in a long clip
    clip, cropped = fit_clip(long, 16000)
    assert cropped and clip.sum() == 4000  # the whole word is inside the kept second


def test_bad_wav_files_are_clear_errors(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(WavError, match="empty"):
        read_wav(empty)
    text = tmp_path / "notes.wav"
    text.write_text("these are not samples")
    with pytest.raises(WavError, match="not a readable .wav"):
        read_wav(text)
    zero = write(tmp_path / "zero.wav", np.zeros(0), 16000)
    with pytest.raises(WavError, match="no samples"):
        read_wav(zero)
    long = write(tmp_path / "lecture.wav", tone(200, 12.0, 8000), 8000)
    with pytest.raises(WavError, match=r"lasts 12.0 s.*Cut long recordings"):
        load_clip(long)


def make_folder(root, *, classes=("high", "low"), per_class=8, rate=8000, noise=False, bad=False):
    freqs = {"high": 2000.0, "low": 300.0, "mid": 900.0}
    rng = np.random.default_rng(0)
    for name in classes:
        for i in range(per_class):
            audio = tone(freqs[name] * rng.uniform(0.95, 1.05), rng.uniform(0.4, 0.9), rate)
            write(root / name / f"{name}_{i}.wav", audio, rate, "int16", channels=2 if i % 2 else 1)
    if noise:
        write(root / "_background_noise_" / "white.wav", rng.normal(0, 0.1, 3 * rate), rate)
    if bad:
        (root / classes[0] / "broken.wav").write_bytes(b"RIFF....WAVEjunk")
        (root / classes[0] / "empty.wav").write_bytes(b"")
    return root


def test_folder_of_class_subfolders(tmp_path):
    root = make_folder(tmp_path / "words", noise=True, bad=True)
    data = audio_data.load_folder(root, val_fraction=0.25, test_fraction=0.25)
    assert data.class_names == ("high", "low")  # _background_noise_ is not a class
    assert sum(data.counts.values()) == 16 and data.counts["test"] == 4
    assert len(data.skipped) == 2 and all("high" in s for s in data.skipped)
    assert data.noise is not None and len(data.noise) == 3 * 16000
    audio, label = next(iter(data.train))
    assert audio.shape == (16000,) and audio.dtype.name == "float32" and label.dtype.name == "int32"


def test_separate_test_folder_must_have_the_same_words(tmp_path):
    train = make_folder(tmp_path / "train")
    test = make_folder(tmp_path / "test", per_class=3)
    data = audio_data.load_folder(train, test_path=test)
    assert data.counts["test"] == 6
    other = make_folder(tmp_path / "other", classes=("high", "mid"), per_class=3)
    with pytest.raises(ValueError, match=r"lacks \['low'\] and has \['mid'\]"):
        audio_data.load_folder(train, test_path=other)


def test_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="at least 2 class subfolders"):
        audio_data.load_folder(make_folder(tmp_path / "one", classes=("low",)))
    with pytest.raises(ValueError, match="does not exist"):
        audio_data.load_folder(tmp_path / "missing")
    root = make_folder(tmp_path / "few", per_class=2)
    with pytest.raises(ValueError, match="too few to split"):
        audio_data.load_folder(root)
    with pytest.raises(ValueError, match="not a CSV|not a CSV file"):
        audio_data.load_audio("csv", path=tmp_path / "x.csv", text="x.csv")


def test_sample_holds_out_whole_voices():
    data = audio_data.load_sample(seed=0)
    train, test = set(data.groups["train"]), set(data.groups["test"])
    assert train and test and not train & test and not set(data.groups["val"]) & train
    assert data.class_names[:4] == ("yes", "no", "up", "down") and len(data.class_names) == 20
    assert data.counts["test"] == len(data.groups["test"])
    other = audio_data.load_sample(seed=1)
    assert set(other.groups["test"]) != test  # the seed picks the held-out voices


def test_tfds_under_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=12):
        data = audio_data.load_audio("tfds", name="speech_commands", text="tfds:speech_commands")
    assert len(data.class_names) == 12 and data.source == "tfds:speech_commands"
    for audio, label in data.train.take(3):
        assert audio.shape == (16000,) and audio.dtype.name == "float32"
        assert float(np.max(np.abs(audio))) <= 1.0 and 0 <= int(label) < 12


def test_tfds_rejects_a_set_that_is_not_audio():
    with pytest.raises(ValueError, match="not an audio-classification set"):
        audio_data.load_tfds("mnist")
