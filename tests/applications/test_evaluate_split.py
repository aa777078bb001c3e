"""`zoo evaluate` on the source a run trained on scores the run's own test split, whatever its seed.

The `sample` sources split with the run's `--seed` (speech by voice, so another seed's test split
holds voices the run trained on). A run trained with `--seed 3`, evaluated on the same source,
must find the test set and the scores the run reported; the same evaluation with seed 0, what
`evaluate` did before it read the run's seed, finds other examples and other scores.
"""

import json

import pytest

from keras_zoo.applications import domains
from keras_zoo.applications.common.runs import run_seed
from tests.cli_checks import run_zoo

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

# Short runs that learn enough, and not too much, for two test sets to score differently (speech:
# the CRNN from scratch; the shipped checkpoint now hears every held-out voice of either split right).
RUNS = {
    "vision": ["--model", "cnn_small", "--epochs", "4"],
    "nlp": ["--epochs", "2"],
    "speech": ["--model", "crnn", "--epochs", "3", "--augment", "none"],
}


@pytest.mark.parametrize("domain", sorted(RUNS))
def test_evaluate_scores_the_test_split_the_run_reported(domain, tmp_path, capsys):
    out = tmp_path / "run"
    status, stderr = run_zoo(["train", domain, "--seed", "3", "--output", str(out), *RUNS[domain]], capsys)
    assert status == 0, stderr[-2000:]
    record = json.loads((out / "metrics.json").read_text())
    assert run_seed(record) == 3

    pipeline = domains.pipeline(domain)
    result = pipeline.evaluate(out, "sample", verbose=False)
    assert result["test"] == record["data"]["test"]
    assert result["confusion_matrix"] == record["confusion_matrix"]
    assert result["metrics"]["accuracy"] == pytest.approx(record["metrics"]["accuracy"], abs=1e-9)

    other = pipeline.evaluate(out, "sample", seed=0, verbose=False)
    assert other["confusion_matrix"] != record["confusion_matrix"]


def test_run_seed_reads_what_the_run_recorded():
    assert run_seed({"seed": 7}) == 7
    assert run_seed({"config": {"train": {"seed": 5}}}) == 5
    assert run_seed({}) == 0  # a run written before seeds were recorded split with 0
