"""What every application (vision, nlp, speech, recommendation, finance) shares.

- `sources`: data-source strings (`sample`, `tfds:NAME[/CONFIG]`, a folder, a `.csv`) -> `Source`;
- `training`: `TrainConfig`, optimizers and schedules, `fit` (early stopping, best checkpoint,
  resume after an interruption, NaN detection, timing);
- `report`: the output folder, `metrics.json`, `history.csv`;
- `plotting`: training curves, confusion matrices, bar charts as PNG files.

Importing this package imports neither TensorFlow nor matplotlib: `training` and `plotting` load
when one of their names is first used (or imported from them directly).
"""

from __future__ import annotations

import importlib

from keras_zoo.applications.common.report import prepare_output_dir, read_metrics, write_history_csv, write_json, write_metrics
from keras_zoo.applications.common.sources import Source, parse_source

_LAZY = {**dict.fromkeys(("OPTIMIZERS", "SCHEDULES", "TrainConfig", "FitResult", "NaNLossError", "set_seed",
                          "make_optimizer", "fit"), "training"),
         **dict.fromkeys(("save_figure", "plot_history", "plot_confusion_matrix", "plot_bars"), "plotting")}

__all__ = ["Source", "parse_source", "prepare_output_dir", "read_metrics", "write_history_csv", "write_json",
           "write_metrics", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f"keras_zoo.applications.common.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
