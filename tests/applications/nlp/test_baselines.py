"""The NLP baselines on real-looking text, and what bigrams can and cannot see."""

import numpy as np
import pytest

from keras_zoo.applications.nlp.baselines import make_baseline, run_baselines


def test_baselines_learn_a_word_signal_and_report_subsets():
    rng = np.random.default_rng(0)
    good, bad = ["great", "superb", "lovely"], ["awful", "boring", "dull"]
    texts, labels = [], []
    for _ in range(200):
        label = int(rng.integers(2))
        texts.append(f"the film was {rng.choice(good if label else bad)} and long")
        labels.append(label)
    subsets = {"first_half": np.arange(100) < 50}
    results = run_baselines(texts[:100], labels[:100], texts[100:], labels[100:], subsets=subsets)
    assert set(results) == {"tfidf_logreg", "naive_bayes", "nbsvm"}
    for result in results.values():
        assert result["accuracy"] == 1.0 and result["macro_f1"] == 1.0
        assert result["accuracy_first_half"] == 1.0 and result["train_s"] >= 0


def test_bigrams_see_adjacent_negation_only():
    train = ["it was good", "it was bad", "it was not good", "it was not bad"] * 10
    labels = [1, 0, 0, 1] * 10
    model = make_baseline("tfidf_logreg").fit(train, labels)
    assert list(model.predict(["it was not good", "it was good"])) == [0, 1]


def test_nbsvm_reads_three_classes_and_bigrams():
    """One class against the rest, each with its own log-count ratios; bigrams carry "not good"."""
    rng = np.random.default_rng(1)
    words = {0: "good", 1: "not good", 2: "average"}
    labels = rng.integers(3, size=300)
    texts = [f"{rng.choice(['the film', 'this show', 'it'])} was {words[y]} {rng.choice(['today', 'overall', ''])}"
             for y in labels]
    model = make_baseline("nbsvm").fit(texts[:200], labels[:200])
    assert list(model.classes_) == [0, 1, 2] and model[-1].decision_function(model[0].transform(texts[:5])).shape == (5, 3)
    assert np.mean(model.predict(texts[200:]) == labels[200:]) == 1.0


def test_unknown_baseline():
    with pytest.raises(ValueError, match="Received: name='svm'"):
        make_baseline("svm")
