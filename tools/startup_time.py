"""How long the `zoo` command takes to answer when it needs no TensorFlow: `zoo list`, `zoo info`.

    python tools/startup_time.py --repeats 10

Each command runs as a new process, as a user types it, `--repeats` times; the median and the
slowest wall-clock time are printed. The test suite asserts what makes these fast (neither command
imports TensorFlow, Keras or numpy) rather than a time, which a loaded machine would break.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (["list"], ["list", "--pretrained"], ["info", "resnet50"])


def time_command(zoo: str, args: list[str], repeats: int) -> list[float]:
    """Wall-clock seconds of `repeats` runs of `zoo ARGS`, each a new process."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([zoo, *args], check=True, stdout=subprocess.DEVNULL)
        seconds.append(time.perf_counter() - start)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    zoo = shutil.which("zoo", path=str(Path(sys.executable).parent)) or shutil.which("zoo")
    if zoo is None:
        parser.error("no `zoo` command found: install the project (make install) first")
    print(f"{'command':<24}  median s  slowest s")
    for command in COMMANDS:
        seconds = time_command(zoo, command, args.repeats)
        print(f"{'zoo ' + ' '.join(command):<24}  {statistics.median(seconds):8.3f}  {max(seconds):9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
