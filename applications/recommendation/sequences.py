"""Interactions as sequences: each user's history of item tokens, for next-item models (SASRec).

A user's interactions, in time order, become a sequence of *tokens*: item number k is token
k + 1 (`serving.OFFSET`), and token 0 is padding. A history is the latest `max_len` tokens,
LEFT-padded with 0, so the most recent item is always the last position:

    items in time order 4, 7, 2  ->  max_len=5: [0, 0, 5, 8, 3]

- `histories`: every user's history, the input a next-item model ranks that user's next item from;
- `next_item_examples`: the training pairs (history before position t, token at t) of every user;
- `next_item_windows`: the same labels as windows, a label at every position (SASRec's training);
- `SequenceScorer`: a trained next-item network as a scorer, `users (b,) -> (b, n_items)`, like
  `serving.Scorer`, so the metrics and serving take either.

"Time order" is the rule of `splits.leave_one_out`: by timestamp, and at equal timestamps, or
without timestamps, by row order. With the split's training rows, the history of a user is what
the model may see when it ranks the validation and test items, which come after all of them.

No TensorFlow here, except inside `SequenceScorer`.
"""

from __future__ import annotations

import numpy as np

from keras_zoo.applications.recommendation.interactions import Interactions
from keras_zoo.applications.recommendation.serving import OFFSET, logit_model
from keras_zoo.applications.recommendation.splits import time_order


def histories(inter: Interactions, rows: np.ndarray | None, max_len: int) -> np.ndarray:
    """Every user's latest `max_len` item tokens among `rows`, oldest first, left-padded with 0.

    Args:
        inter: the interactions.
        rows: row indices into `inter` (e.g. `split.train`); None for all rows.
        max_len: the length of each history; longer ones keep their latest `max_len` items.

    Returns:
        `(inter.n_users, max_len)` int32: row u is user u's history (all 0 for a user with no rows).

    Example:
        >>> data = build_interactions(["a", "a", "b"], ["x", "y", "x"], timestamps=[2, 1, 5])
        >>> histories(data, None, 3).tolist()   # a saw y (item 1) then x (item 0)
        [[0, 2, 1], [0, 0, 1]]
    """
    users, tokens, from_end, _ = _time_ordered(inter, rows, max_len)
    out = np.zeros((inter.n_users, max_len), dtype=np.int32)
    kept = from_end < max_len
    out[users[kept], max_len - 1 - from_end[kept]] = tokens[kept]
    return out


def next_item_examples(inter: Interactions, rows: np.ndarray | None, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """The next-item training pairs of every user: each item (but the first) and the history before it.

    For a user whose time-ordered items among `rows` are s_0, ..., s_{n-1}, there is one example per
    t = 1..n-1: `x` the tokens of s_{t-max_len}, ..., s_{t-1} (fewer, left-padded with 0, near the
    start), `y` the token of s_t. Examples come user by user, in time order.

    Args:
        inter: the interactions.
        rows: row indices into `inter` (e.g. `split.train`); None for all rows.
        max_len: the length of each `x`.

    Returns:
        `(x, y)`: `(m, max_len)` int32 histories and `(m,)` int32 next tokens (item number + 1),
        m = the number of rows minus the number of users with any row.

    Example:
        >>> data = build_interactions(["a", "a", "a"], ["x", "y", "z"])
        >>> x, y = next_item_examples(data, None, 2)
        >>> x.tolist(), y.tolist()
        ([[0, 1], [1, 2]], [2, 3])
    """
    _, tokens, _, position = _time_ordered(inter, rows, max_len)
    targets = np.flatnonzero(position >= 1)  # indices into the time-ordered rows
    starts = targets - position[targets]  # where each target's user begins
    index = targets[:, None] - max_len + np.arange(max_len)[None, :]  # the max_len rows before each target
    x = np.where(index >= starts[:, None], tokens[np.maximum(index, 0)], 0).astype(np.int32)
    return x.reshape(len(targets), max_len), tokens[targets].astype(np.int32)


def next_item_windows(inter: Interactions, rows: np.ndarray | None, max_len: int,
                      stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every user's time-ordered items as windows that teach many positions at once (SASRec's training).

    For a user whose items among `rows` are s_0, ..., s_{n-1}, the windows end at e = n-1,
    n-1-stride, n-1-2*stride, ... (while e >= 1; listed user by user, in time order): `x` holds
    the tokens of s_{e-max_len}, ..., s_{e-1} and `y` the tokens one step later, so position j of
    a causal network reads x[:j+1] and is taught y[j]. A window labels only its last `stride`
    positions (the items after the next window's end), so each item but a user's first is a label
    exactly once, as in `next_item_examples`, and read with at least max_len - stride items
    before it (all of them near the user's start). Everything else in `y`, and x before s_0, is 0
    (padding, a label to mask). `stride` max_len (the default) cuts a history into disjoint
    windows, about 1/max_len as many rows as `next_item_examples`; stride 1 is exactly those
    examples, one label per row; in between, more context for more rows.

    Args:
        inter: the interactions.
        rows: row indices into `inter` (e.g. `split.train`); None for all rows.
        max_len: the window length (the network's input length).
        stride: the items between two windows' ends, 1 to max_len; None for max_len.

    Returns:
        `(x, y)`: two `(m, max_len)` int32 arrays, y one step later than x; 0 in y is no label.

    Example:
        >>> data = build_interactions(["a"] * 4, ["w", "x", "y", "z"])
        >>> x, y = next_item_windows(data, None, 2)
        >>> x.tolist(), y.tolist()   # the windows in time order
        ([[0, 1], [2, 3]], [[0, 2], [3, 4]])
    """
    stride = max_len if stride is None else stride
    _, tokens, from_end, position = _time_ordered(inter, rows, max_len)
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or not 1 <= stride <= max_len:
        raise ValueError(f"stride must be an int from 1 to max_len={max_len}. Received: stride={stride!r}")
    # A user's window k ends k * stride items before their last: at the rows with from_end % stride
    # == 0 and a position of at least 1 (an item before them to read).
    ends = np.flatnonzero((from_end % stride == 0) & (position >= 1))
    starts = ends - position[ends]  # where each window's user begins
    index = ends[:, None] - max_len + 1 + np.arange(max_len)[None, :]  # the label rows of each window
    labelled = (index >= starts[:, None] + 1) & (index > ends[:, None] - stride)
    y = np.where(labelled, tokens[np.maximum(index, 0)], 0)
    x = np.where(index - 1 >= starts[:, None], tokens[np.maximum(index - 1, 0)], 0)
    return x.astype(np.int32), y.astype(np.int32)


def _time_ordered(inter: Interactions, rows, max_len):
    """`rows` sorted by user, then time: their users, tokens, and positions from each user's end and start."""
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"max_len must be a positive int. Received: max_len={max_len!r}")
    order, from_end, counts = time_order(inter, rows)
    users = np.asarray(inter.users, dtype=np.int64)[order]
    tokens = np.asarray(inter.items, dtype=np.int64)[order] + OFFSET
    position = np.repeat(counts, counts) - 1 - from_end  # 0 = the user's first row
    return users, tokens, from_end, position


class SequenceScorer:
    """Scores of every item for given users, from a next-item network and the users' histories.

    Like `serving.Scorer`: `scorer(users)` is `(b, n_items)` float32, column k the score of item
    number k. The scores are the network's logits (the input of its softmax, when it has one):
    a float32 softmax over thousands of items underflows to ties, and ties rank against the
    held-out item. Column 0 of the network's output, the padding token, is dropped.

    Args:
        net: a next-item network (`sasrec`): `(b, max_len)` tokens -> `(b, n_items + 1)` scores.
        histories_matrix: `(n_users, max_len)` int tokens, row u user u's history (`histories`).
        n_items: the number of items; the network must score at least n_items + 1 tokens.
        batch_size: of the network's predictions.

    Example:
        >>> scorer = SequenceScorer(net, histories(inter, split.train, 50), inter.n_items)
        >>> scorer(np.array([0, 1])).shape
        (2, inter.n_items)
    """

    factorised = False  # no item vectors to index: serving scores the network's output

    def __init__(self, net, histories_matrix: np.ndarray, n_items: int, *, batch_size: int = 1024):
        self.histories = np.asarray(histories_matrix, dtype=np.int32)
        if self.histories.ndim != 2:
            raise ValueError(f"histories_matrix must be (n_users, max_len). Received: shape={self.histories.shape}")
        outputs = net.output_shape[-1]
        if outputs is not None and outputs < n_items + OFFSET:
            raise ValueError(f"The network scores {outputs} tokens: too few for {n_items} items and padding. "
                             f"Received: n_items={n_items}")
        self.net, self.n_items, self.batch_size = net, n_items, batch_size
        self.name = net.name
        self.logits = logit_model(net)  # without its softmax ("predictions"), if it has one

    def item_vectors(self) -> None:
        return None

    def __call__(self, users: np.ndarray) -> np.ndarray:
        x = self.histories[np.asarray(users, dtype=np.int64)]
        out = self.logits.predict(x, batch_size=self.batch_size, verbose=0)
        return np.asarray(out, dtype=np.float32)[:, OFFSET:self.n_items + OFFSET]
