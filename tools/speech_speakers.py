"""Leave-one-speaker-out: how the speech recipe does for a voice it has never heard, beside MFCC + SVM.

    python tools/speech_speakers.py --data ../shared/data/fsdd_4speakers
    python tools/speech_speakers.py --data ../shared/data/fsdd_4speakers --model bc_resnet_1 --augment light

Each fold is one `zoo train speech --group-by speaker --test-speaker S` run: the speaker S is the
test split, the other speakers train (validation is a share of their clips, or whole speakers
where enough are left; `applications.speech.data.split_by_speaker`), and the MFCC + SVM baseline
is trained and scored on the same split. Prints each speaker's accuracy, the mean and the worst,
for the model and the baseline, and writes every fold's record to `--output/results.json`.
The recipe is chosen by these folds only; no test clip is looked at while choosing it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def speakers(data: str, pattern: str | None = None) -> list[str]:
    """The speakers of a folder of class subfolders, read from the file names."""
    from keras_zoo.applications.speech.data import WAV_EXTENSIONS, speakers_of

    files = [f for f in Path(data).rglob("*") if f.suffix.lower() in WAV_EXTENSIONS and not f.name.startswith(".")]
    return sorted(set(speakers_of(files, pattern).tolist()))


def read_folder(data: str):
    """`(audio, labels, speakers, class_names)` of a folder of class subfolders of `<label>_<speaker>_<n>.wav`."""
    from keras_zoo.applications.common.loaders import class_files
    from keras_zoo.applications.speech.data import WAV_EXTENSIONS, speakers_of
    from keras_zoo.applications.speech.wav import load_clip

    files = class_files(Path(data), WAV_EXTENSIONS, skip=(".", "_"))
    paths = [f for name in files for f in files[name]]
    labels = np.array([i for i, name in enumerate(files) for _ in files[name]], np.int32)
    audio = np.stack([load_clip(f)[0] for f in paths])
    return audio, labels, speakers_of(paths), tuple(files)


def folds(data: str, output: Path, *, model: str, augment: str, seed: int, pattern: str | None = None,
          pretrained: str | None = None, speed: tuple[float, float] | None = None, **recipe) -> list[dict]:
    """One run per speaker, that speaker held out for testing; each run's scores."""
    from keras_zoo.applications.common.report import prepare_output_dir
    from keras_zoo.applications.common.training import TrainConfig
    from keras_zoo.applications.speech.pipeline import DEFAULT_TRAIN, SpeechConfig, train_and_evaluate

    rows = []
    for speaker in speakers(data, pattern):
        tag = (f"{model}-{augment}-seed{seed}" + ("-pretrained" if pretrained else "")
               + (f"-speed{speed[0]:g}-{speed[1]:g}" if speed else ""))
        out = prepare_output_dir(output / f"{tag}-{speaker}", "speech")
        config = SpeechConfig(model=model, data=data, augment=augment, group_by="speaker", speaker_regex=pattern,
                              test_speakers=(speaker,), pretrained=pretrained,
                              **({"speed_factors": tuple(speed)} if speed else {}),
                              train=TrainConfig(**{**DEFAULT_TRAIN, **recipe, "seed": seed}))
        record = train_and_evaluate(config, out, verbose=False)
        svm = record["baselines"]["mfcc_svm"]
        rows.append({"speaker": speaker, "accuracy": record["metrics"]["accuracy"],
                     "macro_f1": record["metrics"]["macro_f1"], "mfcc_svm": svm["accuracy"],
                     "train_s": record["timing"]["train_s"], "epochs_run": record["epochs_run"],
                     "split": record["data"]["split"], "run": str(out)})
        print(f"{speaker}: {model} {rows[-1]['accuracy']:.4f}, mfcc_svm {svm['accuracy']:.4f} "
              f"({record['epochs_run']} epochs, {record['timing']['train_s']:.0f} s)", flush=True)
    return rows


def table(rows: list[dict], model: str) -> str:
    lines = [f"| held-out speaker | {model} | mfcc_svm |", "|---|---|---|"]
    lines += [f"| {r['speaker']} | {r['accuracy']:.4f} | {r['mfcc_svm']:.4f} |" for r in rows]
    for name, pick in (("mean", statistics.mean), ("worst", min)):
        lines.append(f"| **{name}** | {pick(r['accuracy'] for r in rows):.4f} | "
                     f"{pick(r['mfcc_svm'] for r in rows):.4f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a folder of class subfolders of <label>_<speaker>_<n>.wav")
    parser.add_argument("--model", default="ds_cnn_small")
    parser.add_argument("--augment", default="auto", choices=("auto", "light", "none", "full"))
    parser.add_argument("--speaker-regex", help="reads the speaker from a file name (a (?P<speaker>...) group)")
    parser.add_argument("--pretrained", help="a checkpoint of --model to fine-tune (a new head for the digits)")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--speed", type=float, nargs=2, metavar=("LOW", "HIGH"),
                        help="`--augment full`'s speed perturbation range (default: the pipeline's, 0.8 1.25)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=Path("runs/speech_speakers"))
    args = parser.parse_args(argv)
    recipe = {"epochs": args.epochs} if args.epochs else {}
    from keras_zoo.applications.speech.pipeline import SpeechConfig

    speed = list(args.speed or SpeechConfig().speed_factors)  # recorded: train_pretrained checks it
    start = time.perf_counter()
    rows = folds(args.data, args.output, model=args.model, augment=args.augment, seed=args.seed,
                 pattern=args.speaker_regex, pretrained=args.pretrained, speed=args.speed, **recipe)
    total = time.perf_counter() - start
    print()
    print(table(rows, args.model))
    print(f"\n{len(rows)} folds in {total / 60:.1f} min")
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps({"data": args.data, "model": args.model, "augment": args.augment,
                                                          "pretrained": args.pretrained, "speed": speed,
                                                          "seed": args.seed, "recipe": recipe, "folds": rows,
                                                          "total_s": total}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
