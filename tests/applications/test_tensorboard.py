"""`zoo train DOMAIN --tensorboard`: epoch scalars in `<run>/tensorboard/`, written by the shared training loop."""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_zoo.applications.common.quiet import VERBOSE_ENV
from keras_zoo.applications.common.training import TENSORBOARD_DIR, TrainConfig, fit

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

ZOO = Path(sys.executable).parent / "zoo"


def scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """`{tag: [(step, value), ...]}` from the event files in `folder`, oldest file first."""
    import tensorflow as tf

    found = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                found.setdefault(value.tag, []).append((event.step, float(tf.make_ndarray(value.tensor))))
    return found


def test_zoo_train_tensorboard_writes_epoch_scalars(tmp_path):
    run = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != VERBOSE_ENV}
    result = subprocess.run([str(ZOO), "train", "vision", "--epochs", "1", "--max-examples", "60", "--tensorboard",
                             "--output", str(run)], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # TensorBoard's writer adds no noise either
    train, validation = scalars(run / TENSORBOARD_DIR / "train"), scalars(run / TENSORBOARD_DIR / "validation")
    history = np.genfromtxt(run / "history.csv", delimiter=",", names=True)
    assert train["epoch_loss"] == [(0, pytest.approx(float(history["loss"]), rel=1e-5))]
    assert {"epoch_accuracy", "epoch_learning_rate"} <= set(train)
    assert validation["epoch_loss"] == [(0, pytest.approx(float(history["val_loss"]), rel=1e-5))]


# ---------------------------------------------------------------------------------------------
# The training loop, in this process: no folder without the option, and resuming with it


class StopAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("simulated interruption")


def train(folder, tensorboard, callbacks=()):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.integers(0, 2, 64)
    config = TrainConfig(epochs=3, batch_size=16, patience=None, tensorboard=tensorboard)
    return fit(model, (x, y), (x[:16], y[:16]), config, folder, loss="sparse_categorical_crossentropy",
               metrics=["accuracy"], n_train=64, callbacks=callbacks, verbose=0)


def test_no_tensorboard_folder_without_the_option(tmp_path):
    train(tmp_path, tensorboard=False)
    assert not (tmp_path / TENSORBOARD_DIR).exists()
    with pytest.raises(ValueError, match="Received: tensorboard=1"):
        TrainConfig(tensorboard=1)


@pytest.mark.parametrize("before", [True, False])
def test_a_resumed_run_logs_the_epochs_it_trains(before, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path, tensorboard=before, callbacks=[StopAt(1)])  # epoch 1 (from 1) done, then killed
    result = train(tmp_path, tensorboard=True)  # the option is not a training setting: it may change
    assert result.initial_epoch == 1 and result.epochs_run == 3
    assert not (tmp_path / "backup").exists()
    losses = scalars(tmp_path / TENSORBOARD_DIR / "train")["epoch_loss"]
    assert [step for step, _ in losses] == ([0, 1, 2] if before else [1, 2])
    assert [value for _, value in losses] == pytest.approx(result.history["loss"][0 if before else 1:], rel=1e-5)
