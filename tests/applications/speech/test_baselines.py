"""The MFCC + SVM baseline: its statistics describe the spoken word, not the silence around it."""

import numpy as np
import tensorflow as tf

from keras_zoo.applications.speech import baselines
from keras_zoo.layers.audio import MFCC


def word(samples: int = 4800, seed: int = 0) -> np.ndarray:
    """A 0.3 s 'word': a rising tone with a little noise."""
    t = np.arange(samples) / 16000
    return (0.5 * np.sin(2 * np.pi * (300 + 400 * t) * t) + 0.01 * np.random.default_rng(seed).normal(size=samples))


def padded(clip: np.ndarray, start: int, total: int = 16000) -> np.ndarray:
    out = np.zeros(total)
    out[start:start + len(clip)] = clip
    return out


def test_the_spoken_frames_are_found_within_the_padding():
    audio = np.stack([padded(word(), 2000), padded(word(), 9000)]).astype("float32")
    spans = baselines.spoken_frames(audio, MFCC(num_coefficients=baselines.NUM_MFCC))
    # Frame i covers samples [160 i, 160 i + 400): the word's 4,800 samples touch frames from
    # (start - 400) / 160 to (start + 4800) / 160.
    for (first, last), start in zip(spans, (2000, 9000)):
        assert (start - 400) // 160 <= first <= start // 160 + 1
        assert (start + 4800 - 400) // 160 - 1 <= last <= (start + 4800) // 160


def test_a_word_said_slowly_or_quickly_keeps_nearly_its_features():
    """The same sound over 0.25, 0.5 and 0.75 s, each centred in the one-second window as the pipeline
    pads it: over the spoken frames the statistics differ by about 12%; over the whole window (the
    baseline before) by 26% and 45%, the silence's share deciding them."""
    from keras_zoo.applications.speech.wav import fit_clip

    def sound(samples):
        envelope = np.sin(np.pi * np.arange(samples) / samples)
        tone = 0.5 * np.sin(2 * np.pi * 500 * np.arange(samples) / 16000) * envelope
        return (tone + 0.01 * np.random.default_rng(0).normal(size=samples)).astype("float32")

    audio = np.stack([fit_clip(sound(n), 16000)[0] for n in (4000, 8000, 12000)])
    features, _ = baselines.mfcc_statistics(tf.data.Dataset.from_tensor_slices((audio, [0, 0, 0])))
    scale = np.abs(features[0]).mean()
    for other in features[1:]:
        assert np.abs(other - features[0]).mean() < 0.2 * scale
