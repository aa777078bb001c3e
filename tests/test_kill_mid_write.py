"""Files that never half-exist: a writer killed with SIGKILL in the middle of a write leaves the old file.

Each case starts a real process that writes one kind of artefact over and over (version 1, 2,
3...), each version distinguishable and self-consistent. The test watches the folder, and the
moment a temporary file of a write in progress has bytes in it, kills the process with SIGKILL:
the write is certainly under way. Then the artefact must be whole and be one of the versions
written, read the way the project reads it; the temporary file the killed writer left must have a
dotted name that nothing reads.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # kills real writer processes (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[1]

# Each script gets the folder to write in as argv[1], writes version 1, prints "ready", then writes
# versions 2, 3, ... until killed. Payloads are a few MB, so that a write lasts long enough to be caught.
WRITERS = {
    "metrics.json": """
        from keras_zoo.applications.common import report
        def write(v):
            report.write_metrics(out, domain="vision", model="m", pretrained=None,
                                 data={"source": "s", "train": v, "val": 0, "test": 0, "classes": []},
                                 metrics={"version": v}, baselines={}, timing={"train_s": 0, "train_examples_per_s": 0},
                                 payload=[v] * 400_000)
        """,
    "model.keras": """
        import keras, numpy as np
        from keras_zoo.applications.common.runs import save_model
        model = keras.Sequential([keras.Input((1000,)), keras.layers.Dense(1000)])
        def write(v):
            model.set_weights([np.full(w.shape, v, "float32") for w in model.get_weights()])
            save_model(model, out)
        """,
    "training backup": """
        import keras, numpy as np
        from keras_zoo.applications.common.training import _AtomicBackup
        model = keras.Sequential([keras.Input((1000,)), keras.layers.Dense(1000)])
        model.compile(optimizer="adam", loss="mse")
        model.optimizer.build(model.trainable_variables)
        backup = _AtomicBackup(str(out / "backup"))
        backup.set_model(model)
        def write(v):  # the weights of "epoch" v are all v
            model.set_weights([np.full(w.shape, v, "float32") for w in model.get_weights()])
            backup._current_epoch = v
            backup._save_model()
        """,
    "checkpoint folder": """
        import numpy as np, zoo
        model = zoo.create_model("mlp_small", num_classes=10, input_shape=(784,), hidden_units=(1000, 1000))
        def write(v):
            model.set_weights([np.full(w.shape, v, "float32") for w in model.get_weights()])
            zoo.save_checkpoint(model, out / "mlp_small.test", card={"metrics": {"version": v}}, overwrite=True)
        """,
    "download": """
        from keras_zoo import checkpoints
        source = out.parent / "source.bin"
        source.write_bytes(bytes(range(256)) * 40_000)
        sha = checkpoints.sha256_of(source)
        def write(v):
            checkpoints.download(source.as_uri(), out / "weights.bin", sha256=sha, progress=False)
        """,
    "plot": """
        import matplotlib.figure
        from keras_zoo.applications.common import plotting
        def write(v):
            fig = matplotlib.figure.Figure(figsize=(12, 12))
            fig.add_subplot().imshow(__import__("numpy").random.default_rng(v).random((600, 600)))
            plotting.save_figure(fig, out, "picture")
        """,
}

HARNESS = """
import sys
from pathlib import Path
out = Path(sys.argv[1])
{body}
write(1)
print("ready", flush=True)
v = 2
while True:
    write(v)
    v += 1
"""


def _temporary_files(folder: Path) -> list[Path]:
    """Files of a write in progress (dotted temporary names) that already hold bytes."""
    found = []
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = Path(dirpath) / name
            if any(part.startswith(".") for part in path.relative_to(folder).parts):
                try:
                    if path.stat().st_size > 0:
                        found.append(path)
                except FileNotFoundError:  # renamed into place since the listing
                    pass
    return found


def _kill_mid_write(kind: str, out: Path) -> list[Path]:
    """Start the writer of `kind`, kill it during a write after the first one; the temporary files it left."""
    script = HARNESS.format(body=textwrap.dedent(WRITERS[kind]))
    process = subprocess.Popen([sys.executable, "-c", script, str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()[-2000:]
        deadline = time.monotonic() + 60
        while not (caught := _temporary_files(out)):
            assert process.poll() is None, process.stderr.read()[-2000:]
            assert time.monotonic() < deadline, f"never saw a {kind} write in progress"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
    return caught


@pytest.mark.parametrize("kind", list(WRITERS))
def test_a_writer_killed_mid_write_leaves_a_whole_file(kind, tmp_path):
    # The kill follows the sight of a temporary file, but on a loaded machine the write can end in
    # between; such a try tests nothing, so it is made again, up to five times.
    for attempt in range(5):
        out = tmp_path / f"out{attempt}"
        out.mkdir()
        caught = _kill_mid_write(kind, out)
        if any(p.exists() for p in caught):  # the temporary file is still there: it was mid-write
            break
    else:
        pytest.fail("in five tries, every kill came after the write ended")
    version = CHECKS[kind](out)
    assert version >= 1
    visible = [p for p in out.rglob("*") if not any(s.startswith(".") for s in p.relative_to(out).parts)]
    assert visible, "the old version is gone"


def _metrics(out):
    from keras_zoo.applications.common import report

    record = report.read_metrics(out)  # strict JSON: a truncated file would not parse
    v = record["metrics"]["version"]
    assert record["data"]["train"] == v and record["payload"] == [v] * 400_000
    return v


def _constant_weights(weights) -> int:
    values = {float(x) for w in weights for x in (w.min(), w.max())}
    assert len(values) == 1, values  # every weight of one version: no mix of two
    return int(values.pop())


def _model(out):
    import keras_zoo as zoo

    return _constant_weights(zoo.load_model(out / "model.keras").get_weights())


def _backup(out):
    import keras

    from keras_zoo.applications.common.training import _AtomicBackup

    model = keras.Sequential([keras.Input((1000,)), keras.layers.Dense(1000)])
    model.compile(optimizer="adam", loss="mse")
    backup = _AtomicBackup(str(out / "backup"))
    backup.set_model(model)
    backup._load_model()
    v = _constant_weights(model.get_weights())
    assert model._initial_epoch == v  # the epoch recorded is the one whose weights were loaded
    return v


def _checkpoint(out):
    import keras_zoo as zoo

    model = zoo.create_model("mlp_small", pretrained=out / "mlp_small.test")  # verifies the sha256 first
    v = _constant_weights(model.get_weights())
    card = json.loads((out / "mlp_small.test" / "card.json").read_text())
    assert card["metrics"]["version"] == v
    return v


def _download(out):
    assert (out / "weights.bin").read_bytes() == bytes(range(256)) * 40_000
    return 1


def _plot(out):
    import matplotlib.image

    image = matplotlib.image.imread(out / "plots" / "picture.png")  # a truncated PNG does not decode
    assert image.ndim == 3 and image.shape[0] > 500
    return 1


CHECKS = {"metrics.json": _metrics, "model.keras": _model, "training backup": _backup,
          "checkpoint folder": _checkpoint, "download": _download, "plot": _plot}
