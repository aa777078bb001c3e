"""The recommendation pipeline: a registry recommender ranked against classical baselines, two ways.

`train_and_evaluate(config, output_dir)` is the whole run:

1. interactions in (the simulator, a CSV file, `tfds:movielens/...`), split leave-one-out: each
   user's latest interaction is the test item, the one before it the validation item (early
   stopping), the rest trains; users with a single interaction only train, and are counted;
2. the registry model trained on implicit feedback (`trainers`): a softmax over the catalogue
   (mf; sasrec, predicting each next item from the ones before), binary cross-entropy against
   sampled unseen items (the NCF models, He et al. 2017), or a softmax over the other items of
   the batch with the sampling-bias correction of Yi et al. 2019 (the two-tower model), stopped
   early on the validation items' NDCG@10;
3. the model and the baselines (most popular, item-kNN, PureSVD) measured on the same split by the
   two protocols: (a) the held-out item among 99 sampled unseen items, HR@10 and NDCG@10 (He et
   al. 2017); (b) among all unseen items, recall@10/@50 and NDCG@10 (Krichene and Rendle 2020);
4. with ratings, the same architecture trained on a random 70/10/20 split of them (MSE), its RMSE and
   MAE beside a biases-only baseline;
5. the run's files: `metrics.json`, `model.keras` (the ranking network), `rating/model.keras`,
   `catalog.npz` (raw ids, titles, who saw what: what `zoo predict` needs), `history.csv`, plots.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from keras_zoo.applications.common.training import TrainConfig
from keras_zoo.applications.recommendation.domain import DEFAULT_TRAIN, TOP
from keras_zoo.applications.recommendation.trainers import (
    EVAL_NEGATIVES,
    LOSSES,
    MONITOR_K,
    NEGATIVES,
    SEQUENTIAL,
    eval_negatives,
    is_sequential,
    is_sequential_net,
    predict_ratings,
    resolve_loss,
    train_ranker,
    train_rater,
    validation_negatives,
)

DOMAIN = "recommendation"
DEFAULT_MODEL = "mf"
DEMO_MODELS = ("mf", "neumf", "two_tower")  # the demo trains the default and compares these on the same split
KS = (10,)  # leave-one-out cut-offs
FULL_KS = (10, 50)  # full-ranking recall cut-offs
CURVE_K = 50  # HR@K / recall@K curves drawn for K = 1..50
RATINGS = ("auto", "yes", "no")
# Counts a run prints when they are not zero (`Interactions.notes`): nothing is dropped unsaid.
NOTED = {"duplicates_dropped": "duplicate (user, item) rows dropped (the latest of each kept)",
         "items_without_title": "items without a title in --items"}


@dataclass
class RecommendationConfig:
    """One recommendation run. The command line fills it from `zoo train recommendation ...`."""

    model: str = DEFAULT_MODEL
    data: str = "sample"  # sample | tfds:movielens/... | a CSV of user_id,item_id[,rating][,timestamp]
    items: str | None = None  # a CSV of item_id,title[,genres] for display
    compare: tuple[str, ...] = ()  # more registry models trained and measured on the same split
    loss: str = "auto"  # one of LOSSES
    negatives: int = NEGATIVES  # for loss "bce"
    pretrain_parts: bool = False  # neumf: start from a trained GMF and NCF MLP (He et al. 2017, 3.4.1)
    ratings: str = "auto"  # "auto": predict ratings when the data has them
    overrides: dict = field(default_factory=dict)  # model config overrides, as `zoo.create_model` takes
    max_examples: int | None = None  # cap the interactions read, for quick runs
    train: TrainConfig = field(default_factory=lambda: TrainConfig(**DEFAULT_TRAIN))

    def __post_init__(self) -> None:
        if isinstance(self.negatives, bool) or not isinstance(self.negatives, int) or self.negatives < 1:
            raise ValueError(f"negatives must be a positive integer. Received: negatives={self.negatives!r}")
        if self.ratings not in RATINGS:
            raise ValueError(f"ratings must be one of {RATINGS}. Received: ratings={self.ratings!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}. Received: loss={self.loss!r}")
        if self.pretrain_parts and "neumf" not in (self.model, *self.compare):
            raise ValueError("pretrain_parts (--pretrain-parts) initialises NeuMF from a trained GMF and NCF MLP; "
                             f"it needs --model neumf (or neumf in --compare). Received: --model {self.model}")
        self.compare = tuple(m for m in self.compare if m != self.model)
        for name in (self.model, *self.compare):
            check_recommendation_model(name)
            resolve_loss(name, self.loss)
        if self.ratings == "yes" and is_sequential(self.model):
            raise ValueError(f"{self.model} predicts the next item, not ratings: --ratings yes needs a model of "
                             f"(user, item) pairs (mf, gmf, ncf_mlp, neumf, two_tower). Received: --model {self.model}")


def check_recommendation_model(name: str) -> None:
    """A registry model that scores (user, item) pairs or reads item histories (`zoo list --domain recommendation`)."""
    import keras_zoo as zoo

    entry = zoo.registry.get_entry(name)
    if entry.input_kind != "ids" and entry.family.name not in SEQUENTIAL:
        models = ", ".join(zoo.list_models(domain=DOMAIN))
        raise ValueError(f"{name} takes {entry.input_kind} inputs; the recommendation application needs a model "
                         f"of (user, item) ids: {models}. Received: --model {name}")


def measure(scorer, split, seen_eval, negatives) -> tuple[dict, dict]:
    """`(metrics, curves)` of a scorer on both protocols; curves are HR@1..CURVE_K for the plots."""
    from keras_zoo.applications.recommendation import metrics as m

    loo_ranks = m.leave_one_out_ranks(scorer, split.test_users, split.test_items, negatives)
    full_ranks = m.full_ranking_ranks(scorer, split.test_users, split.test_items, seen_eval)
    loo = {**{f"hr@{k}": m.hit_rate(loo_ranks, k) for k in KS}, **{f"ndcg@{k}": m.ndcg(loo_ranks, k) for k in KS}}
    full = {**{f"recall@{k}": m.hit_rate(full_ranks, k) for k in FULL_KS}, "ndcg@10": m.ndcg(full_ranks, 10)}
    n = len(split.test_users)
    curves = {"leave_one_out": m.hit_curve(loo_ranks, CURVE_K), "full_ranking": m.hit_curve(full_ranks, CURVE_K)}
    return {"leave_one_out": {**loo, "users": n}, "full_ranking": {**full, "users": n}}, curves


def train_and_evaluate(config: RecommendationConfig, output_dir: Path, *, verbose: bool = True) -> dict:
    """The whole run; returns the `metrics.json` record. `output_dir` comes from `prepare_output_dir`."""
    from keras_zoo.applications.common import report, training
    from keras_zoo.applications.common.runs import save_model
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.recommendation.data import load_interactions
    from keras_zoo.applications.recommendation.serving import CATALOG_FILE, Catalog
    from keras_zoo.applications.recommendation.splits import leave_one_out

    say = report.print_if(verbose)
    training.set_seed(config.train.seed)
    inter = load_interactions(parse_source(config.data), items=config.items, max_examples=config.max_examples)
    split = leave_one_out(inter)
    if not len(split.test_users):
        raise ValueError(f"{inter.source}: no user has two interactions, so none can be held out for testing.")
    say(f"Data {inter.source}: {len(inter):,} interactions, {inter.n_users:,} users, {inter.n_items:,} items; "
        f"leave-one-out: {len(split.train):,} train, {len(split.val_users):,} validation, "
        f"{len(split.test_users):,} test users"
        + (f"; {split.single_users} users with a single interaction only train" if split.single_users else "")
        + "".join(f"; {inter.notes[k]} {text}" for k, text in NOTED.items() if inter.notes.get(k)))

    train_rows = np.asarray(split.train)
    seen_all, seen_eval, negatives = _held_out(inter, split, config.train.seed, say)
    n_negatives = negatives.shape[1]

    # ## The models, each on the same split
    results, curves, nets, fits = _train_models(config, inter, split, seen_eval, negatives, output_dir, verbose)

    # ## The baselines, fitted on the same training rows, their hyperparameter chosen on the same validation items
    train_matrix = inter.matrix(train_rows)
    base = {}
    for fitted, chosen in fit_baselines(train_matrix, split, seen_all, seed=config.train.seed):
        base[fitted.name], curves[fitted.name] = measure(fitted, split, seen_eval, negatives)
        base[fitted.name].update(fit_s=fitted.fit_s, **chosen)
        say(f"{fitted.name}{''.join(f' ({k} {v})' for k, v in chosen.items() if k != 'val_ndcg@10')}: "
            + _line(base[fitted.name]))

    # ## Ratings: the same architecture on a random 70/10/20 split of them (train, validation, test)
    rating_metrics, rating_fit = _ratings(config, inter, output_dir, base, verbose)

    main_net, fit = nets[config.model][0], fits[config.model]
    save_model(main_net, output_dir)
    catalog = Catalog.from_interactions(inter, train_rows)
    if is_sequential(config.model):  # what `zoo predict` ranks a user's next item from: everything they did
        from keras_zoo.applications.recommendation.sequences import histories

        catalog.histories = histories(inter, None, main_net.input_shape[1])
    catalog.save(output_dir / CATALOG_FILE)
    report.write_history_csv(output_dir, fit.history)
    plot_paths = _plots(config, inter, train_rows, nets[config.model], curves, tuple(base),
                        [fit] if rating_fit is None else [fit, rating_fit], output_dir)

    metrics = {k: v for k, v in results[config.model].items() if k not in ("train_s", "epochs_run")}
    if rating_metrics is not None:
        metrics["rating"] = {k: v for k, v in rating_metrics.items() if k != "train_s"}
    record = {
        "domain": DOMAIN, "model": config.model, "pretrained": None,
        "data": {
            "source": inter.source, "train": int(len(split.train)), "val": int(len(split.val_users)),
            "test": int(len(split.test_users)), "classes": [], "interactions": len(inter), "users": inter.n_users,
            "items": inter.n_items, "single_interaction_users": int(split.single_users),
            "ratings": inter.ratings is not None, "timestamps": inter.timestamps is not None, **inter.notes,
        },
        "metrics": metrics, "baselines": base,
        "timing": {"train_s": fit.train_s, "train_examples_per_s": fit.examples_per_s,
                   **({"rating_train_s": rating_fit.train_s} if rating_fit is not None else {})},
    }
    report.write_metrics(
        output_dir, **record, models={k: v for k, v in results.items() if k != config.model},
        protocol={"leave_one_out": f"latest interaction per user against {n_negatives} sampled unseen items",
                  "sampled_negatives": n_negatives,
                  "full_ranking": "latest interaction per user against every item unseen in training and validation",
                  "negatives_per_positive": config.negatives},
        epochs_run=fit.epochs_run, config=dataclasses.asdict(config), seed=config.train.seed,
        plots=[str(p.relative_to(output_dir)) for p in plot_paths],
    )
    say(f"{config.model}: " + _line(results[config.model]))
    return report.read_metrics(output_dir)


def _held_out(inter, split, seed: int, say, most: int = EVAL_NEGATIVES):
    """`(seen, seen in training and validation, negatives)`: the interaction matrices the ranking
    protocols mask with, and the unseen items (`most` of them) each held-out item is ranked among."""
    from keras_zoo.applications.recommendation.metrics import sample_negatives

    seen_all = inter.matrix()
    seen_eval = seen_all - inter.matrix(split.test_rows)  # train + val
    n_negatives = min(most, eval_negatives(seen_all))
    if n_negatives < min(most, EVAL_NEGATIVES):
        say(f"The catalogue is small: each held-out item is ranked among {n_negatives} sampled unseen items, not "
            f"{EVAL_NEGATIVES} (some user has seen all but {n_negatives + 1} of the {inter.n_items} items).")
    return seen_all, seen_eval, sample_negatives(split.test_users, split.test_items, seen_all, inter.n_items,
                                                 n=n_negatives, seed=seed)


def _train_models(config, inter, split, seen_eval, negatives, output_dir: Path, verbose: bool):
    """`config.model` and each of `config.compare`, trained and measured on the same split."""
    results, curves, nets, fits = {}, {}, {}, {}
    for k, name in enumerate((config.model, *config.compare)):
        folder = output_dir if k == 0 else output_dir / "compare" / name
        folder.mkdir(parents=True, exist_ok=True)
        net, fit = train_ranker(name, inter, split, config, folder, verbose="auto" if verbose else 0)
        scorer = make_scorer(net, inter, split)
        results[name], curves[name] = measure(scorer, split, seen_eval, negatives)
        results[name].update(train_s=fit.train_s, epochs_run=fit.epochs_run)
        nets[name], fits[name] = (net, scorer), fit
        if verbose:
            print(f"{name}: {net.count_params():,} parameters, {fit.epochs_run} epochs in {fit.train_s:.1f} s; "
                  + _line(results[name]), flush=True)
    return results, curves, nets, fits


def _ratings(config, inter, output_dir: Path, base: dict, verbose: bool):
    """`(metrics, fit)` of the model's rating twin on a random 70/10/20 split, and the bias baseline
    added to `base`; `(None, None)` where no ratings are asked for or the model ranks sequences."""
    from keras_zoo.applications.common.report import print_if
    from keras_zoo.applications.common.runs import save_model
    from keras_zoo.applications.recommendation import baselines
    from keras_zoo.applications.recommendation.metrics import rating_errors
    from keras_zoo.applications.recommendation.splits import rating_split

    say = print_if(verbose)
    wants_ratings = config.ratings == "yes" or (config.ratings == "auto" and inter.ratings is not None)
    if wants_ratings and is_sequential(config.model):
        say(f"{config.model} predicts the next item, not ratings: no rating model.")
        return None, None
    if not wants_ratings:
        return None, None
    if inter.ratings is None:
        raise ValueError(f"--ratings yes needs a rating column; {inter.source} has none.")
    rsplit = rating_split(inter, seed=config.train.seed)
    rater, rating_fit = train_rater(config.model, inter, rsplit, config, output_dir / "rating",
                                    verbose="auto" if verbose else 0)
    rating_metrics = rating_errors(inter.ratings[rsplit.test], predict_ratings(rater, inter, rsplit.test))
    rating_metrics["train_s"] = rating_fit.train_s
    biases = baselines.bias_baseline(inter.users[rsplit.train], inter.items[rsplit.train],
                                     inter.ratings[rsplit.train], inter.n_users, inter.n_items)
    base["bias_baseline"] = {"rating": rating_errors(inter.ratings[rsplit.test],
                                                     biases(inter.users[rsplit.test], inter.items[rsplit.test])),
                             "fit_s": biases.fit_s}
    save_model(rater, output_dir / "rating")
    say(f"Ratings ({len(rsplit.train):,} train, {len(rsplit.test):,} test): {config.model} RMSE "
        f"{rating_metrics['rmse']:.4f}, MAE {rating_metrics['mae']:.4f}; bias_baseline RMSE "
        f"{base['bias_baseline']['rating']['rmse']:.4f}")
    return rating_metrics, rating_fit


def _plots(config, inter, train_rows, trained, curves, dashed, fits, output_dir: Path) -> list[Path]:
    """The training history (and the rating model's), HR@K curves and the item vectors' map."""
    from keras_zoo.applications.common import plotting
    from keras_zoo.applications.recommendation import plots

    paths = [plotting.plot_history(fits[0].history, output_dir),
             plotting.save_figure(plots.curves_figure(curves, dashed=dashed), output_dir, "hit_rate_at_k")]
    if len(fits) > 1:
        paths.append(plotting.plot_history(fits[1].history, output_dir, name="history_ratings"))
    net, scorer = trained
    vectors = scorer.item_vectors()
    if vectors is None:
        vectors = _embedding_weights(net)
    if vectors is not None:
        popularity = np.bincount(inter.items[train_rows], minlength=inter.n_items)
        paths.append(plotting.save_figure(
            plots.embedding_map(vectors, genres=inter.item_genres, popularity=popularity,
                                title=f"{config.model}: item vectors (PCA)"), output_dir, "item_embeddings"))
    return paths


# Each baseline's one hyperparameter is chosen among these by NDCG@10 of the validation items (the
# items early stopping ranks), so that the model is not compared with a baseline left untuned:
# Rendle et al. 2020 show how much a tuned classical baseline can take back.
BASELINE_GRIDS = {"item_knn": ("k", (20, 50, 100, 200)), "pure_svd": ("factors", (10, 20, 50, 100)),
                  "ease": ("reg", (10.0, 50.0, 200.0, 500.0))}


def fit_baselines(train_matrix, split, seen_all, *, seed: int = 0):
    """`[(fitted baseline, {hyperparameter: value, "val_ndcg@10": score}), ...]`: popularity, item-kNN,
    PureSVD and EASE (left out above `baselines.EASE_MAX_ITEMS` items)."""
    from keras_zoo.applications.recommendation import baselines, metrics

    result = [(baselines.popularity(train_matrix), {})]
    if len(split.val_users):
        negatives = validation_negatives(split, seen_all, seed=seed)
    for name, (key, grid) in BASELINE_GRIDS.items():
        if name == "ease" and train_matrix.shape[1] > baselines.EASE_MAX_ITEMS:
            continue
        make = getattr(baselines, name)
        kwargs = {"seed": seed} if name == "pure_svd" else {}
        grid = [v for v in grid if name != "pure_svd" or v < min(train_matrix.shape)] or [1]
        if not len(split.val_users) or len(grid) == 1:
            result.append((make(train_matrix, **{key: grid[0]}, **kwargs), {key: grid[0]}))
            continue
        best = None
        for value in grid:
            fitted = make(train_matrix, **{key: value}, **kwargs)
            ranks = metrics.leave_one_out_ranks(fitted, split.val_users, split.val_items, negatives)
            score = metrics.ndcg(ranks, MONITOR_K)
            if best is None or score > best[1]:
                best = (fitted, score, value)
        result.append((best[0], {key: best[2], "val_ndcg@10": best[1]}))
    return result


def make_scorer(net, inter, split):
    """The scorer of a trained network on `split`: a sequence model reads each user's training and
    validation items (everything before the test item); the others score (user, item) pairs."""
    from keras_zoo.applications.recommendation.sequences import SequenceScorer, histories
    from keras_zoo.applications.recommendation.serving import Scorer

    if is_sequential_net(net):
        rows = np.concatenate([split.train, split.val_rows]) if split.val_rows is not None else split.train
        return SequenceScorer(net, histories(inter, rows, net.input_shape[1]), inter.n_items)
    return Scorer(net, inter.n_items)


def _embedding_weights(net) -> np.ndarray | None:
    """The item embedding table (without the unknown row) of a network that is not factorised."""
    for layer_name in ("item_embedding", "mlp_item_embedding", "gmf_item_embedding"):
        try:
            return np.asarray(net.get_layer(layer_name).get_weights()[0])[1:]
        except ValueError:
            continue
    return None


def _line(result: dict) -> str:
    loo, full = result["leave_one_out"], result["full_ranking"]
    return (f"HR@10 {loo['hr@10']:.4f}, NDCG@10 {loo['ndcg@10']:.4f} (99 sampled); recall@10 {full['recall@10']:.4f}, "
            f"recall@50 {full['recall@50']:.4f}, NDCG@10 {full['ndcg@10']:.4f} (all items)")


def summary_table(record: dict) -> tuple[list[str], list[list[str]]]:
    """`(header, rows)`: the model, the compared models and the baselines on both protocols (and ratings)."""
    header = ["method", "HR@10", "NDCG@10", "recall@10 all", "recall@50 all", "NDCG@10 all", "RMSE", "train s"]

    def row(name, r, seconds):
        loo, full, rating = r.get("leave_one_out", {}), r.get("full_ranking", {}), r.get("rating", {})
        cells = [loo.get("hr@10"), loo.get("ndcg@10"), full.get("recall@10"), full.get("recall@50"),
                 full.get("ndcg@10"), rating.get("rmse")]
        return [name, *("-" if v is None else f"{v:.4f}" for v in cells), "-" if seconds is None else f"{seconds:.1f}"]

    rows = [row(record["model"], record["metrics"], record["timing"]["train_s"])]
    rows += [row(name, r, r.get("train_s")) for name, r in record.get("models", {}).items()]
    rows += [row(name, r, r.get("fit_s")) for name, r in record.get("baselines", {}).items()]
    return header, rows


def evaluate(model_dir: str | Path, data: str, *, verbose: bool = True) -> dict:
    """Both protocols on `data`'s leave-one-out test items, for the users and items the run knows."""
    from keras_zoo.applications.common.runs import load_run
    from keras_zoo.applications.common.sources import parse_source
    from keras_zoo.applications.recommendation.data import load_interactions
    from keras_zoo.applications.recommendation.serving import CATALOG_FILE, Catalog
    from keras_zoo.applications.recommendation.splits import leave_one_out

    net, record = load_run(model_dir, DOMAIN)
    catalog = Catalog.load(Path(model_dir) / CATALOG_FILE)
    inter = load_interactions(parse_source(data))
    users = _renumber(inter.user_ids, catalog.user_ids)[inter.users]
    items = _renumber(inter.item_ids, catalog.item_ids)[inter.items]
    known = (users >= 0) & (items >= 0)
    dropped = int(np.sum(~known))
    mapped = dataclasses.replace(inter, users=users[known], items=items[known],
                                 ratings=None if inter.ratings is None else inter.ratings[known],
                                 timestamps=None if inter.timestamps is None else inter.timestamps[known],
                                 user_ids=catalog.user_ids, item_ids=catalog.item_ids, item_titles=None,
                                 item_genres=None)
    split = leave_one_out(mapped)
    if not len(split.test_users):
        raise ValueError(f"{data}: no user known to the run has two interactions to hold one out.")
    _, seen_eval, negatives = _held_out(mapped, split, int(record.get("run", {}).get("seed") or 0), lambda _: None,
                                        int(record.get("protocol", {}).get("sampled_negatives", EVAL_NEGATIVES)))
    result, _ = measure(make_scorer(net, mapped, split), split, seen_eval, negatives)
    result["unknown_interactions_skipped"] = dropped
    if verbose:
        print(f"{record['model']} on {data}: " + _line(result)
              + (f"; {dropped} interactions of users or items the run does not know were skipped" if dropped else ""))
    return result


def _renumber(ids, known_ids) -> np.ndarray:
    """For each id in `ids`, its number among `known_ids`, or -1."""
    lookup = {str(v): k for k, v in enumerate(np.asarray(known_ids).tolist())}
    return np.array([lookup.get(str(v), -1) for v in np.asarray(ids).tolist()], dtype=np.int64)


def predict(model_dir: str | Path, users: list[str], *, top: int = TOP) -> list[dict]:
    """The `top` recommendations for each user id (most popular items for users the run never saw)."""
    from keras_zoo.applications.recommendation.serving import Recommender

    if not users:
        raise ValueError("Give at least one user id, as in: zoo predict recommendation --model-dir D --user 196")
    recommender = Recommender.load(model_dir)
    return [recommender.recommend(u, top=top) for u in users]


def demo(output_dir: Path, *, seed: int = 0) -> dict:
    """The offline demo: the default model, NeuMF and the two-tower model on the simulator, beside the baselines."""
    config = RecommendationConfig(model=DEMO_MODELS[0], compare=DEMO_MODELS[1:],
                                  train=TrainConfig(**{**DEFAULT_TRAIN, "seed": seed}))
    start = time.perf_counter()
    record = train_and_evaluate(config, output_dir)
    record["timing"]["total_s"] = time.perf_counter() - start
    return record


def config_from_args(args, train: TrainConfig) -> RecommendationConfig:
    """The run's config from `zoo train recommendation` arguments."""
    for flag, value in (("--embeddings", "embeddings"), ("--max-tokens", "max_tokens"), ("--features", "features"),
                        ("--sequence-length", "sequence_length"), ("--image-size", "image_size"),
                        ("--test-data", "test_data"), ("--pretrained", "pretrained")):
        if getattr(args, value, None):
            raise ValueError(f"{flag} is not a recommendation option: the test split is each user's latest "
                             f"interaction, and recommendation takes --items, --negatives, --ratings, --compare."
                             if flag == "--test-data" else f"{flag} is not a recommendation option.")
    if getattr(args, "augment", "auto") not in (None, "auto"):
        raise ValueError("--augment is not a recommendation option.")
    if getattr(args, "freeze_backbone", False):
        raise ValueError("--freeze-backbone is not a recommendation option.")
    return RecommendationConfig(
        model=args.model or DEFAULT_MODEL, data=args.data, items=getattr(args, "items", None),
        compare=tuple(getattr(args, "compare", None) or ()), loss=getattr(args, "loss", None) or "auto",
        negatives=NEGATIVES if getattr(args, "negatives", None) is None else args.negatives,
        pretrain_parts=bool(getattr(args, "pretrain_parts", None)),
        ratings=getattr(args, "ratings", None) or "auto", max_examples=args.max_examples, train=train,
    )
