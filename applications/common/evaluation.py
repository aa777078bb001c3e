"""Scores of a classifier on held-out data, the same for every domain."""

from __future__ import annotations

from typing import Sequence

import numpy as np


def classification_metrics(y_true, probs, class_names: Sequence[str]) -> tuple[dict, dict, list]:
    """Accuracy and macro-F1; per-class precision, recall, F1 and support; the confusion matrix.

    Args:
        y_true: `(n,)` integer labels in `0..len(class_names)-1`.
        probs: `(n, len(class_names))` class probabilities (or scores: only the argmax is used).
        class_names: the class names, in label order.

    Returns:
        `(metrics, per_class, confusion_matrix)`: `{"accuracy", "macro_f1"}`, `{name: {...}}`, and
        the matrix as nested lists (rows: true class, columns: predicted).
    """
    from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

    labels = list(range(len(class_names)))
    y_true = np.asarray(y_true)
    y_pred = np.argmax(probs, axis=-1) if len(y_true) else np.zeros(0, dtype=int)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    metrics = {"accuracy": float(np.mean(y_pred == y_true)) if len(y_true) else float("nan"),
               "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))}
    per_class = {name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                 for name, p, r, f, s in zip(class_names, precision, recall, f1, support)}
    return metrics, per_class, confusion_matrix(y_true, y_pred, labels=labels).tolist()


def subset_accuracies(y_true, y_pred, subsets: dict[str, np.ndarray]) -> dict[str, float | None]:
    """`{"accuracy_<name>": accuracy on the examples where the mask is true}` (None for an empty subset)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    result = {}
    for name, mask in subsets.items():
        mask = np.asarray(mask, dtype=bool)
        result[f"accuracy_{name}"] = float(np.mean(y_pred[mask] == y_true[mask])) if mask.any() else None
    return result
