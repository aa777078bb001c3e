"""The bad-input matrix: every domain's `train`, `evaluate` and `predict`, given what users get wrong.

Each case runs the `zoo` command's `main` in this process (`tests/cli_checks.py`) and checks the
promise: exit status 2, one line `zoo COMMAND: error: ...` that says what was wrong (the words
checked), no traceback, and no output folder left behind.

Two faults come from the operating system, not from the arguments:
- a read-only output folder: the command runs as the unprivileged user `nobody` (root writes
  anywhere), with the modules it needs imported beforehand (root's Python is not readable by nobody);
- a full disk: a file-size limit (`RLIMIT_FSIZE`) makes the kernel refuse every write past 64 KiB
  with an error, as a full disk does; the run fails when it saves its first epoch.
"""

import contextlib
import os
import resource
import shutil
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests.cli_checks import run_zoo

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

DOMAINS = ("vision", "nlp", "speech", "recommendation", "finance")
# What each domain says when given a CSV file whose columns it cannot use.
WRONG_COLUMNS = {"vision": "A CSV file is not an image source", "nlp": "needs a header with 'text' and 'label'",
                 "speech": "not a CSV file", "recommendation": "has no user column",
                 "finance": "has no Date and Close column"}
NOT_UTF8 = {"vision": "A CSV file is not an image source", "nlp": "is not UTF-8", "speech": "not a CSV file",
            "recommendation": "is not UTF-8", "finance": "is not UTF-8"}
EMPTY = {"vision": "A CSV file is not an image source", "nlp": "needs a header", "speech": "not a CSV file",
         "recommendation": "is empty", "finance": "is empty"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import scipy.io.wavfile
    from PIL import Image

    root = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(0)
    for name, classes, per_class in (("one_class_images", ["cat"], 8), ("few_images", ["cat", "dog"], 1)):
        for label in classes:
            (root / name / label).mkdir(parents=True)
            for i in range(per_class):
                Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(root / name / label / f"{i}.png")
    for name, classes, per_class in (("one_class_clips", ["yes"], 8), ("few_clips", ["yes", "no"], 1)):
        for label in classes:
            (root / name / label).mkdir(parents=True)
            for i in range(per_class):
                scipy.io.wavfile.write(root / name / label / f"{i}.wav", 16000,
                                       (rng.standard_normal(16000) * 1000).astype(np.int16))
    (root / "one_class.csv").write_text("text,label\n" + "".join(f"a good film {i},pos\n" for i in range(40)))
    (root / "few_texts.csv").write_text("text,label\na good film,pos\na bad film,neg\n")
    (root / "one_user.csv").write_text("user_id,item_id\n" + "".join(f"u1,i{i}\n" for i in range(30)))
    (root / "few_interactions.csv").write_text("user_id,item_id\nu1,i1\nu2,i2\nu1,i2\n")
    (root / "flat_prices.csv").write_text("Date,Close\n" + "".join(
        f"{2000 + i // 250}-{(i % 250) // 21 + 1:02d}-{i % 21 + 1:02d},100\n" for i in range(1000)))
    (root / "few_prices.csv").write_text("Date,Close\n" + "".join(f"2020-01-{i + 1:02d},{100 + i}\n" for i in range(20)))
    (root / "empty.csv").write_text("")
    (root / "notes.txt").write_text("not a data file\n")
    (root / "cols.csv").write_text("a,b\n1,2\n")
    (root / "latin.csv").write_bytes(b"text,label,Date,Close,user_id,item_id\ncaf\xe9,1,2020-01-02,3,u,i\n")
    (root / "a_file").write_text("I am a file, not a folder\n")
    other = root / "speech_run"  # a finished run of another domain (speech; vision's for speech)
    other.mkdir()
    (other / "metrics.json").write_text('{"domain": "speech"}\n')
    (other / "model.keras").write_bytes(b"")
    vision_run = root / "vision_run"
    vision_run.mkdir()
    (vision_run / "metrics.json").write_text('{"domain": "vision"}\n')
    (vision_run / "model.keras").write_bytes(b"")
    return root


def _train_cases():
    for d in DOMAINS:
        yield d, ["--data", "no/such/file.csv"], "No such file or folder"
        yield d, ["--data", "{root}/empty.csv"], EMPTY[d]
        yield d, ["--data", "{root}/notes.txt"], "is a file but not a .csv file"
        yield d, ["--data", "{root}/cols.csv"], WRONG_COLUMNS[d]
        yield d, ["--data", "{root}/latin.csv"], NOT_UTF8[d]
        yield d, ["--epochs", "-1"], "`epochs` must be an integer >= 1"
        yield d, ["--batch-size", "0"], "--batch-size takes a positive integer"
        yield d, ["--learning-rate", "-1"], "`learning_rate` must be a finite number > 0"
        yield d, ["--output", "{root}/a_file"], "is a file, not a folder"
        yield d, ["--model", "no_such_model"], "Unknown model 'no_such_model'"
        yield d, ["--data", "tfds:"], "`tfds:` needs a dataset name"
    yield "vision", ["--model", "mf"], "mf takes ids inputs, not images"
    yield "nlp", ["--max-examples", "0"], "max_examples must be a positive int"
    yield "speech", ["--items", "x.csv"], "--items is for `zoo train recommendation`, not speech"
    yield "recommendation", ["--negatives", "0"], "negatives must be a positive integer"
    yield "recommendation", ["--test-data", "sample"], "--test-data is not a recommendation option"
    yield "finance", ["--window", "0"], "window must be a positive"
    yield "finance", ["--cost-bps", "-3"], "cost_bps (--cost-bps)"
    yield "finance", ["--data", "tfds:mnist"], "TensorFlow Datasets has no price series"
    yield "vision", ["--horizon", "5"], "--horizon is for `zoo train finance`, not vision"
    yield "finance", ["--items", "x.csv"], "--items is for `zoo train recommendation`, not finance"
    # One class (for recommendation, one user; for finance, prices that never move), and far too little data.
    yield "vision", ["--data", "{root}/one_class_images"], "needs at least two classes"
    yield "vision", ["--data", "{root}/few_images"], "a train/val/test split needs at least 6 per class"
    yield "nlp", ["--data", "{root}/one_class.csv"], "has a single class 'pos': classification needs at least two"
    yield "nlp", ["--data", "{root}/few_texts.csv"], "too few to stratify it"
    yield "speech", ["--data", "{root}/one_class_clips"], "needs at least 2 class subfolders"
    yield "speech", ["--data", "{root}/few_clips"], "too few to split into train and held-out parts"
    yield "recommendation", ["--data", "{root}/one_user.csv"], "nothing left to rank a held-out item against"
    yield "recommendation", ["--data", "{root}/few_interactions.csv"], "nothing left to rank a held-out item against"
    yield "finance", ["--data", "{root}/flat_prices.csv"], "training returns are all 0"
    yield "finance", ["--data", "{root}/few_prices.csv"], "Give a longer series or a shorter --window"


def _other_cases():
    for d in DOMAINS:
        yield d, ["evaluate", d, "--model-dir", "{root}/no_such_run", "--data", "sample"], f"is not a finished {d} run"
        other = "vision_run" if d == "speech" else "speech_run"
        theirs = "vision" if d == "speech" else "speech"
        yield d, ["evaluate", d, "--model-dir", f"{{root}}/{other}", "--data", "sample"], \
            f"holds a {theirs} run, not a {d} run"
        inputs = {"recommendation": ["--user", "u1"], "finance": ["--data", "{root}/cols.csv"]}.get(d, ["x"])
        yield d, ["predict", d, "--model-dir", "{root}/no_such_run", *inputs], (
            f"is not a finished {d} run")
    yield "vision", ["predict", "vision", "--model-dir", "{root}/speech_run"], "Give at least one input"
    yield "recommendation", ["predict", "recommendation", "--model-dir", "{root}/speech_run", "u1"], \
        "not positional inputs"
    yield "finance", ["predict", "finance", "--model-dir", "{root}/speech_run"], "--data CSV"
    yield "nlp", ["predict", "nlp", "--model-dir", "{root}/speech_run", "--user", "u1", "hi"], \
        "--user is for `zoo predict recommendation`, not nlp."


FAULTS = {"read-only": "Cannot write to the output folder", "full-disk": "File too large. Free some space"}

CASES = [("train", d, ["train", d, *args], words, None) for d, args, words in _train_cases()] + \
        [(args[0], d, args, words, None) for d, args, words in _other_cases()] + \
        [("train", d, ["train", d, "--epochs", "1"], words, fault) for fault, words in FAULTS.items() for d in DOMAINS]


@contextlib.contextmanager
def _fault(fault: str | None, domain: str, output: Path):
    """Run the block with `output` read-only or the disk "full" (see the module docstring)."""
    if fault == "read-only":
        from keras_zoo.applications import domains
        from keras_zoo.applications.common import distribute, report  # noqa: F401  (imported as root: see above)

        domains.pipeline(domain)
        os.chmod(output.parent, 0o755)  # nobody may look in, not write
        output.mkdir(mode=0o555)
        if os.geteuid() == 0:
            os.seteuid(65534)
        try:
            yield
        finally:
            if os.geteuid() != os.getuid():
                os.seteuid(os.getuid())
    elif fault == "full-disk":
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead of killing the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            signal.signal(signal.SIGXFSZ, previous)
    else:
        yield


def test_the_matrix_covers_every_domain_and_command():
    assert len(CASES) >= 60
    for domain in DOMAINS:
        assert {c for c, d, *_ in CASES if d == domain} == {"train", "evaluate", "predict"}
        assert {f for _, d, *_, f in CASES if d == domain} == {None, *FAULTS}


@pytest.mark.parametrize("command,domain,args,words,fault", CASES,
                         ids=[f"{c}-{d}-{f or '_'.join(a[2:])[:40]}" for c, d, a, _, f in CASES])
def test_bad_input(command, domain, args, words, fault, files, capsys):
    # Under /tmp itself for the read-only case: nobody cannot pass through pytest's private folders.
    scratch = Path(tempfile.mkdtemp(dir=None if fault == "read-only" else files.parent))
    try:
        _check_case(command, args, words, fault, domain, files, scratch / "out", capsys)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _check_case(command, args, words, fault, domain, files, output, capsys):
    args = [a.replace("{root}", str(files)) for a in args]
    if command == "train" and "--output" not in args:
        args += ["--output", str(output)]
    before = sorted(p.name for p in files.rglob("*"))
    with _fault(fault, domain, output):
        status, stderr = run_zoo(args, capsys)
    lines = stderr.strip().splitlines()
    assert status == 2, (args, stderr[-2000:])
    assert len(lines) == 1 and "Traceback" not in stderr, lines
    assert lines[0].startswith(f"zoo {command}: error: "), lines
    assert words in lines[0], (words, lines[0])
    if fault == "read-only":  # the user's folder stays, as empty as it was
        assert output.is_dir() and not any(output.iterdir())
    else:
        assert not output.exists()  # nothing partial: not even an empty folder
    assert sorted(p.name for p in files.rglob("*")) == before
