"""Turn a MovieLens-100k download into the CSV files `zoo train recommendation` reads.

GroupLens distributes MovieLens-100k (https://grouplens.org/datasets/movielens/100k/) as `u.data`
(tab-separated `user item rating timestamp`, no header) and `u.item` (`|`-separated: id, title,
release date, video date, URL, 19 genre flags). Its licence forbids redistribution, so the
project does not ship it: download it, then

    python tools/movielens_csv.py ml-100k/ --output data/ml-100k

writes `data/ml-100k/ratings.csv` (`user_id,item_id,rating,timestamp`) and `items.csv`
(`item_id,title,genres`). The same tool reads RecBole's copy of the set (the `recbole` wheel on
PyPI ships it as `recbole/dataset_example/ml-100k/ml-100k.inter` and `.item`), which is how this
project measured it offline.

Example:
    >>> python tools/movielens_csv.py ml-100k/ --output data/ml-100k
    >>> zoo train recommendation --data data/ml-100k/ratings.csv --items data/ml-100k/items.csv
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

# u.item's 19 genre flags, in column order (the README of MovieLens-100k).
GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
          "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
          "War", "Western")


def read_grouplens(folder: Path) -> tuple[list[list[str]], list[list[str]]]:
    """`(ratings rows, item rows)` from GroupLens' `u.data` and `u.item`."""
    ratings = [line.split("\t") for line in (folder / "u.data").read_text().splitlines() if line.strip()]
    items = []
    for line in (folder / "u.item").read_text(encoding="latin-1").splitlines():
        fields = line.split("|")
        if len(fields) < 5 + len(GENRES):
            continue
        flags = fields[5:5 + len(GENRES)]
        genres = [g for g, flag in zip(GENRES, flags) if flag == "1"]
        items.append([fields[0], fields[1], "|".join(genres)])
    return [r[:4] for r in ratings], items


def read_recbole(folder: Path) -> tuple[list[list[str]], list[list[str]]]:
    """`(ratings rows, item rows)` from RecBole's `ml-100k.inter` and `ml-100k.item` (tab-separated, typed header)."""
    inter = (folder / "ml-100k.inter").read_text().splitlines()
    header = [h.split(":")[0] for h in inter[0].split("\t")]
    cols = [header.index(c) for c in ("user_id", "item_id", "rating", "timestamp")]
    ratings = [[row[c] for c in cols] for row in (line.split("\t") for line in inter[1:] if line.strip())]
    # RecBole writes ratings and timestamps as floats ("3", "881250949"); keep them as written.
    items = []
    item_lines = (folder / "ml-100k.item").read_text(encoding="utf-8", errors="replace").splitlines()
    item_header = [h.split(":")[0] for h in item_lines[0].split("\t")]
    for line in item_lines[1:]:
        fields = dict(zip(item_header, line.split("\t")))
        title = fields.get("movie_title", "")
        year = fields.get("release_year", "")
        # RecBole splits multi-word genres ("Children's" stays one token, "Film-Noir" too): space-separated.
        genres = fields.get("class", "").split()
        items.append([fields["item_id"], f"{title} ({year})" if year else title, "|".join(genres)])
    return ratings, items


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    tmp.replace(path)  # never a half-written CSV under the final name


def convert(folder: str | Path, output: str | Path) -> tuple[Path, Path]:
    """Write `output/ratings.csv` and `output/items.csv` from a GroupLens or RecBole MovieLens-100k folder."""
    folder, output = Path(folder), Path(output)
    if (folder / "u.data").is_file():
        ratings, items = read_grouplens(folder)
    elif (folder / "ml-100k.inter").is_file():
        ratings, items = read_recbole(folder)
    else:
        raise ValueError(f"{folder} holds neither u.data (GroupLens' ml-100k) nor ml-100k.inter (RecBole's copy).")
    output.mkdir(parents=True, exist_ok=True)
    ratings_path, items_path = output / "ratings.csv", output / "items.csv"
    write_csv(ratings_path, ["user_id", "item_id", "rating", "timestamp"],
              [[u, i, r.rstrip("0").rstrip(".") if "." in r else r, t.split(".")[0]] for u, i, r, t in ratings])
    write_csv(items_path, ["item_id", "title", "genres"], items)
    return ratings_path, items_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="the unzipped ml-100k folder (u.data, u.item), or RecBole's ml-100k folder")
    parser.add_argument("--output", required=True, help="where to write ratings.csv and items.csv")
    args = parser.parse_args(argv)
    try:
        ratings, items = convert(args.folder, args.output)
    except ValueError as err:
        print(f"movielens_csv: error: {err}", file=sys.stderr)
        return 2
    print(f"Wrote {ratings} and {items}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
