"""A `zoo train` run killed with SIGKILL resumes where it stopped and ends exactly where an uninterrupted run ends.

The run trains two targets, one after the other (direction, then volatility in `OUTPUT/volatility/`).
It is killed twice: during the first target's third epoch, and after a restart, during the second
target's third epoch. Each restart resumes the target it interrupted from its last completed epoch
(the first, already finished, is trained again from its seed, to the same weights).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

ZOO = Path(sys.executable).parent / "zoo"
ARGS = ["train", "finance", "--model", "mlp_small", "--target", "direction", "volatility", "--epochs", "6",
        "--patience", "0", "--window", "16"]


def _kill_when(out: Path, log: Path, ready) -> None:
    """Start the run writing to `out`; SIGKILL it as soon as `ready(log text)` holds."""
    with open(log, "w") as f:
        process = subprocess.Popen([str(ZOO), *ARGS, "--output", str(out)], stdout=f, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 240
    try:
        while not ready(log.read_text()):
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "the run never reached the point to kill it at"
            time.sleep(0.05)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)


def _epochs_done(backup: Path) -> int:
    return json.loads((backup / "training_metadata.json").read_text())["epoch"]


def test_killed_twice_mid_training_then_started_again_ends_with_the_same_metrics(tmp_path):
    whole = subprocess.run([str(ZOO), *ARGS, "--output", str(tmp_path / "whole")], capture_output=True, text=True,
                           timeout=300)
    assert whole.returncode == 0, whole.stderr[-2000:]

    out = tmp_path / "killed"
    # 1. During the first target's third epoch (two epochs done).
    _kill_when(out, tmp_path / "first.log", lambda text: "Epoch 3/6" in text)
    assert (out / "INCOMPLETE").is_file() and not (out / "metrics.json").exists()
    done = _epochs_done(out / "backup")
    assert 1 <= done < 6

    # 2. Started again: it resumes, finishes the first target, and is killed in the second's third epoch.
    log = tmp_path / "second.log"
    _kill_when(out, log, lambda text: "direction: " in text and "Epoch 3/6" in text.split("direction: ", 1)[1])
    text = log.read_text()
    assert "Resuming the interrupted run" in text and f"Epoch {done + 1}/6" in text and "Epoch 1/6" not in text.split(
        "direction: ")[0]  # resumed, not restarted
    assert not (out / "backup").exists()  # the first target's training ended
    done = _epochs_done(out / "volatility" / "backup")
    assert 1 <= done < 6

    # 3. Started again: the first target is trained again from its seed; the second resumes.
    again = subprocess.run([str(ZOO), *ARGS, "--output", str(out)], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"Epoch {done + 1}/6" in again.stdout.split("direction: ")[1]
    assert "Epoch 1/6" not in again.stdout.split("direction: ")[1]
    first, second = (json.loads((d / "metrics.json").read_text()) for d in (tmp_path / "whole", out))
    assert second["metrics"] == first["metrics"] and second["baselines"] == first["baselines"]
    for target, record in first["per_target"].items():  # all but the timings
        untimed = {k: v for k, v in record.items() if not k.endswith("_s")}
        assert {k: v for k, v in second["per_target"][target].items() if not k.endswith("_s")} == untimed
    assert (out / "history.csv").read_text() == (tmp_path / "whole" / "history.csv").read_text()
    assert not (out / "INCOMPLETE").exists() and not list(out.rglob("backup"))


def test_a_run_that_fails_after_an_epoch_keeps_it_and_the_same_command_resumes(tmp_path, monkeypatch, capsys):
    import errno

    from keras_zoo.applications.common import training
    from tests.cli_checks import run_zoo

    write_json = training.write_json

    def disk_full_in_epoch_2(path, data):  # the progress record of the second epoch cannot be written
        if Path(path).name == "progress.json" and len(data["elapsed_s"]) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return write_json(path, data)

    out = tmp_path / "run"
    args = ["train", "finance", "--model", "mlp_small", "--target", "direction", "--epochs", "3", "--patience", "0",
            "--window", "16", "--output", str(out)]
    monkeypatch.setattr(training, "write_json", disk_full_in_epoch_2)
    status, stderr = run_zoo(args, capsys)
    lines = stderr.strip().splitlines()
    assert status == 2 and len(lines) == 1 and "Traceback" not in stderr, stderr
    assert "No space left on device" in lines[0] and "run the same command again to resume" in lines[0]
    assert _epochs_done(out / "backup") == 1 and (out / "INCOMPLETE").is_file()

    monkeypatch.setattr(training, "write_json", write_json)  # space again
    status, stderr = run_zoo(args, capsys)
    assert status == 0, stderr[-2000:]
    record = json.loads((out / "metrics.json").read_text())
    assert record["per_target"]["direction"]["epochs_run"] == 3 and not (out / "INCOMPLETE").exists()
    assert len((out / "history.csv").read_text().strip().splitlines()) == 1 + 3  # header, then epochs 1-3
