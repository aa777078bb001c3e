"""keras_zoo.applications.common.training: config validation, optimizers and schedules, and `fit` for real."""

import math
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_zoo.applications.common.training import (
    OPTIMIZERS,
    SCHEDULES,
    FitResult,
    NaNLossError,
    TrainConfig,
    WarmupStepDecay,
    fit,
    make_optimizer,
    set_seed,
)

LOSS = "sparse_categorical_crossentropy"


def make_data(n=256, seed=0, flip=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 1.5]) > 0).astype("int32")
    return x, (1 - y if flip else y)


def make_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2, activation="softmax")])


def train(tmp_path, config, *, train=None, val="default", callbacks=(), model=None, **kwargs):
    train = make_data() if train is None else train
    val = make_data(96, seed=1) if val == "default" else val
    n = kwargs.pop("n_train", None) or len(train[0])
    kwargs.setdefault("steps_per_epoch", math.ceil(n / config.resolve_batch_size(n)))
    model = make_model() if model is None else model
    result = fit(model, train, val, config, tmp_path, loss=LOSS, metrics=["accuracy"], n_train=n,
                 callbacks=callbacks, verbose=0, **kwargs)
    return model, result


class Recorder(keras.callbacks.Callback):
    """Records the epochs (0-based, as Keras passes them) and their logs."""

    def __init__(self, stop_at=None):
        super().__init__()
        self.stop_at = stop_at
        self.epochs, self.logs = [], []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.stop_at:
            raise KeyboardInterrupt("simulated interruption")
        self.epochs.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))


# ---------------------------------------------------------------------------------------------
# TrainConfig


@pytest.mark.parametrize(
    "field, value",
    [
        ("epochs", 0), ("epochs", 2.5), ("epochs", True),
        ("batch_size", 0), ("batch_size", -4), ("batch_size", "all"), ("batch_size", 8.0),
        ("optimizer", "adagrad"), ("learning_rate", 0.0), ("learning_rate", -1e-3), ("learning_rate", float("nan")),
        ("learning_rate", "0.1"), ("schedule", "linear"), ("warmup_epochs", -1), ("warmup_epochs", 20),
        ("weight_decay", -0.1), ("weight_decay", float("inf")), ("patience", -1), ("patience", 1.5),
        ("seed", -1), ("seed", 2**32),
    ],
)
def test_config_rejects(field, value):
    with pytest.raises(ValueError, match=re.escape(f"Received: {field}={value!r}")):
        TrainConfig(**{field: value})


def test_config_accepts_and_resolves_batch_size():
    assert TrainConfig().resolve_batch_size(1000) == 32
    assert TrainConfig(batch_size="full").resolve_batch_size(1000) == 1000
    TrainConfig(patience=None, epochs=3, warmup_epochs=2, weight_decay=1e-4, optimizer="adamw", schedule="cosine")
    with pytest.raises(ValueError, match="Received: n_train=0"):
        TrainConfig().resolve_batch_size(0)


def test_set_seed_repeats_random_numbers_and_enables_determinism():
    from tensorflow.python.framework import config as tf_config  # is/disable_op_determinism are not public

    try:
        set_seed(7)
        a = (np.random.rand(), float(keras.random.uniform(())), float(tf.random.uniform(())))
        set_seed(7)
        b = (np.random.rand(), float(keras.random.uniform(())), float(tf.random.uniform(())))
        assert a == b
        assert tf_config.is_op_determinism_enabled()
    finally:
        tf_config.disable_op_determinism()  # leave the rest of the test session as it was


# ---------------------------------------------------------------------------------------------
# Optimizers and schedules


@pytest.mark.parametrize("name, cls", list(zip(OPTIMIZERS, [keras.optimizers.SGD, keras.optimizers.Adam,
                                                      keras.optimizers.AdamW, keras.optimizers.RMSprop])))
def test_each_optimizer(name, cls):
    opt = make_optimizer(TrainConfig(optimizer=name, learning_rate=0.05, weight_decay=1e-3), steps_per_epoch=10)
    assert type(opt) is cls
    assert opt.weight_decay == pytest.approx(1e-3)
    assert float(opt.learning_rate) == pytest.approx(0.05)
    if name == "sgd":
        assert opt.momentum == 0.9 and opt.nesterov is False
    plain = make_optimizer(TrainConfig(optimizer=name), steps_per_epoch=10)
    assert (plain.weight_decay or 0.0) == 0.0


def lr_at(opt, step):
    opt.iterations.assign(step)
    return float(opt.learning_rate)


def test_every_schedule_value_is_tested():
    assert set(SCHEDULES) == {"constant", "step", "cosine"}


def test_constant_schedule():
    opt = make_optimizer(TrainConfig(epochs=4, learning_rate=0.1), steps_per_epoch=10)
    assert [lr_at(opt, s) for s in (0, 20, 40)] == pytest.approx([0.1] * 3)


def test_constant_schedule_with_warmup():
    opt = make_optimizer(TrainConfig(epochs=4, learning_rate=0.1, warmup_epochs=1), steps_per_epoch=10)
    rising = [lr_at(opt, s) for s in (0, 5, 10)]
    assert rising == pytest.approx([0.0, 0.05, 0.1])
    assert [lr_at(opt, s) for s in (20, 39, 40)] == pytest.approx([0.1] * 3)


def test_step_schedule_drops_tenfold_at_half_and_three_quarters():
    opt = make_optimizer(TrainConfig(epochs=8, learning_rate=0.1, schedule="step"), steps_per_epoch=10)
    assert [lr_at(opt, s) for s in (0, 40, 41, 60, 61, 79)] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001, 0.001])


def test_step_schedule_with_warmup():
    opt = make_optimizer(TrainConfig(epochs=8, learning_rate=0.1, schedule="step", warmup_epochs=2), steps_per_epoch=10)
    assert isinstance(opt._learning_rate, WarmupStepDecay)
    assert [lr_at(opt, s) for s in (0, 10, 20, 40, 41, 61)] == pytest.approx([0.0, 0.05, 0.1, 0.1, 0.01, 0.001])
    restored = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(opt._learning_rate))
    assert float(restored(41)) == pytest.approx(0.01)


def test_cosine_schedule_decays_to_zero():
    opt = make_optimizer(TrainConfig(epochs=10, learning_rate=0.2, schedule="cosine"), steps_per_epoch=10)
    values = [lr_at(opt, s) for s in (0, 50, 100)]
    assert values == pytest.approx([0.2, 0.1, 0.0], abs=1e-6)
    assert lr_at(opt, 99) < 1e-3


def test_cosine_schedule_with_warmup():
    opt = make_optimizer(TrainConfig(epochs=10, learning_rate=0.2, schedule="cosine", warmup_epochs=2), steps_per_epoch=10)
    warm = [lr_at(opt, s) for s in (0, 5, 10, 15, 20)]
    assert warm == sorted(warm) and warm[0] == 0.0 and warm[-1] == pytest.approx(0.2)
    assert lr_at(opt, 60) == pytest.approx(0.1)  # half-way through the 80 decay steps
    assert lr_at(opt, 100) == pytest.approx(0.0, abs=1e-6)


def test_steps_per_epoch_is_checked():
    with pytest.raises(ValueError, match="Received: steps_per_epoch=0"):
        make_optimizer(TrainConfig(schedule="cosine"), steps_per_epoch=0)


# ---------------------------------------------------------------------------------------------
# fit


def test_fit_learns_and_writes_the_best_checkpoint(tmp_path):
    config = TrainConfig(epochs=6, batch_size=32, learning_rate=0.05, patience=None)
    model, result = train(tmp_path, config)
    assert isinstance(result, FitResult)
    h = result.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 6 for v in h.values())
    assert h["loss"][-1] < h["loss"][0] * 0.7
    assert h["val_accuracy"][-1] > 0.85
    assert result.epochs_run == 6 and result.initial_epoch == 0
    assert result.best_epoch == 1 + int(np.argmin(h["val_loss"]))
    assert result.train_s > 0 and result.examples_per_s == pytest.approx(256 * 6 / result.train_s)
    assert result.checkpoint == tmp_path / "checkpoints" / "best.keras"
    best = keras.saving.load_model(result.checkpoint)
    x, y = make_data(96, seed=1)
    assert best.evaluate(x, y, verbose=0)[0] == pytest.approx(min(h["val_loss"]), rel=1e-4)
    assert not (tmp_path / "backup").exists()  # removed when training ends normally
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["best.keras"]  # no temp files


def test_fit_on_tf_data_without_validation(tmp_path):
    x, y = make_data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)
    saved = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            saved.append((tmp_path / "checkpoints" / "best.keras").stat().st_mtime_ns)

    config = TrainConfig(epochs=3, learning_rate=0.05)
    _, result = train(tmp_path, config, train=ds, val=None, steps_per_epoch=4, n_train=256, callbacks=[Watch()])
    assert set(result.history) == {"loss", "accuracy"} and result.epochs_run == 3
    assert result.best_epoch is None
    assert len(set(saved)) == 3  # saved every epoch without validation data


def test_full_batch_is_one_step_per_epoch(tmp_path):
    config = TrainConfig(epochs=3, batch_size="full", learning_rate=0.1)
    model, result = train(tmp_path, config, steps_per_epoch=None)
    assert int(model.optimizer.iterations) == 3
    assert result.epochs_run == 3


def test_early_stopping_restores_the_best_weights(tmp_path):
    config = TrainConfig(epochs=20, learning_rate=0.05, patience=1)
    model, result = train(tmp_path, config, val=make_data(96, seed=1, flip=True))  # val gets worse as train improves
    assert result.epochs_run < 20
    assert result.best_epoch == 1
    x, y = make_data(96, seed=1, flip=True)
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(result.history["val_loss"][0], rel=1e-4)


def test_nan_loss_raises_naming_the_epoch_and_batch(tmp_path):
    x, y = make_data(64)
    passes = []

    def batches():  # finite on the first pass, inf from the second: the loss turns NaN in epoch 2
        passes.append(1)
        xb = x.copy()
        if len(passes) > 1:
            xb[:] = np.inf
        for i in range(0, 64, 32):
            yield xb[i:i + 32], y[i:i + 32]

    ds = tf.data.Dataset.from_generator(batches, output_signature=(tf.TensorSpec((None, 4), tf.float32),
                                                                    tf.TensorSpec((None,), tf.int32)))
    ds = ds.apply(tf.data.experimental.assert_cardinality(2))
    with pytest.raises(NaNLossError, match=r"epoch 2, batch 1\. Try a lower learning rate"):
        linear = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])  # (a ReLU maps NaN to 0)
        train(tmp_path, TrainConfig(epochs=3, learning_rate=0.01), train=ds, val=None, model=linear, steps_per_epoch=2, n_train=64)


def test_huge_learning_rate_raises_nan_loss_error(tmp_path):
    x, y = make_data()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    config = TrainConfig(epochs=5, optimizer="sgd", learning_rate=1e30, patience=None)
    with pytest.raises(NaNLossError, match=r"epoch \d+, batch \d+.*lower learning rate.*1e\+30"):
        fit(model, (x * 1e3, y.astype("float32")), None, config, tmp_path, loss="mse", metrics=[], n_train=len(x), verbose=0)


def test_interrupted_run_resumes_from_its_last_epoch(tmp_path):
    config = TrainConfig(epochs=3, learning_rate=0.05, patience=None)
    first = Recorder(stop_at=2)
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path, config, callbacks=[first])
    assert first.epochs == [0, 1]
    assert (tmp_path / "backup").is_dir()

    second = Recorder()
    model, result = train(tmp_path, config, callbacks=[second])
    assert second.epochs == [2]  # Keras ran only the third epoch
    assert result.initial_epoch == 2 and result.epochs_run == 3
    assert len(result.history["loss"]) == 3
    assert result.history["loss"][:2] == pytest.approx([logs["loss"] for logs in first.logs])
    assert result.history["val_loss"][2] == pytest.approx(second.logs[0]["val_loss"])
    assert int(model.optimizer.iterations) == 3 * 8  # the optimizer state was restored too
    assert result.examples_per_s == pytest.approx(256 * 3 / result.train_s)
    assert not (tmp_path / "backup").exists()


def test_resumed_early_stopping_remembers_the_best_epoch_before_the_interruption(tmp_path):
    config = TrainConfig(epochs=20, learning_rate=0.05, patience=2)
    val = make_data(96, seed=1, flip=True)  # gets worse as training improves: epoch 1 is the best
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path, config, val=val, callbacks=[Recorder(stop_at=1)])
    model, result = train(tmp_path, config, val=val)
    assert result.initial_epoch == 1 and result.epochs_run == 3  # stopped 2 epochs after epoch 1
    assert result.best_epoch == 1
    best_loss = result.history["val_loss"][0]
    assert model.evaluate(*val, verbose=0)[0] == pytest.approx(best_loss, rel=1e-4)  # epoch 1's weights
    assert keras.saving.load_model(result.checkpoint).evaluate(*val, verbose=0)[0] == pytest.approx(best_loss, rel=1e-4)


def test_resume_with_other_settings_is_refused(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path, TrainConfig(epochs=3, learning_rate=0.05), callbacks=[Recorder(stop_at=1)])
    with pytest.raises(ValueError, match=r"other settings: learning_rate=0\.05 \(now 0\.01\)"):
        train(tmp_path, TrainConfig(epochs=3, learning_rate=0.01))


class _ScheduledScore(keras.callbacks.Callback):
    """Adds `val_score` to each epoch's logs: a score that peaks at epoch 2 (from 1), as a ranking might."""

    SCORES = (0.3, 0.9, 0.5, 0.4, 0.2, 0.1)

    def on_epoch_end(self, epoch, logs=None):
        logs["val_score"] = self.SCORES[epoch]


def test_early_stopping_can_follow_a_score_an_epoch_metric_adds_and_maximise_it(tmp_path):
    config = TrainConfig(epochs=6, patience=2, learning_rate=0.05)
    _, result = train(tmp_path, config, epoch_metrics=[_ScheduledScore()], monitor="val_score", mode="max")
    assert result.history["val_score"][:3] == [0.3, 0.9, 0.5]  # in the history, so in history.csv
    assert result.best_epoch == 2 and result.epochs_run == 4  # two epochs without a better score, then stop
    with pytest.raises(ValueError, match="`mode` must be 'min' or 'max'"):
        train(tmp_path / "x", config, mode="maximum")


# ---------------------------------------------------------------------------------------------
# Batch-norm statistics recomputed before validation (PreciseBN)


def make_bn_model(momentum=0.99):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    frozen = keras.layers.BatchNormalization(name="frozen")
    frozen.trainable = False
    h = keras.layers.Dense(8, name="hidden")(frozen(inputs))
    h = keras.layers.BatchNormalization(momentum=momentum, name="bn")(h)
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Activation("relu")(h))
    return keras.Model(inputs, outputs)


def test_batch_norm_statistics_are_recomputed_before_validation_on_a_short_run(tmp_path):
    # Inputs of variance 1e-4: at momentum 0.99 the moving variance would still be about 0.9 of its
    # start (1) after the 8 steps, and the validation loss would judge other outputs than training's.
    x, y = make_data()
    model = make_bn_model()
    config = TrainConfig(epochs=2, batch_size=64, learning_rate=0.01, patience=None)
    _, result = train(tmp_path, config, train=(x * 0.01, y), val=(x[:96] * 0.01, y[:96]), model=model)
    bn = model.get_layer("bn")
    inputs = keras.Model(model.inputs, model.get_layer("hidden").output)(x * 0.01).numpy()
    np.testing.assert_allclose(bn.moving_mean.numpy(), inputs.mean(0), atol=2e-4)
    np.testing.assert_allclose(bn.moving_variance.numpy(), inputs.var(0), rtol=0.05)
    frozen = model.get_layer("frozen")
    np.testing.assert_array_equal(frozen.moving_variance.numpy(), np.ones(4))  # a frozen norm keeps its statistics
    assert model.evaluate(x[:96] * 0.01, y[:96], verbose=0)[0] == pytest.approx(result.history["val_loss"][-1], rel=1e-4)


def test_batch_norm_statistics_are_left_to_the_moving_average_once_it_has_forgotten_its_start():
    from keras_zoo.applications.common.precise_bn import FORGET, PreciseBatchNorm

    model = make_bn_model(momentum=0.5)  # forgets a start in FORGET / ln 2, about 15 steps
    seen = []
    callback = PreciseBatchNorm(lambda epoch: seen.append(epoch) or [np.ones((8, 4), "float32")])
    callback.set_model(model)
    callback.on_train_begin()
    for epoch in range(3):
        callback.on_epoch_begin(epoch)
        for step in range(10):
            callback.on_train_batch_end(step)
        callback.on_test_begin()
    assert seen == [0]  # 10 steps: still young; 20 and 30: no more
    assert 10 < FORGET / math.log(2) < 20
