"""The shipped synthetic speech sample loads as 1 s clips of every word in every voice."""

import numpy as np
import pytest

from keras_zoo.applications.speech.sample import (CLIP_SAMPLES, SAMPLE_PATH, WORDS, load_sample, mu_law_decode,
                                        mu_law_encode)


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def test_the_shipped_sample_is_small():
    assert SAMPLE_PATH.is_file()
    assert SAMPLE_PATH.stat().st_size <= 8 * 1024 * 1024


def test_every_voice_speaks_every_word_once(sample):
    assert sample.words == WORDS and len(WORDS) == 20
    assert sample.audio.shape == (len(sample.labels), CLIP_SAMPLES) and sample.audio.dtype == np.float32
    assert sample.labels.dtype == np.int64 and sample.voices.shape == sample.labels.shape
    voices = sorted(set(sample.voices))
    assert len(voices) >= 40
    for voice in voices:
        assert sorted(sample.labels[sample.voices == voice]) == list(range(20)), voice
    assert "synthetic" in sample.info["description"].lower() and sample.info["seed"] == 0


def test_clips_are_finite_loud_and_centred(sample):
    audio = sample.audio
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0
    assert (np.abs(audio).max(axis=1) > 0.1).all()
    # Each word sits in the middle: the first and last 10 ms are the zeros around it.
    assert not audio[:, :160].any() and not audio[:, -160:].any()


def test_shorter_and_longer_clips_keep_the_word_centred():
    short, long = load_sample(clip_samples=4000), load_sample(clip_samples=24000)
    full = load_sample()
    assert short.audio.shape[1] == 4000 and long.audio.shape[1] == 24000
    np.testing.assert_array_equal(long.audio[:, 4000:20000], full.audio)
    # A word longer than the clip keeps its middle (to a sample, for odd lengths).
    for cut, whole in zip(short.audio, full.audio):
        assert np.array_equal(cut, whole[6000:10000]) or np.array_equal(cut, whole[6001:10001])


def test_mu_law_round_trip_is_close():
    x = np.linspace(-1, 1, 20001)
    codes = mu_law_encode(x)
    assert codes.dtype == np.uint8 and codes.min() == 0 and codes.max() == 255
    back = mu_law_decode(codes)
    assert back.dtype == np.float32
    # 8-bit mu-law: steps of about 3% of the value, and finer than 1e-3 near zero.
    assert np.all(np.abs(back - x) <= 0.025 * np.abs(x) + 1e-3)
    np.testing.assert_array_equal(mu_law_encode(back), codes)
    assert mu_law_encode([-5.0, 5.0]).tolist() == [0, 255]


def test_malformed_files_are_refused_naming_the_path(tmp_path):
    arrays = dict(np.load(SAMPLE_PATH, allow_pickle=False))
    cases = {
        "missing.npz": {k: v for k, v in arrays.items() if k != "offsets"},
        "offsets.npz": dict(arrays, offsets=arrays["offsets"][:-1]),
        "labels.npz": dict(arrays, labels=arrays["labels"] + 20),
        "rate.npz": dict(arrays, sample_rate=np.array(8000)),
        "info.npz": dict(arrays, info=np.array("not json")),
    }
    for name, content in cases.items():
        np.savez(tmp_path / name, **content)
        with pytest.raises(ValueError, match=str(tmp_path / name)):
            load_sample(tmp_path / name)
    (tmp_path / "junk.npz").write_bytes(b"not a zip file at all")
    with pytest.raises(ValueError, match="junk.npz"):
        load_sample(tmp_path / "junk.npz")
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match="one.npy"):
        load_sample(tmp_path / "one.npy")
    with pytest.raises(FileNotFoundError, match="speech_sample.py"):
        load_sample(tmp_path / "absent.npz")
    with pytest.raises(ValueError, match="clip_samples=0"):
        load_sample(clip_samples=0)
