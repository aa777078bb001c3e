"""Plots of a run, written as PNG files under `output_dir/plots/`.

Figures are `matplotlib.figure.Figure` objects rendered by the Agg canvas: pyplot's global state
and the user's backend (an interactive session, a notebook) are left untouched. Files are written
atomically (a temporary file, then `os.replace`).

Example:
    >>> plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, out)       # out/plots/history.png
    >>> plot_bars({"resnet20": 0.97, "logistic_regression": 0.93}, out, "accuracy",
    ...           title="Test accuracy", ylabel="accuracy")
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from keras_zoo.files import atomic_path

PLOTS_DIR = "plots"
DPI = 120
_NAME = re.compile(r"^[\w.-]+$")
_MAX_ANNOTATED_CLASSES = 30  # beyond this the counts would not fit in their cells


def save_figure(fig: Figure, output_dir: str | os.PathLike, name: str) -> Path:
    """Write `fig` to `output_dir/plots/<name>.png` (atomically) and return the path."""
    name = name[:-4] if name.endswith(".png") else name
    if not _NAME.match(name):
        raise ValueError(f"A plot name is letters, digits, '_', '-' or '.', without a folder. Received: name={name!r}")
    path = Path(output_dir) / PLOTS_DIR / f"{name}.png"
    FigureCanvasAgg(fig)  # render with Agg whatever the session's backend
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")
    return path


def plot_history(history: dict[str, list[float]], output_dir: str | os.PathLike, *, name: str = "history") -> Path:
    """The loss and each metric per epoch, training against validation, one panel each.

    `history` is Keras' (`loss`, `val_loss`, `accuracy`, `val_accuracy`...); a `val_X` is drawn in
    the panel of `X`. Missing values (None, NaN) leave gaps.
    """
    if not history or not any(len(v) for v in history.values()):
        raise ValueError(f"The history is empty: nothing to plot. Received: history={history!r}")
    panels = list(dict.fromkeys(key[4:] if key.startswith("val_") else key for key in history))
    panels.sort(key=lambda k: k != "loss")  # the loss first, the rest in Keras' order
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(4.2 * ncols, 3.2 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, base in zip(axes, panels):
        for key, label, style in ((base, "train", "-"), (f"val_{base}", "validation", "--")):
            if key in history and len(history[key]):
                values = _floats(history[key])
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, style, marker="o" if len(values) <= 30 else None, markersize=3, label=label)
        ax.set(title=base.replace("_", " "), xlabel="epoch")
        ax.grid(alpha=0.3)
        ax.legend()
        if base == "loss" and _positive(history, base):
            ax.set_yscale("log")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return save_figure(fig, output_dir, name)


def plot_confusion_matrix(matrix, class_names, output_dir: str | os.PathLike, *, name: str = "confusion_matrix",
                          normalize: bool = True) -> Path:
    """A confusion matrix (rows: true class, columns: predicted), each cell annotated with its count.

    Args:
        matrix: `(n, n)` counts, e.g. `sklearn.metrics.confusion_matrix(y_true, y_pred)`.
        class_names: the `n` class names, in label order.
        normalize: colour each row by its fraction of that true class (the count is still written),
            so that rare classes are as readable as common ones.
    """
    matrix = np.asarray(matrix)
    names = [str(c) for c in class_names]
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"A confusion matrix is square. Received: matrix of shape {matrix.shape}")
    if matrix.shape[0] != len(names):
        raise ValueError(f"{matrix.shape[0]} rows but {len(names)} class names. Received: class_names={names!r}")
    n = len(names)
    counts = matrix.astype(np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    shown = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0) if normalize else counts
    side = min(max(4.0, 0.45 * n + 2.0), 30.0)
    fig = Figure(figsize=(side + 1.0, side), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else max(shown.max(), 1))
    fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class" if normalize else "count")
    ax.set_xticks(range(n), labels=names, rotation=90 if n > 10 or max(map(len, names), default=0) > 4 else 0)
    ax.set_yticks(range(n), labels=names)
    ax.set(xlabel="predicted", ylabel="true",
           title="Confusion matrix" + (" (colour: row-normalised)" if normalize else ""))
    if n <= _MAX_ANNOTATED_CLASSES:
        limit = (1 if normalize else max(shown.max(), 1)) / 2
        fontsize = 9 if n <= 12 else 6
        for i, j in np.ndindex(n, n):
            count = matrix[i, j]
            text = f"{count:g}" if np.issubdtype(matrix.dtype, np.floating) else f"{int(count)}"
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                    color="white" if shown[i, j] > limit else "black")
    return save_figure(fig, output_dir, name)


def plot_bars(values: dict[str, float], output_dir: str | os.PathLike, name: str, *, title: str, ylabel: str) -> Path:
    """One bar per entry (e.g. the model against its baselines), each labelled with its value."""
    if not values:
        raise ValueError(f"Nothing to plot. Received: values={values!r}")
    labels = [str(k) for k in values]
    heights = _floats(list(values.values()))
    fig = Figure(figsize=(max(4.0, 1.1 * len(labels) + 1.5), 3.6), layout="constrained")
    ax = fig.subplots()
    colours = [f"C{i % 10}" for i in range(len(labels))]
    bars = ax.bar(range(len(labels)), np.nan_to_num(heights), color=colours)
    ax.set_xticks(range(len(labels)), labels=labels, rotation=20 if len(labels) > 3 else 0, ha="right" if len(labels) > 3 else "center")
    for bar, value in zip(bars, heights):
        ax.annotate("n/a" if math.isnan(value) else f"{value:.4g}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
    ax.set(title=title, ylabel=ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.margins(y=0.12)
    return save_figure(fig, output_dir, name)


def _floats(values) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _positive(history: dict, base: str) -> bool:
    values = np.concatenate([_floats(history[k]) for k in (base, f"val_{base}") if k in history])
    values = values[np.isfinite(values)]
    return values.size > 0 and bool((values > 0).all()) and values.max() / values.min() > 20
