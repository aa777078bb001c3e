"""The speech application's embedded sample: SYNTHETIC one-second keyword clips, made by espeak-ng.

The 20 core words of Speech Commands (Warden 2018, https://arxiv.org/abs/1804.03209), each
spoken once by every one of a set of voices that `tools/speech_sample.py` draws with a fixed seed
(an espeak-ng English voice, a voice variant, a speaking rate, a pitch and a pitch range). No
clip is a recording of a person: the sample exists so that the application works offline and its
tests run anywhere, not as a stand-in for real speech.

The file keeps only each word's sound (silence trimmed), as 8-bit mu-law codes, so that it stays
small; `load_sample` decodes them and centres each word in a clip of `CLIP_SAMPLES` zeros, the
shape of a Speech Commands clip (1 s at 16 kHz). Reading it needs only numpy.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
CLIP_SAMPLES = 16000
WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
         "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SAMPLE_PATH = Path(__file__).resolve().parent / "sample" / "speech_commands_synthetic.npz"
# People saying the digits (Free Spoken Digit Dataset, CC BY-SA 4.0), in the same format: what a
# run on the synthetic sample is worth on real voices (tools/speech_real_clips.py made it).
REAL_PATH = SAMPLE_PATH.with_name("fsdd_digits_real.npz")
MU = 255  # 8-bit mu-law, as in G.711 and WaveNet

_KEYS = ("audio", "offsets", "labels", "words", "voices", "sample_rate", "info")


def mu_law_encode(x) -> np.ndarray:
    """Codes 0..255 for samples in [-1, 1] (clipped there): fine steps near zero, coarse near the peaks.

    Quiet sounds keep their detail in 8 bits, which a linear 8-bit code would round to silence.
    """
    x = np.clip(np.asarray(x, dtype=np.float64), -1.0, 1.0)
    y = np.sign(x) * np.log1p(MU * np.abs(x)) / np.log1p(MU)
    return np.floor((y + 1.0) / 2.0 * MU + 0.5).astype(np.uint8)


def mu_law_decode(codes) -> np.ndarray:
    """The float32 samples in [-1, 1] that `mu_law_encode` gave `codes` for (up to its rounding)."""
    y = np.asarray(codes, dtype=np.float64) / MU * 2.0 - 1.0
    return (np.sign(y) * np.expm1(np.abs(y) * np.log1p(MU)) / MU).astype(np.float32)


@dataclass(frozen=True)
class SpeechSample:
    """Labelled keyword clips.

    Attributes:
        audio: float32 (n, clip_samples) in [-1, 1], each word centred in zeros.
        labels: int64 (n,), indices into `words`.
        words: the class names, in label order.
        voices: str (n,), the voice that spoke each clip (e.g. "en-gb-scotland+f2/s160/p45/r60"):
            clips of one voice belong on one side of a train/test split.
        info: how the sample was made (generator, espeak-ng version, seed, command).
    """

    audio: np.ndarray
    labels: np.ndarray
    words: tuple[str, ...]
    voices: np.ndarray
    info: dict


def load_sample(path=SAMPLE_PATH, *, clip_samples: int = CLIP_SAMPLES) -> SpeechSample:
    """Read a sample written by `tools/speech_sample.py`, as clips of `clip_samples` at 16 kHz.

    Each stored word is centred in its clip; a word longer than the clip keeps its middle.

    Example:
        >>> sample = load_sample()
        >>> sample.audio.shape, sample.words[sample.labels[0]]
        ((900, 16000), 'yes')
    """
    if isinstance(clip_samples, bool) or not isinstance(clip_samples, (int, np.integer)) or clip_samples < 1:
        raise ValueError(f"clip_samples must be a positive whole number of samples. "
                         f"Received: clip_samples={clip_samples!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No speech sample at {path}: make one with tools/speech_sample.py.")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds one array, not an .npz archive of arrays")
        with loaded as npz:
            arrays = {key: npz[key] for key in _KEYS if key in npz.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a readable .npz speech sample: {error}") from error
    missing = [key for key in _KEYS if key not in arrays]
    if missing:
        raise ValueError(f"{path} is not a speech sample: it lacks {missing}; a sample holds the arrays "
                         f"{list(_KEYS)}, as tools/speech_sample.py writes them.")
    codes, offsets, labels, voices = _checked(path, arrays)
    audio = mu_law_decode(codes)
    clips = np.zeros((len(labels), clip_samples), dtype=np.float32)
    for i, (start, end) in enumerate(zip(offsets[:-1], offsets[1:])):
        word = audio[start:end]
        if len(word) > clip_samples:
            cut = (len(word) - clip_samples) // 2
            word = word[cut:cut + clip_samples]
        at = (clip_samples - len(word)) // 2
        clips[i, at:at + len(word)] = word
    return SpeechSample(audio=clips, labels=labels, words=tuple(str(w) for w in arrays["words"]),
                        voices=voices, info=json.loads(str(arrays["info"])))


def _checked(path: Path, a: dict):
    """The arrays of a sample after checking that they fit together; ValueError naming what does not."""
    def bad(what):
        return ValueError(f"{path} is a malformed speech sample: {what}.")

    codes, offsets, labels, words, voices = a["audio"], a["offsets"], a["labels"], a["words"], a["voices"]
    if codes.dtype != np.uint8 or codes.ndim != 1:
        raise bad(f"'audio' must be 1-D uint8 mu-law codes, not {codes.dtype} of shape {codes.shape}")
    if offsets.dtype.kind not in "iu" or offsets.ndim != 1 or len(offsets) < 1:
        raise bad(f"'offsets' must be 1-D integers, not {offsets.dtype} of shape {offsets.shape}")
    n = len(offsets) - 1
    if offsets[0] != 0 or offsets[-1] != len(codes) or np.any(np.diff(offsets) < 0):
        raise bad(f"'offsets' must rise from 0 to len(audio) = {len(codes)}")
    if words.dtype.kind != "U" or words.ndim != 1 or len(words) == 0:
        raise bad(f"'words' must be a 1-D string array, not {words.dtype} of shape {words.shape}")
    if labels.dtype.kind not in "iu" or labels.shape != (n,) or np.any((labels < 0) | (labels >= len(words))):
        raise bad(f"'labels' must be {n} integers in [0, {len(words)})")
    if voices.dtype.kind != "U" or voices.shape != (n,):
        raise bad(f"'voices' must be {n} strings, one a clip")
    if a["sample_rate"].shape != () or int(a["sample_rate"]) != SAMPLE_RATE:
        raise bad(f"'sample_rate' must be {SAMPLE_RATE}, not {a['sample_rate']}")
    info = a["info"]
    if info.dtype.kind != "U" or info.shape != ():
        raise bad("'info' must be one JSON string")
    try:
        if not isinstance(json.loads(str(info)), dict):
            raise ValueError("not an object")
    except ValueError as error:
        raise bad(f"'info' must be a JSON object ({error})") from error
    return codes, offsets.astype(np.int64), labels.astype(np.int64), voices
