"""The private Keras and Keras Tuner names the applications rely on, in the versions pyproject.toml admits.

Each is used where no public API does the job; a release that moves one fails here, by name.
(The zoo's own are in tests/zoo/test_internals.py.)
"""

from __future__ import annotations

import inspect

import keras


def test_backup_and_restore_has_the_hooks_the_atomic_backup_overrides():
    # applications/common/training.py's _AtomicBackup replaces how the backup is written and read
    # (Keras overwrites latest.weights.h5 in place: a kill mid-write leaves a file no restart loads).
    backup = keras.callbacks.BackupAndRestore
    for name in ("_save_model", "_load_model"):
        assert callable(getattr(backup, name, None)), f"BackupAndRestore.{name} is gone"
    source = inspect.getsource(backup)
    for attribute in ("_current_epoch", "_last_batch_seen", "_training_metadata_path"):
        assert attribute in source, f"BackupAndRestore no longer keeps {attribute}"


def test_fit_starts_from_the_models_initial_epoch():
    # _AtomicBackup._load_model sets model._initial_epoch, which fit reads to resume (as Keras' own does).
    from keras.src.trainers import trainer

    assert "_initial_epoch" in inspect.getsource(trainer)


def test_a_tuners_trial_budget_is_its_oracles_max_trials():
    # applications/tune.py caps Hyperband, which has no max_trials argument, through its oracle.
    import keras_tuner

    oracle = keras_tuner.oracles.HyperbandOracle(objective="val_loss", max_epochs=3)
    assert hasattr(oracle, "max_trials")
