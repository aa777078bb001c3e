"""Splits of an `Interactions` into training, validation and test rows.

- `leave_one_out`: ranking protocol. Each user's latest item is the test item, the one before
  it the validation item (for early stopping); everything else trains (He et al. 2017, "Neural
  Collaborative Filtering", https://arxiv.org/abs/1708.05031).
- `rating_split`: rating-prediction protocol. A random 80/20 split of the rated rows, a
  validation part carved out of the 80%.

"Latest" is by timestamp; at equal timestamps, or without timestamps, the later row of the data
is the later interaction.

No TensorFlow here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keras_zoo.applications.common.datasets import check_split_fractions
from keras_zoo.applications.recommendation.interactions import Interactions


@dataclass
class LeaveOneOut:
    """Row indices and held-out (user, item) pairs of a leave-one-out split.

    Every row of the interactions is in exactly one of `train`, the validation pairs and the
    test pairs.
    """

    train: np.ndarray  # int64 row indices (into the Interactions) used for training, sorted
    val_users: np.ndarray  # int32, the users with >= 3 interactions, sorted: their second latest item is held out
    val_items: np.ndarray  # int32, that item
    test_users: np.ndarray  # int32, the users with >= 2 interactions, sorted: their latest item is the test item
    test_items: np.ndarray  # int32, that item
    single_users: int  # users with a single interaction: kept in training, not evaluated
    val_rows: np.ndarray | None = None  # int64 row indices of the validation pairs
    test_rows: np.ndarray | None = None  # int64 row indices of the test pairs


def leave_one_out(inter: Interactions) -> LeaveOneOut:
    """Each user's latest interaction for testing, the one before for validation, the rest for training.

    A user with 2 interactions has a test item and no validation item; a user with a single
    interaction is kept in training, not evaluated, and counted in `single_users`.

    Example:
        >>> split = leave_one_out(load_interactions("sample"))
        >>> len(split.test_users), split.single_users
        (600, 0)
    """
    order, from_end, counts = time_order(inter)
    count_of_row = np.repeat(counts, counts)
    test_mask = (from_end == 0) & (count_of_row >= 2)
    val_mask = (from_end == 1) & (count_of_row >= 3)
    test_rows = order[test_mask]  # already in user order
    val_rows = order[val_mask]
    train = np.sort(order[~(test_mask | val_mask)]).astype(np.int64)
    return LeaveOneOut(
        train=train, val_users=inter.users[val_rows].astype(np.int32), val_items=inter.items[val_rows].astype(np.int32),
        test_users=inter.users[test_rows].astype(np.int32), test_items=inter.items[test_rows].astype(np.int32),
        single_users=int((counts == 1).sum()), val_rows=val_rows.astype(np.int64), test_rows=test_rows.astype(np.int64),
    )


def time_order(inter: Interactions, rows: np.ndarray | None = None):
    """`(order, from_end, counts)`: `rows` (all by default) sorted by user, then time (ties in row
    order); each sorted row's position from its user's latest (0); each user's number of rows."""
    rows = np.arange(len(inter), dtype=np.int64) if rows is None else np.sort(np.asarray(rows, dtype=np.int64))
    users = np.asarray(inter.users, dtype=np.int64)[rows]
    keys = (users,) if inter.timestamps is None else (np.asarray(inter.timestamps)[rows], users)
    order = rows[np.lexsort(keys)]  # lexsort is stable
    is_last = np.ones(len(order), dtype=bool)
    is_last[:-1] = np.diff(np.asarray(inter.users, dtype=np.int64)[order]) != 0
    ends = np.flatnonzero(is_last)
    counts = np.diff(np.r_[-1, ends])
    return order, np.repeat(ends, counts) - np.arange(len(order)), counts


@dataclass
class RatingSplit:
    """Row indices (int64, sorted) of the rated rows for training, validation and testing."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def rating_split(inter: Interactions, *, test_fraction: float = 0.2, val_fraction: float = 0.1,
                 seed: int = 0) -> RatingSplit:
    """A random split of the rated rows: `test_fraction` of them to test, `val_fraction` to validate.

    Both fractions are of all rated rows (the validation rows come out of the non-test part), so
    the defaults give 70/10/20. Rows without a finite rating are in no part. The same seed gives
    the same split.

    Raises:
        ValueError: interactions without ratings (implicit feedback only), fractions outside
            [0, 1) or adding up to 1 or more, or too few rated rows to leave one for training.

    Example:
        >>> split = rating_split(load_interactions("sample"))
        >>> len(split.train), len(split.val), len(split.test)
    """
    check_split_fractions(val_fraction, test_fraction, test_given=False, what="rated rows")
    if inter.ratings is None:
        raise ValueError(f"{inter.source or 'These interactions'} has no ratings (implicit feedback only): "
                         "a rating split needs a rating column (rating, user_rating or score). "
                         f"Rank items instead (leave-one-out). Received: source={inter.source!r}")
    rated = np.flatnonzero(np.isfinite(inter.ratings)).astype(np.int64)
    shuffled = rated[np.random.default_rng(seed).permutation(len(rated))]
    n_test = int(round(test_fraction * len(rated)))
    n_val = int(round(val_fraction * len(rated)))
    if len(rated) - n_test - n_val < 1:
        raise ValueError(f"{len(rated)} rated rows are too few to split with test_fraction={test_fraction} and "
                         f"val_fraction={val_fraction} and keep one for training. Received: source={inter.source!r}")
    return RatingSplit(train=np.sort(shuffled[n_test + n_val:]), val=np.sort(shuffled[n_test:n_test + n_val]),
                       test=np.sort(shuffled[:n_test]))
