"""Waveform augmentation for training keyword spotters, in the `tf.data` pipeline.

Each function takes a BATCH of waveforms, float32 `(batch, samples)`, and draws what it needs from
a `tf.random.Generator` passed in, so it runs in graph mode (inside `Dataset.map` or a
`tf.function`) and a fixed seed gives the same augmentation. `Augmenter` chains them for
`ds.batch(n).map(augmenter)`:

- `speed_perturb`: resample by a random factor, changing tempo and pitch together (Ko et al. 2015,
  https://www.isca-archive.org/interspeech_2015/ko15_interspeech.html);
- `time_shift`: move the word by up to 100 ms, filling with silence (as the TensorFlow speech
  commands tutorial does);
- `add_noise`: mix in background noise at a random signal-to-noise ratio.

`synthetic_noise` and `noise_bank` build the noise when there are no recordings of it (Speech
Commands ships some in `_background_noise_`, which `data.load_folder` reads).

Example:
    >>> augmenter = Augmenter(noise=noise_bank([synthetic_noise("pink", 160000)]), seed=0)
    >>> train = data.train.batch(64).map(augmenter).prefetch(2)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keras_zoo.applications.speech.wav import SAMPLE_RATE

NOISE_KINDS = {"white": 0.0, "pink": 1.0, "brown": 2.0}  # kind -> exponent a of the power spectrum 1 / f**a
MAX_SHIFT = SAMPLE_RATE // 10  # 100 ms at 16 kHz


def _check_rng(rng):
    import tensorflow as tf

    if not isinstance(rng, tf.random.Generator):
        raise ValueError(
            f"rng must be a tf.random.Generator (say tf.random.Generator.from_seed(0)). Received: rng={rng!r}"
        )


def _check_range(name: str, value, *, positive: bool = False):
    """`value` as a float pair (lo, hi) with lo <= hi (and lo > 0 if `positive`); a number x is (x, x)."""
    pair = (value, value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    ok = isinstance(pair, (tuple, list)) and len(pair) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)
    if ok:
        lo, hi = float(pair[0]), float(pair[1])
        ok = lo <= hi and (lo > 0 or not positive)
    if not ok:
        both = ", both > 0" if positive else ""
        raise ValueError(
            f"{name} must be a number or a pair (low, high) with low <= high{both}. Received: {name}={value!r}"
        )
    return lo, hi


def _check_batch(audio):
    import tensorflow as tf

    audio = tf.convert_to_tensor(audio, tf.float32)
    if audio.shape.rank != 2:
        raise ValueError(
            "audio must be a batch of waveforms, (batch, samples); batch the dataset before mapping. "
            f"Received: audio of shape {tuple(audio.shape)}"
        )
    return audio


def _check_probability(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1]. Received: {name}={value!r}")


def _check_int(name: str, value, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}. Received: {name}={value!r}")
    return int(value)


# ---------------------------------------------------------------------------------------------
# The augmentations


def time_shift(audio, max_shift: int = MAX_SHIFT, *, rng):
    """Shifts each waveform by its own random whole number of samples in `[-max_shift, max_shift]`.

    Not a circular roll: what moves past one end is dropped and the other end fills with zeros
    (silence), so a word never wraps around. A positive shift delays the audio.

    Args:
        audio: float32 `(batch, samples)`.
        max_shift: the largest shift either way, in samples (1600 = 100 ms at 16 kHz); 0 is the identity.
        rng: a `tf.random.Generator`.

    Returns:
        float32 `(batch, samples)`.
    """
    import tensorflow as tf

    audio = _check_batch(audio)
    max_shift = _check_int("max_shift", max_shift, low=0)
    _check_rng(rng)
    batch, samples = tf.shape(audio)[0], tf.shape(audio)[1]
    shifts = rng.uniform([batch], -max_shift, max_shift + 1, dtype=tf.int32)
    source = tf.range(samples)[None, :] - shifts[:, None]  # output sample t is input sample t - shift
    inside = (source >= 0) & (source < samples)
    moved = tf.gather(audio, tf.clip_by_value(source, 0, samples - 1), batch_dims=1)
    return tf.where(inside, moved, tf.zeros_like(moved))


def add_noise(audio, noise, snr_db=(5.0, 30.0), probability: float = 0.8, *, rng):
    """Mixes a random stretch of `noise` into each waveform at a random signal-to-noise ratio.

    For each example, with probability `probability`: a crop of `noise` as long as the clip, at a
    uniform random start, is scaled so that `10 log10(P_signal / P_noise) = snr` for an `snr` drawn
    uniformly from `snr_db`, where P is the mean square over the clip, and added. A silent example
    (or a silent crop) is left unchanged, not divided by zero. The sum is not clipped to [-1, 1].

    Args:
        audio: float32 `(batch, samples)`.
        noise: a 1-D float tensor or array of background noise, at least `samples` long (`noise_bank`).
        snr_db: `(low, high)` in dB, or one number; lower is noisier. The default (5, 30) goes from
            clearly audible to faint background.
        probability: of noise for each example, in [0, 1].
        rng: a `tf.random.Generator`.

    Returns:
        float32 `(batch, samples)`.
    """
    import tensorflow as tf

    audio = _check_batch(audio)
    low, high = _check_range("snr_db", snr_db)
    _check_probability("probability", probability)
    _check_rng(rng)
    noise = tf.convert_to_tensor(noise, tf.float32)
    if noise.shape.rank != 1:
        raise ValueError(f"noise must be 1-D (one long recording). Received: noise of shape {tuple(noise.shape)}")
    if noise.shape[0] is not None and audio.shape[1] is not None and noise.shape[0] < audio.shape[1]:
        raise ValueError(
            f"noise must be at least as long as a clip ({audio.shape[1]} samples). "
            f"Received: noise of {noise.shape[0]} samples"
        )
    batch, samples = tf.shape(audio)[0], tf.shape(audio)[1]
    tf.debugging.assert_greater_equal(tf.shape(noise)[0], samples, message="noise is shorter than a clip")
    starts = rng.uniform([batch], 0, tf.shape(noise)[0] - samples + 1, dtype=tf.int32)
    crops = tf.gather(noise, starts[:, None] + tf.range(samples)[None, :])
    snr = rng.uniform([batch], low, high) if high > low else tf.fill([batch], low)
    signal_power = tf.reduce_mean(tf.square(audio), axis=1)
    noise_power = tf.reduce_mean(tf.square(crops), axis=1)
    scale = tf.sqrt(tf.math.divide_no_nan(signal_power, noise_power * tf.pow(10.0, snr / 10.0)))
    scale = tf.where(rng.uniform([batch]) < probability, scale, tf.zeros_like(scale))
    return audio + scale[:, None] * crops


def speed_perturb(audio, factors=(0.9, 1.1), *, rng):
    """Plays each waveform at its own random speed in `factors`, then centres it in the original length.

    Output sample t is the input at `c + factor * (t - c)` (c the centre), read by linear
    interpolation: a factor of 1.1 is 10 % faster and 10 % higher (a 1 kHz tone becomes 1.1 kHz),
    its ends padded with zeros; 0.9 is slower and lower, its ends cropped. Per example, with one
    gather per batch. There is no low-pass filter, so a factor f above 1 aliases content above the
    Nyquist frequency over f: at 16 kHz, above 7.2 kHz for 1.1 and above 6.4 kHz for 1.25 (the
    speech pipeline's `full` range), where speech has little energy.

    Args:
        audio: float32 `(batch, samples)`.
        factors: `(low, high)`, both > 0, or one number; `(1, 1)` is the identity.
        rng: a `tf.random.Generator`.

    Returns:
        float32 `(batch, samples)`.
    """
    import tensorflow as tf

    audio = _check_batch(audio)
    low, high = _check_range("factors", factors, positive=True)
    _check_rng(rng)
    batch, samples = tf.shape(audio)[0], tf.shape(audio)[1]
    factor = rng.uniform([batch], low, high) if high > low else tf.fill([batch], low)
    centre = tf.cast(samples - 1, tf.float32) / 2.0
    position = centre + factor[:, None] * (tf.cast(tf.range(samples), tf.float32)[None, :] - centre)
    left = tf.floor(position)
    weight = position - left
    left = tf.cast(left, tf.int32)

    def read(index):
        inside = (index >= 0) & (index < samples)
        values = tf.gather(audio, tf.clip_by_value(index, 0, samples - 1), batch_dims=1)
        return tf.where(inside, values, tf.zeros_like(values))

    return (1.0 - weight) * read(left) + weight * read(left + 1)


# ---------------------------------------------------------------------------------------------
# Noise to mix in


def synthetic_noise(kind: str, samples: int, seed: int = 0) -> np.ndarray:
    """White, pink (power ~ 1/f) or brown (power ~ 1/f**2) noise, float32, unit RMS, no DC.

    Gaussian white noise shaped in the frequency domain. Speech Commands' `_background_noise_`
    folder has recordings of the three beside real rooms; these stand in when there are none.

    Args:
        kind: "white", "pink" or "brown".
        samples: length, at least 2.
        seed: of the numpy generator.

    Example:
        >>> bank = noise_bank([synthetic_noise(kind, 10 * 16000, seed=i) for i, kind in enumerate(NOISE_KINDS)])
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(NOISE_KINDS)}. Received: kind={kind!r}")
    samples = _check_int("samples", samples, low=2)
    noise = np.random.default_rng(seed).standard_normal(samples)
    spectrum = np.fft.rfft(noise)
    frequencies = np.fft.rfftfreq(samples)
    spectrum[0] = 0.0
    spectrum[1:] /= frequencies[1:] ** (NOISE_KINDS[kind] / 2)  # amplitude ~ f**(-a/2): power ~ f**-a
    noise = np.fft.irfft(spectrum, n=samples)
    return (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)


def noise_bank(clips) -> np.ndarray:
    """One long 1-D float32 noise recording for `add_noise`: the clips, each scaled to unit RMS, end to end.

    Scaling makes a crop across the join of a loud and a quiet clip no louder on one side (the
    mixing level comes from the SNR, not from the bank's level). Silent clips are left out.

    Args:
        clips: 1-D arrays of noise (say `read_wav` of each file of `_background_noise_`).
    """
    parts = []
    for i, clip in enumerate(clips):
        clip = np.asarray(clip, dtype=np.float32)
        if clip.ndim != 1:
            raise ValueError(f"each noise clip must be 1-D (mono). Received: clips[{i}] of shape {clip.shape}")
        rms = float(np.sqrt(np.mean(np.square(clip, dtype=np.float64)))) if clip.size else 0.0
        if rms > 0:
            parts.append(clip / rms)
    if not parts:
        raise ValueError(f"noise_bank needs at least one non-silent clip. Received: {len(parts)} usable clips")
    return np.concatenate(parts).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# All of them, for Dataset.map


@dataclass(eq=False)
class Augmenter:
    """Speed, shift and noise augmentation of a batched `(audio, label)` dataset: `ds.batch(n).map(augmenter)`.

    Applied in that order (the noise is not sped up). Each example gets its own draws. The random
    state is one `tf.random.Generator` from `seed`: a new `Augmenter` with the same seed repeats the
    same augmentation over the same data, provided the map runs sequentially (the default
    `num_parallel_calls=None`; a parallel map may make the draws in another order). Training for
    several epochs continues the generator, so each epoch differs.

    Example:
        >>> augmenter = Augmenter(noise=data.noise, seed=0)
        >>> train = data.train.shuffle(10000, seed=0).batch(64).map(augmenter)
    """

    shift: int = MAX_SHIFT  # the largest shift either way, in samples; 0 turns shifting off
    noise: Any = None  # 1-D noise bank (noise_bank, synthetic_noise, SpeechData.noise); None turns noise off
    snr_db: tuple = (5.0, 30.0)  # dB: clearly audible to faint
    noise_probability: float = 0.8  # of noise for each example; the rest stay clean
    speed_factors: tuple | None = (0.9, 1.1)  # Ko et al.'s 0.9-1.1; None turns speed perturbation off
    seed: int = 0
    _rng: Any = field(init=False, repr=False, default=None)
    _noise: Any = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        import tensorflow as tf

        _check_int("shift", self.shift, low=0)
        _check_range("snr_db", self.snr_db)
        _check_probability("noise_probability", self.noise_probability)
        if self.speed_factors is not None:
            _check_range("speed_factors", self.speed_factors, positive=True)
        _check_int("seed", self.seed, low=0)
        if self.noise is not None:
            noise = np.asarray(self.noise, dtype=np.float32)
            if noise.ndim != 1 or noise.size == 0:
                raise ValueError(f"noise must be a 1-D, non-empty array. Received: noise of shape {noise.shape}")
            self._noise = tf.constant(noise)
        self._rng = tf.random.Generator.from_seed(self.seed)

    def __call__(self, audio, labels):
        audio = _check_batch(audio)
        if self.speed_factors is not None:
            audio = speed_perturb(audio, self.speed_factors, rng=self._rng)
        if self.shift:
            audio = time_shift(audio, self.shift, rng=self._rng)
        if self._noise is not None and self.noise_probability > 0:
            audio = add_noise(audio, self._noise, self.snr_db, self.noise_probability, rng=self._rng)
        return audio, labels
