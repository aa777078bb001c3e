"""`zoo export`: a finished run's model as a SavedModel, a TFLite file or a `.keras` copy, checked for parity.

    zoo export --model-dir D --format saved_model|tflite|keras [--output PATH] [--overwrite]

The run's `model.keras` is loaded as `zoo predict` loads it (Keras safe mode, the domain's custom
objects registered by importing its pipeline), exported, and the export is run on sample inputs
beside the original: the largest absolute difference of their outputs must be within a tolerance
(`TOLERANCE`), or the export is an error and nothing is written. The exported model takes what the
run's model takes: raw images (vision), raw audio (speech), raw strings (nlp), `[user, item]` id
pairs (recommendation), windows of feature rows (finance).

- `keras`: a copy of `model.keras`.
- `saved_model`: `model.export(path, format="tf_saved_model")` (Keras' `ExportArchive`); the served
  signature is `serve`: `tf.saved_model.load(path).serve(x)`, or TF Serving.
- `tflite`: `tf.lite.TFLiteConverter` with TFLite's built-in ops only, so that the file runs on
  any TFLite interpreter. Recurrent layers (LSTM, GRU) are unrolled over their fixed number of
  steps first (a copy of the model with `unroll=True` and the same weights): a loop over time
  needs TensorFlow's tensor-list ops, which built-in TFLite lacks. A model that takes raw strings
  (nlp: its first layer is the `TextVectorization`) is refused: its string ops exist only as Select
  TF ops (the Flex delegate), which TensorFlow's own `tf.lite.Interpreter` cannot run, so the
  parity of such a file could not be checked here.

The output defaults to `D/export/model.<ext>` (`D/export/saved_model`, a folder, for a SavedModel);
it is written under a temporary name beside its place, checked, then renamed: a reader sees the
previous export or the new one, never half of one. An existing output is refused unless
`--overwrite`. The parity measured is printed and recorded, one entry per format, in
`D/export/parity.json`.

`add_parser` adds the command to the `zoo` command line; nothing here imports TensorFlow until the
command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import shutil
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: importing this module must not load numpy or TensorFlow
    import numpy as np

FORMATS = ("saved_model", "tflite", "keras")
MODEL_FILE = "model.keras"  # as applications.common.runs.MODEL_FILE
METRICS_FILE = "metrics.json"  # as applications.common.report.METRICS_FILE
EXPORT_DIR = "export"
PARITY_FILE = "parity.json"
DEFAULT_NAMES = {"saved_model": "saved_model", "tflite": "model.tflite", "keras": "model.keras"}
PARITY_INPUTS = 8  # sample inputs each parity check runs through both models
# Within this of each other, the original and the export agree: an absolute bound for the formats that run the same
# TensorFlow kernels; for TFLite (its own kernels, fused activations, XNNPack) a relative one: TFLITE_RELATIVE times
# the largest output, at least 1 (probabilities and small regression outputs get 1e-3 absolute).
TOLERANCE = {"saved_model": 1e-5, "keras": 1e-5}
TFLITE_RELATIVE = 1e-3


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add `zoo export` to the `zoo` command line's sub-commands; its handler is `cmd_export`."""
    p = subparsers.add_parser("export", help="export a trained run's model (SavedModel, TFLite, .keras), checked "
                                             "for parity with the original")
    p.add_argument("--model-dir", required=True, help="the folder of a finished `zoo train` run")
    p.add_argument("--format", required=True, choices=FORMATS,
                   help="saved_model (a folder; signature `serve`), tflite (built-in ops only) or keras (a copy)")
    p.add_argument("--output", help="where to write it (default: MODEL_DIR/export/saved_model, "
                                    "MODEL_DIR/export/model.tflite or MODEL_DIR/export/model.keras)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.set_defaults(func=cmd_export)
    return p


def cmd_export(args: argparse.Namespace) -> int:
    """`zoo export`: export, check parity, print where it went. A user's mistake raises ValueError."""
    export_run(args.model_dir, args.format, args.output, overwrite=args.overwrite, verbose=True)
    return 0


def export_run(model_dir: str | os.PathLike, fmt: str, output: str | os.PathLike | None = None, *,
               overwrite: bool = False, verbose: bool = True) -> dict:
    """Export a finished run's model in `fmt` and check its parity; returns the parity record.

    Args:
        model_dir: a finished run's folder (`model.keras` and `metrics.json`).
        fmt: one of `FORMATS`.
        output: the file (or, for `saved_model`, the folder) to write; default `model_dir/export/...`.
        overwrite: replace an existing output (for `saved_model`, only a folder that holds a SavedModel).
        verbose: print what was written and the parity line.

    Raises:
        ValueError: not a finished run; an unknown format; an existing output without `overwrite`;
            a model TFLite cannot take (it says why and what to use instead); a parity failure
            (the export is then not written).
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format; expected one of {', '.join(FORMATS)}. Received: --format {fmt}")
    model_dir = Path(model_dir)
    domain, record = _finished_run(model_dir)
    out = Path(output).expanduser() if output is not None else model_dir / EXPORT_DIR / DEFAULT_NAMES[fmt]
    _check_output(out, fmt, overwrite)

    model = _load_model(model_dir, domain)
    x = sample_inputs(model, domain, n=PARITY_INPUTS)
    expected = _outputs(model(x, training=False))

    from keras_zoo.files import atomic_path  # a temporary file beside `out`, renamed onto it if the block ends well

    created = list(itertools.takewhile(lambda parent: not parent.exists(), out.parents))  # deepest first
    start = time.perf_counter()
    try:
        if fmt == "tflite":
            _check_tflite_input(model, domain)
        notes = {"signature": "serve"} if fmt == "saved_model" else {}
        with (_atomic_folder(out) if fmt == "saved_model" else atomic_path(out)) as tmp:
            if fmt == "keras":
                shutil.copyfile(model_dir / MODEL_FILE, tmp)
                got = _outputs(_load_model(tmp.parent, domain, file=tmp.name)(x, training=False))
            elif fmt == "saved_model":
                model.export(str(tmp), format="tf_saved_model", verbose=False)
                got = _run_saved_model(tmp, x)
            else:
                content, tflite_notes = convert_to_tflite(model)
                notes.update(tflite_notes)
                tmp.write_bytes(content)
                got = _run_tflite(content, x)
            parity = _compare(fmt, expected, got, n=len(x))
            if not parity["ok"]:
                raise ValueError(f"The {fmt} export does not match the original model: {parity_line(parity)}. "
                                 f"Nothing was written to {out}.")
    except BaseException:
        for folder in created:  # the export/ folder made for an export that failed: no empty folder left behind
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    parity = {"format": fmt, "output": str(out), "domain": domain, "model": record.get("model"),
              "input": _input_record(model), **parity, "export_s": round(time.perf_counter() - start, 3), **notes}
    _record_parity(model_dir / EXPORT_DIR / PARITY_FILE, fmt, parity)
    if verbose:
        print(f"Exported {model_dir / MODEL_FILE} ({domain}, {record.get('model')}) as {fmt}: {out} "
              f"({_size(out) / 1024:.1f} KB)" + (f"; {notes['note']}" if notes.get("note") else ""))
        print(parity_line(parity))
        others = _other_networks(model_dir)
        if others:
            print(f"note: the run has other networks too ({', '.join(others)}); this exported {MODEL_FILE}.")
    return parity


def parity_line(parity: dict) -> str:
    """`parity: 8 inputs, max |difference| 2.4e-07 (tolerance 1e-05): ok`."""
    return (f"parity: {parity['inputs']} inputs, max |difference| {parity['max_abs_difference']:.2g} "
            f"(tolerance {parity['tolerance']:.2g}): {'ok' if parity['ok'] else 'FAILED'}")


# ---------------------------------------------------------------------------------------------
# The run and its output


def _finished_run(model_dir: Path) -> tuple[str, dict]:
    """`(domain, metrics record)` of a finished run's folder; a clear ValueError for anything else."""
    from keras_zoo.applications import domains

    if not model_dir.is_dir():
        raise ValueError(f"{model_dir} is not a folder: --model-dir takes the folder of a finished `zoo train` run. "
                         f"Received: --model-dir {model_dir}")
    missing = [name for name in (MODEL_FILE, METRICS_FILE) if not (model_dir / name).is_file()]
    if missing:
        raise ValueError(f"{model_dir} is not a finished run: it lacks {' and '.join(missing)} (a `zoo train` run "
                         f"writes both when it finishes). Received: --model-dir {model_dir}")
    try:
        record = json.loads((model_dir / METRICS_FILE).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{model_dir / METRICS_FILE} cannot be read as JSON ({err}): not a finished run. "
                         f"Received: --model-dir {model_dir}") from None
    domain = record.get("domain") if isinstance(record, dict) else None
    if domain not in domains.built():
        raise ValueError(f"{model_dir / METRICS_FILE} names no domain the zoo has ({', '.join(domains.built())}). "
                         f"Received: domain={domain!r}")
    return domain, record


def _check_output(out: Path, fmt: str, overwrite: bool) -> None:
    if fmt == "keras" and out.suffix != ".keras":
        raise ValueError(f"A Keras model file's name ends in .keras (Keras loads no other). Received: --output {out}")
    if not (out.exists() or out.is_symlink()):
        if out.parent.exists() and not out.parent.is_dir():
            raise ValueError(f"{out.parent} is a file, not a folder: cannot write {out}. Received: --output {out}")
        return
    if not overwrite:
        raise ValueError(f"{out} already exists; exports are never silently replaced: pass --overwrite, or choose "
                         f"another --output.")
    if fmt == "saved_model":
        if not (out.is_dir() and (out / "saved_model.pb").is_file()):
            raise ValueError(f"{out} exists and is not a SavedModel folder (no saved_model.pb); --overwrite replaces "
                             f"only a previous SavedModel export. Choose another --output.")
    elif out.is_dir():
        raise ValueError(f"{out} is a folder; --overwrite replaces only a previous {fmt} file. Choose another --output.")


def _load_model(model_dir: Path, domain: str, *, file: str = MODEL_FILE):
    """The run's model, loaded as `zoo predict` loads it (Keras safe mode), compiled as saved (which does not change
    what it computes); importing the domain's pipeline registers its custom objects (finance's QLIKE loss)."""
    import keras_zoo as zoo
    from keras_zoo.applications import domains
    from keras_zoo.applications.common.runs import load_run

    domains.pipeline(domain)
    return load_run(model_dir, domain)[0] if file == MODEL_FILE else zoo.load_model(model_dir / file)


def _other_networks(model_dir: Path) -> list[str]:
    """Other saved networks of the run (finance's other targets, recommendation's rating model)."""
    return sorted(str(p.relative_to(model_dir)) for p in model_dir.glob(f"*/{MODEL_FILE}")
                  if p.parent.name not in (EXPORT_DIR, "backup"))


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def _record_parity(path: Path, fmt: str, parity: dict) -> None:
    """`parity.json`: one entry per format, the latest export of each; written atomically."""
    from keras_zoo.applications.common import report

    entries = {}
    with contextlib.suppress(OSError, ValueError):  # none yet, or unreadable: started again
        entries = json.loads(path.read_text())
    report.write_json(path, {**(entries if isinstance(entries, dict) else {}), fmt: parity})


# ---------------------------------------------------------------------------------------------
# Writing atomically


@contextlib.contextmanager
def _atomic_folder(path: Path):
    """A temporary folder path beside `path`; when the block ends normally, it is renamed to `path`.

    A folder cannot be renamed over another one: an existing `path` (checked replaceable before)
    is first renamed aside, then the new folder into place, then the old one removed; if the
    second rename fails the old folder is put back. If the block raises, the temporary folder is
    removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        if path.exists() or path.is_symlink():
            old = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.old")
            os.replace(path, old)
            try:
                os.replace(tmp, path)
            except BaseException:
                os.replace(old, path)
                raise
            _remove(old)
        else:
            os.replace(tmp, path)
    finally:
        _remove(tmp)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Sample inputs and parity


def sample_inputs(model, domain: str, *, n: int = PARITY_INPUTS, seed: int = 0):
    """`n` inputs the model takes, made from its input spec (and, where cheap, what the run holds).

    Floats: pixels in [0, 1) (vision), audio of a speaking level, N(0, 0.1) clipped to [-1, 1]
    (speech), standardised features N(0, 1) (finance and others). Ints: ids in each column's valid
    range, read from the model's embedding tables: a recommender's `[user, item]` pair draws the
    user from the user table's rows and the item from the item table's (row 0, the unknown id,
    included); a token sequence from the smallest table. Strings: short texts of the run's own
    vocabulary (the model's `TextVectorization`), with an unknown word and an empty text among them.
    """
    import keras
    import numpy as np

    if len(model.inputs) != 1:
        raise ValueError(f"{model.name} takes {len(model.inputs)} inputs; `zoo export` checks models of one input, "
                         f"as every application saves.")
    spec = model.inputs[0]
    rng = np.random.default_rng(seed)
    shape = [n] + [16 if d is None else int(d) for d in spec.shape[1:]]
    dtype = str(spec.dtype)
    if dtype == "string":
        return _sample_texts(model, n, rng)
    if "int" in dtype:
        sizes = _id_ranges(model, shape)
        if len(sizes) > 1:  # one column per table: [user, item]
            return np.stack([rng.integers(0, high, size=n) for high in sizes], axis=1).astype(dtype)
        return rng.integers(0, sizes[0], size=shape).astype(dtype)
    from keras_zoo.applications import domains

    kind = domains.get(domain).float_inputs if domain in domains.built() else "features"
    x = {"pixels": lambda: rng.random(shape), "audio": lambda: np.clip(rng.normal(0.0, 0.1, shape), -1.0, 1.0),
         "features": lambda: rng.standard_normal(shape)}[kind]()
    return x.astype(keras.backend.standardize_dtype(dtype))


def _layers(model):
    """Every layer of `model`, nested models' layers included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def _id_ranges(model, shape: list[int]) -> list[int]:
    """The exclusive upper bound of the ids of each input column (one bound for a token sequence)."""
    import keras

    tables = [(layer.name, int(layer.input_dim)) for layer in _layers(model) if isinstance(layer, keras.layers.Embedding)]
    if not tables:
        raise ValueError(f"{model.name} takes ints but has no embedding table to say which ids are valid: "
                         f"`zoo export` cannot make sample inputs for its parity check.")
    if shape[1:] == [2]:  # a recommender's [user, item] pairs
        users = [size for name, size in tables if "user" in name]
        items = [size for name, size in tables if "item" in name]
        if users and items:
            return [min(users), min(items)]
    return [min(size for _, size in tables)]


def _sample_texts(model, n: int, rng):
    import keras
    import tensorflow as tf

    vocabulary = next(([w for w in layer.get_vocabulary() if w and w != "[UNK]" and " " not in w]
                       for layer in _layers(model) if isinstance(layer, keras.layers.TextVectorization)), [])
    words = vocabulary or ["a", "good", "film", "not", "bad", "at", "all"]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(1, 8)))) for _ in range(n)]
    if n >= 2:
        texts[-2] = f"{texts[-2]} zzqxunknownword"
        texts[-1] = ""
    return tf.constant(texts, dtype=tf.string)


def _outputs(result) -> list[np.ndarray]:
    """A model's outputs as a list of float64 arrays, in a fixed order (dicts by key)."""
    import numpy as np

    if isinstance(result, dict):
        result = [result[k] for k in sorted(result)]
    elif not isinstance(result, (list, tuple)):
        result = [result]
    return [np.asarray(r, dtype=np.float64) for r in result]


def _compare(fmt: str, expected: list[np.ndarray], got: list[np.ndarray], *, n: int) -> dict:
    import numpy as np

    if len(expected) != len(got) or any(e.shape != g.shape for e, g in zip(expected, got)):
        raise ValueError(f"The {fmt} export returns outputs of shapes {[g.shape for g in got]}; the original returns "
                         f"{[e.shape for e in expected]}.")
    diff = max((float(np.max(np.abs(e - g))) if e.size else 0.0) for e, g in zip(expected, got))
    if not np.isfinite(diff):
        diff = float("inf")
    scale = max([1.0] + [float(np.max(np.abs(e))) for e in expected if e.size])
    tolerance = TFLITE_RELATIVE * scale if fmt == "tflite" else TOLERANCE[fmt]
    return {"inputs": n, "max_abs_difference": diff, "tolerance": tolerance, "ok": bool(diff <= tolerance)}


def _input_record(model) -> dict:
    spec = model.inputs[0]
    return {"shape": [None if d is None else int(d) for d in spec.shape], "dtype": str(spec.dtype)}


# ---------------------------------------------------------------------------------------------
# Running the exports


def _run_saved_model(path: Path, x) -> list[np.ndarray]:
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))  # held while it serves: its functions need its variables alive
    return _outputs(loaded.serve(tf.convert_to_tensor(x)))


def _check_tflite_input(model, domain: str) -> None:
    """Refuse, before any conversion, a model TFLite's built-in ops cannot take."""
    if str(model.inputs[0].dtype) == "string":
        raise ValueError(f"A model that takes raw strings cannot be converted to TFLite without Select TF ops: the "
                         f"{domain} model's TextVectorization lowercases, strips punctuation, splits and looks words "
                         f"up with string ops that are not TFLite built-ins, and a file that needs the Flex delegate "
                         f"cannot be run by this TensorFlow's tf.lite.Interpreter to check its parity. Export "
                         f"--format saved_model (signature `serve`, raw strings in) or keras instead.")


def _set_unroll(config) -> None:
    """Set every `unroll` key of a layer config (nested ones too: Bidirectional's layers) to True."""
    if isinstance(config, dict) and "unroll" in config:
        config["unroll"] = True
    children = config.values() if isinstance(config, dict) else config if isinstance(config, list) else ()
    for value in children:
        _set_unroll(value)


def unrolled(model):
    """A copy of `model` with every recurrent layer unrolled over its steps, holding the same weights.

    What TFLite's built-in ops can run: an RNN's loop over time becomes that many copies of its
    cell, which needs the number of steps to be fixed by the input shape.
    """
    import keras

    def clone(layer):
        config = layer.get_config()
        _set_unroll(config)
        return layer.__class__.from_config(config)

    try:
        copy = keras.models.clone_model(model, clone_function=clone, recursive=True)
    except ValueError as err:
        raise ValueError(f"{model.name}'s recurrent layers cannot be unrolled for TFLite ({err}): an unrolled RNN "
                         f"needs a fixed number of steps. Export --format saved_model or keras instead.") from None
    copy.set_weights(model.get_weights())
    return copy


def convert_to_tflite(model) -> tuple[bytes, dict]:
    """`(flatbuffer, notes)`: `model` converted with TFLite's built-in ops only, recurrent layers unrolled.

    Raises:
        ValueError: the converter needs ops that are not TFLite built-ins (named), with what works instead.
    """
    import keras
    import tensorflow as tf

    notes = {"ops": "TFLite built-ins only"}
    source = model
    if any(isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional)) for layer in _layers(model)):
        source = unrolled(model)
        notes["note"] = "recurrent layers unrolled (built-in ops run no loop over time)"
    try:
        with tempfile.TemporaryDirectory(prefix="zoo-export-") as folder, _quiet():
            # Through a SavedModel of the served signature, written quietly (`from_keras_model` prints its own).
            source.export(os.path.join(folder, "saved_model"), format="tf_saved_model", verbose=False)
            converter = tf.lite.TFLiteConverter.from_saved_model(os.path.join(folder, "saved_model"),
                                                                 signature_keys=["serve"])
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            content = converter.convert()
    except Exception as err:  # noqa: BLE001  (ConverterError, or anything else the converter raises)
        ops = _unsupported_ops(str(err))
        why = f"it needs {', '.join(ops)}, which {'are' if len(ops) > 1 else 'is'} not a TFLite built-in" if ops \
            else f"the converter failed: {_first_line(err)}"
        raise ValueError(f"{model.name} cannot be converted to TFLite with built-in ops only: {why}. Select TF ops "
                         f"(the Flex delegate) might convert it, but this TensorFlow's tf.lite.Interpreter cannot run "
                         f"such a file to check its parity. Export --format saved_model or keras instead.") from None
    return content, notes


def _unsupported_ops(message: str) -> list[str]:
    ops = re.findall(r"'tf\.(\w+)' op is neither a custom op nor a flex op", message)
    ops += re.findall(r"'tf\.(\w+)' op requires", message)
    for line in re.findall(r"(?:Custom|Flex) ops: ([\w, ]+)", message):
        ops += [o.strip() for o in line.split(",") if o.strip()]
    return sorted(set(ops))


def _first_line(err: BaseException) -> str:
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return (lines[0] if lines else type(err).__name__)[:300]


@contextlib.contextmanager
def _quiet():
    """Silence Python warnings (the converter's and the interpreter's deprecation notices)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _run_tflite(content: bytes, x) -> list[np.ndarray]:
    """The TFLite model's outputs on the batch `x`: resized to the batch, or one example at a time if it cannot be."""
    import numpy as np
    import tensorflow as tf

    x = np.asarray(x)
    with _quiet():
        interpreter = tf.lite.Interpreter(model_content=content)
    inputs = interpreter.get_input_details()
    if len(inputs) != 1:
        raise ValueError(f"The TFLite model takes {len(inputs)} inputs; the original takes one.")
    index = inputs[0]["index"]
    outputs = sorted(interpreter.get_output_details(), key=lambda d: d["name"])

    def invoke(batch):
        interpreter.resize_tensor_input(index, list(batch.shape), strict=False)
        interpreter.allocate_tensors()
        interpreter.set_tensor(index, batch.astype(inputs[0]["dtype"]))
        interpreter.invoke()
        return [np.asarray(interpreter.get_tensor(d["index"]), dtype=np.float64) for d in outputs]

    try:
        try:
            return invoke(x)
        except RuntimeError:  # a model whose shapes are fixed to a batch of one
            parts = [invoke(x[i:i + 1]) for i in range(len(x))]
            return [np.concatenate([p[k] for p in parts]) for k in range(len(outputs))]
    except RuntimeError as err:
        raise ValueError(f"The converted TFLite model cannot be run by tf.lite.Interpreter ({_first_line(err)}). "
                         f"Export --format saved_model or keras instead.") from None
