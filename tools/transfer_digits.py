"""Transfer shown, not claimed: fine-tune the digits 0-4 checkpoint on digits 5-9 with k labels each.

    python tools/transfer_digits.py [--ks 1 5 10] [--seeds 0 1 2 3 4]

For each k and seed, k training images per class of digits 5-9 are drawn; three models learn from
exactly those images with the same number of epochs:

- scratch:   resnet20 with random weights, every layer trained;
- head only: the resnet20.digits04 checkpoint (trained on digits 0-4 only) with a new head, the
             backbone frozen (a linear probe of its features);
- fine-tune: the same, then the top of the backbone unfrozen at a 10x lower learning rate
             (zoo.transfer.fine_tune, the Keras transfer-learning recipe);

and, as the classical baseline, logistic regression on the raw pixels of the same images.

All are measured on the held-out test images of digits 5-9, which no model, source or target, ever
trained on. The table gives the mean and standard deviation over seeds, and the margin of
fine-tuning over scratch with its spread over the paired seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

SOURCE = "resnet20.digits04"
TARGET_CLASSES = (5, 6, 7, 8, 9)


def few_shot(x, y, k, seed):
    """k examples of each class, drawn with `seed`."""
    import numpy as np

    rng = np.random.default_rng(seed)
    index = np.concatenate([rng.choice(np.flatnonzero(y == c), size=k, replace=False) for c in np.unique(y)])
    return x[index], y[index]


def accuracy(model, x, y) -> float:
    import numpy as np

    return float(np.mean(np.argmax(model.predict(x, verbose=0, batch_size=256), axis=-1) == y))


def run(k: int, seed: int, *, head_epochs: int, fine_tune_epochs: int, unfreeze_top_blocks: int, data,
        source: str = SOURCE) -> dict:
    """Scratch, head only, fine-tuned from `source` and logistic regression on k images a class of
    `data` (`x_train`, `y_train`, `x_test`, `y_test`: the target task), each scored on its test split."""
    import keras
    import numpy as np

    import keras_zoo as zoo
    import keras_zoo.transfer

    x, y = few_shot(data.x_train, data.y_train, k, seed)
    batch = min(32, len(x))
    epochs = head_epochs + fine_tune_epochs
    result = {}

    keras.utils.set_random_seed(seed)
    classes = len(np.unique(data.y_train))
    scratch = zoo.create_model("resnet20", num_classes=classes, input_shape=x.shape[1:])
    scratch.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    scratch.fit(x, y, epochs=epochs, batch_size=batch, verbose=0)
    result["scratch"] = accuracy(scratch, data.x_test, data.y_test)

    keras.utils.set_random_seed(seed)
    model = zoo.create_model(source, num_classes=classes)  # the checkpoint, a new head
    # Phase 1: the head alone; phase 2: the top blocks too, at a 10x lower learning rate.
    zoo.transfer.fine_tune(model, (x, y), head_epochs=head_epochs, fine_tune_epochs=0, batch_size=batch,
                           head_learning_rate=1e-2)
    result["head_only"] = accuracy(model, data.x_test, data.y_test)
    zoo.transfer.fine_tune(model, (x, y), head_epochs=0, fine_tune_epochs=fine_tune_epochs, batch_size=batch,
                           unfreeze_top_blocks=unfreeze_top_blocks, fine_tune_learning_rate=1e-3)
    result["fine_tune"] = accuracy(model, data.x_test, data.y_test)

    # The classical baseline on the same k images: logistic regression on the raw pixels.
    from sklearn.linear_model import LogisticRegression

    pixels = LogisticRegression(max_iter=5000).fit(x.reshape(len(x), -1), y)
    result["logistic_pixels"] = float(np.mean(pixels.predict(data.x_test.reshape(len(data.x_test), -1)) == data.y_test))
    return result


def print_table(results: dict, seeds: list[int], seconds: float) -> None:
    """The markdown table of `{k: [run(...) per seed]}`: mean ± standard deviation in %."""
    import numpy as np

    def cell(values):
        return f"{100 * np.mean(values):.1f} ± {100 * np.std(values):.1f}"

    print("\n| k per class | resnet20 from scratch | checkpoint, head only | checkpoint, fine-tuned "
          "| fine-tuned - scratch | logistic regression on pixels |")
    print("|---|---|---|---|---|---|")
    for k, runs in results.items():
        cols = {m: [r[m] for r in runs] for m in runs[0]}
        margin = np.array(cols["fine_tune"]) - np.array(cols["scratch"])
        print(f"| {k} | {cell(cols['scratch'])} | {cell(cols['head_only'])} | {cell(cols['fine_tune'])} | "
              f"{100 * margin.mean():+.1f} ± {100 * margin.std():.1f} | {cell(cols['logistic_pixels'])} |")
    print(f"\nTest accuracy in %, mean ± standard deviation over seeds {seeds}; {seconds:.0f} s in all.")


def parse_recipe(parser: argparse.ArgumentParser, argv, *, ks: list[int], seeds: list[int]) -> argparse.Namespace:
    """The comparison's options (k, seeds, the two phases' epochs), parsed and checked."""
    parser.add_argument("--ks", type=int, nargs="+", default=ks, help="labelled examples per class")
    parser.add_argument("--seeds", type=int, nargs="+", default=seeds)
    parser.add_argument("--head-epochs", type=int, default=60)
    parser.add_argument("--fine-tune-epochs", type=int, default=60)
    parser.add_argument("--unfreeze-top-blocks", type=int, default=10,
                        help="blocks trained in phase 2; resnet20 has 10 (the stem and 9 residual blocks)")
    args = parser.parse_args(argv)
    if len(args.seeds) < 1 or min(args.ks) < 1:
        parser.error("need at least one seed and k >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the per-seed results here")
    args = parse_recipe(parser, argv, ks=[1, 5, 10], seeds=[0, 1, 2, 3, 4])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from keras_zoo.applications.vision.data import digits_splits

    data = digits_splits(classes=TARGET_CLASSES, seed=0)
    print(f"Source: {SOURCE} (digits 0-4). Target: digits 5-9, {len(data.x_test)} held-out test images; "
          f"{len(args.seeds)} seeds; {args.head_epochs}+{args.fine_tune_epochs} epochs.")
    results, start = {}, time.perf_counter()
    for k in args.ks:
        results[k] = [run(k, s, head_epochs=args.head_epochs, fine_tune_epochs=args.fine_tune_epochs,
                          unfreeze_top_blocks=args.unfreeze_top_blocks, data=data) for s in args.seeds]

    print_table(results, args.seeds, time.perf_counter() - start)
    if args.json:
        from keras_zoo.files import atomic_path

        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps({str(k): v for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
