"""The bad-input matrix: every domain's `train`, `evaluate` and `predict`, given what users get wrong.

Each case runs the `zoo` command's `main` in this process (`tests/cli_checks.py`) and checks the
promise: exit status 2, one line `zoo COMMAND: error: ...` that says what was wrong (the words
checked), no traceback, and no output folder left behind.
"""

import pytest

from tests.cli_checks import run_zoo

DOMAINS = ("vision", "nlp", "speech", "recommendation", "finance")
# What each domain says when given a CSV file whose columns it cannot use.
WRONG_COLUMNS = {"vision": "A CSV file is not an image source", "nlp": "needs a header with 'text' and 'label'",
                 "speech": "not a CSV file", "recommendation": "has no user column",
                 "finance": "has no Date and Close column"}
NOT_UTF8 = {"vision": "A CSV file is not an image source", "nlp": "is not UTF-8", "speech": "not a CSV file",
            "recommendation": "is not UTF-8", "finance": "is not UTF-8"}
EMPTY = {"vision": "A CSV file is not an image source", "nlp": "needs a header", "speech": "not a CSV file",
         "recommendation": "is empty", "finance": "is empty"}


@pytest.fixture
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
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


def _other_cases():
    for d in DOMAINS:
        yield d, ["evaluate", d, "--model-dir", "{root}/no_such_run", "--data", "sample"], f"is not a finished {d} run"
        other = "vision_run" if d == "speech" else "speech_run"
        theirs = "vision" if d == "speech" else "speech"
        yield d, ["evaluate", d, "--model-dir", f"{{root}}/{other}", "--data", "sample"], \
            f"holds a {theirs} run, not a {d} run"
        inputs = {"recommendation": ["--user", "u1"], "finance": ["--data", "{root}/cols.csv"]}.get(d, ["x"])
        yield d, ["predict", d, "--model-dir", "{root}/no_such_run", *inputs], (
            "No such .wav file" if d == "speech" else f"is not a finished {d} run")
    yield "vision", ["predict", "vision", "--model-dir", "{root}/speech_run"], "Give at least one input"
    yield "recommendation", ["predict", "recommendation", "--model-dir", "{root}/speech_run", "u1"], \
        "not positional inputs"
    yield "finance", ["predict", "finance", "--model-dir", "{root}/speech_run"], "--data CSV"
    yield "nlp", ["predict", "nlp", "--model-dir", "{root}/speech_run", "--user", "u1", "hi"], \
        "--user and --top are recommendation options"


CASES = [("train", d, ["train", d, *args], words) for d, args, words in _train_cases()] + \
        [(args[0], d, args, words) for d, args, words in _other_cases()]


def test_the_matrix_covers_every_domain_and_command():
    assert len(CASES) >= 60
    for domain in DOMAINS:
        assert {c for c, d, _, _ in CASES if d == domain} == {"train", "evaluate", "predict"}


@pytest.mark.parametrize("command,domain,args,words", CASES,
                         ids=[f"{c}-{d}-{'_'.join(a[2:])[:40]}" for c, d, a, _ in CASES])
def test_bad_input(command, domain, args, words, files, tmp_path, capsys):
    output = tmp_path / "out"
    args = [a.replace("{root}", str(files)) for a in args]
    if command == "train" and "--output" not in args:
        args += ["--output", str(output)]
    before = sorted(p.name for p in files.iterdir())
    status, stderr = run_zoo(args, capsys)
    lines = stderr.strip().splitlines()
    assert status == 2, (args, stderr[-2000:])
    assert len(lines) == 1 and "Traceback" not in stderr, lines
    assert lines[0].startswith(f"zoo {command}: error: "), lines
    assert words in lines[0], (words, lines[0])
    assert not output.exists()  # nothing partial: not even an empty folder
    assert sorted(p.name for p in files.iterdir()) == before
