"""User-item interactions, the one data type of the recommendation application, and its splits.

Every source (the simulator, a CSV file, TensorFlow Datasets' MovieLens) becomes an `Interactions`:
rows of (user, item[, rating][, timestamp]) with users and items numbered 0..n-1 in the order
their raw ids are listed in `user_ids` and `item_ids`. Models, baselines and metrics work on those
numbers; the raw ids (strings) come back only for display and for `zoo predict --user ID`.

No TensorFlow here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Interactions:
    """Rows of (user, item[, rating][, timestamp]), one per distinct (user, item) pair.

    Args:
        users: `(n,)` int32, user numbers in `0..len(user_ids)-1`.
        items: `(n,)` int32, item numbers in `0..len(item_ids)-1`.
        ratings: `(n,)` float32 explicit ratings, or None (implicit feedback only).
        timestamps: `(n,)` int64 (seconds, or any increasing clock), or None: then the row order
            is the time order.
        user_ids: `(n_users,)` str, the raw id of each user number.
        item_ids: `(n_items,)` str, the raw id of each item number.
        item_titles: `(n_items,)` str for display, or None.
        item_genres: `(n_items,)` str, one genre per item (the first listed), or None.
        source: what the user passed (`sample`, `tfds:...`, a path).
        notes: counts a user should see: duplicates dropped, rows skipped, and why.
    """

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray | None
    timestamps: np.ndarray | None
    user_ids: np.ndarray
    item_ids: np.ndarray
    item_titles: np.ndarray | None = None
    item_genres: np.ndarray | None = None
    source: str = ""
    notes: dict = field(default_factory=dict)

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return len(self.users)

    def matrix(self, rows: np.ndarray | None = None):
        """The binary `(n_users, n_items)` scipy CSR matrix of the given rows (all rows by default)."""
        import scipy.sparse

        users = self.users if rows is None else self.users[rows]
        items = self.items if rows is None else self.items[rows]
        data = np.ones(len(users), dtype=np.float32)
        m = scipy.sparse.csr_matrix((data, (users, items)), shape=(self.n_users, self.n_items))
        m.sum_duplicates()
        m.data[:] = 1.0
        return m
