"""Training on several devices or machines with `tf.distribute`: one strategy for the whole run, chosen by name.

`zoo train DOMAIN --strategy NAME` makes the strategy first thing, before TensorFlow sets up its
devices, and runs the domain's whole pipeline inside `strategy.scope()`: the models are built, and
`training.fit` compiles and trains them, in the scope, so Keras splits every batch across the
replicas and keeps their weights in step (an all-reduce of the gradients after each batch).

- `"default"`: no distribution, one device (TensorFlow's default strategy).
- `"mirrored"`: `tf.distribute.MirroredStrategy`, one replica on each local GPU; on a machine
  without a GPU, one on each of `cpu_replicas` logical CPU devices (default 2), which shows that a
  run distributes, not that it is faster: the logical devices share the same cores.
- `"multi-worker"`: `tf.distribute.MultiWorkerMirroredStrategy`, the same on several machines
  (workers), each told the cluster and its own place in it by the `TF_CONFIG` environment
  variable (`read_tf_config`). Every worker runs the same command; only the chief (`is_chief`)
  writes the run's folder, the others write to a temporary folder (`worker_output_dir`) that is
  removed at the end, as the Keras multi-worker guide does.

The batch size given is per replica: each step trains on `global_batch_size(batch, replicas)`
examples, `batch` on each replica, and the gradient is that of the global batch, so a run on
two replicas with batch 16 follows the run on one with batch 32. The learning rate is not scaled.

Input data is sharded by `AutoShardPolicy.DATA`: every worker reads the same (seeded) data and
keeps its part of each global batch. Keras does this for numpy arrays; the multi-worker strategy
here does it for `tf.data` datasets too (TensorFlow's own AUTO policy would first try to give each
worker whole files of a file-based dataset, so that each worker's epoch differed).
`training.set_seed`'s op determinism holds under both strategies: a run repeats number for number.

What a model or pipeline must allow for under a strategy (Keras 3 on TensorFlow):

- a loss function returns one value per example; one that returns the batch's mean is counted
  once per replica (its value and its gradient multiplied by the number of replicas);
- each replica sees its part of the batch only: labels made from the batch (an in-batch softmax's
  `range(b)`) must be made inside the model or the loss, from the replica's part;
- Keras reads one batch before training (to build the metrics), so a `tf.data` dataset that
  reshuffles each epoch is one shuffle further on than without a strategy: the same training on
  other orders, close to but not the same numbers as a `"default"` run.

Example:
    >>> strategy = make_strategy("mirrored", cpu_replicas=2)  # first thing in the program
    >>> batch = global_batch_size(32, strategy.num_replicas_in_sync)  # 64: 32 on each replica
    >>> config = dataclasses.replace(config, train=dataclasses.replace(config.train, batch_size=batch))
    >>> with strategy.scope():
    ...     record = pipeline.train_and_evaluate(config, output_dir)
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

STRATEGIES = ("default", "mirrored", "multi-worker")
DEFAULT_CPU_REPLICAS = 2  # logical CPU devices for "mirrored" on a machine without a GPU
MULTI_WORKER_JOBS = ("chief", "worker")  # the task types MultiWorkerMirroredStrategy trains with
TF_CONFIG_EXAMPLE = ('TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                     '"task": {"type": "worker", "index": 0}}\' (the same cluster on every machine, '
                     'index 1 on host2)')


class DeviceSetupError(RuntimeError):
    """TensorFlow has already set up its devices, so they can no longer be split into logical devices."""


# ---------------------------------------------------------------------------------------------
# Strategies


def make_strategy(name: str, *, cpu_replicas: int | None = None):
    """The `tf.distribute.Strategy` called `name` (one of `STRATEGIES`), made now.

    Call it first thing in the program: "mirrored" on a machine without a GPU splits the CPU into
    logical devices and "multi-worker" starts this worker's server, both of which TensorFlow
    allows only before it has run anything.

    Args:
        name: `"default"`, `"mirrored"` or `"multi-worker"` (see the module's docstring).
        cpu_replicas: "mirrored" without a GPU: the logical CPU devices, one replica each
            (default `DEFAULT_CPU_REPLICAS`). Not for the other strategies, nor with a GPU.

    Returns:
        The strategy; `strategy.num_replicas_in_sync` is the number of replicas in all.

    Raises:
        ValueError: an unknown `name`, `cpu_replicas` where it has no use or not a positive
            integer, or for "multi-worker" a missing or malformed `TF_CONFIG`.
        DeviceSetupError: "mirrored" on CPUs after TensorFlow has set up its devices.
    """
    if name not in STRATEGIES:
        raise ValueError(f"The strategy must be one of {', '.join(STRATEGIES)}. Received: strategy={name!r}")
    if cpu_replicas is not None:
        _check_replicas(cpu_replicas)
        if name != "mirrored":
            raise ValueError(f"--cpu-replicas is for --strategy mirrored on a machine without a GPU, not {name}. "
                             f"Received: cpu_replicas={cpu_replicas!r}")
    if name == "multi-worker":
        read_tf_config()  # a clear error before TensorFlow reads it
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            if cpu_replicas is not None:
                raise ValueError(f"--cpu-replicas splits the CPU on a machine without a GPU; this one has "
                                 f"{len(gpus)}, and mirrored uses them all. Received: cpu_replicas={cpu_replicas!r}")
            return _strategy_class("mirrored")()
        devices = configure_cpu_replicas(DEFAULT_CPU_REPLICAS if cpu_replicas is None else cpu_replicas)
        return _strategy_class("mirrored")(devices)
    return _strategy_class("multi-worker")()


def configure_cpu_replicas(n: int) -> list[str]:
    """Split the first physical CPU into `n` logical devices; their names, for `MirroredStrategy(devices)`.

    TensorFlow allows this only before it sets up its devices (the first op, or listing the
    logical devices, does that). When it is too late but the CPU is already split into `n`
    devices, their names are returned.

    Raises:
        ValueError: `n` is not a positive integer.
        DeviceSetupError: TensorFlow already set up its devices, and not as `n` logical CPUs.

    Example:
        >>> configure_cpu_replicas(2)
        ['/device:CPU:0', '/device:CPU:1']
    """
    _check_replicas(n)
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
    except RuntimeError as err:
        have = [d.name for d in tf.config.list_logical_devices("CPU")]
        if len(have) != n:
            raise DeviceSetupError(f"Cannot split the CPU into {n} logical devices: TensorFlow has already set up "
                                   f"its devices ({len(have)} logical CPU device(s)). Make the strategy first thing "
                                   f"in the program, before any TensorFlow op (`zoo train --strategy mirrored` does). "
                                   f"TensorFlow said: {err}") from err
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def _check_replicas(n: Any) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"--cpu-replicas takes a positive integer. Received: cpu_replicas={n!r}")


@functools.cache
def _strategy_class(name: str):
    """The `tf.distribute` class of `name`, with what Keras 3's `fit` needs of it (made here: TensorFlow loads late).

    Keras 3.15's TensorFlow trainer (with TensorFlow 2.21) asks two things of `Strategy.reduce`
    that the strategies do not give (tensorflow/tensorflow#72388):

    - before training, to reduce one batch `(x, y)`, a nest, whose shapes alone it reads to build
      the metrics. The replicas' parts of a batch may differ in size (a short last batch, or
      `batch_size="full"` over an odd number of examples), which no reduction takes; and the
      multi-worker strategy reduces no nest at all. A nest is answered here with this worker's
      first replica's part, without a collective.
    - with several workers, to average each scalar log (the loss, a metric) over axis 0, which a
      scalar lacks: a scalar is averaged here across the replicas only.

    The multi-worker class also shards every `tf.data` dataset by DATA (see the module's docstring).
    """
    import tensorflow as tf

    def first_part(v):
        return v.values[0] if isinstance(v, tf.distribute.DistributedValues) else v

    class KerasReduce:
        def reduce(self, reduce_op, value, axis=None):
            if isinstance(value, (tuple, list, dict)):  # a batch, for its shapes
                return tf.nest.map_structure(first_part, value)
            if getattr(getattr(first_part(value), "shape", None), "rank", None) == 0:
                axis = None
            return super().reduce(reduce_op, value, axis)

    class MirroredStrategy(KerasReduce, tf.distribute.MirroredStrategy):
        """`tf.distribute.MirroredStrategy`, reducing as Keras 3 asks (`_strategy_class`)."""

    class MultiWorkerMirroredStrategy(KerasReduce, tf.distribute.MultiWorkerMirroredStrategy):
        """`tf.distribute.MultiWorkerMirroredStrategy`, reducing as Keras 3 asks and sharding by DATA."""

        def experimental_distribute_dataset(self, dataset, options=None):
            if dataset.options().experimental_distribute.auto_shard_policy == tf.data.experimental.AutoShardPolicy.AUTO:
                data = tf.data.Options()
                data.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
                dataset = dataset.with_options(data)
            return super().experimental_distribute_dataset(dataset, options)

    return {"mirrored": MirroredStrategy, "multi-worker": MultiWorkerMirroredStrategy}[name]


def global_batch_size(per_replica: int | str, replicas: int) -> int | str:
    """The examples in one step: `per_replica * replicas` (`"full"`, the whole training set, stays `"full"`)."""
    if per_replica == "full":
        return per_replica
    if isinstance(per_replica, bool) or not isinstance(per_replica, int) or per_replica < 1:
        raise ValueError(f"The batch size per replica must be a positive integer or 'full'. Received: {per_replica!r}")
    return per_replica * int(replicas)


def describe(strategy) -> str:
    """A few words on the replicas: how many, on which of this machine's devices, over how many workers."""
    devices = getattr(strategy.extended, "worker_devices", None) or ("CPU:0",)
    names = ", ".join(str(d).split("/device:")[-1] for d in devices)
    replicas = strategy.num_replicas_in_sync
    workers = max(1, replicas // len(devices))
    if workers > 1:
        return f"{replicas} replicas, {workers} workers with {len(devices)} each (here {names})"
    return f"{replicas} replica{'s' if replicas > 1 else ''} on {names}"


# ---------------------------------------------------------------------------------------------
# The cluster: TF_CONFIG


def read_tf_config(text: str | None = None) -> dict:
    """The cluster and this worker's task from `TF_CONFIG` (`text`, or the environment variable), checked.

    It is JSON: `{"cluster": {"worker": ["host1:port", ...], "chief": ["host0:port"]}, "task":
    {"type": "worker", "index": 0}}`; the "chief" job is optional (without it, worker 0 is the chief).

    Raises:
        ValueError: `TF_CONFIG` is missing or malformed, with an example of what it should look like.
    """
    text = os.environ.get("TF_CONFIG", "") if text is None else text
    if not text.strip():
        raise ValueError(f"--strategy multi-worker reads the cluster from the TF_CONFIG environment variable, "
                         f"which is not set. Set it on each machine, e.g. {TF_CONFIG_EXAMPLE}.")

    def bad(why: str) -> ValueError:
        return ValueError(f"TF_CONFIG {why}. It should look like {TF_CONFIG_EXAMPLE}. Received: TF_CONFIG={text!r}")

    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise bad(f"is not JSON ({err})") from None
    if not isinstance(config, dict) or not isinstance(config.get("cluster"), dict) or not config["cluster"]:
        raise bad('needs a "cluster": an object of jobs, each a list of "host:port" addresses')
    cluster = config["cluster"]
    other = [job for job in cluster if job not in MULTI_WORKER_JOBS]
    if other:
        raise bad(f"has job(s) {', '.join(map(repr, other))}; multi-worker training takes only "
                  f"{' and '.join(map(repr, MULTI_WORKER_JOBS))}")
    addresses = []
    for job, hosts in cluster.items():
        if not isinstance(hosts, list) or not hosts or not all(_is_address(h) for h in hosts):
            raise bad(f'has a "{job}" job that is not a list of "host:port" addresses')
        addresses.extend(hosts)
    if len(cluster.get("chief", [])) > 1:
        raise bad('has more than one "chief"')
    if len(set(addresses)) != len(addresses):
        raise bad("gives one address to two tasks")
    task = config.get("task")
    if not isinstance(task, dict) or task.get("type") not in cluster:
        raise bad(f'needs a "task" whose "type" is a job of the cluster ({", ".join(cluster)})')
    index = task.get("index")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cluster[task["type"]]):
        raise bad(f'needs a task "index" from 0 to {len(cluster[task["type"]]) - 1} for the "{task["type"]}" job')
    return config


def _is_address(host: Any) -> bool:
    if not isinstance(host, str) or ":" not in host:
        return False
    name, _, port = host.rpartition(":")
    return bool(name) and port.isdigit() and 0 < int(port) < 65536


def is_chief(tf_config: dict | None = None) -> bool:
    """Whether this process writes the run: the "chief" task, or worker 0 in a cluster without one.

    Without `TF_CONFIG` (one process, no cluster) it is the chief. `tf_config`: `read_tf_config()`'s
    answer; by default the environment's, read if it is set.
    """
    if tf_config is None:
        if not os.environ.get("TF_CONFIG", "").strip():
            return True
        tf_config = read_tf_config()
    task = tf_config["task"]
    if "chief" in tf_config["cluster"]:
        return task["type"] == "chief"
    return task["type"] == "worker" and task["index"] == 0


def task_name(tf_config: dict | None = None) -> str:
    """This process's task as `"worker 1"` (for messages); `"chief"` without `TF_CONFIG`."""
    if tf_config is None and not os.environ.get("TF_CONFIG", "").strip():
        return "chief"
    task = (tf_config or read_tf_config())["task"]
    return f"{task['type']} {task['index']}"


def worker_output_dir(domain: str) -> Path:
    """A new temporary folder for a worker that is not the chief; remove it with `remove_worker_output`."""
    return Path(tempfile.mkdtemp(prefix=f"zoo-{domain}-{task_name().replace(' ', '')}-"))


def remove_worker_output(path: str | os.PathLike) -> None:
    """Delete a worker's temporary folder (`worker_output_dir`) and everything in it."""
    shutil.rmtree(path, ignore_errors=True)
