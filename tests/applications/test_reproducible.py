"""`--seed` fixes everything the project controls: two runs with one seed give identical numbers on CPU.

Each domain's `zoo train` runs twice on its sample with the same seed (short runs), through the
command's `main`. Every metric of the model and of the baselines must be equal to the last digit;
only timings (`*_s`) may differ. The run records its seed, versions and command line.
"""

import json

import pytest

from tests.cli_checks import run_zoo

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

# Small runs: equal numbers need two runs, not many examples (two epochs: the second epoch's shuffle too).
QUICK = {"vision": ["--max-examples", "64"], "speech": ["--max-examples", "64"], "nlp": ["--max-examples", "400"]}


def _untimed(value):
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if not k.endswith("_s")}
    return value


@pytest.mark.parametrize("domain", ["vision", "nlp", "speech", "recommendation", "finance"])
def test_two_runs_with_one_seed_give_identical_metrics(domain, tmp_path, capsys):
    records = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        status, stderr = run_zoo(["train", domain, "--epochs", "2", "--seed", "3", "--output", str(out),
                                  *QUICK.get(domain, [])], capsys)
        assert status == 0, stderr[-2000:]
        records.append(json.loads((out / "metrics.json").read_text()))
    first, second = records
    assert first["metrics"] == second["metrics"]
    assert _untimed(first["baselines"]) == _untimed(second["baselines"])
    run = first["run"]
    assert run["seed"] == 3 and run["tensorflow"] and run["keras"] and run["python"] and run["command"]
