"""The synthetic keyword sample of the speech application, spoken by espeak-ng (Debian package `espeak-ng`).

    python tools/speech_sample.py --output applications/speech/sample/speech_commands_synthetic.npz --voices 45 --seed 0

(the shipped sample: 45 voices x 20 words = 900 clips, 4.8 MB; each voice adds about 105 kB, and
45 keeps the file under 5 MB). More voices make a larger set for pretraining, which is not
shipped: `--voices 500 --seed 1 --output data/speech_synthetic_500.npz` (a seed other than 0,
so that its voices differ from the shipped ones).

A voice is an espeak-ng English accent (`LANGUAGES`), a voice variant (`VARIANTS`, "" for none),
a speaking rate (words per minute), a pitch and a pitch range (0-99), drawn with a seeded numpy
Generator; its id reads `en-gb-scotland+f2/s160/p45/r60`. Every voice speaks every word once:

    espeak-ng -m -v en-gb-scotland+f2 -s 160 -p 45 --stdout '<speak><prosody range="60">seven</prosody></speak>'

(espeak-ng 1.51 has no pitch-range option, so the range goes in SSML). Its 22,050 Hz output is
resampled to 16 kHz, trimmed of the silence before and after the word, peak-normalised to 0.9 and
stored as 8-bit mu-law codes, without padding: `applications.speech.sample.load_sample` centres
each word in a 1 s clip. The rates are chosen so that every word fits in 1 s; one that does not
is cropped to its middle second and counted. espeak-ng gives the same samples for the same
arguments, so one seed gives identical arrays (the .npz differs only in its zip timestamps).

The speech is synthetic: no person spoke these words.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from keras_zoo.applications.speech.sample import CLIP_SAMPLES, SAMPLE_RATE, WORDS, mu_law_encode  # noqa: E402

# The English voices of espeak-ng's own synthesiser (`espeak-ng --voices=en`, folder gmw/); the
# mbrola voices there need the mbrola program and its voice files, which Debian packages apart.
LANGUAGES = ("en-gb", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd",
             "en-029", "en-us-nyc")
# `espeak-ng --voices=variant`, less: "fast" (the same samples as no variant), "caleb" and "klatt6"
# (the same as "klatt"), "Mr serious" (a space in an id), and "Marco", "AnxiousAndy" and the three
# "RicishayMax", whose slow speech or long echoes carry words to 1 s and past at the lower rates.
# Each of these speaks: a variant that failed to load would give the base voice (see "fast").
VARIANTS = (
    "", "Alex", "Alicia", "Andrea", "Andy", "Annie", "Demonic", "Denis", "Diogo", "Gene",
    "Gene2", "Henrique", "Hugo", "Jacky", "Lee", "Mario", "Michael", "Mike", "Nguyen", "Storm",
    "Tweaky", "UniRobot", "adam", "anika", "anikaRobot", "announcer", "antonio", "aunty",
    "belinda", "benjamin", "boris", "croak", "david", "ed", "edward", "edward2", "f1", "f2",
    "f3", "f4", "f5", "grandma", "grandpa", "gustave", "iven", "iven2", "iven3", "iven4",
    "john", "kaukovalta", "klatt", "klatt2", "klatt3", "klatt4", "klatt5", "linda", "m1", "m2",
    "m3", "m4", "m5", "m6", "m7", "m8", "marcelo", "max", "michel", "miguel", "norbert",
    "pablo", "paul", "pedro", "quincy", "rob", "robert", "robosoft", "robosoft2", "robosoft3",
    "robosoft4", "robosoft5", "robosoft6", "robosoft7", "robosoft8", "sandro", "shelby",
    "steph", "steph2", "steph3", "travis", "victor", "whisper", "whisperf", "zac",
)
RATE = (130, 210)  # words per minute, both ends included; espeak-ng's default is 175
PITCH = (20, 80)  # 0-99, default 50
PITCH_RANGE = (20, 80)  # 0-99, default 50; 0 is a monotone
ESPEAK_RATE = 22050
PEAK = 0.9
SILENCE_DB = -50.0  # a 10 ms frame this far below the loudest frame is silence
FRAME = SAMPLE_RATE // 100


@dataclass(frozen=True)
class Voice:
    language: str
    variant: str
    rate: int
    pitch: int
    pitch_range: int

    @property
    def id(self) -> str:
        name = f"{self.language}+{self.variant}" if self.variant else self.language
        return f"{name}/s{self.rate}/p{self.pitch}/r{self.pitch_range}"

    def command(self, word: str, espeak: str = "espeak-ng") -> list[str]:
        name = f"{self.language}+{self.variant}" if self.variant else self.language
        ssml = f'<speak><prosody range="{self.pitch_range}">{word}</prosody></speak>'
        return [espeak, "-m", "-v", name, "-s", str(self.rate), "-p", str(self.pitch), "--stdout", ssml]


def draw_voices(n: int, seed: int) -> list[Voice]:
    """`n` voices, the same for the same seed; the first `n` of a larger draw are these `n`."""
    rng = np.random.default_rng(seed)
    voices = []
    for _ in range(n):
        language, variant, rate, pitch, pitch_range = (
            LANGUAGES[rng.integers(len(LANGUAGES))], VARIANTS[rng.integers(len(VARIANTS))],
            rng.integers(RATE[0], RATE[1] + 1), rng.integers(PITCH[0], PITCH[1] + 1),
            rng.integers(PITCH_RANGE[0], PITCH_RANGE[1] + 1))
        voices.append(Voice(str(language), str(variant), int(rate), int(pitch), int(pitch_range)))
    return voices


def parse_wav(data: bytes) -> np.ndarray:
    """The 16-bit mono samples of espeak-ng's `--stdout` WAV, as floats in [-1, 1].

    Writing to a pipe, espeak-ng cannot know the length beforehand and puts 0x7ffff000 in the
    header, so the data chunk runs to the end of the stream instead.
    """
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"espeak-ng did not write a WAV file; it began with {data[:12]!r}")
    at = 12
    while at + 8 <= len(data):
        chunk, size = data[at:at + 4], int.from_bytes(data[at + 4:at + 8], "little")
        if chunk == b"fmt ":
            channels = int.from_bytes(data[at + 10:at + 12], "little")
            rate = int.from_bytes(data[at + 12:at + 16], "little")
            bits = int.from_bytes(data[at + 22:at + 24], "little")
            if (channels, rate, bits) != (1, ESPEAK_RATE, 16):
                raise ValueError(f"espeak-ng wrote {channels} channel(s) at {rate} Hz, {bits} bits; "
                                 f"expected 1 channel at {ESPEAK_RATE} Hz, 16 bits")
        elif chunk == b"data":
            body = data[at + 8:]
            return np.frombuffer(body[:len(body) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0
        at += 8 + size + size % 2
    raise ValueError("espeak-ng's WAV output has no data chunk")


def trim(x: np.ndarray) -> np.ndarray:
    """`x` from its first to its last 10 ms frame within `SILENCE_DB` of the loudest frame."""
    frames = len(x) // FRAME + (len(x) % FRAME > 0)
    padded = np.zeros(frames * FRAME)
    padded[:len(x)] = x
    rms = np.sqrt(np.mean(padded.reshape(frames, FRAME) ** 2, axis=1))
    if len(rms) == 0 or rms.max() == 0:
        return x[:0]
    loud = np.flatnonzero(rms >= rms.max() * 10 ** (SILENCE_DB / 20))
    return x[loud[0] * FRAME:min(len(x), (loud[-1] + 1) * FRAME)]


def speak(voice: Voice, word: str, espeak: str = "espeak-ng") -> tuple[np.ndarray, bool]:
    """(mu-law codes of the trimmed word at 16 kHz, whether it had to be cropped to 1 s)."""
    from scipy.signal import resample_poly

    result = subprocess.run(voice.command(word, espeak), capture_output=True, check=True)
    x = resample_poly(parse_wav(result.stdout), 320, 441)  # 22,050 Hz -> 16,000 Hz
    x = trim(x)
    if len(x) == 0 or np.abs(x).max() == 0:
        raise ValueError(f"espeak-ng gave silence for {word!r} in the voice {voice.id}")
    cropped = len(x) > CLIP_SAMPLES
    if cropped:
        cut = (len(x) - CLIP_SAMPLES) // 2
        x = x[cut:cut + CLIP_SAMPLES]
    return mu_law_encode(x / np.abs(x).max() * PEAK), cropped


def espeak_version(espeak: str = "espeak-ng") -> str:
    """"eSpeak NG text-to-speech: 1.51", without the machine's data folder that follows it."""
    out = subprocess.run([espeak, "--version"], capture_output=True, text=True, check=True).stdout
    return out.split("Data at:")[0].strip()


def make_sample(n_voices: int, seed: int, *, jobs: int | None = None, espeak: str = "espeak-ng",
                command: str = "") -> tuple[dict, int]:
    """The arrays of a sample of `n_voices` voices x 20 words, and how many words were cropped."""
    if n_voices < 1:
        raise ValueError(f"The sample needs at least one voice. Received: n_voices={n_voices}")
    voices = draw_voices(n_voices, seed)
    tasks = [(voice, label) for voice in voices for label in range(len(WORDS))]
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        spoken = list(pool.map(lambda task: speak(task[0], WORDS[task[1]], espeak), tasks))
    lengths = [len(codes) for codes, _ in spoken]
    info = {
        "description": "Synthetic speech: the 20 core words of Speech Commands, spoken by the espeak-ng "
                       "speech synthesiser, not by people. Each clip is the trimmed word at 16 kHz, "
                       "peak-normalised to 0.9, as 8-bit mu-law codes (mu = 255).",
        "generator": "tools/speech_sample.py",
        "command": command,
        "espeak_ng": espeak_version(espeak),
        "espeak_command": "espeak-ng -m -v LANGUAGE[+VARIANT] -s RATE -p PITCH --stdout "
                          "'<speak><prosody range=\"RANGE\">WORD</prosody></speak>'",
        "seed": seed,
        "voices": n_voices,
        "languages": list(LANGUAGES),
        "variants": list(VARIANTS),
        "rate_wpm": list(RATE),
        "pitch": list(PITCH),
        "pitch_range": list(PITCH_RANGE),
        "resampling": f"scipy.signal.resample_poly(x, 320, 441): {ESPEAK_RATE} Hz -> {SAMPLE_RATE} Hz",
        "silence_db": SILENCE_DB,
        "cropped_to_1s": sum(cropped for _, cropped in spoken),
    }
    arrays = {
        "audio": np.concatenate([codes for codes, _ in spoken]).astype(np.uint8),
        "offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        "labels": np.array([label for _, label in tasks], dtype=np.int64),
        "words": np.array(WORDS),
        "voices": np.array([voice.id for voice, _ in tasks]),
        "sample_rate": np.array(SAMPLE_RATE, dtype=np.int64),
        "info": np.array(json.dumps(info, indent=1)),
    }
    return arrays, info["cropped_to_1s"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", required=True, help="the .npz file to write")
    parser.add_argument("--voices", type=int, default=45, help="voices; each speaks all 20 words (default 45)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=None, help="espeak-ng processes at once (default: one a CPU)")
    args = parser.parse_args(argv)
    if args.voices < 1:
        parser.error(f"--voices must be at least 1. Received: --voices={args.voices}")
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be at least 1. Received: --jobs={args.jobs}")
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        print("speech_sample.py: espeak-ng is not on the PATH; install the Debian package espeak-ng "
              "(apt-get install espeak-ng).", file=sys.stderr)
        return 2
    from keras_zoo.files import atomic_path

    command = f"python tools/speech_sample.py --output {args.output} --voices {args.voices} --seed {args.seed}"
    start = time.perf_counter()
    arrays, cropped = make_sample(args.voices, args.seed, jobs=args.jobs, espeak=espeak, command=command)
    with atomic_path(args.output) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    size = Path(args.output).stat().st_size
    print(f"{len(arrays['labels'])} clips ({args.voices} voices x {len(WORDS)} words, {cropped} cropped to 1 s) "
          f"in {args.output}: {size:,} bytes, {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
