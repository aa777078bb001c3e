"""Regenerate `results/results-<domain>.csv`: every shipped checkpoint re-measured by `zoo validate`.

    python tools/results.py [--domains vision speech nlp] [--output results]

One row per checkpoint whose card `zoo validate` can re-measure on data at hand (as timm's
results/*.csv from its validate.py): the data, the metric measured now beside the card's, the
parameter count, inference throughput on this machine (examples a second, batch 256, median of 3
passes over at most 2,048 of the examples, after a warm-up batch), the date and the command that reproduces the value.
CIFAR-10's test photographs are read from ../shared/data/cifar10 (unpacked into a temporary
folder); without them that row is left out, and said so. The movie-review test sentences are read
from data/sentence_polarity (python tools/nlp_data.py sentence-polarity --output data/sentence_polarity),
likewise.

Not listed: `resnet20.digits04` and `resnet20.cifar10_04` (trained on five of the ten classes, a
subset that `zoo validate` does not cut from the data) and `ds_cnn_small.fsdd_digits`, whose card
is leave-one-speaker-out (tools/speech_speakers.py): the data at hand is the data it trained on.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

CIFAR10 = ROOT.parent / "shared" / "data" / "cifar10" / "cifar10-jpg.tar.gz"
POLARITY_TEST = ROOT / "data" / "sentence_polarity" / "test.csv"
# (domain, checkpoint, --data as the command takes it; "{cifar10_test}" is the unpacked test folder)
ROWS = [
    ("vision", "cnn_small.digits", "sample"),
    ("vision", "resnet20.digits", "sample"),
    ("vision", "resnet20.cifar10", "{cifar10_test}"),
    ("speech", "ds_cnn_small.synthetic_commands", "sample"),
    ("nlp", "cnn_text.sentence_polarity", "data/sentence_polarity/test.csv"),
]
FIELDS = ["checkpoint", "data", "examples", "metric", "value", "card_value", "params", "examples_per_s", "date",
          "command"]


def throughput(model, inputs, batch_size: int = 256, repeats: int = 3, limit: int = 2048) -> float:
    """Examples a second of `model.predict` over (the first `limit` of) `inputs`: the median of `repeats` passes."""
    inputs = inputs[:limit]
    model.predict(inputs[:batch_size], batch_size=batch_size, verbose=0)  # build and trace first
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(inputs, batch_size=batch_size, verbose=0)
        times.append(time.perf_counter() - start)
    return len(inputs) / statistics.median(times)


def measure(domain: str, name: str, data: str, shown: str) -> dict:
    """One row: `zoo validate DOMAIN NAME --data DATA`, and the network's speed on that data."""
    import keras_zoo as zoo
    from keras_zoo import checkpoints
    from keras_zoo.applications import domains
    from keras_zoo.applications.common.sources import parse_source

    result = domains.get(domain).validate(name, data)
    classifier = domains.pipeline(domain).CLASSIFIER
    ckpt = checkpoints.find(name)
    model, record = classifier.checkpoint_run(zoo.create_model(ckpt.model, pretrained=str(ckpt.path)), ckpt)
    inputs = classifier.read_test(parse_source(data), record, 0).inputs
    if domain == "nlp":  # the model takes a tensor of strings
        import tensorflow as tf

        inputs = tf.constant([str(text) for text in inputs])
    return {"checkpoint": name, "data": shown, "examples": result["test"], "metric": "accuracy",
            "value": round(result["metrics"]["accuracy"], 4), "card_value": result["card"].get("accuracy"),
            "params": model.count_params(), "examples_per_s": round(throughput(model, inputs), 1),
            "date": datetime.date.today().isoformat(), "command": f"zoo validate {domain} {name} --data {shown}"}


def write_csv(path: Path, rows: list[dict]) -> None:
    """The table, written to a temporary file and renamed: never a half-written CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", nargs="+", default=["vision", "speech", "nlp"],
                        choices=["vision", "speech", "nlp"])
    parser.add_argument("--output", type=Path, default=ROOT / "results", help="folder of results-<domain>.csv")
    parser.add_argument("--checkpoints", nargs="+", help="only these rows (default: every one)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["ZOO_OFFLINE"] = "1"  # shipped checkpoints never need the network
    with tempfile.TemporaryDirectory() as unpacked:
        if CIFAR10.exists():
            with tarfile.open(CIFAR10) as tar:
                tar.extractall(unpacked, members=[m for m in tar if m.name.startswith("test/")], filter="data")
        for domain in args.domains:
            rows = []
            for row_domain, name, data in ROWS:
                if row_domain != domain or (args.checkpoints and name not in args.checkpoints):
                    continue
                if "{cifar10_test}" in data and not CIFAR10.exists():
                    print(f"{name}: left out, {CIFAR10} is not on this machine")
                    continue
                if data == "data/sentence_polarity/test.csv" and not POLARITY_TEST.exists():
                    print(f"{name}: left out, {POLARITY_TEST} is not made (tools/nlp_data.py sentence-polarity)")
                    continue
                shown = data.format(cifar10_test="cifar10/test")  # as the README unpacks it
                path = data.format(cifar10_test=f"{unpacked}/test")
                rows.append(measure(domain, name, str(ROOT / path) if path.startswith("data/") else path, shown))
            write_csv(args.output / f"results-{domain}.csv", rows)
            print(f"{args.output / f'results-{domain}.csv'}: {len(rows)} checkpoints")
    return 0


if __name__ == "__main__":
    sys.exit(main())
