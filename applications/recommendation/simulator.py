"""The `sample` source of the recommendation application: a seeded simulator. The data is SYNTHETIC.

No real person's ratings are in it. It stands in for MovieLens where nothing can be downloaded,
and it is built so that a recommender has something real to learn and something real to beat:

- tastes: every item belongs to one of `n_genres` genres ("Action", "Comedy", ...) and has a
  latent vector, its genre's centroid plus noise; every user likes 1 to 3 genres, and has a
  latent vector, a mixture of those genres' centroids plus noise. The affinity of a user for an
  item is the dot product of their vectors.
- popularity skew: items have a Zipf-like popularity (`1 / rank ** popularity_exponent`, ranks
  shuffled), which multiplies the chance of an item being seen at all. Recommending the most
  popular items is therefore a real baseline, and a model of tastes beats it.
- implicit feedback: each user interacts with 20 to 120 items (a log-normal count), drawn without
  replacement with probability proportional to `exp(affinity / temperature) * popularity`
  (Gumbel top-k sampling).
- explicit feedback: a 1-5 star rating per interaction, from the affinity, a user bias (some users
  rate high), an item quality and noise, rounded and clipped to 1..5.
- timestamps: each user's interactions happen at increasing times (epoch seconds in 2021) in a
  random order: the latest item is a draw from the same tastes as the earlier ones, so
  leave-one-out on it measures taste, not an artefact of the order.

Rows are ordered by user, then time (as MovieLens-1M's `ratings.dat` is). Raw ids are strings
(`"u0001"`, `"i0001"`), titles name the genre (`"Sci-Fi #17"`, the number being the item's), and
`notes["synthetic"]` says so. The same arguments give identical arrays.

Example:
    >>> data = simulate()
    >>> len(data), data.n_users, data.n_items
"""

from __future__ import annotations

import numpy as np

from keras_zoo.applications.recommendation.interactions import Interactions

GENRES = ("Action", "Comedy", "Drama", "Sci-Fi", "Romance", "Horror", "Documentary", "Animation")
START = 1_609_459_200  # 2021-01-01T00:00:00Z
YEAR = 365 * 24 * 3600


def simulate(n_users: int = 600, n_items: int = 400, seed: int = 0, *, n_genres: int = 8, dim: int = 16,
             min_per_user: int = 20, max_per_user: int = 120, median_per_user: float = 40.0,
             popularity_exponent: float = 1.3, temperature: float = 0.15, item_noise: float = 0.6,
             user_noise: float = 0.5, rating_noise: float = 0.6) -> Interactions:
    """Simulated users, items, interactions, ratings and timestamps (SYNTHETIC), fixed by `seed`.

    Args:
        n_users: number of users (each gets `min_per_user`..`max_per_user` interactions).
        n_items: number of items; must exceed `max_per_user`.
        seed: the seed of the one `np.random.default_rng` everything is drawn from.
        n_genres: genres in use, the first `n_genres` of `GENRES` (at most `len(GENRES)`).
        dim: latent dimensions of tastes.
        min_per_user, max_per_user, median_per_user: the number of interactions of a user, a
            log-normal draw around the median, clipped.
        popularity_exponent: Zipf exponent of item popularity (0 = all items equally exposed; the
            default 1.3 puts about 1/3 of the interactions on the top 10% of the items).
        temperature: softmax temperature of the choice among items (lower = more taste-driven).
        item_noise, user_noise: how far items and users stray from their genre's centroid and
            their genres' mixture.
        rating_noise: standard deviation of the rating noise, in stars (on the 1-5 scale).

    Returns:
        An `Interactions` with ratings, timestamps, titles and genres, every user and item
        numbered (users `u0001`.. in order, items `i0001`..), rows ordered by user then time.

    Example:
        >>> data = simulate(n_users=100, n_items=200, seed=1)
        >>> data.ratings.min() >= 1 and data.ratings.max() <= 5
        True
    """
    if not 1 <= n_genres <= len(GENRES):
        raise ValueError(f"n_genres must be between 1 and {len(GENRES)}. Received: n_genres={n_genres}")
    if not 1 <= min_per_user <= max_per_user:
        raise ValueError(f"Need 1 <= min_per_user <= max_per_user. Received: min_per_user={min_per_user}, "
                         f"max_per_user={max_per_user}")
    if n_users < 1 or n_items <= max_per_user:
        raise ValueError(f"Need n_users >= 1 and n_items > max_per_user. Received: n_users={n_users}, "
                         f"n_items={n_items}, max_per_user={max_per_user}")
    rng = np.random.default_rng(seed)

    # ## Items: a genre, a latent vector near the genre's centroid, a popularity, a quality
    centroids = rng.normal(size=(n_genres, dim))
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    genre_share = rng.dirichlet(np.full(n_genres, 4.0))  # some genres have more titles than others
    item_genre = rng.choice(n_genres, size=n_items, p=genre_share)
    item_vec = centroids[item_genre] + item_noise * rng.normal(size=(n_items, dim)) / np.sqrt(dim)
    popularity = 1.0 / (rng.permutation(n_items) + 1.0) ** popularity_exponent
    quality = rng.normal(0.0, 0.4, size=n_items)

    # ## Users: 1-3 favourite genres mixed, a bias for the rating scale
    user_vec = np.empty((n_users, dim))
    for u in range(n_users):
        k = rng.integers(1, min(3, n_genres) + 1)
        favourites = rng.choice(n_genres, size=k, replace=False)
        weights = rng.dirichlet(np.full(k, 2.0))
        user_vec[u] = weights @ centroids[favourites]
    user_vec += user_noise * rng.normal(size=(n_users, dim)) / np.sqrt(dim)
    user_bias = rng.normal(0.0, 0.4, size=n_users)

    # ## Implicit feedback: Gumbel top-k = sampling without replacement from the softmax
    affinity = user_vec @ item_vec.T  # (n_users, n_items)
    logits = affinity / temperature + np.log(popularity)[None, :]
    counts = np.exp(rng.normal(np.log(median_per_user), 0.6, size=n_users))
    counts = np.clip(np.round(counts), min_per_user, max_per_user).astype(np.int64)
    keys = logits + rng.gumbel(size=logits.shape)
    order = np.argsort(-keys, axis=1)
    users = np.repeat(np.arange(n_users), counts)
    # the order of consumption is random: a user's items are shuffled before times are given
    items = np.concatenate([rng.permutation(order[u, :counts[u]]) for u in range(n_users)])

    # ## Explicit feedback: affinity (standardised) + user bias + item quality + noise
    a = affinity[users, items]
    a = (a - a.mean()) / (a.std() + 1e-9)
    stars = 3.4 + 0.9 * a + user_bias[users] + quality[items] + rng.normal(0.0, rating_noise, size=len(a))
    ratings = np.clip(np.round(stars), 1, 5).astype(np.float32)

    # ## Timestamps: each user active over a stretch of 2021, interactions at increasing times
    starts = rng.uniform(0, 0.5 * YEAR, size=n_users)
    spans = rng.uniform(0.1, 0.5, size=n_users) * YEAR
    offsets = rng.uniform(0, 1, size=len(users))
    offsets = np.sort(offsets + users) - users  # sorted within each user (users are contiguous)
    position = np.arange(len(users)) - np.repeat(np.cumsum(counts) - counts, counts)  # 0, 1, ... per user
    times = np.floor(START + starts[users] + offsets * spans[users]).astype(np.int64) + position  # strictly increasing

    width = max(4, len(str(max(n_users, n_items))))
    names = np.array(GENRES[:n_genres])
    return Interactions(
        users=users.astype(np.int32), items=items.astype(np.int32), ratings=ratings.astype(np.float32),
        timestamps=times, user_ids=np.array([f"u{u + 1:0{width}d}" for u in range(n_users)]),
        item_ids=np.array([f"i{i + 1:0{width}d}" for i in range(n_items)]),
        item_titles=np.array([f"{names[g]} #{i + 1}" for i, g in enumerate(item_genre)]),
        item_genres=names[item_genre], source="sample",
        notes={"synthetic": "seeded simulator (applications/recommendation/simulator.py)", "seed": seed},
    )
