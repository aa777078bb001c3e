"""Issue 26: after `import keras_zoo`, plain `keras.saving.load_model` reads a zoo model, in either
import order, and `import keras_zoo` still imports neither Keras nor TensorFlow by itself."""

import subprocess
import sys

import pytest

import keras_zoo as zoo

# keras_zoo first (and something asking where keras is before importing it), or keras first.
ZOO_FIRST = ("import sys, importlib.util, keras_zoo; "
             "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'import keras_zoo is not light'; "
             "importlib.util.find_spec('keras'); import keras")
KERAS_FIRST = "import keras, keras_zoo"


@pytest.mark.parametrize("imports", [ZOO_FIRST, KERAS_FIRST], ids=["zoo first", "keras first"])
def test_plain_keras_loads_a_zoo_model_after_import_keras_zoo(imports, tmp_path):
    path = tmp_path / "resnet20.keras"
    model = zoo.create_model("resnet20", input_shape=(16, 16, 3), num_classes=3)  # zoo>BatchNormalization inside
    model.save(path)
    code = f"{imports}; m = keras.saving.load_model({str(path)!r}); print(m.name, m.count_params())"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["resnet20", str(model.count_params())]
