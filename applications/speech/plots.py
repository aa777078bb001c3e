"""Pictures of a speech run: clips as the model hears them, and how well each word is recognised."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

SAMPLE_RATE = 16000


def pick_examples(y_true, y_pred, *, k: int = 6, seed: int = 0) -> np.ndarray:
    """Indices of up to `k` test clips: some right, and (when there are any) up to half of them wrong."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    rng = np.random.default_rng(seed)
    wrong = np.flatnonzero(y_true != y_pred)
    right = np.flatnonzero(y_true == y_pred)
    n_wrong = min(len(wrong), k // 2)
    chosen = [*rng.choice(wrong, n_wrong, replace=False), *rng.choice(right, min(len(right), k - n_wrong),
                                                                      replace=False)]
    return np.array(sorted(int(i) for i in chosen), dtype=int)


def examples_figure(audio: np.ndarray, y_true, probs: np.ndarray, class_names: Sequence[str]) -> Figure:
    """For each clip: its waveform above its log-mel spectrogram, titled with the true and predicted word."""
    from keras_zoo.layers.audio import LogMelSpectrogram

    n = len(audio)
    spectrograms = np.asarray(LogMelSpectrogram(num_mel_bins=40)(np.asarray(audio, np.float32))) if n else []
    fig = Figure(figsize=(2.6 * max(n, 1), 4.2), layout="constrained")
    axes = fig.subplots(2, max(n, 1), squeeze=False)
    t = np.arange(audio.shape[1]) / SAMPLE_RATE if n else []
    for i in range(n):
        predicted = int(np.argmax(probs[i]))
        ok = predicted == int(y_true[i])
        top, bottom = axes[0, i], axes[1, i]
        top.plot(t, audio[i], linewidth=0.5, color="tab:blue")
        top.set_ylim(-1, 1)
        top.set_title(f"said: {class_names[int(y_true[i])]}\nheard: {class_names[predicted]} ({probs[i][predicted]:.2f})",
                      fontsize=8, color="black" if ok else "tab:red")
        top.set_xticks([])
        top.tick_params(labelsize=6)
        bottom.imshow(spectrograms[i].T, origin="lower", aspect="auto", cmap="magma",
                      extent=(0, audio.shape[1] / SAMPLE_RATE, 0, spectrograms[i].shape[1]))
        bottom.set_xlabel("seconds", fontsize=7)
        bottom.tick_params(labelsize=6)
        if i == 0:
            top.set_ylabel("waveform", fontsize=7)
            bottom.set_ylabel("mel band", fontsize=7)
    fig.suptitle("Held-out clips: waveform and log-mel spectrogram (red: misheard)", fontsize=9)
    return fig


def recall_figure(recalls: dict[str, dict[str, float]]) -> Figure:
    """Grouped bars of each word's recall (the share of its clips recognised), one colour per model."""
    names = list(recalls)
    words = list(next(iter(recalls.values()))) if recalls else []
    width = 0.8 / max(len(names), 1)
    fig = Figure(figsize=(min(16.0, max(6.0, 0.2 * len(words) * max(len(names), 1) + 1.5)), 3.4), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(words))
    for i, name in enumerate(names):
        ax.bar(x + (i - (len(names) - 1) / 2) * width, [recalls[name][w] for w in words], width, label=name)
    ax.set_xticks(x, labels=words, rotation=60, fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("recall on held-out clips")
    ax.set_title("Per-word recall")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="y", alpha=0.3)
    return fig
