"""A finished run's folder: the saved model beside its `metrics.json`."""

from __future__ import annotations

from pathlib import Path

MODEL_FILE = "model.keras"


def save_model(model, output_dir: str | Path) -> Path:
    """`output_dir/model.keras`, written under a temporary name and renamed: never half-written."""
    from keras_zoo.files import atomic_path

    path = Path(output_dir) / MODEL_FILE
    with atomic_path(path) as tmp:
        model.save(tmp)
    return path


def load_run(model_dir: str | Path, domain: str):
    """A finished run's model (loaded in Keras' safe mode) and its metrics record.

    Raises:
        ValueError: the folder lacks `model.keras` or `metrics.json`, or holds another domain's run.
    """
    import keras_zoo as zoo
    from keras_zoo.applications.common import report

    model_dir = Path(model_dir)
    if not (model_dir / MODEL_FILE).is_file() or not (model_dir / "metrics.json").is_file():
        raise ValueError(f"{model_dir} is not a finished {domain} run: it needs {MODEL_FILE} and metrics.json "
                         f"(written by `zoo train {domain} --output {model_dir}`). Received: --model-dir {model_dir}")
    record = report.read_metrics(model_dir)
    if record.get("domain") != domain:
        raise ValueError(f"{model_dir} holds a {record.get('domain')} run, not a {domain} run. "
                         f"Received: --model-dir {model_dir}")
    return zoo.load_model(model_dir / MODEL_FILE), record


def run_seed(record: dict) -> int:
    """The seed a run split its data with, as `metrics.json` recorded it (0 for runs that predate it).

    `evaluate` re-splits a `sample` or `tfds:` source with it: the test split of another seed
    overlaps the run's training data (in speech, whose sample splits by voice, voices it heard).
    """
    seed = record.get("seed")
    if seed is None:
        seed = record.get("config", {}).get("train", {}).get("seed", 0)
    return int(seed)
