"""The real-voice clips that `zoo demo speech` ends on: people saying digits, from the Free Spoken Digit Dataset.

    python tools/speech_real_clips.py --data ../shared/data/fsdd_4speakers \\
        --output applications/speech/sample/fsdd_digits_real.npz --per-digit 5

(the shipped file: 4 speakers x 10 digits x 5 recordings = 200 clips, about 1.2 MB). The demo's
model is trained on synthetic voices only; these clips say how it does on people it has never
heard. The clips are the first `--per-digit` recordings (by their index in the file name) of each
speaker and digit, read as `zoo train speech --data` reads a wav (resampled from 8 kHz to 16 kHz),
and stored unchanged otherwise, as 8-bit mu-law codes in the format of the synthetic sample
(`applications.speech.sample.load_sample` reads both). Labels are the words "zero".."nine", the
synthetic sample's names of the digits.

The recordings are CC BY-SA 4.0 (Jakobovski et al., Free Spoken Digit Dataset); the file's README
and its `info` say so.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from keras_zoo.applications.speech.sample import SAMPLE_RATE, mu_law_encode  # noqa: E402

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
FILE_NAME = re.compile(r"^(?P<digit>\d)_(?P<speaker>[^_]+)_(?P<index>\d+)\.wav$")
LICENCE = ("Free Spoken Digit Dataset (Jakobovski et al., github.com/Jakobovski/free-spoken-digit-dataset), "
           "CC BY-SA 4.0 (creativecommons.org/licenses/by-sa/4.0); resampled to 16 kHz and mu-law coded here")


def pick(data: Path, per_digit: int) -> list[tuple[Path, int, str]]:
    """`(file, digit, speaker)` of the first `per_digit` recordings of each speaker and digit."""
    found: dict[tuple[int, str], list[tuple[int, Path]]] = {}
    for file in sorted(data.rglob("*.wav")):
        match = FILE_NAME.match(file.name)
        if match:
            key = (int(match["digit"]), match["speaker"])
            found.setdefault(key, []).append((int(match["index"]), file))
    if not found:
        raise ValueError(f"No <digit>_<speaker>_<index>.wav files under {str(data)!r}. Received: --data {data}")
    short = sorted(f"{d}/{s}" for (d, s), files in found.items() if len(files) < per_digit)
    if short:
        raise ValueError(f"Fewer than {per_digit} recordings for {short}. Received: --per-digit {per_digit}")
    by_speaker = sorted(found.items(), key=lambda item: (item[0][1], item[0][0]))  # speaker, then digit
    return [(file, digit, speaker) for (digit, speaker), files in by_speaker for _, file in sorted(files)[:per_digit]]


def make_clips(data: Path, per_digit: int, command: str = "") -> dict:
    """The arrays of the real-clip file (the synthetic sample's format)."""
    from keras_zoo.applications.speech.wav import read_wav

    chosen = pick(data, per_digit)
    codes = [mu_law_encode(np.clip(read_wav(file, sample_rate=SAMPLE_RATE), -1, 1)) for file, _, _ in chosen]
    info = {"description": "Real speech: people saying the digits 0-9, recorded at 8 kHz, resampled to 16 kHz, "
                           "as 8-bit mu-law codes (mu = 255); labels are the words zero..nine.",
            "licence": LICENCE, "generator": "tools/speech_real_clips.py", "command": command,
            "per_digit": per_digit, "speakers": sorted({s for _, _, s in chosen}),
            "files": [file.name for file, _, _ in chosen]}
    return {"audio": np.concatenate(codes).astype(np.uint8),
            "offsets": np.concatenate([[0], np.cumsum([len(c) for c in codes])]).astype(np.int64),
            "labels": np.array([digit for _, digit, _ in chosen], dtype=np.int64),
            "words": np.array(DIGIT_WORDS), "voices": np.array([s for _, _, s in chosen]),
            "sample_rate": np.array(SAMPLE_RATE, dtype=np.int64), "info": np.array(json.dumps(info, indent=1))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a folder of <digit>_<speaker>_<index>.wav files")
    parser.add_argument("--output", required=True, help="the .npz file to write")
    parser.add_argument("--per-digit", type=int, default=5, help="recordings of each digit by each speaker")
    args = parser.parse_args(argv)
    if args.per_digit < 1:
        parser.error(f"--per-digit must be at least 1. Received: --per-digit={args.per_digit}")
    from keras_zoo.files import atomic_path

    start = time.perf_counter()
    command = (f"python tools/speech_real_clips.py --data {args.data} --output {args.output} "
               f"--per-digit {args.per_digit}")
    try:
        arrays = make_clips(args.data, args.per_digit, command)
    except ValueError as error:
        print(f"speech_real_clips.py: {error}", file=sys.stderr)
        return 2
    with atomic_path(args.output) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)
    print(f"{len(arrays['labels'])} clips in {args.output}: {Path(args.output).stat().st_size:,} bytes, "
          f"{time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
