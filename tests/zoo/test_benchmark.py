"""The benchmark measures what it says (no test asserts a speed: speed lives in its output)."""

import csv

import keras
import pytest

from tests.cli_checks import run_zoo
from keras_zoo import benchmark


def test_flops_of_a_dense_layer_are_counted_as_multiply_adds():
    model = keras.Sequential([keras.Input((100,)), keras.layers.Dense(10, use_bias=False)])
    assert benchmark.count_flops(model, (100,)) == 2 * 100 * 10


def test_a_benchmark_row_has_every_column_and_the_csv_holds_it(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmark, "_MEMORY_MEASURED", False)  # the first model measured in this process
    rows = benchmark.benchmark(["mlp_small"], input_shape=(8,), num_classes=3, batch_size=4, steps=2, repeats=1,
                               xla=(False,), verbose=False)
    (row,) = rows
    import keras_zoo as zoo

    assert row.params == zoo.create_model("mlp_small", input_shape=(8,), num_classes=3).count_params()
    assert row.flops and row.train_per_s > 0 and row.infer_per_s > 0 and row.latency_ms > 0
    assert row.predict_latency_ms > 0 and row.efficiency > 0 and row.peak_mb is not None
    table = benchmark.format_table(rows)
    header = "| model | implementation | XLA | precision | inference | params | GFLOPs/example |"
    assert table.splitlines()[0].startswith(header)
    path = benchmark.write_csv(rows, tmp_path / "bench" / "rows.csv")
    with open(path) as f:
        (saved,) = list(csv.DictReader(f))
    assert saved["model"] == "mlp_small" and saved["xla"] == "False" and float(saved["train_per_s"]) > 0


def test_the_serving_function_gives_the_models_outputs():
    import numpy as np

    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dropout(0.5)])
    x = np.ones((1, 5), "float32")
    serve = benchmark.serving_function(model)
    np.testing.assert_allclose(np.asarray(serve(x)), model.predict(x, verbose=0), rtol=1e-6)  # inference: no dropout


def test_command_line(tmp_path, capsys):
    out = tmp_path / "rows.csv"
    status, _ = run_zoo(["benchmark", "mlp_small", "--input-shape", "8", "--batch-size", "4", "--steps", "1",
                         "--repeats", "1", "--xla", "off", "--csv", str(out)], capsys)
    assert status == 0 and out.is_file()
    status, err = run_zoo(["benchmark", "no_such_model*"], capsys)
    assert status == 2 and "No registry model matches no_such_model*" in err
    status, err = run_zoo(["benchmark", "mlp_small", "--steps", "0"], capsys)
    assert status == 2 and "steps must be a positive integer" in err


@pytest.mark.parametrize("name", sorted(benchmark.REFERENCES))
def test_every_reference_is_a_keras_application(name):
    assert hasattr(keras.applications, benchmark.REFERENCES[name][0])


def test_an_unknown_reference_is_refused_before_anything_is_built():
    with pytest.raises(ValueError, match="Unknown reference 'jax': use keras or torch"):
        benchmark.benchmark(["resnet20"], reference="jax", verbose=False)


def test_every_training_step_and_every_inference_batch_is_timed():
    """Throughput is the batch over the median step: each of `steps` batches of each run is one sample."""
    import numpy as np

    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4), keras.layers.Softmax()])
    prepared = benchmark.Prepared(model, name="tiny", implementation="zoo", input_shape=(6,), num_classes=4,
                                  batch_size=5, steps=3, xla=False)
    benchmark.time_interleaved([prepared], repeats=2, latency_calls=4)
    assert [len(prepared.times[k]) for k in ("train", "infer", "latency", "predict_latency")] == [6, 6, 8, 2]
    row = prepared.row(peak_flops=None)
    assert row.train_per_s == 5 / float(np.median(prepared.times["train"]))
    assert row.infer_per_s == 5 / float(np.median(prepared.times["infer"]))


@pytest.mark.slow  # seconds per case on two cores (make test-fast skips it)
def test_precisions_are_measured_and_the_global_policy_is_put_back():
    before = keras.config.dtype_policy().name
    rows = benchmark.benchmark(["mlp_small"], input_shape=(8,), num_classes=3, batch_size=4, steps=1, repeats=1,
                               xla=(False,), precisions=("float32", "mixed_bfloat16"), verbose=False)
    assert [row.precision for row in rows] == ["float32", "mixed_bfloat16"]
    assert all(row.train_per_s > 0 and row.infer_per_s > 0 and row.efficiency > 0 for row in rows)
    assert keras.config.dtype_policy().name == before
    assert "| precision |" in benchmark.format_table(rows).splitlines()[0]
    with pytest.raises(ValueError, match="Unknown precision 'float8'"):
        benchmark.benchmark(["mlp_small"], precisions=("float8",), verbose=False)


def test_precision_on_the_command_line_reaches_the_csv(tmp_path, capsys):
    from keras_zoo.applications import cli

    (option,) = [a for a in cli.build_parser()._subparsers._group_actions[0].choices["benchmark"]._actions
                 if "--precision" in a.option_strings]
    assert tuple(option.choices) == benchmark.PRECISIONS  # the command offers what the module measures
    import tensorflow as tf

    gpu = bool(tf.config.list_logical_devices("GPU"))  # mixed_float16 is measured by default on a GPU only
    assert benchmark.default_precisions() == (("float32", "mixed_float16") if gpu else ("float32",))
    out = tmp_path / "rows.csv"
    status, _ = run_zoo(["benchmark", "mlp_small", "--input-shape", "8", "--batch-size", "4", "--steps", "1",
                         "--repeats", "1", "--xla", "off", "--precision", "mixed_bfloat16", "--csv", str(out)], capsys)
    assert status == 0
    with open(out) as f:
        assert [row["precision"] for row in csv.DictReader(f)] == ["mixed_bfloat16"]
