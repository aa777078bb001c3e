"""Does the input pipeline keep up? A domain's real training pipeline against the same batches from memory.

`zoo benchmark --pipeline DOMAIN [--data SRC] [--model NAME]` builds the domain's model and its
training `tf.data` pipeline as `zoo train` does (reading, decoding, shuffling, augmentation or
vectorising, batching, prefetching), takes the first `steps` batches it produces and keeps them
in memory, then trains the model on each feed in turns: epochs of `steps` batches from the
pipeline, then from memory, twice over, each fit's first epoch a warm-up. Each epoch is timed by
a callback; the medians are reported, with their ratio. A ratio near 1 says the pipeline never
starves the model; well below 1, the model waits for data.

Example:
    >>> row = measure("speech", data="sample", steps=20, repeats=5)
    >>> print(format_table([row]))
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass


@dataclass
class PipelineRow:
    domain: str
    model: str
    data: str
    batch_size: int
    steps: int
    pipeline_examples_per_s: float  # median over the timed epochs
    memory_examples_per_s: float
    ratio: float  # pipeline / memory: 1.0 means the pipeline costs the model nothing


def measure(domain: str, *, model: str | None = None, data: str = "sample", batch_size: int = 32, steps: int = 20,
            repeats: int = 5, seed: int = 0) -> PipelineRow:
    """Train `domain`'s model from its real pipeline and from memory, in turns; the medians and their ratio.

    Raises:
        ValueError: a domain without a measured pipeline; steps or repeats below 1.
    """
    from keras_zoo.applications import domains

    measured = [d.name for d in domains.every() if d.input_benchmarked]  # each `input_feed` is its `zoo train` set-up
    if domain not in measured:
        raise ValueError(f"--pipeline measures {', '.join(measured)}. Received: --pipeline {domain}")
    for flag, value in (("--steps", steps), ("--repeats", repeats), ("--batch-size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{flag} takes a positive integer. Received: {flag} {value!r}")
    import keras
    import numpy as np
    import tensorflow as tf

    from keras_zoo.applications.common.training import set_seed

    set_seed(seed)
    name, net, ds = domains.get(domain).input_feed(model, data, batch_size=batch_size, seed=seed)
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    stream = ds.repeat()
    held = list(stream.take(steps).as_numpy_iterator())  # what the pipeline made, now in memory
    examples = sum(len(y) for _, y in held)
    memory = tf.data.Dataset.from_tensor_slices(tuple(np.concatenate(part) for part in zip(*held)))
    memory = memory.batch(batch_size).cache().repeat()

    seconds = {"pipeline": [], "memory": []}
    # Two rounds of one fit per feed: a fit keeps its iterator for all its epochs, so its first
    # epoch (filling the shuffle buffer, tracing) is a warm-up and the later ones are steady state.
    for _ in range(2):
        for feed, source in (("pipeline", stream), ("memory", memory)):
            marks: list[float] = []  # when each epoch began and ended
            clock = keras.callbacks.LambdaCallback(on_epoch_begin=lambda *_: marks.append(time.perf_counter()),
                                                   on_epoch_end=lambda *_: marks.append(time.perf_counter()))
            net.fit(source, steps_per_epoch=steps, epochs=1 + -(-repeats // 2), verbose=0, shuffle=False,
                    callbacks=[clock])  # the dataset shuffles itself
            seconds[feed] += [end - begin for begin, end in zip(marks[2::2], marks[3::2])]  # after the first
    rates = {feed: examples / statistics.median(times) for feed, times in seconds.items()}
    return PipelineRow(domain=domain, model=name, data=data, batch_size=batch_size, steps=steps,
                       pipeline_examples_per_s=rates["pipeline"], memory_examples_per_s=rates["memory"],
                       ratio=rates["pipeline"] / rates["memory"])


def format_table(rows: list[PipelineRow]) -> str:
    header = "| domain | model | data | batch | steps | pipeline ex/s | memory ex/s | pipeline/memory |"
    lines = [f"| {r.domain} | {r.model} | {r.data} | {r.batch_size} | {r.steps} | {r.pipeline_examples_per_s:.1f} | "
             f"{r.memory_examples_per_s:.1f} | {r.ratio:.3f} |" for r in rows]
    return "\n".join([header, "|" + "---|" * 8, *lines])
