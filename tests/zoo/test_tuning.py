"""Hyperparameter search through zoo.tuning."""

import numpy as np
import pytest

import keras_zoo as zoo
import keras_zoo.tuning


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
def test_random_search_runs_two_trials(tmp_path):
    import keras_tuner

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32")
    tuner = keras_tuner.RandomSearch(
        zoo.tuning.hypermodel("cnn_small", num_classes=2, input_shape=(8, 8, 1)),
        objective="val_accuracy",
        max_trials=2,
        directory=tmp_path,
        seed=0,
    )
    tuner.search(x[:48], y[:48], validation_data=(x[48:], y[48:]), epochs=1, verbose=0)
    trials = tuner.oracle.trials.values()
    assert len(trials) == 2
    assert all(t.status == "COMPLETED" for t in trials)  # a trial that raised is "FAILED"
    best = tuner.get_best_models(1)[0]
    assert best.output_shape == (None, 2)
    assert 1e-4 <= tuner.get_best_hyperparameters()[0]["learning_rate"] <= 1e-2


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_family_search_space_builds(name):
    import keras_tuner

    entry = zoo.registry.get_entry(name)
    hp = keras_tuner.HyperParameters()
    overrides = entry.family.search_space(hp, entry.config)
    assert overrides, f"{entry.family.name} declares an empty search space"
    zoo.registry.resolve_config(name, overrides)  # every key is a config field, every value valid
    assert hp.space, "the search space declares hyperparameters"


def test_fixed_overrides_are_checked_at_once():
    with pytest.raises(ValueError, match="Unknown config key"):
        zoo.tuning.hypermodel("cnn_small", widths=(8,))


def test_regression_head_gets_a_regression_loss():
    import keras

    loss, metrics = zoo.tuning.default_loss_and_metrics(None, 1)
    assert isinstance(loss, keras.losses.MeanSquaredError) and metrics == ["mae"]
