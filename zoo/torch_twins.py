"""The PyTorch twins of registry models, timed the way `keras_zoo.benchmark` times the zoo's.

`zoo benchmark NAME --reference torch` builds the twin (`TWINS`) beside the zoo's model in the same
process and times both taking turns, run by run, with the same batch, input, threads and dtype, so
that a user choosing between Keras and PyTorch reads one ratio measured on one machine. The twins:

- `resnet18`, `resnet34`, `resnet50`: torchvision's ResNets. torchvision's are "v1.5" (the
  bottleneck's stride in its 3x3 convolution, no convolution biases: 25.56M parameters for
  ResNet-50 against the zoo's 25.64M, which follows keras.applications' v1);
- `vit_tiny`, `vit_small`: torchvision's `VisionTransformer` at DeiT's tiny and small widths
  (class token, 16x16 patches, layer-norm epsilon 1e-6): timm's `vit_tiny_patch16_224` and
  `vit_small_patch16_224` definitions, the zoo's exactly in parameters;
- `resnet20`, `resnet32`, `resnet56`: neither torchvision nor timm ships He et al.'s CIFAR
  ResNets, so `cifar_resnet` below is that definition (a 3x3 stem of 16, three stages of
  16/32/64 channels, zero-padded shortcuts where the shape changes: option A, as the zoo's).

Parameters are counted as PyTorch does: trainable weights only. Keras's `count_params` also counts
the batch norms' moving statistics (PyTorch keeps them as buffers), so the zoo's row shows more
for the same network.

Conventions (what "the same" means here):
- threads: `torch.set_num_threads` to the CPUs this process may use, as TensorFlow uses by default;
- layout: convolutional twins run `channels_last`, the memory layout of the zoo's NHWC tensors;
- training: plain SGD (learning rate 0.01) on cross-entropy, one optimizer step per batch, as the
  zoo's benchmark compiles its models; eager mode, as PyTorch users train by default;
- inference: `eval()` under `torch.inference_mode()`, the output copied to the host;
- precision: float32; the mixed policies run under `torch.autocast` in the same half dtype;
- FLOPs: PyTorch's `FlopCounterMode` (matrix multiplies and convolutions, a multiply-add is 2).

torch and torchvision are the optional extra `keras-zoo[torch]`; nothing else imports this module.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
import warnings

import numpy as np

CIFAR_DEPTHS = {"resnet20": 3, "resnet32": 5, "resnet56": 9}  # residual blocks per stage
VIT_WIDTHS = {"vit_tiny": (192, 3), "vit_small": (384, 6)}  # hidden width, heads (12 blocks, mlp 4x)
TWINS = {"resnet18": "torchvision.models.resnet18", "resnet34": "torchvision.models.resnet34",
         "resnet50": "torchvision.models.resnet50",
         **{name: "torchvision VisionTransformer" for name in VIT_WIDTHS},
         **{name: "cifar_resnet (He et al. 2015, sec. 4.2)" for name in CIFAR_DEPTHS}}
INSTALL_HINT = 'pip install "keras-zoo[torch]"'


def import_torch():
    """torch and torchvision, or an ImportError that says how to install them."""
    if "tensorflow" in sys.modules and "torch" not in sys.modules:
        # torchvision imports torch._dynamo, which imports triton, whose bundled LLVM crashes the
        # process (a segmentation fault, seen here with TensorFlow 2.21 and torch 2.14) once
        # TensorFlow's is loaded. The twins run eagerly and need no triton: torch treats it as absent.
        sys.modules.setdefault("triton", None)
    try:
        import torch
        import torchvision
    except ImportError as err:
        raise ImportError(f"--reference torch needs PyTorch and torchvision ({err.name} is missing): "
                          f"{INSTALL_HINT}") from err
    return torch, torchvision


def share_the_gpu() -> None:
    """Let TensorFlow take GPU memory as it needs it, not all of it at its first op, so that the
    twin in the same process has room. Only possible before TensorFlow has touched the GPU; after,
    nothing changes. Untried on a GPU: this project's machine has none."""
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised
            pass


def cifar_resnet(blocks: int, num_classes: int):
    """He et al.'s CIFAR ResNet with `blocks` basic blocks per stage (3: ResNet-20)."""
    torch, _ = import_torch()
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.stride, self.extra = stride, cout - cin

        def shortcut(self, x):  # option A: a strided subsample padded with zero channels, no parameters
            if self.stride == 1 and not self.extra:
                return x
            x = x[:, :, ::self.stride, ::self.stride]
            return torch.nn.functional.pad(x, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))

        def forward(self, x):
            y = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))

    layers = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for stage, width in enumerate((16, 32, 64)):
        for index in range(blocks):
            layers.append(Block(cin, width, 2 if stage and not index else 1))
            cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes)]
    return nn.Sequential(*layers)


def build(name: str, input_shape: tuple[int, ...], num_classes: int):
    """The twin of registry model `name` for `(height, width, channels)` inputs; KeyError if it has none."""
    torch, torchvision = import_torch()
    if name not in TWINS:
        raise KeyError(name)
    height, width, channels = input_shape
    if channels != 3:
        raise ValueError(f"The torch twins take 3-channel images. Received: input_shape={input_shape}")
    if name in CIFAR_DEPTHS:
        return cifar_resnet(CIFAR_DEPTHS[name], num_classes)
    if name in VIT_WIDTHS:
        if height != width:
            raise ValueError(f"torchvision's VisionTransformer takes square images. Received: {input_shape}")
        dim, heads = VIT_WIDTHS[name]
        return torchvision.models.VisionTransformer(image_size=height, patch_size=16, num_layers=12,
                                                    num_heads=heads, hidden_dim=dim, mlp_dim=4 * dim,
                                                    num_classes=num_classes)
    return getattr(torchvision.models, name)(weights=None, num_classes=num_classes)


def cpu_threads() -> int:
    """The CPUs this process may run on: what TensorFlow's thread pools use by default."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class TorchPrepared:
    """A twin on random data in memory, warmed up, with `keras_zoo.benchmark.Prepared`'s timing interface."""

    def __init__(self, name: str, *, input_shape: tuple[int, ...], num_classes: int, batch_size: int, steps: int,
                 precision: str = "float32", seed: int = 0):
        torch, _ = import_torch()
        from keras_zoo import benchmark

        self.torch, self.name, self.batch_size, self.input_shape = torch, name, batch_size, input_shape
        torch.manual_seed(seed)
        torch.set_num_threads(cpu_threads())
        with warnings.catch_warnings():  # a CUDA build on a machine without a GPU warns, then answers False
            warnings.simplefilter("ignore")
            self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        half = {"mixed_float16": torch.float16, "mixed_bfloat16": torch.bfloat16}.get(precision)
        self.precision = precision
        self.autocast = (lambda: torch.autocast(self.device.type, dtype=half)) if half else contextlib.nullcontext
        model = build(name, input_shape, num_classes)
        self.layout = torch.contiguous_format if name in VIT_WIDTHS else torch.channels_last
        self.model = model.to(self.device, memory_format=self.layout)
        rng = np.random.default_rng(seed)
        x = rng.standard_normal((batch_size * steps, *input_shape)).astype("float32")
        y = rng.integers(0, num_classes, size=(batch_size * steps,))
        images = torch.from_numpy(x).permute(0, 3, 1, 2)  # NHWC -> NCHW view; the layout is set below
        self.batches = [(images[i:i + batch_size].to(self.device).contiguous(memory_format=self.layout),
                         torch.from_numpy(y[i:i + batch_size]).to(self.device))
                        for i in range(0, len(x), batch_size)]
        self.one = self.batches[0][0][:1].contiguous(memory_format=self.layout)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01)
        self.params = sum(p.numel() for p in self.model.parameters())
        self.flops = self._count_flops()
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
            self.train()  # the first step allocates what the rest reuse
            self.peak_mb = torch.cuda.max_memory_allocated() / 2**20
        else:  # resident memory gained, as the zoo's side measures it (only the process's first model)
            with benchmark._PeakMemory() as memory:
                self.train()
            self.peak_mb = memory.peak_mb if not benchmark._MEMORY_MEASURED else None
            benchmark._MEMORY_MEASURED = True
        self.infer()
        self.times = {"train": [], "infer": [], "latency": []}

    def _sync(self) -> None:
        if self.device.type == "cuda":
            self.torch.cuda.synchronize()

    def _count_flops(self) -> int | None:
        from torch.utils.flop_counter import FlopCounterMode

        self.model.eval()
        counter = FlopCounterMode(display=False)
        with counter, self.torch.inference_mode():
            self.model(self.one)
        return int(counter.get_total_flops()) or None

    def train(self) -> list[float]:
        """One pass over the batches, an SGD step each; the seconds of each step."""
        torch, seconds = self.torch, []
        self.model.train()
        for x, y in self.batches:
            start = time.perf_counter()
            self.optimizer.zero_grad(set_to_none=True)
            with self.autocast():
                loss = torch.nn.functional.cross_entropy(self.model(x), y)
            loss.backward()
            self.optimizer.step()
            self._sync()
            seconds.append(time.perf_counter() - start)
        return seconds

    def _forward(self, x) -> np.ndarray:
        with self.torch.inference_mode(), self.autocast():
            return self.model(x).float().cpu().numpy()

    def infer(self) -> list[float]:
        """The seconds of each batch's forward pass, its result brought to the host."""
        self.model.eval()
        seconds = []
        for x, _ in self.batches:
            start = time.perf_counter()
            self._forward(x)
            seconds.append(time.perf_counter() - start)
        return seconds

    def time_once(self, latency_calls: int) -> None:
        """One timed run of each measurement, added to `times`."""
        self.times["train"].extend(self.train())
        self.times["infer"].extend(self.infer())
        for _ in range(latency_calls):
            start = time.perf_counter()
            self._forward(self.one)
            self.times["latency"].append(time.perf_counter() - start)

    def row(self, peak_flops: float | None):
        from keras_zoo.benchmark import Row

        med = {k: statistics.median(v) for k, v in self.times.items()}
        train_per_s = self.batch_size / med["train"]
        efficiency = 3.0 * self.flops * train_per_s / peak_flops if self.flops and peak_flops else None
        device = "GPU" if self.device.type == "cuda" else f"CPU ({os.cpu_count()} cores)"
        return Row(model=self.name, implementation=f"torch {self.torch.__version__.split('+')[0]}", xla=False,
                   batch_size=self.batch_size, input_shape="x".join(map(str, self.input_shape)),
                   params=self.params, flops=self.flops, train_per_s=train_per_s,
                   infer_per_s=self.batch_size / med["infer"], latency_ms=med["latency"] * 1e3,
                   predict_latency_ms=None, peak_mb=self.peak_mb, efficiency=efficiency, device=device,
                   serving="eager, eval()", precision=self.precision)
