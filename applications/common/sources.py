"""Data sources: the strings a user passes as `--data`, parsed into a `Source`.

Four forms are accepted:

- `sample`: the application's embedded default (works offline, on a fresh machine);
- `tfds:NAME` or `tfds:NAME/CONFIG`: a TensorFlow Datasets dataset, e.g. `tfds:mnist`,
  `tfds:cifar10/3.0.2`;
- a folder: one subfolder per class, as `keras.utils.*_dataset_from_directory` expects;
- a `.csv` file.

`sample` always means the embedded default, even when a folder named `sample` exists: write
`./sample` for the folder. This module does not import TensorFlow, so the command line can reject a
bad source at once.

Example:
    >>> parse_source("tfds:mnist")
    Source(kind='tfds', text='tfds:mnist', name='mnist', path=None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

KINDS = ("sample", "tfds", "folder", "csv")
ACCEPTED = ("'sample' (the embedded default), 'tfds:NAME' or 'tfds:NAME/CONFIG' (TensorFlow Datasets), "
            "a folder with one subfolder per class, or a .csv file")
_TFDS_PREFIX = "tfds:"
_TFDS_NAME = re.compile(r"^[A-Za-z0-9_][\w.:+-]*(/[\w.:+-]+)*$")


@dataclass(frozen=True)
class Source:
    """A parsed data source.

    Args:
        kind: one of `"sample"`, `"tfds"`, `"folder"`, `"csv"`.
        text: what the user wrote.
        name: for `tfds`, `NAME[/CONFIG]` as given (e.g. `"cifar10/3.0.2"`).
        path: for `folder` and `csv`, the path, user-expanded and made absolute.
    """

    kind: str
    text: str
    name: str | None = None
    path: Path | None = None

    def __str__(self) -> str:
        return self.text


def parse_source(text: str) -> Source:
    """Parse a data-source string (`sample`, `tfds:NAME[/CONFIG]`, a folder, a `.csv` file).

    Raises:
        ValueError: an empty string, `tfds:` without a name, a path that does not exist (or cannot
            be looked at: a name too long, `~user` for no such user), a file that is not a `.csv`.
            The message names what was received and the accepted forms.

    Example:
        >>> parse_source("sample").kind
        'sample'
        >>> parse_source("data/flowers").path   # an existing folder
        PosixPath('/home/me/data/flowers')
    """
    if not isinstance(text, str):
        raise ValueError(f"A data source is a string: {ACCEPTED}. Received: source={text!r}")
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"Empty data source. Accepted: {ACCEPTED}. Received: source={text!r}")
    if stripped == "sample":
        return Source(kind="sample", text=stripped)
    if stripped.startswith(_TFDS_PREFIX):
        name = stripped[len(_TFDS_PREFIX):].strip()
        if not name:
            raise ValueError(f"`tfds:` needs a dataset name, e.g. tfds:mnist or tfds:cifar10/3.0.2. "
                             f"Accepted: {ACCEPTED}. Received: source={text!r}")
        if not _TFDS_NAME.match(name):
            raise ValueError(f"Not a TensorFlow Datasets name: {name!r} (expected NAME or NAME/CONFIG, e.g. "
                             f"tfds:mnist or tfds:cifar10/3.0.2). Received: source={text!r}")
        return Source(kind="tfds", text=stripped, name=name)

    try:
        path = Path(stripped).expanduser()
    except RuntimeError:  # `~name` for a user that does not exist, or no home directory to expand `~` to
        raise ValueError(f"Cannot expand {stripped}: no such user or home directory. Accepted: {ACCEPTED}. "
                         f"Received: source={text!r}") from None
    try:
        is_dir, is_file, exists = path.is_dir(), path.is_file(), path.exists()
    except OSError as error:  # a name too long for the file system, a folder that may not be read
        raise ValueError(f"Cannot look at {stripped}: {error.strerror or error}. Accepted: {ACCEPTED}. "
                         f"Received: source={text!r}") from None
    if is_dir:
        return Source(kind="folder", text=stripped, path=path.resolve())
    if is_file:
        if path.suffix.lower() != ".csv":
            raise ValueError(f"{stripped} is a file but not a .csv file. Accepted: {ACCEPTED}. "
                             f"Received: source={text!r}")
        return Source(kind="csv", text=stripped, path=path.resolve())
    if exists:  # a socket, a device...
        raise ValueError(f"{stripped} is neither a folder nor a .csv file. Accepted: {ACCEPTED}. Received: source={text!r}")
    hint = ""
    if "/" not in stripped and "\\" not in stripped and "." not in stripped:
        hint = f" (for a TensorFlow Datasets dataset write tfds:{stripped})"
    raise ValueError(f"No such file or folder: {stripped}{hint}. Accepted: {ACCEPTED}. Received: source={text!r}")
