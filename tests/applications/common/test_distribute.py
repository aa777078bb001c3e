"""keras_zoo.applications.common.distribute and `zoo train --strategy`: mirrored and multi-worker training, and bad input.

Logical CPU devices and `TF_CONFIG` must be in place before TensorFlow starts, so every training
here runs in its own process (the installed package, as users get it), with a timeout; a process
that fails or overruns is killed together with its peers, so the file can never hang. The
processes see no GPU (`CUDA_VISIBLE_DEVICES=""`): "mirrored" then runs on two logical CPUs on any
machine.
"""

import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from keras_zoo.applications.common import distribute
from tests.cli_checks import run_zoo

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

ZOO = Path(sys.executable).parent / "zoo"
TIMEOUT_S = 120  # per process; a run here takes 5-15 s
ENV = {"CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}

# A small regression through the shared training loop (`training.fit`: its callbacks, checkpoint
# and backup included), on fixed data in a fixed order (no reshuffling), so that runs can be compared
# number for number. argv: strategy, per-replica batch sizes (comma-separated; one model each; "full":
# one batch of 95 examples, which two replicas split unevenly), output. It prints one line: RESULT {json}.
TRAIN_SCRIPT = r"""
import json, sys
from pathlib import Path
from keras_zoo.applications.common import distribute

name, batches, out = sys.argv[1], [b if b == "full" else int(b) for b in sys.argv[2].split(",")], Path(sys.argv[3])
strategy = distribute.make_strategy(name)  # first: before TensorFlow sets up its devices
import numpy as np
import keras
import tensorflow as tf
from keras_zoo.applications.common import training

rng = np.random.default_rng(0)
x = rng.normal(size=(96, 6)).astype("float32")
y = (np.tanh(x @ rng.normal(size=(6, 1))) + 0.1 * x[:, :1]).astype("float32")
x_val, y_val = x[:40] + 0.05, y[:40]
chief = distribute.is_chief()
runs = []
for per_replica in batches:
    batch = distribute.global_batch_size(per_replica, strategy.num_replicas_in_sync)
    n = 95 if batch == "full" else len(x)
    folder = out / f"batch{batch}" if chief else distribute.worker_output_dir("test")
    folder.mkdir(parents=True, exist_ok=True)
    config = training.TrainConfig(epochs=5, batch_size=batch, optimizer="sgd", learning_rate=0.1, patience=None,
                                  seed=0)
    training.set_seed(config.seed)
    with strategy.scope():
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
        train_ds = tf.data.Dataset.from_tensor_slices((x[:n], y[:n])).batch(config.resolve_batch_size(n))
        fit = training.fit(model, train_ds, (x_val, y_val), config, folder, loss="mse", metrics=[], n_train=n,
                           verbose=0)
        predictions = model.predict(x_val, batch_size=16, verbose=0)  # 16, 16, 8: the last one uneven
    runs.append({"batch": batch, "loss": fit.history["loss"], "val_loss": fit.history["val_loss"],
                 "predictions": predictions[:, 0].tolist(), "folder": str(folder),
                 "checkpoint": (folder / "checkpoints" / "best.keras").is_file()})
    if not chief:
        distribute.remove_worker_output(folder)
print("RESULT " + json.dumps({"replicas": strategy.num_replicas_in_sync, "chief": chief, "runs": runs}))
"""


def free_ports(n: int) -> list[int]:
    """`n` ports free on 127.0.0.1 now (the sockets are held until all are chosen, so they differ)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def run_together(commands: list[list[str]], envs: list[dict], cwd: Path, timeout: float = TIMEOUT_S) -> list[str]:
    """Start every command at once; their stdout, once all have exited 0.

    Any that fails or runs past `timeout` fails the test, and every one still running is killed.
    Output goes to files, not pipes: a pipe left unread while waiting on another process could fill
    and stall its writer, and with it the collectives the other process waits on.
    """
    base = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    logs = [(cwd / f"process{i}.out", cwd / f"process{i}.err") for i in range(len(commands))]
    procs = []
    try:
        for command, env, (out, err) in zip(commands, envs, logs):
            with open(out, "w") as stdout, open(err, "w") as stderr:
                procs.append(subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=cwd,
                                              env={**base, **ENV, "TMPDIR": str(cwd), **env}))
        deadline = time.monotonic() + timeout
        for proc, (_, err) in zip(procs, logs):
            try:
                proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pytest.fail(f"{' '.join(map(str, proc.args[:4]))}... ran past {timeout} s:\n{err.read_text()[-3000:]}")
            if proc.returncode != 0:
                pytest.fail(f"{' '.join(map(str, proc.args[:4]))}... exited {proc.returncode}:\n"
                            f"{err.read_text()[-3000:]}")
        return [out.read_text() for out, _ in logs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def result_of(stdout: str) -> dict:
    line = next(line for line in stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def tf_config(ports: list[int], index: int) -> str:
    return json.dumps({"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
                       "task": {"type": "worker", "index": index}})


def history(folder: Path) -> dict[str, list[float]]:
    lines = (folder / "history.csv").read_text().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","))) for line in lines[1:]]
    return {k: [float(r[k]) for r in rows] for k in header if k != "epoch"}


# ---------------------------------------------------------------------------------------------
# Training on two replicas, against one


def test_two_workers_on_localhost_train_to_the_loss_of_one_worker(tmp_path):
    ports = free_ports(2)
    out = tmp_path / "out"
    command = [sys.executable, "-c", TRAIN_SCRIPT, "multi-worker", "16,full", str(out)]
    # The reference, at the same time: one process, no distribution, batch 32 (and, to show that
    # the tolerance bites, 16).
    reference = [sys.executable, "-c", TRAIN_SCRIPT, "default", "32,16", str(tmp_path / "single")]
    stdouts = run_together([command, command, reference],
                           [{"TF_CONFIG": tf_config(ports, 0)}, {"TF_CONFIG": tf_config(ports, 1)}, {}], tmp_path)
    chief, worker, single = (result_of(s) for s in stdouts)
    assert single["replicas"] == 1
    assert chief["replicas"] == worker["replicas"] == 2
    assert chief["chief"] and not worker["chief"]
    (ours, our_full), (theirs, their_full) = chief["runs"], worker["runs"]
    # The chief wrote the run; the other worker wrote to a folder of its own, deleted at its end.
    assert ours["folder"] == str(out / "batch32") and ours["checkpoint"]
    assert theirs["checkpoint"] and not Path(theirs["folder"]).exists()
    assert sorted(p.name for p in out.iterdir()) == ["batch32", "batchfull"]
    # One batch of 95 split 48 and 47 between the workers: it trains, both the same (Keras weighs the
    # two parts equally, not each example, so it is close to but not one worker's batch of 95).
    assert our_full["batch"] == "full" and our_full["loss"] == their_full["loss"]
    assert all(math.isfinite(v) for v in our_full["loss"]) and our_full["loss"][-1] < our_full["loss"][0]
    # Each step averages the two workers' gradients of 16 examples each: the gradient of the 32
    # together, as one worker with batch 32 computes it. The runs differ only by float32 rounding
    # in the order of the sums (measured: 2e-7 relative after 15 steps); 1e-4 is far above that and
    # far below what a wrong reduction gives: one worker with batch 16 (checked here) ends 68% away,
    # and gradients summed rather than averaged, or a worker training on its half alone, are as far.
    reference, wrong = single["runs"]
    assert (reference["batch"], wrong["batch"]) == (32, 16)
    for run in (ours, theirs):
        np.testing.assert_allclose(run["loss"], reference["loss"], rtol=1e-4)
        np.testing.assert_allclose(run["val_loss"], reference["val_loss"], rtol=1e-4)
        np.testing.assert_allclose(run["predictions"], reference["predictions"], rtol=1e-4, atol=1e-6)
    assert abs(wrong["loss"][-1] - reference["loss"][-1]) > 100 * 1e-4 * reference["loss"][-1]
    assert ours["loss"][-1] < 0.8 * ours["loss"][0]


# ---------------------------------------------------------------------------------------------
# The command: `zoo train vision --strategy mirrored` and `--strategy multi-worker`

VISION = ["vision", "--model", "cnn_small", "--epochs", "2", "--batch-size", "32", "--augment", "none"]


@pytest.fixture(scope="module")
def mirrored_vision(tmp_path_factory):
    root = tmp_path_factory.mktemp("mirrored_vision")
    [out] = run_together([[str(ZOO), "train", *VISION, "--strategy", "mirrored", "--output", str(root / "run")]],
                         [{}], root)
    return out, root / "run"


def test_zoo_train_vision_mirrored_on_two_logical_cpus(mirrored_vision):
    stdout, run = mirrored_vision
    assert "Strategy mirrored: 2 replicas on CPU:0, CPU:1; batch 32 per replica, 64 global" in stdout
    record = json.loads((run / "metrics.json").read_text())
    assert record["config"]["train"]["batch_size"] == 64
    loss = history(run)["loss"]
    assert all(math.isfinite(v) for v in loss) and loss[1] < loss[0], loss
    assert record["metrics"]["accuracy"] > 0.3  # 10 classes; two epochs of a small network from scratch


def test_zoo_train_vision_multi_worker_writes_the_run_on_the_chief_only(mirrored_vision, tmp_path):
    ports = free_ports(2)
    run = tmp_path / "run"
    command = [str(ZOO), "train", *VISION, "--strategy", "multi-worker", "--output", str(run)]
    chief, worker = run_together([command, command], [{"TF_CONFIG": tf_config(ports, i)} for i in range(2)], tmp_path)
    assert "Strategy multi-worker: 2 replicas, 2 workers with 1 each" in chief
    assert f"Writing to {run}" in chief and "Files in" in chief
    line = next(line for line in worker.splitlines() if line.startswith("worker 1: the chief writes the run"))
    scratch = Path(line.split("writes to ")[1].split(" (removed")[0])
    assert not scratch.exists() and "worker 1 done" in worker
    assert (run / "metrics.json").is_file() and (run / "model.keras").is_file()
    # The same 2 replicas of 32 as mirrored on one machine: the same training, epoch for epoch.
    np.testing.assert_allclose(history(run)["loss"], history(mirrored_vision[1])["loss"], rtol=1e-3)


def test_a_multi_worker_run_does_not_resume(tmp_path):
    # The other workers' backups went with their temporary folders: the chief alone would resume.
    run = tmp_path / "run"
    (run / "backup").mkdir(parents=True)
    env = {**os.environ, **ENV, "TF_CONFIG": tf_config(free_ports(1), 0)}  # a cluster of one worker
    result = subprocess.run([str(ZOO), "train", *VISION, "--strategy", "multi-worker", "--output", str(run)],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=TIMEOUT_S)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "a multi-worker run cannot resume" in _one_error_line(result.stderr)
    assert sorted(p.name for p in run.iterdir()) == ["backup"]


# ---------------------------------------------------------------------------------------------
# Bad input: one line `zoo train: error: ...`, exit status 2, no output folder


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr, stderr
    assert lines and lines[-1].startswith("zoo train: error: "), lines
    return lines[-1]


def test_an_unknown_strategy_is_refused_by_argparse(capsys, tmp_path):
    status, stderr = run_zoo(["train", "vision", "--strategy", "ring", "--output", str(tmp_path / "run")], capsys)
    assert status == 2
    line = _one_error_line(stderr)  # argparse prints its usage above the line
    assert "invalid choice: 'ring'" in line and "mirrored" in line and "multi-worker" in line
    assert not (tmp_path / "run").exists()


BAD_TF_CONFIG = [
    (None, "TF_CONFIG environment variable, which is not set"),
    ("", "TF_CONFIG environment variable, which is not set"),
    ("{not json", "TF_CONFIG is not JSON"),
    ('["worker"]', 'needs a "cluster"'),
    ('{"cluster": {"worker": ["127.0.0.1"]}, "task": {"type": "worker", "index": 0}}', "not a list of \"host:port\""),
    ('{"cluster": {"worker": ["a:1", "a:1"]}, "task": {"type": "worker", "index": 0}}', "one address to two tasks"),
    ('{"cluster": {"worker": ["a:1"], "ps": ["b:2"]}, "task": {"type": "worker", "index": 0}}', "job(s) 'ps'"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}}', 'needs a "task"'),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}', 'index" from 0 to 1'),
]


@pytest.mark.parametrize("value,words", BAD_TF_CONFIG, ids=[str(i) for i in range(len(BAD_TF_CONFIG))])
def test_multi_worker_without_a_good_tf_config(value, words, capsys, tmp_path, monkeypatch):
    if value is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", value)
    status, stderr = run_zoo(["train", "vision", "--strategy", "multi-worker", "--output", str(tmp_path / "run")],
                             capsys)
    assert status == 2
    line = _one_error_line(stderr)
    assert len(stderr.strip().splitlines()) == 1
    assert words in line, line
    assert '"task": {"type": "worker", "index": 0}' in line  # what it should look like
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args,words", [
    (["--cpu-replicas", "2"], "--cpu-replicas is for --strategy mirrored"),
    (["--strategy", "multi-worker", "--cpu-replicas", "2"], "--cpu-replicas is for --strategy mirrored"),
    (["--strategy", "mirrored", "--cpu-replicas", "0"], "--cpu-replicas takes a positive integer"),
])
def test_cpu_replicas_where_they_have_no_use(args, words, capsys, tmp_path):
    status, stderr = run_zoo(["train", "vision", *args, "--output", str(tmp_path / "run")], capsys)
    assert status == 2 and len(stderr.strip().splitlines()) == 1
    assert words in _one_error_line(stderr)
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------------------------------------
# The pieces


def test_read_tf_config_and_who_is_chief(monkeypatch):
    workers = {"worker": ["h1:1", "h2:2", "h3:3"]}
    for index, chief in ((0, True), (1, False), (2, False)):
        config = distribute.read_tf_config(json.dumps({"cluster": workers, "task": {"type": "worker", "index": index}}))
        assert distribute.is_chief(config) is chief
        assert distribute.task_name(config) == f"worker {index}"
    with_chief = {"chief": ["h0:10"], **workers}
    config = distribute.read_tf_config(json.dumps({"cluster": with_chief, "task": {"type": "chief", "index": 0}}))
    assert distribute.is_chief(config)
    config = distribute.read_tf_config(json.dumps({"cluster": with_chief, "task": {"type": "worker", "index": 0}}))
    assert not distribute.is_chief(config)  # worker 0 is not the chief when there is one
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distribute.is_chief() and distribute.task_name() == "chief"  # one process, no cluster
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": workers, "task": {"type": "worker", "index": 1}}))
    assert not distribute.is_chief()
    folder = distribute.worker_output_dir("vision")
    assert folder.is_dir() and "worker1" in folder.name
    (folder / "f").write_text("x")
    distribute.remove_worker_output(folder)
    assert not folder.exists()


def test_global_batch_size():
    assert distribute.global_batch_size(16, 2) == 32
    assert distribute.global_batch_size(16, 1) == 16
    assert distribute.global_batch_size("full", 4) == "full"
    for bad in (0, -1, 2.0, True, "16"):
        with pytest.raises(ValueError, match="per replica"):
            distribute.global_batch_size(bad, 2)


def test_make_strategy_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="Received: strategy='ring'"):
        distribute.make_strategy("ring")
    assert set(distribute.STRATEGIES) == {"default", "mirrored", "multi-worker"}


def test_splitting_the_cpu_after_tensorflow_started_is_a_clear_error():
    import tensorflow as tf

    have = tf.config.list_logical_devices("CPU")  # TensorFlow sets up its devices here, if not before
    assert distribute.configure_cpu_replicas(len(have)) == [d.name for d in have]  # already so: fine
    with pytest.raises(distribute.DeviceSetupError, match="already set up its devices"):
        distribute.configure_cpu_replicas(len(have) + 1)
