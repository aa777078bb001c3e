"""A run's output folder and what is written into it: `metrics.json`, `history.csv`.

Every file is written atomically, as `zoo.checkpoints` writes its downloads: to a temporary file in
the same folder, then renamed into place with `os.replace`, so a reader never sees half a file and
a run killed mid-write leaves the previous version (or nothing), never a truncated one.

An output folder is never silently overwritten: a folder holding a finished run (`metrics.json`) or
unrelated files is refused. From the moment a run takes a folder until `write_metrics` finishes
it, the folder holds an `INCOMPLETE` marker; a folder holding the marker or `backup/` (a run that
was interrupted) is reused, so that training resumes where it stopped.

This module does not import TensorFlow.

Example:
    >>> out = prepare_output_dir(None, "vision")            # runs/vision-20250101-120000
    >>> write_metrics(out, domain="vision", model="resnet20", pretrained=None,
    ...               data={"source": "sample", "train": 1000, "val": 200, "test": 300, "classes": ["0", "1"]},
    ...               metrics={"accuracy": 0.97}, baselines={"logistic_regression": {"accuracy": 0.95}},
    ...               timing={"train_s": 12.5, "train_examples_per_s": 1600.0})
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import io
import json
import math
import os
import platform
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from keras_zoo.files import atomic_path

METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
BACKUP_DIR = "backup"
BACKUP_METADATA = "training_metadata.json"  # Keras' record of the last epoch a backup holds
INCOMPLETE_FILE = "INCOMPLETE"  # present from prepare_output_dir until write_metrics finishes the run
_INCOMPLETE_TEXT = ("This run has not finished: it is running, or it was interrupted. Run the same `zoo train` "
                    "command with this --output again to resume it; metrics.json appears when it ends.\n")
DATA_KEYS = ("source", "train", "val", "test", "classes")
TIMING_KEYS = ("train_s", "train_examples_per_s")
_CORE_KEYS = ("domain", "model", "pretrained", "data", "metrics", "baselines", "timing", "run")


class OutputExistsError(FileExistsError, ValueError):
    """An output folder that holds a finished run or other files: it is never overwritten.

    Also a `ValueError`, so the command line reports it as a user's mistake, in one line.
    """


class OutputNotWritableError(PermissionError, ValueError):
    """An output folder that cannot be created or written to."""


class MissingMetricsError(FileNotFoundError, ValueError):
    """A folder without `metrics.json`: not a finished run."""


def prepare_output_dir(output: str | os.PathLike | None, domain: str, *, root: Path = Path("runs"),
                       run: bool = True) -> Path:
    """The folder a run writes into, created if needed and checked writable.

    Args:
        output: the user's `--output`; None for a new folder `root/<domain>-YYYYmmdd-HHMMSS`
            (with `-2`, `-3`... appended if that name is taken).
        domain: the application (`"vision"`, `"nlp"`...), names the default folder.
        root: where default folders are made.
        run: the folder is a run's, which `write_metrics` finishes: mark it `INCOMPLETE` until then.
            False for a folder that holds runs (the demo's) or a tuner's trials.

    Returns:
        The folder, holding the `INCOMPLETE` marker. One holding the marker or `backup/` (an
        interrupted run) is returned as is: training resumes.

    Raises:
        ValueError: `output` is a file.
        OutputExistsError (a FileExistsError): the folder holds a finished run (`metrics.json`)
            or is not empty and holds no interrupted run.
        OutputNotWritableError (a PermissionError): the folder cannot be created or written to.
    """
    mark = _mark_incomplete if run else (lambda folder: folder)
    if output is None:
        return mark(_new_default_dir(Path(root), domain))
    path = Path(output).expanduser()
    if path.exists() and not path.is_dir():
        raise ValueError(f"The output {path} is a file, not a folder. Received: output={os.fspath(output)!r}")
    if path.is_dir():
        if (path / METRICS_FILE).exists():
            raise OutputExistsError(f"{path} already holds a finished run ({METRICS_FILE}); runs are never silently "
                                    f"overwritten: choose another --output or delete it.")
        if not is_interrupted(path) and any(path.iterdir()):  # an interrupted run is resumed
            raise OutputExistsError(f"{path} is not empty and holds no interrupted run ({INCOMPLETE_FILE} or "
                                    f"{BACKUP_DIR}/); runs are never silently overwritten: choose another --output "
                                    f"or delete it.")
    else:
        _mkdir(path, parents=True, exist_ok=False)
    _check_writable(path)
    return mark(path)


def is_interrupted(path: str | os.PathLike) -> bool:
    """Whether `path` holds a run that started and has not finished (resumable by the same command)."""
    path = Path(path)
    return path.is_dir() and not (path / METRICS_FILE).exists() and (
        (path / INCOMPLETE_FILE).is_file() or (path / BACKUP_DIR).is_dir())


def discard_failed_run(path: str | os.PathLike) -> bool:
    """After a failed first attempt at a run: delete its folder unless a completed epoch could resume.

    Returns whether the folder was deleted. Call it only for a folder the failed attempt made (or
    found empty): an interrupted run's folder from before is never touched.
    """
    path = Path(path)
    # a training backup in `path` (or a sub-folder's, for runs that train several models) that holds an epoch
    if not path.is_dir() or any(path.rglob(f"{BACKUP_DIR}/{BACKUP_METADATA}")):
        return False
    shutil.rmtree(path, ignore_errors=True)
    return not path.exists()


def _mark_incomplete(path: Path) -> Path:
    try:
        _atomic_write_text(path / INCOMPLETE_FILE, _INCOMPLETE_TEXT)
    except OSError as err:
        raise OutputNotWritableError(f"Cannot write to the output folder {path}: {err.strerror or err}. "
                                     f"Choose another --output.") from err
    return path


def _new_default_dir(root: Path, domain: str) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    _mkdir(root, parents=True, exist_ok=True)
    for i in range(1, 1000):
        path = root / (f"{domain}-{stamp}" if i == 1 else f"{domain}-{stamp}-{i}")
        try:
            _mkdir(path, parents=False, exist_ok=False)
        except FileExistsError:
            continue  # taken (another run started the same second): try the next suffix
        _check_writable(path)
        return path
    raise OutputExistsError(f"Could not find a free folder name under {root} for {domain}-{stamp}.")


def _mkdir(path: Path, *, parents: bool, exist_ok: bool) -> None:
    try:
        path.mkdir(parents=parents, exist_ok=exist_ok)
    except FileExistsError:
        if path.exists() and not path.is_dir():
            raise ValueError(f"The output {path} is a file, not a folder. Received: output={str(path)!r}") from None
        raise
    except OSError as err:  # a parent that is a file, a read-only parent, ...
        raise OutputNotWritableError(f"Cannot create the output folder {path}: {err.strerror or err}.") from err


def _check_writable(path: Path) -> None:
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise OutputNotWritableError(f"Cannot write to the output folder {path}: {err.strerror or err}. "
                                     f"Choose another --output.") from err


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write `data` as indented JSON, atomically; keys keep their order.

    numpy numbers and arrays, paths, tuples and dataclasses are converted; NaN and infinity become
    `null` (strict JSON).
    """
    return _atomic_write_text(Path(path), json.dumps(to_jsonable(data), indent=2, allow_nan=False) + "\n")


def write_metrics(output_dir: str | os.PathLike, *, domain: str, model: str, pretrained: str | None, data: dict,
                  metrics: dict, baselines: dict, timing: dict, **extra: Any) -> Path:
    """Write `output_dir/metrics.json`, the record of a finished run (DESIGN.md's shape).

    Keys, in order: `domain`, `model`, `pretrained`, `data` (`source`, `train`, `val`, `test`,
    `classes`), `metrics` (on the test split), `baselines`, `timing` (`train_s`,
    `train_examples_per_s`), then every `extra` key (e.g. `config`, `per_class`), then `run`: the
    seed (from `extra["seed"]` or `extra["config"]["seed"]`), the python, tensorflow, keras and zoo
    versions, the command line and the date.

    Raises:
        ValueError: `data` or `timing` lacks a required key; an `extra` key that is a core key.
    """
    for name, given, keys in (("data", data, DATA_KEYS), ("timing", timing, TIMING_KEYS)):
        missing = [k for k in keys if k not in given]
        if missing:
            raise ValueError(f"`{name}` lacks {', '.join(missing)} (it needs {', '.join(keys)}). "
                             f"Received: {name}={given!r}")
    clash = [k for k in extra if k in _CORE_KEYS]
    if clash:
        raise ValueError(f"Extra keys may not replace the core keys {', '.join(clash)}. Received: {clash}")
    data = {"source": str(data["source"]), **{k: data[k] for k in DATA_KEYS[1:]},
            **{k: v for k, v in data.items() if k not in DATA_KEYS}}
    record = {"domain": domain, "model": model, "pretrained": None if pretrained is None else os.fspath(pretrained),
              "data": data, "metrics": metrics, "baselines": baselines, "timing": timing, **extra,
              "run": run_record(seed=_seed_of(extra))}
    path = write_json(Path(output_dir) / METRICS_FILE, record)
    (Path(output_dir) / INCOMPLETE_FILE).unlink(missing_ok=True)  # the run is finished: it no longer resumes
    return path


def read_metrics(output_dir: str | os.PathLike) -> dict:
    """The `metrics.json` of a finished run.

    Raises:
        MissingMetricsError (a FileNotFoundError): the folder holds no `metrics.json`.
    """
    path = Path(output_dir) / METRICS_FILE
    if not path.is_file():
        raise MissingMetricsError(f"No {METRICS_FILE} in {output_dir}: not a finished run. Received: output_dir={os.fspath(output_dir)!r}")
    return json.loads(path.read_text())


def write_history_csv(output_dir: str | os.PathLike, history: dict[str, list]) -> Path:
    """Write `output_dir/history.csv`: a column `epoch` (from 1), then one per history key, in order.

    A key with fewer values than the longest (a metric logged only on some epochs) leaves blanks.
    """
    if not history:
        raise ValueError(f"The history is empty. Received: history={history!r}")
    keys = list(history)
    n = max(len(v) for v in history.values())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for i in range(n):
        writer.writerow([i + 1, *(_item(history[k][i]) if i < len(history[k]) else "" for k in keys)])
    return _atomic_write_text(Path(output_dir) / HISTORY_FILE, buffer.getvalue())


def print_if(verbose: bool):
    """A `say(message)` for a run's progress lines: `print(message, flush=True)` when `verbose`."""
    return (lambda message: print(message, flush=True)) if verbose else (lambda message: None)


def run_record(*, seed: int | None = None) -> dict:
    """What reproduces a run: the seed, the versions, the command line, the date (UTC)."""
    return {"seed": seed, "python": platform.python_version(), "tensorflow": _version("tensorflow"),
            "keras": _version("keras"), "zoo": _zoo_version(), "command": shlex.join(sys.argv),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def to_jsonable(obj: Any) -> Any:
    """`obj` with numpy values, paths, tuples, sets and dataclasses made JSON types; NaN -> None."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(_item(k)): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [to_jsonable(v) for v in sorted(obj, key=str)]
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "numpy") and callable(obj.numpy):  # a TensorFlow/Keras tensor
        obj = obj.numpy()
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy scalars and arrays
        return to_jsonable(obj.tolist())
    raise TypeError(f"Cannot write a {type(obj).__name__} as JSON. Received: {obj!r}")


def _atomic_write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return path


def _item(value: Any) -> Any:
    """A numpy scalar as the Python number it holds; anything else as it is."""
    return value.item() if hasattr(value, "item") else value


def _seed_of(extra: dict) -> int | None:
    if "seed" in extra:
        return to_jsonable(extra["seed"])
    config = extra.get("config")
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        config = dataclasses.asdict(config)
    return to_jsonable(config.get("seed")) if isinstance(config, dict) else None


def _version(package: str) -> str | None:
    module = sys.modules.get(package)
    if module is not None and hasattr(module, "__version__"):
        return str(module.__version__)
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _zoo_version() -> str | None:
    try:
        import keras_zoo as zoo

        return zoo.__version__
    except Exception:  # noqa: BLE001  (a report is still written without it)
        return None
