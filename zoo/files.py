"""Files that are either whole or absent: write to a temporary name beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; when the block ends normally, rename it to `path`.

    The rename is atomic on one file system, so readers see the old file or the new one, never a
    half-written one; if the block raises (or the process dies), the temporary file is removed (or
    left under a dotted name that nothing reads). The temporary name keeps `path`'s suffixes, for
    writers that check them (`model.save` wants `.keras`, `save_weights` `.weights.h5`).

    Example:
        >>> with atomic_path("runs/x/model.keras") as tmp:
        ...     model.save(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(path.suffixes)
    stem = path.name[:-len(suffix)] if suffix else path.name
    tmp = path.with_name(f".{stem}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
