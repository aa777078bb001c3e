"""Few-shot to a new speaker: k clips per word of an unheard voice, on top of a network trained without it.

    python tools/speech_speakers.py --data ../shared/data/fsdd_4speakers --pretrained ds_cnn_small.synthetic_commands \\
        --augment full --output runs/speech_speakers
    python tools/speech_few_shot.py --folds runs/speech_speakers --shots 1 5 10 --seeds 0 1

The first command is leave-one-speaker-out: its fold S is a network that never heard speaker S.
For each fold S and each seed, this tool draws a pool of `max(--shots)` clips per word of S (the
rest of S's clips are the test clips, the same for every k of that seed), and with k of them per
word trains and scores:

- `fine-tuned`: the fold's network (the recipe of the real-voice checkpoint, without S),
  fine-tuned on the k clips per word;
- `scratch`: the same network from random weights, trained on the same clips;
- `mfcc_svm`: the MFCC + SVM baseline, trained on the same clips.

The fold's network as it is (k = 0, no clip of S) is printed for reference. Both networks train
with `--augment full` (speed, shift, noise, SpecAugment), a cosine schedule and no early stopping
(there is no validation clip to stop on): the fold network at a lower learning rate for fewer
epochs, as fine-tuning does; scratch with the speech default. The recipe is fixed in this file,
not chosen on the test clips. Prints mean and standard deviation over speakers x seeds for each k,
and writes every score to `--output/results.json`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FINE_TUNE = dict(epochs=15, learning_rate=1e-3)
SCRATCH = dict(epochs=30, learning_rate=3e-3)
METHODS = ("fine-tuned", "scratch", "mfcc_svm")


def pool_and_test(labels: np.ndarray, rows: np.ndarray, pool: int, seed: int):
    """`(pool rows per class, test rows)` of one speaker's `rows`: `pool` drawn per class with `seed`."""
    rng = np.random.default_rng(seed)
    picked = {int(c): rng.permutation(rows[labels[rows] == c])[:pool] for c in np.unique(labels[rows])}
    chosen = np.concatenate(list(picked.values()))
    return picked, np.setdiff1d(rows, chosen)


def train_network(audio, labels, n_classes: int, *, model: str, seed: int, start=None, **recipe) -> object:
    """The speech model (raw audio in) trained on `audio`, from `start`'s weights when given."""
    import keras

    from keras_zoo.applications.common import training
    from keras_zoo.applications.common.training import TrainConfig
    from keras_zoo.applications.speech import pipeline

    keras.utils.set_random_seed(seed)
    config = pipeline.SpeechConfig(model=model, augment="full", train=TrainConfig(
        batch_size=64, optimizer="adam", schedule="cosine", patience=None, seed=seed, **recipe))
    wrapped, net = pipeline.build_model(config, n_classes)
    if start is not None:
        net.set_weights(start.get_weights())
    n = len(labels)
    batch_size = config.train.resolve_batch_size(n)
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((audio, labels))
    train = pipeline.batches(ds, batch_size, training=True, seed=seed, augment=pipeline.augmenter(config, None), n=n)
    with tempfile.TemporaryDirectory() as out:
        training.fit(wrapped, train, None, config.train, out, loss="sparse_categorical_crossentropy",
                     metrics=["accuracy"], n_train=n * pipeline.epoch_repeats(n, batch_size), verbose=0)
    return wrapped


def accuracy(model, audio, labels) -> float:
    return float(np.mean(np.argmax(model.predict(audio, batch_size=256, verbose=0), axis=-1) == labels))


def fold_network(run: Path):
    """The registry network inside a finished `zoo train speech` run (its `model.keras`)."""
    import keras

    from keras_zoo.applications.common.runs import load_run

    model, _ = load_run(run, "speech")
    return model, next(layer for layer in model.layers if isinstance(layer, keras.Model))


def svm_accuracy(audio, labels, test_audio, test_labels, class_names, seed: int) -> float:
    import tensorflow as tf

    from keras_zoo.applications.speech.baselines import mfcc_svm

    as_ds = lambda a, y: tf.data.Dataset.from_tensor_slices((a, y))
    return float(mfcc_svm(as_ds(audio, labels), as_ds(test_audio, test_labels), class_names, seed=seed)["accuracy"])


def run(folds: Path, data: str | None, shots: list[int], seeds: list[int], epochs: int | None = None) -> list[dict]:
    from tools.speech_speakers import read_folder

    summary = json.loads((folds / "results.json").read_text())
    audio, labels, speakers, class_names = read_folder(data or summary["data"])
    fine_tune, scratch = ({**recipe, "epochs": epochs or recipe["epochs"]} for recipe in (FINE_TUNE, SCRATCH))
    rows = []
    for fold in summary["folds"]:
        speaker, (model, net) = fold["speaker"], fold_network(Path(fold["run"]))
        mine = np.flatnonzero(speakers == speaker)
        for seed in seeds:
            picked, test = pool_and_test(labels, mine, max(shots), seed)
            row = {"speaker": speaker, "seed": seed, "test": int(len(test)),
                   "zero_shot": accuracy(model, audio[test], labels[test])}
            for k in shots:
                train = np.concatenate([rows_of_class[:k] for rows_of_class in picked.values()])
                x, y, tx, ty = audio[train], labels[train], audio[test], labels[test]
                start = time.perf_counter()
                row[f"k{k}"] = {
                    "fine-tuned": accuracy(train_network(x, y, len(class_names), model=summary["model"], seed=seed,
                                                         start=net, **fine_tune), tx, ty),
                    "scratch": accuracy(train_network(x, y, len(class_names), model=summary["model"], seed=seed,
                                                      **scratch), tx, ty),
                    "mfcc_svm": svm_accuracy(x, y, tx, ty, class_names, seed),
                    "seconds": round(time.perf_counter() - start, 1)}
                print(f"{speaker} seed {seed} k={k}: " + ", ".join(f"{m} {row[f'k{k}'][m]:.3f}" for m in METHODS)
                      + f" (zero-shot {row['zero_shot']:.3f}, {row[f'k{k}']['seconds']:.0f} s)", flush=True)
            rows.append(row)
    return rows


def table(rows: list[dict], shots: list[int]) -> str:
    def cell(values):
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f} ± {spread:.3f}"

    lines = ["| clips per word | fine-tuned | scratch | mfcc_svm |", "|---|---|---|---|",
             f"| 0 (the fold network as it is) | {cell([r['zero_shot'] for r in rows])} | | |"]
    lines += [f"| {k} | " + " | ".join(cell([r[f'k{k}'][m] for r in rows]) for m in METHODS) + " |" for k in shots]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=Path, required=True, help="the --output folder of tools/speech_speakers.py")
    parser.add_argument("--data", help="the clips' folder (default: the one the folds were trained on)")
    parser.add_argument("--shots", type=int, nargs="+", default=[1, 5, 10], help="clips per word to train on")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, help=f"epochs of every network, for a quick run (default: "
                        f"{FINE_TUNE['epochs']} fine-tuning, {SCRATCH['epochs']} from scratch)")
    parser.add_argument("--output", type=Path, help="where results.json goes (default: --folds/few_shot)")
    args = parser.parse_args(argv)
    if min(args.shots) < 1:
        parser.error(f"--shots are clips per word, each at least 1. Received: {args.shots}")
    start = time.perf_counter()
    rows = run(args.folds, args.data, sorted(set(args.shots)), args.seeds, args.epochs)
    print()
    print(table(rows, sorted(set(args.shots))))
    print(f"\n{len(rows)} speaker x seed runs in {(time.perf_counter() - start) / 60:.1f} min")
    output = args.output or args.folds / "few_shot"
    output.mkdir(parents=True, exist_ok=True)
    (output / "results.json").write_text(json.dumps({"folds": str(args.folds), "shots": args.shots, "seeds": args.seeds,
                                                     "fine_tune": FINE_TUNE, "scratch": SCRATCH, "rows": rows},
                                                    indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
