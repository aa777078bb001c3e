"""keras_zoo.applications.common.plotting: every plot is a real, non-empty PNG, written atomically."""

import sys

import numpy as np
import pytest

from keras_zoo.applications.common.plotting import plot_bars, plot_confusion_matrix, plot_history, save_figure

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path, min_bytes=3000):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > min_bytes
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temp files
    return data


def test_history_plot(tmp_path):
    history = {"loss": [1.0, 0.6, 0.4], "accuracy": [0.5, 0.7, 0.8], "val_loss": [1.1, 0.8, None],
               "val_accuracy": [0.4, 0.6, 0.7], "val_auc": [0.5, 0.6, 0.7]}
    path = plot_history(history, tmp_path)
    assert path == tmp_path / "plots" / "history.png"
    assert_png(path)


def test_history_plot_log_scale_and_single_epoch(tmp_path):
    assert_png(plot_history({"loss": [100.0, 1.0, 0.01], "val_loss": [90.0, 2.0, 0.5]}, tmp_path, name="log"))
    assert_png(plot_history({"loss": [0.3]}, tmp_path, name="one"))


def test_history_plot_rejects_an_empty_history(tmp_path):
    with pytest.raises(ValueError, match="history is empty"):
        plot_history({}, tmp_path)


@pytest.mark.parametrize("normalize", [True, False])
def test_confusion_matrix(tmp_path, normalize):
    matrix = np.array([[5, 1, 0], [2, 7, 1], [0, 0, 0]])  # a class never seen: an empty row
    path = plot_confusion_matrix(matrix, ["cat", "dog", "bird"], tmp_path, name=f"cm_{normalize}", normalize=normalize)
    assert path.name == f"cm_{normalize}.png"
    assert_png(path)


def test_confusion_matrix_with_many_classes(tmp_path):
    matrix = np.random.default_rng(0).integers(0, 20, size=(40, 40))
    assert_png(plot_confusion_matrix(matrix, [f"class{i}" for i in range(40)], tmp_path))


def test_confusion_matrix_checks_its_shape(tmp_path):
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)), ["a", "b"], tmp_path)
    with pytest.raises(ValueError, match="2 rows but 3 class names"):
        plot_confusion_matrix(np.zeros((2, 2)), ["a", "b", "c"], tmp_path)


def test_bars(tmp_path):
    path = plot_bars({"resnet20": 0.97, "logistic_regression": np.float32(0.93), "majority": 0.1, "broken": None},
                     tmp_path, "accuracy", title="Test accuracy", ylabel="accuracy")
    assert path == tmp_path / "plots" / "accuracy.png"
    assert_png(path)
    with pytest.raises(ValueError, match="Nothing to plot"):
        plot_bars({}, tmp_path, "x", title="t", ylabel="y")


def test_save_figure_overwrites_atomically_and_checks_the_name(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure()
    fig.subplots().plot([0, 1], [1, 0])
    first = save_figure(fig, tmp_path, "curve")
    second = save_figure(fig, tmp_path, "curve.png")
    assert first == second and sorted(p.name for p in (tmp_path / "plots").iterdir()) == ["curve.png"]
    with pytest.raises(ValueError, match="Received: name='../curve'"):
        save_figure(fig, tmp_path, "../curve")


def test_pyplot_state_is_untouched(tmp_path):
    import matplotlib

    backend = matplotlib.get_backend()
    plot_bars({"a": 1.0}, tmp_path, "bars", title="t", ylabel="y")
    assert matplotlib.get_backend() == backend
    if "matplotlib.pyplot" in sys.modules:
        assert sys.modules["matplotlib.pyplot"].get_fignums() == []
