"""Pictures of an NLP run: the model beside the baselines, and which words a prediction rests on.

Per-token saliency is measured by occlusion (Zeiler and Fergus 2014, applied to words): the drop
in the predicted class's probability when one word is deleted from the text. It needs nothing
but the end-to-end model (raw strings in), so it works for every architecture alike, and it
reads plainly: in "the acting was not great" a model that understands negation leans on "not".
"""

from __future__ import annotations

from itertools import zip_longest
from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

MAX_EXAMPLES = 4
MAX_WORDS = 30  # longer texts are cut for the picture (the model still reads them whole)


def comparison_figure(results: dict[str, dict], *, subsets: Sequence[str] = ()) -> Figure:
    """Grouped bars: test accuracy of each model overall and on each subset (`accuracy_<subset>`)."""
    groups = ["accuracy", *(f"accuracy_{s}" for s in subsets)]
    labels = ["overall", *subsets]
    names = list(results)
    width = 0.8 / max(len(names), 1)
    fig = Figure(figsize=(max(5.0, 1.6 * len(groups) + 2.5), 3.6), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(groups))
    for i, name in enumerate(names):
        values = [results[name].get(g) for g in groups]
        heights = [v if v is not None else 0.0 for v in values]
        bars = ax.bar(x + (i - (len(names) - 1) / 2) * width, heights, width, label=name)
        for bar, v in zip(bars, values):
            ax.annotate("-" if v is None else f"{v:.3f}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(x, labels=labels)
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.1)
    ax.set_title("Held-out accuracy: model and baselines")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    return fig


def token_saliency(model, text: str) -> tuple[list[str], np.ndarray, int, float]:
    """Each word of `text` and the drop in the predicted class's probability without it.

    Returns:
        `(words, drops, predicted_class, probability)`; a positive drop means the word supports
        the prediction, a negative one that it argues against it.
    """
    import tensorflow as tf

    words = str(text).split()[:MAX_WORDS]
    variants = [" ".join(words)] + [" ".join(words[:i] + words[i + 1:]) for i in range(len(words))]
    probs = model.predict(tf.constant(variants, dtype=tf.string), verbose=0)
    predicted = int(np.argmax(probs[0]))
    return words, probs[0, predicted] - probs[1:, predicted], predicted, float(probs[0, predicted])


def saliency_examples(texts: Sequence[str], masks: dict[str, np.ndarray], n: int = MAX_EXAMPLES) -> list[str]:
    """Test texts worth explaining: from each subset in turn (negation first), else the first texts."""
    rounds = zip_longest(*(np.flatnonzero(np.asarray(m, dtype=bool)) for m in masks.values()))
    chosen: list[str] = []
    for i in [i for row in rounds for i in row if i is not None] + list(range(len(texts))):
        text = str(texts[i])
        if len(chosen) >= n:
            break
        if text not in chosen and text.split():
            chosen.append(text)
    return chosen


def saliency_figure(model, texts: Sequence[str], class_names: Sequence[str]) -> Figure:
    """One row per text: its words, each shaded by how much the prediction rests on it."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import TwoSlopeNorm

    rows = [token_saliency(model, t) for t in texts]
    scale = max([float(np.max(np.abs(d))) for _, d, _, _ in rows if len(d)] + [1e-6])
    norm = TwoSlopeNorm(vmin=-scale, vcenter=0.0, vmax=scale)
    cmap = colormaps["RdBu_r"]
    fig = Figure(figsize=(11, 1.1 * len(rows) + 0.8), layout="constrained")
    ax = fig.subplots()
    ax.set_xlim(0, 1)
    ax.set_ylim(len(rows), 0)
    ax.axis("off")
    for r, (words, drops, predicted, prob) in enumerate(rows):
        ax.text(0, r + 0.2, f"predicted {class_names[predicted]} ({prob:.2f})", fontsize=9, weight="bold", va="center")
        x = 0.0
        total = sum(len(w) + 1 for w in words) or 1
        step = min(1.0 / total, 0.012)
        for word, drop in zip(words, drops):
            ax.text(x, r + 0.6, word, fontsize=10, va="center", family="monospace",
                    bbox=dict(boxstyle="square,pad=0.15", facecolor=cmap(norm(drop)), edgecolor="none"))
            x += step * (len(word) + 1)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, orientation="horizontal", fraction=0.05, pad=0.02)
    bar.set_label("drop in the predicted class's probability when the word is deleted (red: supports it)")
    ax.set_title("Per-token saliency by occlusion")
    return fig
