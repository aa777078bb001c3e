"""The classical text classifiers every NLP model is measured against, on the same split.

- `tfidf_logreg`: TF-IDF of word unigrams and bigrams, then logistic regression;
- `naive_bayes`: word unigram and bigram counts, then multinomial naive Bayes.

Bigrams give both a little word order ("not good"); what they cannot see beyond two words is
what a sequence model is for.
"""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np

BASELINES = ("tfidf_logreg", "naive_bayes")


def make_baseline(name: str):
    """An unfitted scikit-learn pipeline from raw strings to a label."""
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    if name == "tfidf_logreg":
        return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
                             LogisticRegression(max_iter=2000, C=10.0))
    if name == "naive_bayes":
        return make_pipeline(CountVectorizer(ngram_range=(1, 2), min_df=1), MultinomialNB(alpha=0.5))
    raise ValueError(f"Unknown baseline; expected one of {BASELINES}. Received: name={name!r}")


def run_baselines(train_texts: Sequence[str], train_labels: Sequence[int], test_texts: Sequence[str],
                  test_labels: Sequence[int], *, subsets: dict[str, np.ndarray] | None = None) -> dict[str, dict]:
    """Fit each baseline on the training texts; accuracy and macro-F1 on the test texts.

    Args:
        subsets: name -> boolean mask over the test examples (e.g. `{"negation": ...}`); each
            baseline's accuracy on each subset is reported as `accuracy_<name>`.
    """
    from sklearn.metrics import f1_score

    from keras_zoo.applications.common.evaluation import subset_accuracies

    y_train, y_test = np.asarray(train_labels), np.asarray(test_labels)
    results = {}
    for name in BASELINES:
        start = time.perf_counter()
        model = make_baseline(name).fit(list(train_texts), y_train)
        train_s = time.perf_counter() - start
        predicted = model.predict(list(test_texts))
        results[name] = {"accuracy": float(np.mean(predicted == y_test)),
                         "macro_f1": float(f1_score(y_test, predicted, average="macro")), "train_s": train_s,
                         **subset_accuracies(y_test, predicted, subsets or {})}
    return results
