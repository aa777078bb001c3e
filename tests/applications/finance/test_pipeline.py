"""The finance pipeline end to end: the report is complete, honest, and the run can be used again."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_zoo.applications.common.report import prepare_output_dir
from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.finance import pipeline
from keras_zoo.applications.finance.pipeline import FinanceConfig
from keras_zoo.applications.finance.prices import goog_sample
from tests.cli_checks import run_zoo, zoo_here

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

ZOO = Path(sys.executable).parent / "zoo"


def quick(**kwargs) -> FinanceConfig:
    train = {"epochs": 3, "batch_size": 64, "patience": None, "seed": 0, **kwargs.pop("train", {})}
    return FinanceConfig(**{"model": "tcn_small", "window": 16, **kwargs}, train=TrainConfig(**train))


def write_goog(path: Path, rows=slice(None), *, scale: float = 1.0, lower: bool = False, descending: bool = False) -> Path:
    """matplotlib's GOOG sample as a Yahoo-format CSV (a slice of its rows, prices times `scale`)."""
    s = goog_sample()
    header = "Date,Open,High,Low,Close,Adj Close,Volume"
    lines = [f"{d},{o * scale},{h * scale},{lo * scale},{c * scale},{c * scale},{int(v)}" for d, o, h, lo, c, v in
             zip(s.dates[rows], s.open[rows], s.high[rows], s.low[rows], s.close[rows], s.volume[rows])]
    if descending:
        lines = lines[::-1]
    path.write_text((header.lower() if lower else header) + "\n" + "\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = prepare_output_dir(tmp_path_factory.mktemp("finance") / "run", "finance")
    record = pipeline.train_and_evaluate(quick(), out, verbose=False)
    return out, record


def test_the_report_is_complete_and_every_baseline_is_judged(run):
    out, record = run
    m, base = record["metrics"], record["baselines"]
    assert set(m["return"]) == {"rmse", "mae", "directional_accuracy"} and m["volatility"]["qlike"] > 0
    assert {"zero_return", "historical_mean", "autoregression"} <= set(base)
    assert {"ewma", "har", "garch"} <= set(base)  # arch is in the dev extra: GARCH runs in the tests
    for name, per_target in base.items():
        for target, values in per_target.items():
            dm = values["diebold_mariano"]
            assert np.isfinite(dm["statistic"]) and 0 <= dm["p_value"] <= 1, (name, target)
            assert any(name in sentence for sentence in record["verdict"]), name
    # The return forecast judged against the random walk, in words, whichever way it went.
    rw = [s for s in record["verdict"] if "(return)" in s and "zero_return" in s]
    assert len(rw) == 1 and ("did not beat" in rw[0] or "with statistical significance" in rw[0])
    bt = m["backtest"]
    for side in ("strategy", "buy_and_hold"):
        assert {"cumulative_return", "sharpe", "max_drawdown", "annualised_return"} <= set(bt[side])
    assert "Sharpe" in record["verdict"][-1]
    # The test period is the last 15% of the samples, after the validation period.
    data = record["data"]
    assert data["series"] == ["GOOG"] and data["periods_per_year"] == 252
    assert data["val_start"] < data["test_start"] and data["test"] == pytest.approx(0.15 * (
        data["train"] + data["val"] + data["test"] + data["purged"]), abs=3)
    for name in ("metrics.json", "model.keras", "volatility/model.keras", "series.json", "history.csv",
                 "plots/price.png", "plots/volatility.png", "plots/equity.png", "plots/residuals.png",
                 "pretrained/tcn_small.return/model.weights.h5"):
        assert (out / name).is_file(), name
    assert not (out / "backup").exists()


def test_the_volatility_network_learns_from_its_ewma_start(run):
    out, record = run
    per = record["per_target"]["volatility"]
    # A zero head starts the network at EWMA; training on QLIKE moved it (or the run says it kept EWMA).
    assert per["kept_anchor"] in (True, False)
    ewma = record["baselines"]["ewma"]["volatility"]["qlike"]
    if per["kept_anchor"]:
        assert record["metrics"]["volatility"]["qlike"] == pytest.approx(ewma, rel=1e-6)
        assert any("starting point (EWMA)" in s for s in record["verdict"])
    else:
        assert record["metrics"]["volatility"]["qlike"] != pytest.approx(ewma, rel=1e-6)


def test_predict_and_evaluate_use_the_saved_scaler_and_networks(run, tmp_path):
    out, record = run
    csv = write_goog(tmp_path / "goog.csv")
    lines = pipeline.predict(out, str(csv))
    assert lines[0].startswith("goog: last price") and "2008-10-14" in lines[0]
    assert lines[1].startswith("  return: ") and lines[2].startswith("  volatility over the next 5 periods: ")
    result = pipeline.evaluate(out, str(csv), verbose=False)
    assert result["return"]["windows"] == 1047 - 1 - 21 - 15 - 1  # every window with a target inside the file
    assert set(result["volatility"]["baselines"]) == {"ewma"} and result["volatility"]["metrics"]["qlike"] > 0
    short = write_goog(tmp_path / "short.csv", slice(0, 30))
    with pytest.raises(ValueError, match="give at least 38"):
        pipeline.predict(out, str(short))


def test_direction_target_and_walk_forward_refits(tmp_path):
    out = prepare_output_dir(tmp_path / "run", "finance")
    config = quick(model="mlp_small", targets=("direction",), walk_forward=60, train={"epochs": 1})
    record = pipeline.train_and_evaluate(config, out, verbose=False)
    assert record["data"]["classes"] == ["down", "up"] and 0 <= record["metrics"]["direction"]["accuracy"] <= 1
    assert set(record["baselines"]) == {"historical_mean_sign", "autoregression_sign"}
    assert record["per_target"]["direction"]["test"] == record["data"]["test"]  # every test period forecast once
    assert record["per_target"]["direction"]["epochs_run"] == -(-record["data"]["test"] // 60)  # one epoch per refit
    assert "backtest" in record["metrics"] and not (out / "walk_forward").exists()
    lines = pipeline.predict(out, str(write_goog(tmp_path / "goog.csv")))
    assert lines[1].startswith("  direction: P(up) = ") and 0 <= float(lines[1].split("= ")[1]) <= 1


def test_pretrain_on_a_folder_of_series_then_fine_tune_one(tmp_path):
    folder = tmp_path / "series"
    folder.mkdir()
    write_goog(folder / "a.csv", slice(0, 700))
    write_goog(folder / "b.csv", slice(0, 700), scale=0.5, lower=True, descending=True)
    pre = prepare_output_dir(tmp_path / "pre", "finance")
    record = pipeline.train_and_evaluate(quick(data=str(folder), targets=("volatility",), train={"epochs": 1}), pre,
                                         verbose=False)
    assert record["data"]["series"] == ["a", "b"] and "backtest" not in record["metrics"]
    one = write_goog(tmp_path / "one.csv", slice(0, 700))
    tuned = prepare_output_dir(tmp_path / "tuned", "finance")
    config = quick(data=str(one), targets=("volatility",), pretrained=str(pre), freeze_backbone=True,
                   train={"epochs": 1})
    record = pipeline.train_and_evaluate(config, tuned, verbose=False)
    assert record["pretrained"] == str(pre)
    import keras_zoo as zoo

    before = zoo.load_model(pre / "model.keras").get_layer("block_1_conv1").get_weights()
    after = zoo.load_model(tuned / "model.keras").get_layer("block_1_conv1").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after))  # the frozen backbone kept its weights
    with pytest.raises(ValueError, match="no tcn_small checkpoint for the return target"):
        pipeline.train_and_evaluate(quick(data=str(one), pretrained=str(pre)), prepare_output_dir(
            tmp_path / "x", "finance"), verbose=False)


def test_the_shipped_index_checkpoint_fine_tunes_on_another_series(tmp_path):
    """Issue 22: `lstm_frames.index_volatility` (S&P 500 and Nasdaq, 1999-2014) fine-tunes on another
    series' volatility; a checkpoint for another target, or other features, is refused."""
    import keras_zoo as zoo

    one = write_goog(tmp_path / "one.csv", slice(0, 700))
    config = quick(model="lstm_frames", window=32, data=str(one), targets=("volatility",),
                   pretrained="index_volatility", freeze_backbone=True, train={"epochs": 1})
    out = prepare_output_dir(tmp_path / "tuned", "finance")
    record = pipeline.train_and_evaluate(config, out, verbose=False)
    assert record["pretrained"] == "index_volatility" and record["metrics"]["volatility"]["qlike"] > 0
    shipped = zoo.create_model("lstm_frames", pretrained="index_volatility").get_layer("lstm_0").get_weights()
    tuned = zoo.load_model(out / "model.keras").get_layer("lstm_0").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(shipped, tuned))  # frozen: the shipped weights
    with pytest.raises(ValueError, match=r"forecasts volatility from the features \['log_return'.*this run forecasts "
                                         r"return .* give --target volatility"):
        pipeline.train_and_evaluate(quick(model="lstm_frames", window=32, data=str(one), targets=("return",),
                                          pretrained="index_volatility"), tmp_path / "r", verbose=False)
    closes = tmp_path / "closes.csv"
    closes.write_text("\n".join(line.split(",")[0] + "," + line.split(",")[4] for line in one.read_text().splitlines()))
    with pytest.raises(ValueError, match=r"this run forecasts volatility from \['log_return', 'volatility_5', "
                                         r"'volatility_22'\]"):
        pipeline.train_and_evaluate(quick(model="lstm_frames", window=32, data=str(closes), targets=("volatility",),
                                          pretrained="index_volatility"), tmp_path / "c", verbose=False)


def test_config_refuses_bad_values():
    for kwargs, words in (({"targets": ("price",)}, "targets must be one or more of"),
                          ({"targets": ()}, "targets must be one or more of"),
                          ({"window": 0}, "window must be a positive"),
                          ({"horizon": -1}, "horizon must be a positive"),
                          ({"walk_forward": 0}, "walk_forward (--walk-forward) is a positive"),
                          ({"cost_bps": -1.0}, "cost_bps (--cost-bps)"),
                          ({"freeze_backbone": True}, "needs a pretrained checkpoint"),
                          ({"model": "mf"}, "finance application needs a model of a window")):
        with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
            FinanceConfig(**kwargs)


def zoo(*args):
    return subprocess.run([str(ZOO), *args], capture_output=True, text=True, timeout=600)


def test_command_line_train_predict_evaluate_and_bad_input(tmp_path, capsys):
    csv = write_goog(tmp_path / "goog.csv")
    out = tmp_path / "run"
    result = zoo("train", "finance", "--data", str(csv), "--model", "mlp_small", "--target", "return",
                 "--window", "8", "--epochs", "2", "--cost-bps", "10", "--output", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    for words in ("zero_return", "autoregression", "long/flat rule", "buy-and-hold", "Diebold–Mariano p",
                  "held-out test periods", "10 bp a trade"):
        assert words in result.stdout, words
    result = zoo_here("predict", "finance", "--model-dir", str(out), "--data", str(csv))
    assert result.returncode == 0 and "the long/flat rule is" in result.stdout, result.stderr[-2000:]
    result = zoo_here("evaluate", "finance", "--model-dir", str(out), "--data", str(csv))
    assert result.returncode == 0 and "return on" in result.stdout, result.stderr[-2000:]

    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Close\n2020-01-02,10\n2020-01-03,abc\n")
    dup = tmp_path / "dup.csv"
    dup.write_text("Date,Close\n2020-01-02,10\n2020-01-03,11\n2020-01-02,12\n")
    short = write_goog(tmp_path / "short.csv", slice(0, 40))
    for args, words in (
        (["train", "finance", "--data", str(bad), "--output", str(tmp_path / "a")], "line 3: Close is 'abc'"),
        (["train", "finance", "--data", str(dup), "--output", str(tmp_path / "b")], "lines 2 and 4"),
        (["train", "finance", "--data", str(short), "--output", str(tmp_path / "c")], "need at least"),
        (["train", "finance", "--data", str(csv), "--test-data", str(short), "--output", str(tmp_path / "d")],
         "must be the later period"),
        (["train", "finance", "--window", "0", "--output", str(tmp_path / "e")], "window must be a positive"),
        (["train", "finance", "--walk-forward", "-3", "--output", str(tmp_path / "f")], "--walk-forward"),
        (["train", "finance", "--items", "x.csv", "--output", str(tmp_path / "g")], "--items is for"),
        (["train", "vision", "--horizon", "3", "--output", str(tmp_path / "h")], "--horizon is for `zoo train finance`"),
        (["predict", "finance", "--model-dir", str(out)], "--data CSV"),
        (["predict", "finance", "--model-dir", str(out), "--data", str(csv), "extra"], "--data CSV"),
        (["predict", "vision", "--model-dir", str(out), "--data", str(csv)], "--data is for `zoo predict finance`"),
    ):
        status, stderr = run_zoo(args, capsys)
        lines = stderr.strip().splitlines()
        assert status == 2 and len(lines) == 1 and words in lines[0], (args, lines)
    assert not any((tmp_path / name).exists() for name in "abcdefgh")


def test_command_line_flags_reach_the_config():
    from keras_zoo.applications import cli

    args = cli.build_parser().parse_args(
        ["train", "finance", "--model", "gru_frames", "--target", "volatility", "direction", "--window", "20",
         "--horizon", "10", "--walk-forward", "250", "--cost-bps", "2.5", "--data", "x.csv"])
    config = pipeline.config_from_args(args, TrainConfig())
    assert (config.model, config.targets, config.window, config.horizon) == ("gru_frames", ("volatility", "direction"),
                                                                             20, 10)
    assert (config.walk_forward, config.cost_bps, config.data) == (250, 2.5, "x.csv")
    args = cli.build_parser().parse_args(["train", "finance", "--max-examples", "10"])
    with pytest.raises(ValueError, match="--max-examples is not a finance option"):
        pipeline.config_from_args(args, TrainConfig())
