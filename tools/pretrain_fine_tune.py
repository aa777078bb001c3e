"""Pretrain on a large set of your own, fine-tune on a small one: the commands of docs/fine_tune_your_own.md.

    python tools/pretrain_fine_tune.py vision     # about 20 minutes here; needs ../shared/data/cifar10
    python tools/pretrain_fine_tune.py text       # needs data/ from tools/nlp_data.py (below)
    python tools/pretrain_fine_tune.py speech     # about 20 minutes here; needs ../shared/data/fsdd_4speakers

Each example writes plain class folders, then runs the `zoo` command a user would type, with
defaults only, and prints the commands and a Markdown table of held-out test accuracy:

- **vision**: `zoo train vision` on CIFAR-10's photographs of five classes (airplane, automobile,
  bird, cat, deer: 25,000 to train, 5,000 to test) is the run to pretrain. The small set is
  `--per-class` photographs (100 by default) of each of two classes the run never saw, dog and
  horse, from CIFAR-10's train/; the test is all 2,000 of CIFAR-10's test photographs of those two.
  For each seed, `--pretrained RUN` against `--model resnet20` from scratch, beside the best
  classical baseline of the same run. Each seed draws other training photographs.
- **text**: `zoo train nlp --model cnn_text` on 9,544 movie-review sentences (`python
  tools/nlp_data.py sentence-polarity --output data/sentence_polarity`) is the run to pretrain;
  the small set is `--per-class` customer-review sentences (50 by default) of each label, positive
  and negative (`python tools/nlp_data.py product-reviews --output data/product_reviews`), and the
  test is all 589 of that set's test sentences: the same labels in another domain. For each seed,
  `--pretrained RUN` (the run's embedding, encoder and vocabulary) against `--model cnn_text`.
- **speech**: for each of the four speakers in turn, `zoo train speech` on the other three's real
  recordings of the digits 0-4 (750 clips) is the run to pretrain; the small set is `--per-class`
  clips (5 by default) of each of the digits 5-9, drawn from those three speakers; the test is
  all of the held-out speaker's 5-9 (250 clips): new words, and a voice nobody trained on.

Nothing here is tuned: the recipes are `zoo train`'s defaults, and the test folders are read
only by the runs' final evaluation.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CIFAR10 = SHARED / "cifar10" / "cifar10-jpg.tar.gz"
FSDD = SHARED / "fsdd_4speakers"
ZOO = Path(sys.executable).parent / "zoo"  # the console script installed beside this Python

PHOTO_SOURCE = ("airplane", "automobile", "bird", "cat", "deer")
PHOTO_TARGET = ("dog", "horse")
DIGITS_SOURCE = ("0", "1", "2", "3", "4")
DIGITS_TARGET = ("5", "6", "7", "8", "9")


def zoo(*args: str, cwd: Path) -> dict:
    """Run `zoo ARGS` in `cwd` (printing the command) and return the run's metrics.json."""
    print("$ zoo " + " ".join(args), flush=True)
    result = subprocess.run([str(ZOO), *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"zoo {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    output = Path(cwd, args[args.index("--output") + 1])
    return json.loads((output / "metrics.json").read_text())


def best_baseline(record: dict) -> tuple[str, float]:
    name, scores = max(record["baselines"].items(), key=lambda item: item[1]["accuracy"])
    return name, scores["accuracy"]


def copy_photos(archive: Path, work: Path, *, per_class: int, seeds: list[int]) -> None:
    """Write work/source/{train,test}/<class>/ and, per seed, work/small<seed>/<class>/ and work/target_test/."""
    members: dict[tuple[str, str], list[tarfile.TarInfo]] = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 3 and parts[1] in PHOTO_SOURCE + PHOTO_TARGET:
                members.setdefault((parts[0], parts[1]), []).append(member)
        def write(member: tarfile.TarInfo, folder: Path) -> None:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / Path(member.name).name).write_bytes(tar.extractfile(member).read())

        for (split, name), found in sorted(members.items()):
            if name in PHOTO_SOURCE:
                for member in found:
                    write(member, work / "source" / split / name)
            elif split == "test":
                for member in found:
                    write(member, work / "target_test" / name)
            else:
                found = sorted(found, key=lambda m: m.name)
                for seed in seeds:
                    for member in random.Random(seed).sample(found, per_class):
                        write(member, work / f"small{seed}" / name)


def copy_clips(work: Path, held_out: str, *, per_class: int, seed: int) -> None:
    """Write the held-out speaker's folds: source/ (others, 0-4), small/ (others, 5-9), test/ (held_out, 5-9)."""
    for digit in DIGITS_SOURCE + DIGITS_TARGET:
        clips = sorted((FSDD / digit).glob("*.wav"))
        others = [c for c in clips if c.name.split("_")[1] != held_out]
        if digit in DIGITS_SOURCE:
            chosen = {"source": others}
        else:
            chosen = {"small": random.Random(seed).sample(others, per_class),
                      "test": [c for c in clips if c.name.split("_")[1] == held_out]}
        for folder, files in chosen.items():
            (work / folder / digit).mkdir(parents=True, exist_ok=True)
            for clip in files:
                shutil.copyfile(clip, work / folder / digit / clip.name)


def vision(args) -> list[list[str]]:
    if not CIFAR10.exists():
        raise SystemExit(f"{CIFAR10} is not on this machine: the CIFAR-10 photographs are needed")
    work = args.work / "vision"
    copy_photos(CIFAR10, work, per_class=args.per_class, seeds=args.seeds)
    # --model: without it the run would also try fine-tuning the shipped resnet20.cifar10, which
    # has seen dogs and horses; this example's point is a network that never did.
    source = zoo("train", "vision", "--data", "source/train", "--test-data", "source/test", "--model", "resnet20",
                 "--epochs", "12", "--schedule", "cosine", "--output", "runs/source", cwd=work)
    print(f"pretraining run: test accuracy {source['metrics']['accuracy']:.4f} on "
          f"{source['data']['test']} photographs, image shape {source['data'].get('image_shape')}", flush=True)
    rows = []
    for seed in args.seeds:
        common = ["--data", f"small{seed}", "--test-data", "target_test", "--seed", str(seed)]
        tuned = zoo("train", "vision", *common, "--pretrained", "runs/source", "--output", f"runs/tuned{seed}", cwd=work)
        scratch = zoo("train", "vision", *common, "--model", "resnet20", "--output", f"runs/scratch{seed}", cwd=work)
        rows.append([f"seed {seed}", tuned["metrics"]["accuracy"], scratch["metrics"]["accuracy"],
                     *best_baseline(scratch)])
    return rows


def copy_texts(source: Path, work: Path, *, per_class: int, seeds: list[int]) -> None:
    """Write work/small<seed>.csv: `per_class` rows of each label of `source`, drawn with the seed."""
    import csv

    with open(source, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    labels = sorted({row["label"] for row in rows})
    for seed in seeds:
        drawn = [row for label in labels
                 for row in random.Random(seed).sample([r for r in rows if r["label"] == label], per_class)]
        with open(work / f"small{seed}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=["text", "label"])
            writer.writeheader()
            writer.writerows({"text": row["text"], "label": row["label"]} for row in drawn)


def text(args) -> list[list[str]]:
    polarity, reviews = ROOT / "data" / "sentence_polarity", ROOT / "data" / "product_reviews"
    for folder, name in ((polarity, "sentence-polarity"), (reviews, "product-reviews")):
        if not (folder / "train.csv").exists():
            raise SystemExit(f"{folder} is missing: make it with python tools/nlp_data.py {name} --output {folder}")
    work = args.work / "text"
    work.mkdir(parents=True, exist_ok=True)
    copy_texts(reviews / "train.csv", work, per_class=args.per_class, seeds=args.seeds)
    # --model: a network with an embedding to carry over (the search could choose the solved bag).
    source = zoo("train", "nlp", "--data", str(polarity / "train.csv"), "--test-data", str(polarity / "test.csv"),
                 "--model", "cnn_text", "--output", "runs/source", cwd=work)
    print(f"pretraining run: test accuracy {source['metrics']['accuracy']:.4f} on {source['data']['test']} "
          "movie-review sentences", flush=True)
    rows = []
    for seed in args.seeds:
        common = ["--data", f"small{seed}.csv", "--test-data", str(reviews / "test.csv"), "--seed", str(seed)]
        tuned = zoo("train", "nlp", *common, "--pretrained", "runs/source", "--output", f"runs/tuned{seed}", cwd=work)
        scratch = zoo("train", "nlp", *common, "--model", "cnn_text", "--output", f"runs/scratch{seed}", cwd=work)
        rows.append([f"seed {seed}", tuned["metrics"]["accuracy"], scratch["metrics"]["accuracy"],
                     *best_baseline(scratch)])
    return rows


def speech(args) -> list[list[str]]:
    if not FSDD.exists():
        raise SystemExit(f"{FSDD} is not on this machine: the spoken digits are needed")
    speakers = sorted({clip.name.split("_")[1] for clip in (FSDD / "0").glob("*.wav")})
    rows = []
    for held_out in speakers:
        work = args.work / "speech" / held_out
        copy_clips(work, held_out, per_class=args.per_class, seed=args.seeds[0])
        zoo("train", "speech", "--data", "source", "--output", "runs/source", cwd=work)
        common = ["--data", "small", "--test-data", "test", "--seed", str(args.seeds[0])]
        tuned = zoo("train", "speech", *common, "--pretrained", "runs/source", "--output", "runs/tuned", cwd=work)
        scratch = zoo("train", "speech", *common, "--output", "runs/scratch", cwd=work)
        rows.append([f"held out: {held_out}", tuned["metrics"]["accuracy"], scratch["metrics"]["accuracy"],
                     *best_baseline(scratch)])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("example", choices=("vision", "text", "speech"))
    parser.add_argument("--per-class", type=int,
                        help="examples per class in the small set (vision 100, text 50, speech 5)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="vision: one fine-tune per seed; speech: the first seed draws the clips")
    parser.add_argument("--work", type=Path, default=Path("runs/pretrain_fine_tune"),
                        help="where the folders and runs are written (replaced)")
    args = parser.parse_args(argv)
    args.per_class = args.per_class or {"vision": 100, "text": 50, "speech": 5}[args.example]
    shutil.rmtree(args.work / args.example, ignore_errors=True)
    start = time.perf_counter()
    rows = {"vision": vision, "text": text, "speech": speech}[args.example](args)
    tuned, scratch, baseline = ([row[i] for row in rows] for i in (1, 2, 4))
    print(f"\n{args.example}: {args.per_class} training examples per class; test accuracy; "
          f"{time.perf_counter() - start:.0f} s in all\n")
    print("| | fine-tuned from the run | from scratch | best classical baseline |")
    print("|---|---|---|---|")
    for name, a, b, base_name, base in rows:
        print(f"| {name} | {a:.4f} | {b:.4f} | {base:.4f} ({base_name}) |")
    spread = (lambda v: f"{statistics.mean(v):.4f} ± {statistics.stdev(v):.4f}") if len(rows) > 1 else \
        (lambda v: f"{v[0]:.4f}")
    print(f"| **mean ± s.d.** | **{spread(tuned)}** | {spread(scratch)} | {spread(baseline)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
