"""Speed, FLOPs and memory of registry models on this machine: `zoo benchmark`, as a script.

    python tools/benchmark.py resnet50 --input-shape 224 224 3 --batch-size 8 --reference --csv runs/bench.csv
    python tools/benchmark.py 'resnet2*' 'mlp_*' --xla both
    python tools/benchmark.py resnet50 vit_tiny --input-shape 224 224 3 --batch-size 8 --xla off --reference torch

Every number is measured in this run, on this machine: throughputs come from the median time of a
step (training) or a batch (inference) over repeated timed runs after a warm-up, and the
reference (keras.applications' twin of a model, `--reference`, or PyTorch's, `--reference torch`,
which needs `pip install ".[torch]"`) runs in the same process with the same settings. See `zoo/benchmark.py` for what each column means.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from keras_zoo.applications import cli

    return cli.main(["benchmark", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
