"""A `zoo train` run killed with SIGKILL resumes where it stopped and ends exactly where an uninterrupted run ends."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ZOO = Path(sys.executable).parent / "zoo"
ARGS = ["train", "finance", "--model", "mlp_small", "--target", "direction", "--epochs", "6", "--patience", "0",
        "--window", "16"]


def test_killed_mid_training_then_started_again_ends_with_the_same_metrics(tmp_path):
    whole = subprocess.run([str(ZOO), *ARGS, "--output", str(tmp_path / "whole")], capture_output=True, text=True,
                           timeout=300)
    assert whole.returncode == 0, whole.stderr[-2000:]

    out = tmp_path / "killed"
    log = tmp_path / "killed.log"
    with open(log, "w") as f:
        process = subprocess.Popen([str(ZOO), *ARGS, "--output", str(out)], stdout=f, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 240
    try:
        while "Epoch 3/6" not in log.read_text():  # two epochs done, the third under way
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "the run never reached its third epoch"
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
    assert (out / "backup").is_dir() and not (out / "metrics.json").exists()
    done = json.loads((out / "backup" / "training_metadata.json").read_text())["epoch"]
    assert 1 <= done < 6

    again = subprocess.run([str(ZOO), *ARGS, "--output", str(out)], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"Epoch {done + 2}/6" in again.stdout and "Epoch 1/6" not in again.stdout  # resumed, not restarted
    first, second = (json.loads((d / "metrics.json").read_text()) for d in (tmp_path / "whole", out))
    assert second["metrics"] == first["metrics"] and second["baselines"] == first["baselines"]
    assert (out / "history.csv").read_text() == (tmp_path / "whole" / "history.csv").read_text()
    assert not (out / "backup").exists()
