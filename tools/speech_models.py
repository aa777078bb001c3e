"""Speech models of the registry on one data source, each with the speech recipe, beside MFCC + SVM.

    python tools/speech_models.py --data sample --models ds_cnn_small bc_resnet_1 crnn kwt_1
    python tools/speech_models.py --data digits/train --test-data digits/test --seeds 0 1 2

This is how the speech pipeline's default model and recipe were chosen (README, "Speech"): each
model trains with `zoo train speech`'s recipe (`applications.speech.pipeline.DEFAULT_TRAIN`,
changed by the flags below) once per seed and is scored on the test split (for the sample: voices
held out from training). Prints a Markdown table (median over seeds) and writes every run's record
to `--output/results.json`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def measure(data: str, test_data: str | None, models: list[str], seeds: list[int], output: Path, *,
            augment: str = "auto", features: str = "log_mel", pretrained: str | None = None, **recipe) -> list[dict]:
    from keras_zoo.applications.common.report import prepare_output_dir
    from keras_zoo.applications.common.training import TrainConfig
    from keras_zoo.applications.speech.pipeline import DEFAULT_TRAIN, SpeechConfig, train_and_evaluate

    runs = []
    for model in models:
        for seed in seeds:
            tag = f"{model}-{augment}-{features}-seed{seed}" + ("-pretrained" if pretrained else "")
            out = prepare_output_dir(output / tag, "speech")
            config = SpeechConfig(model=model, data=data, test_data=test_data, augment=augment, features=features,
                                  pretrained=pretrained,
                                  train=TrainConfig(**{**DEFAULT_TRAIN, **recipe, "seed": seed}))
            record = train_and_evaluate(config, out, verbose=False)
            runs.append({"model": model, "seed": seed, "augment": augment, "features": features,
                         "pretrained": pretrained, "recipe": recipe, "metrics": record["metrics"],
                         "baselines": record["baselines"], "train_s": record["timing"]["train_s"],
                         "epochs_run": record["epochs_run"], "data": record["data"]})
            print(f"{tag}: accuracy {record['metrics']['accuracy']:.4f} in {record['timing']['train_s']:.0f} s "
                  f"({record['epochs_run']} epochs); mfcc_svm {record['baselines']['mfcc_svm']['accuracy']:.4f}",
                  flush=True)
    return runs


def table(runs: list[dict]) -> str:
    def median(values):
        return statistics.median(values) if values else None

    lines = ["| model | augment | test accuracy | macro-F1 | train s |", "|---|---|---|---|---|"]
    for key in dict.fromkeys((r["model"], r["augment"]) for r in runs):
        mine = [r for r in runs if (r["model"], r["augment"]) == key]
        lines.append(f"| {key[0]} | {key[1]} | {median([r['metrics']['accuracy'] for r in mine]):.4f} | "
                     f"{median([r['metrics']['macro_f1'] for r in mine]):.4f} | "
                     f"{median([r['train_s'] for r in mine]):.0f} |")
    svm = [r["baselines"]["mfcc_svm"] for r in runs]
    lines.append(f"| mfcc_svm | - | {median([b['accuracy'] for b in svm]):.4f} | "
                 f"{median([b['macro_f1'] for b in svm]):.4f} | {median([b['train_s'] for b in svm]):.1f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    import keras_zoo as zoo

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="sample", help="sample, tfds:NAME or a folder of class subfolders")
    parser.add_argument("--test-data", help="a folder of the same classes, used as the test split")
    parser.add_argument("--models", nargs="+", default=zoo.list_models(family="kws"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--augment", default="auto", choices=("auto", "light", "none"))
    parser.add_argument("--features", default="log_mel", choices=("log_mel", "mfcc"))
    parser.add_argument("--pretrained", help="a checkpoint to fine-tune (one model only)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--output", default="runs/speech_models")
    args = parser.parse_args(argv)
    recipe = {k: v for k, v in (("epochs", args.epochs), ("learning_rate", args.learning_rate),
                                ("batch_size", args.batch_size)) if v is not None}
    output = Path(args.output)
    runs = measure(args.data, args.test_data, args.models, args.seeds, output, augment=args.augment,
                   features=args.features, pretrained=args.pretrained, **recipe)
    from keras_zoo.applications.common.report import write_json

    write_json(output / "results.json", runs)
    first = runs[0]["data"]
    print(f"\n{args.data}: {first['train']} train, {first['val']} validation, {first['test']} test clips; "
          f"median of seeds {args.seeds}\n")
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
