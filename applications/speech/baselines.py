"""The classical baseline of keyword spotting: MFCC summary statistics and a support vector machine.

Each clip becomes a fixed-length vector — the mean and standard deviation over time of its MFCCs
and of their frame-to-frame differences (deltas) — scaled to unit variance and classified by an
RBF-kernel SVM (scikit-learn). It is what speech recognition did before deep networks for small
vocabularies, and it is strong on clean, isolated words.

The statistics are taken over the spoken part of the clip only: the frames from the first to the
last whose energy is within `TOP_DB` of the clip's loudest (librosa's `effects.trim` rule, with
its default). A word of 0.45 s in a one-second window is otherwise averaged with the silence it
was padded with, and the statistics describe the padding as much as the word.
"""

from __future__ import annotations

import time

import numpy as np

from keras_zoo.applications.common.evaluation import classification_metrics

NUM_MFCC = 20  # the first 20 cepstral coefficients of 40 mel bands: the usual choice for small vocabularies
SVM_C = 10.0
MAX_TRAIN = 20000  # an RBF SVM's training grows quadratically; beyond this it samples (and says so)
TOP_DB = 60.0  # frames quieter than the loudest by more than this are silence (librosa.effects.trim's default)


def mfcc_statistics(ds, *, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """`(features, labels)` of an unbatched `(audio, label)` dataset: MFCC and delta means and stds."""
    from keras_zoo.layers.audio import MFCC

    mfcc = MFCC(num_coefficients=NUM_MFCC)
    features, labels = [], []
    for audio, label in ds.batch(batch_size):
        coefficients = np.asarray(mfcc(audio))  # (batch, frames, NUM_MFCC)
        for clip, (first, last) in zip(coefficients, spoken_frames(np.asarray(audio), mfcc)):
            spoken = clip[first:last + 1]
            deltas = np.diff(spoken, axis=0)
            features.append(np.concatenate([spoken.mean(0), spoken.std(0), deltas.mean(0), deltas.std(0)]))
        labels.append(np.asarray(label))
    if not features:
        return np.zeros((0, 4 * NUM_MFCC), np.float32), np.zeros((0,), np.int32)
    return np.stack(features).astype(np.float32), np.concatenate(labels).astype(np.int32)


def spoken_frames(audio: np.ndarray, mfcc) -> list[tuple[int, int]]:
    """For each clip of `audio` `(batch, samples)`, the first and last of `mfcc`'s frames within
    `TOP_DB` of the clip's loudest frame (at least two frames, so that deltas exist)."""
    audio = audio.reshape(len(audio), -1).astype(np.float64)
    length, step = mfcc.frame_length, mfcc.frame_step
    count = 1 + (audio.shape[1] - length) // step
    frames = np.stack([audio[:, i * step:i * step + length] for i in range(count)], axis=1)
    decibels = 10.0 * np.log10(np.mean(frames ** 2, axis=2) + 1e-20)
    spans = []
    for db in decibels:
        active = np.flatnonzero(db >= db.max() - TOP_DB)
        first, last = int(active[0]), int(active[-1])
        if last == first:  # one loud frame: keep its neighbour too
            first, last = (first, first + 1) if first + 1 < count else (first - 1, first)
        spans.append((first, last))
    return spans


def mfcc_svm(train_ds, test_ds, class_names, *, seed: int = 0, test_features=None) -> dict:
    """Train the MFCC + SVM baseline on `train_ds` and score it on `test_ds`.

    Returns:
        `{"accuracy", "macro_f1", "per_class", "train_s", "train_examples", "predictions", "scores"}`,
        `predictions` being the test split's predicted class ids and `scores(audio)` the fitted SVM's
        one-vs-rest decision values `(n, len(class_names))` for more clips (a batch of waveforms).
    """
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    start = time.perf_counter()
    x, y = mfcc_statistics(train_ds)
    if len(y) > MAX_TRAIN:
        keep = np.random.default_rng(seed).choice(len(y), MAX_TRAIN, replace=False)
        x, y = x[keep], y[keep]
    model = make_pipeline(StandardScaler(), SVC(C=SVM_C, kernel="rbf", gamma="scale", random_state=seed))
    model.fit(x, y)
    train_s = time.perf_counter() - start
    tx, ty = test_features if test_features is not None else mfcc_statistics(test_ds)
    predictions = model.predict(tx)
    probs = np.eye(len(class_names), dtype=np.float32)[predictions]
    metrics, per_class, _ = classification_metrics(ty, probs, class_names)

    def scores(audio: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        features, _ = mfcc_statistics(tf.data.Dataset.from_tensor_slices((audio, np.zeros(len(audio), "int32"))))
        values = np.full((len(audio), len(class_names)), -np.inf, dtype=np.float32)
        decision = model.decision_function(features)
        if decision.ndim == 1:  # two classes: one value, positive for the second
            decision = np.stack([-decision, decision], axis=1)
        values[:, model.classes_] = decision  # a class training lacked keeps -inf: never chosen
        return values

    return {**metrics, "per_class": per_class, "train_s": round(train_s, 3), "train_examples": int(len(y)),
            "predictions": predictions, "scores": scores}
