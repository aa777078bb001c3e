"""`zoo` keeps TensorFlow's log lines off stderr unless asked (`--verbose`, `ZOO_VERBOSE=1`); progress by terminal."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from keras_zoo.applications import cli
from keras_zoo.applications.common.quiet import VERBOSE_ENV, LineFilter, verbose_requested

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

ZOO = Path(sys.executable).parent / "zoo"
# TensorFlow's and Abseil's C++ log lines (I0000 00:00:1796591414.002224   10402 port.cc:153] ...),
# TensorFlow's own sink's (2025-01-30 10:00:00.123456: W tensorflow/...), and Abseil's preamble.
TF_LOG = re.compile(r"^([IWEF]\d{4} |\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] )|absl::InitializeLog", re.M)


def zoo(*args, tmp_path, env=None):
    environment = {k: v for k, v in os.environ.items() if k != VERBOSE_ENV}
    result = subprocess.run([str(ZOO), *args], capture_output=True, text=True, cwd=tmp_path,
                            env={**environment, **(env or {})})
    assert result.returncode == 0, result.stderr
    return result


def test_train_writes_nothing_to_stderr(tmp_path):
    result = zoo("train", "vision", "--epochs", "1", "--output", str(tmp_path / "run"), tmp_path=tmp_path)
    assert not TF_LOG.search(result.stderr), result.stderr
    for text in ("cuInit", "NodeDef", "use_unbounded_threadpool", "tensorflow", "Warning"):
        assert text not in result.stderr
    assert result.stderr == ""
    assert "Test accuracy" in result.stdout
    assert re.search(r"^36/36 - .*val_loss", result.stdout, re.M)  # not a terminal: one line per epoch


def test_verbose_brings_tensorflows_lines_back(tmp_path):
    result = zoo("train", "vision", "--epochs", "1", "--max-examples", "40", "--output", str(tmp_path / "run"),
                 "--verbose", tmp_path=tmp_path)
    assert TF_LOG.search(result.stderr), result.stderr


def test_verbose_is_read_before_parsing_as_argparse_reads_it(monkeypatch):
    monkeypatch.delenv(VERBOSE_ENV, raising=False)
    assert verbose_requested(["train", "vision", "--verbose"])
    assert verbose_requested(["--verb", "list"])  # argparse takes an unambiguous prefix
    assert not verbose_requested(["train", "vision"])
    assert not verbose_requested(["predict", "nlp", "--model-dir", "d", "--", "--verbose"])  # an input
    for value, verbose in (("1", True), ("true", True), ("0", False), ("", False)):
        monkeypatch.setenv(VERBOSE_ENV, value)
        assert verbose_requested(["list"]) is verbose


@pytest.mark.parametrize("command", ["list", "info", "train", "evaluate", "predict", "demo", "tune", "export", "benchmark"])
def test_every_command_takes_verbose(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0 and "--verbose" in capsys.readouterr().out


def test_global_verbose_before_the_command(capsys):
    assert cli.main(["--verbose", "list", "resnet2*"]) == 0
    assert "resnet20" in capsys.readouterr().out


# Lines seen on a 2-core machine without a GPU (TF 2.21), and lines that must get through.
DROPPED = [
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    b"I0000 00:00:1796591414.002224   10402 port.cc:153] oneDNN custom operations are on. You may see...\n",
    b"I0000 00:00:1796591414.002590   10402 cudart_stub.cc:31] Could not find cuda drivers on your machine.\n",
    b"E0000 00:00:1796591417.798858   10402 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n",
    b"E0000 00:00:1796591423.989109   10402 node_def_util.cc:682] NodeDef mentions attribute use_unbounded_threadpool\n",
    b"W0513 19:15:53.300679 4727559616 loader.cc:20] a warning after absl::InitializeLog\n",
    b"2025-01-30 10:00:00.123456: W tensorflow/core/framework/op_kernel.cc:1840] OP_REQUIRES failed\n",
]
KEPT = [
    b"F0000 00:00:1796591423.989109   10402 tensor.cc:12] Check failed: a fatal line gets through\n",
    b"zoo train: error: No such file or folder: /nonexistent.\n",
    b"Traceback (most recent call last):\n",
    b'  File "x.py", line 1, in <module>\n',
    b"/work/x.py:3: UserWarning: the project's own warning\n",
    b"Epoch 1/20\n",  # starts like an E line
    b"Error: 2024 results\n",
    b"2024 was a year\n",
]


def test_line_filter_drops_tensorflows_lines_only():
    lines = LineFilter()
    stream = b"".join(line for pair in zip(DROPPED, KEPT) for line in pair) + b"".join(KEPT[len(DROPPED):])
    out = b"".join(lines.feed(stream[i:i + 7]) for i in range(0, len(stream), 7)) + lines.finish()  # in pieces
    assert out == b"".join(KEPT)


def test_line_filter_passes_other_lines_at_once():
    lines = LineFilter()
    assert lines.feed(b"\r 42%|####") == b"\r 42%|####"  # a progress bar drawn with carriage returns
    assert lines.feed(b"##| 43%\n") == b"##| 43%\n"
    assert lines.feed(b"Epoch 1/") == b""  # may be a log line: held to its end
    assert lines.feed(b"20\nI0000 00:00:1.5 7 port.cc:153] unfinished") == b"Epoch 1/20\n"
    assert lines.finish() == b""
    assert lines.feed(b"Ends without a newline") == b"" and lines.finish() == b"Ends without a newline"


# ---------------------------------------------------------------------------------------------
# Progress: a bar per epoch on a terminal, one line per epoch otherwise


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise():
    from keras_zoo.applications.common.training import progress_verbosity

    assert progress_verbosity(Terminal()) == 1
    assert progress_verbosity(io.StringIO()) == 2
    closed = io.StringIO()
    closed.close()
    assert progress_verbosity(closed) == 2


@pytest.mark.parametrize("stdout, bar", [(Terminal, True), (io.StringIO, False)])
def test_fit_chooses_its_progress_by_the_terminal(stdout, bar, tmp_path, monkeypatch):
    import keras
    import numpy as np

    from keras_zoo.applications.common.training import TrainConfig, fit

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    x, y = np.random.default_rng(0).normal(size=(64, 4)).astype("float32"), np.arange(64) % 2
    monkeypatch.setattr(sys, "stdout", stdout())
    fit(model, (x, y), None, TrainConfig(epochs=1, patience=None), tmp_path, loss="sparse_categorical_crossentropy",
        metrics=[], n_train=64)
    printed = sys.stdout.getvalue()
    assert ("━" in printed) is bar
    assert bool(re.search(r"^2/2 - .* - loss: ", printed, re.M)) is not bar
