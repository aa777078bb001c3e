"""Ranking metrics against rankings computed by hand, and the candidates every model is ranked among."""

import numpy as np
import pytest
import scipy.sparse as sp

from keras_zoo.applications.recommendation.metrics import (full_ranking, full_ranking_ranks, hit_curve, hit_rate, leave_one_out,
                                                 leave_one_out_ranks, ndcg, rating_errors, ranks, sample_negatives)


def table_scorer(table, calls=None):
    """A scorer that looks the scores up in a fixed `(n_users, n_items)` table, recording each batch."""
    table = np.asarray(table, dtype=np.float32)

    def score(users):
        if calls is not None:
            calls.append(len(users))
        return table[users]

    return score


def csr(n_users, n_items, pairs):
    users, items = zip(*pairs) if pairs else ((), ())
    return sp.csr_matrix((np.ones(len(users), np.float32), (users, items)), shape=(n_users, n_items))


# ## Ranks, hit rate, NDCG


def test_ranks_count_higher_and_tied_candidates():
    target = [0.5, 0.5, 0.9, 0.2]
    candidates = [[0.9, 0.1, 0.2], [0.5, 0.5, 0.5], [0.1, 0.2, 0.3], [0.2, 0.3, 0.1]]
    np.testing.assert_array_equal(ranks(target, candidates), [1, 3, 0, 2])


def test_a_constant_model_ranks_every_target_last():
    assert ranks(np.ones(4), np.ones((4, 99))).tolist() == [99] * 4
    scorer = table_scorer(np.zeros((3, 10)))
    negatives = np.array([[1, 2, 3, 4], [0, 2, 3, 4], [0, 1, 3, 4]])
    result = leave_one_out(scorer, np.arange(3), np.array([0, 1, 2]), negatives, ks=(1, 4))
    assert result == {"hr@1": 0.0, "ndcg@1": 0.0, "hr@4": 0.0, "ndcg@4": 0.0, "users": 3}


def test_nan_scores_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        ranks([0.1, np.nan], [[0.0], [0.0]])
    with pytest.raises(ValueError, match="NaN"):
        ranks([0.1], [[np.nan]])
    with pytest.raises(ValueError, match="shape"):
        ranks([0.1, 0.2], [[0.0]])


def test_hit_rate_and_ndcg_by_hand():
    r = np.array([0, 2, 5, 10])
    assert hit_rate(r, 1) == 0.25
    assert hit_rate(r, 3) == 0.5
    assert hit_rate(r, 10) == 0.75 and hit_rate(r, 11) == 1.0
    assert ndcg(r, 1) == 0.25
    assert ndcg(r, 3) == pytest.approx((1.0 + 0.5) / 4)  # rank 2: 1 / log2(4) = 0.5
    assert ndcg(r, 11) == pytest.approx((1.0 + 0.5 + 1 / np.log2(7) + 1 / np.log2(12)) / 4)


def test_hit_curve_is_the_hit_rate_at_every_k():
    r = np.array([0, 2, 5, 60])
    np.testing.assert_allclose(hit_curve(r, max_k=6), [0.25, 0.25, 0.5, 0.5, 0.5, 0.75])
    r = np.random.default_rng(0).integers(0, 80, 200)
    np.testing.assert_allclose(hit_curve(r), [hit_rate(r, k) for k in range(1, 51)])


@pytest.mark.parametrize("metric", [hit_rate, ndcg, hit_curve])
def test_bad_cutoffs_and_empty_ranks_are_refused(metric):
    with pytest.raises(ValueError, match="Received"):
        metric(np.array([0, 1]), 0)
    with pytest.raises(ValueError, match="non-empty"):
        metric(np.array([], dtype=int), 5)
    with pytest.raises(ValueError, match="non-negative"):
        metric(np.array([-1, 1]), 5)


def test_rating_errors_by_hand():
    result = rating_errors([1.0, 2.0, 3.0], [2.0, 2.0, 1.0])  # errors 1, 0, -2
    assert result == {"rmse": pytest.approx(np.sqrt(5 / 3)), "mae": pytest.approx(1.0), "n": 3}
    with pytest.raises(ValueError, match="same length"):
        rating_errors([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="finite"):
        rating_errors([1.0], [np.nan])


# ## Sampled negatives


def test_negatives_avoid_seen_and_held_out_items_and_repeat_with_the_seed():
    rng = np.random.default_rng(1)
    n_users, n_items = 50, 300
    seen = sp.random(n_users, n_items, density=0.3, format="csr", random_state=1)
    users = rng.permutation(n_users)[:40]
    positives = rng.integers(0, n_items, 40)
    negatives = sample_negatives(users, positives, seen, n_items, n=99, seed=3)
    assert negatives.shape == (40, 99) and negatives.dtype == np.int32
    dense = seen.toarray() != 0
    for user, positive, row in zip(users, positives, negatives):
        assert len(set(row)) == 99
        assert not dense[user, row].any()
        assert positive not in row
    np.testing.assert_array_equal(negatives, sample_negatives(users, positives, seen, n_items, n=99, seed=3))
    assert not np.array_equal(negatives, sample_negatives(users, positives, seen, n_items, n=99, seed=4))


@pytest.mark.parametrize("n_seen", [5, 14])  # most items unseen: drawn by rejection; few: from the list
def test_negatives_are_uniform_over_the_unseen_items(n_seen):
    n_items, n, draws = 20, 3, 3000
    seen = csr(1, n_items, [(0, i) for i in range(n_seen)])
    negatives = sample_negatives(np.zeros(draws, int), np.full(draws, n_seen), seen, n_items, n=n)
    counts = np.bincount(negatives.ravel(), minlength=n_items)
    assert not counts[:n_seen + 1].any()
    allowed = n_items - n_seen - 1
    expected = draws * n / allowed
    assert np.abs(counts[n_seen + 1:] - expected).max() < 0.12 * expected


def test_a_user_with_too_few_unseen_items_is_named():
    seen = csr(3, 10, [(2, i) for i in range(8)])
    with pytest.raises(ValueError, match=r"User 2 has 1 items .* fewer than the 2"):
        sample_negatives(np.array([0, 2]), np.array([9, 9]), seen, 10, n=2)
    assert sample_negatives(np.array([0, 2]), np.array([9, 9]), seen, 10, n=1)[1].tolist() == [8]


def test_negative_sampling_checks_its_inputs():
    seen = csr(3, 10, [])
    with pytest.raises(ValueError, match="one row per test user"):
        sample_negatives(np.array([0, 1]), np.array([1]), seen, 10)
    with pytest.raises(ValueError, match="positives"):
        sample_negatives(np.array([0]), np.array([10]), seen, 10, n=2)
    with pytest.raises(ValueError, match="users"):
        sample_negatives(np.array([3]), np.array([1]), seen, 10, n=2)
    with pytest.raises(ValueError, match="one column per item"):
        sample_negatives(np.array([0]), np.array([1]), seen, 11, n=2)
    with pytest.raises(ValueError, match="n=0"):
        sample_negatives(np.array([0]), np.array([1]), seen, 10, n=0)


# ## Leave-one-out with sampled negatives


TABLE = np.array([
    [0.9, 0.8, 0.1, 0.5, 0.3, 0.2],
    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
    [0.5, 0.5, 0.5, 0.1, 0.9, 0.0],
    [0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
])


def test_leave_one_out_by_hand():
    positives = np.array([1, 2, 0, 5])
    negatives = np.array([[0, 3, 4], [0, 1, 5], [1, 2, 3], [0, 1, 2]])
    # user 0: item 1 (0.8) below item 0 (0.9): rank 1; user 1: item 2 (0.3) below item 5: rank 1;
    # user 2: item 0 (0.5) tied with items 1 and 2: rank 2; user 3: item 5 first: rank 0.
    expected = [1, 1, 2, 0]
    np.testing.assert_array_equal(leave_one_out_ranks(table_scorer(TABLE), np.arange(4), positives, negatives), expected)
    result = leave_one_out(table_scorer(TABLE), np.arange(4), positives, negatives, ks=(1, 2))
    assert result == {
        "hr@1": 0.25, "ndcg@1": 0.25,
        "hr@2": 0.75, "ndcg@2": pytest.approx((1.0 + 2 / np.log2(3)) / 4),
        "users": 4,
    }


def test_leave_one_out_in_chunks_equals_one_batch():
    rng = np.random.default_rng(0)
    table = rng.integers(0, 5, (9, 40)).astype(np.float32)  # small integers: many ties
    users = rng.integers(0, 9, 7)
    positives = rng.integers(0, 40, 7)
    negatives = sample_negatives(users, positives, csr(9, 40, []), 40, n=20)
    calls = []
    chunked = leave_one_out(table_scorer(table, calls), users, positives, negatives, ks=(1, 5, 10), batch_size=2)
    assert calls == [2, 2, 2, 1]
    assert chunked == leave_one_out(table_scorer(table), users, positives, negatives, ks=(1, 5, 10))


def test_leave_one_out_checks_its_inputs():
    scorer = table_scorer(TABLE)
    users, positives, negatives = np.arange(2), np.array([1, 2]), np.array([[0, 3], [0, 1]])
    with pytest.raises(ValueError, match="one row per test user"):
        leave_one_out(scorer, users, positives[:1], negatives)
    with pytest.raises(ValueError, match="held-out item"):
        leave_one_out(scorer, users, positives, np.array([[0, 1], [0, 1]]))
    with pytest.raises(ValueError, match="out of range"):
        leave_one_out(scorer, users, positives, np.array([[0, 6], [0, 1]]))
    with pytest.raises(ValueError, match="ks"):
        leave_one_out(scorer, users, positives, negatives, ks=(0,))
    with pytest.raises(ValueError, match="batch_size"):
        leave_one_out(scorer, users, positives, negatives, batch_size=0)
    with pytest.raises(ValueError, match="scorer must return"):
        leave_one_out(lambda u: np.zeros(len(u)), users, positives, negatives)


# ## Full ranking


def brute_force_ranks(table, users, positives, seen):
    """The rank of each target among the items its user has not seen, one user at a time."""
    dense = seen.toarray() != 0
    result = []
    for user, positive in zip(users, positives):
        candidates = [i for i in range(table.shape[1]) if not dense[user, i] and i != positive]
        result.append(sum(table[user, i] >= table[user, positive] for i in candidates))
    return result


def test_full_ranking_by_hand():
    seen = csr(4, 6, [(0, 0), (1, 5), (1, 4), (3, 0)])
    positives = np.array([1, 2, 0, 5])
    # user 0: item 0 (0.9) seen, nothing above item 1 (0.8): rank 0; user 1: items 4, 5 seen,
    # item 3 above: rank 1; user 2: items 1, 2 tie, item 4 above: rank 3; user 3: rank 0.
    r = full_ranking_ranks(table_scorer(TABLE), np.arange(4), positives, seen)
    np.testing.assert_array_equal(r, [0, 1, 3, 0])
    result = full_ranking(table_scorer(TABLE), np.arange(4), positives, seen, ks=(1, 3), ndcg_k=(2,))
    assert result == {"recall@1": 0.5, "recall@3": 0.75, "ndcg@2": pytest.approx((1 + 1 / np.log2(3) + 0 + 1) / 4),
                      "users": 4}


def test_full_ranking_matches_a_brute_force_count_and_default_keys():
    rng = np.random.default_rng(2)
    table = rng.integers(0, 6, (12, 60)).astype(np.float32)
    seen = sp.random(12, 60, density=0.2, format="csr", random_state=2)
    users = np.arange(12)
    positives = np.array([rng.choice(np.flatnonzero(seen.toarray()[u] == 0)) for u in users])
    r = full_ranking_ranks(table_scorer(table), users, positives, seen)
    np.testing.assert_array_equal(r, brute_force_ranks(table, users, positives, seen))
    result = full_ranking(table_scorer(table), users, positives, seen)
    assert list(result) == ["recall@10", "recall@50", "ndcg@10", "users"]
    assert result["recall@10"] == hit_rate(r, 10) and result["ndcg@10"] == ndcg(r, 10)


def test_a_seen_item_with_a_huge_score_does_not_push_the_target_down():
    table = np.array([[1e9, 0.5, 0.1, 0.2], [-np.inf, 0.5, np.inf, 0.2]])
    seen = csr(2, 4, [(0, 0), (1, 2)])
    np.testing.assert_array_equal(full_ranking_ranks(table_scorer(table), np.arange(2), np.array([1, 1]), seen), [0, 0])
    assert full_ranking(table_scorer(table), np.arange(2), np.array([1, 1]), seen, ks=(1,), ndcg_k=(1,))["recall@1"] == 1.0


def test_a_held_out_item_inside_seen_is_refused():
    seen = csr(2, 6, [(1, 3)])
    with pytest.raises(ValueError, match="held-out item of user 1 is in `seen`"):
        full_ranking(table_scorer(TABLE), np.array([0, 1]), np.array([3, 3]), seen)


def test_full_ranking_in_chunks_equals_one_batch():
    rng = np.random.default_rng(3)
    table = rng.integers(0, 4, (10, 30)).astype(np.float32)
    seen = csr(10, 30, [(u, (3 * u) % 30) for u in range(10)])
    users, positives = np.arange(10), (3 * np.arange(10) + 1) % 30
    calls = []
    chunked = full_ranking(table_scorer(table, calls), users, positives, seen, batch_size=2)
    assert calls == [2] * 5
    assert chunked == full_ranking(table_scorer(table), users, positives, seen)


def test_full_ranking_checks_its_inputs():
    seen = csr(4, 6, [])
    scorer = table_scorer(TABLE)
    with pytest.raises(ValueError, match="positives"):
        full_ranking(scorer, np.arange(2), np.array([0, 6]), seen)
    with pytest.raises(ValueError, match="users"):
        full_ranking(scorer, np.array([4]), np.array([0]), seen)
    with pytest.raises(ValueError, match="users.*integer"):
        full_ranking(scorer, np.array([0.0]), np.array([0]), seen)
    with pytest.raises(ValueError, match="scipy sparse"):
        full_ranking(scorer, np.array([0]), np.array([0]), seen.toarray())
    with pytest.raises(ValueError, match="all 7 items"):
        full_ranking(scorer, np.array([0]), np.array([0]), csr(4, 7, []))
    with pytest.raises(ValueError, match="ndcg_k"):
        full_ranking(scorer, np.array([0]), np.array([0]), seen, ndcg_k=(-1,))
    with pytest.raises(ValueError, match="NaN"):
        full_ranking(lambda u: np.full((len(u), 6), np.nan), np.array([0]), np.array([0]), seen)
