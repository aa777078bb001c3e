"""tools/speech_sample.py speaks every word in every voice, the same for the same seed."""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import speech_sample  # noqa: E402

from keras_zoo.applications.speech.sample import WORDS, load_sample  # noqa: E402

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (apt-get install espeak-ng)")


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory):
    """A 2-voice sample written twice to one path, and both sets of arrays."""
    path = tmp_path_factory.mktemp("speech") / "two.npz"
    runs = []
    for _ in range(2):
        assert speech_sample.main(["--output", str(path), "--voices", "2", "--seed", "3", "--jobs", "2"]) == 0
        with np.load(path, allow_pickle=False) as npz:
            runs.append({key: npz[key] for key in npz.files})
    return path, runs


@needs_espeak
def test_the_same_seed_gives_identical_arrays(two_voices):
    _, (first, again) = two_voices
    assert first.keys() == again.keys()
    for key in first:
        np.testing.assert_array_equal(first[key], again[key], err_msg=key)


@needs_espeak
def test_offsets_labels_and_voices_fit_together(two_voices):
    path, (arrays, _) = two_voices
    offsets, labels, voices = arrays["offsets"], arrays["labels"], arrays["voices"]
    assert arrays["audio"].dtype == np.uint8 and offsets.dtype == np.int64 and labels.dtype == np.int64
    assert len(offsets) == 41 and offsets[0] == 0 and offsets[-1] == len(arrays["audio"])
    lengths = np.diff(offsets)
    assert (lengths > 1600).all() and (lengths <= 16000).all()  # every word between 0.1 s and 1 s
    assert labels.tolist() == list(range(20)) * 2
    assert len(set(voices[:20])) == 1 and len(set(voices[20:])) == 1 and voices[0] != voices[20]
    assert arrays["words"].tolist() == list(WORDS) and int(arrays["sample_rate"]) == 16000
    info = json.loads(str(arrays["info"]))
    assert info["seed"] == 3 and info["espeak_ng"].startswith("eSpeak NG") and "--voices 2" in info["command"]
    assert "synthetic" in info["description"].lower()


@needs_espeak
def test_the_sample_loads_and_no_clip_is_silent(two_voices):
    path, _ = two_voices
    sample = load_sample(path)
    assert sample.audio.shape == (40, 16000) and sample.words == WORDS
    peaks = np.abs(sample.audio).max(axis=1)
    assert (peaks > 0.85).all() and (peaks < 0.95).all()  # peak-normalised to 0.9, then mu-law steps of 2%


def test_voices_are_drawn_from_the_seed():
    first, again, other = (speech_sample.draw_voices(5, 0), speech_sample.draw_voices(8, 0)[:5],
                           speech_sample.draw_voices(5, 1))
    assert first == again and first != other
    for voice in first:
        assert voice.language in speech_sample.LANGUAGES and voice.variant in speech_sample.VARIANTS
        assert speech_sample.RATE[0] <= voice.rate <= speech_sample.RATE[1]
        assert speech_sample.PITCH[0] <= voice.pitch <= speech_sample.PITCH[1]
        assert speech_sample.PITCH_RANGE[0] <= voice.pitch_range <= speech_sample.PITCH_RANGE[1]
    voice = speech_sample.Voice("en-gb-scotland", "f2", 160, 45, 60)
    assert voice.id == "en-gb-scotland+f2/s160/p45/r60"
    assert speech_sample.Voice("en-us", "", 175, 50, 50).id == "en-us/s175/p50/r50"


def test_trim_keeps_the_sound_between_the_silences():
    x = np.zeros(8000)
    x[2000:3000] = np.sin(np.arange(1000) / 5)
    trimmed = speech_sample.trim(x)
    assert 1000 <= len(trimmed) <= 1000 + 2 * 160 and np.abs(trimmed).max() == np.abs(x).max()
    assert len(speech_sample.trim(np.zeros(500))) == 0


def test_missing_espeak_exits_2_naming_the_package(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert speech_sample.main(["--output", str(tmp_path / "x.npz"), "--voices", "1"]) == 2
    assert "espeak-ng" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


def test_bad_arguments_are_refused(tmp_path, capsys):
    for flag, value in (("--voices", "0"), ("--jobs", "0")):
        with pytest.raises(SystemExit) as exit_:
            speech_sample.main(["--output", str(tmp_path / "x.npz"), flag, value])
        assert exit_.value.code == 2 and f"Received: {flag}={value}" in capsys.readouterr().err
