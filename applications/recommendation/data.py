"""User-item interactions for the recommendation application, from every source it accepts.

Every source becomes one `Interactions` (`applications.recommendation.interactions`):

- `sample`: the seeded simulator (`applications.recommendation.simulator`, SYNTHETIC data, seed 0
  always: the sample is one fixed data set);
- a CSV file (`read_csv`): a header, then `user_id,item_id[,rating][,timestamp]` rows;
- `tfds:movielens/...` (`load_tfds`): TensorFlow Datasets' MovieLens ratings configs
  (`100k-ratings`, `1m-ratings`, `20m-ratings`, `25m-ratings`, `latest-small-ratings`).

An optional item file (`read_items`) adds titles and genres. `load_interactions` picks the
loader from a data-source string.

Numbering: users and items are numbered in the sorted order of their raw ids (text order; when
every id is a whole number written in digits, numeric order, so "2" comes before "10"). Raw ids
are strings, always: "007" and "7" are two different users.

Duplicates: a (user, item) pair given more than once keeps one row, the latest (by timestamp;
at equal or no timestamps, the last in file order), at the place that row had in the file. The
others are dropped and counted in `notes["duplicates_dropped"]`.

Notes (`Interactions.notes`): `rows_read` and `duplicates_dropped` (CSV and TFDS: rows read,
after any `max_examples` cap, and duplicate rows dropped), `max_examples` (when a cap was given),
`items_without_title` (after `read_items`), `synthetic` and `seed` (the sample, which has no
duplicates).

No TensorFlow at import time: TensorFlow Datasets is imported inside `load_tfds` only.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from keras_zoo.applications.common.datasets import check_max_examples, prepare_tfds, tfds_builder
from keras_zoo.applications.common.sources import Source, parse_source
from keras_zoo.applications.common.tables import read_csv_frame
from keras_zoo.applications.recommendation.interactions import Interactions

# Accepted column names (compared case-insensitively, surrounding spaces ignored), in priority order.
USER_COLUMNS = ("user_id", "userid", "user")
ITEM_COLUMNS = ("item_id", "itemid", "item", "movie_id", "movieid")
RATING_COLUMNS = ("rating", "user_rating", "score")
TIME_COLUMNS = ("timestamp", "time", "date")
TITLE_COLUMNS = ("title", "name", "movie_title")
GENRE_COLUMNS = ("genres", "genre")
UNKNOWN_GENRE = "unknown"
ACCEPTED = ("a CSV file of user_id,item_id[,rating][,timestamp] rows, tfds:movielens/<config>-ratings "
            "(e.g. tfds:movielens/100k-ratings), or sample")
_TFDS_BATCH = 65_536


def build_interactions(users, items, ratings=None, timestamps=None, *, titles=None, genres=None, source: str = "",
                       notes: dict | None = None) -> Interactions:
    """An `Interactions` from per-row raw columns: numbers users and items, drops duplicate pairs.

    Args:
        users, items: `(n,)` raw ids (converted to str).
        ratings: `(n,)` numbers, or None.
        timestamps: `(n,)` integers, or None (then the row order is the time order).
        titles, genres: `(n,)` per-row title and genre of the row's item (the first row of an item
            wins), or None.
        source: recorded in `Interactions.source`.
        notes: recorded in `Interactions.notes`, with `duplicates_dropped` added.

    Example:
        >>> data = build_interactions(["alice", "bob", "alice"], ["x", "x", "y"], [5, 3, 4])
        >>> data.user_ids.tolist(), data.users.tolist()
        (['alice', 'bob'], [0, 1, 0])
    """
    n = len(users)
    lengths = {name: len(v) for name, v in [("users", users), ("items", items), ("ratings", ratings),
                                            ("timestamps", timestamps), ("titles", titles), ("genres", genres)]
               if v is not None}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"Every column needs one value per row. Received lengths: {lengths}")
    user_codes, user_ids = _number(users)
    item_codes, item_ids = _number(items)

    # ## Duplicates: keep the latest row of each (user, item) pair, at its place in the file
    key = user_codes * max(len(item_ids), 1) + item_codes
    order = np.lexsort((key,) if timestamps is None else (np.asarray(timestamps), key))  # stable: ties by row
    last = np.ones(n, dtype=bool)
    last[:-1] = key[order[1:]] != key[order[:-1]]
    kept = np.sort(order[last])

    def per_item(values):
        if values is None:
            return None
        first = np.unique(item_codes, return_index=True)[1]  # the first row of each item, by item number
        out = np.empty(len(item_ids), dtype=object)
        out[item_codes[first]] = np.asarray(values, dtype=object)[first]
        return out.astype(str)

    return Interactions(
        users=user_codes[kept].astype(np.int32), items=item_codes[kept].astype(np.int32),
        ratings=None if ratings is None else np.asarray(ratings, dtype=np.float32)[kept],
        timestamps=None if timestamps is None else np.asarray(timestamps, dtype=np.int64)[kept],
        user_ids=user_ids, item_ids=item_ids, item_titles=per_item(titles), item_genres=per_item(genres),
        source=source, notes={**(notes or {}), "duplicates_dropped": int(n - len(kept))},
    )


def _number(ids) -> tuple[np.ndarray, np.ndarray]:
    """`(codes, uniques)`: each id's number, in the sorted order of the distinct ids (numeric if all digits)."""
    import pandas as pd

    codes, uniques = pd.factorize(pd.Series(ids, copy=False).astype(str))  # hashing: fast on millions of rows
    uniques = np.asarray(uniques, dtype=str)
    order = np.argsort(uniques, kind="stable")
    if len(uniques) and (np.char.isdigit(uniques) & (np.char.str_len(uniques) <= 18)).all():
        try:
            order = np.lexsort((uniques, uniques.astype(np.int64)))  # "007" before "7" before "10"
        except ValueError:  # digits outside ASCII
            pass
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[order] = np.arange(len(uniques))
    return rank[np.asarray(codes)], uniques[order]


def read_csv(path, *, what: str = "--data", max_rows: int | None = None) -> Interactions:
    """Interactions from a CSV file with a header: `user_id,item_id[,rating][,timestamp]`.

    Column names are matched case-insensitively, surrounding spaces ignored, with aliases: user
    `user_id`/`userid`/`user`; item `item_id`/`itemid`/`item`/`movie_id`/`movieid`; rating
    `rating`/`user_rating`/`score`; timestamp `timestamp`/`time`/`date` (numbers, or ISO dates such
    as `2021-03-04` or `2021-03-04T10:00:00Z`, read as UTC and turned into epoch seconds). Other
    columns are ignored. Ids are read as text (surrounding spaces removed). Duplicate (user, item)
    rows: the latest is kept, the others dropped and counted (module docstring).

    Args:
        path: the CSV file (comma-separated, UTF-8).
        what: how the user gave the file, for messages (`"--data"`, `"--items"`).
        max_rows: read only the first `max_rows` data rows (None: all).

    Raises:
        ValueError: a file that is not UTF-8, empty, or has no data rows; no user or no item
            column (the message lists the columns found and the accepted names); an empty user
            or item id (the count and the first row); a rating that is not a number; a
            timestamp that is neither a number nor a date. Rows are counted from 1 after the
            header.

    Example:
        >>> data = read_csv("data/ml-100k/ratings.csv")
        >>> data.n_users, data.n_items, data.notes["duplicates_dropped"]
        (943, 1682, 0)
    """
    path = Path(path)
    frame = read_csv_frame(path, what, max_rows)
    columns = _find_columns(frame, path, what, user=USER_COLUMNS, item=ITEM_COLUMNS)
    optional = _find_columns(frame, path, what, rating=RATING_COLUMNS, timestamp=TIME_COLUMNS, required=False)
    users = _ids(frame[columns["user"]], path, what, "a user id")
    items = _ids(frame[columns["item"]], path, what, "an item id")
    ratings = None
    if "rating" in optional:
        ratings = _numbers(frame[optional["rating"]])
        _check_rows(~np.isfinite(ratings), frame[optional["rating"]], path, what, "ratings that are not numbers")
    timestamps = None if "timestamp" not in optional else _times(frame[optional["timestamp"]], path, what)
    return build_interactions(users, items, ratings, timestamps, source=str(path), notes={"rows_read": len(frame)})


def read_items(path, interactions: Interactions, *, what: str = "--items") -> Interactions:
    """A copy of `interactions` with titles (and genres) read from an item file.

    The file is a CSV with a header: an item column (names as in `read_csv`), a title column
    (`title`, `name`, `movie_title`) and optionally a genre column (`genres` or `genre`: several
    genres separated by `|`, else by spaces; the first is kept). Items of the interactions that
    the file does not list get their id as title and genre "unknown", counted in
    `notes["items_without_title"]`; items the file lists but nobody interacted with are ignored.
    A file listing an item twice: its first row counts.

    Raises:
        ValueError: as `read_csv` for the file's form; no item or title column; an item file
            that names none of the items of the interactions (probably the wrong file).

    Example:
        >>> data = read_items("data/ml-100k/items.csv", read_csv("data/ml-100k/ratings.csv"))
        >>> data.item_titles[0], data.item_genres[0]
        ('Toy Story (1995)', 'Animation')
    """
    path = Path(path)
    frame = read_csv_frame(path, what)
    columns = _find_columns(frame, path, what, item=ITEM_COLUMNS, title=TITLE_COLUMNS)
    optional = _find_columns(frame, path, what, genre=GENRE_COLUMNS, required=False)
    ids = _ids(frame[columns["item"]], path, what, "an item id")
    titles = frame[columns["title"]].fillna("").astype(str).str.strip().to_numpy(dtype=str)
    lookup = {i: k for k, i in reversed(list(enumerate(ids)))}  # backwards: the first row of an id wins
    at = np.array([lookup.get(i, -1) for i in interactions.item_ids.tolist()], dtype=np.int64)
    found = at >= 0
    if len(at) and not found.any():
        raise ValueError(f"The {what} file {path.name} lists none of the {len(at)} items of the interactions "
                         f"(it has ids like {', '.join(map(repr, ids[:3].tolist()))}; the interactions have ids like "
                         f"{', '.join(map(repr, interactions.item_ids[:3].tolist()))}). "
                         f"Is it the item file of this data? Received: {what}={str(path)!r}")
    item_titles = interactions.item_ids.astype(object).copy()
    item_titles[found] = titles[at[found]]
    empty = found & (item_titles == "")
    item_titles[empty] = interactions.item_ids[empty]
    item_genres = interactions.item_genres
    if "genre" in optional:
        raw = frame[optional["genre"]].fillna("").astype(str).to_numpy(dtype=str)
        item_genres = np.full(len(at), UNKNOWN_GENRE, dtype=object)
        item_genres[found] = [_first_genre(g) for g in raw[at[found]]]
    notes = {**interactions.notes, "items_without_title": int((~found).sum() + empty.sum())}
    return replace(interactions, item_titles=item_titles.astype(str),
                   item_genres=None if item_genres is None else np.asarray(item_genres).astype(str), notes=notes)


def _first_genre(text: str) -> str:
    parts = text.split("|") if "|" in text else text.split()
    first = parts[0].strip() if parts else ""
    return first or UNKNOWN_GENRE


def _find_columns(frame, path: Path, what: str, *, required: bool = True, **wanted) -> dict:
    """`{role: column}` for each role whose accepted names (`wanted[role]`) include a column of the file."""
    found = {}
    for role, names in wanted.items():
        column = next((name for name in names if name in frame.columns), None)
        if column is not None:
            found[role] = column
        elif required:
            hint = ""
            if len(frame.columns) == 1 and any(sep in frame.columns[0] for sep in ("\t", ";")):
                hint = " The file looks tab- or semicolon-separated; it must be comma-separated."
            elif all(c.replace(".", "").isdigit() for c in frame.columns):
                hint = " The first line must be a header naming the columns."
            raise ValueError(f"The {what} file {path.name} has no {role} column: its columns are "
                             f"{list(frame.columns)}; a {role} column is named one of {list(names)} (any case).{hint} "
                             f"Received: {what}={str(path)!r}")
    return found


def _ids(column, path: Path, what: str, name: str) -> np.ndarray:
    values = column.fillna("").astype(str).str.strip()
    missing = (values == "").to_numpy()
    if missing.any():
        first = int(np.argmax(missing)) + 1
        raise ValueError(f"The {what} file {path.name} has {int(missing.sum())} rows without {name} (the first: "
                         f"row {first}, counting from 1 after the header). Received: {what}={str(path)!r}")
    return values.to_numpy(dtype=object)


def _numbers(column) -> np.ndarray:
    """The column's values as float64, NaN where one is not a number."""
    import pandas as pd

    text = column.fillna("").astype(str).str.strip()
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _check_rows(bad: np.ndarray, column, path: Path, what: str, values: str, hint: str = "") -> None:
    """A ValueError naming how many rows are `bad` and the first of them, if any is."""
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(f"The {what} file {path.name} has {int(bad.sum())} {values} (the first: "
                         f"{column.iloc[first]!r} in row {first + 1}, counting from 1 after the header). {hint}"
                         f"Received: {what}={str(path)!r}")


def _times(column, path: Path, what: str) -> np.ndarray:
    """Epoch seconds from numbers, or from ISO dates (read as UTC); the first row says which."""
    import pandas as pd

    hint = "A timestamp is a number (e.g. seconds since 1970) or an ISO date (2021-03-04 or 2021-03-04T10:00:00). "
    numbers = _numbers(column)
    if np.isfinite(numbers[0]):  # a column of numbers (the first row decides)
        _check_rows(~np.isfinite(numbers), column, path, what, "timestamps that are not numbers, as the first row's is",
                    hint)
        return np.floor(numbers).astype(np.int64)
    dates = pd.to_datetime(column.fillna("").astype(str).str.strip(), errors="coerce", utc=True, format="ISO8601")
    _check_rows(dates.isna().to_numpy(), column, path, what, "timestamps that are neither numbers nor dates", hint)
    return ((dates - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)


def load_tfds(name: str, *, data_dir=None, max_examples: int | None = None) -> Interactions:
    """Interactions from a TensorFlow Datasets MovieLens ratings config, e.g. `movielens/100k-ratings`.

    Reads the 'train' split (MovieLens has no other): `user_id`, `movie_id`, `user_rating`,
    `timestamp`, `movie_title` and the first of `movie_genres` (by its label name).

    Args:
        name: `movielens/100k-ratings`, `movielens/1m-ratings`, `movielens/20m-ratings`,
            `movielens/25m-ratings` or `movielens/latest-small-ratings` (or a set with the same
            features).
        data_dir: where TFDS keeps its data (its default: `~/tensorflow_datasets`).
        max_examples: read only the first `max_examples` rows.

    Raises:
        ValueError: an unknown name, or a set without `user_id` and `movie_id` features (say
            `movielens/100k-movies`, or `mnist`).

    Example:
        >>> data = load_tfds("movielens/100k-ratings")
        >>> data.n_users, data.n_items
        (943, 1682)
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    check_max_examples(max_examples)
    builder = tfds_builder(name, data_dir=data_dir, features={"user_id": "Tensor", "movie_id": "Tensor"},
                           task="a ratings set with a user_id and a movie_id per row (e.g. movielens/100k-ratings)",
                           application="the recommendation application")
    features = builder.info.features
    if features["user_id"].dtype != tf.string or features["movie_id"].dtype != tf.string:
        raise ValueError(f"tfds:{name} has user_id and movie_id features that are not text ids. "
                         f"Accepted: {ACCEPTED}. Received: source='tfds:{name}'")
    prepare_tfds(builder, name)
    kept = [key for key in ("user_id", "movie_id", "user_rating", "timestamp", "movie_title") if key in features]
    genres_feature = getattr(features["movie_genres"], "feature", None) if "movie_genres" in features else None
    genre_names = getattr(genres_feature, "names", None)

    def pick(example):
        row = {key: example[key] for key in kept}
        if genre_names is not None:  # the first genre, -1 for none (batching would pad with 0, a real genre)
            genres = tf.cast(example["movie_genres"], tf.int64)
            row["genre"] = tf.concat([genres, tf.constant([-1], tf.int64)], axis=0)[0]
        return row

    dataset = builder.as_dataset(split="train", shuffle_files=False)
    if max_examples is not None:
        dataset = dataset.take(max_examples)
    dataset = dataset.map(pick, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(_TFDS_BATCH)
    chunks: dict[str, list] = {}
    for batch in tfds.as_numpy(dataset):
        for key, value in batch.items():
            chunks.setdefault(key, []).append(value)
    if not chunks:
        raise ValueError(f"tfds:{name} has no rows in its 'train' split. Received: source='tfds:{name}'")
    columns = {key: np.concatenate(value) for key, value in chunks.items()}
    # The genre names, index -1 -> unknown.
    genres = np.array([*genre_names, UNKNOWN_GENRE])[columns["genre"]] if "genre" in columns else None
    return build_interactions(
        _decode(columns["user_id"]), _decode(columns["movie_id"]), columns.get("user_rating"), columns.get("timestamp"),
        titles=_decode(columns["movie_title"]) if "movie_title" in columns else None, genres=genres,
        source=f"tfds:{name}", notes={"rows_read": int(len(columns["user_id"])),
                                      **({} if max_examples is None else {"max_examples": max_examples})},
    )


def _decode(values: np.ndarray) -> np.ndarray:
    """Bytes (as TFDS gives text) to str."""
    import pandas as pd

    return pd.Series(values, dtype=object).str.decode("utf-8", errors="replace").to_numpy(dtype=str)


def load_interactions(source, *, items=None, max_examples: int | None = None, data_dir=None) -> Interactions:
    """The interactions a data source names: `sample`, a CSV file, or `tfds:movielens/...`.

    Args:
        source: a data-source string (`applications.common.sources.parse_source`) or a parsed `Source`.
        items: an item file (CSV with item id, title and optionally genres) to read titles and
            genres from (`read_items`), or None.
        max_examples: keep only the first `max_examples` rows of the source, in its own order
            (the CSV file's rows; the sample's rows are ordered by user then time, so a cap keeps
            the whole histories of the first users); None keeps all.
        data_dir: TensorFlow Datasets' data folder (tfds sources only).

    Raises:
        ValueError: a folder (not a recommendation source), and every error of the loaders.

    Example:
        >>> data = load_interactions("sample")
        >>> data.source, data.notes["synthetic"]
    """
    if not isinstance(source, Source):
        source = parse_source(source)
    check_max_examples(max_examples)
    if source.kind == "sample":
        from keras_zoo.applications.recommendation.simulator import simulate

        data = simulate(seed=0)
        if max_examples is not None and max_examples < len(data):
            first = slice(0, max_examples)
            data = build_interactions(
                data.user_ids[data.users[first]], data.item_ids[data.items[first]], data.ratings[first],
                data.timestamps[first], titles=data.item_titles[data.items[first]],
                genres=data.item_genres[data.items[first]], source="sample", notes=data.notes)
        data.notes.pop("duplicates_dropped", None)  # the simulator makes none
    elif source.kind == "csv":
        data = read_csv(source.path, max_rows=max_examples)
    elif source.kind == "tfds":
        data = load_tfds(source.name, data_dir=data_dir, max_examples=max_examples)
    elif source.kind == "folder":
        raise ValueError(f"The recommendation application reads {ACCEPTED}; a folder is not accepted. "
                         f"Received: source={source.text!r}")
    else:
        raise ValueError(f"Unknown source kind {source.kind!r}. Accepted: {ACCEPTED}. Received: source={source.text!r}")
    if max_examples is not None:
        data.notes["max_examples"] = max_examples
    if items is not None:
        data = read_items(items, data)
    return replace(data, source=source.text)
