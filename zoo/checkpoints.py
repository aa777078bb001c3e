"""Pretrained checkpoints: where they are found, and what their cards say.

A checkpoint is a folder `<model>.<tag>/` holding `config.json` (registry name and config),
`model.weights.h5` and `card.json` (sha256 of the weights, data, recipe, held-out metrics).
They are looked for in the shipped `pretrained/` package, then in the user cache
(`$ZOO_HOME`, default `~/.cache/keras-zoo`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_FILE = "config.json"
CARD_FILE = "card.json"
WEIGHTS_FILE = "model.weights.h5"


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint folder and what its card says."""

    name: str  # "<model>.<tag>"
    model: str
    tag: str
    path: Path
    metrics: dict = field(default_factory=dict)


def shipped_dir() -> Path:
    """The `pretrained/` folder installed with the package."""
    import pretrained

    return Path(pretrained.__file__).resolve().parent


def cache_dir() -> Path:
    """The user cache: `$ZOO_HOME`, default `~/.cache/keras-zoo`."""
    return Path(os.environ.get("ZOO_HOME") or Path.home() / ".cache" / "keras-zoo")


def available() -> list[Checkpoint]:
    """Every checkpoint on disk, shipped ones first; a name found twice is listed once (shipped wins)."""
    found: dict[str, Checkpoint] = {}
    for root in (shipped_dir(), cache_dir()):
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            ckpt = _read(folder)
            if ckpt is not None and ckpt.name not in found:
                found[ckpt.name] = ckpt
    return list(found.values())


def _read(folder: Path) -> Checkpoint | None:
    """The checkpoint in `folder`, or None when it is not a complete checkpoint folder."""
    if "." not in folder.name or not (folder / CARD_FILE).is_file() or not (folder / CONFIG_FILE).is_file():
        return None
    model, tag = folder.name.split(".", 1)
    try:
        card = json.loads((folder / CARD_FILE).read_text())
    except (OSError, ValueError):
        return None
    return Checkpoint(name=folder.name, model=model, tag=tag, path=folder, metrics=card.get("metrics", {}))


def load(name: str, pretrained: str, **kwargs):
    raise NotImplementedError(
        f"Loading pretrained weights is not available in this version. Received: pretrained={pretrained!r}"
    )
