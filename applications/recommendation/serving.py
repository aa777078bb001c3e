"""Serving a trained recommender: the top K items for a user, excluding what they have already seen.

A run saves two things: `model.keras`, the registry network, which scores `[user, item]` number
pairs (0 is "unknown"; user number u is row u + 1 of its embedding table), and `catalog.npz`,
which maps raw ids to those numbers and holds each user's interactions, the items' titles and
genres, and their popularity in training.

Factorised models (`mf`, `two_tower`) are served through an `ItemIndex`: the item tower runs once
over the catalogue, and a user's recommendations are the largest inner products with the user's
vector (exact maximum-inner-product search, one matrix product; fine to millions of items on one
machine). Models that are not factorised (`gmf`, `ncf_mlp`, `neumf`) score every (user, item) pair.
A user the model never saw gets the most popular items, and the result says so.

Example:
    >>> recommender = Recommender.load("runs/recommendation-20260101-120000")
    >>> recommender.recommend("196", top=5)["items"][0]
    {'item': '50', 'title': 'Star Wars (1977)', 'score': 4.21}
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CATALOG_FILE = "catalog.npz"
OFFSET = 1  # embedding row of user/item number n is n + OFFSET: row 0 is the "unknown" id


@dataclass
class Catalog:
    """What serving needs besides the network: raw ids, titles, genres, popularity, who saw what.

    Args:
        user_ids: `(n_users,)` raw user ids, by user number.
        item_ids: `(n_items,)` raw item ids, by item number.
        item_titles: `(n_items,)` titles (the ids when the data had none).
        item_genres: `(n_items,)` one genre per item, or None.
        popularity: `(n_items,)` interactions per item in the training split.
        seen: `(n_users, n_items)` binary CSR of every interaction in the data (training, validation
            and test): serving never recommends those again.
        histories: for a sequence model, `(n_users, max_len)` item tokens, each user's latest items
            (`sequences.histories`); None for models of (user, item) pairs.
    """

    user_ids: np.ndarray
    item_ids: np.ndarray
    item_titles: np.ndarray
    item_genres: np.ndarray | None
    popularity: np.ndarray
    seen: object  # scipy.sparse.csr_matrix
    histories: np.ndarray | None = None

    def save(self, path: str | os.PathLike) -> Path:
        """Write the catalogue as `.npz` (plain arrays, no pickle), atomically."""
        from keras_zoo.files import atomic_path

        path = Path(path)
        arrays = dict(user_ids=self.user_ids.astype(str), item_ids=self.item_ids.astype(str),
                      item_titles=self.item_titles.astype(str), popularity=self.popularity.astype(np.int64),
                      seen_indptr=self.seen.indptr.astype(np.int64), seen_indices=self.seen.indices.astype(np.int32))
        if self.item_genres is not None:
            arrays["item_genres"] = self.item_genres.astype(str)
        if self.histories is not None:
            arrays["histories"] = np.asarray(self.histories, dtype=np.int32)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:  # a file object: np.savez would add ".npz" to a temporary name
                np.savez_compressed(f, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Catalog":
        import scipy.sparse

        with np.load(path, allow_pickle=False) as f:
            n_users, n_items = len(f["user_ids"]), len(f["item_ids"])
            indices = f["seen_indices"]
            seen = scipy.sparse.csr_matrix((np.ones(len(indices), np.float32), indices, f["seen_indptr"]),
                                           shape=(n_users, n_items))
            return cls(user_ids=f["user_ids"], item_ids=f["item_ids"], item_titles=f["item_titles"],
                       item_genres=f["item_genres"] if "item_genres" in f.files else None,
                       popularity=f["popularity"], seen=seen,
                       histories=f["histories"] if "histories" in f.files else None)

    @classmethod
    def from_interactions(cls, inter, train_rows: np.ndarray) -> "Catalog":
        """The catalogue of `inter`, with popularity counted on `train_rows` only."""
        titles = inter.item_titles if inter.item_titles is not None else inter.item_ids
        popularity = np.bincount(inter.items[train_rows], minlength=inter.n_items)
        return cls(user_ids=np.asarray(inter.user_ids).astype(str), item_ids=np.asarray(inter.item_ids).astype(str),
                   item_titles=np.asarray(titles).astype(str),
                   item_genres=None if inter.item_genres is None else np.asarray(inter.item_genres).astype(str),
                   popularity=popularity, seen=inter.matrix())

    def user_number(self, user_id: str) -> int | None:
        """The number of raw `user_id`, or None for a user not in the data."""
        if not hasattr(self, "_users"):
            self._users = {u: k for k, u in enumerate(self.user_ids.tolist())}
        return self._users.get(str(user_id))


class ItemIndex:
    """Exact maximum-inner-product search over item vectors (brute force: one matrix product).

    Args:
        vectors: `(n_items, d)`, row k the vector of item number k.
    """

    def __init__(self, vectors: np.ndarray):
        self.vectors = np.asarray(vectors, dtype=np.float32)

    def scores(self, queries: np.ndarray) -> np.ndarray:
        """`(b, n_items)` inner products of `(b, d)` query vectors with every item."""
        return np.asarray(queries, dtype=np.float32) @ self.vectors.T


def top_k(scores: np.ndarray, k: int, *, exclude=None) -> tuple[np.ndarray, np.ndarray]:
    """The `k` highest-scoring columns of each row, best first, skipping `exclude`d ones (fewer if too few remain)."""
    scores = np.array(scores, dtype=np.float64)
    if exclude is not None:
        mask = exclude.toarray() if hasattr(exclude, "toarray") else np.asarray(exclude)
        scores[mask.astype(bool)] = -np.inf
    k = min(int(k), scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < scores.shape[1] else np.tile(
        np.arange(scores.shape[1]), (len(scores), 1))
    order = np.take_along_axis(part, np.argsort(-np.take_along_axis(scores, part, 1), axis=1, kind="stable"), 1)
    return order, np.take_along_axis(scores, order, 1)


class Scorer:
    """Scores of every item for given users, from a trained registry network.

    Factorised networks go through an `ItemIndex` of their item vectors; others score all pairs.
    Used both to evaluate a run and to serve it, so both see the same numbers.
    """

    def __init__(self, net, n_items: int, *, batch_size: int = 65536):
        from keras_zoo.models.recommender import towers

        self.net, self.n_items, self.batch_size = net, n_items, batch_size
        self.name = net.name
        parts = towers(net)
        self.user_tower = self.index = self.logits = None
        if parts is not None:
            self.user_tower, item_tower = parts
            items = np.arange(OFFSET, n_items + OFFSET, dtype=np.int32)
            self.index = ItemIndex(item_tower.predict(items, batch_size=batch_size, verbose=0))

    @property
    def factorised(self) -> bool:
        return self.index is not None

    def item_vectors(self) -> np.ndarray | None:
        return None if self.index is None else self.index.vectors

    def __call__(self, users: np.ndarray) -> np.ndarray:
        users = np.asarray(users, dtype=np.int32) + OFFSET
        if self.index is not None:
            return self.index.scores(self.user_tower.predict(users, batch_size=self.batch_size, verbose=0))
        items = np.arange(OFFSET, self.n_items + OFFSET, dtype=np.int32)
        pairs = np.stack([np.repeat(users, self.n_items), np.tile(items, len(users))], axis=1)
        if self.logits is None:
            self.logits = logit_model(self.net)
        out = self.logits.predict(pairs, batch_size=self.batch_size, verbose=0)
        return np.asarray(out, dtype=np.float32).reshape(len(users), self.n_items)


def logit_model(net):
    """`net` without its final sigmoid: scores that never saturate.

    A float32 sigmoid returns exactly 1.0 for every score above about 17, and ties rank against
    the held-out item: rankings are made on the score before it.
    """
    import keras

    last = net.layers[-1]
    if last.name not in ("probability", "predictions"):  # the recommenders' sigmoid, a classifier's softmax
        return net
    return keras.Model(net.inputs, last.input, name=f"{net.name}_logits")


class Recommender:
    """A finished run, ready to recommend: `Recommender.load(model_dir).recommend(user_id, top=10)`."""

    def __init__(self, net, catalog: Catalog):
        self.catalog = catalog
        if catalog.histories is not None:  # a sequence model: it ranks what follows each user's history
            from keras_zoo.applications.recommendation.sequences import SequenceScorer

            self.scorer = SequenceScorer(net, catalog.histories, len(catalog.item_ids))
        else:
            self.scorer = Scorer(net, len(catalog.item_ids))

    @classmethod
    def load(cls, model_dir: str | os.PathLike) -> "Recommender":
        from keras_zoo.applications.common.runs import load_run

        model_dir = Path(model_dir)
        net, _ = load_run(model_dir, "recommendation")
        if not (model_dir / CATALOG_FILE).is_file():
            raise ValueError(f"{model_dir} lacks {CATALOG_FILE} (written by `zoo train recommendation`). "
                             f"Received: --model-dir {model_dir}")
        return cls(net, Catalog.load(model_dir / CATALOG_FILE))

    def recommend(self, user_id: str, *, top: int = 10) -> dict:
        """`{"user", "known", "note", "items": [{"item", "title", "score"}, ...]}`, best first.

        A known user gets the model's top items among those they have not interacted with; an
        unknown user the most popular items of the training data (`known` False, `note` says so).
        """
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            raise ValueError(f"--top must be a positive integer. Received: --top {top!r}")
        c = self.catalog
        number = c.user_number(user_id)
        if number is None:
            items, scores = top_k(c.popularity[None, :].astype(float), top)
            note = (f"user {user_id!r} is not in the training data (cold start): these are the {top} most popular "
                    f"items instead")
        else:
            items, scores = top_k(self.scorer(np.array([number])), top, exclude=c.seen[number])
            note = None
        return {"user": str(user_id), "known": number is not None, "note": note,
                "items": [{"item": str(c.item_ids[i]), "title": str(c.item_titles[i]), "score": float(s)}
                          for i, s in zip(items[0], scores[0]) if np.isfinite(s)]}
