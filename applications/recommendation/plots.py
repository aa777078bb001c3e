"""Pictures of a recommendation run: hit rate against K for every method, and a map of the items."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

MAX_GENRES = 10  # genres beyond the most frequent ten are drawn grey, as "other"


def curves_figure(curves: dict[str, dict[str, np.ndarray]], *, dashed: tuple[str, ...] = ()) -> Figure:
    """HR@K (99 sampled negatives) and recall@K (all unseen items) against K, one line per method.

    Args:
        curves: `{method: {"leave_one_out": HR@1..HR@K, "full_ranking": recall@1..recall@K}}`.
        dashed: the methods drawn dashed (the baselines).
    """
    fig = Figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    panels = ((left, "leave_one_out", "HR@K, target among 99 sampled unseen items"),
              (right, "full_ranking", "recall@K, target among all unseen items"))
    for ax, key, title in panels:
        for name, values in curves.items():
            y = np.asarray(values[key], dtype=float)
            style = "--" if name in dashed else "-"
            ax.plot(np.arange(1, len(y) + 1), y, style, label=name, linewidth=1.5)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("K")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    left.set_ylabel("fraction of test users")
    left.legend(fontsize=8, loc="lower right")
    return fig


def embedding_map(vectors: np.ndarray, *, genres: np.ndarray | None = None, popularity: np.ndarray | None = None,
                  title: str = "Item embeddings (PCA)") -> Figure:
    """The items' embedding vectors projected to 2-D by PCA, coloured by genre (or by log popularity).

    Args:
        vectors: `(n_items, d)`.
        genres: `(n_items,)` one genre name per item; the ten commonest get a colour each.
        popularity: `(n_items,)` interaction counts, used when there are no genres.
    """
    from sklearn.decomposition import PCA

    vectors = np.asarray(vectors, dtype=np.float64)
    fig = Figure(figsize=(6.5, 5.5), layout="constrained")
    ax = fig.subplots()
    if len(vectors) < 2 or vectors.shape[1] < 2:
        ax.text(0.5, 0.5, "too few items or dimensions to project", ha="center", va="center")
        return fig
    xy = PCA(n_components=2, random_state=0).fit_transform(vectors)
    if genres is not None:
        names, counts = np.unique(np.asarray(genres).astype(str), return_counts=True)
        top = list(names[np.argsort(-counts)][:MAX_GENRES])
        other = ~np.isin(genres, top)
        if other.any():
            ax.scatter(xy[other, 0], xy[other, 1], s=6, color="lightgrey", label="other")
        cmap = __import__("matplotlib").colormaps["tab10"]
        for k, name in enumerate(top):
            mask = np.asarray(genres).astype(str) == name
            ax.scatter(xy[mask, 0], xy[mask, 1], s=8, color=cmap(k), label=name)
        ax.legend(fontsize=7, markerscale=2, loc="best")
    else:
        pop = np.log1p(np.zeros(len(xy)) if popularity is None else np.asarray(popularity, dtype=float))
        points = ax.scatter(xy[:, 0], xy[:, 1], s=8, c=pop, cmap="viridis")
        fig.colorbar(points, ax=ax, label="log(1 + interactions in training)")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("first principal component")
    ax.set_ylabel("second principal component")
    return fig
