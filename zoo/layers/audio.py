"""Audio front end as layers: raw waveform in, log-mel or MFCC features out, saved with the model.

With these at the bottom of a model, the saved `.keras` file takes raw audio (a batch of
16 kHz waveforms in [-1, 1]) and the feature settings travel with the weights, so training and
serving cannot disagree about them. The spectral layers use `tf.signal` (TensorFlow backend);
`UtteranceNormalization` and `SpecAugment` use `keras.ops` only.

Example:
    >>> waveform = keras.Input((16000,))
    >>> x = LogMelSpectrogram()(waveform)  # (None, 98, 40)
    >>> x = UtteranceNormalization()(x)
    >>> x = SpecAugment(seed=0)(x)  # active in fit() only
    >>> outputs = keras.layers.Dense(12)(keras.layers.GlobalAveragePooling1D()(x))
    >>> model = keras.Model(waveform, outputs)
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import ops


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int. Received: {name}={value!r}")
    return value


def _check_non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0. Received: {name}={value!r}")
    return value


def frame_count(samples: int, frame_length: int = 400, frame_step: int = 160) -> int:
    """The number of whole frames in `samples` samples, with no padding: `1 + (samples - frame_length) // frame_step`.

    Args:
        samples: the length of the waveform.
        frame_length: samples per frame (400 = 25 ms at 16 kHz).
        frame_step: samples between frame starts (160 = 10 ms at 16 kHz).

    Example:
        >>> frame_count(16000)  # one second at 16 kHz
        98
    """
    _check_positive_int("samples", samples)
    _check_positive_int("frame_length", frame_length)
    _check_positive_int("frame_step", frame_step)
    if samples < frame_length:
        raise ValueError(
            f"samples must be at least frame_length ({frame_length}) to give one frame. Received: samples={samples}"
        )
    return 1 + (samples - frame_length) // frame_step


@keras.saving.register_keras_serializable(package="zoo")
class LogMelSpectrogram(keras.layers.Layer):
    """Log mel filterbank energies of a waveform: `(batch, samples[, 1]) -> (batch, frames, num_mel_bins)`.

    Hann-windowed STFT frames with no padding (`frames = frame_count(samples, frame_length,
    frame_step)`: 16,000 samples give 98), the *power* spectrum `|X|**2` (as Kaldi's fbank and
    librosa's `melspectrogram`), triangular HTK-mel filters from `tf.signal.linear_to_mel_weight_matrix`,
    then `log(mel_power + log_offset)`. Features are computed in float32 whatever the dtype policy.
    The defaults are the 25 ms / 10 ms / 40-bin front end of the keyword-spotting literature
    (Sainath & Parada 2015, https://www.isca-archive.org/interspeech_2015/sainath15b_interspeech.html).

    Args:
        sample_rate: of the input, in Hz.
        frame_length: samples per frame (400 = 25 ms at 16 kHz).
        frame_step: samples between frame starts (160 = 10 ms at 16 kHz).
        fft_length: FFT size, at least `frame_length`; `fft_length // 2 + 1` linear bins.
        num_mel_bins: the number of mel filters (features per frame).
        lower_hz: the lower edge of the lowest filter, >= 0.
        upper_hz: the upper edge of the highest filter, above `lower_hz` and at most
            `sample_rate / 2`; `None` is `0.95 * sample_rate / 2` (7600 Hz at 16 kHz), which keeps the
            top filter off the anti-aliasing roll-off near Nyquist.
        log_offset: added before the log, > 0, so silence gives `log(log_offset)` (about -13.8), not -inf.

    Example:
        >>> LogMelSpectrogram()(np.zeros((2, 16000), "float32")).shape
        TensorShape([2, 98, 40])
    """

    def __init__(
        self,
        sample_rate: int = 16000,
        frame_length: int = 400,
        frame_step: int = 160,
        fft_length: int = 512,
        num_mel_bins: int = 40,
        lower_hz: float = 20.0,
        upper_hz: float | None = None,
        log_offset: float = 1e-6,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.sample_rate = _check_positive_int("sample_rate", sample_rate)
        self.frame_length = _check_positive_int("frame_length", frame_length)
        self.frame_step = _check_positive_int("frame_step", frame_step)
        self.fft_length = _check_positive_int("fft_length", fft_length)
        self.num_mel_bins = _check_positive_int("num_mel_bins", num_mel_bins)
        if self.fft_length < self.frame_length:
            raise ValueError(
                f"fft_length must be at least frame_length ({frame_length}). Received: fft_length={fft_length}"
            )
        nyquist = sample_rate / 2
        if upper_hz is None:
            upper_hz = 0.95 * nyquist
        for name, value in (("lower_hz", lower_hz), ("upper_hz", upper_hz), ("log_offset", log_offset)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number. Received: {name}={value!r}")
        if not 0 <= lower_hz < nyquist:
            raise ValueError(f"lower_hz must be in [0, sample_rate / 2 = {nyquist:g}). Received: lower_hz={lower_hz!r}")
        if not lower_hz < upper_hz <= nyquist:
            raise ValueError(
                f"upper_hz must be above lower_hz ({lower_hz:g}) and at most sample_rate / 2 ({nyquist:g}). "
                f"Received: upper_hz={upper_hz!r}"
            )
        if not log_offset > 0:
            raise ValueError(f"log_offset must be > 0. Received: log_offset={log_offset!r}")
        self.lower_hz = float(lower_hz)
        self.upper_hz = float(upper_hz)
        self.log_offset = float(log_offset)

    def _log_mel(self, inputs):
        waveform = tf.cast(inputs, tf.float32)
        if waveform.shape.rank == 3:
            waveform = tf.squeeze(waveform, axis=-1)
        if waveform.shape.rank != 2:
            raise ValueError(
                f"{type(self).__name__} takes (batch, samples) or (batch, samples, 1) waveforms. "
                f"Received: input shape {tuple(inputs.shape)}"
            )
        self._frames(waveform.shape)  # a clip shorter than a frame has no features: refused
        stft = tf.signal.stft(
            waveform, self.frame_length, self.frame_step, self.fft_length,
            window_fn=tf.signal.hann_window, pad_end=False,
        )
        power = tf.math.square(tf.math.abs(stft))
        mel_matrix = tf.signal.linear_to_mel_weight_matrix(
            self.num_mel_bins, self.fft_length // 2 + 1, self.sample_rate, self.lower_hz, self.upper_hz
        )
        return tf.math.log(tf.tensordot(power, mel_matrix, 1) + self.log_offset)

    def call(self, inputs):
        return ops.cast(self._log_mel(inputs), self.compute_dtype)

    def _frames(self, input_shape):
        samples = input_shape[1]
        if samples is None:
            return None
        if samples < self.frame_length:
            raise ValueError(
                f"{type(self).__name__} needs waveforms of at least frame_length={self.frame_length} samples. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        return frame_count(samples, self.frame_length, self.frame_step)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self._frames(input_shape), self.num_mel_bins)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "sample_rate": self.sample_rate,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "fft_length": self.fft_length,
            "num_mel_bins": self.num_mel_bins,
            "lower_hz": self.lower_hz,
            "upper_hz": self.upper_hz,
            "log_offset": self.log_offset,
        }


@keras.saving.register_keras_serializable(package="zoo")
class MFCC(LogMelSpectrogram):
    """Mel-frequency cepstral coefficients: `(batch, samples[, 1]) -> (batch, frames, num_coefficients)`.

    The first `num_coefficients` of the DCT-II of `LogMelSpectrogram`'s output over
    `sqrt(2 * num_mel_bins)`, as HTK (`tf.signal.mfccs_from_log_mel_spectrograms`; orthonormal but
    for coefficient 0, which is `sqrt(2)` larger). Coefficient 0 (overall loudness) is kept.

    Args:
        num_coefficients: how many coefficients to keep, at most `num_mel_bins`.
        **kwargs (Any): `LogMelSpectrogram`'s arguments (`sample_rate`, `frame_length`, ..., `log_offset`)
            and the usual layer keywords.

    Example:
        >>> MFCC(num_coefficients=13)(np.zeros((2, 16000), "float32")).shape
        TensorShape([2, 98, 13])
    """

    def __init__(self, num_coefficients: int = 40, **kwargs):
        super().__init__(**kwargs)
        self.num_coefficients = _check_positive_int("num_coefficients", num_coefficients)
        if num_coefficients > self.num_mel_bins:
            raise ValueError(
                f"num_coefficients must be at most num_mel_bins ({self.num_mel_bins}). "
                f"Received: num_coefficients={num_coefficients}"
            )

    def call(self, inputs):
        mfccs = tf.signal.mfccs_from_log_mel_spectrograms(self._log_mel(inputs))
        return ops.cast(mfccs[..., : self.num_coefficients], self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self._frames(input_shape), self.num_coefficients)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_coefficients": self.num_coefficients}


@keras.saving.register_keras_serializable(package="zoo")
class UtteranceNormalization(keras.layers.Layer):
    """Per-utterance mean and variance normalisation (CMVN) of features: `(batch, time, features)`, same shape.

    Each example's every feature has its mean over time subtracted and is divided by
    `sqrt(variance over time + epsilon)`, which removes the recording's gain and channel colour from
    log-mel or MFCC features. A constant input (silence, whose log-mel is `log(log_offset)`
    everywhere) gives zeros, not NaN: the variance is 0 and `epsilon` keeps the division finite.

    Args:
        epsilon: added to the variance, > 0.

    Example:
        >>> x = UtteranceNormalization()(LogMelSpectrogram()(keras.Input((16000,))))  # (None, 98, 40)
    """

    def __init__(self, epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not epsilon > 0:
            raise ValueError(f"epsilon must be a number > 0. Received: epsilon={epsilon!r}")
        self.epsilon = float(epsilon)

    def call(self, inputs):
        x = ops.cast(inputs, "float32")  # statistics in float32 under a mixed-precision policy too
        centred = x - ops.mean(x, axis=1, keepdims=True)
        variance = ops.mean(ops.square(centred), axis=1, keepdims=True)
        return ops.cast(centred / ops.sqrt(variance + self.epsilon), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="zoo")
class SpecAugment(keras.layers.Layer):
    """Zeroes random time and frequency stripes of a spectrogram in training: `(batch, time, features)`, same shape.

    The masking half of SpecAugment (Park et al. 2019, https://arxiv.org/abs/1904.08779; no time
    warping): per example, `time_masks` stripes of `w ~ U{0..time_mask_width}` consecutive frames
    and `freq_masks` stripes of `U{0..freq_mask_width}` consecutive features, each at a uniform
    start, are set to 0. Place it after `UtteranceNormalization`, where 0 is the mean. The identity
    at inference (`training` False, as in `predict` and `evaluate`); random draws come from a
    `keras.random.SeedGenerator`, as in Keras's random preprocessing layers, so it works in `fit`.

    Args:
        time_masks: the number of time stripes per example (0 for none).
        time_mask_width: the widest time stripe, in frames.
        freq_masks: the number of frequency stripes per example (0 for none).
        freq_mask_width: the widest frequency stripe, in features.
        seed: of the random masks; `None` draws a different sequence each run.

    Example:
        >>> x = SpecAugment(seed=0)(UtteranceNormalization()(LogMelSpectrogram()(keras.Input((16000,)))))
    """

    def __init__(
        self,
        time_masks: int = 2,
        time_mask_width: int = 10,
        freq_masks: int = 2,
        freq_mask_width: int = 5,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.time_masks = _check_non_negative_int("time_masks", time_masks)
        self.time_mask_width = _check_non_negative_int("time_mask_width", time_mask_width)
        self.freq_masks = _check_non_negative_int("freq_masks", freq_masks)
        self.freq_mask_width = _check_non_negative_int("freq_mask_width", freq_mask_width)
        if seed is not None:
            _check_non_negative_int("seed", seed)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _stripes(self, batch, length, count, max_width):
        """(batch, length) booleans, True inside any of `count` random stripes of width <= max_width."""
        widths = ops.floor(keras.random.uniform((batch, count, 1), seed=self.seed_generator) * (max_width + 1))
        widths = ops.minimum(widths, ops.cast(length, "float32"))
        room = ops.cast(length, "float32") - widths + 1  # the number of possible starts
        starts = ops.floor(keras.random.uniform((batch, count, 1), seed=self.seed_generator) * room)
        positions = ops.cast(ops.arange(length), "float32")[None, None, :]
        return ops.any((positions >= starts) & (positions < starts + widths), axis=1)

    def call(self, inputs, training=False):
        if not training or (self.time_masks == 0 and self.freq_masks == 0):
            return inputs
        shape = ops.shape(inputs)
        batch, frames, features = shape[0], shape[1], shape[2]
        keep = ops.ones_like(inputs, dtype="bool")
        if self.time_masks:
            keep = keep & ~self._stripes(batch, frames, self.time_masks, self.time_mask_width)[:, :, None]
        if self.freq_masks:
            keep = keep & ~self._stripes(batch, features, self.freq_masks, self.freq_mask_width)[:, None, :]
        return ops.where(keep, inputs, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "time_masks": self.time_masks,
            "time_mask_width": self.time_mask_width,
            "freq_masks": self.freq_masks,
            "freq_mask_width": self.freq_mask_width,
            "seed": self.seed,
        }
