"""How each recommendation model learns: the losses, their batches, and early stopping on a ranking.

- `bce`: each positive against `negatives` unseen items drawn afresh in every batch, binary
  cross-entropy (NCF's recipe; `pointwise_batches`);
- `softmax`: each positive against every item of the catalogue (`zoo.models.recommender.full_softmax`),
  or, for a sequence model, each training item predicted from the items before it;
- `in_batch`: each positive against the other positives' items of its batch, with the
  sampling-bias correction (`zoo.models.recommender.in_batch_softmax`);
- ratings: the same architecture with a linear output and a squared loss (`train_rater`).

Every ranking fit stops early on NDCG@10 of the validation items among sampled unseen items
(`ranking_monitor`), the measure the test protocol reports.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from keras_zoo.applications.recommendation.serving import OFFSET

if TYPE_CHECKING:
    from keras_zoo.applications.recommendation.pipeline import RecommendationConfig

# How a model learns from implicit feedback (--loss; the module docstring). softmax is for factorised
# models only; in_batch is the two-tower retrieval recipe, for catalogues too big for `softmax`.
# auto: softmax for mf (on MovieLens-100k it ranked better than bce, README) and sasrec, in_batch
# for two_tower, bce for the NCF models (they do not factorise: every item would need the network).
LOSSES = ("auto", "bce", "softmax", "in_batch")
FACTORISED = ("mf", "two_tower")  # registry families whose score is a dot product (zoo.models.recommender.towers)
# A sequential model learns from windows of each history that overlap by half: every label is read
# with at least max_len / 2 items before it, at twice the cost of disjoint windows (which, on
# MovieLens-100k's validation split, seed 0, 32 windows a step, reached NDCG@10 0.4718, not 0.4922).
WINDOW_STRIDE_DIVISOR = 2
# A window teaches max_len / 2 labels, so a sequential model's batch is batch_size // 8 windows:
# the default 256 is 32 windows of 50 items, 800 labels a step. On MovieLens-100k's validation
# split (seed 0) that beat 10 windows a step (250 labels, as many as an example-per-item batch):
# NDCG@10 0.4922 against 0.4903, in 143 s against 169 s (256 disjoint windows a step, 10 steps an
# epoch, were still learning after 20 epochs: 0.4569 at best).
WINDOW_BATCH_DIVISOR = 8
SEQUENTIAL = ("sasrec",)  # registry families that read a user's history and score every item (next-item softmax)
AUTO_LOSS = {"mf": "softmax", "two_tower": "in_batch"}
NEGATIVES = 4  # sampled unseen items per positive, as in NCF (He et al. 2017 found 3-6 best)
EVAL_NEGATIVES = 99  # the leave-one-out protocol ranks the held-out item among 99 sampled unseen items
IN_BATCH_SIZE = 1024  # in-batch softmax: the other positives of the batch are the negatives, so bigger is better
MONITOR_K = 10
MONITOR = f"val_ndcg@{MONITOR_K}"  # what early stopping follows (see `ranking_monitor`)


def resolve_loss(name: str, loss: str = "auto") -> str:
    """"bce", "softmax" or "in_batch": how model `name` trains on implicit feedback (see LOSSES)."""
    import keras_zoo as zoo

    family = zoo.registry.get_entry(name).family.name
    if family in SEQUENTIAL:
        if loss not in ("auto", "softmax"):
            raise ValueError(f"{name} learns each next item with a softmax over the catalogue: --loss softmax (or "
                             f"auto). Received: --model {name} --loss {loss}")
        return "softmax"
    if loss == "auto":
        return AUTO_LOSS.get(family, "bce")
    if loss != "bce" and family not in FACTORISED:
        raise ValueError(f"--loss {loss} scores users against many items through item vectors; {name} does not "
                         f"factorise into user and item vectors (only {', '.join(FACTORISED)} do): use --loss bce. "
                         f"Received: --model {name} --loss {loss}")
    return loss


def validation_negatives(split, seen_all, *, seed: int) -> np.ndarray:
    """The unseen items each validation item is ranked among: the same for every model and baseline of a run."""
    from keras_zoo.applications.recommendation.metrics import sample_negatives

    return sample_negatives(split.val_users, split.val_items, seen_all, seen_all.shape[1],
                            n=eval_negatives(seen_all), seed=seed + 1)


def eval_negatives(seen_all) -> int:
    """How many sampled unseen items each held-out item is ranked against: 99, or fewer in a catalogue
    so small that some user has not 99 items left unseen (then every user gets that many, all alike)."""
    unseen = seen_all.shape[1] - np.diff(seen_all.indptr).max() - 1 if seen_all.shape[0] else EVAL_NEGATIVES
    if unseen < 1:
        raise ValueError(f"A user has interacted with every item but one ({seen_all.shape[1]} items): there is nothing "
                         f"left to rank a held-out item against.")
    return int(min(EVAL_NEGATIVES, unseen))


def is_sequential(name: str) -> bool:
    import keras_zoo as zoo

    return zoo.registry.get_entry(name).family.name in SEQUENTIAL


def build_net(name: str, inter, *, overrides: dict | None = None, **kwargs):
    """The registry model `name` sized to the data: one embedding row per user and item, plus "unknown".

    A sequential model (`sasrec`) gets one output per item token (padding included) and logits out.
    """
    import keras_zoo as zoo

    if is_sequential(name):
        return zoo.create_model(name, num_classes=inter.n_items + OFFSET, **{"classifier_activation": None,
                                                                           **(overrides or {}), **kwargs})
    return zoo.create_model(name, num_users=inter.n_users + OFFSET, num_items=inter.n_items + OFFSET,
                            **{**(overrides or {}), **kwargs})


def _pairs(users, items) -> np.ndarray:
    """`(n, 2)` int32 network inputs `[user, item]` of user and item numbers (shifted by `OFFSET`)."""
    return np.stack([users, items], 1).astype(np.int32) + OFFSET


def pointwise_batches(users, items, *, n_items: int, negatives: int, positives_keys, batch_size: int, seed: int):
    """Batches of `([user, item] ids, label, weight)`: each positive, then `negatives` random items for its user.

    Negatives are drawn uniformly afresh in every batch of every epoch; a draw that happens to be one
    of the user's training positives gets weight 0 (not a negative), so nothing the user liked is
    taught as disliked.
    """
    import tensorflow as tf

    table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(
        tf.constant(positives_keys, tf.int64), tf.ones(len(positives_keys), tf.float32)), default_value=0.0)
    n = len(users)
    pos = tf.data.Dataset.from_tensor_slices((np.asarray(users, np.int64), np.asarray(items, np.int64)))
    pos = pos.shuffle(n, seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)

    def expand(pair, s):
        u, i = pair
        b = tf.shape(u)[0]
        drawn = tf.random.stateless_uniform((b, negatives), seed=s, minval=0, maxval=n_items, dtype=tf.int64)
        nu, ni = tf.repeat(u, negatives), tf.reshape(drawn, [-1])
        clash = table.lookup(nu * n_items + ni)
        x = tf.concat([tf.stack([u, i], 1), tf.stack([nu, ni], 1)], 0) + OFFSET
        y = tf.concat([tf.ones([b]), tf.zeros([b * negatives])], 0)
        w = tf.concat([tf.ones([b]), 1.0 - clash], 0)
        return tf.cast(x, tf.int32), y, w

    return tf.data.Dataset.zip((pos, seeds)).map(expand).prefetch(tf.data.AUTOTUNE)


def sampled_pairs(users, items, *, n_items: int, negatives: int, seen, seed: int):
    """`(ids, labels)`: each (user, item) positive and `negatives` items the user never interacted with."""
    from keras_zoo.applications.recommendation.metrics import sample_negatives

    neg = sample_negatives(users, items, seen, n_items, n=negatives, seed=seed)
    y = np.concatenate([np.ones(len(users)), np.zeros(neg.size)]).astype(np.float32)
    return _pairs(np.concatenate([users, np.repeat(users, negatives)]), np.concatenate([items, neg.reshape(-1)])), y


def in_batch_batches(users, items, *, batch_size: int, seed: int | None):
    """Batches of `([user, item] ids, range(b))` for the in-batch softmax: the diagonal is the positive."""
    import tensorflow as tf

    x = _pairs(users, items)
    ds = tf.data.Dataset.from_tensor_slices(x)
    if seed is not None:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).map(lambda b: (b, tf.range(tf.shape(b)[0]))).prefetch(tf.data.AUTOTUNE)


def train_ranker(name: str, inter, split, config: RecommendationConfig, output_dir: Path, *,
                 verbose: int | str = "auto"):
    """`(net, fit)`: registry model `name` trained on the split's training rows for ranking."""
    from keras_zoo.applications.common import training
    from keras_zoo.applications.recommendation.sequences import histories, next_item_windows
    from keras_zoo.models.recommender import full_softmax, in_batch_softmax
    from keras_zoo.models.sasrec import all_positions

    training.set_seed(config.train.seed)
    overrides = config.overrides if name == config.model else {}
    net = build_net(name, inter, overrides=overrides)
    if name == "neumf" and config.pretrain_parts:
        net = pretrained_neumf(net, inter, split, config, output_dir, verbose=verbose)
    users, items = inter.users[split.train], inter.items[split.train]
    n = len(users)
    loss = resolve_loss(name, config.loss)
    has_val = len(split.val_users) > 0
    sequential = is_sequential(name)
    max_len = net.input_shape[1] if sequential else None
    watch = {}
    if has_val:
        seen_all = inter.matrix()
        negatives = validation_negatives(split, seen_all, seed=config.train.seed)
        context = histories(inter, split.train, max_len) if sequential else None
        watch = dict(epoch_metrics=[ranking_monitor(net, split.val_users, split.val_items, negatives,
                                                    histories=context)],
                     monitor=MONITOR, mode="max")
    trainer, steps, n_train, recipe = net, None, n, config.train
    if sequential:  # every training item, predicted at its position of a window of the user's history
        stride = max(1, max_len // WINDOW_STRIDE_DIVISOR)
        x, y = next_item_windows(inter, split.train, max_len, stride=stride)
        if config.train.batch_size != "full":
            recipe = dataclasses.replace(recipe, batch_size=max(1, int(config.train.batch_size) // WINDOW_BATCH_DIVISOR))
        y = y[:, -stride:]  # a window's labels are its last `stride` positions: only those are scored
        train = (x, y, (y > 0).astype(np.float32))
        if has_val:  # the validation item after each history, taught at the last position only
            val_y = np.zeros((len(split.val_users), stride), np.int32)
            val_y[:, -1] = split.val_items + OFFSET
            val_w = np.zeros(val_y.shape, np.float32)
            val_w[:, -1] = 1.0
            val = [context[split.val_users], val_y, val_w]
        trainer, fit_loss, n_train = all_positions(net, last=stride), _softmax_loss(), len(x)
    elif loss == "softmax":
        x, val_x = _pairs(users, items), _pairs(split.val_users, split.val_items)
        train, val = (x, x[:, 1]), ([val_x, val_x[:, 1]] if has_val else None)
        trainer, fit_loss = full_softmax(net), _softmax_loss()
    elif loss == "in_batch":
        counts = np.bincount(items, minlength=inter.n_items).astype(np.float64)
        log_q = np.log(np.maximum(counts, 1.0) / counts.sum())
        log_q = np.concatenate([[log_q.min()], log_q]).astype(np.float32)  # row 0: the unknown item
        trainer = in_batch_softmax(net, item_log_probs=log_q)
        batch = max(int(config.train.resolve_batch_size(n)), IN_BATCH_SIZE)
        train = in_batch_batches(users, items, batch_size=batch, seed=config.train.seed)
        val = in_batch_batches(split.val_users, split.val_items, batch_size=batch, seed=None) if has_val else None
        fit_loss, steps = _diagonal_softmax_loss, math.ceil(n / batch)
    else:
        batch = config.train.resolve_batch_size(n)
        keys = users.astype(np.int64) * inter.n_items + items
        train = pointwise_batches(users, items, n_items=inter.n_items, negatives=config.negatives,
                                  positives_keys=keys, batch_size=batch, seed=config.train.seed)
        val = list(sampled_pairs(split.val_users, split.val_items, n_items=inter.n_items, negatives=config.negatives,
                                 seen=seen_all, seed=config.train.seed + 1)) if has_val else None
        fit_loss, steps, n_train = "binary_crossentropy", math.ceil(n / batch), n * (1 + config.negatives)
    fit = training.fit(trainer, train, val, recipe, output_dir, loss=fit_loss, metrics=[], steps_per_epoch=steps,
                       n_train=n_train, verbose=verbose, **watch)
    return net, fit


def pretrained_neumf(neumf, inter, split, config: RecommendationConfig, output_dir: Path, *,
                     verbose: int | str = "auto"):
    """`neumf` initialised from a GMF and an NCF MLP trained first, with the same recipe (He et al. 2017, 3.4.1)."""
    from keras_zoo.models.recommender import neumf_from_parts

    # The registry config is not kept on the model: read the parts' sizes off its layers.
    factors = neumf.get_layer("gmf_user_embedding").output_dim
    layers = [neumf.get_layer("mlp_user_embedding").output_dim * 2]
    k = 1
    while any(layer.name == f"mlp_layer{k}" for layer in neumf.layers):
        layers.append(neumf.get_layer(f"mlp_layer{k}").units)
        k += 1
    parts = {}
    for name, overrides in (("gmf", {"embedding_dim": factors}), ("ncf_mlp", {"mlp_layers": tuple(layers)})):
        folder = Path(output_dir) / "parts" / name
        folder.mkdir(parents=True, exist_ok=True)
        parts_config = dataclasses.replace(config, pretrain_parts=False, loss="bce", overrides=overrides, model=name,
                                           compare=())
        parts[name], _ = train_ranker(name, inter, split, parts_config, folder, verbose=verbose)
    return neumf_from_parts(neumf, parts["gmf"], parts["ncf_mlp"], alpha=0.5)


def ranking_monitor(net, users, items, negatives, *, histories=None):
    """A callback adding `val_hr@10` and `val_ndcg@10` to each epoch's logs: the validation items
    ranked among `negatives` (sampled unseen items), as the test protocol ranks the test items.

    Early stopping follows `val_ndcg@10`, not the validation loss: a softmax or cross-entropy loss
    also rewards calibration, and on MovieLens-100k it bottomed out epochs before the ranking did.

    Args:
        net: a pair-scoring registry network, or (with `histories`) a sequence model whose output
            is one logit per item token.
        histories: for a sequence model, `(n_users, max_len)` item tokens each user's scores come from.
    """
    import keras

    from keras_zoo.applications.recommendation import metrics
    from keras_zoo.applications.recommendation.serving import logit_model

    candidates = np.concatenate([np.asarray(items)[:, None], negatives], axis=1)
    scorer = logit_model(net)
    if histories is None:
        pairs = _pairs(np.repeat(users, candidates.shape[1]), candidates.reshape(-1))

        def candidate_scores():
            return scorer.predict(pairs, batch_size=65536, verbose=0).reshape(candidates.shape)
    else:
        inputs = np.asarray(histories)[users]

        def candidate_scores():
            logits = scorer.predict(inputs, batch_size=1024, verbose=0)
            return np.take_along_axis(logits, candidates + OFFSET, axis=1)

    class RankingMonitor(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            scores = candidate_scores()
            ranks = metrics.ranks(scores[:, 0], scores[:, 1:])
            if logs is not None:
                logs[f"val_hr@{MONITOR_K}"] = metrics.hit_rate(ranks, MONITOR_K)
                logs[f"val_ndcg@{MONITOR_K}"] = metrics.ndcg(ranks, MONITOR_K)

    return RankingMonitor()


def _softmax_loss():
    import keras

    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _diagonal_softmax_loss(y_true, logits):
    """In-batch softmax cross-entropy, each row's positive on the diagonal of its own `(b, b)` logits.

    The labels are taken from the logits' shape, not from `y_true`: under a distribution strategy
    each replica scores its share of the batch against itself, and the batch's labels `range(B)`
    would not fit its `(B / replicas)` rows.
    """
    import keras

    labels = keras.ops.arange(keras.ops.shape(logits)[0])
    return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)


def train_rater(name: str, inter, rsplit, config: RecommendationConfig, output_dir: Path, *,
                verbose: int | str = "auto"):
    """`(net, fit)`: registry model `name` with a linear output trained on ratings (MSE), with the run's recipe."""
    from keras_zoo.applications.common import training

    training.set_seed(config.train.seed)
    net = build_net(name, inter, overrides=config.overrides, classifier_activation=None)

    def xy(rows):
        return _pairs(inter.users[rows], inter.items[rows]), inter.ratings[rows].astype(np.float32)

    x, y = xy(rsplit.train)
    val = list(xy(rsplit.val)) if len(rsplit.val) else None
    fit = training.fit(net, (x, y), val, config.train, output_dir, loss="mse", metrics=["mae"], n_train=len(x),
                       verbose=verbose)
    return net, fit


def predict_ratings(net, inter, rows) -> np.ndarray:
    out = net.predict(_pairs(inter.users[rows], inter.items[rows]), batch_size=65536, verbose=0).reshape(-1)
    return np.clip(out, np.min(inter.ratings), np.max(inter.ratings))


def is_sequential_net(net) -> bool:
    """Whether a trained network (saved by a run) reads item histories rather than [user, item] pairs."""
    return net.name in SEQUENTIAL or (len(net.input_shape) == 2 and net.input_shape[1] != 2)
