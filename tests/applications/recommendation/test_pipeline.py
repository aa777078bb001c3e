"""The recommendation pipeline end to end: the simulator, both protocols, ratings, serving, the command line."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_zoo.applications.common.report import prepare_output_dir
from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.recommendation import pipeline
from keras_zoo.applications.recommendation.pipeline import RecommendationConfig
from keras_zoo.applications.recommendation.serving import Catalog, Recommender, top_k
from tests.cli_checks import run_zoo, zoo_here

pytestmark = pytest.mark.slow  # end to end: trains through `zoo` or starts it as a process (make test-fast skips it)

ZOO = Path(sys.executable).parent / "zoo"


def quick(**kwargs):
    train = TrainConfig(**{"epochs": 4, "patience": None, "batch_size": 256, "learning_rate": 3e-3,
                           **kwargs.pop("train", {})})
    return RecommendationConfig(**kwargs, train=train)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """Matrix factorisation on the simulator, with the two-tower model compared on the same split."""
    out = prepare_output_dir(tmp_path_factory.mktemp("runs") / "sample", "recommendation")
    record = pipeline.train_and_evaluate(quick(model="mf", compare=("two_tower",)), out, verbose=False)
    return out, record


def test_learns_the_simulator_and_beats_popularity_on_both_protocols(sample_run):
    _, record = sample_run
    model, popular = record["metrics"], record["baselines"]["popularity"]
    assert model["leave_one_out"]["hr@10"] > popular["leave_one_out"]["hr@10"] + 0.05
    assert model["leave_one_out"]["ndcg@10"] > popular["leave_one_out"]["ndcg@10"]
    assert model["full_ranking"]["recall@10"] > popular["full_ranking"]["recall@10"]
    assert model["full_ranking"]["recall@50"] > popular["full_ranking"]["recall@50"]
    assert model["leave_one_out"]["users"] == record["data"]["test"]
    assert {"item_knn", "pure_svd", "bias_baseline"} <= set(record["baselines"])
    assert set(record["models"]) == {"two_tower"}
    assert record["models"]["two_tower"]["leave_one_out"]["hr@10"] > popular["leave_one_out"]["hr@10"]


def test_ratings_are_predicted_better_than_the_biases_alone_would_miss_by_much(sample_run):
    _, record = sample_run
    rating = record["metrics"]["rating"]
    assert 0 < rating["rmse"] < 1.2 and 0 < rating["mae"] <= rating["rmse"]
    # a learned factor model beats the global mean, and is not far from the biases-only baseline
    assert rating["rmse"] < record["baselines"]["bias_baseline"]["rating"]["rmse"] + 0.1


def test_run_files(sample_run):
    out, record = sample_run
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk["domain"] == "recommendation" and on_disk["model"] == "mf"
    assert on_disk["data"]["train"] + on_disk["data"]["val"] + on_disk["data"]["test"] == on_disk["data"]["interactions"]
    assert {"plots/history.png", "plots/hit_rate_at_k.png", "plots/item_embeddings.png"} <= set(on_disk["plots"])
    for name in ("model.keras", "catalog.npz", "history.csv", "rating/model.keras"):
        assert (out / name).is_file(), name
    for plot in on_disk["plots"]:
        assert (out / plot).read_bytes()[:4] == b"\x89PNG"
    assert not (out / "backup").exists()


def test_serving_excludes_seen_items_and_falls_back_to_popularity(sample_run):
    out, _ = sample_run
    recommender = Recommender.load(out)
    catalog = recommender.catalog
    user = str(catalog.user_ids[3])
    result = recommender.recommend(user, top=10)
    assert result["known"] and result["note"] is None and len(result["items"]) == 10
    seen = set(catalog.item_ids[catalog.seen[3].indices])
    assert not seen & {r["item"] for r in result["items"]}
    scores = [r["score"] for r in result["items"]]
    assert scores == sorted(scores, reverse=True)
    # the index serves exactly what scoring every item gives
    full = recommender.scorer(np.array([3]))
    expected, _ = top_k(full, 10, exclude=catalog.seen[3])
    assert [r["item"] for r in result["items"]] == list(catalog.item_ids[expected[0]])

    cold = recommender.recommend("nobody-knows-me", top=5)
    assert not cold["known"] and "cold start" in cold["note"]
    assert [r["item"] for r in cold["items"]] == list(catalog.item_ids[np.argsort(-catalog.popularity, kind="stable")[:5]])


def test_evaluate_on_the_same_data_repeats_the_runs_scores(sample_run):
    out, record = sample_run
    again = pipeline.evaluate(out, "sample", verbose=False)
    for protocol in ("leave_one_out", "full_ranking"):
        for key, value in record["metrics"][protocol].items():
            assert again[protocol][key] == pytest.approx(value, abs=1e-6), (protocol, key)


def test_catalog_round_trip(tmp_path, sample_run):
    out, _ = sample_run
    catalog = Catalog.load(out / "catalog.npz")
    catalog.save(tmp_path / "c.npz")
    again = Catalog.load(tmp_path / "c.npz")
    assert list(again.item_titles) == list(catalog.item_titles)
    assert (again.seen != catalog.seen).nnz == 0


def test_config_errors():
    with pytest.raises(ValueError, match="needs a model of \\(user, item\\) ids"):
        RecommendationConfig(model="resnet20")
    with pytest.raises(ValueError, match="negatives must be a positive integer"):
        RecommendationConfig(negatives=0)
    with pytest.raises(ValueError, match="ratings must be one of"):
        RecommendationConfig(ratings="maybe")


def write_ratings(path, rows, header="user_id,item_id,rating,timestamp"):
    path.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


def taste_csv(path, n_users=60, n_items=40, seed=0):
    """String ids, two taste groups: each user rates 12 items of their group high, a few others low."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        group = u % 2
        liked = rng.choice(np.arange(group * 20, group * 20 + 20), 12, replace=False)
        other = rng.choice(np.arange((1 - group) * 20, (1 - group) * 20 + 20), 2, replace=False)
        for t, i in enumerate(rng.permutation(np.concatenate([liked, other]))):
            rows.append((f"user-{u}", f"item-{i:03d}", 5 if i in liked else 1, 1000 + t))
    rows.append(("loner", "item-000", 4, 1000))  # a single interaction: trains, is not evaluated
    rows.append(("user-0", rows[0][1], 2, 999))  # a duplicate pair, older: dropped, the later row kept
    return write_ratings(path, rows)


def zoo(*args):
    return subprocess.run([str(ZOO), *args], capture_output=True, text=True, timeout=600)


def test_command_line_train_predict_evaluate_and_bad_input(tmp_path, capsys):
    data = taste_csv(tmp_path / "ratings.csv")
    items = tmp_path / "items.csv"
    items.write_text("item_id,title,genres\n" + "".join(f"item-{i:03d},Film {i},{'Drama' if i < 20 else 'Comedy'}\n"
                                                        for i in range(40)))
    run = tmp_path / "run"
    result = zoo("train", "recommendation", "--data", str(data), "--items", str(items), "--epochs", "2",
                 "--output", str(run))
    assert result.returncode == 0, result.stderr[-2000:]
    for word in ("HR@10", "recall@50 all", "popularity", "item_knn", "pure_svd", "bias_baseline", "RMSE"):
        assert word in result.stdout
    assert "1 users with a single interaction only train" in result.stdout
    assert "1 duplicate (user, item) rows dropped (the latest of each kept)" in result.stdout
    counts = json.loads((run / "metrics.json").read_text())["data"]
    assert counts["single_interaction_users"] == 1 and counts["duplicates_dropped"] == 1 and counts["test"] == 60

    result = zoo_here("predict", "recommendation", "--model-dir", str(run), "--user", "user-0", "--user", "stranger",
                      "--top", "3")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "user user-0" and lines[4].startswith("user stranger: ") and "cold start" in lines[4]
    assert len(lines) == 8 and lines[1].split("\t")[3].startswith("Film ")

    result = zoo_here("evaluate", "recommendation", "--model-dir", str(run), "--data", str(data))
    assert result.returncode == 0 and "HR@10" in result.stdout, result.stderr[-2000:]


    # Bad input, through the same `main` in this process (a new `zoo` process costs seconds of start-up each)
    no_item = write_ratings(tmp_path / "bad.csv", [("a", 5)], header="user_id,rating")
    for args, words in (
        (["train", "recommendation", "--data", str(no_item), "--output", str(tmp_path / "x")], "item"),
        (["train", "recommendation", "--test-data", str(data), "--output", str(tmp_path / "y")],
         "--test-data is not a recommendation option"),
        (["predict", "recommendation", "--model-dir", str(run), "user-0"], "--user ID"),
        (["predict", "recommendation", "--model-dir", str(run), "--user", "user-0", "--top", "0"],
         "--top must be a positive integer"),
        (["train", "recommendation", "--negatives", "0", "--output", str(tmp_path / "z")],
         "negatives must be a positive integer"),
    ):
        status, stderr = run_zoo(args, capsys)
        assert status == 2
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"zoo {args[0]}: error: ") and words in lines[0], lines
    assert not any((tmp_path / name).exists() for name in "xyz")


def test_sasrec_ranks_each_users_next_item_from_their_history_and_serves_it(tmp_path):
    data = taste_csv(tmp_path / "ratings.csv")
    out = prepare_output_dir(tmp_path / "run", "recommendation")
    record = pipeline.train_and_evaluate(quick(model="sasrec", data=str(data), train={"epochs": 2}), out,
                                         verbose=False)
    assert record["model"] == "sasrec" and "rating" not in record["metrics"]  # it predicts items, not ratings
    assert record["protocol"]["sampled_negatives"] < 99  # 40 items: fewer unseen ones than 99, said so
    recommender = Recommender.load(out)
    assert recommender.catalog.histories.shape == (61, 50)
    result = recommender.recommend("user-0", top=5)
    seen = set(recommender.catalog.item_ids[recommender.catalog.seen[recommender.catalog.user_number("user-0")].indices])
    assert result["known"] and len(result["items"]) == 5 and not seen & {r["item"] for r in result["items"]}
    again = pipeline.evaluate(out, str(data), verbose=False)
    assert again["leave_one_out"]["hr@10"] == pytest.approx(record["metrics"]["leave_one_out"]["hr@10"], abs=1e-6)
    with pytest.raises(ValueError, match="predicts the next item, not ratings"):
        quick(model="sasrec", ratings="yes")
    with pytest.raises(ValueError, match="softmax over the catalogue"):
        RecommendationConfig(model="sasrec", loss="bce")


def test_neumf_starts_from_trained_gmf_and_mlp_parts_with_sampled_negatives(tmp_path):
    data = taste_csv(tmp_path / "ratings.csv")
    out = prepare_output_dir(tmp_path / "run", "recommendation")
    config = quick(model="neumf", data=str(data), pretrain_parts=True, ratings="no", train={"epochs": 2})
    assert pipeline.resolve_loss("neumf", config.loss) == "bce"  # NCF's recipe: sampled negatives
    record = pipeline.train_and_evaluate(config, out, verbose=False)
    for part in ("gmf", "ncf_mlp"):  # each part trained first, in its own folder, with its own best checkpoint
        assert (out / "parts" / part / "checkpoints" / "best.keras").is_file()
    assert record["metrics"]["leave_one_out"]["hr@10"] > record["baselines"]["popularity"]["leave_one_out"]["hr@10"]
    with pytest.raises(ValueError, match="needs\n?.*--model neumf"):
        RecommendationConfig(model="mf", pretrain_parts=True)


def test_command_line_flags_reach_the_config():
    from keras_zoo.applications import cli

    args = cli.build_parser().parse_args(
        ["train", "recommendation", "--model", "neumf", "--loss", "bce", "--negatives", "8", "--ratings", "no",
         "--compare", "mf", "two_tower", "--pretrain-parts", "--items", "items.csv"])
    config = pipeline.config_from_args(args, TrainConfig())
    assert (config.model, config.loss, config.negatives, config.ratings) == ("neumf", "bce", 8, "no")
    assert config.compare == ("mf", "two_tower") and config.pretrain_parts and config.items == "items.csv"
    args = cli.build_parser().parse_args(["train", "recommendation", "--model", "neumf", "--loss", "softmax"])
    with pytest.raises(ValueError, match="does not factorise"):
        pipeline.config_from_args(args, TrainConfig())
