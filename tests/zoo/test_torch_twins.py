"""The PyTorch twins (`zoo benchmark --reference torch`): the same networks, timed beside the zoo's.

They need the optional extra `keras-zoo[torch]`, which `make test` does not install: there these
tests are skipped, and tests/test_core_install.py checks the one-line error that names the extra.
Where torch is installed (`pip install ".[dev,torch]"`), they run.
"""

import numpy as np
import pytest

from keras_zoo import benchmark

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")
torch_twins = pytest.importorskip("keras_zoo.torch_twins")


@pytest.mark.parametrize("name, shape", [("resnet20", (32, 32, 3)), ("resnet56", (32, 32, 3)),
                                         ("vit_tiny", (224, 224, 3))])
def test_a_twin_has_the_zoo_models_parameters(name, shape):
    import keras_zoo as zoo

    twin = torch_twins.build(name, shape, 10)
    zoo_model = zoo.create_model(name, input_shape=shape, num_classes=10)
    trainable = sum(int(np.prod(w.shape)) for w in zoo_model.trainable_weights)  # PyTorch's count
    assert sum(p.numel() for p in twin.parameters()) == trainable
    assert tuple(twin.eval()(torch.zeros(2, 3, *shape[:2])).shape) == (2, 10)


def test_resnet50s_twin_is_torchvisions_v1_5():
    twin = torch_twins.build("resnet50", (224, 224, 3), 1000)
    assert sum(p.numel() for p in twin.parameters()) == 25_557_032  # torchvision's published count


def test_a_reference_row_stands_beside_the_zoos_with_its_ratio():
    rows = benchmark.benchmark(["resnet20"], input_shape=(32, 32, 3), num_classes=10, batch_size=4, steps=2,
                               repeats=1, xla=(False, True), reference="torch", verbose=False)
    assert [(r.implementation.split()[0], r.xla) for r in rows] == [("zoo", False), ("torch", False), ("zoo", True)]
    zoo_row, twin = rows[:2]
    assert twin.params < zoo_row.params and twin.flops > 0 and twin.train_per_s > 0 and twin.infer_per_s > 0
    assert zoo_row.ratio_train == pytest.approx(zoo_row.train_per_s / twin.train_per_s)
    assert zoo_row.ratio_infer == pytest.approx(zoo_row.infer_per_s / twin.infer_per_s)
    assert rows[2].ratio_train is None  # the eager twin is not set beside XLA


def test_training_the_twin_lowers_its_loss():
    prepared = torch_twins.TorchPrepared("resnet20", input_shape=(32, 32, 3), num_classes=10, batch_size=8, steps=1)
    x, y = prepared.batches[0]
    prepared.model.train()
    before = torch.nn.functional.cross_entropy(prepared.model(x), y).item()
    for _ in range(5):
        prepared.train()
    after = torch.nn.functional.cross_entropy(prepared.model(x), y).item()
    assert after < before

