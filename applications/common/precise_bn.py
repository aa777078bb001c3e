"""Batch-norm statistics recomputed before validation while their moving averages are young (PreciseBN).

A batch norm trains on each batch's own mean and variance but predicts with moving averages that
start at 0 and 1 (or at a checkpoint's values, from other data) and forget them at `momentum` a
step. On a small set that is too slow: `zoo train speech` on 525 real clips (9 steps an epoch,
DS-CNN's momentum 0.96) kept depthwise channels whose variance had fallen to about 0.0002 at a
moving variance about 240 times that after 8 epochs, so every validation clip got one word
(accuracy 0.205, chance 0.2) while the same weights with recomputed statistics scored 0.90, and
early stopping kept epoch 1. Recomputing the statistics over a few training batches before each
validation (Wu and Johnson 2021, "Rethinking 'Batch' in BatchNorm", https://arxiv.org/abs/2105.07576)
makes validation, early stopping and the saved model judge the weights that training made. Once
every moving average has had the steps to forget its start (`momentum ** steps < e**-FORGET`),
it is left to itself: on a large set that is within the first epoch or two.
"""

from __future__ import annotations

import math
from typing import Callable, Iterable

import keras

FORGET = 10.0  # e-folds: a start of 1 weighs under 5e-5 in the average, below the batch norms' epsilon of 1e-3
# Training examples averaged per recomputation (whole batches, just over it at most): a
# convolution's statistics per channel then come from 256 x its positions. It costs a few forward
# passes an epoch while young: `zoo demo speech` (10 steps an epoch, young for 25 of its 40 epochs)
# trained in 99.2 s against 83.1 s without it, run in turn (1.19x).
MAX_EXAMPLES = 256


def batch_norms(model: keras.Model) -> list:
    """The model's trainable batch norms (nested models included): frozen ones keep their statistics."""
    return [layer for layer in model._flatten_layers(include_self=False, recursive=True)
            if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]


def recompute_statistics(model: keras.Model, inputs: Iterable, layers: list | None = None, forward=None):
    """Set every trainable batch norm's moving mean and variance to their average over `inputs`
    (batches, as the model takes them) in training mode. Returns the forward function used, traced
    with momentum 0 (every call sets the moving averages to that batch's statistics), to pass back
    as `forward` next time.
    """
    import numpy as np
    import tensorflow as tf

    layers = batch_norms(model) if layers is None else layers
    if not layers:
        return forward
    momenta = [layer.momentum for layer in layers]
    sums = [[np.zeros(layer.moving_mean.shape), np.zeros(layer.moving_variance.shape)] for layer in layers]
    count = 0
    try:
        for layer in layers:  # read when the function is traced, which is the first call
            layer.momentum = 0.0
        if forward is None:
            forward = tf.function(lambda x: model(x, training=True), reduce_retracing=True)
        for x in inputs:
            forward(x)
            for (mean, variance), layer in zip(sums, layers):
                mean += layer.moving_mean.numpy()
                variance += layer.moving_variance.numpy()
            count += 1
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    if count:
        for (mean, variance), layer in zip(sums, layers):
            layer.moving_mean.assign(mean / count)
            layer.moving_variance.assign(variance / count)
    return forward


class PreciseBatchNorm(keras.callbacks.Callback):
    """Before each validation (or at the end of a run without one), the statistics recomputed over
    `batches(epoch)` while some moving average is young.

    Args:
        batches: a function of the epoch (from 0) that gives that epoch's first training batches
            (inputs only), of `MAX_EXAMPLES` examples or so.
        initial_steps: optimizer steps already taken (a resumed run's), so that it stops where an
            uninterrupted run stops.
    """

    def __init__(self, batches: Callable[[int], Iterable], *, initial_steps: int = 0):
        super().__init__()
        self.batches, self.steps, self.epoch = batches, int(initial_steps), 0
        self.layers, self.forward, self.validated = [], None, False

    def young(self) -> bool:
        return any(self.steps * -math.log(max(layer.momentum, 1e-12)) < FORGET for layer in self.layers)

    def on_train_begin(self, logs=None):
        self.layers = batch_norms(self.model)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1

    def _recompute(self):
        if self.layers and self.young():
            self.forward = recompute_statistics(self.model, self.batches(self.epoch), self.layers, self.forward)

    def on_test_begin(self, logs=None):
        self.validated = True
        self._recompute()

    def on_train_end(self, logs=None):
        if not self.validated:
            self._recompute()
