"""Issue 26: after `import keras_zoo`, plain `keras.saving.load_model` reads a zoo model, in either
import order, and `import keras_zoo` still imports neither Keras nor TensorFlow by itself."""

import subprocess
import sys

import keras

import keras_zoo as zoo


def test_plain_keras_loads_a_zoo_model_after_import_keras_zoo(tmp_path):
    path = tmp_path / "resnet20.keras"
    model = zoo.create_model("resnet20", input_shape=(16, 16, 3), num_classes=3)  # zoo>BatchNormalization inside
    model.save(path)
    # Keras first, then the zoo: this process (the zoo's layers registered when keras_zoo was imported).
    assert keras.saving.load_model(path).count_params() == model.count_params()
    # The zoo first (and something asking where keras is before importing it): a fresh process.
    code = ("import sys, importlib.util, keras_zoo; "
            "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'import keras_zoo is not light'; "
            f"importlib.util.find_spec('keras'); import keras; m = keras.saving.load_model({str(path)!r}); "
            "print(m.name, m.count_params())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["resnet20", str(model.count_params())]
