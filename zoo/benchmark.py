"""How fast the registry's models run here: throughput, latency, FLOPs, memory, against a reference.

`benchmark(names, ...)` measures each model, with and without XLA (`jit_compile`), in each
precision (a Keras dtype policy: float32, and on a GPU also mixed_float16; mixed_bfloat16 on
request), and returns one `Row` per (model, implementation, XLA, precision) with:

- `params`, and `flops` per example: the forward pass's floating-point operations counted by
  TensorFlow's profiler on the frozen graph (a multiply-add is 2); a training step is counted as
  3x the forward pass (forward, and a backward pass of about twice its cost);
- `train_per_s` and `infer_per_s`: examples a second, the batch size over the median time of one
  batch, over `repeats` timed runs of `steps` batches each, after one untimed run (tracing, XLA
  compilation). Training is `fit` on data already in memory, each step timed by a callback;
  inference is the compiled forward pass (`serving_function`) on batches already in memory.
  Timing steps, not whole runs, keeps out what is not the model's: `fit`'s per-epoch set-up and
  the stalls of a shared machine between steps (on this project's 2-core machine whole runs fell
  into a fast and a slow mode while the steps inside them varied by a few percent). The zoo's
  inference runs its serving form (`serving`): the model with its batch normalisations folded into the
  layers before them (`zoo.fold_batchnorm`), as a zoo user serves or exports it; the reference
  runs as shipped. A model and its reference take turns run by run (`time_interleaved`), so that
  the machine's slow spells fall on both;
- `latency_ms`: one example through a compiled `tf.function` of the model (the serving path,
  `serving_function`), and `predict_latency_ms`: the same example through `Model.predict`, whose
  per-call set-up dominates at batch 1; medians of many calls;
- `peak_mb`: the most resident memory the process gained during the first training epoch (tracing
  and compilation included; sampled every 5 ms; on a GPU the device's peak instead). On a CPU
  only the first model a process trains gets a number: later ones reuse memory the earlier freed,
  so measure one model per command to compare memory;
- `efficiency`: the training step's achieved FLOP/s over the FLOP/s of a large matrix multiply
  in the precision's compute dtype (float32, float16 or bfloat16) measured on the same device in
  the same run (`matmul_peak`).

With `reference="keras"` (or True), a model that has a keras.applications twin (`REFERENCES`) is
measured beside it in the same process, with the same batch, input and settings, and `ratio` holds
the zoo's throughput over the reference's (above 1: the zoo's is faster). With `reference="torch"`,
the twin is PyTorch's (`keras_zoo.torch_twins.TWINS`: torchvision's ResNets and ViTs, He et al.'s
CIFAR ResNets), measured the same way beside the zoo's rows without XLA.

No test asserts a speed: speed lives in this module's output (`tools/benchmark.py`, `zoo benchmark`).

Example:
    >>> rows = benchmark(["resnet50"], input_shape=(224, 224, 3), batch_size=8, reference="keras")
    >>> print(format_table(rows))
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import statistics
import threading
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np

# keras.applications twins of registry models: (module attribute, keyword arguments).
REFERENCES = {
    "resnet50": ("ResNet50", {}),
    "resnet50_v2": ("ResNet50V2", {}),
    "keras_resnet50": ("ResNet50", {}),
    "keras_mobilenet_v2": ("MobileNetV2", {}),
    "keras_efficientnet_b0": ("EfficientNetB0", {}),
}
MATMUL_SIZE = 2048
_MEMORY_MEASURED = False  # whether this process has measured a CPU model's memory (see Prepared)


@dataclass
class Row:
    model: str
    implementation: str  # "zoo", "keras.applications" or "torch <version>"
    xla: bool
    batch_size: int
    input_shape: str
    params: int
    flops: int | None  # forward pass, per example
    train_per_s: float | None
    infer_per_s: float | None
    latency_ms: float | None
    predict_latency_ms: float | None
    peak_mb: float | None
    efficiency: float | None  # training FLOP/s over the matrix-multiply FLOP/s
    ratio_train: float | None = None  # zoo / reference, training throughput
    ratio_infer: float | None = None  # zoo / reference, inference throughput
    device: str = ""
    serving: str = "as built"  # what inference ran: "as built", or "BN folded" (zoo.fold_batchnorm)
    precision: str = "float32"  # the Keras dtype policy the model was built with


# ---------------------------------------------------------------------------------------------
# Measurements


def count_flops(model, input_shape: tuple[int, ...], dtype: str = "float32") -> int | None:
    """Forward-pass FLOPs for one example, from TensorFlow's profiler on the frozen graph (None if it cannot count)."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    from tensorflow.python.profiler import model_analyzer, option_builder

    try:
        spec = tf.TensorSpec((1, *input_shape), dtype)
        concrete = tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
        frozen = convert_variables_to_constants_v2(concrete)
        graph = tf.Graph()
        with graph.as_default():
            tf.graph_util.import_graph_def(frozen.graph.as_graph_def(), name="")
            options = option_builder.ProfileOptionBuilder(option_builder.ProfileOptionBuilder.float_operation()) \
                .with_empty_output().build()
            result = model_analyzer.profile(graph=graph, options=options)
        return int(result.total_float_ops) or None
    except Exception:  # noqa: BLE001  (a graph the profiler cannot read: the column says "-")
        return None


def matmul_peak(size: int = MATMUL_SIZE, repeats: int = 5, dtype: str = "float32") -> float:
    """FLOP/s of a `size x size` matrix multiply in `dtype` on the default device (median of `repeats`)."""
    import tensorflow as tf

    a = tf.cast(tf.random.normal((size, size), seed=1), dtype)
    b = tf.cast(tf.random.normal((size, size), seed=2), dtype)
    step = tf.function(lambda: tf.linalg.matmul(a, b))
    step().numpy()  # trace and warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step().numpy()
        times.append(time.perf_counter() - start)
    return 2.0 * size ** 3 / statistics.median(times)


class _PeakMemory:
    """The most resident memory gained over the `with` block: sampled from /proc, or the GPU's peak."""

    def __init__(self):
        self.peak_mb = None

    def __enter__(self):
        import tensorflow as tf

        self.gpu = bool(tf.config.list_logical_devices("GPU"))
        if self.gpu:
            tf.config.experimental.reset_memory_stats("GPU:0")
            return self
        self.start = self.top = _rss()
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        if self.start is not None:
            self.thread.start()
        return self

    def _sample(self):
        while self.running:
            value = _rss()
            if value is not None and value > self.top:
                self.top = value
            time.sleep(0.005)

    def __exit__(self, *exc):
        import tensorflow as tf

        if self.gpu:
            self.peak_mb = tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
            return False
        self.running = False
        if self.start is not None:
            self.thread.join()
            self.peak_mb = (self.top - self.start) / 2**20
        return False


def _rss() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def serving_function(model, *, jit_compile: bool = False):
    """A compiled `tf.function` of the model's forward pass (inference mode): the single-example serving path.

    `Model.predict` builds a dataset and runs a loop on every call, which dominates at batch 1; this
    calls the traced graph directly.
    """
    import tensorflow as tf

    return tf.function(lambda x: model(x, training=False), jit_compile=jit_compile, reduce_retracing=True)


def _step_timer():
    """A Keras callback that keeps the seconds of each training step (batch) of a `fit` in `.seconds`."""
    import keras

    class StepTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds, self._start = [], 0.0

        def on_train_batch_begin(self, batch, logs=None):
            self._start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return StepTimer()


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Prepared:
    """A model compiled, warmed up (traced, XLA-compiled) and ready to be timed on random data in memory.

    The memory the process gains from before the first training step to the end of the warm-up is
    its `peak_mb`.
    """

    def __init__(self, model, *, name: str, implementation: str, input_shape: tuple[int, ...], num_classes: int,
                 batch_size: int, steps: int, xla: bool, input_dtype: str = "float32", fold: bool = False):
        import keras
        import tensorflow as tf

        rng = np.random.default_rng(0)
        self.n = batch_size * steps
        if input_dtype.startswith("int"):
            x = rng.integers(1, 10, size=(self.n, *input_shape)).astype(input_dtype)
        else:
            x = rng.standard_normal((self.n, *input_shape)).astype(input_dtype)
        y = rng.integers(0, num_classes, size=(self.n,)).astype("int32")
        self.model, self.x, self.batch_size = model, x, batch_size
        self.name, self.implementation, self.xla, self.input_shape = name, implementation, xla, input_shape
        self.flops = count_flops(model, input_shape, input_dtype)
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss=keras.losses.SparseCategoricalCrossentropy(),
                      jit_compile=xla)
        self.data = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).cache()
        global _MEMORY_MEASURED
        with _PeakMemory() as memory:
            self.train()  # traces and compiles the training step
        # On a CPU, memory freed by an earlier model is reused by the next, so only the first
        # model a process trains shows what it needs; later ones report None ("-").
        self.peak_mb = memory.peak_mb if memory.gpu or not _MEMORY_MEASURED else None
        _MEMORY_MEASURED = True
        self.served, self.serving = model, "as built"
        if fold:  # inference on the zoo's serving form, when it has batch normalisations to fold
            from keras_zoo.serving import fold_batchnorm, foldable_pairs

            if foldable_pairs(model):
                self.served, self.serving = fold_batchnorm(model), "BN folded"
                self.served.compile(jit_compile=xla)
        self.serve = serving_function(self.served, jit_compile=xla)
        self.batches = [tf.constant(x[i:i + batch_size]) for i in range(0, self.n, batch_size)]
        self.one = tf.constant(x[:1])
        self.infer()  # traces (and compiles) the batch and single-example forward passes
        self.serve(self.one)
        self.served.predict(x[:1], verbose=0)
        self.times = {"train": [], "infer": [], "latency": [], "predict_latency": []}

    def train(self) -> list[float]:
        """One epoch of `steps` batches; the seconds of each training step."""
        timer = _step_timer()
        self.model.fit(self.data, epochs=1, verbose=0, shuffle=False, callbacks=[timer])
        return timer.seconds

    def infer(self) -> list[float]:
        """The seconds of each batch's forward pass, its result brought to the host."""
        return [_seconds(lambda: np.asarray(self.serve(batch))) for batch in self.batches]

    def time_once(self, latency_calls: int) -> None:
        """One timed run of each measurement, added to `times`."""
        self.times["train"].extend(self.train())
        self.times["infer"].extend(self.infer())
        self.times["latency"].extend(_seconds(lambda: np.asarray(self.serve(self.one))) for _ in range(latency_calls))
        self.times["predict_latency"].append(_seconds(lambda: self.served.predict(self.x[:1], verbose=0)))

    def row(self, peak_flops: float | None) -> Row:
        import tensorflow as tf

        med = {k: statistics.median(v) for k, v in self.times.items()}
        train_per_s = self.batch_size / med["train"]
        efficiency = 3.0 * self.flops * train_per_s / peak_flops if self.flops and peak_flops else None
        device = "GPU" if tf.config.list_logical_devices("GPU") else f"CPU ({os.cpu_count()} cores)"
        return Row(model=self.name, implementation=self.implementation, xla=self.xla, batch_size=self.batch_size,
                   input_shape="x".join(map(str, self.input_shape)), params=int(self.model.count_params()),
                   flops=self.flops, train_per_s=train_per_s, infer_per_s=self.batch_size / med["infer"],
                   latency_ms=med["latency"] * 1e3, predict_latency_ms=med["predict_latency"] * 1e3,
                   peak_mb=self.peak_mb, efficiency=efficiency, device=device, serving=self.serving,
                   precision=self.model.dtype_policy.name)


def time_interleaved(prepared: list[Prepared], repeats: int, latency_calls: int = 5) -> None:
    """`repeats` timed runs of each, taking turns (a, b, a, b, ...) so that a slow spell of the machine
    (another process, a warmer CPU) falls on both sides alike."""
    for _ in range(repeats):
        for p in prepared:
            p.time_once(latency_calls)


# ---------------------------------------------------------------------------------------------
# The benchmark


def benchmark(names: list[str], *, input_shape: tuple[int, ...] | None = None, num_classes: int | None = None,
              batch_size: int = 32, steps: int = 5, repeats: int = 3, xla=(False, True), precisions=None,
              reference: bool | str | None = None, verbose: bool = True) -> list[Row]:
    """Measure each registry model (and, with `reference`, its twin); see the module docstring.

    `reference` is "keras" (or True: keras.applications' twin) or "torch" (the PyTorch twin,
    `keras_zoo.torch_twins`; it needs the optional extra `keras-zoo[torch]`).

    `precisions` are Keras dtype policies (`PRECISIONS`) to build the models with; by default
    float32, and on a GPU mixed_float16 too.
    """
    import keras

    from keras_zoo import registry

    if not names:
        raise ValueError("No models to benchmark: give registry names or a pattern that matches some (`zoo list`).")
    for value, what in ((batch_size, "batch_size"), (steps, "steps"), (repeats, "repeats")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{what} must be a positive integer. Received: {what}={value!r}")
    reference = _reference_kind(reference)
    if reference == "torch":
        from keras_zoo import torch_twins

        torch_twins.import_torch()  # fails here, before any model is built, with how to install it
        torch_twins.share_the_gpu()
    precisions = tuple(precisions) if precisions else default_precisions()
    unknown = [p for p in precisions if p not in PRECISIONS]
    if unknown:
        raise ValueError(f"Unknown precision {unknown[0]!r}: use {', '.join(PRECISIONS)}.")
    peaks = {}  # per precision: the matrix multiply in the dtype its layers compute in
    for precision in precisions:
        dtype = COMPUTE_DTYPES[precision]
        peaks[precision] = matmul_peak(dtype=dtype)
        if verbose:
            print(f"matrix multiply ({MATMUL_SIZE}x{MATMUL_SIZE}, {dtype}): {peaks[precision] / 1e9:.1f} GFLOP/s",
                  flush=True)
    rows = []
    for name in names:
        entry = registry.get_entry(name)
        shape = tuple(input_shape) if input_shape else tuple(entry.input_shape)
        classes = num_classes or entry.num_classes or 10
        dtype = "int32" if entry.input_kind in ("tokens", "ids") else "float32"
        if verbose and reference and not any(_reference_sides(reference, name, jit) for jit in xla):
            kind = "keras.applications" if reference == "keras" else "PyTorch"
            why = ("its PyTorch twin runs without XLA only (--xla off or both)"
                   if any(_reference_sides(reference, name, False) for _ in xla) else f"it has no {kind} twin")
            print(f"{name}: the zoo's rows only, {why}.", flush=True)
        for jit, precision in ((j, p) for j in xla for p in precisions):
            sides = []
            for implementation in ("zoo", *_reference_sides(reference, name, jit)):
                if implementation == "torch":
                    from keras_zoo import torch_twins

                    sides.append(torch_twins.TorchPrepared(name, input_shape=shape, num_classes=classes,
                                                           batch_size=batch_size, steps=steps, precision=precision))
                    continue
                keras.utils.set_random_seed(0)
                with _dtype_policy(precision):
                    if implementation == "zoo":
                        model = registry.create_model(name, input_shape=shape, num_classes=classes)
                    else:
                        attr, kwargs = REFERENCES[name]
                        model = getattr(keras.applications, attr)(weights=None, input_shape=shape,
                                                                  classes=classes, **kwargs)
                sides.append(Prepared(model, name=name, implementation=implementation, input_shape=shape,
                                      num_classes=classes, batch_size=batch_size, steps=steps, xla=jit,
                                      input_dtype=dtype, fold=implementation == "zoo"))
            time_interleaved(sides, repeats)
            measured = [side.row(peaks[precision]) for side in sides]
            if len(measured) == 2:
                zoo_row, ref = measured
                zoo_row.ratio_train = zoo_row.train_per_s / ref.train_per_s
                zoo_row.ratio_infer = zoo_row.infer_per_s / ref.infer_per_s
            rows.extend(measured)
            if verbose:
                for row in measured:
                    print(_line(row) + (f"  -> zoo/reference: training {row.ratio_train:.3f}, inference "
                                        f"{row.ratio_infer:.3f}" if row.ratio_train else ""), flush=True)
            del sides, measured
            keras.backend.clear_session()
    return rows


REFERENCE_KINDS = ("keras", "torch")


def _reference_kind(reference) -> str | None:
    """`reference` as None, "keras" (keras.applications; also `True`) or "torch" (`keras_zoo.torch_twins`)."""
    if reference is None or reference is False:
        return None
    if reference is True:
        return "keras"
    if reference not in REFERENCE_KINDS:
        raise ValueError(f"Unknown reference {reference!r}: use {' or '.join(REFERENCE_KINDS)}.")
    return reference


def _reference_sides(reference: str | None, name: str, jit: bool) -> tuple[str, ...]:
    """The reference implementations measured beside the zoo's `name`: none where it has no twin.

    The torch twins run eagerly, so they stand beside the zoo's rows without XLA only.
    """
    if reference == "keras" and name in REFERENCES:
        return ("keras.applications",)
    if reference == "torch" and not jit:
        from keras_zoo.torch_twins import TWINS

        return ("torch",) if name in TWINS else ()
    return ()


COMPUTE_DTYPES = {"float32": "float32", "mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}  # policy: dtype
PRECISIONS = tuple(COMPUTE_DTYPES)


def default_precisions() -> tuple[str, ...]:
    """float32, and on a GPU mixed_float16 too (where float16 has fast kernels)."""
    import tensorflow as tf

    return ("float32", "mixed_float16") if tf.config.list_logical_devices("GPU") else ("float32",)


@contextlib.contextmanager
def _dtype_policy(name: str):
    """Layers built inside take the dtype policy `name`; the global policy is put back after."""
    import keras

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def _line(row: Row) -> str:
    return (f"{row.model} ({row.implementation}, XLA {'on' if row.xla else 'off'}, {row.precision}): "
            f"train {row.train_per_s:.1f}/s, infer {row.infer_per_s:.1f}/s, "
            f"latency {row.latency_ms:.2f} ms"
            + (f" (predict {row.predict_latency_ms:.1f} ms)" if row.predict_latency_ms is not None else ""))


COLUMNS = (("model", "model", "{}"), ("implementation", "implementation", "{}"), ("xla", "XLA", "{}"),
           ("precision", "precision", "{}"), ("serving", "inference", "{}"), ("params", "params", "{:,}"),
           ("flops", "GFLOPs/example", None),
           ("train_per_s", "train ex/s", "{:.1f}"),
           ("infer_per_s", "infer ex/s", "{:.1f}"), ("latency_ms", "latency ms", "{:.2f}"),
           ("predict_latency_ms", "predict() ms", "{:.1f}"), ("peak_mb", "peak MB", "{:.0f}"),
           ("efficiency", "efficiency", "{:.1%}"), ("ratio_train", "zoo/ref train", "{:.3f}"),
           ("ratio_infer", "zoo/ref infer", "{:.3f}"))


def format_table(rows: list[Row]) -> str:
    """A Markdown table of the rows."""
    header = "| " + " | ".join(label for _, label, _ in COLUMNS) + " |"
    lines = [header, "|" + "---|" * len(COLUMNS)]
    for row in rows:
        cells = []
        for key, _, form in COLUMNS:
            value = getattr(row, key)
            if value is None:
                cells.append("-")
            elif key == "flops":
                cells.append(f"{value / 1e9:.4g}")
            elif key == "xla":
                cells.append("on" if value else "off")
            else:
                cells.append(form.format(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_csv(rows: list, path: str | os.PathLike) -> Path:
    """Every field of every row, one line each, written atomically.

    `rows` are dataclasses of one type: `Row`s, or `applications.input_benchmark.PipelineRow`s.
    """
    from keras_zoo.files import atomic_path

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[f.name for f in fields(rows[0] if rows else Row)], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(buffer.getvalue())
    return path
