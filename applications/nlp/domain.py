"""NLP as the `zoo` command sees it: text classification (`applications/nlp/pipeline.py`)."""

from __future__ import annotations

from keras_zoo.applications.common.domain import Domain

DEFAULT_TRAIN = dict(epochs=20, optimizer="adam", learning_rate=1e-3, schedule="constant", patience=3, batch_size=32)


class NLPDomain(Domain):
    name = "nlp"
    pipeline = "keras_zoo.applications.nlp.pipeline"
    default_train = DEFAULT_TRAIN
    tune_unit = "texts"
    input_benchmarked = True
    searches = True
    own_flags = {"--max-tokens": "max_tokens", "--sequence-length": "sequence_length",
                 "--embeddings": "embeddings", "--freeze-embeddings": "freeze_embeddings"}

    def add_arguments(self, parser):
        group = parser.add_argument_group("nlp")
        group.add_argument("--max-tokens", type=int, help="vocabulary size, from the training split (default: "
                           "20,000 words for a sequence model, 40,000 uni- and bigrams for an MLP)")
        group.add_argument("--sequence-length", type=int, help="tokens per text (default: from the data)")
        group.add_argument("--embeddings", metavar="PATH", help="pretrained word vectors: a GloVe or word2vec text file")
        group.add_argument("--freeze-embeddings", action="store_true", help="with --embeddings: keep the vectors fixed")

    def check_model(self, name):
        self.module.check_text_model(name)

    def summary(self, record):
        header, rows, notes = super().summary(record)
        if record["data"]["source"] == "sample":
            notes.append("The table is on the synthetic sample: generated sentences, built so that word order and "
                         "negation decide (docs/domains/nlp.md).")
        real = record.get("real_text")
        if real:
            best = max(real["baselines"].items(), key=lambda item: item[1]["accuracy"])
            verdict = "beats" if real["accuracy"] > best[1]["accuracy"] else "does not beat"
            notes.append(f"Real text, {real['source']}: {real['model']} {real['accuracy']:.4f} accuracy (macro-F1 "
                         f"{real['macro_f1']:.4f}) on {real['test']} held-out messages; it {verdict} the best "
                         f"baseline, {best[0]}, {best[1]['accuracy']:.4f} (macro-F1 {best[1]['macro_f1']:.4f}). "
                         f"Its run: {real['run']}")
        return header, rows, notes


DOMAIN = NLPDomain()
