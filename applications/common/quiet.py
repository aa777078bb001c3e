"""Keep TensorFlow's log lines off the terminal, unless `--verbose` or `ZOO_VERBOSE=1` asks for them.

`zoo` enters `quiet_tensorflow(verbose_requested(argv))` first thing in `main`, before anything
has imported TensorFlow. Unless verbose, while the command runs:

- `TF_CPP_MIN_LOG_LEVEL=3`: TensorFlow's C++ INFO, WARNING and ERROR lines are not written (FATAL
  ones are). TF 2.21 logs through Abseil: a static initialiser of `libtensorflow_framework.so.2`
  (`logging_initializer.cc`) passes this variable to `absl::SetMinLogLevel` as the library loads.
  It hides the runtime lines: "failed call to cuInit" on a machine without a GPU, and
  `node_def_util.cc`'s "NodeDef mentions attribute use_unbounded_threadpool" (see `training.set_seed`).
- the Python loggers `tensorflow` and `absl` at ERROR: tf.function retracing and AutoGraph
  warnings, and absl's notes from Keras' saving code;
- Python warnings that concern the libraries' own code (deprecations inside TensorFlow, Keras...)
  ignored; the project's own warnings, and any other, still show;
- what no variable reaches is filtered out of the process's stderr (`LineFilter`, below).

Why a filter as well. A few lines are logged while the shared libraries load, by static
initialisers that run before `logging_initializer.cc`'s (port.cc's "oneDNN custom operations are
on", cudart_stub.cc's "Could not find cuda drivers"), and again when `_pywrap_profiler_plugin.so`,
which links its own copy of TensorFlow's framework and Abseil, loads; Abseil prefixes the first of
them with "WARNING: All log messages before absl::InitializeLog() is called are written to
STDERR". At that point Abseil's minimum level is still its default (INFO) and nothing reads the
environment: no variable silences them (`TF_ENABLE_ONEDNN_OPTS=0` would hide one by turning off
oneDNN, which changes speed and numerics). So stderr's file descriptor is replaced by a pipe to a
small process (this file, run as a script) that passes every line on to the real stderr except
the ones in TensorFlow's and Abseil's C++ log format of severity I, W or E (`TF_LOG_LINE`): the
project's own lines, Python's warnings and tracebacks, and FATAL lines still get through. A
process rather than a thread: it drains the pipe even when the command crashes or aborts (a
"Check failed" line, faulthandler's report), and it cannot deadlock on the GIL when C++ code
writes to a full pipe. Lines that cannot be TensorFlow's (the first character decides) pass at
once, so a progress bar drawn with carriage returns is not held back.

When TensorFlow is already loaded (`main` called from a test or a notebook) the variables come too
late and stderr belongs to the caller: only the loggers and warnings are set. Everything is
restored when the command ends (a TensorFlow loaded during it keeps the C++ level it read).

Importing this module never imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import subprocess
import sys
import warnings

VERBOSE_ENV = "ZOO_VERBOSE"
ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3"}  # 3: FATAL only
LOGGERS = ("tensorflow", "absl")
# Warnings raised inside these packages concern their own code: the user can do nothing about them.
LIBRARIES = r"(tensorflow|tf_keras|keras|keras_tuner|tensorflow_datasets|tensorboard|absl|google\.protobuf|h5py|ml_dtypes)(\.|$)"
HARMLESS_MESSAGES = (
    # Keras 3 on numpy 2 converts tensors with np.array(x, copy=False) (also in pyproject's pytest filters)
    "__array__ implementation doesn't accept a copy keyword",
)

# TensorFlow's and Abseil's C++ log lines of severity I, W or E: what the stderr filter drops.
TF_LOG_LINE = re.compile(
    # Abseil (and glog): "I0000 00:00:1796591414.002224   10402 port.cc:153] " (before
    # absl::InitializeLog the time is seconds since the epoch), or "W0513 19:15:53.300433 12 x.cc:20] "
    rb"[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^ \]]+:\d+\] "
    # TensorFlow's own sink: "2025-01-30 10:00:00.123456: W tensorflow/core/x.cc:44] "
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] [^ \]]+:\d+\] "
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|WARNING: Logging before InitGoogleLogging\(\) is written to STDERR"
)
_MAY_START_A_LOG_LINE = frozenset(b"IWE0123456789")
_MAX_HELD = 4096  # a longer line is no log line's start: passed on


def verbose_requested(argv: list[str] | None = None) -> bool:
    """Whether the command asks for TensorFlow's log lines: `--verbose` among `argv`, or `ZOO_VERBOSE=1`.

    Read before the arguments are parsed (parsing them must not wait for this set-up), as argparse
    would: an unambiguous prefix such as `--verb` counts, and nothing after `--`.
    """
    if os.environ.get(VERBOSE_ENV, "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    args = itertools.takewhile(lambda arg: arg != "--", sys.argv[1:] if argv is None else argv)
    return any(arg.startswith("--v") and "--verbose".startswith(arg) for arg in args)


@contextlib.contextmanager
def quiet_tensorflow(verbose: bool = False):
    """While the block runs, TensorFlow's log lines and the libraries' harmless warnings are hidden.

    Enter it before TensorFlow is imported: the C++ log level is read as the library loads.
    With `verbose` it changes nothing.

    Example:
        >>> with quiet_tensorflow(verbose_requested()):
        ...     import tensorflow as tf  # no "oneDNN custom operations are on" line
    """
    if verbose:
        yield
        return
    saved_env = {name: os.environ.get(name) for name in ENVIRONMENT}
    saved_levels = {name: logging.getLogger(name).level for name in LOGGERS}
    tensorflow_loaded = "tensorflow" in sys.modules
    os.environ.update(ENVIRONMENT)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
                warnings.filterwarnings("ignore", category=category, module=LIBRARIES)
            for message in HARMLESS_MESSAGES:
                warnings.filterwarnings("ignore", message=re.escape(message))
            stderr_filter = None if tensorflow_loaded else _StderrFilter.start()
            try:
                yield
            finally:
                if stderr_filter is not None:
                    stderr_filter.stop()
    finally:
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class LineFilter:
    """Drops TensorFlow's log lines (`TF_LOG_LINE`) from a byte stream fed in pieces.

    A line that cannot be one (its first byte decides) is passed on as it comes; one that may be
    is held until its end shows.

    Example:
        >>> f = LineFilter()
        >>> f.feed(b"I0000 00:00:1.5 7 port.cc:153] oneDNN...\\nEpoch 1\\n") + f.finish()
        b'Epoch 1\\n'
    """

    def __init__(self):
        self.held = b""  # the start of a line that may be a log line
        self.passing = False  # within a line known to pass

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            if self.passing:
                end = data.find(b"\n") + 1
                if not end:
                    out += data
                    break
                out += data[:end]
                data, self.passing = data[end:], False
            elif not self.held and data[0] not in _MAY_START_A_LOG_LINE:
                self.passing = True
            else:
                line, self.held = self.held + data, b""
                end = line.find(b"\n") + 1
                if not end:
                    if len(line) > _MAX_HELD:
                        out += line
                        self.passing = True
                    else:
                        self.held = line
                    break
                if not TF_LOG_LINE.match(line):
                    out += line[:end]
                data = line[end:]
        return bytes(out)

    def finish(self) -> bytes:
        """What is held at the end of the stream (a last line without a newline), unless a log line."""
        held, self.held = self.held, b""
        return b"" if TF_LOG_LINE.match(held) else held


class _StderrFilter:
    """File descriptor 2 replaced by a pipe to `python quiet.py`, which writes the real stderr."""

    def __init__(self, saved_fd: int, process: subprocess.Popen):
        self.saved_fd = saved_fd
        self.process = process

    @classmethod
    def start(cls) -> _StderrFilter | None:
        """The filter running, or None where it cannot (no stderr, no interpreter to start, not POSIX)."""
        if os.name != "posix" or not sys.executable:
            return None
        try:
            saved = os.dup(2)
        except OSError:  # stderr closed: nothing to filter
            return None
        read, write = os.pipe()
        try:
            # -I -S: the standard library only, nothing from the environment or site-packages; its
            # own session: Ctrl-C interrupts the command, and the filter still passes on what it prints.
            process = subprocess.Popen([sys.executable, "-I", "-S", os.path.abspath(__file__)], stdin=read,
                                       stdout=saved, stderr=saved, close_fds=True, start_new_session=True)
        except OSError:
            for fd in (read, write, saved):
                os.close(fd)
            return None
        os.close(read)
        _flush()
        os.dup2(write, 2)
        os.close(write)
        return cls(saved, process)

    def stop(self) -> None:
        """Give stderr back; wait (a few seconds at most) for the filter to pass on what it holds."""
        _flush()
        os.dup2(self.saved_fd, 2)  # closes this process's end of the pipe: the filter reads to its end
        os.close(self.saved_fd)
        with contextlib.suppress(subprocess.TimeoutExpired):  # a child of the command holds the pipe: it still drains
            self.process.wait(timeout=5)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _run_filter(read_fd: int = 0, write_fd: int = 1) -> None:
    """Copy `read_fd` to `write_fd` until its end, less TensorFlow's log lines (the filter process)."""
    lines = LineFilter()
    writable = True
    while True:
        data = os.read(read_fd, 65536)
        out = lines.feed(data) if data else lines.finish()
        while out and writable:
            try:
                out = out[os.write(write_fd, out):]
            except OSError:  # stderr gone: keep draining the pipe, so the command never blocks on it
                writable = False
        if not data:
            return


if __name__ == "__main__":  # the filter process that _StderrFilter starts
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _run_filter()
