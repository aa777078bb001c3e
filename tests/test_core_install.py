"""`pip install keras-zoo`, the core alone, in a fresh virtual environment.

The core is the registry, checkpoints, transfer learning and the layers, on TensorFlow, Keras,
numpy and tqdm. In a venv that has only those (and pip's own packages), a user builds, trains,
saves, loads and fine-tunes a model, loads a shipped checkpoint, and gets one line naming the
extra when a command needs more. The old top-level names (`applications`, `pretrained`) are gone.

This test installs TensorFlow into a new venv (from pip's cache when `make test` has just
installed the project: about a minute).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

REPO = Path(__file__).resolve().parents[1]
# What the core may bring: the declared four, what they depend on, and pip's own.
APP_ONLY = ("sklearn", "scipy", "pandas", "matplotlib", "tensorflow_datasets", "keras_tuner", "arch")


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory) -> Path:
    venv = tmp_path_factory.mktemp("core") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(REPO)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    return venv / "bin"


def _run(bin_dir: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["ZOO_HOME"] = str(cwd / "zoo_home")
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_the_core_installs_no_application_dependency(core_venv, tmp_path):
    code = ("import importlib.util as u; print(' '.join(m for m in " + repr(APP_ONLY)
            + " if u.find_spec(m) is not None))")
    result = _run(core_venv, [str(core_venv / "python"), "-c", code], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"the core install brought {result.stdout.strip()}"


@pytest.mark.parametrize("name", ["applications", "pretrained", "zoo"])
def test_only_the_one_namespace_is_installed(core_venv, tmp_path, name):
    result = _run(core_venv, [str(core_venv / "python"), "-c", f"import {name}"], tmp_path)
    assert result.returncode != 0
    assert f"No module named '{name}'" in result.stderr


def test_core_builds_trains_saves_loads_and_fine_tunes(core_venv, tmp_path):
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import keras
        import keras_zoo as zoo
        import keras_zoo.transfer

        rng = np.random.default_rng(0)
        x = rng.normal(size=(96, 8, 8, 1)).astype("float32")
        y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype("int32")

        model = zoo.create_model("cnn_small", num_classes=2, input_shape=(8, 8, 1))
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
        losses = model.fit(x, y, epochs=15, batch_size=32, verbose=0).history["loss"]
        assert losses[-1] < losses[0], losses

        model.save("m.keras")
        again = zoo.load_model("m.keras")
        np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)

        folder = zoo.save_checkpoint(model, "cnn_small.mine", card={"metrics": {"loss": losses[-1]}})
        tuned = zoo.create_model("cnn_small", num_classes=3, input_shape=(8, 8, 1), pretrained=str(folder))
        history = zoo.transfer.fine_tune(tuned, (x, y % 3), head_epochs=3, fine_tune_epochs=2, batch_size=32)
        assert len(history["head"]["loss"]) == 3 and len(history["fine_tune"]["loss"]) == 2

        shipped = zoo.create_model("resnet20", pretrained="digits", num_classes=4)
        assert shipped.output_shape == (None, 4)
        assert "sklearn" not in sys.modules and "keras_tuner" not in sys.modules
        print("core ok")
    """)
    (tmp_path / "script.py").write_text(script)
    result = _run(core_venv, [str(core_venv / "python"), "script.py"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "core ok" in result.stdout


def test_zoo_list_and_info_run_on_the_core(core_venv, tmp_path):
    listed = _run(core_venv, [str(core_venv / "zoo"), "list", "--pretrained"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "resnet20.digits" in listed.stdout
    info = _run(core_venv, [str(core_venv / "zoo"), "info", "resnet20"], tmp_path)
    assert info.returncode == 0 and "resnet20" in info.stdout


@pytest.mark.parametrize("args, extra", [
    (["train", "vision", "--epochs", "1"], "apps"),
    (["demo", "nlp"], "apps"),
    (["benchmark", "--pipeline", "vision"], "apps"),
    (["benchmark", "resnet50", "--reference", "torch"], "torch"),
    (["tune", "vision", "--model", "cnn_small", "--max-trials", "1"], "apps"),
])
def test_a_domain_command_without_its_extra_names_it_in_one_line(core_venv, tmp_path, args, extra):
    result = _run(core_venv, [str(core_venv / "zoo"), *args], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"zoo {args[0]}: error:")
    assert f"pip install 'keras-zoo[{extra}]'" in lines[0]
    assert list(tmp_path.iterdir()) == [], "nothing is written"
