"""Finance as the `zoo` command sees it: return and volatility forecasts (`applications/finance/pipeline.py`)."""

from __future__ import annotations

from keras_zoo.applications.common.domain import Domain

TARGETS = ("return", "direction", "volatility")
DEFAULT_TRAIN = dict(epochs=30, batch_size=64, optimizer="adam", learning_rate=1e-3, schedule="constant", patience=5)


class FinanceDomain(Domain):
    name = "finance"
    test_unit = "periods"
    pipeline = "keras_zoo.applications.finance.pipeline"
    default_train = DEFAULT_TRAIN
    tune_unit = "windows"
    own_flags = {"--target": "target", "--window": "window", "--horizon": "horizon",
                 "--walk-forward": "walk_forward", "--cost-bps": "cost_bps"}
    own_predict_flags = {"--data": "data"}

    def add_arguments(self, parser):
        group = parser.add_argument_group("finance")
        group.add_argument("--target", nargs="+", choices=TARGETS, help="what to "
                           "forecast, one model each (default: return volatility): the next log return, its sign, "
                           "or the realised variance over the next --horizon periods")
        group.add_argument("--window", type=int, help="periods of features each forecast reads (default 32)")
        group.add_argument("--horizon", type=int, help="periods the volatility target covers (default 5)")
        group.add_argument("--walk-forward", type=int, metavar="N", help="refit every N test periods on all data "
                           "before them (expanding window); default: one fit before the test period")
        group.add_argument("--cost-bps", type=float, help="the backtest's cost of each trade in basis points "
                           "(default 5)")

    def check_model(self, name):
        self.module.check_finance_model(name)

    def add_tune_arguments(self, parser):
        group = parser.add_argument_group("finance")
        group.add_argument("--target", choices=TARGETS, help="what to forecast (default return: the next log "
                           "return, MSE; direction: its sign; volatility: realised variance over --horizon, QLIKE)")
        group.add_argument("--window", type=int, help="periods of features each forecast reads (default 32)")
        group.add_argument("--horizon", type=int, help="periods the volatility target covers (default 5)")

    def check_tune_options(self, *, max_examples=None, target=None, window=None, horizon=None):
        if max_examples is not None:
            raise ValueError("--max-examples is not a finance option: a price series is split by date, not capped.")
        if target is not None and target not in TARGETS:
            raise ValueError(f"--target is one of {', '.join(TARGETS)}. Received: --target {target}")

    def summary(self, record):
        header, rows = self.module.summary_table(record)
        return header, rows, record.get("verdict", [])

    def add_predict_arguments(self, parser):
        parser.add_argument_group("finance").add_argument(
            "--data", help="a price CSV; the forecast is for the period after its last row")

    def predict_request(self, args):
        if args.inputs:
            raise ValueError("finance forecasts from a price file: zoo predict finance --model-dir D --data CSV.")
        if not args.data:
            raise ValueError("Give the prices to forecast from: zoo predict finance --model-dir D --data CSV.")
        return [args.data], {}

    def predict(self, model_dir, inputs, **options):
        """One result per price file: its forecast for the next period, as printable `lines`."""
        return [{"input": data, "lines": self.module.predict(model_dir, data, **options)} for data in inputs]

    def format_prediction(self, result):
        return result["lines"]


DOMAIN = FinanceDomain()
