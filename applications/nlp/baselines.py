"""The classical text classifiers every NLP model is measured against, on the same split.

- `tfidf_logreg`: TF-IDF of word unigrams and bigrams, then logistic regression;
- `naive_bayes`: word unigram and bigram counts, then multinomial naive Bayes;
- `nbsvm`: Wang and Manning's (2012) NBSVM, the strongest of the simple text baselines: a linear
  SVM on which word uni- and bigrams occur, each scaled by its naive Bayes log-count ratio (one
  class against the rest), its weights interpolated towards their mean (beta 0.25, the paper's).

Bigrams give both a little word order ("not good"); what they cannot see beyond two words is
what a sequence model is for.
"""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

BASELINES = ("tfidf_logreg", "naive_bayes", "nbsvm")


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
    if name == "nbsvm":
        return make_pipeline(CountVectorizer(ngram_range=(1, 2), min_df=1, binary=True), NBSVM())
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


class NBSVM(ClassifierMixin, BaseEstimator):
    """Wang and Manning's (2012) NBSVM on binary features (which n-grams occur), one class against the rest.

    For class c, r_c = log((p_c / |p_c|_1) / (q_c / |q_c|_1)), where p_c sums the features of the
    class's examples plus `alpha` and q_c the same over the other classes. A linear SVM
    (`LinearSVC`, C = `c`) is trained on x * r_c against "not c", and its weights w are
    interpolated as (1 - beta) * mean(|w|) + beta * w. The class with the highest decision value is
    predicted (with two classes, one such model). The paper's settings: alpha 1, C 1, beta 0.25.
    """

    def __init__(self, alpha: float = 1.0, c: float = 1.0, beta: float = 0.25):
        self.alpha, self.c, self.beta = alpha, c, beta

    def fit(self, x, y):
        from sklearn.svm import LinearSVC

        y = np.asarray(y)
        self.classes_ = np.unique(y)
        targets = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        self.ratios_, self.weights_, self.biases_ = [], [], []
        for c in targets:
            mine = y == c
            p = np.asarray(x[mine].sum(axis=0)).ravel() + self.alpha
            q = np.asarray(x[~mine].sum(axis=0)).ravel() + self.alpha
            r = np.log((p / p.sum()) / (q / q.sum()))
            svm = LinearSVC(C=self.c, max_iter=5000).fit(x.multiply(r).tocsr(), mine.astype(int))
            w = svm.coef_.ravel()
            self.ratios_.append(r)
            self.weights_.append((1 - self.beta) * np.abs(w).mean() + self.beta * w)
            self.biases_.append(float(svm.intercept_[0]))
        return self

    def decision_function(self, x):
        scores = np.stack([np.asarray(x.multiply(r) @ w).ravel() + b
                           for r, w, b in zip(self.ratios_, self.weights_, self.biases_)], axis=1)
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, x):
        scores = self.decision_function(x)
        if len(self.classes_) == 2:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]
