"""Recommendation as the `zoo` command sees it: top-N items for users (`applications/recommendation/pipeline.py`)."""

from __future__ import annotations

from keras_zoo.applications.common.domain import Domain

DEFAULT_TRAIN = dict(epochs=20, batch_size=256, optimizer="adam", learning_rate=1e-3, schedule="constant", patience=3)
TOP = 10  # `zoo predict recommendation`'s items per user


class RecommendationDomain(Domain):
    name = "recommendation"
    test_unit = "users"
    pipeline = "keras_zoo.applications.recommendation.pipeline"
    default_train = DEFAULT_TRAIN
    not_tuned_because = ("Recommendation's models score users against items from interaction logs (sampled "
                         "negatives, ranking metrics), not labelled arrays, so `zoo tune` does not search them; "
                         "compare them with `zoo train recommendation --compare NAME...`.")
    own_predict_flags = {"--user": "user", "--top": "top"}
    own_flags = {"--items": "items", "--loss": "loss", "--negatives": "negatives", "--ratings": "ratings",
                 "--compare": "compare", "--pretrain-parts": "pretrain_parts"}

    def add_arguments(self, parser):
        group = parser.add_argument_group("recommendation")
        group.add_argument("--items", metavar="CSV", help="item titles and genres: a CSV of item_id,title[,genres]")
        group.add_argument("--loss", choices=("auto", "bce", "softmax", "in_batch"), help="how the model learns: bce "
                           "(each positive against --negatives sampled items), softmax (against every item), in_batch "
                           "(against the batch's other items); default auto: softmax for mf, in_batch for two_tower, "
                           "bce for NCF")
        group.add_argument("--negatives", type=int, help="with --loss bce: unseen items sampled per positive "
                           "(default 4)")
        group.add_argument("--ratings", choices=("auto", "yes", "no"), help="also predict ratings (default auto: "
                           "when the data has a rating column)")
        group.add_argument("--compare", nargs="+", metavar="NAME", help="more models trained and measured on the "
                           "same split")
        group.add_argument("--pretrain-parts", action="store_const", const=True, help="neumf: start from a GMF and "
                           "an NCF MLP trained first (He et al. 2017)")

    def add_predict_arguments(self, parser):
        group = parser.add_argument_group("recommendation")
        group.add_argument("--user", action="append", metavar="ID", help="a user id (repeat for more users)")
        group.add_argument("--top", type=int, help=f"how many items per user (default {TOP})")

    def summary(self, record):
        header, rows = self.module.summary_table(record)
        return header, rows, record.get("verdict", [])

    def predict_request(self, args):
        if args.inputs:
            raise ValueError(f"recommendation takes users as --user ID (and --top N), not positional inputs. "
                             f"Received: {' '.join(args.inputs)}")
        return args.user or [], {"top": TOP if args.top is None else args.top}

    def predict(self, model_dir, inputs, **options):
        return [{"input": r["user"], **r} for r in self.module.predict(model_dir, inputs, **options)]

    def format_prediction(self, result):
        lines = [f"user {result['user']}" + (f": {result['note']}" if result["note"] else "")]
        return lines + [f"{rank:3d}\t{item['item']}\t{item['score']:.4f}\t{item['title']}"
                        for rank, item in enumerate(result["items"], 1)]


DOMAIN = RecommendationDomain()
