"""Reading `.wav` files of any common kind into 16 kHz mono clips of a fixed length.

`read_wav` takes PCM at 8, 16, 24 or 32 bits and 32/64-bit float, mono or stereo, at any sample
rate (scipy reads them all; the stdlib `wave` module cannot read float files), averages the
channels and resamples with a polyphase filter. `fit_clip` pads a short clip with silence on both
sides, or keeps the loudest stretch of a long one: in a keyword clip the word is the loud part.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000  # what every model of the speech application hears
MAX_CLIP_RATIO = 10  # a file more than this many clips long is a recording, not a keyword clip: refused


class WavError(ValueError):
    """A file that is not a readable, non-empty `.wav`."""


def read_wav(path, *, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The samples of a `.wav` file as float32 in [-1, 1], mono, at `sample_rate`.

    Raises:
        WavError: a missing file, a file that is not RIFF/WAVE (or a wav encoding scipy cannot
            read, such as compressed ADPCM), or one with no samples. The message names the file.

    Example:
        >>> audio = read_wav("yes/0a7c2a8d_nohash_0.wav")   # any rate, mono or stereo
        >>> audio.dtype, audio.ndim
        (dtype('float32'), 1)
    """
    from scipy.io import wavfile

    path = Path(path)
    if not path.is_file():
        raise WavError(f"No such .wav file: {str(path)!r}. Received: path={str(path)!r}")
    if path.stat().st_size == 0:
        raise WavError(f"{str(path)!r} is empty (0 bytes): expected a .wav file. Received: path={str(path)!r}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", wavfile.WavFileWarning)  # unknown chunks (LIST, bext): harmless
            rate, data = wavfile.read(path)
    except (ValueError, EOFError, OSError, TypeError) as error:
        raise WavError(
            f"{str(path)!r} is not a readable .wav file ({error}). Accepted: RIFF/WAVE with PCM 8/16/24/32-bit or "
            f"float samples, mono or stereo, any sample rate. Received: path={str(path)!r}"
        ) from None
    if data.size == 0 or data.shape[0] == 0:
        raise WavError(f"{str(path)!r} holds no samples (a zero-length .wav). Received: path={str(path)!r}")
    audio = _to_float(data)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    return resample(audio, rate, sample_rate)


def _to_float(data: np.ndarray) -> np.ndarray:
    """Integer PCM scaled to [-1, 1] by its full scale; float samples kept as they are."""
    if data.dtype == np.uint8:  # 8-bit wav is unsigned, centred on 128
        return (data.astype(np.float32) - 128.0) / 128.0
    if np.issubdtype(data.dtype, np.integer):  # scipy gives 24-bit as left-justified int32
        return (data.astype(np.float64) / -float(np.iinfo(data.dtype).min)).astype(np.float32)
    return np.nan_to_num(data.astype(np.float32), nan=0.0, posinf=1.0, neginf=-1.0)


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """`audio` at `rate` Hz resampled to `target` Hz (polyphase, anti-aliased)."""
    if rate == target:
        return audio.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = math.gcd(int(rate), int(target))
    return resample_poly(audio, target // g, rate // g).astype(np.float32)


def fit_clip(audio: np.ndarray, length: int) -> tuple[np.ndarray, bool]:
    """`audio` made exactly `length` samples long; and whether it was cropped.

    Shorter: centred between zeros. Longer: the `length`-sample window with the most energy,
    where the spoken word is.
    """
    n = audio.shape[0]
    if n == length:
        return audio.astype(np.float32, copy=False), False
    if n < length:
        out = np.zeros(length, dtype=np.float32)
        start = (length - n) // 2
        out[start:start + n] = audio
        return out, False
    energy = np.concatenate([[0.0], np.cumsum(audio.astype(np.float64) ** 2)])
    start = int(np.argmax(energy[length:] - energy[:-length]))
    return audio[start:start + length].astype(np.float32), True


def load_clip(path, *, sample_rate: int = SAMPLE_RATE, clip_samples: int = SAMPLE_RATE) -> tuple[np.ndarray, bool]:
    """One keyword clip: `read_wav`, then `fit_clip` to `clip_samples`; and whether it was cropped.

    Raises:
        WavError: as `read_wav`, and for a file more than `MAX_CLIP_RATIO` clips long (a long
            recording: cut it into keyword clips first).
    """
    audio = read_wav(path, sample_rate=sample_rate)
    if audio.shape[0] > MAX_CLIP_RATIO * clip_samples:
        seconds = audio.shape[0] / sample_rate
        raise WavError(
            f"{str(path)!r} lasts {seconds:.1f} s: a keyword clip should last about {clip_samples / sample_rate:g} s "
            f"(longer clips are cropped to their loudest {clip_samples / sample_rate:g} s, up to "
            f"{MAX_CLIP_RATIO * clip_samples / sample_rate:g} s). Cut long recordings into clips first; background "
            f"noise belongs in a `_background_noise_` folder. Received: path={str(path)!r}"
        )
    return fit_clip(audio, clip_samples)
