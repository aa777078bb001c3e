"""CSV files as the user gives them: read as text, with the mistakes a user can fix as ValueErrors.

No TensorFlow here; pandas is imported when a file is read.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def read_csv_frame(path: Path, what: str, max_rows: int | None = None):
    """The file as a DataFrame of text columns, column names stripped and lower-cased.

    Args:
        path: the CSV file (comma-separated, UTF-8, a header line first).
        what: how the user gave the file, for messages (`"--data"`, `"--items"`).
        max_rows: read only the first `max_rows` data rows (None: all).

    Raises:
        ValueError: no such file; not UTF-8 (the byte and its position, and how to convert);
            empty; not well-formed; two columns of the same name (case and surrounding spaces
            ignored); a header but no rows.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"No such file: {path}. Received: {what}={str(path)!r}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True,
                            nrows=max_rows)
    except UnicodeDecodeError as error:
        byte = error.object[error.start:error.start + 1]
        raise ValueError(f"The {what} file {path.name} is not UTF-8 text (byte {byte!r} at position {error.start}). "
                         f"Save it as UTF-8, e.g. `iconv -f latin1 -t utf-8 {path.name} > utf8.csv`. "
                         f"Received: {what}={str(path)!r}") from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"The {what} file {path.name} is empty: it needs a header line and at least one row. "
                         f"Received: {what}={str(path)!r}") from None
    except pd.errors.ParserError as error:
        raise ValueError(f"The {what} file {path.name} is not a well-formed CSV file: {error}. "
                         f"Received: {what}={str(path)!r}") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    # "Close" and "close " are one name here: two such columns would make frame[name] a frame, not a column.
    repeated = sorted(name for name, count in Counter(frame.columns).items() if count > 1)
    if repeated:
        raise ValueError(f"The {what} file {path.name} has more than one column named {', '.join(repeated)} "
                         f"(names are compared ignoring case and surrounding spaces). Received: {what}={str(path)!r}")
    if len(frame) == 0:
        raise ValueError(f"The {what} file {path.name} has a header ({', '.join(frame.columns)}) but no rows. "
                         f"Received: {what}={str(path)!r}")
    return frame
