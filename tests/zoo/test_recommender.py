"""The recommenders: shapes, pinned sizes, mf learns tastes, towers, in-batch softmax, NeuMF pretraining, errors."""

import numpy as np
import pytest

import keras_zoo as zoo
import keras_zoo.tuning
from tests.model_checks import assert_round_trip, forward_backward
from keras_zoo import registry
from keras_zoo.models.recommender import (
    full_softmax,
    MLP_TOWERS,
    MFConfig,
    NCFMLPConfig,
    NeuMFConfig,
    TwoTowerConfig,
    build_mf,
    in_batch_softmax,
    neumf_from_parts,
    towers,
)

MODELS = ["gmf", "mf", "ncf_mlp", "neumf", "two_tower"]
TINY = dict(num_users=11, num_items=13)  # users 1..10, items 1..12, row 0 the unknown one
TINY_SIZES = {  # small layers, for the tests that do not look at sizes
    "mf": dict(embedding_dim=4),
    "gmf": dict(embedding_dim=4),
    "ncf_mlp": dict(mlp_layers=(8, 6, 4)),
    "neumf": dict(embedding_dim=4, mlp_layers=(8, 6, 4)),
    "two_tower": dict(embedding_dim=8, hidden_units=(8,), output_dim=4),
}


def tiny(name, **overrides):
    return zoo.create_model(name, **{**TINY, **TINY_SIZES[name], **overrides})


def pairs(n, seed=0, num_users=11, num_items=13):
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(1, num_users, n), rng.integers(1, num_items, n)], axis=1).astype("int32")


def randomize(model, seed=0, scale=0.5):
    """Weights large enough that scores differ visibly (the initial ones are near zero)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(scale=scale, size=w.shape).astype("float32") for w in model.get_weights()])
    return model


def test_registered_models():
    pairs = [n for n in zoo.list_models(domain="recommendation") if registry.get_entry(n).input_kind == "ids"]
    assert pairs == MODELS  # (and sasrec, which reads item histories: tests/zoo/test_sasrec.py)
    assert zoo.list_models(family="mf") == ["mf"]
    assert zoo.list_models(family="ncf") == ["gmf", "ncf_mlp", "neumf"]
    assert zoo.list_models(family="two_tower") == ["two_tower"]
    for name in MODELS:
        entry = registry.get_entry(name)
        assert (entry.input_kind, entry.input_shape, entry.num_classes, entry.domains) == (
            "ids", (2,), 1, ("recommendation",)
        )
        assert entry.config.classifier_activation == "sigmoid"
        assert (entry.config.num_users, entry.config.num_items) == (1000, 1000)
        assert entry.config.l2 == (1e-2 if name == "mf" else 0.0)  # mf: the recipe measured on MovieLens-100k
    assert "1708.05031" in registry.get_entry("neumf").reference  # He et al. 2017
    assert "2005.09683" in registry.get_entry("mf").reference  # Rendle et al. 2020


def test_pinned_parameter_counts():
    n = 1000
    params = {
        "mf": 2 * n * 128 + 2 * n + 1,  # factors, user and item biases, the global bias
        "gmf": 2 * n * 8 + 8 + 1,
        "ncf_mlp": 2 * n * 32 + (64 * 32 + 32) + (32 * 16 + 16) + (16 * 8 + 8) + 8 + 1,
        "neumf": 2 * n * 8 + 2 * n * 32 + (64 * 32 + 32) + (32 * 16 + 16) + (16 * 8 + 8) + 16 + 1,
        "two_tower": 2 * (n * 64 + (64 * 64 + 64) + (64 * 32 + 32)),
    }
    assert params == {"mf": 258_001, "gmf": 16_009, "ncf_mlp": 66_753, "neumf": 82_761, "two_tower": 140_480}
    for name, count in params.items():
        assert registry.get_entry(name).params == count
        assert zoo.create_model(name).count_params() == count


LAYERS = {
    "mf": {"user_embedding", "item_embedding", "user_bias", "item_bias", "global_bias", "score"},
    "gmf": {"user_embedding", "item_embedding", "prediction"},
    "ncf_mlp": {"user_embedding", "item_embedding", "mlp_layer1", "mlp_layer2", "prediction"},
    "neumf": {"gmf_user_embedding", "gmf_item_embedding", "mlp_user_embedding", "mlp_item_embedding",
              "mlp_layer1", "mlp_layer2", "prediction"},
    "two_tower": {"user_tower", "item_tower", "score"},
}


@pytest.mark.parametrize("name", MODELS)
def test_shapes_and_layer_names(name):
    model = tiny(name)
    assert model.name == name and model.input_shape == (None, 2)
    names = {layer.name for layer in model.layers}
    assert LAYERS[name] | {"probability"} <= names
    x = pairs(5)
    probs = model.predict(x, verbose=0)
    assert probs.shape == (5, 1) and np.all((probs > 0) & (probs < 1))
    assert model.predict(x.astype("int64"), verbose=0).shape == (5, 1)  # what StringLookup gives
    assert model.get_layer("prediction" if name in ("gmf", "ncf_mlp", "neumf") else "score").output.shape == (None, 1)
    rating = tiny(name, classifier_activation=None)
    assert "probability" not in {layer.name for layer in rating.layers}
    assert rating.output_shape == (None, 1)


def test_two_tower_towers_are_nested_models_of_ids():
    model = tiny("two_tower", normalize=True)
    for side, rows in (("user", 11), ("item", 13)):
        tower = model.get_layer(f"{side}_tower")
        assert tower.input_shape == (None,) and tower.output_shape == (None, 4)
        assert tower.get_layer(f"{side}_embedding").input_dim == rows
        vectors = tower.predict(np.arange(1, 6), verbose=0)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)  # normalize=True


@pytest.mark.parametrize(
    "name, overrides",
    [
        ("mf", dict(l2=1e-4)),
        ("mf", dict(classifier_activation=None)),
        ("gmf", dict(l2=1e-4, classifier_activation=None)),
        ("ncf_mlp", dict(dropout=0.2, mlp_layers=(8,))),  # no hidden layer: the embeddings go to prediction
        ("neumf", dict(dropout=0.2, l2=1e-4)),
        ("two_tower", dict(normalize=True, dropout=0.2, l2=1e-4)),
        ("two_tower", dict(hidden_units=(), classifier_activation=None)),
    ],
)
def test_options_train_and_round_trip(name, overrides, tmp_path):
    import keras

    model = tiny(name, **overrides)
    x = pairs(4)
    if overrides.get("classifier_activation", "sigmoid") is None:
        out = forward_backward(model, x, np.array([[4.0], [1.0], [3.5], [2.0]]), loss=keras.losses.mean_squared_error)
    else:
        out = forward_backward(model, x, np.array([[1.0], [0.0], [1.0], [0.0]]), loss=keras.losses.binary_crossentropy)
    assert out.shape == (4, 1)
    assert (len(model.losses) > 0) == bool(registry.resolve_config(name, overrides).l2)  # the embedding penalty
    names = {layer.name for layer in model.layers}
    if name == "ncf_mlp":
        assert "mlp_dropout1" not in names and "mlp_layer1" not in names
    if name == "neumf":
        assert {"mlp_dropout1", "mlp_dropout2"} <= names
    assert_round_trip(model, x, tmp_path)


def taste_groups(seed=0):
    """30 users, 40 items, two tastes: users 1-15 like some of items 1-20, users 16-30 some of 21-40.

    Each user likes 10 items of their group; one is held out. Returns the training positives, the
    held-out item of each user, and each user's group.
    """
    rng = np.random.default_rng(seed)
    group = {u: int(u > 15) for u in range(1, 31)}
    train, held_out = [], {}
    for u in range(1, 31):
        liked = rng.choice(np.arange(1, 21) + 20 * group[u], size=10, replace=False)
        held_out[u] = int(liked[0])
        train += [(u, int(i)) for i in liked[1:]]
    return np.array(train, dtype="int32"), held_out, group


def with_negatives(positives, num_items, per_positive, seed=0):
    """Implicit feedback: each positive pair and `per_positive` items the user did not interact with, labelled 0."""
    rng = np.random.default_rng(seed)
    seen = {(int(u), int(i)) for u, i in positives}
    rows, labels = [], []
    for u, i in positives:
        rows.append((u, i))
        labels.append(1.0)
        for _ in range(per_positive):
            j = int(rng.integers(1, num_items))
            while (int(u), j) in seen:
                j = int(rng.integers(1, num_items))
            rows.append((u, j))
            labels.append(0.0)
    return np.array(rows, dtype="int32"), np.array(labels, dtype="float32")


def held_out_auc(model, held_out, group):
    """Per user, the fraction of the other group's items (true negatives) scored below the held-out positive."""
    users = np.repeat(np.arange(1, 31), 40)
    items = np.tile(np.arange(1, 41), 30)
    scores = model.predict(np.stack([users, items], axis=1).astype("int32"), verbose=0, batch_size=1200)
    scores = scores.reshape(30, 40)  # row u-1, column i-1
    aucs = []
    for u in range(1, 31):
        other = np.arange(1, 21) + 20 * (1 - group[u])
        aucs.append(np.mean(scores[u - 1, other - 1] < scores[u - 1, held_out[u] - 1]))
    return float(np.mean(aucs))


def test_mf_learns_tastes_from_implicit_feedback():
    import keras

    keras.utils.set_random_seed(0)
    positives, held_out, group = taste_groups()
    x, y = with_negatives(positives, num_items=41, per_positive=4)
    # Without the penalty the factors fit the sampled negatives, among them (for most users) the
    # held-out item itself, and the held-out AUC drops to about 0.85 (0.92 with it).
    model = zoo.create_model("mf", num_users=31, num_items=41, embedding_dim=8, l2=1e-2)
    untrained = held_out_auc(model, held_out, group)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    model.fit(x, y, batch_size=64, epochs=10, shuffle=True, verbose=0)
    # The held-out item was never shown with its user: only the taste the user shares with the
    # rest of the group ranks it above the other group's items.
    assert held_out_auc(model, held_out, group) > 0.9
    assert 0.2 < untrained < 0.8  # the control: a random model guesses


@pytest.mark.parametrize("name, overrides", [("mf", {}), ("two_tower", {}), ("two_tower", dict(normalize=True))])
def test_towers_reproduce_the_scores_up_to_a_constant(name, overrides):
    model = randomize(tiny(name, classifier_activation=None, **overrides))
    user_vectors, item_vectors = towers(model)
    x = pairs(50, seed=1)
    u = user_vectors.predict(x[:, 0], verbose=0)
    v = item_vectors.predict(x[:, 1], verbose=0)
    difference = model.predict(x, verbose=0)[:, 0] - np.sum(u * v, axis=1)
    constant = model.get_layer("global_bias").get_weights()[0][0, 0] if name == "mf" else 0.0
    np.testing.assert_allclose(difference, constant, atol=1e-4)
    if name == "mf":
        assert u.shape == (50, 4 + 2)
        np.testing.assert_array_equal(u[:, 4], 1.0)  # [p_u, 1, b_u] . [q_i, b_i, 1]
        np.testing.assert_array_equal(v[:, 5], 1.0)
    else:  # the model's own towers, not copies
        assert user_vectors is model.get_layer("user_tower") and item_vectors is model.get_layer("item_tower")


@pytest.mark.parametrize("name", ["mf", "two_tower"])
def test_towers_rank_a_users_items_as_the_model_does(name):
    model = randomize(tiny(name), seed=2)  # with its sigmoid: the order is the same
    user_vectors, item_vectors = towers(model)
    items = np.arange(1, 13)
    index = item_vectors.predict(items, verbose=0)  # what a nearest-neighbour index would hold
    for user in (1, 5, 10):
        by_model = model.predict(np.stack([np.full(12, user), items], axis=1).astype("int32"), verbose=0)[:, 0]
        by_towers = index @ user_vectors.predict(np.array([user]), verbose=0)[0]
        np.testing.assert_array_equal(np.argsort(-by_model), np.argsort(-by_towers))


def test_towers_of_models_that_do_not_factorise():
    for name in ("gmf", "ncf_mlp", "neumf"):
        assert towers(tiny(name)) is None
    with pytest.raises(ValueError, match=r"towers\(\) takes a recommender .*Received: model='mlp_small'"):
        towers(zoo.create_model("mlp_small", input_shape=(4,), hidden_units=(2,)))


def test_in_batch_logits_correct_sampling_bias_and_mask_accidental_hits(tmp_path):
    model = randomize(tiny("two_tower"), seed=3)
    log_probs = np.log(np.random.default_rng(0).dirichlet(np.ones(13))).astype("float32")
    trainer = in_batch_softmax(model, item_log_probs=log_probs, temperature=0.5)
    x = np.array([[1, 3], [2, 5], [3, 3], [4, 7], [5, 5]], dtype="int32")  # items 3 and 5 twice: accidental hits
    logits = trainer.predict(x, verbose=0)

    u = model.get_layer("user_tower").predict(x[:, 0], verbose=0)
    v = model.get_layer("item_tower").predict(x[:, 1], verbose=0)
    expected = u @ v.T / 0.5 - log_probs[x[:, 1]][None, :]
    hits = (x[:, 1][:, None] == x[:, 1][None, :]) & ~np.eye(5, dtype=bool)
    assert hits.sum() == 4
    expected[hits] = -1e9
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-4)
    assert trainer.name == "two_tower_in_batch_softmax"
    restored = assert_round_trip(trainer, x, tmp_path)
    np.testing.assert_allclose(restored.get_layer("item_log_prob").get_weights()[0][:, 0], log_probs)


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("name", ["mf", "two_tower"])
def test_in_batch_softmax_trains_the_scoring_model(name):
    import keras

    keras.utils.set_random_seed(0)
    model = tiny(name, num_users=31, num_items=41)
    trainer = in_batch_softmax(model, temperature=0.2)
    scoring = {id(w) for w in model.trainable_weights}
    assert trainer.trainable_weights and all(id(w) in scoring for w in trainer.trainable_weights)
    if name == "two_tower":  # the same variables, all of them
        assert {id(w) for w in trainer.trainable_weights} == scoring

    positives, _, _ = taste_groups()
    x = positives[np.random.default_rng(0).permutation(len(positives))][:256]
    y = np.tile(np.arange(32), len(x) // 32)  # batches of 32 in order: each row's label is its own column
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    trainer.compile(optimizer=keras.optimizers.Adam(0.02), loss=loss)
    before_weights = model.get_layer("user_tower" if name == "two_tower" else "item_embedding").get_weights()
    before = trainer.evaluate(x, y, batch_size=32, verbose=0)
    trainer.fit(x, y, batch_size=32, epochs=8, shuffle=False, verbose=0)
    after = trainer.evaluate(x, y, batch_size=32, verbose=0)
    assert after < before - 0.2, (before, after)
    after_weights = model.get_layer("user_tower" if name == "two_tower" else "item_embedding").get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(before_weights, after_weights))


def test_in_batch_softmax_refuses_what_it_cannot_train():
    with pytest.raises(ValueError, match=r"dot product of a user and an item vector .*Received: model='neumf'"):
        in_batch_softmax(tiny("neumf"))
    model = tiny("mf")
    with pytest.raises(ValueError, match=r"Received: temperature=0"):
        in_batch_softmax(model, temperature=0)
    with pytest.raises(ValueError, match=r"shape \(13,\).*Received: item_log_probs of shape \(12,\)"):
        in_batch_softmax(model, item_log_probs=np.zeros(12))
    with pytest.raises(ValueError, match=r"smooth zero counts.*non-finite"):
        in_batch_softmax(model, item_log_probs=np.array([-np.inf] + [-2.5] * 12))  # item 0 never seen: log(0)


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
@pytest.mark.parametrize("name", ["mf", "two_tower"])
def test_full_softmax_scores_every_item_and_trains_the_scoring_model(name, tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    model = randomize(tiny(name, num_users=31, num_items=41), seed=1, scale=0.3)
    trainer = full_softmax(model)
    x = pairs(6, num_users=31, num_items=41)
    logits = trainer.predict(x, verbose=0)
    assert logits.shape == (6, 41)  # every item number, the unknown row 0 included
    user_vectors, item_vectors = towers(model)
    expected = user_vectors.predict(x[:, 0], verbose=0) @ item_vectors.predict(np.arange(41), verbose=0).T
    np.testing.assert_allclose(logits, expected, rtol=1e-4, atol=1e-4)
    assert_round_trip(trainer, x, tmp_path)  # ItemRange is a registered layer: the trainer saves too

    positives, _, _ = taste_groups()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    trainer.compile(optimizer=keras.optimizers.Adam(0.02), loss=loss)
    before = trainer.evaluate(positives, positives[:, 1], verbose=0)
    trainer.fit(positives, positives[:, 1], batch_size=32, epochs=5, verbose=0)
    assert trainer.evaluate(positives, positives[:, 1], verbose=0) < before - 0.3
    np.testing.assert_allclose(trainer.predict(x, verbose=0),  # the scoring model learned the same
                               user_vectors.predict(x[:, 0], verbose=0)
                               @ item_vectors.predict(np.arange(41), verbose=0).T, rtol=1e-4, atol=1e-4)


def test_full_softmax_refuses_a_model_that_does_not_factorise():
    with pytest.raises(ValueError, match=r"full_softmax needs .*Received: model='gmf'"):
        full_softmax(tiny("gmf"))


def ncf_parts(**overrides):
    sizes = dict(TINY, classifier_activation=None)
    gmf = randomize(zoo.create_model("gmf", **sizes, embedding_dim=4), seed=4)
    mlp = randomize(zoo.create_model("ncf_mlp", **sizes, mlp_layers=(8, 6, 4)), seed=5)
    neumf = zoo.create_model("neumf", **{**sizes, "embedding_dim": 4, "mlp_layers": (8, 6, 4), **overrides})
    return neumf, gmf, mlp


@pytest.mark.parametrize("alpha", [0.5, 0.3, 1.0])
def test_neumf_from_parts_scores_as_the_weighted_parts(alpha):
    neumf, gmf, mlp = ncf_parts()
    assert neumf_from_parts(neumf, gmf, mlp, alpha=alpha) is neumf
    x = pairs(20, seed=6)
    expected = alpha * gmf.predict(x, verbose=0) + (1 - alpha) * mlp.predict(x, verbose=0)
    np.testing.assert_allclose(neumf.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    for side in ("user", "item"):
        np.testing.assert_array_equal(neumf.get_layer(f"gmf_{side}_embedding").get_weights()[0],
                                      gmf.get_layer(f"{side}_embedding").get_weights()[0])
        np.testing.assert_array_equal(neumf.get_layer(f"mlp_{side}_embedding").get_weights()[0],
                                      mlp.get_layer(f"{side}_embedding").get_weights()[0])
    kernel, bias = neumf.get_layer("prediction").get_weights()
    h_gmf, b_gmf = gmf.get_layer("prediction").get_weights()
    h_mlp, b_mlp = mlp.get_layer("prediction").get_weights()
    np.testing.assert_allclose(kernel, np.concatenate([alpha * h_gmf, (1 - alpha) * h_mlp]), rtol=1e-6)
    np.testing.assert_allclose(bias, alpha * b_gmf + (1 - alpha) * b_mlp, rtol=1e-6)


def test_neumf_from_parts_names_the_mismatching_layer():
    neumf, gmf, mlp = ncf_parts(embedding_dim=8)
    before = [w.copy() for w in neumf.get_weights()]
    with pytest.raises(ValueError, match=r"gmf layer 'user_embedding' has weights of shapes \[\(11, 4\)\], "
                                         r"but neumf layer 'gmf_user_embedding' needs \[\(11, 8\)\]"):
        neumf_from_parts(neumf, gmf, mlp)
    assert all(np.array_equal(a, b) for a, b in zip(before, neumf.get_weights()))  # nothing half-copied
    neumf, gmf, mlp = ncf_parts(mlp_layers=(8, 6))
    with pytest.raises(ValueError, match=r"mlp model has hidden layers \['mlp_layer1', 'mlp_layer2'\], "
                                         r"the neumf \['mlp_layer1'\]"):
        neumf_from_parts(neumf, gmf, mlp)
    neumf, gmf, mlp = ncf_parts(mlp_layers=(8, 6, 5))
    with pytest.raises(ValueError, match=r"mlp layer 'mlp_layer2' .* "
                                         r"neumf layer 'mlp_layer2' needs \[\(6, 5\), \(5,\)\]"):
        neumf_from_parts(neumf, gmf, mlp)
    neumf, gmf, mlp = ncf_parts()
    with pytest.raises(ValueError, match=r"the gmf model 'two_tower' has no layer 'user_embedding'"):
        neumf_from_parts(neumf, tiny("two_tower"), mlp)
    with pytest.raises(ValueError, match=r"Received: alpha=1.5"):
        neumf_from_parts(neumf, gmf, mlp, alpha=1.5)


def test_a_recommender_scores_one_pair():
    with pytest.raises(ValueError, match=r"a recommender scores one \(user, item\) pair: num_classes must be 1\. "
                                         r"Received: num_classes=3"):
        zoo.create_model("mf", num_classes=3)
    with pytest.raises(ValueError, match=r"mf: A recommender takes \(2,\) ids.*Received: input_shape=\(3,\)"):
        zoo.create_model("mf", input_shape=(3,))
    with pytest.raises(ValueError, match=r"two_tower takes ids inputs of shape \(2,\) of \[user, item\] ids, e\.g\. "
                                         r"\(2,\)\. Received: input_shape=\(2, 1\)"):
        zoo.create_model("two_tower", input_shape=(2, 1))
    with pytest.raises(ValueError, match=r"Received: input_shape=\(3,\)"):
        build_mf(MFConfig(), input_shape=(3,), num_classes=1, name="bad")


@pytest.mark.parametrize(
    "config, field, value, match",
    [
        (MFConfig, "embedding_dim", -4, r"embedding_dim must be a positive int\. Received: embedding_dim=-4"),
        (MFConfig, "classifier_activation", "softmax",
         r"classifier_activation must be one of \('sigmoid', None\)\. Received: classifier_activation='softmax'"),
        (MFConfig, "num_users", 0, r"Received: num_users=0"),
        (MFConfig, "num_items", 2.0, r"Received: num_items=2\.0"),
        (MFConfig, "l2", -0.1, r"l2 must be a number in \[0\.0, inf\]\. Received: l2=-0\.1"),
        (NCFMLPConfig, "mlp_layers", (63, 32), r"must be even\. Received: mlp_layers=\(63, 32\)"),
        (NCFMLPConfig, "mlp_layers", (), r"Received: mlp_layers=\(\)"),
        (NCFMLPConfig, "dropout", 1.0, r"Received: dropout=1\.0"),
        (NeuMFConfig, "embedding_dim", 0, r"Received: embedding_dim=0"),
        (TwoTowerConfig, "normalize", "yes", r"normalize must be True or False\. Received: normalize='yes'"),
        (TwoTowerConfig, "hidden_units", (64, 0), r"Received: hidden_units=\(64, 0\)"),
        (TwoTowerConfig, "output_dim", 0, r"Received: output_dim=0"),
    ],
)
def test_invalid_fields_are_rejected(config, field, value, match):
    with pytest.raises(ValueError, match=match + "$"):
        config(**{field: value})
    name = {MFConfig: "mf", NCFMLPConfig: "ncf_mlp", NeuMFConfig: "neumf", TwoTowerConfig: "two_tower"}[config]
    with pytest.raises(ValueError, match=match):
        zoo.create_model(name, **{field: value})


@pytest.mark.parametrize("name", MODELS)
def test_hypermodel_builds_a_compiled_recommender(name):
    import keras
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    model = zoo.tuning.hypermodel(name, num_users=21, num_items=31).build(hp)
    assert model.name == name and model.output_shape == (None, 1)
    assert isinstance(model.loss, keras.losses.BinaryCrossentropy)  # the sigmoid's loss
    assert {"l2", "learning_rate"} <= set(hp.values)
    if name == "ncf_mlp":
        width = MLP_TOWERS[hp.values["mlp_layers"]][0] // 2
        assert model.get_layer("user_embedding").output_dim == width
    else:
        embedding = {"neumf": "gmf_user_embedding"}.get(name, "user_embedding")
        layer = model.get_layer("user_tower") if name == "two_tower" else model
        assert layer.get_layer(embedding).output_dim == hp.values["embedding_dim"]
    if name == "mf":  # one step of training, as a trial would
        x = pairs(16, num_users=21, num_items=31)
        history = model.fit(x, np.arange(16) % 2, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
