from collections import Counter

import numpy as np

from keras_zoo.applications.nlp.corpus import CORPUS_CLASSES, KINDS, generate_corpus


def test_deterministic_for_a_seed():
    assert generate_corpus(500, seed=3) == generate_corpus(500, seed=3)
    assert generate_corpus(500, seed=3) != generate_corpus(500, seed=4)


def test_balanced_labels_and_every_kind_present():
    corpus = generate_corpus(4000, seed=0)
    assert len(corpus) == 4000
    assert Counter(e["label"] for e in corpus) == {0: 2000, 1: 2000}
    kinds = Counter(e["kind"] for e in corpus)
    assert set(kinds) == set(KINDS) == {"plain", "negation", "contrast", "intensified"}
    for kind in KINDS:
        labels = Counter(e["label"] for e in corpus if e["kind"] == kind)
        assert abs(labels[0] - labels[1]) <= 1
    assert CORPUS_CLASSES == ("negative", "positive")
    assert all(isinstance(e["text"], str) and e["text"].strip() for e in corpus)


def test_labels_follow_the_rules():
    corpus = generate_corpus(2000, seed=1)
    negations = [e for e in corpus if e["kind"] == "negation"]
    assert any(" not " in e["text"] or "n't" in e["text"] or "never" in e["text"] for e in negations)
    assert all(" not " in f" {e['text']} " or "n't" in e["text"] or "never" in e["text"] for e in negations)
    assert all(" but " in e["text"] for e in corpus if e["kind"] == "contrast")


def test_word_order_matters_for_a_bag_of_words():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    corpus = generate_corpus(4000, seed=0)
    train, held_out = corpus[:3000], corpus[3000:]
    simple = [e for e in train if e["kind"] in ("plain", "intensified")]
    model = make_pipeline(CountVectorizer(), LogisticRegression(max_iter=1000))
    model.fit([e["text"] for e in simple], [e["label"] for e in simple])

    def accuracy(kind):
        subset = [e for e in held_out if e["kind"] == kind]
        assert subset
        return model.score([e["text"] for e in subset], np.array([e["label"] for e in subset]))

    assert accuracy("plain") > 0.9
    assert accuracy("negation") < 0.65


def test_every_text_is_distinct():
    corpus = generate_corpus(4000, seed=0)
    assert len({e["text"] for e in corpus}) == 4000
