"""The classical recommenders every model of the application is measured against, on the same split.

Ranking baselines, fitted on the binary `(n_users, n_items)` training matrix only; each returns a
scorer `users (b,) -> (b, n_items)` (see `metrics.py`), evaluated by the same code as the models:

- `popularity`: item interaction counts, the same for every user;
- `item_knn`: item-based nearest neighbours with cosine similarity (Sarwar et al. 2001;
  Deshpande and Karypis 2004);
- `pure_svd`: a truncated SVD of the interaction matrix (Cremonesi, Koren and Turrin 2010);
- `ease`: a closed-form item-item model, a ridge regression of each item's column on all the
  others with the item itself left out (Steck 2019);
- `als`: implicit-feedback matrix factorisation by alternating least squares (Hu, Koren and
  Volinsky 2008).

A rating baseline, `bias_baseline`: the global mean plus regularised user and item biases
(Koren 2010), the floor every rating predictor must clear.

The scorers do not mask the items a user has already interacted with: the metrics exclude them.
Each fitted baseline is a small dataclass holding its parameters, with `name` and `fit_s` (seconds
spent fitting). No TensorFlow here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

# item_knn computes item-item similarities a block of items at a time: a block holds at most
# this many (item, item) entries as dense float32 (16 MiB), whatever the catalogue's size.
KNN_BLOCK_ENTRIES = 2**22
# EASE inverts a dense (items x items) matrix: 20,000 items is 3.2 GB in float64 and minutes of work.
EASE_MAX_ITEMS = 20_000


@dataclass
class Popularity:
    """Every user gets the items' interaction counts: `counts` `(n_items,)` float32."""

    counts: np.ndarray = field(repr=False)
    n_users: int
    fit_s: float = 0.0
    name: str = "popularity"

    def __call__(self, users) -> np.ndarray:
        users = _index_array("users", users, self.n_users)
        return np.repeat(self.counts[None, :], len(users), axis=0)


@dataclass
class ItemKNN:
    """`score(u, i) = sum over the user's items j of sim(j, i)`: `train` rows times the sparse similarities."""

    train: object = field(repr=False)  # scipy CSR (n_users, n_items)
    similarity: object = field(repr=False)  # scipy CSR (n_items, n_items), row j: the k items most similar to j
    fit_s: float = 0.0
    name: str = "item_knn"

    def __call__(self, users) -> np.ndarray:
        users = _index_array("users", users, self.train.shape[0])
        return (self.train[users] @ self.similarity).toarray().astype(np.float32)


@dataclass
class Factors:
    """`score(u, i) = user_factors[u] . item_factors[i]`: PureSVD and ALS."""

    user_factors: np.ndarray = field(repr=False)  # (n_users, factors) float32
    item_factors: np.ndarray = field(repr=False)  # (n_items, factors) float32
    fit_s: float = 0.0
    name: str = "factors"

    def __call__(self, users) -> np.ndarray:
        users = _index_array("users", users, len(self.user_factors))
        return self.user_factors[users] @ self.item_factors.T


@dataclass
class EASE:
    """`score(u, i) = sum over the user's items j of weights[j, i]`: `train` rows times a dense item-item matrix."""

    train: object = field(repr=False)  # scipy CSR (n_users, n_items)
    weights: np.ndarray = field(repr=False)  # (n_items, n_items) float32, zero diagonal
    fit_s: float = 0.0
    name: str = "ease"

    def __call__(self, users) -> np.ndarray:
        users = _index_array("users", users, self.train.shape[0])
        return np.asarray(self.train[users] @ self.weights, dtype=np.float32)


def popularity(train) -> Popularity:
    """The most-popular baseline: every user gets the items ranked by how many users interacted with them.

    Args:
        train: scipy sparse `(n_users, n_items)` binary training interactions.

    Example:
        >>> scorer = popularity(data.matrix(train_rows))
        >>> scorer(np.array([0, 1])).shape
        (2, n_items)
    """
    start = time.perf_counter()
    train = _check_train(train)
    counts = np.asarray(train.sum(axis=0), dtype=np.float32).ravel()
    return Popularity(counts=counts, n_users=train.shape[0], fit_s=time.perf_counter() - start)


def item_knn(train, k: int = 50, shrink: float = 0.0) -> ItemKNN:
    """Item-based k-nearest neighbours with cosine similarity between item columns.

    `sim(i, j) = |U_i & U_j| / (sqrt(|U_i| |U_j|) + shrink)`, `U_i` the users of item `i`; each item
    keeps its `k` most similar other items (Deshpande and Karypis 2004,
    https://dl.acm.org/doi/10.1145/963770.963776), and a user's score of item `i` is the sum of
    `sim(j, i)` over the items `j` the user interacted with. The similarities are computed a block of
    items at a time (`KNN_BLOCK_ENTRIES`), so memory stays bounded on large catalogues.

    Args:
        train: scipy sparse `(n_users, n_items)` binary training interactions.
        k: neighbours kept per item.
        shrink: added to the denominator: damps similarities supported by few common users.

    Example:
        >>> scorer = item_knn(data.matrix(train_rows), k=50)
    """
    import scipy.sparse

    if int(k) != k or k < 1:
        raise ValueError(f"`k` must be a positive integer. Received: k={k!r}")
    if not shrink >= 0:
        raise ValueError(f"`shrink` must be >= 0. Received: shrink={shrink!r}")
    start = time.perf_counter()
    train = _check_train(train)
    n_items = train.shape[1]
    k = min(int(k), max(n_items - 1, 1))
    by_item = train.T.tocsr()  # (n_items, n_users)
    norms = np.sqrt(np.asarray(by_item.sum(axis=1), dtype=np.float32).ravel())
    block = max(1, KNN_BLOCK_ENTRIES // max(n_items, 1))
    rows, cols, values = [], [], []
    for first in range(0, n_items, block):
        last = min(first + block, n_items)
        common = (by_item[first:last] @ train).toarray()  # (block, n_items) float32 co-counts
        denominator = np.outer(norms[first:last], norms).astype(np.float32) + np.float32(shrink)
        sim = np.divide(common, denominator, out=np.zeros_like(common), where=denominator > 0)
        del common, denominator
        sim[np.arange(last - first), np.arange(first, last)] = 0.0  # an item is not its own neighbour
        top = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        top_sim = np.take_along_axis(sim, top, axis=1)
        keep = top_sim > 0
        rows.append(np.repeat(np.arange(first, last), keep.sum(axis=1)))
        cols.append(top[keep])
        values.append(top_sim[keep])
    similarity = scipy.sparse.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
                                         shape=(n_items, n_items))
    return ItemKNN(train=train, similarity=similarity, fit_s=time.perf_counter() - start)


def pure_svd(train, factors: int = 50, seed: int = 0) -> Factors:
    """PureSVD: a rank-`factors` truncated SVD `R ~ U S V^T` of the binary matrix; `score(u) = r_u V V^T`.

    Cremonesi, Koren and Turrin 2010, "Performance of recommender algorithms on top-N
    recommendation tasks", https://dl.acm.org/doi/10.1145/1864708.1864721. The missing entries are
    zeros, which is what makes it a ranking model rather than a rating one. For a training user
    `r_u V = U_u S`, so the scorer stores `U S` and `V`.

    Args:
        train: scipy sparse `(n_users, n_items)` binary training interactions.
        factors: the rank, at most `min(n_users, n_items)`.
        seed: the seed of the randomized SVD.

    Example:
        >>> scorer = pure_svd(data.matrix(train_rows), factors=50)
    """
    from sklearn.utils.extmath import randomized_svd

    train = _check_train(train)
    if int(factors) != factors or not 1 <= factors <= min(train.shape):
        raise ValueError(f"`factors` must be an integer in 1..{min(train.shape)}. Received: factors={factors!r}")
    start = time.perf_counter()
    u, s, vt = randomized_svd(train.astype(np.float64), int(factors), random_state=seed)
    return Factors(user_factors=(u * s).astype(np.float32), item_factors=vt.T.astype(np.float32),
                   fit_s=time.perf_counter() - start, name="pure_svd")


def ease(train, reg: float = 500.0) -> EASE:
    """EASE: the item-item weights B that minimise ||X - X B||^2 + reg ||B||^2 with diag(B) = 0.

    Steck 2019, "Embarrassingly shallow autoencoders for sparse data",
    https://arxiv.org/abs/1905.03375: with P = (X^T X + reg I)^-1, B[i, j] = -P[i, j] / P[j, j] off
    the diagonal. One inversion of an (items x items) matrix, no iterations and no seed; a user's
    scores are their interaction row times B.

    Args:
        train: scipy sparse `(n_users, n_items)` binary training interactions (at most
            `EASE_MAX_ITEMS` items: the inverse is dense).
        reg: the L2 weight; Steck's best on MovieLens-20M was 500, smaller catalogues want less.

    Example:
        >>> scorer = ease(data.matrix(train_rows), reg=200.0)
    """
    if not reg > 0:
        raise ValueError(f"`reg` must be > 0. Received: reg={reg!r}")
    train = _check_train(train)
    if train.shape[1] > EASE_MAX_ITEMS:
        raise ValueError(f"EASE inverts a dense items x items matrix: {train.shape[1]:,} items is more than "
                         f"{EASE_MAX_ITEMS:,}. Received: a train matrix of shape {train.shape}")
    start = time.perf_counter()
    gram = (train.T @ train).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += reg
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)[None, :]
    weights[np.diag_indices_from(weights)] = 0.0
    return EASE(train=train, weights=weights.astype(np.float32), fit_s=time.perf_counter() - start)


def als(train, factors: int = 50, reg: float = 0.1, alpha: float = 10.0, iterations: int = 10,
        seed: int = 0) -> Factors:
    """Implicit-feedback ALS: weighted matrix factorisation with confidence `1 + alpha` on interactions.

    Hu, Koren and Volinsky 2008, "Collaborative Filtering for Implicit Feedback Datasets",
    https://doi.org/10.1109/ICDM.2008.22. Minimises
    `sum_ui c_ui (p_ui - x_u . y_i)^2 + reg (|x|^2 + |y|^2)` with `p_ui = 1` for an interaction and
    0 otherwise, `c_ui = 1 + alpha` for an interaction and 1 otherwise, alternating exact solves.
    The Gram-matrix trick: `Y^T C_u Y = Y^T Y + alpha Y_u^T Y_u`, `Y_u` the rows of the user's items,
    so each user's solve costs its own interactions, not the catalogue.

    Args:
        train: scipy sparse `(n_users, n_items)` binary training interactions.
        factors: the rank.
        reg: L2 regularisation of the factors.
        alpha: the extra confidence of an observed interaction.
        iterations: alternations (each solves all users, then all items).
        seed: the seed of the initial factors.

    Example:
        >>> scorer = als(data.matrix(train_rows), factors=64, iterations=15)
    """
    train = _check_train(train)
    if int(factors) != factors or factors < 1:
        raise ValueError(f"`factors` must be a positive integer. Received: factors={factors!r}")
    if int(iterations) != iterations or iterations < 1:
        raise ValueError(f"`iterations` must be a positive integer. Received: iterations={iterations!r}")
    if not reg > 0 or not alpha >= 0:
        raise ValueError(f"`reg` must be > 0 and `alpha` >= 0. Received: reg={reg!r}, alpha={alpha!r}")
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_users, n_items = train.shape
    x = rng.normal(0.0, 0.01, (n_users, int(factors)))
    y = rng.normal(0.0, 0.01, (n_items, int(factors)))
    by_item = train.T.tocsr()
    for _ in range(int(iterations)):
        x = _als_half_step(train, y, reg, alpha)
        y = _als_half_step(by_item, x, reg, alpha)
    return Factors(user_factors=x.astype(np.float32), item_factors=y.astype(np.float32),
                   fit_s=time.perf_counter() - start, name="als")


def _als_half_step(rows, other: np.ndarray, reg: float, alpha: float) -> np.ndarray:
    """The exact least-squares factors of every row of `rows` (CSR) given the other side's factors."""
    gram = other.T @ other + reg * np.eye(other.shape[1])
    solved = np.zeros((rows.shape[0], other.shape[1]))
    for r in range(rows.shape[0]):
        cols = rows.indices[rows.indptr[r]:rows.indptr[r + 1]]
        if len(cols) == 0:
            continue  # no interaction: every preference is 0, and so is the solution
        mine = other[cols]
        solved[r] = np.linalg.solve(gram + alpha * mine.T @ mine, (1.0 + alpha) * mine.sum(axis=0))
    return solved


@dataclass
class BiasBaseline:
    """`rating(u, i) = mean + user_bias[u] + item_bias[i]` clipped to `[low, high]`; unknown users and items: bias 0."""

    mean: float
    user_bias: np.ndarray = field(repr=False)  # (n_users,) float64
    item_bias: np.ndarray = field(repr=False)  # (n_items,) float64
    low: float
    high: float
    fit_s: float = 0.0
    name: str = "bias_baseline"

    def __call__(self, users, items) -> np.ndarray:
        users, items = np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64)
        if users.shape != items.shape or users.ndim != 1:
            raise ValueError("Expected two 1-D arrays of the same length. "
                             f"Received: users.shape={users.shape}, items.shape={items.shape}")
        prediction = self.mean + _lookup(self.user_bias, users) + _lookup(self.item_bias, items)
        return np.clip(prediction, self.low, self.high)


def bias_baseline(users, items, ratings, n_users: int, n_items: int, reg: float = 10.0,
                  iterations: int = 10) -> BiasBaseline:
    """The baseline predictor of ratings: global mean plus regularised user and item biases.

    Koren 2010, "Factor in the neighbors: scalable and accurate collaborative filtering",
    https://dl.acm.org/doi/10.1145/1644873.1644874, section 2.1: alternately
    `b_i = sum_u (r_ui - mean - b_u) / (reg + |R(i)|)` and `b_u = sum_i (r_ui - mean - b_i) / (reg + |R(u)|)`,
    each the exact minimiser of the regularised squared error given the other.

    Args:
        users: `(n,)` int user numbers of the training ratings.
        items: `(n,)` int item numbers.
        ratings: `(n,)` float ratings.
        n_users: the number of users.
        n_items: the number of items.
        reg: shrinks the bias of a user or item with few ratings towards 0.
        iterations: alternations.

    Returns:
        A `BiasBaseline`: call it with `(users, items)` for predicted ratings, clipped to the
        range of the training ratings.

    Example:
        >>> predict = bias_baseline(data.users[train], data.items[train], data.ratings[train],
        ...                         data.n_users, data.n_items)
        >>> rating_errors(data.ratings[test], predict(data.users[test], data.items[test]))
    """
    users, items = _index_array("users", users, n_users), _index_array("items", items, n_items)
    ratings = np.asarray(ratings, dtype=np.float64)
    if ratings.ndim != 1 or not (len(users) == len(items) == len(ratings)) or len(ratings) == 0:
        raise ValueError("Expected one user, item and rating per row. "
                         f"Received: {len(users)} users, {len(items)} items, {len(ratings)} ratings")
    if not np.isfinite(ratings).all():
        raise ValueError("Ratings must be finite. Received: NaN or inf in ratings")
    if not reg >= 0 or int(iterations) != iterations or iterations < 1:
        raise ValueError("`reg` must be >= 0 and `iterations` a positive integer. "
                         f"Received: reg={reg!r}, iterations={iterations!r}")
    start = time.perf_counter()
    mean = float(ratings.mean())
    user_count = np.bincount(users, minlength=n_users)
    item_count = np.bincount(items, minlength=n_items)
    user_bias, item_bias = np.zeros(n_users), np.zeros(n_items)
    for _ in range(int(iterations)):
        residual = ratings - mean - user_bias[users]
        item_bias = _shrunk_mean(np.bincount(items, residual, n_items), item_count, reg)
        residual = ratings - mean - item_bias[items]
        user_bias = _shrunk_mean(np.bincount(users, residual, n_users), user_count, reg)
    return BiasBaseline(mean=mean, user_bias=user_bias, item_bias=item_bias, low=float(ratings.min()),
                        high=float(ratings.max()), fit_s=time.perf_counter() - start)


def _shrunk_mean(total: np.ndarray, count: np.ndarray, reg: float) -> np.ndarray:
    denominator = count + reg
    return np.divide(total, denominator, out=np.zeros_like(total), where=denominator > 0)


def _lookup(bias: np.ndarray, index: np.ndarray) -> np.ndarray:
    known = (index >= 0) & (index < len(bias))
    return np.where(known, bias[np.where(known, index, 0)], 0.0)


def _check_train(train):
    import scipy.sparse

    if not scipy.sparse.issparse(train) or len(train.shape) != 2 or min(train.shape) < 1:
        raise ValueError(f"`train` must be a non-empty scipy sparse (n_users, n_items) matrix. "
                         f"Received: train of type {type(train).__name__}, shape {getattr(train, 'shape', None)}")
    train = scipy.sparse.csr_matrix(train, dtype=np.float32, copy=True)
    train.eliminate_zeros()
    train.sum_duplicates()
    train.data[:] = 1.0  # binary, whatever the caller stored
    return train


def _index_array(name: str, values, upper: int) -> np.ndarray:
    """`values` as int64, checked to be a 1-D integer array in `0..upper-1`."""
    array = np.asarray(values)
    if array.ndim != 1 or (array.size and not np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"`{name}` must be a 1-D integer array. "
                         f"Received: {name}.dtype={array.dtype}, {name}.shape={array.shape}")
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= upper):
        raise ValueError(f"`{name}` must lie in 0..{upper - 1}. Received: {name} in {array.min()}..{array.max()}")
    return array
