"""`zoo benchmark --pipeline DOMAIN`: the real training pipeline against the same batches from memory.

No test asserts a speed (speeds live in the benchmark's output); these check that both feeds are
measured on the same examples and that the row and its CSV are complete.
"""

import csv

import pytest

from keras_zoo.applications import input_benchmark
from tests.cli_checks import run_zoo

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)


@pytest.mark.parametrize("domain,model", [("vision", "mlp_small"), ("nlp", "mlp_text"), ("speech", "ds_cnn_small")])
def test_a_pipeline_row_measures_both_feeds(domain, model):
    row = input_benchmark.measure(domain, model=model, batch_size=16, steps=3, repeats=2)
    assert row.domain == domain and row.model == model and row.steps == 3 and row.batch_size == 16
    assert row.pipeline_examples_per_s > 0 and row.memory_examples_per_s > 0
    assert row.ratio == pytest.approx(row.pipeline_examples_per_s / row.memory_examples_per_s)


def test_the_command_prints_the_table_and_writes_the_csv(tmp_path, capsys):
    status, _ = run_zoo(["benchmark", "--pipeline", "vision", "--data", "sample", "--model", "mlp_small", "--batch-size", "16",
                         "--steps", "2", "--repeats", "1", "--csv", str(tmp_path / "pipe.csv")], capsys)
    assert status == 0
    with open(tmp_path / "pipe.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and rows[0]["domain"] == "vision" and float(rows[0]["ratio"]) > 0


@pytest.mark.parametrize("args,words", [
    (["--pipeline", "vision", "--steps", "0"], "--steps takes a positive integer"),
    (["resnet20", "--data", "sample"], "--data is for `zoo benchmark --pipeline DOMAIN`"),
    (["mlp_small", "--pipeline", "vision"], "not PATTERNs"),
    (["--pipeline", "vision", "--precision", "mixed_bfloat16"], "--precision is for model benchmarks"),
])
def test_bad_pipeline_benchmarks_are_refused_in_one_line(args, words, capsys):
    status, stderr = run_zoo(["benchmark", *args], capsys)
    assert status == 2 and words in stderr and len(stderr.strip().splitlines()) == 1, stderr
