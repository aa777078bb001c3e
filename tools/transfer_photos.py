"""Transfer on real photographs: fine-tune the CIFAR-10 classes 0-4 checkpoint on classes 5-9.

    python tools/transfer_photos.py [--ks 10 50] [--seeds 0 1 2]

The source, `resnet20.cifar10_04` (tools/train_pretrained.py), learnt airplane, automobile, bird,
cat and deer; the target is the other five classes (dog, frog, horse, ship, truck), which it never
saw. For each k and seed, k training photographs per target class are drawn from CIFAR-10's
train/, and the same comparison as tools/transfer_digits.py is made (same recipe, not tuned here):
resnet20 from scratch, the checkpoint with a new head (backbone frozen), then fine-tuned, and
logistic regression on the raw pixels. All are measured on the 5,000 test photographs of the
target classes, which neither the source nor any target model trained on. Needs
../shared/data/cifar10.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from tools.train_pretrained import PHOTO_RECIPES, read_cifar10  # noqa: E402
from tools.transfer_digits import parse_recipe, print_table, run  # noqa: E402

SOURCE = "resnet20.cifar10_04"
TARGET_CLASSES = ("dog", "frog", "horse", "ship", "truck")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=SOURCE, help="the checkpoint to fine-tune (<model>.<tag>)")
    parser.add_argument("--test-per-class", type=int,
                        help="score on the first N test photographs of each class (a quick run; default all 1,000)")
    args = parse_recipe(parser, argv, ks=[10, 50], seeds=[0, 1, 2])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    archive = PHOTO_RECIPES[SOURCE].archive
    if not archive.exists():
        parser.error(f"{archive} is not on this machine: the CIFAR-10 photographs are needed")
    x, y, _ = read_cifar10(archive, "train", TARGET_CLASSES)
    x_test, y_test, _ = read_cifar10(archive, "test", TARGET_CLASSES)
    if args.test_per_class:
        import numpy as np

        keep = np.concatenate([np.flatnonzero(y_test == c)[:args.test_per_class] for c in np.unique(y_test)])
        x_test, y_test = x_test[keep], y_test[keep]
    data = SimpleNamespace(x_train=x / 255.0, y_train=y, x_test=x_test / 255.0, y_test=y_test)
    print(f"Source: {args.source}. Target: CIFAR-10's {', '.join(TARGET_CLASSES)}, {len(y_test)} held-out test "
          f"photographs; {len(args.seeds)} seeds; "
          f"{args.head_epochs}+{args.fine_tune_epochs} epochs.")
    results, start = {}, time.perf_counter()
    for k in args.ks:
        results[k] = [run(k, s, head_epochs=args.head_epochs, fine_tune_epochs=args.fine_tune_epochs,
                          unfreeze_top_blocks=args.unfreeze_top_blocks, data=data, source=args.source)
                      for s in args.seeds]
    print_table(results, args.seeds, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
