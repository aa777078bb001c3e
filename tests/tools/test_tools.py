"""The tools/ scripts run as documented (at small sizes here; the full runs are in the README)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_tool(*args):
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_train_pretrained_reproduces_the_shipped_cnn(tmp_path):
    out = run_tool("tools/train_pretrained.py", "cnn_small.digits", "--output", str(tmp_path))
    assert "test accuracy" in out
    shipped = json.loads((ROOT / "pretrained" / "cnn_small.digits" / "card.json").read_text())
    again = json.loads((tmp_path / "cnn_small.digits" / "card.json").read_text())
    assert again["recipe"] == shipped["recipe"] and again["data"] == shipped["data"]
    assert abs(again["metrics"]["accuracy"] - shipped["metrics"]["accuracy"]) <= 0.005


def test_transfer_digits_prints_the_table(tmp_path):
    results = tmp_path / "results.json"
    out = run_tool("tools/transfer_digits.py", "--ks", "2", "--seeds", "0", "--head-epochs", "2",
                   "--fine-tune-epochs", "2", "--json", str(results))
    assert "| k per class | resnet20 from scratch |" in out
    assert "\n| 2 | " in out
    runs = json.loads(results.read_text())["2"]
    assert set(runs[0]) == {"scratch", "head_only", "fine_tune", "logistic_pixels"}
    assert all(0.0 <= v <= 1.0 for v in runs[0].values())
