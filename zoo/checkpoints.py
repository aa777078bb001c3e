"""Pretrained checkpoints: the format, where they are found, downloads, integrity, saving.

A checkpoint is a folder named `<model>.<tag>` holding three files:

- `config.json`: how to rebuild the model (`ModelSpec`: registry name, config, input shape, classes);
- `model.weights.h5`: the weights (`model.save_weights`);
- `card.json`: `sha256` of the weights, the training data and its licence, the command that
  reproduces the checkpoint, the metrics measured on held-out data, the date; optionally
  `weights_url`, where the weights are downloaded from when the folder ships without them.

`create_model(name, pretrained=X)` resolves X in this order:

1. a local checkpoint folder (X is a path);
2. the shipped `pretrained/<name>.<X>/`;
3. the user cache `$ZOO_HOME/<name>.<X>/` (default `~/.cache/keras-zoo`);
4. a URL (https, http or file) of a checkpoint folder: its three files are downloaded into the
   cache, each to a temporary file that is renamed into place only when complete (and, for the
   weights, only when its sha256 matches the card), so two processes downloading at once both end
   with one good copy and an interrupted download leaves nothing behind.

With `ZOO_OFFLINE=1` nothing opens a connection: a missing file is an error that names it. A
weights file whose sha256 differs from its card is never loaded; a bad file in the cache is moved
aside (quarantined) so that the next attempt downloads it again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import glob
import hashlib
import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keras_zoo.registry import ModelSpec, apply_overrides, create_model, get_entry, resolve_config

CONFIG_FILE = "config.json"
CARD_FILE = "card.json"
WEIGHTS_FILE = "model.weights.h5"
CHUNK = 1 << 20
TIMEOUT_S = 30


class CheckpointError(ValueError):
    """A checkpoint that cannot be found, fetched or trusted."""


class ChecksumError(CheckpointError):
    """A weights file whose sha256 is not the one its card records."""


class OfflineError(CheckpointError):
    """A file that would have to be downloaded while `ZOO_OFFLINE=1`."""


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint folder on disk and what its card says."""

    name: str  # "<model>.<tag>"
    model: str
    tag: str
    path: Path
    card: dict = dataclasses.field(default_factory=dict)

    @property
    def metrics(self) -> dict:
        return self.card.get("metrics", {})


def shipped_dir() -> Path:
    """The `pretrained/` folder installed with the package (`keras_zoo.pretrained`)."""
    from importlib import resources

    # A Traversable; a regular (unzipped) install, the only kind pip makes, gives a real folder.
    return Path(os.fspath(resources.files("keras_zoo.pretrained")))


def cache_dir() -> Path:
    """The user cache: `$ZOO_HOME`, default `~/.cache/keras-zoo`."""
    return Path(os.environ.get("ZOO_HOME") or Path.home() / ".cache" / "keras-zoo")


def offline() -> bool:
    return os.environ.get("ZOO_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def available() -> list[Checkpoint]:
    """Every checkpoint on disk, shipped ones first; a name found twice is listed once (shipped wins)."""
    found: dict[str, Checkpoint] = {}
    for root in (shipped_dir(), cache_dir()):
        if root.is_dir():
            for folder in sorted(root.iterdir()):
                ckpt = read(folder)
                if ckpt is not None and ckpt.name not in found:
                    found[ckpt.name] = ckpt
    return list(found.values())


def read(folder: Path) -> Checkpoint | None:
    """The checkpoint in `folder`, or None when it is not a checkpoint folder."""
    folder = Path(folder)
    if "." not in folder.name or not (folder / CARD_FILE).is_file() or not (folder / CONFIG_FILE).is_file():
        return None
    try:
        card = json.loads((folder / CARD_FILE).read_text())
    except (OSError, ValueError):
        return None
    model, tag = folder.name.split(".", 1)
    return Checkpoint(name=folder.name, model=model, tag=tag, path=folder, card=card)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Resolution


def resolve(model: str, pretrained: str | os.PathLike) -> Path:
    """A local folder holding the checkpoint `pretrained` of `model`, its weights verified.

    Raises:
        CheckpointError: nothing by that tag, path or URL; a download that failed.
        ChecksumError: the weights' sha256 is not the card's.
        OfflineError: a file would have to be downloaded while `ZOO_OFFLINE=1`.
    """
    text = os.fspath(pretrained)
    if _is_url(text):
        folder = _download_checkpoint(text)
    elif os.sep in text or text.startswith(".") or Path(text).expanduser().is_dir():  # a folder
        folder = Path(text).expanduser()
        _finish_interrupted_swap(folder)
        if not folder.is_dir():
            raise CheckpointError(f"No checkpoint folder at {text!r}. Received: pretrained={text!r}")
        if is_run(folder):
            folder = checkpoint_from_run(folder)
    else:
        folder = _find_tag(model, text)
    _ensure_weights(folder)
    return folder


def find(checkpoint: str | os.PathLike) -> Checkpoint:
    """The checkpoint named `"<model>.<tag>"` (shipped, cached or downloaded) or in a folder, its weights verified.

    Raises:
        CheckpointError: not a `<model>.<tag>` name, a URL or a checkpoint folder; see `resolve`.
    """
    text = os.fspath(checkpoint)
    if _is_url(text) or Path(text).expanduser().is_dir():
        folder = resolve("", text)
    elif "." in text and os.sep not in text:
        folder = resolve(*text.split(".", 1))
    else:
        raise CheckpointError(f"A checkpoint is a <model>.<tag> name (zoo list --pretrained), a folder or a URL. "
                              f"Received: {text!r}")
    found = read(folder)
    if found is None:
        raise CheckpointError(f"{folder} is not a checkpoint folder: it needs {CARD_FILE} (readable JSON) and "
                              f"{CONFIG_FILE}, and a name <model>.<tag>.")
    return found


_OLD_PREFIX = ".{}.old-"  # where save_checkpoint(overwrite=True) moves the folder it replaces


def _finish_interrupted_swap(folder: Path) -> None:
    """Put back the old checkpoint if a process replacing it was killed between its two renames.

    Without this, such a kill would leave neither the old folder nor the new one under its name.
    Old folders left by a kill after the second rename are deleted.
    """
    olds = sorted(folder.parent.glob(_OLD_PREFIX.format(glob.escape(folder.name)) + "*"),
                  key=lambda p: p.stat().st_mtime) if folder.parent.is_dir() else []
    if olds and not folder.exists():
        with contextlib.suppress(OSError):
            os.replace(olds.pop(), folder)
    if folder.exists():
        for old in olds:
            shutil.rmtree(old, ignore_errors=True)


def _is_url(text: str) -> bool:
    return urllib.parse.urlparse(text).scheme in ("http", "https", "file")


def _find_tag(model: str, tag: str) -> Path:
    if tag.startswith(f"{model}.") and len(tag) > len(model) + 1:  # the whole name, as `zoo list --pretrained` shows it
        tag = tag[len(model) + 1:]
    for root in (shipped_dir(), cache_dir()):
        _finish_interrupted_swap(root / f"{model}.{tag}")
        if read(root / f"{model}.{tag}") is not None:
            return root / f"{model}.{tag}"
    tags = sorted(c.tag for c in available() if c.model == model)
    entry = get_entry(model)
    tags += list(entry.family.builtin_weights)
    known = f"Known tags for {model}: {', '.join(tags)}." if tags else f"{model} has no checkpoints on disk."
    raise CheckpointError(
        f"No checkpoint {model}.{tag} in {shipped_dir()} or the cache {cache_dir()}. {known} "
        f"pretrained also takes a checkpoint folder or its URL. Received: pretrained={tag!r}"
    )


def _ensure_weights(folder: Path) -> None:
    """Make sure `folder` has weights matching its card, downloading them if the card says where."""
    for name in (CONFIG_FILE, CARD_FILE, WEIGHTS_FILE):  # a checkpoint folder is untrusted input
        if (folder / name).is_symlink() and not _inside(folder / name, folder):
            raise CheckpointError(f"{folder / name} links outside its checkpoint folder (to "
                                  f"{(folder / name).resolve()}): refusing to read it.")
    try:
        card = json.loads((folder / CARD_FILE).read_text())
    except (OSError, ValueError) as err:
        raise CheckpointError(f"{folder / CARD_FILE} is not readable JSON ({err}): not a checkpoint folder, nor "
                              f"a finished zoo train run (metrics.json and model.keras).") from err
    if not isinstance(card, dict):
        raise CheckpointError(f"{folder / CARD_FILE} holds a {type(card).__name__}, not a JSON object.")
    url = card.get("weights_url")
    if url is not None and (not isinstance(url, str) or urllib.parse.urlparse(url).scheme not in ("http", "https")):
        raise CheckpointError(f"{folder / CARD_FILE} gives weights_url={url!r}: only http(s) URLs are followed, "
                              f"never a local path or file: URL outside the folder.")
    expected = card.get("sha256")
    if not expected:
        raise CheckpointError(f"{folder / CARD_FILE} records no sha256 of the weights: refusing to load them.")
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        if not card.get("weights_url"):
            raise CheckpointError(f"{weights} is missing and {folder / CARD_FILE} gives no weights_url to fetch it from.")
        # A shipped folder without weights: they go to the user cache, never into site-packages.
        weights = cache_dir() / folder.name / WEIGHTS_FILE
        if not weights.is_file():
            download(card["weights_url"], weights, sha256=expected)
    verify(weights, expected)


def weights_path(folder: Path) -> Path:
    """Where the weights of a resolved checkpoint folder are (in it, or in the cache)."""
    local = folder / WEIGHTS_FILE
    return local if local.is_file() else cache_dir() / folder.name / WEIGHTS_FILE


def verify(path: Path, expected: str) -> None:
    """Raise `ChecksumError` unless `path`'s sha256 is `expected`; quarantine a bad cached file."""
    actual = sha256_of(path)
    if actual == expected.lower():
        return
    message = f"The sha256 of {path} does not match its card: expected {expected}, actual {actual}."
    if _inside(path, cache_dir()):
        quarantined = path.with_name(f"{path.name}.quarantined-{actual[:12]}")
        os.replace(path, quarantined)
        message += f" The file was moved to {quarantined}; loading again downloads a fresh copy."
    else:
        message += " It was not loaded: the file is corrupt or was changed; restore it or reinstall."
    raise ChecksumError(message)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------------------------------------
# Downloads


def download(url: str, dest: Path, *, sha256: str | None = None, progress: bool = True) -> Path:
    """Download `url` to `dest` atomically: a temporary file in the same folder, renamed when whole.

    With `sha256`, a file whose hash differs is deleted and never renamed into place. Concurrent
    downloads of the same file are safe: each writes its own temporary file, and the rename is
    atomic, so `dest` is always either absent or complete.
    """
    dest = Path(dest)
    if offline():
        raise OfflineError(f"ZOO_OFFLINE=1 and {dest} is not on disk. Download {url} to {dest}, or unset ZOO_OFFLINE.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, open(tmp, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with _progress_bar(total, dest.name, enabled=progress) as bar:
                for chunk in iter(lambda: response.read(CHUNK), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if total is not None and tmp.stat().st_size != total:
            raise CheckpointError(f"Download of {url} was cut short: {tmp.stat().st_size} of {total} bytes.")
        if sha256 is not None and digest.hexdigest() != sha256.lower():
            raise ChecksumError(
                f"The sha256 of the file downloaded from {url} does not match: expected {sha256}, "
                f"actual {digest.hexdigest()}. Nothing was saved to {dest}."
            )
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError, ConnectionError) as err:
        raise CheckpointError(f"Could not download {url}: {err}. Nothing was saved to {dest}.") from err
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return dest


@contextlib.contextmanager
def _progress_bar(total: int | None, label: str, *, enabled: bool):
    from tqdm.auto import tqdm

    with tqdm(total=total, unit="B", unit_scale=True, desc=label, disable=not enabled, file=sys.stderr) as bar:
        yield bar


def _download_checkpoint(url: str) -> Path:
    """Fetch a checkpoint folder by URL into the cache (or find it there) and return it."""
    base = url.rstrip("/")
    name = base.rsplit("/", 1)[-1]
    if "." not in name:
        raise CheckpointError(f"A checkpoint URL ends in its folder name '<model>.<tag>'. Received: pretrained={url!r}")
    folder = cache_dir() / name
    for filename in (CONFIG_FILE, CARD_FILE):
        if not (folder / filename).is_file():
            download(f"{base}/{filename}", folder / filename, progress=False)
    card = json.loads((folder / CARD_FILE).read_text())
    if not (folder / WEIGHTS_FILE).is_file():
        download(f"{base}/{WEIGHTS_FILE}", folder / WEIGHTS_FILE, sha256=card.get("sha256"))
    return folder


# ---------------------------------------------------------------------------------------------
# Loading and saving


def load(name: str, pretrained: str, *, num_classes: int | None = None, input_shape: tuple | None = None,
         **overrides: Any):
    """Build `name` with the weights of checkpoint `pretrained`; adapt its head and input if asked.

    Called by `zoo.create_model(name, pretrained=...)`. A different `num_classes` gets a new head;
    a different number of input channels gets an adapted first layer (see `zoo.transfer`).
    """
    entry = get_entry(name)
    if str(pretrained) in entry.family.builtin_weights:
        return create_model(name, num_classes=num_classes, input_shape=input_shape, weights=str(pretrained), **overrides)
    folder = resolve(name, pretrained)
    try:
        spec = ModelSpec.from_json(json.loads((folder / CONFIG_FILE).read_text()))
    except ValueError as err:  # bad JSON, an unknown model, a config field the model does not have
        raise CheckpointError(f"{folder / CONFIG_FILE} does not describe a zoo model: {err}") from err
    if spec.model != name:
        raise CheckpointError(
            f"{folder} is a checkpoint of {spec.model}, not {name}: use create_model({spec.model!r}, pretrained=...)."
        )
    if overrides:  # e.g. dropout rates; an override that changes a weight's shape fails to load below
        spec = dataclasses.replace(spec, config=apply_overrides(name, spec.config, overrides))
    model = spec.without_builtin_weights().build()
    try:
        model.load_weights(weights_path(folder))
    except ValueError as err:
        raise CheckpointError(f"The weights in {folder} do not fit {name} with overrides {overrides}: {err}") from err

    if input_shape is not None and tuple(input_shape) != spec.input_shape:
        from keras_zoo import transfer

        model = transfer.resize_input(model, tuple(input_shape))
    if num_classes is not None and num_classes != spec.num_classes:
        from keras_zoo import transfer

        model = transfer.replace_head(model, num_classes)
    return model


RUN_TAG = "run"  # a run's checkpoint is the folder `<run>/<model>.run`


def is_run(folder: Path) -> bool:
    """True for the folder of a finished `zoo train` run: its `metrics.json` and `model.keras`."""
    return (Path(folder) / "metrics.json").is_file() and (Path(folder) / "model.keras").is_file()


def checkpoint_from_run(run: str | os.PathLike) -> Path:
    """The registry network of a finished `zoo train` run, as a checkpoint folder `<run>/<model>.run`.

    A run's `model.keras` holds the network behind its training-only and input layers (augmentation,
    resizing, audio features); the checkpoint holds the network alone, with a card made from the
    run's `metrics.json` (data, classes, held-out metrics, input). `create_model(name, pretrained=RUN)`
    and `zoo train DOMAIN --pretrained RUN` call this; it is made once, and again when the run's
    model changes.

    Example:
        >>> folder = zoo.checkpoint_from_run("runs/c10")            # runs/c10/resnet20.run
        >>> model = zoo.create_model("resnet20", pretrained="runs/c10", num_classes=2)

    Raises:
        CheckpointError: not a finished run, or its model holds no registry network.
    """
    run = Path(run)
    if not is_run(run):
        raise CheckpointError(f"{run} is not a finished zoo train run (it needs metrics.json and model.keras).")
    try:
        record = json.loads((run / "metrics.json").read_text())
        name, data = record["model"], record["data"]
    except (ValueError, KeyError, TypeError) as err:
        raise CheckpointError(f"{run / 'metrics.json'} is not a zoo train record: {err}") from err
    folder, made_from = run / f"{name}.{RUN_TAG}", sha256_of(run / "model.keras")
    existing = read(folder)
    if existing is not None and existing.card.get("run", {}).get("model_sha256") == made_from:
        return folder
    from keras_zoo.saving import load_model

    trained = load_model(run / "model.keras")  # which gives its registry network `zoo_spec` (run_network)
    inner = next((layer for layer in trained.layers if getattr(layer, "zoo_spec", None) is not None), None)
    inner = inner or run_network(trained, record)  # a network that is the run's model itself
    config, text = record.get("config") or {}, _text_layer(trained)
    net = inner.zoo_spec.build()
    try:
        net.set_weights(inner.get_weights())
    except ValueError as err:
        raise CheckpointError(f"The network in {run / 'model.keras'} is not a {name} of the zoo: {err}") from err
    card = {"description": f"the {name} network of the zoo train run {run}",
            "data": {k: data[k] for k in ("source", "classes", "train", "val", "test") if k in data},
            "input": {**({"image_size": data["image_shape"][:2]} if "image_shape" in data else {}),
                      **({"features": config["features"]} if "features" in config else {}),
                      **({"text": text_input_card(text)} if text is not None else {})},
            "licence": "that of the run's data", "recipe": (record.get("run") or {}).get("command", ""),
            "metrics": record.get("metrics", {}), "run": {"folder": str(run), "model_sha256": made_from}}
    return save_checkpoint(net, folder, card=card, overwrite=True)


# The settings of a `keras.layers.TextVectorization` that a text checkpoint's card records (with its
# vocabulary), so that the checkpoint reads text exactly as the network it holds was trained on.
TEXT_SETTINGS = ("max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length")


def text_input_card(vectorizer) -> dict:
    """What a card's `input.text` records of a `TextVectorization`: its settings and vocabulary
    (without the padding and unknown-word entries, which the layer adds itself)."""
    config = vectorizer.get_config()
    return {**{key: config[key] for key in TEXT_SETTINGS},
            "vocabulary": [str(word) for word in vectorizer.get_vocabulary(include_special_tokens=False)]}


def text_vectorizer(card: dict, *, name: str = "vectorizer"):
    """The `TextVectorization` a checkpoint's card records (`input.text`), or None when it records none."""
    text = (card.get("input") or {}).get("text")
    if not text:
        return None
    import keras

    return keras.layers.TextVectorization(**{key: text[key] for key in TEXT_SETTINGS},
                                          vocabulary=list(text["vocabulary"]), name=name)


def _text_layer(model):
    import keras

    found = [layer for layer in model.layers if isinstance(layer, keras.layers.TextVectorization)]
    return found[0] if found else None


def _fields(name: str) -> set:
    return {field.name for field in dataclasses.fields(get_entry(name).config)}


def run_network(trained, record: dict):
    """The registry network inside a run's loaded `model.keras` (behind its input and augmentation
    layers), given the run's `metrics.json` record; its `zoo_spec` is set from the record (model,
    classes, input shape, config overrides, and a text run's vocabulary size), so that
    `save_checkpoint` and `zoo.transfer` take it as a model `create_model` made.

    Raises:
        CheckpointError: no registry network of the record's model in `trained`.
    """
    name, data, config = record["model"], record["data"], record.get("config") or {}
    try:
        inner = trained.get_layer(name)  # the registry network, named after its model
    except ValueError:
        inner = trained  # a run whose model is the network itself
    text = _text_layer(trained)  # a text run's vocabulary is part of what its network learned
    fixed = {"vocab_size": text.vocabulary_size()} if text is not None and "vocab_size" in _fields(name) else {}
    try:
        inner.zoo_spec = ModelSpec(name, resolve_config(name, {**(config.get("overrides") or {}), **fixed}),
                                   tuple(inner.input_shape[1:]), len(data["classes"]))
    except (ValueError, TypeError) as err:
        raise CheckpointError(f"The run's model holds no {name} network of the zoo: {err}") from err
    return inner


def save_checkpoint(model, folder: str | os.PathLike, *, card: dict | None = None, overwrite: bool = False) -> Path:
    """Save a zoo model as a checkpoint folder `<model>.<tag>` that `create_model` can load.

    The folder is written under a temporary name and renamed when complete, so it is never seen
    half-written. Put it in `$ZOO_HOME` to load it by tag, or pass its path as `pretrained`.

    Args:
        model (keras.Model): a model made by `zoo.create_model` (it carries `model.zoo_spec`), or a
            run's model loaded by `zoo.load_model` (its registry network is saved, without the
            run's input and augmentation layers).
        folder: the checkpoint folder; its name must be `<model>.<tag>`, e.g. `runs/resnet20.mydata`.
        card: what to record: `data`, `licence`, `recipe` (the command that reproduces it),
            `metrics` (measured on held-out data). The sha256 and date are added.
        overwrite: replace an existing checkpoint folder.

    Example:
        >>> zoo.save_checkpoint(model, "runs/resnet20.mydata", card={"metrics": {"accuracy": 0.97}})
        >>> model = zoo.create_model("resnet20", pretrained="runs/resnet20.mydata")
    """
    spec = getattr(model, "zoo_spec", None)
    if spec is None:  # a run's model (zoo.load_model): the registry network inside it
        inside = [layer for layer in getattr(model, "layers", []) if getattr(layer, "zoo_spec", None) is not None]
        if len(inside) == 1:
            model, spec = inside[0], inside[0].zoo_spec
    if spec is None:
        raise ValueError("Only models made by zoo.create_model (they carry model.zoo_spec), or a run's model loaded "
                         "by zoo.load_model, can be saved as checkpoints.")
    folder = Path(folder)
    if not folder.name.startswith(f"{spec.model}.") or folder.name == f"{spec.model}.":
        raise ValueError(
            f"A checkpoint folder is named '<model>.<tag>', here '{spec.model}.<tag>'. Received: folder={str(folder)!r}"
        )
    _finish_interrupted_swap(folder)
    if folder.exists() and not overwrite:
        raise FileExistsError(f"{folder} already exists; pass overwrite=True to replace it.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        # A fresh, uncompiled twin holds only the model's weights: save_weights on a compiled model
        # would also store the optimizer's state (three times the size for Adam).
        # The config says weights=None where the builder loads its own ("imagenet"): the weights are here.
        spec = spec.without_builtin_weights()
        twin = spec.build()
        twin.set_weights(model.get_weights())
        twin.save_weights(tmp / WEIGHTS_FILE)
        (tmp / CONFIG_FILE).write_text(json.dumps(spec.to_json(), indent=2) + "\n")
        import keras

        record = {
            "name": folder.name,
            **(card or {}),
            "sha256": sha256_of(tmp / WEIGHTS_FILE),
            "date": (card or {}).get("date") or datetime.date.today().isoformat(),
            "keras_version": keras.__version__,
        }
        (tmp / CARD_FILE).write_text(json.dumps(record, indent=2) + "\n")
        if folder.exists():  # two renames: one killed between them is undone by _finish_interrupted_swap
            old = folder.with_name(f"{_OLD_PREFIX.format(folder.name)}{uuid.uuid4().hex[:8]}")
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
