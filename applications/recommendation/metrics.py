"""Ranking metrics of a recommender: where does the held-out item land among the items the user never saw?

Every model and every baseline of the application is a *scorer*:

    score(users: (b,) int) -> (b, n_items) float, higher = more recommended

so one set of functions evaluates them all, on the same split and the same candidates.

Two protocols, both with one held-out item per test user (leave-one-out):

- `leave_one_out`: the held-out item ranked among `n` (99) sampled items the user has not
  interacted with, fixed by a seed (He et al. 2017, "Neural Collaborative Filtering",
  https://arxiv.org/abs/1708.05031). Reported as `hr@k` and `ndcg@k`.
- `full_ranking`: the held-out item ranked among *all* the items the user has not interacted
  with. Krichene and Rendle 2020 ("On Sampled Metrics for Item Recommendation",
  https://dl.acm.org/doi/10.1145/3394486.3403226) show that sampled metrics can order models
  differently from the full ranking; report both. Reported as `recall@k` and `ndcg@k`: with one
  held-out item per user, recall@k over the full ranking is the hit rate at k.

A rank is 0-based and ties count against the target: a model giving every item the same score
ranks every target last, never first.

No TensorFlow here.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

Scorer = Callable[[np.ndarray], np.ndarray]  # users (b,) -> scores (b, n_items), higher = better

# Above this fraction of unseen items, negatives are drawn by rejection (cheap on big catalogues);
# below it, from the explicit list of unseen items.
_REJECTION_MIN_FRACTION = 0.5


def sample_negatives(users, positives, seen, n_items: int, n: int = 99, seed: int = 0) -> np.ndarray:
    """`n` distinct items per test user that the user has not interacted with, fixed by the seed.

    Each row is a uniform sample without replacement from the items that are neither in row
    `users[k]` of `seen` nor `positives[k]`, drawn with one `np.random.default_rng(seed)` in the
    order of `users`: the same arguments give the same candidates for every model and baseline.

    Args:
        users: `(m,)` int, the test users.
        positives: `(m,)` int, each test user's held-out item (excluded whether or not it is in `seen`).
        seen: scipy sparse `(n_users, n_items)`, every interaction the negatives must avoid
            (training, and validation if any); any stored non-zero entry counts.
        n_items: the number of items.
        n: negatives per user.
        seed: the seed of the generator.

    Returns:
        `(m, n)` int32.

    Raises:
        ValueError: a user has fewer than `n` unseen items (the error names the user and the
            counts: sampling fewer would give that user an easier ranking than the others).

    Example:
        >>> negatives = sample_negatives(test_users, test_items, data.matrix(train_rows), data.n_items)
    """
    seen = _check_seen(seen, n_items)
    users = _index_array("users", users, seen.shape[0])
    positives = _index_array("positives", positives, n_items)
    _check_lengths(users=users, positives=positives)
    n = _positive_int("n", n)
    rng = np.random.default_rng(seed)
    negatives = np.empty((len(users), n), dtype=np.int32)
    for k, (user, positive) in enumerate(zip(users, positives)):
        row = seen.indices[seen.indptr[user]:seen.indptr[user + 1]]
        excluded = np.union1d(row, [positive])
        allowed = n_items - len(excluded)
        if allowed < n:
            raise ValueError(f"User {user} has {allowed} items it has not interacted with, fewer than the {n} "
                             f"negatives asked for ({len(row)} seen of {n_items} items, plus the held-out item). "
                             f"Received: n={n}, n_items={n_items}")
        if allowed >= _REJECTION_MIN_FRACTION * n_items:
            negatives[k] = _sample_by_rejection(rng, n_items, excluded, n, allowed)
        else:
            negatives[k] = rng.choice(np.setdiff1d(np.arange(n_items), excluded), n, replace=False)
    return negatives


def _sample_by_rejection(rng, n_items: int, excluded: np.ndarray, n: int, allowed: int) -> np.ndarray:
    """The first `n` distinct allowed items of a stream of uniform draws: a uniform `n`-subset."""
    chosen = np.zeros(0, dtype=np.int64)
    while len(chosen) < n:
        draws = rng.integers(0, n_items, size=int(1.5 * n * n_items / allowed) + 16)
        draws = np.concatenate([chosen, draws[~np.isin(draws, excluded)]])
        _, first = np.unique(draws, return_index=True)
        chosen = draws[np.sort(first)]
    return chosen[:n]


def ranks(target_scores, candidate_scores) -> np.ndarray:
    """0-based rank of each target among its candidates; ties count against the target.

    Args:
        target_scores: `(m,)` the score of each held-out item.
        candidate_scores: `(m, c)` the scores of its `c` candidates (the target not among them).

    Returns:
        `(m,)` int64: the number of candidates scoring higher than or equal to the target.

    Example:
        >>> ranks([0.5, 0.5], [[0.9, 0.1, 0.2], [0.5, 0.5, 0.5]])
        array([1, 3])
    """
    target = np.asarray(target_scores, dtype=np.float64)
    candidates = np.asarray(candidate_scores, dtype=np.float64)
    if target.ndim != 1 or candidates.ndim != 2 or len(candidates) != len(target):
        raise ValueError("Expected target scores of shape (m,) and candidate scores of shape (m, c). "
                         f"Received: target_scores.shape={target.shape}, candidate_scores.shape={candidates.shape}")
    if np.isnan(target).any() or np.isnan(candidates).any():
        raise ValueError("Scores must not be NaN. Received: NaN in the target or candidate scores")
    return np.count_nonzero(candidates >= target[:, None], axis=1).astype(np.int64)


def hit_rate(ranks, k: int) -> float:
    """The fraction of targets ranked in the top `k` (rank < k)."""
    r = _check_ranks(ranks, k)
    return float(np.mean(r < k))


def ndcg(ranks, k: int) -> float:
    """Normalised discounted cumulative gain at `k` with one relevant item: `1 / log2(rank + 2)` if rank < k, else 0."""
    r = _check_ranks(ranks, k)
    return float(np.mean(np.where(r < k, 1.0 / np.log2(r + 2.0), 0.0)))


def hit_curve(ranks, max_k: int = 50) -> np.ndarray:
    """`(max_k,)` float64: HR@1, HR@2, ..., HR@max_k, for a plot of hit rate against K."""
    r = _check_ranks(ranks, max_k, name="max_k")
    counts = np.bincount(np.minimum(r, max_k), minlength=max_k + 1)[:max_k]
    return np.cumsum(counts) / len(r)


def rating_errors(y_true, y_pred) -> dict:
    """`{"rmse", "mae", "n"}` of predicted ratings against the true ones."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape or len(y_true) == 0:
        raise ValueError("Expected two non-empty 1-D arrays of the same length. "
                         f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}")
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise ValueError("Ratings must be finite. Received: NaN or inf in y_true or y_pred")
    error = y_pred - y_true
    return {"rmse": float(np.sqrt(np.mean(error**2))), "mae": float(np.mean(np.abs(error))), "n": int(len(error))}


def leave_one_out_ranks(scorer: Scorer, users, positives, negatives, batch_size: int = 1024) -> np.ndarray:
    """`(m,)` int64: the rank of each held-out item among its sampled negatives (see `leave_one_out`)."""
    users = _index_array("users", users)
    positives = _index_array("positives", positives)
    negatives = np.asarray(negatives)
    if negatives.ndim != 2 or negatives.shape[1] < 1 or not np.issubdtype(negatives.dtype, np.integer):
        raise ValueError("`negatives` must be an (m, c) integer array with c >= 1. "
                         f"Received: negatives.shape={negatives.shape}")
    _check_lengths(users=users, positives=positives, negatives=negatives)
    if (negatives < 0).any():
        raise ValueError(f"Item numbers must be >= 0. Received: negatives.min()={negatives.min()}")
    if (negatives == positives[:, None]).any():
        k = int(np.argmax((negatives == positives[:, None]).any(1)))
        raise ValueError(f"A user's negatives contain its held-out item. Received: users[{k}]={users[k]}, "
                         f"positives[{k}]={positives[k]}")
    batch_size = _positive_int("batch_size", batch_size)
    result = np.empty(len(users), dtype=np.int64)
    for start in range(0, len(users), batch_size):
        chunk = slice(start, start + batch_size)
        scores = _score(scorer, users[chunk])
        top_item = max(int(positives[chunk].max()), int(negatives[chunk].max()))
        if top_item >= scores.shape[1]:
            raise ValueError(f"Item {top_item} is out of range of the scorer's {scores.shape[1]} items. "
                             f"Received: scores.shape={scores.shape}")
        rows = np.arange(len(scores))
        result[chunk] = ranks(scores[rows, positives[chunk]], scores[rows[:, None], negatives[chunk]])
    return result


def leave_one_out(scorer: Scorer, users, positives, negatives, ks: Sequence[int] = (10,),
                  batch_size: int = 1024) -> dict:
    """Hit rate and NDCG at each k of the held-out items ranked among sampled negatives.

    Args:
        scorer: `users (b,) -> (b, n_items)` scores.
        users: `(m,)` int, the test users.
        positives: `(m,)` int, each user's held-out item.
        negatives: `(m, c)` int, each user's candidates, e.g. from `sample_negatives`.
        ks: the cut-offs.
        batch_size: users scored at a time (the scores of a chunk are `(batch_size, n_items)`).

    Returns:
        `{"hr@k": ..., "ndcg@k": ... for k in ks, "users": m}`.

    Example:
        >>> leave_one_out(popularity(train), test_users, test_items, negatives, ks=(5, 10))
        {'hr@5': ..., 'ndcg@5': ..., 'hr@10': ..., 'ndcg@10': ..., 'users': 943}
    """
    ks = _check_ks(ks, "ks")
    r = leave_one_out_ranks(scorer, users, positives, negatives, batch_size=batch_size)
    result = {}
    for k in ks:
        result.update({f"hr@{k}": hit_rate(r, k), f"ndcg@{k}": ndcg(r, k)})
    return {**result, "users": int(len(r))}


def full_ranking_ranks(scorer: Scorer, users, positives, seen, batch_size: int = 1024) -> np.ndarray:
    """`(m,)` int64: the rank of each held-out item among all the items unseen by its user (see `full_ranking`)."""
    seen = _check_seen(seen)
    n_users, n_items = seen.shape
    users = _index_array("users", users, n_users)
    positives = _index_array("positives", positives, n_items)
    _check_lengths(users=users, positives=positives)
    batch_size = _positive_int("batch_size", batch_size)
    if len(users):
        inside = np.asarray(seen[users, positives]).ravel() != 0
        if inside.any():
            k = int(np.argmax(inside))
            raise ValueError(f"The held-out item of user {users[k]} is in `seen`: it would be excluded from its own "
                             f"ranking. Received: users[{k}]={users[k]}, positives[{k}]={positives[k]}")
    result = np.empty(len(users), dtype=np.int64)
    for start in range(0, len(users), batch_size):
        chunk = slice(start, start + batch_size)
        scores = _score(scorer, users[chunk])
        if scores.shape[1] != n_items:
            raise ValueError(f"The scorer must score all {n_items} items of `seen`. "
                             f"Received: scores.shape={scores.shape}")
        if np.isnan(scores).any():
            raise ValueError("Scores must not be NaN. Received: NaN in the scorer's output")
        rows = np.arange(len(scores))
        target = scores[rows, positives[chunk]]
        at_least = scores >= target[:, None]
        block = seen[users[chunk]]
        at_least[np.repeat(rows, np.diff(block.indptr)), block.indices] = False  # seen items are no candidates
        at_least[rows, positives[chunk]] = False  # nor is the target itself
        result[chunk] = np.count_nonzero(at_least, axis=1)
    return result


def full_ranking(scorer: Scorer, users, positives, seen, ks: Sequence[int] = (10, 50), ndcg_k: Sequence[int] = (10,),
                 batch_size: int = 1024) -> dict:
    """Recall and NDCG of the held-out items ranked among all the items each user has not interacted with.

    Args:
        scorer: `users (b,) -> (b, n_items)` scores.
        users: `(m,)` int, the test users.
        positives: `(m,)` int, each user's held-out item; must not be in `seen`.
        seen: scipy sparse `(n_users, n_items)`: the training interactions plus anything else to
            exclude from the ranking (e.g. the validation item); any stored non-zero entry counts.
            A seen item scoring above the target does not push it down.
        ks: the cut-offs of recall (with one held-out item, recall@k = hit rate@k).
        ndcg_k: the cut-offs of NDCG.
        batch_size: users scored at a time.

    Returns:
        `{"recall@k": ... for k in ks, "ndcg@k": ... for k in ndcg_k, "users": m}`.

    Example:
        >>> full_ranking(item_knn(train), test_users, test_items, train)
        {'recall@10': ..., 'recall@50': ..., 'ndcg@10': ..., 'users': 943}
    """
    ks = _check_ks(ks, "ks")
    ndcg_k = _check_ks(ndcg_k, "ndcg_k")
    r = full_ranking_ranks(scorer, users, positives, seen, batch_size=batch_size)
    result = {f"recall@{k}": hit_rate(r, k) for k in ks}
    result.update({f"ndcg@{k}": ndcg(r, k) for k in ndcg_k})
    return {**result, "users": int(len(r))}


def _score(scorer: Scorer, users: np.ndarray) -> np.ndarray:
    scores = np.asarray(scorer(users))
    if scores.ndim != 2 or len(scores) != len(users):
        raise ValueError("A scorer must return (b, n_items) scores for b users. "
                         f"Received: scores.shape={scores.shape}, b={len(users)}")
    return scores


def _index_array(name: str, values, upper: int | None = None) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.integer) or array.size == 0):
        raise ValueError(f"`{name}` must be a 1-D integer array. "
                         f"Received: {name}.dtype={array.dtype}, {name}.shape={array.shape}")
    array = array.astype(np.int64)
    if array.size and (array.min() < 0 or (upper is not None and array.max() >= upper)):
        bad = array.min() if array.min() < 0 else array.max()
        bound = "n-1" if upper is None else upper - 1
        raise ValueError(f"`{name}` must lie in 0..{bound}. Received: {name} containing {bad}")
    return array


def _check_lengths(**arrays) -> None:
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"Expected one row per test user. Received: lengths {lengths}")


def _check_seen(seen, n_items: int | None = None):
    import scipy.sparse

    if not scipy.sparse.issparse(seen) or len(seen.shape) != 2:
        raise ValueError("`seen` must be a scipy sparse (n_users, n_items) matrix. "
                         f"Received: seen of type {type(seen).__name__}")
    if n_items is not None and seen.shape[1] != n_items:
        raise ValueError(f"`seen` must have one column per item. Received: seen.shape={seen.shape}, n_items={n_items}")
    seen = scipy.sparse.csr_matrix(seen, copy=True)
    seen.eliminate_zeros()
    seen.sum_duplicates()
    return seen


def _check_ranks(ranks, k: int, name: str = "k") -> np.ndarray:
    _positive_int(name, k)
    r = np.asarray(ranks)
    if r.ndim != 1 or len(r) == 0 or not np.issubdtype(r.dtype, np.integer) or (r < 0).any():
        raise ValueError("`ranks` must be a non-empty 1-D array of non-negative integers. Received: "
                         f"ranks.shape={r.shape}, ranks.dtype={r.dtype}, ranks.min()={r.min() if r.size else None}")
    return r


def _check_ks(ks, name: str) -> tuple[int, ...]:
    ks = tuple(ks)
    if not ks or any(int(k) != k or k < 1 for k in ks):
        raise ValueError(f"`{name}` must be positive integers. Received: {name}={ks!r}")
    return tuple(int(k) for k in ks)


def _positive_int(name: str, value) -> int:
    if int(value) != value or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    return int(value)
