"""The classical baselines: exact on cases with a known answer, and better than popularity where tastes differ."""

import numpy as np
import pytest
import scipy.sparse as sp

from keras_zoo.applications.recommendation import baselines
from keras_zoo.applications.recommendation.baselines import als, bias_baseline, ease, item_knn, popularity, pure_svd
from keras_zoo.applications.recommendation.metrics import leave_one_out, rating_errors, sample_negatives

RANKING_BASELINES = {
    "popularity": popularity,
    "item_knn": lambda train: item_knn(train, k=10),
    "pure_svd": lambda train: pure_svd(train, factors=4),
    "als": lambda train: als(train, factors=4, iterations=5),
    "ease": lambda train: ease(train, reg=10.0),
}


def binary(dense):
    return sp.csr_matrix(np.asarray(dense, dtype=np.float32))


@pytest.fixture(scope="module")
def two_tastes():
    """40 users, 30 items: users 0-19 like items 0-14, users 20-39 items 15-29; items 0 and 15 everyone likes.

    Within each group an item's appeal falls with its number, so popularity is a fair opponent
    inside a group but cannot tell the groups apart. Each user's held-out item is one of its
    in-group interactions (not 0 or 15).
    """
    rng = np.random.default_rng(0)
    dense = np.zeros((40, 30), dtype=np.float32)
    for user in range(40):
        group = np.arange(15) if user < 20 else np.arange(15, 30)
        appeal = np.linspace(0.8, 0.3, 15)
        dense[user, group] = rng.random(15) < appeal
        dense[user, [0, 15]] = rng.random(2) < 0.8
    users = np.arange(40)
    positives = np.array([rng.choice(np.setdiff1d(np.flatnonzero(dense[u]), [0, 15])) for u in users])
    train = dense.copy()
    train[users, positives] = 0
    negatives = sample_negatives(users, positives, binary(train), 30, n=12, seed=0)
    return binary(train), users, positives, negatives


@pytest.mark.parametrize("name", list(RANKING_BASELINES))
def test_a_baseline_is_a_named_timed_scorer(name, two_tastes):
    train = two_tastes[0]
    scorer = RANKING_BASELINES[name](train)
    assert scorer.name == name
    assert isinstance(scorer.fit_s, float) and 0.0 <= scorer.fit_s < 10.0
    scores = scorer(np.array([0, 39, 0]))
    assert scores.shape == (3, 30) and scores.dtype == np.float32 and np.isfinite(scores).all()
    np.testing.assert_array_equal(scores[0], scores[2])
    with pytest.raises(ValueError, match="users"):
        scorer(np.array([40]))


@pytest.mark.parametrize("name", ["item_knn", "pure_svd", "als", "ease"])
def test_personalised_baselines_beat_popularity_on_two_tastes(name, two_tastes):
    train, users, positives, negatives = two_tastes
    most_popular = leave_one_out(popularity(train), users, positives, negatives, ks=(5,))
    result = leave_one_out(RANKING_BASELINES[name](train), users, positives, negatives, ks=(5,))
    assert result["hr@5"] >= most_popular["hr@5"] + 0.2, (result, most_popular)
    assert result["ndcg@5"] > most_popular["ndcg@5"], (result, most_popular)


def test_popularity_ranks_items_by_count(two_tastes):
    train = two_tastes[0]
    scorer = popularity(train)
    counts = np.asarray(train.sum(axis=0)).ravel()
    scores = scorer(np.arange(40))
    np.testing.assert_array_equal(scores, np.tile(counts, (40, 1)))
    assert np.argmax(scores[0]) in (0, 15)


def dense_cosine(train):
    """The cosine similarity of every pair of item columns, the diagonal zeroed: the oracle of item_knn."""
    columns = train.toarray().astype(np.float64)
    norms = np.linalg.norm(columns, axis=0)
    sim = columns.T @ columns / np.maximum(np.outer(norms, norms), 1e-12)
    np.fill_diagonal(sim, 0.0)
    return sim


def test_item_knn_with_every_neighbour_is_the_cosine_of_item_columns(two_tastes):
    train = two_tastes[0]
    scorer = item_knn(train, k=1000)
    np.testing.assert_allclose(scorer.similarity.toarray(), dense_cosine(train), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(scorer(np.arange(40)), train.toarray() @ dense_cosine(train), rtol=1e-4)


def test_item_knn_keeps_the_k_most_similar_items(two_tastes):
    train = two_tastes[0]
    oracle = dense_cosine(train)
    similarity = item_knn(train, k=3).similarity.toarray()
    for item in range(30):
        kept = np.flatnonzero(similarity[item])
        assert len(kept) == 3 and item not in kept
        np.testing.assert_allclose(np.sort(similarity[item, kept]), np.sort(oracle[item])[-3:], rtol=1e-5)


def test_item_knn_shrinks_rare_co_occurrences():
    train = binary([[1, 1, 0], [1, 1, 1], [0, 0, 1]])  # items 0, 1: 2 users each, both common; item 2: 2 users, 1 common
    similarity = item_knn(train, k=2, shrink=2.0).similarity.toarray()
    np.testing.assert_allclose(similarity[0, 1], 2 / (2 + 2.0))
    np.testing.assert_allclose(similarity[0, 2], 1 / (2 + 2.0))


def test_item_knn_in_blocks_equals_one_block(two_tastes, monkeypatch):
    train = two_tastes[0]
    whole = item_knn(train, k=5, shrink=1.0)
    monkeypatch.setattr(baselines, "KNN_BLOCK_ENTRIES", 4 * 30)  # 4 items a block
    blocked = item_knn(train, k=5, shrink=1.0)
    np.testing.assert_allclose(blocked(np.arange(40)), whole(np.arange(40)), rtol=1e-6)


def test_ease_is_the_closed_form_of_its_constrained_ridge_regression(two_tastes):
    """Steck's solution: B has a zero diagonal, and (X^T X + reg I)(I - B) is diagonal (its Lagrange
    multipliers), which is what minimising ||X - XB||^2 + reg ||B||^2 under diag(B) = 0 requires."""
    train = two_tastes[0]
    weights = ease(train, reg=10.0).weights.astype(np.float64)
    assert np.all(np.diag(weights) == 0)
    gram = (train.T @ train).toarray() + 10.0 * np.eye(30)
    product = gram @ (np.eye(30) - weights)
    off_diagonal = product - np.diag(np.diag(product))
    assert np.abs(off_diagonal).max() < 1e-3 * np.abs(np.diag(product)).min()
    with pytest.raises(ValueError, match="reg"):
        ease(train, reg=0.0)


def test_pure_svd_reconstructs_a_matrix_of_its_rank():
    # Three blocks of ones of different sizes: rank 3, singular values sqrt(20), sqrt(12), sqrt(2).
    dense = np.zeros((12, 10), dtype=np.float32)
    dense[:5, :4] = 1
    dense[5:9, 4:7] = 1
    dense[9:11, 7:8] = 1
    scorer = pure_svd(binary(dense), factors=3)
    np.testing.assert_allclose(scorer(np.arange(12)), dense, atol=1e-4)
    np.testing.assert_allclose(scorer.item_factors.T @ scorer.item_factors, np.eye(3), atol=1e-5)  # V^T V = I
    one = pure_svd(binary(dense), factors=1)
    np.testing.assert_allclose(one(np.arange(12)), np.where(np.arange(12)[:, None] < 5, dense, 0), atol=1e-4)


def test_als_item_factors_solve_the_weighted_least_squares_exactly(two_tastes):
    train = two_tastes[0]
    reg, alpha = 0.5, 4.0
    fitted = als(train, factors=3, reg=reg, alpha=alpha, iterations=2, seed=1)
    x = fitted.user_factors.astype(np.float64)
    p = train.toarray().astype(np.float64)
    for item in range(30):
        c = 1.0 + alpha * p[:, item]  # confidence of every user in this item, without the Gram trick
        a = x.T @ (c[:, None] * x) + reg * np.eye(3)
        np.testing.assert_allclose(a @ fitted.item_factors[item], x.T @ (c * p[:, item]), rtol=1e-4, atol=1e-4)


def test_baselines_check_their_arguments(two_tastes):
    train = two_tastes[0]
    with pytest.raises(ValueError, match="scipy sparse"):
        popularity(train.toarray())
    with pytest.raises(ValueError, match="k=0"):
        item_knn(train, k=0)
    with pytest.raises(ValueError, match="shrink"):
        item_knn(train, shrink=-1.0)
    with pytest.raises(ValueError, match="factors=31"):
        pure_svd(train, factors=31)
    with pytest.raises(ValueError, match="reg=0"):
        als(train, reg=0)
    with pytest.raises(ValueError, match="iterations=0"):
        als(train, iterations=0)


# ## The rating baseline


def test_bias_baseline_by_hand():
    # mean 4; items (users' biases 0): b_0 = (1 + 0) / 2, b_1 = -1; users: b_0 = (0.5 + 0) / 2, b_1 = -0.5.
    predict = bias_baseline(np.array([0, 0, 1]), np.array([0, 1, 0]), [5.0, 3.0, 4.0], 3, 3, reg=0.0, iterations=1)
    assert predict.mean == 4.0 and predict.name == "bias_baseline" and predict.fit_s >= 0.0
    np.testing.assert_allclose(predict.item_bias, [0.5, -1.0, 0.0])
    np.testing.assert_allclose(predict.user_bias, [0.25, -0.5, 0.0])
    # 4 + 0.25 + 0.5; 4 - 0.5 - 1 = 2.5 clipped to the lowest rating, 3; user 2 and item 2 never seen;
    # user 7 and item -1 out of range: bias 0.
    np.testing.assert_allclose(predict(np.array([0, 1, 2, 7, 0]), np.array([0, 1, 0, 1, -1])), [4.75, 3.0, 4.5, 3.0, 4.25])


def test_bias_baseline_beats_the_global_mean_on_held_out_ratings():
    rng = np.random.default_rng(0)
    n_users, n_items = 80, 60
    user_effect, item_effect = rng.normal(0, 0.6, n_users), rng.normal(0, 0.8, n_items)
    pairs = np.flatnonzero(rng.random(n_users * n_items) < 0.3)
    users, items = pairs // n_items, pairs % n_items
    ratings = np.clip(3.5 + user_effect[users] + item_effect[items] + rng.normal(0, 0.3, len(pairs)), 1, 5)
    test = rng.random(len(pairs)) < 0.2
    predict = bias_baseline(users[~test], items[~test], ratings[~test], n_users, n_items, reg=5.0)
    biased = rating_errors(ratings[test], predict(users[test], items[test]))
    global_mean = rating_errors(ratings[test], np.full(test.sum(), ratings[~test].mean()))
    assert biased["n"] == test.sum()
    assert biased["rmse"] < 0.6 * global_mean["rmse"], (biased, global_mean)
    assert biased["mae"] < global_mean["mae"]


def test_bias_baseline_checks_its_arguments():
    with pytest.raises(ValueError, match="items"):
        bias_baseline(np.array([0]), np.array([3]), [4.0], 2, 3)
    with pytest.raises(ValueError, match="one user, item and rating"):
        bias_baseline(np.array([0, 1]), np.array([0]), [4.0], 2, 3)
    with pytest.raises(ValueError, match="finite"):
        bias_baseline(np.array([0]), np.array([0]), [np.nan], 2, 3)
    with pytest.raises(ValueError, match="reg=-1"):
        bias_baseline(np.array([0]), np.array([0]), [4.0], 2, 3, reg=-1.0)
