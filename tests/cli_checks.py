"""The `zoo` command's `main`, run in the test's own process (shared by the bad-input tests).

A bad-input case only needs the command's argument handling and the error it prints; starting a
new `zoo` process for each costs seconds of TensorFlow start-up. Each domain still runs the
installed console script end to end in its `test_cli_*` / `test_command_line_*` test.
"""

import contextlib
import io
import os
import subprocess

from keras_zoo.applications import cli


def run_zoo(args: list[str], capsys) -> tuple[int, str]:
    """`(exit status, stderr)` of `zoo ARGS...` run through `applications.cli.main` in this process.

    argparse's own errors exit through SystemExit; their status is returned like main's.
    """
    capsys.readouterr()  # drop what earlier steps printed
    try:
        status = cli.main(args)
    except SystemExit as exit_:
        status = exit_.code
    return status, capsys.readouterr().err


def zoo_here(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """`zoo ARGS...` through `applications.cli.main` in this process, in `cwd`, its output captured
    as `subprocess.run(..., capture_output=True, text=True)` gives it: for the steps after a
    domain's end-to-end `zoo train` (evaluate, predict, a refused rerun), which need no second
    start of TensorFlow to show what they print.
    """
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = cli.main(list(args))
            except SystemExit as exit_:
                status = exit_.code
    finally:
        os.chdir(before)
    return subprocess.CompletedProcess(["zoo", *args], status, out.getvalue(), err.getvalue())
