"""The finance pipeline: a registry network forecasting returns and volatility, judged against the simple baselines.

`train_and_evaluate(config, output_dir)` is the whole run:

1. prices in (`prices`: matplotlib's GOOG sample, a Yahoo-format CSV, a folder of them), turned
   into features and targets and split by date, with every leak closed by construction (`features`);
2. one registry network per target (`--target`): `return` (the next log return, mean squared
   error), `direction` (its sign, cross-entropy), `volatility` (the realised variance over the
   next `horizon` periods). The volatility network forecasts a multiplicative correction to
   the EWMA forecast and is trained on QLIKE itself (the Gaussian likelihood's loss): at
   initialisation it *is* EWMA, and training moves it away only where the training data say so;
3. the baselines, fitted on the same training data (`baselines`): the random walk (a zero return),
   the historical mean, a linear autoregression; EWMA (lambda 0.94), GARCH(1,1) (with the
   optional `arch` package) and HAR-RV for volatility;
4. the test period's metrics (`metrics`): RMSE, MAE and directional accuracy, QLIKE; the
   Diebold-Mariano test of the network against every baseline, and a verdict in words; a
   long/flat backtest of the forecast's sign with trading costs, against buy-and-hold;
5. optionally walk-forward: refit everything every `walk_forward` test periods on all the data
   before them (an expanding window);
6. the run's files: `metrics.json`, `model.keras` (the first target's network; the others in
   `<target>/model.keras`), `series.json` (features, scaler: what `zoo predict` needs),
   `history.csv`, `plots/`.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import keras
import numpy as np

from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.finance.domain import DEFAULT_TRAIN
from keras_zoo.applications.common import runs
from keras_zoo.applications.finance import features as F

DOMAIN = "finance"
DEFAULT_MODEL = "lstm_frames"
DEFAULT_TARGETS = ("return", "volatility")
# The registry's frame models are sized for spectrograms; on a few thousand noisy samples a small one is enough.
SMALL = {"lstm_frames": dict(units=(32,)), "gru_frames": dict(units=(32,)), "lstm_frames_bidir": dict(units=(16,))}
COST_BPS = 5.0
SERIES_FILE = "series.json"
ALPHA = 0.05  # the significance level of the verdicts
LOSS_NAMES = {"return": "MSE", "direction": "error rate", "volatility": "QLIKE"}
ANCHORS = {"return": "a zero return, the random walk", "volatility": "EWMA"}  # what a zero head forecasts


@dataclass
class FinanceConfig:
    """One finance run. The command line fills it from `zoo train finance ...`."""

    model: str = DEFAULT_MODEL
    data: str = "sample"  # sample | a Yahoo-format CSV | a folder of them
    test_data: str | None = None  # the later period, as a CSV (or folder) of the same series
    targets: tuple[str, ...] = DEFAULT_TARGETS
    window: int = F.DEFAULT_WINDOW  # periods of features a forecast reads
    horizon: int = F.DEFAULT_HORIZON  # periods the volatility target covers
    walk_forward: int | None = None  # refit every N test periods (expanding window); None: one fit
    cost_bps: float = COST_BPS  # the backtest's cost of a trade
    pretrained: str | None = None  # a checkpoint of `model` (or a finished finance run's folder) to fine-tune
    freeze_backbone: bool = False  # with pretrained: train the head only
    overrides: dict = field(default_factory=dict)  # model config overrides, as `zoo.create_model` takes
    train: TrainConfig = field(default_factory=lambda: TrainConfig(**DEFAULT_TRAIN))

    def __post_init__(self) -> None:
        self.targets = tuple(self.targets)
        bad = [t for t in self.targets if t not in F.TARGETS]
        if not self.targets or bad or len(set(self.targets)) != len(self.targets):
            raise ValueError(f"targets must be one or more of {', '.join(F.TARGETS)}, each once. "
                             f"Received: targets={self.targets!r}")
        F.check_periods("window", self.window)
        F.check_periods("horizon", self.horizon)
        if self.walk_forward is not None:
            if isinstance(self.walk_forward, bool) or not isinstance(self.walk_forward, int) or self.walk_forward < 1:
                raise ValueError(f"walk_forward (--walk-forward) is a positive number of test periods between refits. "
                                 f"Received: {self.walk_forward!r}")
        if isinstance(self.cost_bps, bool) or not isinstance(self.cost_bps, (int, float)) or not 0 <= self.cost_bps < 1e4:
            raise ValueError(f"cost_bps (--cost-bps) is a cost per trade in basis points, in [0, 10000). "
                             f"Received: {self.cost_bps!r}")
        if self.freeze_backbone and not self.pretrained:
            raise ValueError("freeze_backbone needs a pretrained checkpoint (--pretrained).")
        check_finance_model(self.model)


def check_finance_model(name: str) -> None:
    """A registry model that reads a window of feature rows (`zoo list --domain finance`)."""
    import keras_zoo as zoo

    entry = zoo.registry.get_entry(name)
    if entry.input_kind not in ("sequence", "vector"):
        models = ", ".join(zoo.list_models(domain=DOMAIN))
        raise ValueError(f"{name} takes {entry.input_kind} inputs; the finance application needs a model of a window "
                         f"of feature rows: {models}. Received: --model {name}")


def load_data(config: FinanceConfig):
    """`(frames, test_starts)`: the series as feature frames, and where given test data starts."""
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.finance.prices import load_series

    series, test_starts = load_series(parse_source(config.data)), None
    if config.test_data:
        series, test_starts = F.join_test(series, load_series(parse_source(config.test_data), what="--test-data"))
    names = F.available_features(series)
    return [F.make_frame(s, names) for s in series], test_starts


def build_network(config: FinanceConfig, target: str, features: Sequence[str]):
    from keras_zoo.applications.common.classifier import create_network

    config = dataclasses.replace(config, pretrained=_checkpoint_of(config, target, features) if config.pretrained
                                 else None, overrides={**SMALL.get(config.model, {}), **config.overrides})
    return create_network(config, (config.window, len(features)), 2 if target == "direction" else 1,
                          classifier_activation="softmax" if target == "direction" else None)


def _checkpoint_of(config: FinanceConfig, target: str, features: Sequence[str]) -> str:
    """A finished finance run's folder stands for its checkpoint of `target` (`pretrained/<model>.<target>`);
    a checkpoint whose card records another target or other features is refused (its numbers would mean
    something else)."""
    from keras_zoo import checkpoints

    folder = Path(config.pretrained).expanduser()
    inside = folder / "pretrained" / f"{config.model}.{target}"
    if (folder / "metrics.json").is_file():
        if not inside.is_dir():
            raise ValueError(f"{folder} holds no {config.model} checkpoint for the {target} target "
                             f"(pretrained/{config.model}.{target}); train it with --model {config.model} "
                             f"--target {target}. Received: --pretrained {config.pretrained}")
        return str(inside)
    card = checkpoints.read(checkpoints.resolve(config.model, config.pretrained)).card
    made_for, read = card.get("target", target), (card.get("input") or {}).get("features", list(features))
    if made_for != target or list(read) != list(features):
        raise ValueError(f"Checkpoint {config.pretrained} forecasts {made_for} from the features {list(read)}; this "
                         f"run forecasts {target} from {list(features)}: give --target {made_for} and a series "
                         f"with the columns those features need. Received: --pretrained {config.pretrained}")
    return config.pretrained


def _scaled_targets(target: str, split: F.Split, horizon: int):
    """`(scaler, scaled features, fit_until, anchors, values, scale)` of a split, from training rows only:
    `values` are the targets (for volatility, their ratio to the EWMA anchor), `scale` the training
    standard deviation of a return target (1 for the others), which the network learns in units of."""
    scaler = F.Scaler.fit(split)
    scaled = [scaler.transform(f.features) for f in split.frames]
    # The returns a baseline may fit on: up to the last training target, never beyond.
    fit_until = [split.last_train_end(k) + split.span + 1 for k in range(len(split.frames))]
    anchors = [ewma_anchor(f.returns, fit_until[k], horizon) if target == "volatility" else None
               for k, f in enumerate(split.frames)]
    values = [F.targets(f, target, horizon) for f in split.frames]
    if target == "volatility":
        values = [np.maximum(y, 1e-12) / anchor for y, anchor in zip(values, anchors)]
    train_values = np.concatenate([v[e] for v, e in zip(values, split.ends["train"])])
    scale = (float(np.std(train_values)) or 1.0) if target == "return" else 1.0
    return scaler, scaled, fit_until, anchors, values, scale


def fit_target(target: str, split: F.Split, config: FinanceConfig, folder: Path, *,
               verbose: int | str = "auto") -> dict:
    """Train the network for `target` on `split` and forecast its test samples; the baselines too.

    Returns `{"net", "fit", "scaler", "forecasts": {method: [per-frame arrays]}, "scale"}`; forecasts
    are in the target's units: a log return, P(up), or a per-period variance.
    """
    from keras_zoo.applications.common import training

    horizon, window = config.horizon, config.window
    scaler, scaled, fit_until, anchors, values, scale = _scaled_targets(target, split, horizon)

    training.set_seed(config.train.seed)
    net = build_network(config, target, split.frames[0].feature_names)
    n_train = split.count("train")
    batch = config.train.resolve_batch_size(n_train)
    train_values = [(v[e] / scale).astype(np.float32) for v, e in zip(values, split.ends["train"])]

    def train_ds(first_epoch):  # every epoch's order from (seed, epoch): a killed run resumes exactly
        return F.training_dataset(scaled, split.ends["train"], train_values, window=window, batch_size=batch,
                                  seed=config.train.seed, first_epoch=first_epoch, epochs=config.train.epochs)

    loss, metrics = _loss_and_metrics(target)
    val_x = np.concatenate([F.windows(s, e, window) for s, e in zip(scaled, split.ends["val"])])
    val_y = np.concatenate([v[e] for v, e in zip(values, split.ends["val"])]).astype(np.float32)
    val = val_x, (val_y / scale).astype(np.float32)
    anchored = target != "direction" and not config.pretrained
    if anchored:  # a zero head: the untrained network forecasts its anchor exactly (0, or EWMA's variance)
        head = net.get_layer("head")
        head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    fit = training.fit(net, train_ds, val, config.train, folder, loss=loss, metrics=metrics,
                       steps_per_epoch=-(-n_train // batch), n_train=n_train, verbose=verbose)
    # Early stopping's epoch 0: when no trained epoch beats the anchor on the validation period,
    # the network is its anchor (a zero head), and the run says so.
    kept_anchor = anchored and not validation_loss(target, net, val) < validation_loss(target, None, val)
    if kept_anchor:  # `head` is the one zeroed above
        head.set_weights([np.zeros_like(w) for w in head.get_weights()])

    forecasts = {net.name: []}
    for k, ends in enumerate(split.ends["test"]):
        out = net.predict(F.windows(scaled[k], ends, window), verbose=0, batch_size=1024) if len(ends) else \
            np.zeros((0, 2 if target == "direction" else 1))
        forecasts[net.name].append(_in_units(target, out, None if anchors[k] is None else anchors[k][ends], scale))
    forecasts.update(baseline_forecasts(target, split, fit_until, horizon))
    return {"net": net, "fit": fit, "scaler": scaler, "forecasts": forecasts, "scale": scale, "kept_anchor": kept_anchor}


def _in_units(target: str, out: np.ndarray, anchor, scale: float) -> np.ndarray:
    """The network's outputs in the target's units: P(up), a log return, or a per-period variance."""
    if target == "direction":
        return out[:, 1]
    if target == "volatility":
        return anchor * np.exp(np.clip(out[:, 0], -10, 10))
    return out[:, 0] * scale


def validation_loss(target: str, net, val) -> float:
    """The training loss on the validation windows, of `net` or (None) of the anchor itself (output 0)."""
    x, y = val
    s = np.zeros(len(y)) if net is None else net.predict(x, verbose=0, batch_size=1024)[:, 0]
    if target == "volatility":
        y = np.maximum(y.astype(np.float64), 1e-12)
        s = np.clip(s, -10, 10)
        return float(np.mean(y * np.exp(-s) - np.log(y) + s - 1.0))
    return float(np.mean((y - s) ** 2))


def baseline_forecasts(target: str, split: F.Split, fit_until: list[int], horizon: int) -> dict:
    """`{method: [per-frame forecasts of the test samples]}`, or `{method: str}` for a baseline skipped (and why)."""
    from keras_zoo.applications.finance import baselines as B

    out: dict = {}
    frames, ends = split.frames, split.ends["test"]
    if target in ("return", "direction"):
        # AR's order is chosen on the first series' validation targets, fitted on its training returns only.
        val_ends = split.ends["val"][0]
        lags = B.choose_ar_lags(frames[0].returns, fit_until[0], int(val_ends[-1]) + 2) if len(val_ends) else 5
        for method in B.RETURN_BASELINES:
            options = {"lags": lags} if method == "autoregression" else {}
            per = [B.forecast_returns(method, f.returns, fit_until[k], ends[k] + 1, **options)
                   for k, f in enumerate(frames)]
            if target == "return":
                out[method] = per
            elif method != "zero_return":  # a zero forecast has no sign: historical_mean_sign is "always up"
                out[f"{method}_sign"] = [(r > 0).astype(np.float64) for r in per]
        return out
    out["ewma"] = [ewma_anchor(f.returns, fit_until[k], horizon)[ends[k]] for k, f in enumerate(frames)]
    out["har"] = [B.forecast_variance("har", f.returns, fit_until[k], ends[k] + 1, horizon=horizon)
                  for k, f in enumerate(frames)]
    try:
        out["garch"] = [B.forecast_variance("garch", f.returns, fit_until[k], ends[k] + 1, horizon=horizon)
                        for k, f in enumerate(frames)]
    except B.GarchUnavailable as err:
        out["garch"] = str(err)
    return out


def ewma_anchor(returns: np.ndarray, fit_until: int, horizon: int) -> np.ndarray:
    """`(T,)` EWMA's variance forecast made at the end of each index (from returns up to it), for the next `horizon`.

    Started from the first training returns (`returns[:fit_until]`); it is the volatility network's anchor.
    """
    from keras_zoo.applications.finance import baselines as B

    return B.ewma(returns[:fit_until], horizon=horizon).forecast(returns, np.arange(1, len(returns) + 1))


def _loss_and_metrics(target: str):
    return {"direction": ("sparse_categorical_crossentropy", ["accuracy"]), "volatility": (qlike_of_log_ratio, []),
            "return": ("mse", [])}[target]


# Registered at import: a saved finance network is compiled with this loss, and Keras finds it by
# name when the model loads (`zoo predict`, `zoo export`), with no hook to call first.
@keras.saving.register_keras_serializable(package="zoo_finance", name="qlike_of_log_ratio")
def qlike_of_log_ratio(y_true, y_pred):
    """QLIKE of a variance forecast `anchor * exp(s)` against realised `rv`, from `y = rv / anchor` and `s`.

    QLIKE(rv, f) = rv / f - log(rv / f) - 1 = y exp(-s) - log(y) + s - 1 (Patton 2011): 0 for a perfect
    forecast, and the loss whose expectation a forecast of the true variance minimises.
    """
    y = keras.ops.maximum(keras.ops.reshape(y_true, (-1,)), 1e-12)
    s = keras.ops.clip(keras.ops.reshape(y_pred, (-1,)), -10.0, 10.0)
    # One value per example: Keras averages them (over every replica's examples under a strategy).
    return y * keras.ops.exp(-s) - keras.ops.log(y) + s - 1.0


def score(target: str, realised: np.ndarray, forecasts: dict, model: str, horizon: int) -> tuple[dict, dict, list]:
    """`(model metrics, {baseline: metrics}, verdicts)` on the test samples, with Diebold-Mariano against each baseline."""
    from keras_zoo.applications.finance import metrics as M

    def losses(f):
        if target == "volatility":
            return M.qlike_losses(realised, f)
        if target == "direction":
            return ((f > 0.5) != (realised > 0.5)).astype(np.float64)
        return M.mse_losses(realised, f)

    def measure(f):
        if target == "volatility":
            return {"qlike": M.qlike(realised, f), "rmse_volatility": M.rmse(np.sqrt(realised), np.sqrt(f)),
                    "mae_volatility": M.mae(np.sqrt(realised), np.sqrt(f))}
        if target == "direction":
            return {"accuracy": float(np.mean((f > 0.5) == (realised > 0.5)))}
        return {"rmse": M.rmse(realised, f), "mae": M.mae(realised, f),
                "directional_accuracy": M.directional_accuracy(realised, f)}

    span = horizon if target == "volatility" else 1
    ours = measure(forecasts[model])
    base, verdicts = {}, []
    for name, f in forecasts.items():
        if name == model:
            continue
        if isinstance(f, str):  # skipped, and why
            base[name] = {"skipped": f}
            verdicts.append(f"{name} was skipped: {f}")
            continue
        dm = M.diebold_mariano(losses(forecasts[model]), losses(f), horizon=span)
        base[name] = {**measure(f), "diebold_mariano": dm}
        verdicts.append(M.verdict(f"{model} ({target})", name, dm, alpha=ALPHA, loss_name=LOSS_NAMES[target]))
    return ours, base, verdicts


def train_and_evaluate(config: FinanceConfig, output_dir: Path, *, verbose: bool = True) -> dict:
    """The whole run; returns the `metrics.json` record. `output_dir` comes from `prepare_output_dir`."""
    from keras_zoo.applications.common import plotting, report, training
    from keras_zoo.applications.common.runs import save_model
    from keras_zoo.applications.finance import metrics as M

    say = report.print_if(verbose)
    training.set_seed(config.train.seed)
    frames, test_starts = load_data(config)
    names = frames[0].feature_names
    first = config.targets[0]
    splits = {t: F.chronological_split(frames, window=config.window, span=F.target_span(t, config.horizon),
                                       test_starts=test_starts) for t in config.targets}
    head = splits[first]
    say(f"Data {config.data}: {len(frames)} series ({', '.join(f.name for f in frames[:5])}"
        f"{'...' if len(frames) > 5 else ''}), {sum(len(f) for f in frames):,} returns, features {', '.join(names)}; "
        f"validation from {head.val_start}, test from {head.test_start}: {head.count('train'):,} train, "
        f"{head.count('val'):,} validation, {head.count('test'):,} test windows of {config.window}"
        + (f"; {head.purged} windows straddling a boundary dropped" if head.purged else ""))
    ppy = M.periods_per_year(frames[0].dates)

    results, fits, nets, series_info, verdict = {}, {}, {}, {}, []
    for target in config.targets:
        folder = output_dir if target == first else output_dir / target
        folder.mkdir(parents=True, exist_ok=True)
        run, results[target], sentences = _fit_and_score(target, frames, splits[target], config, folder, verbose)
        verdict.extend(sentences)
        fits[target], nets[target] = run, run["net"]
        model_file = runs.MODEL_FILE if target == first else f"{target}/{runs.MODEL_FILE}"
        series_info[target] = {"scale": run["scale"], "model": model_file, "scaler": run["scaler"].to_json()}
        say(f"{target}: {run['net'].name} {_line(results[target]['metrics'])}; " + "; ".join(
            f"{b} {_line(v)}" if "skipped" not in v else f"{b} skipped" for b, v in results[target]["baselines"].items()))

    # ## The backtest: long when the forecast return is positive (or P(up) > 0.5), flat otherwise
    backtest, first_backtest = _backtest(config, frames, splits, fits, ppy)
    if backtest is not None:
        verdict.append(_backtest_sentence(backtest))

    for target in config.targets:
        save_model(nets[target], output_dir if target == first else output_dir / target)
    _save_checkpoints(config, nets, output_dir, results, names)
    report.write_json(output_dir / SERIES_FILE, {
        "features": list(names), "window": config.window, "horizon": config.horizon, "targets": list(config.targets),
        "periods_per_year": ppy, "ewma_lambda": 0.94, "per_target": series_info})
    report.write_history_csv(output_dir, fits[first]["fit"].history)
    plots = [plotting.plot_history(fits[first]["fit"].history, output_dir),
             *_plots(config, frames, splits, fits, nets, first_backtest, ppy, output_dir)]

    record = {
        "domain": DOMAIN, "model": config.model, "pretrained": config.pretrained,
        "data": {"source": config.data, "train": head.count("train"), "val": head.count("val"),
                 "test": head.count("test"), "classes": ["down", "up"] if "direction" in config.targets else [],
                 "series": [f.name for f in frames], "features": list(names), "window": config.window,
                 "horizon": config.horizon, "periods_per_year": ppy, "test_data": config.test_data,
                 "first_date": str(min(f.dates[0] for f in frames)), "last_date": str(max(f.dates[-1] for f in frames)),
                 "val_start": str(head.val_start), "test_start": str(head.test_start), "purged": head.purged},
        "metrics": {t: r["metrics"] for t, r in results.items()} | ({"backtest": backtest} if backtest else {}),
        "baselines": _baselines_by_method(results),
        "timing": {"train_s": sum(r["train_s"] for r in results.values()),
                   "train_examples_per_s": fits[first]["fit"].examples_per_s,
                   **{f"{t}_wall_s": r["wall_s"] for t, r in results.items()}},
    }
    report.write_metrics(output_dir, **record, verdict=verdict, per_target={
        t: {k: v for k, v in r.items() if k not in ("metrics", "baselines")} for t, r in results.items()},
        config=dataclasses.asdict(config), seed=config.train.seed,
        plots=[str(p.relative_to(output_dir)) for p in plots])
    return report.read_metrics(output_dir)


def _fit_and_score(target: str, frames, split: F.Split, config: FinanceConfig, folder: Path, verbose: bool):
    """`(run, result, sentences)`: one target's network fitted (or walked forward) and scored on the
    test period beside its baselines, with the verdict's sentences."""
    start = time.perf_counter()
    run = (walk_forward if config.walk_forward else fit_target)(target, split, config, folder,
                                                                verbose="auto" if verbose else 0)
    elapsed = time.perf_counter() - start
    net = run["net"]
    realised = np.concatenate([F.targets(f, target, config.horizon)[e] for f, e in zip(frames, split.ends["test"])])
    pooled = {m: f if isinstance(f, str) else np.concatenate(f) for m, f in run["forecasts"].items()}
    ours, base, sentences = score(target, realised, pooled, net.name, config.horizon)
    result = {"metrics": ours, "baselines": base, "train_s": run["fit"].train_s, "wall_s": elapsed,
              "epochs_run": run["fit"].epochs_run, "test": int(len(realised)), "kept_anchor": run["kept_anchor"]}
    if run["kept_anchor"]:
        sentences.insert(0, f"No epoch of {net.name} beat its starting point ({ANCHORS[target]}) on the validation "
                            f"period, so the {target} network is that starting point: it forecasts what "
                            f"{ANCHORS[target]} forecasts.")
    return run, result, sentences


def _backtest(config: FinanceConfig, frames, splits: dict, fits: dict, ppy: float):
    """`(summary, the first series' backtest)` of trading on the return or direction forecasts; Nones without."""
    from keras_zoo.applications.finance import metrics as M

    trade_target = next((t for t in ("return", "direction") if t in config.targets), None)
    if trade_target is None:
        return None, None
    split, run = splits[trade_target], fits[trade_target]
    forecasts = run["forecasts"][run["net"].name]
    offset = 0.5 if trade_target == "direction" else 0.0  # the signal: P(up) - 0.5, or the return forecast
    per_series = {frame.name: M.backtest(frame.returns[ends + 1], forecasts[k] - offset, cost_bps=config.cost_bps,
                                         periods_per_year=ppy)
                  for k, (frame, ends) in enumerate(zip(frames, split.ends["test"])) if len(ends)}
    return _summarise_backtests(per_series, config.cost_bps), per_series.get(frames[0].name)


def walk_forward(target: str, split: F.Split, config: FinanceConfig, folder: Path, *,
                 verbose: int | str = "auto") -> dict:
    """Refit every `config.walk_forward` test periods on everything before them; forecasts of the whole test period.

    The blocks follow the test period's dates; each refit re-chooses the validation period (the last
    15% of the samples before the block) and refits the scaler, the network and the baselines.
    """
    dates = np.unique(np.concatenate([f.dates[e + 1] for f, e in zip(split.frames, split.ends["test"])]))
    block_starts = dates[::config.walk_forward]
    forecasts: dict = {}
    runs = []
    for b, start in enumerate(block_starts):
        stop = block_starts[b + 1] if b + 1 < len(block_starts) else None
        sub = F.chronological_split(split.frames, window=split.window, span=split.span,
                                    test_starts={f.name: start for f in split.frames})
        sub.ends["test"] = [e[(f.dates[e + 1] >= start) & ((f.dates[e + 1] < stop) if stop is not None else True)]
                            for f, e in zip(split.frames, sub.ends["test"])]
        block_dir = folder / "walk_forward" / f"block_{b + 1}"
        block_dir.mkdir(parents=True, exist_ok=True)
        run = fit_target(target, sub, config, block_dir, verbose=0)  # the block lines below say enough
        for method, per in run["forecasts"].items():  # appended to the blocks before (or why it was skipped)
            old = forecasts.get(method, [np.zeros(0)] * len(split.frames))
            forecasts[method] = per if isinstance(per, str) else [np.concatenate([o, p]) for o, p in zip(old, per)]
        runs.append(run)
        if verbose:
            print(f"  walk-forward block {b + 1}/{len(block_starts)} from {start}: "
                  f"{sub.count('train'):,} train windows, {run['fit'].epochs_run} epochs", flush=True)
    shutil.rmtree(folder / "walk_forward", ignore_errors=True)
    fit = dataclasses.replace(runs[-1]["fit"], train_s=sum(r["fit"].train_s for r in runs),
                              epochs_run=sum(r["fit"].epochs_run for r in runs))
    return {**runs[-1], "forecasts": forecasts, "fit": fit}


def _summarise_backtests(per_series: dict, cost_bps: float) -> dict:
    """One series: its backtest. Several: the mean of each number over the series, and each series'."""
    strip = {name: {side: {k: v for k, v in bt[side].items() if k != "equity"} for side in ("strategy", "buy_and_hold")}
             for name, bt in per_series.items()}
    if len(strip) == 1:
        return {**next(iter(strip.values())), "cost_bps": cost_bps}
    mean = {side: {k: float(np.mean([s[side][k] for s in strip.values() if s[side][k] is not None]))
                   for k in next(iter(strip.values()))[side]} for side in ("strategy", "buy_and_hold")}
    return {**mean, "cost_bps": cost_bps, "averaged_over": len(strip), "series": strip}


def _backtest_sentence(bt: dict) -> str:
    s, b = bt["strategy"], bt["buy_and_hold"]
    better = s["sharpe"] is not None and b["sharpe"] is not None and s["sharpe"] > b["sharpe"]
    return (f"The long/flat rule on the forecast's sign {'had a higher' if better else 'did not beat buy-and-hold on'} "
            f"Sharpe ratio ({_fmt(s['sharpe'])} against {_fmt(b['sharpe'])} for buy-and-hold; cumulative return "
            f"{s['cumulative_return']:.1%} against {b['cumulative_return']:.1%}, maximum drawdown "
            f"{s['max_drawdown']:.1%} against {b['max_drawdown']:.1%}, {bt['cost_bps']:g} bp a trade). "
            "A backtest of one test period is not a significance test.")


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def _baselines_by_method(results: dict) -> dict:
    out = {}
    for target, r in results.items():
        for name, values in r["baselines"].items():
            out.setdefault(name, {})[target] = values
    return out


def _save_checkpoints(config, nets, output_dir, results, features) -> None:
    """`pretrained/<model>.<target>`: each network as a zoo checkpoint, for `--pretrained RUN` (fine-tuning);
    its card records what it reads (features, window) and forecasts (target, horizon)."""
    import keras_zoo as zoo

    for target, net in nets.items():
        if getattr(net, "zoo_spec", None) is None:
            continue
        zoo.save_checkpoint(net, output_dir / "pretrained" / f"{config.model}.{target}", overwrite=True, card={
            "data": config.data, "recipe": "zoo train finance (see ../../metrics.json: run.command)",
            "metrics": results[target]["metrics"], "target": target,
            "input": {"features": list(features), "window": config.window, "horizon": config.horizon}})


def _plots(config, frames, splits, fits, nets, first_backtest, ppy, output_dir) -> list[Path]:
    """The pictures of the first series; `first_backtest` is its backtest (or None), whose equity is drawn."""
    from keras_zoo.applications.common import plotting
    from keras_zoo.applications.finance import plots as P

    figures = {}
    k = 0  # the first series
    frame = frames[k]
    if "return" in config.targets:
        ends = splits["return"].ends["test"][k]
        f = fits["return"]["forecasts"][nets["return"].name][k]
        dates = frame.dates[ends + 1]
        figures["price"] = P.price_figure(dates, frame.close[ends + 1], frame.close[ends] * np.exp(f), name=frame.name,
                                          model=config.model)
        figures["residuals"] = P.residuals_figure(dates, frame.returns[ends + 1] - f, model=config.model)
    if "volatility" in config.targets:
        ends = splits["volatility"].ends["test"][k]
        realised = F.targets(frame, "volatility", config.horizon)[ends]
        shown = {m: v[k] for m, v in fits["volatility"]["forecasts"].items() if not isinstance(v, str) and m in
                 (nets["volatility"].name, "ewma", "garch")}
        figures["volatility"] = P.volatility_figure(frame.dates[ends + 1], realised, shown, periods_per_year=ppy,
                                                    horizon=config.horizon)
    if first_backtest is not None:
        target = "return" if "return" in config.targets else "direction"
        ends = splits[target].ends["test"][k]
        figures["equity"] = P.equity_figure(frame.dates[ends + 1], {
            f"{config.model} long/flat": first_backtest["strategy"]["equity"],
            "buy-and-hold": first_backtest["buy_and_hold"]["equity"]}, cost_bps=config.cost_bps)
    return [plotting.save_figure(fig, output_dir, name) for name, fig in figures.items()]


def _line(m: dict) -> str:
    keys = (("rmse", "RMSE", "{:.5f}"), ("mae", "MAE", "{:.5f}"), ("directional_accuracy", "direction", "{:.3f}"),
            ("accuracy", "accuracy", "{:.3f}"), ("qlike", "QLIKE", "{:.4f}"))
    return ", ".join(f"{label} {form.format(m[k])}" for k, label, form in keys if m.get(k) is not None)


def summary_table(record: dict) -> tuple[list[str], list[list[str]]]:
    """`(header, rows)`: the network and each baseline on every target's test metrics."""
    header = ["method", "target", "RMSE", "MAE", "direction acc.", "QLIKE", "DM p (vs model)"]
    rows = []
    for target, m in record["metrics"].items():
        if target == "backtest":
            continue
        rows.append([record["model"], target, *_cells(m), "-"])
        for name, per_target in record["baselines"].items():
            values = per_target.get(target)
            if values is not None:
                rows.append([name, target, "skipped", "", "", "", ""] if "skipped" in values else
                            [name, target, *_cells(values), f"{values['diebold_mariano']['p_value']:.3f}"])
    bt = record["metrics"].get("backtest")
    if bt:
        rows.append(["long/flat rule", "Sharpe", _fmt(bt["strategy"]["sharpe"]), "", "", "", ""])
        rows.append(["buy-and-hold", "Sharpe", _fmt(bt["buy_and_hold"]["sharpe"]), "", "", "", ""])
    return header, rows


def _cells(m: dict) -> list[str]:
    accuracy = m.get("directional_accuracy", m.get("accuracy"))
    return ["-" if m.get(k) is None else f"{m[k]:.5f}" for k in ("rmse", "mae")] + \
        ["-" if accuracy is None else f"{accuracy:.4f}", "-" if m.get("qlike") is None else f"{m['qlike']:.4f}"]


def _load(model_dir: str | Path, data: str):
    """`(metrics.json, series.json, {target: network}, the frame of --data)`: a finished run and one series."""
    import keras_zoo as zoo
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.finance.prices import load_series

    model_dir = Path(model_dir)
    first, record = runs.load_run(model_dir, DOMAIN)
    info = json.loads((model_dir / SERIES_FILE).read_text())
    nets = {t: first if p["model"] == runs.MODEL_FILE else zoo.load_model(model_dir / p["model"])
            for t, p in info["per_target"].items()}
    series = load_series(parse_source(data), what="--data")
    if len(series) != 1:
        raise ValueError(f"--data takes one series (a CSV file) here. "
                         f"Received: --data {data} with {len(series)} series")
    have = F.available_features(series)
    missing = [n for n in info["features"] if n not in have]
    if missing:
        raise ValueError(f"The run's network reads {', '.join(info['features'])}; {data} cannot give "
                         f"{', '.join(missing)} (range needs High and Low, volume_change a Volume column).")
    return record, info, nets, F.make_frame(series[0], tuple(info["features"]))


def predict(model_dir: str | Path, data: str) -> list[str]:
    """The forecast for the period after `data`'s last row, from its latest window, as printable lines."""
    record, info, nets, frame = _load(model_dir, data)
    window, last = int(info["window"]), len(frame) - 1
    if last < F.WARMUP + window - 1:
        raise ValueError(f"{data} has {len(frame) + 1} prices; the forecast reads a window of {window} periods after "
                         f"the {F.WARMUP + 1} the 22-period volatility needs: give at least {F.WARMUP + window + 1}.")
    lines = [f"{frame.name}: last price {frame.close[-1]:g} on {frame.dates[-1]}; forecasts for the next period "
             f"({record['model']}):"]
    for target, net in nets.items():
        per = info["per_target"][target]
        x = F.windows(F.Scaler.from_json(per["scaler"]).transform(frame.features), np.array([last]), window)
        out = net.predict(x, verbose=0)[0]
        if target == "return":
            value = float(out[0] * per["scale"])
            lines.append(f"  return: {value:+.5f} log return (price {frame.close[-1] * np.exp(value):.4g}); "
                         f"the long/flat rule is {'long' if value > 0 else 'flat'}")
        elif target == "direction":
            lines.append(f"  direction: P(up) = {out[1]:.4f}")
        else:
            anchor = ewma_anchor(frame.returns, len(frame.returns), int(info["horizon"]))[last]
            variance = float(anchor * np.exp(np.clip(out[0], -10, 10)))
            annual = np.sqrt(variance * info["periods_per_year"])
            lines.append(f"  volatility over the next {info['horizon']} periods: {np.sqrt(variance):.5f} a period "
                         f"({annual:.1%} annualised; EWMA says {np.sqrt(anchor * info['periods_per_year']):.1%})")
    return lines


def evaluate(model_dir: str | Path, data: str, *, verbose: bool = True) -> dict:
    """The run's networks on every window of `data` (one series), against the baselines that need no fitting."""
    _, info, nets, frame = _load(model_dir, data)
    window, horizon = int(info["window"]), int(info["horizon"])
    result = {}
    for target, net in nets.items():
        per = info["per_target"][target]
        span = F.target_span(target, horizon)
        ends = np.arange(F.WARMUP + window - 1, len(frame) - span)
        if not len(ends):
            raise ValueError(f"{data} is too short for one window of {window} and a target {span} period(s) ahead.")
        out = net.predict(F.windows(F.Scaler.from_json(per["scaler"]).transform(frame.features), ends, window),
                          verbose=0, batch_size=1024)
        realised = F.targets(frame, target, horizon)[ends]
        # EWMA starts from the variance of the first returns of this file: the evaluation has no training period.
        anchor = ewma_anchor(frame.returns, int(ends[0]) + 1, horizon)[ends] if target == "volatility" else None
        forecasts = {net.name: _in_units(target, out, anchor, per["scale"])}
        if target == "volatility":
            forecasts["ewma"] = anchor
        elif target == "return":
            forecasts["zero_return"] = np.zeros(len(ends))
        ours, base, sentences = score(target, realised, forecasts, net.name, horizon)
        result[target] = {"metrics": ours, "baselines": base, "verdict": sentences, "windows": int(len(ends))}
        if verbose:
            print(f"{target} on {data} ({len(ends)} windows): {_line(ours)}", *(f"  {s}" for s in sentences), sep="\n")
    return result


def demo(output_dir: Path, *, seed: int = 0) -> dict:
    """The offline demo: GOOG daily 2004-2008 (matplotlib's sample), return and volatility, against the baselines."""
    config = FinanceConfig(train=TrainConfig(**{**DEFAULT_TRAIN, "seed": seed}))
    start = time.perf_counter()
    record = train_and_evaluate(config, output_dir)
    record["timing"]["total_s"] = time.perf_counter() - start
    return record


def config_from_args(args, train: TrainConfig) -> FinanceConfig:
    """The run's config from `zoo train finance` arguments."""
    for flag in ("--embeddings", "--max-tokens", "--features", "--sequence-length", "--image-size", "--max-examples"):
        if getattr(args, flag[2:].replace("-", "_"), None):
            raise ValueError(f"{flag} is not a finance option; finance takes --target, --window, --horizon, "
                             f"--walk-forward and --cost-bps.")
    if getattr(args, "augment", "auto") not in (None, "auto"):
        raise ValueError("--augment is not a finance option.")
    return FinanceConfig(model=args.model or DEFAULT_MODEL, data=args.data, test_data=args.test_data,
                         targets=tuple(getattr(args, "target", None) or DEFAULT_TARGETS),
                         window=F.DEFAULT_WINDOW if getattr(args, "window", None) is None else args.window,
                         horizon=F.DEFAULT_HORIZON if getattr(args, "horizon", None) is None else args.horizon,
                         walk_forward=getattr(args, "walk_forward", None), pretrained=args.pretrained,
                         cost_bps=COST_BPS if getattr(args, "cost_bps", None) is None else args.cost_bps,
                         freeze_backbone=bool(args.freeze_backbone), train=train)


def tune_data(model: str, data: str, *, seed: int, batch_size: int, target: str = "return",
              window: int = F.DEFAULT_WINDOW, horizon: int = F.DEFAULT_HORIZON):
    """Windows of `applications.finance.features`, split by date and scaled as `zoo train finance` does."""
    from keras_zoo.applications.tune import TuneData

    config = FinanceConfig(model=model, data=data, targets=(target,), window=window, horizon=horizon,
                           train=TrainConfig(**{**DEFAULT_TRAIN, "seed": seed}))
    frames, test_starts = load_data(config)
    split = F.chronological_split(frames, window=window, span=F.target_span(target, horizon), test_starts=test_starts)
    _, scaled, _, _, values, scale = _scaled_targets(target, split, horizon)  # as `fit_target`

    def xy(name):
        x = np.concatenate([F.windows(s, e, window) for s, e in zip(scaled, split.ends[name])])
        y = np.concatenate([v[e] for v, e in zip(values, split.ends[name])])
        return x, (y.astype(np.int32) if target == "direction" else (y / scale).astype(np.float32))

    train, val, test = xy("train"), xy("val"), xy("test")
    counts = {s: split.count(s) for s in ("train", "val", "test")}
    direction = target == "direction"
    # The forecast a zero head makes: a zero return, or EWMA's variance.
    anchor = None if direction else {"name": ANCHORS[target], "val_loss": validation_loss(target, None, val),
                                     "test_loss": validation_loss(target, None, test)}

    def test_extra(net) -> dict:
        """The return forecast's RMSE and directional accuracy in log-return units (`zoo train finance`'s metrics)."""
        if target != "return":
            return {}
        from keras_zoo.applications.finance import metrics as M

        realised = test[1].astype(np.float64) * scale
        forecast = net.predict(test[0], verbose=0, batch_size=1024)[:, 0].astype(np.float64) * scale
        return {"rmse": M.rmse(realised, forecast), "mae_return": M.mae(realised, forecast),
                "directional_accuracy": M.directional_accuracy(realised, forecast)}

    return TuneData(
        train=train, val=val, test=test, num_classes=2 if direction else 1, counts=counts, classification=direction,
        input_shape=(window, len(split.frames[0].feature_names)), test_extra=test_extra, anchor=anchor,
        fixed={"classifier_activation": "softmax" if direction else None}, zero_head=not direction,
        loss=qlike_of_log_ratio if target == "volatility" else None,
        info={"source": data, **counts, "classes": ["down", "up"] if direction else [], "target": target,
              "window": window, "horizon": horizon, "features": list(split.frames[0].feature_names),
              "series": [f.name for f in frames], "val_start": str(split.val_start),
              "test_start": str(split.test_start), "target_scale": scale,
              "loss": {"return": "MSE of the return / its training standard deviation",
                       "direction": "cross-entropy", "volatility": "QLIKE of the variance forecast"}[target]})
