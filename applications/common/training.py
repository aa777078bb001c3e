"""The training loop every application shares: optimizer and schedule, callbacks, resume, timing.

`fit` compiles a model and trains it with:

- early stopping on `val_loss` (or another `monitor`, such as a ranking score that an
  `epoch_metrics` callback adds to the epoch's logs), restoring the best weights (`patience`;
  None turns it off);
- `output_dir/checkpoints/best.keras`: the best model by the monitored value (or the last epoch's
  without validation data), written atomically;
- a backup in `output_dir/backup` (Keras' `BackupAndRestore`, with every file written atomically):
  a run killed and started again with the same output folder resumes after its last completed
  epoch, the history and timing of the epochs already run included (kept in
  `backup/progress.json`); the folder is deleted when training ends;
- a NaN/inf loss stops training at once with `NaNLossError` naming the epoch and batch;
- the batch norms' statistics recomputed before each validation while their moving averages are
  young (`precise_bn`), so that a short run or a fine-tune is judged, and saved, with statistics
  that describe its weights;
- with `TrainConfig(tensorboard=True)` (`zoo train --tensorboard`), TensorBoard logs in
  `output_dir/tensorboard/`: loss, metrics and learning rate per epoch.

Progress: a bar per epoch when standard output is a terminal, one line per epoch otherwise
(`progress_verbosity`).

Epochs and batches are counted from 1 in messages, `best_epoch` and `history.csv`, as Keras' own
progress lines ("Epoch 3/20") count them.

Example:
    >>> config = TrainConfig(epochs=10, optimizer="sgd", learning_rate=0.1, schedule="cosine", warmup_epochs=1)
    >>> set_seed(config.seed)
    >>> model = zoo.create_model("resnet20", num_classes=10, input_shape=(32, 32, 3))
    >>> result = fit(model, train_ds, val_ds, config, out, loss="sparse_categorical_crossentropy",
    ...              metrics=["accuracy"], steps_per_epoch=len(train_ds), n_train=50_000)
    >>> result.history["val_accuracy"][result.best_epoch - 1]
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from keras_zoo.applications.common.precise_bn import MAX_EXAMPLES, PreciseBatchNorm, batch_norms
from keras_zoo.applications.common.report import BACKUP_DIR, BACKUP_METADATA, to_jsonable, write_json
from keras_zoo.files import atomic_path

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("constant", "step", "cosine")
SGD_MOMENTUM = 0.9
STEP_DROPS = (0.5, 0.75)  # "step": the learning rate is multiplied by 0.1 at these fractions of training
CHECKPOINT_DIR = "checkpoints"
BEST_FILE = "best.keras"
TENSORBOARD_DIR = "tensorboard"
PROGRESS_FILE = "progress.json"


@dataclass
class TrainConfig:
    """How to train: epochs, batch, optimizer, learning-rate schedule, early stopping, seed.

    Args:
        epochs: the most epochs to train (early stopping may end sooner).
        batch_size: examples per step, or `"full"`: the whole training set in one batch (batch
            gradient descent).
        optimizer: one of `OPTIMIZERS`; `sgd` uses momentum 0.9 (not Nesterov).
        learning_rate: the peak learning rate.
        schedule: `"constant"`; `"step"`: x0.1 at 50% and again at 75% of training; `"cosine"`:
            cosine decay to 0 at the end of training.
        warmup_epochs: epochs of linear warm-up from 0 to `learning_rate`, before any schedule.
        weight_decay: decoupled weight decay (keras' `weight_decay`, for every optimizer).
        patience: epochs without a better `val_loss` before stopping (the best weights are then
            restored); None: no early stopping.
        seed: for `set_seed`.
        tensorboard: also write TensorBoard logs into `output_dir/tensorboard/`: `train/` and
            `validation/` event files with `epoch_loss`, each metric and `epoch_learning_rate`.
            Not a training setting: a run interrupted without it may resume with it, and back.
    """

    epochs: int = 20
    batch_size: int | str = 32  # or "full": one batch of the whole training set
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    schedule: str = "constant"
    warmup_epochs: int = 0
    weight_decay: float = 0.0
    patience: int | None = 5
    seed: int = 0
    tensorboard: bool = False

    def __post_init__(self):
        if not _is_int(self.epochs) or self.epochs < 1:
            raise ValueError(f"`epochs` must be an integer >= 1. Received: epochs={self.epochs!r}")
        if not (self.batch_size == "full" or (_is_int(self.batch_size) and self.batch_size >= 1)):
            raise ValueError(f"`batch_size` must be a positive integer or 'full' (the whole training set). "
                             f"Received: batch_size={self.batch_size!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"`optimizer` must be one of {', '.join(OPTIMIZERS)}. Received: optimizer={self.optimizer!r}")
        if not _is_real(self.learning_rate) or not math.isfinite(self.learning_rate) or self.learning_rate <= 0:
            raise ValueError(f"`learning_rate` must be a finite number > 0. Received: learning_rate={self.learning_rate!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"`schedule` must be one of {', '.join(SCHEDULES)}. Received: schedule={self.schedule!r}")
        if not _is_int(self.warmup_epochs) or not 0 <= self.warmup_epochs < self.epochs:
            raise ValueError(f"`warmup_epochs` must be an integer >= 0 and below epochs ({self.epochs!r}). "
                             f"Received: warmup_epochs={self.warmup_epochs!r}")
        if not _is_real(self.weight_decay) or not math.isfinite(self.weight_decay) or self.weight_decay < 0:
            raise ValueError(f"`weight_decay` must be a finite number >= 0. Received: weight_decay={self.weight_decay!r}")
        if self.patience is not None and (not _is_int(self.patience) or self.patience < 0):
            raise ValueError(f"`patience` must be an integer >= 0, or None for no early stopping. Received: patience={self.patience!r}")
        if not _is_int(self.seed) or not 0 <= self.seed < 2**32:
            raise ValueError(f"`seed` must be an integer in [0, 2**32). Received: seed={self.seed!r}")
        if not isinstance(self.tensorboard, bool):
            raise ValueError(f"`tensorboard` must be True or False. Received: tensorboard={self.tensorboard!r}")

    def resolve_batch_size(self, n_train: int) -> int:
        """The batch size in examples: `n_train` for `"full"`, else `batch_size`."""
        if not _is_int(n_train) or n_train < 1:
            raise ValueError(f"`n_train` must be an integer >= 1. Received: n_train={n_train!r}")
        return int(n_train) if self.batch_size == "full" else int(self.batch_size)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def set_seed(seed: int) -> None:
    """Seed Python, numpy and TensorFlow, and make TensorFlow's ops deterministic.

    Two runs with the same seed on the same CPU give the same numbers (GPU kernels without a
    deterministic version then raise instead of silently differing).
    """
    import tensorflow as tf

    if not _is_int(seed) or not 0 <= seed < 2**32:
        raise ValueError(f"`seed` must be an integer in [0, 2**32). Received: seed={seed!r}")
    keras.utils.set_random_seed(int(seed))
    # With op determinism on, tf.data's `make_deterministic` rewrite makes an input pipeline's
    # parallel maps and prefetches sequential when one of its dataset functions holds a stateful
    # op not on its list of safe ones. Keras' adapter for numpy arrays (fit/predict/evaluate on
    # arrays whose length is not a multiple of the batch size) makes the last, partial batch with
    # `Dataset.from_tensors` in a `flat_map`, so its ParallelMapDatasetV2 becomes a MapDataset.
    # The rewrite removes the parallel map's `deterministic` attribute but not
    # `use_unbounded_threadpool`, which MapDataset lacks, and TF 2.21 logs "E... node_def_util.cc]
    # NodeDef mentions attribute use_unbounded_threadpool which is not in the op definition ...
    # Unknown attributes will be ignored": a TensorFlow bug, harmless (the attribute is ignored;
    # the map is sequential, as determinism requires). `zoo` keeps the line off the terminal
    # (applications/common/quiet.py).
    tf.config.experimental.enable_op_determinism()


@keras.saving.register_keras_serializable(package="zoo_applications")
class WarmupStepDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warm-up from 0 to `learning_rate` over `warmup_steps`, then x`factor` after each boundary.

    Args:
        learning_rate: the peak learning rate.
        warmup_steps: steps of linear warm-up (0 for none).
        boundaries: steps (counted from the start of training) after which the rate is multiplied
            by `factor`.
        factor: the multiplier at each boundary.
    """

    def __init__(self, learning_rate: float, warmup_steps: int, boundaries: list[int], factor: float = 0.1):
        self.learning_rate = float(learning_rate)
        self.warmup_steps = int(warmup_steps)
        self.boundaries = [int(b) for b in boundaries]
        self.factor = float(factor)

    def __call__(self, step):
        step = keras.ops.cast(step, "float32")
        rate = keras.ops.convert_to_tensor(self.learning_rate, "float32")
        for boundary in self.boundaries:
            rate = keras.ops.where(step > boundary, rate * self.factor, rate)
        if self.warmup_steps > 0:
            rate = rate * keras.ops.minimum(step / self.warmup_steps, 1.0)
        return rate

    def get_config(self) -> dict:
        return {"learning_rate": self.learning_rate, "warmup_steps": self.warmup_steps,
                "boundaries": self.boundaries, "factor": self.factor}


def make_schedule(config: TrainConfig, steps_per_epoch: int):
    """The learning rate of `config` as a float (constant, no warm-up) or a `LearningRateSchedule`."""
    if not _is_int(steps_per_epoch) or steps_per_epoch < 1:
        raise ValueError(f"`steps_per_epoch` must be an integer >= 1. Received: steps_per_epoch={steps_per_epoch!r}")
    schedules = keras.optimizers.schedules
    lr = float(config.learning_rate)
    total = config.epochs * int(steps_per_epoch)
    warmup = config.warmup_epochs * int(steps_per_epoch)
    if config.schedule == "step":
        boundaries = [max(1, int(round(f * total))) for f in STEP_DROPS]
        if warmup:
            return WarmupStepDecay(lr, warmup, boundaries, 0.1)
        return schedules.PiecewiseConstantDecay(boundaries, [lr, lr * 0.1, lr * 0.01])
    if warmup:  # then a cosine decay to 0, or for "constant" a cosine whose floor (alpha) is 1: it stays at its target
        alpha = 0.0 if config.schedule == "cosine" else 1.0
        return schedules.CosineDecay(0.0, total - warmup, alpha=alpha, warmup_target=lr, warmup_steps=warmup)
    return schedules.CosineDecay(lr, decay_steps=total, alpha=0.0) if config.schedule == "cosine" else lr


def make_optimizer(config: TrainConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    """The optimizer of `config`, its learning-rate schedule sized to `epochs * steps_per_epoch` steps."""
    lr = make_schedule(config, steps_per_epoch)
    decay = float(config.weight_decay) or None
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(lr, momentum=SGD_MOMENTUM, nesterov=False, weight_decay=decay)
    if config.optimizer == "adam":
        return keras.optimizers.Adam(lr, weight_decay=decay)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(lr, weight_decay=float(config.weight_decay))
    return keras.optimizers.RMSprop(lr, weight_decay=decay)


class NaNLossError(RuntimeError):
    """The training loss became NaN or infinite."""


class _RaiseOnNaN(keras.callbacks.Callback):
    """Raise `NaNLossError` at the first batch whose loss is not finite (TerminateOnNaN only stops)."""

    def __init__(self, learning_rate: float, output_dir: Path):
        super().__init__()
        self.learning_rate = learning_rate
        self.output_dir = output_dir
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(np.asarray(loss))
        if not math.isfinite(loss):
            raise NaNLossError(f"The training loss became {loss} at epoch {self.epoch + 1}, batch {batch + 1}. "
                               f"Try a lower learning rate (this run used {self.learning_rate:g}), and check the data "
                               f"for NaN or infinite values. Start again with a new --output (or delete "
                               f"{self.output_dir}): its backup holds the state before the failure, with the old "
                               f"settings.")


class _BestCheckpoint(keras.callbacks.Callback):
    """Save the model with the best `monitor` (lowest, or highest with `mode="max"`; with no such value, every epoch), atomically."""

    def __init__(self, path: Path, monitor: str | None, best: float = math.inf, mode: str = "min"):
        super().__init__()
        self.path = path
        self.monitor = monitor
        self.sign = -1.0 if mode == "max" else 1.0  # compare sign * value: lower is better
        self.best = best

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor) if self.monitor else None
        if self.monitor is not None and value is not None:
            value = self.sign * float(value)
            if not value < self.best:
                return
            self.best = value
        with atomic_path(self.path) as tmp:
            self.model.save(tmp)


class _EarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping that, on a resumed run, remembers the best monitored value of the epochs already run."""

    def __init__(self, *, prior: list[float], best_path: Path, **kwargs):
        super().__init__(**kwargs)
        self.prior = prior
        self.best_path = best_path

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        i = _best_index(self.prior, self.mode)
        if i is None:
            return
        self.best, self.best_epoch, self.wait = self.prior[i], i, len(self.prior) - 1 - i
        if self.restore_best_weights and self.best_path.is_file():
            try:
                self.best_weights = keras.saving.load_model(self.best_path, compile=False).get_weights()
            except Exception as err:  # noqa: BLE001  (the run goes on; only the restore is weaker)
                warnings.warn(f"Could not read the best weights from {self.best_path} ({err}).", stacklevel=2)


class _AtomicBackup(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` whose backup is always whole: a kill mid-write leaves the previous epoch's.

    Keras overwrites `latest.weights.h5` in place, then `training_metadata.json`: a kill during the
    first leaves a truncated file that no restart can load, and one between the two pairs the new
    weights with the old epoch count, so a restart trains that epoch twice. Here each epoch's
    weights (model and optimizer) go to a file of their own, renamed into place when whole; then
    the metadata naming them is replaced atomically, and only then are older weights deleted.
    """

    def _save_model(self):
        folder = Path(self.backup_dir)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"epoch-{self._current_epoch}.weights.h5"
        with atomic_path(folder / name) as tmp:
            self.model.save_weights(tmp)
        write_json(self._training_metadata_path,
                   {"epoch": self._current_epoch, "batch": self._last_batch_seen, "weights": name})
        for old in folder.glob("*.weights.h5"):  # earlier epochs', and temporary files of killed writers
            if old.name != name:
                old.unlink(missing_ok=True)

    def _load_model(self):
        metadata = Path(self._training_metadata_path)
        if not metadata.is_file():  # killed before its first epoch ended: start from the beginning
            return
        record = json.loads(metadata.read_text())
        name = record.get("weights", "latest.weights.h5")  # Keras' own name, in backups made before
        if not isinstance(name, str) or Path(name).name != name or not name.endswith(".weights.h5"):
            raise ValueError(f"{metadata} names weights outside its folder: {name!r}. Delete "
                             f"{self.backup_dir} to start the run again.")
        if self.model.optimizer is not None and not self.model.optimizer.built:
            self.model.optimizer.build(self.model.trainable_variables)  # its slots are in the weights file
        self.model.load_weights(Path(self.backup_dir) / name)
        self.model._initial_epoch = int(record["epoch"])


class _Progress(keras.callbacks.Callback):
    """Keep the history and the training time at the end of every epoch in `backup/progress.json`.

    Keras' History only holds the epochs of the current `fit` call; after a resume this file holds
    the earlier ones. It is written before BackupAndRestore's own backup of the same epoch.
    """

    def __init__(self, path: Path, state: dict):
        super().__init__()
        self.path = path
        self.state = state  # {"config", "steps_per_epoch", "history", "elapsed_s"}
        self.prior_s = state["elapsed_s"][-1] if state["elapsed_s"] else 0.0
        self.start = time.perf_counter()

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        history = self.state["history"]
        n = len(next(iter(history.values()), []))
        for key, value in (logs or {}).items():
            history.setdefault(key, [None] * n).append(float(np.asarray(value)))
        for values in history.values():  # a key missing from this epoch's logs
            if len(values) < n + 1:
                values.append(None)
        self.state["elapsed_s"].append(self.prior_s + time.perf_counter() - self.start)  # training time so far
        write_json(self.path, self.state)


@dataclass
class FitResult:
    """What `fit` measured.

    Args:
        history: per-epoch values as Keras names them (`loss`, `val_loss`, `accuracy`...), every
            epoch of the run, those before a resume included.
        train_s: wall-clock seconds spent in training (summed over resumed parts).
        examples_per_s: `n_train * epochs_run / train_s`.
        epochs_run: epochs completed (fewer than `config.epochs` after early stopping).
        best_epoch: the epoch (from 1) with the best monitored value (lowest `val_loss` by
            default); None without validation data.
        initial_epoch: epochs that were restored from `backup/` (0 for a fresh run).
        checkpoint: `output_dir/checkpoints/best.keras`.
    """

    history: dict[str, list[float]]
    train_s: float
    examples_per_s: float
    epochs_run: int
    best_epoch: int | None
    initial_epoch: int = 0
    checkpoint: Path | None = None


def fit(model: keras.Model, train_ds, val_ds, config: TrainConfig, output_dir: str | os.PathLike, *, loss, metrics,
        steps_per_epoch: int | None = None, n_train: int, callbacks=(), epoch_metrics=(), monitor: str = "val_loss",
        mode: str = "min", verbose: int | str = "auto") -> FitResult:
    """Compile `model` with `config`'s optimizer and train it, resuming an interrupted run.

    The caller seeds (`set_seed(config.seed)`) before building the model. When `patience` is set
    and there is validation data, the model ends with the weights of its best epoch; without early
    stopping it ends with the last epoch's (and `checkpoints/best.keras` holds the best). While the
    batch norms' moving averages are young (the first few hundred steps of a run or a fine-tune),
    their statistics are recomputed over a few training batches before each validation
    (`precise_bn.PreciseBatchNorm`; not under a distribution strategy).

    Args:
        model: a Keras model (built or not).
        train_ds: a batched `tf.data.Dataset` of `(x, y)`, or a numpy tuple `(x, y)` (batched here
            by `config.resolve_batch_size(n_train)`), or a function of the first epoch to train
            (0, or where a resumed run starts) that returns a dataset of the batches of that epoch
            and every later one, `steps_per_epoch` each: with an order drawn from the seed and
            the epoch, a resumed run then sees the data of an uninterrupted one.
        val_ds: the same for validation, or None.
        config: the `TrainConfig`.
        output_dir: the run's folder (`report.prepare_output_dir`); `checkpoints/` and, while
            training, `backup/` are written there.
        loss: the loss, as `model.compile` takes it (see `zoo.tuning.default_loss_and_metrics`).
        metrics: the metrics, as `model.compile` takes them.
        steps_per_epoch: optimizer steps per epoch (sizes the schedule); by default
            `ceil(n_train / batch size)`.
        n_train: training examples per epoch (for `examples_per_s`).
        callbacks: more Keras callbacks, run after the ones above.
        epoch_metrics: callbacks that add values to each epoch's logs (e.g. `logs["val_ndcg@10"]`
            from a ranking of validation data that a Keras metric cannot compute); they run first,
            so early stopping, the best checkpoint and `history.csv` see the values.
        monitor: the value early stopping and the best checkpoint follow (a `val_...` log key).
        mode: `"min"` (lower is better, as for a loss) or `"max"` (as for an accuracy).
        verbose: `"auto"`: `progress_verbosity()`, a bar per epoch on a terminal, else one line
            per epoch; or `model.fit`'s verbosity: 0 silent, 1 a bar, 2 one line per epoch.

    Raises:
        NaNLossError: the training loss became NaN or infinite.
        ValueError: `output_dir` holds an interrupted run trained with other settings.
    """
    import tensorflow as tf

    if mode not in ("min", "max"):
        raise ValueError(f"`mode` must be 'min' or 'max'. Received: mode={mode!r}")
    output_dir = Path(output_dir)
    batch_size = config.resolve_batch_size(n_train)
    if steps_per_epoch is None:
        steps_per_epoch = math.ceil(n_train / batch_size)
    backup_dir = output_dir / BACKUP_DIR
    best_path = output_dir / CHECKPOINT_DIR / BEST_FILE
    state = _load_progress(backup_dir, config, steps_per_epoch)
    prior = state["history"]
    initial_epoch = len(prior.get("loss", []))

    metrics = list(metrics) if isinstance(metrics, tuple) else metrics
    model.compile(optimizer=make_optimizer(config, steps_per_epoch), loss=loss, metrics=metrics)
    if not model.built:  # BackupAndRestore loads weights into a built model only
        model(_first_inputs(train_ds(initial_epoch) if callable(train_ds) else train_ds), training=False)

    has_val = val_ds is not None
    prior_val = prior.get(monitor, [])
    sign = -1.0 if mode == "max" else 1.0
    best_so_far = min([sign * v for v in prior_val if v is not None] or [math.inf])
    cbs: list[keras.callbacks.Callback] = [_RaiseOnNaN(config.learning_rate, output_dir), *epoch_metrics]
    # First, so that validation, early stopping and the checkpoints see the recomputed statistics.
    # Not under a distribution strategy: there each replica (or worker) would recompute its own.
    if batch_norms(model) and not tf.distribute.has_strategy():
        cbs.insert(0, PreciseBatchNorm(lambda epoch: _first_batches(train_ds, epoch, batch_size),
                                       initial_steps=initial_epoch * steps_per_epoch))
    if has_val and config.patience is not None:
        cbs.append(_EarlyStopping(prior=prior_val, best_path=best_path, monitor=monitor, mode=mode,
                                  patience=config.patience, restore_best_weights=True))
    cbs.append(_BestCheckpoint(best_path, monitor if has_val else None, best_so_far, mode=mode))
    cbs.append(_Progress(backup_dir / PROGRESS_FILE, state))
    cbs.append(_AtomicBackup(str(backup_dir)))  # after _Progress: see its docstring
    if config.tensorboard:  # epoch summaries only: the learning rate comes with them, no graph, no profile
        cbs.append(keras.callbacks.TensorBoard(str(output_dir / TENSORBOARD_DIR), histogram_freq=0, write_graph=False,
                                               update_freq="epoch", profile_batch=0))
    cbs.extend(callbacks)

    if isinstance(train_ds, (tuple, list)):
        x, y, *rest = train_ds
        fit_args = dict(x=x, y=y, sample_weight=rest[0] if rest else None, batch_size=batch_size, shuffle=True)
    else:
        fit_args = dict(x=train_ds, shuffle=False)  # a tf.data.Dataset shuffles itself
    if callable(train_ds):  # a stream of every epoch's batches from the one a resumed run starts at
        fit_args = dict(x=train_ds(initial_epoch), shuffle=False, steps_per_epoch=steps_per_epoch)
    validation_data = tuple(val_ds) if isinstance(val_ds, list) else val_ds
    if verbose == "auto":
        verbose = progress_verbosity()
    model.fit(**fit_args, validation_data=validation_data, epochs=config.epochs, callbacks=cbs, verbose=verbose)
    train_s = state["elapsed_s"][-1] if state["elapsed_s"] else 0.0

    history = {k: list(v) for k, v in state["history"].items()}
    epochs_run = len(history.get("loss", []))
    best = _best_index(history.get(monitor, []), mode)
    return FitResult(history=history, train_s=train_s,
                     examples_per_s=n_train * epochs_run / train_s if train_s > 0 else 0.0, epochs_run=epochs_run,
                     best_epoch=None if best is None else best + 1, initial_epoch=initial_epoch,
                     checkpoint=best_path if best_path.is_file() else None)


def _first_batches(train_ds, epoch: int, batch_size: int):
    """The inputs of `epoch`'s first training batches, `MAX_EXAMPLES` examples or just over, in
    `fit`'s `train_ds` forms (a dataset's batches are assumed to be of `batch_size`)."""
    count = max(1, math.ceil(MAX_EXAMPLES / batch_size))
    if isinstance(train_ds, (tuple, list)):
        x = train_ds[0]
        n = len(keras.tree.flatten(x)[0])
        return (keras.tree.map_structure(lambda a: a[i:i + batch_size], x)
                for i in range(0, min(n, count * batch_size), batch_size))
    ds = train_ds(epoch) if callable(train_ds) else train_ds
    return (element[0] if isinstance(element, (tuple, list)) else element for element in ds.take(count))


def _best_index(values: list, mode: str) -> int | None:
    """The index of the best finite value (lowest, or highest with `mode="max"`); None when there is none."""
    sign = -1.0 if mode == "max" else 1.0
    keyed = [sign * v if v is not None and math.isfinite(v) else math.inf for v in values]
    return int(np.argmin(keyed)) if any(map(math.isfinite, keyed)) else None


def progress_verbosity(stream=None) -> int:
    """`model.fit`'s verbosity for the project's progress: 1 (a bar per epoch) on a terminal, else 2 (a line per epoch).

    Keras writes its progress to standard output (`stream`, by default `sys.stdout` at the time
    of the call), so that is the stream asked: a bar redrawn with carriage returns is only
    readable there on a terminal, while a file or pipe (a log, `| tee`, a test) gets one line per
    epoch, whatever stderr is.
    """
    stream = sys.stdout if stream is None else stream
    try:
        return 1 if stream.isatty() else 2
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return 2


def _load_progress(backup_dir: Path, config: TrainConfig, steps_per_epoch: int) -> dict:
    """The progress of an interrupted run in `backup_dir`, cut to the epochs its backup holds."""
    settings = {k: v for k, v in to_jsonable(config).items() if k != "tensorboard"}  # logging, not training
    state = {"config": settings, "steps_per_epoch": int(steps_per_epoch), "history": {}, "elapsed_s": []}
    metadata = backup_dir / BACKUP_METADATA  # BackupAndRestore's record of the last epoch saved
    done = int(json.loads(metadata.read_text())["epoch"]) if metadata.is_file() else 0
    path = backup_dir / PROGRESS_FILE
    if not path.is_file():
        if done:
            warnings.warn(f"{backup_dir} holds no {PROGRESS_FILE}: the history of the {done} epochs run "
                          f"before the interruption is unknown.", stacklevel=3)
            state["history"], state["elapsed_s"] = {"loss": [None] * done}, [0.0] * done
        return state
    saved = json.loads(path.read_text())
    if saved.get("config") != state["config"] or saved.get("steps_per_epoch") != state["steps_per_epoch"]:
        theirs = {**saved.get("config", {}), "steps_per_epoch": saved.get("steps_per_epoch")}
        ours = {**state["config"], "steps_per_epoch": state["steps_per_epoch"]}
        diff = ", ".join(f"{k}={theirs.get(k)!r} (now {ours[k]!r})" for k in ours if theirs.get(k) != ours[k])
        raise ValueError(f"{backup_dir.parent} holds an interrupted run trained with other settings: {diff}. Resume "
                         f"it with the same settings, or choose another --output. "
                         f"Received: output_dir={str(backup_dir.parent)!r}")
    state["history"] = {k: v[:done] for k, v in saved["history"].items()} if done else {}
    state["elapsed_s"] = saved.get("elapsed_s", [])[:done]
    return state


def _first_inputs(train_ds):
    if isinstance(train_ds, (tuple, list)):
        return train_ds[0][:1]
    batch = next(iter(train_ds))
    return batch[0] if isinstance(batch, (tuple, list)) else batch
