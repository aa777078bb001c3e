"""Histories and next-item examples of interactions, the sequence scorer, and a SASRec that learns a pattern."""

import numpy as np
import pytest

from keras_zoo.applications.recommendation.data import build_interactions
from keras_zoo.applications.recommendation.interactions import Interactions
from keras_zoo.applications.recommendation.sequences import (SequenceScorer, histories, next_item_examples,
                                                              next_item_windows)


def interactions(users, items, timestamps=None, n_users=None, n_items=None):
    """An `Interactions` of user and item numbers as given (no renumbering, unlike build_interactions)."""
    n_users = n_users or max(users) + 1
    n_items = n_items or max(items) + 1
    return Interactions(users=np.array(users, np.int32), items=np.array(items, np.int32), ratings=None,
                        timestamps=None if timestamps is None else np.array(timestamps, np.int64),
                        user_ids=np.array([f"u{k}" for k in range(n_users)]),
                        item_ids=np.array([f"i{k}" for k in range(n_items)]))


# user 0 saw items 5, 3, 8 (time 10, 20, 30; rows shuffled); user 1 saw 2 then 4 (a tie at time 7:
# row order decides); user 2 saw item 6 only; user 3 saw nothing.
DATA = interactions(users=[0, 1, 0, 1, 2, 0], items=[8, 2, 5, 4, 6, 3], timestamps=[30, 7, 10, 7, 1, 20], n_users=4)


def test_histories_are_time_ordered_left_padded_tokens():
    h = histories(DATA, None, 4)
    assert h.dtype == np.int32 and h.shape == (4, 4)
    assert h.tolist() == [[0, 6, 4, 9], [0, 0, 3, 5], [0, 0, 0, 7], [0, 0, 0, 0]]  # token = item + 1


def test_histories_keep_the_latest_items_and_the_given_rows():
    assert histories(DATA, None, 2).tolist() == [[4, 9], [3, 5], [0, 7], [0, 0]]
    assert histories(DATA, None, 1).tolist() == [[9], [5], [7], [0]]
    train = np.array([0, 1, 2, 4])  # without user 1's item 4 and user 0's item 3
    assert histories(DATA, train, 3).tolist() == [[0, 6, 9], [0, 0, 3], [0, 0, 7], [0, 0, 0]]
    assert histories(DATA, np.array([4, 2, 0]), 3).tolist() == histories(DATA, np.array([0, 2, 4]), 3).tolist()
    assert histories(DATA, np.array([], np.int64), 3).tolist() == [[0, 0, 0]] * 4


def test_without_timestamps_the_row_order_is_the_time_order():
    data = interactions(users=[0, 1, 0, 0], items=[8, 2, 5, 3])
    assert histories(data, None, 3).tolist() == [[9, 6, 4], [0, 0, 3]]


def test_from_build_interactions_with_raw_ids():
    data = build_interactions(["bob", "ann", "bob", "ann"], ["x", "y", "y", "z"], timestamps=[3, 2, 1, 1])
    items = {name: k + 1 for k, name in enumerate(data.item_ids)}  # raw id -> token
    users = {name: k for k, name in enumerate(data.user_ids)}
    h = histories(data, None, 2)
    assert h[users["bob"]].tolist() == [items["y"], items["x"]]
    assert h[users["ann"]].tolist() == [items["z"], items["y"]]


def test_next_item_examples():
    x, y = next_item_examples(DATA, None, 2)
    assert x.dtype == np.int32 and y.dtype == np.int32
    # user 0: 5, 3, 8 -> (.., 5) -> 3, (5, 3) -> 8; user 1: 2, 4 -> (.., 2) -> 4; user 2 has one item: none
    assert x.tolist() == [[0, 6], [6, 4], [0, 3]]
    assert y.tolist() == [4, 9, 5]
    x, y = next_item_examples(DATA, None, 1)  # truncated to the latest item
    assert x.tolist() == [[6], [4], [3]] and y.tolist() == [4, 9, 5]
    x, y = next_item_examples(DATA, np.array([0, 2, 3, 4]), 3)  # user 0's 5, 8 and user 1's 4 only
    assert x.tolist() == [[0, 0, 6]] and y.tolist() == [9]
    x, y = next_item_examples(DATA, np.array([4]), 3)
    assert x.shape == (0, 3) and y.shape == (0,)


def time_ordered_tokens(data, rows, user):
    """One user's tokens among `rows`, by time, ties in row order: the definition, row by row."""
    mine = sorted((r for r in rows if data.users[r] == user), key=lambda r: (data.timestamps[r], r))
    return [int(data.items[r]) + 1 for r in mine]


def naive_examples(data, rows, max_len):
    """The definition, one user and one position at a time: the oracle of the vectorised code."""
    xs, ys = [], []
    for user in range(data.n_users):
        tokens = time_ordered_tokens(data, rows, user)
        for t in range(1, len(tokens)):
            before = tokens[max(0, t - max_len):t]
            xs.append([0] * (max_len - len(before)) + before)
            ys.append(tokens[t])
    return np.array(xs, dtype=np.int32).reshape(-1, max_len), np.array(ys, dtype=np.int32)


def naive_histories(data, rows, max_len):
    out = np.zeros((data.n_users, max_len), dtype=np.int32)
    for user in range(data.n_users):
        latest = time_ordered_tokens(data, rows, user)[-max_len:]
        out[user, max_len - len(latest):] = latest
    return out


@pytest.mark.parametrize("max_len", [1, 3, 7])
def test_examples_and_histories_match_the_definition_on_random_data(max_len):
    rng = np.random.default_rng(max_len)
    n = 300
    pairs = rng.choice(20 * 40, size=n, replace=False)  # distinct (user, item) pairs; many equal timestamps
    data = interactions(users=pairs // 40, items=pairs % 40, timestamps=rng.integers(0, 15, n), n_users=21, n_items=40)
    rows = rng.permutation(np.flatnonzero(rng.random(n) < 0.8))
    x, y = next_item_examples(data, rows, max_len)
    expected_x, expected_y = naive_examples(data, rows, max_len)
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    assert len(y) == len(rows) - len(np.unique(data.users[rows]))
    np.testing.assert_array_equal(histories(data, rows, max_len), naive_histories(data, rows, max_len))
    assert not histories(data, rows, max_len)[20].any()  # a user without rows


def test_next_item_windows():
    x, y = next_item_windows(DATA, None, 2)
    assert x.dtype == np.int32 and y.dtype == np.int32
    # user 0: 5, 3, 8 -> x (5, 3), y (3, 8); user 1: 2, 4 -> x (.., 2), y (.., 4); user 2: one item, none
    assert x.tolist() == [[6, 4], [0, 3]] and y.tolist() == [[4, 9], [0, 5]]
    x, y = next_item_windows(DATA, None, 1)  # user 0 in two windows, in time order
    assert x.tolist() == [[6], [4], [3]] and y.tolist() == [[4], [9], [5]]
    x, y = next_item_windows(DATA, np.array([4]), 3)
    assert x.shape == (0, 3) and y.shape == (0, 3)


def naive_windows(data, rows, max_len, stride):
    """The definition, window by window: windows end at each user's last item, stride apart."""
    xs, ys = [], []
    for user in range(data.n_users):
        tokens = time_ordered_tokens(data, rows, user)
        for end in list(range(len(tokens) - 1, 0, -stride))[::-1]:
            xs.append([tokens[i] if i >= 0 else 0 for i in range(end - max_len, end)])
            ys.append([tokens[i] if i >= 1 and i > end - stride else 0 for i in range(end - max_len + 1, end + 1)])
    return np.array(xs, dtype=np.int32).reshape(-1, max_len), np.array(ys, dtype=np.int32).reshape(-1, max_len)


@pytest.mark.parametrize("max_len, stride", [(1, 1), (3, 3), (3, 2), (7, 7), (7, 3), (7, 1)])
def test_windows_match_the_definition_and_label_each_item_once(max_len, stride):
    rng = np.random.default_rng(max_len)
    n = 300
    pairs = rng.choice(20 * 40, size=n, replace=False)
    data = interactions(users=pairs // 40, items=pairs % 40, timestamps=rng.integers(0, 15, n), n_users=21, n_items=40)
    rows = rng.permutation(np.flatnonzero(rng.random(n) < 0.8))
    x, y = next_item_windows(data, rows, max_len, stride)
    expected_x, expected_y = naive_windows(data, rows, max_len, stride)
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
    labelled = y[:, :-1] > 0  # y is x one step later (a user's first item is read, never a label)
    assert np.array_equal(x[:, 1:][labelled], y[:, :-1][labelled])
    # The same labels as next_item_examples, each once; stride 1 is those examples exactly.
    each_x, each = next_item_examples(data, rows, max_len)
    assert sorted(y[y > 0].tolist()) == sorted(each.tolist())
    assert len(y) <= len(each) / stride + len(np.unique(data.users[rows]))
    if stride == 1:
        np.testing.assert_array_equal(x, each_x)
        np.testing.assert_array_equal(y[:, -1], each)


def test_stride_must_be_from_1_to_max_len():
    for bad in (0, 4, 2.0, True):
        with pytest.raises(ValueError, match=f"stride must be an int from 1 to max_len=3. Received: stride={bad!r}"):
            next_item_windows(DATA, None, 3, bad)


def test_max_len_must_be_a_positive_int():
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match=f"Received: max_len={bad!r}"):
            histories(DATA, None, bad)
        with pytest.raises(ValueError, match=f"Received: max_len={bad!r}"):
            next_item_examples(DATA, None, bad)
        with pytest.raises(ValueError, match=f"Received: max_len={bad!r}"):
            next_item_windows(DATA, None, bad)


# ---- the scorer and a model that learns ----


def tiny_sasrec(n_items, max_len, **overrides):
    import keras_zoo as zoo

    return zoo.create_model("sasrec", num_classes=n_items + 1, input_shape=(max_len,),
                            **{"embedding_dim": 8, "dropout": 0.0, **overrides})


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
def test_sequence_scorer_returns_the_logits_of_the_items():
    from scipy.special import softmax

    net = tiny_sasrec(DATA.n_items, 3)  # softmax output
    h = histories(DATA, None, 3)
    scorer = SequenceScorer(net, h, DATA.n_items, batch_size=2)
    assert scorer.name == "sasrec" and not scorer.factorised and scorer.item_vectors() is None
    users = np.array([2, 0, 3])
    scores = scorer(users)
    assert scores.shape == (3, DATA.n_items) and scores.dtype == np.float32
    logits = scorer.logits.predict(h[users], verbose=0)  # every token's, padding (column 0) first
    np.testing.assert_allclose(scores, logits[:, 1:], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(softmax(logits, axis=1), net.predict(h[users], verbose=0), rtol=1e-4, atol=1e-7)
    logit_net = tiny_sasrec(DATA.n_items, 3, classifier_activation=None)
    assert SequenceScorer(logit_net, h, DATA.n_items).logits is logit_net  # already logits: used as it is


@pytest.mark.slow  # seconds on two cores (make test-fast skips it)
def test_all_positions_scores_each_position_as_the_model_scores_its_last():
    from keras_zoo.models.sasrec import all_positions

    net = tiny_sasrec(DATA.n_items, 4, classifier_activation=None)
    x = histories(DATA, None, 4)
    every, last_two = all_positions(net)(x).numpy(), all_positions(net, last=2)(x).numpy()
    assert every.shape == (4, 4, DATA.n_items + 1) and last_two.shape == (4, 2, DATA.n_items + 1)
    np.testing.assert_allclose(every[:, -1], net(x).numpy(), rtol=1e-5, atol=1e-5)  # the last position is the model's
    np.testing.assert_allclose(last_two, every[:, -2:], rtol=1e-5, atol=1e-5)
    # Causal: an item's position scores the same with the later items changed (padding positions,
    # which no label reads, attend uniformly and are left out).
    changed = x.copy()
    changed[:, 2:] = (changed[:, 2:] % DATA.n_items) + 1
    real = x[:, 1] > 0
    assert real.any()
    np.testing.assert_allclose(all_positions(net)(changed).numpy()[real, 1], every[real, 1], rtol=1e-5, atol=1e-5)


def test_all_positions_takes_a_sasrec_with_logits_out_only():
    from keras_zoo.models.sasrec import all_positions

    with pytest.raises(ValueError, match="all_positions takes a sasrec model with logits out"):
        all_positions(tiny_sasrec(DATA.n_items, 3))  # softmax out
    for bad in (0, 4, True):
        with pytest.raises(ValueError, match=f"last must be an int from 1 to the input length 3. Received: last={bad!r}"):
            all_positions(tiny_sasrec(DATA.n_items, 3, classifier_activation=None), last=bad)


def test_sequence_scorer_errors():
    h = histories(DATA, None, 3)
    n = DATA.n_items
    with pytest.raises(ValueError, match=f"{n} tokens: too few for {n} items and padding. Received: n_items={n}"):
        SequenceScorer(tiny_sasrec(n - 1, 3), h, n)  # a network for one item fewer
    with pytest.raises(ValueError, match=r"histories_matrix must be \(n_users, max_len\)"):
        SequenceScorer(tiny_sasrec(DATA.n_items, 3), h[0], DATA.n_items)


N_ITEMS, LENGTH, MAX_LEN = 30, 12, 8


def interleaved_chains(n_users, seed):
    """Two interleaved runs a, b, a+1, b+1, a+2, ... (mod N_ITEMS) per user, a and b random.

    The next item is the item two steps back plus one: the last item alone does not tell it (b is
    independent of a), so a model must attend to the history and know the positions.
    """
    rng = np.random.default_rng(seed)
    users, items = [], []
    for user in range(n_users):
        while True:  # an Interactions holds each (user, item) pair once: no item may repeat
            a, b = rng.integers(0, N_ITEMS, 2)
            sequence = [((a if t % 2 == 0 else b) + t // 2) % N_ITEMS for t in range(LENGTH)]
            if len(set(sequence)) == LENGTH:
                break
        users += [user] * LENGTH
        items += sequence
    return interactions(users, items, n_items=N_ITEMS)


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("teach", ["every_position", "one_example_per_item"])
def test_sasrec_learns_the_next_item_from_the_history(teach):
    import keras

    from keras_zoo.models.sasrec import all_positions

    data = interleaved_chains(200, seed=0)
    last_row = np.r_[np.diff(data.users) != 0, True]
    train = np.flatnonzero(data.users < 150)  # users 150..199 are new to the model:
    seen = np.flatnonzero((data.users >= 150) & ~last_row)  # their history, and
    held_out = np.flatnonzero((data.users >= 150) & last_row)  # their next item to predict
    x, y = next_item_examples(data, train, MAX_LEN)

    keras.utils.set_random_seed(0)
    net = tiny_sasrec(N_ITEMS, MAX_LEN, embedding_dim=32, classifier_activation=None)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    if teach == "every_position":  # as the pipeline trains it: every label of a window in one pass
        windows, labels = next_item_windows(data, train, MAX_LEN)
        trainer = all_positions(net)
        assert trainer.output_shape == (None, MAX_LEN, N_ITEMS + 1)
        assert {id(v) for v in trainer.trainable_variables} == {id(v) for v in net.trainable_variables}
        trainer.compile(keras.optimizers.Adam(5e-3), loss)
        trainer.fit(windows, labels, sample_weight=(labels > 0).astype("float32"), batch_size=16, epochs=5, verbose=0)
    else:
        net.compile(keras.optimizers.Adam(5e-3), loss)
        net.fit(x, y, batch_size=64, epochs=5, verbose=0)

    scorer = SequenceScorer(net, histories(data, seen, MAX_LEN), N_ITEMS)
    accuracy = np.mean(scorer(data.users[held_out]).argmax(axis=1) == data.items[held_out])
    # What the last item alone tells: the most frequent next token after each last token in training.
    follows = np.zeros((N_ITEMS + 1, N_ITEMS + 1))
    np.add.at(follows, (x[:, -1], y), 1)
    last_only = np.mean(follows[histories(data, seen, MAX_LEN)[data.users[held_out], -1]].argmax(axis=1) - 1
                        == data.items[held_out])
    assert accuracy > 0.9, accuracy  # chance is 1/30
    assert last_only < 0.3, last_only
