"""Recommendation data: the simulator, CSV and item files, TFDS MovieLens under mock data, splits, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from keras_zoo.applications.recommendation import data as rec_data
from keras_zoo.applications.recommendation.interactions import Interactions
from keras_zoo.applications.recommendation.simulator import simulate
from keras_zoo.applications.recommendation.splits import leave_one_out, rating_split


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def table(users, items, ratings=None, timestamps=None) -> Interactions:
    """A hand-made Interactions whose user and item numbers are their ids."""
    users, items = np.asarray(users, np.int32), np.asarray(items, np.int32)
    return Interactions(users=users, items=items,
                        ratings=None if ratings is None else np.asarray(ratings, np.float32),
                        timestamps=None if timestamps is None else np.asarray(timestamps, np.int64),
                        user_ids=np.array([f"u{k}" for k in range(users.max() + 1)]),
                        item_ids=np.array([f"i{k}" for k in range(items.max() + 1)]))


# ## The simulator


def test_simulator_is_deterministic_and_shaped():
    a, b = simulate(seed=0), simulate(seed=0)
    for name in ("users", "items", "ratings", "timestamps", "user_ids", "item_ids", "item_titles", "item_genres"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(simulate(seed=1).items, a.items)
    assert a.n_users == 600 and a.n_items == 400 and a.user_ids[0] == "u0001" and a.item_ids[-1] == "i0400"
    assert a.users.dtype == np.int32 and a.items.dtype == np.int32 and a.timestamps.dtype == np.int64
    assert len(a.users) == len(a.items) == len(a.ratings) == len(a.timestamps)
    per_user = np.bincount(a.users, minlength=a.n_users)
    assert per_user.min() >= 20 and per_user.max() <= 120 and per_user.std() > 5  # a varying number per user
    assert len(set(zip(a.users.tolist(), a.items.tolist()))) == len(a)  # one row per (user, item)
    assert "synthetic" in a.notes and a.source == "sample"
    assert set(a.item_genres) <= {"Action", "Comedy", "Drama", "Sci-Fi", "Romance", "Horror", "Documentary",
                                  "Animation"}
    assert a.item_titles[16] == f"{a.item_genres[16]} #17"


def test_simulator_has_popularity_skew_ratings_and_increasing_times():
    data = simulate()
    counts = np.sort(np.bincount(data.items, minlength=data.n_items))[::-1]
    assert counts[: data.n_items // 10].sum() / counts.sum() > 0.25  # the top 10% of items: over a quarter
    assert set(np.unique(data.ratings)) == {1, 2, 3, 4, 5}
    same_user = data.users[1:] == data.users[:-1]
    assert (np.diff(data.users) >= 0).all() and (np.diff(data.timestamps)[same_user] > 0).all()


# ## CSV files


def test_csv_with_string_ids_aliases_and_case(tmp_path):
    path = write(tmp_path / "r.csv", " UserId , MovieId,Rating,Timestamp,comment\n"
                                     "bob,tt0111161,5,100,great\nalice,tt0068646,4,90,\n"
                                     "alice,tt0111161, 3 ,120,meh\n007,tt0068646,2,80,\n7,tt0068646,1,70,\n")
    data = rec_data.read_csv(path)
    assert data.user_ids.tolist() == ["007", "7", "alice", "bob"]  # sorted ids; "007" and "7" are two users
    assert data.item_ids.tolist() == ["tt0068646", "tt0111161"]
    assert data.users.tolist() == [3, 2, 2, 0, 1] and data.items.tolist() == [1, 0, 1, 0, 0]  # file order kept
    assert data.ratings.tolist() == [5, 4, 3, 2, 1] and data.timestamps.tolist() == [100, 90, 120, 80, 70]
    assert data.notes == {"rows_read": 5, "duplicates_dropped": 0} and data.source == str(path)


def test_numeric_ids_are_numbered_in_numeric_order(tmp_path):
    data = rec_data.read_csv(write(tmp_path / "r.csv", "user_id,item_id\n10,3\n2,30\n1,3\n"))
    assert data.user_ids.tolist() == ["1", "2", "10"] and data.item_ids.tolist() == ["3", "30"]


def test_csv_without_rating_or_timestamp_and_with_dates(tmp_path):
    data = rec_data.read_csv(write(tmp_path / "r.csv", "user,item\na,x\nb,y\n"))
    assert data.ratings is None and data.timestamps is None and len(data) == 2
    data = rec_data.read_csv(write(tmp_path / "d.csv", "user_id,item_id,date\na,x,1970-01-02\nb,y,"
                                                       "2021-01-01T00:00:10Z\n"))
    assert data.timestamps.tolist() == [86400, 1609459210]


def test_duplicates_keep_the_latest_and_are_counted(tmp_path):
    path = write(tmp_path / "r.csv", "user_id,item_id,rating,timestamp\n"
                                     "a,x,1,300\na,x,5,100\nb,y,2,50\na,x,3,200\nb,y,4,50\n")
    data = rec_data.read_csv(path)
    assert len(data) == 2 and data.notes["duplicates_dropped"] == 3
    assert data.ratings.tolist() == [1, 4]  # a,x: the latest time (300); b,y: equal times, the last row
    untimed = rec_data.read_csv(write(tmp_path / "u.csv", "user_id,item_id,rating\na,x,1\na,x,5\n"))
    assert untimed.ratings.tolist() == [5] and untimed.notes["duplicates_dropped"] == 1


@pytest.mark.parametrize("text,match", [
    ("", r"empty"),
    ("user_id,item_id,rating\n", r"has a header \(user_id, item_id, rating\) but no rows"),
    ("person,movie\na,x\n", r"no user column: its columns are \['person', 'movie'\].*'user_id', 'userid', 'user'"),
    ("user_id,thing\na,x\n", r"no item column.*'movie_id'"),
    ("user_id\titem_id\na\tx\n", r"tab- or semicolon-separated"),
    ("1,2,5\n3,4,5\n", r"no user column.*must be a header"),
    ("user_id,item_id,rating\na,x,5\nb,y,good\nc,z,\n", r"2 ratings that are not numbers.*'good' in row 2"),
    ("user_id,item_id\na,x\n,y\n  ,z\nd,w\n", r"2 rows without a user id \(the first: row 2"),
    ("user_id,item_id\na,x\nb,\n", r"1 rows without an item id \(the first: row 2"),
    ("user_id,item_id,timestamp\na,x,12\nb,y,yesterday\n", r"not numbers, as the first row's is.*'yesterday' in row 2"),
    ("user_id,item_id,date\na,x,2021-01-01\nb,y,\n", r"neither numbers nor dates.*'' in row 2"),
])
def test_bad_csv_files_are_clear_errors(tmp_path, text, match):
    with pytest.raises(ValueError, match=match) as info:
        rec_data.read_csv(write(tmp_path / "ratings.csv", text))
    assert "ratings.csv" in str(info.value)


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = write(tmp_path / "latin.csv", "user_id,item_id\nJosé,Amélie\n", encoding="latin-1")
    with pytest.raises(ValueError, match=r"latin.csv is not UTF-8 text.*iconv"):
        rec_data.read_csv(path)


def test_item_file_adds_titles_and_genres(tmp_path):
    ratings = write(tmp_path / "r.csv", "user_id,item_id\na,1\na,2\nb,3\n")
    items = write(tmp_path / "items.csv", "movie_id,title,genres\n1,Toy Story (1995),Animation|Children's|Comedy\n"
                                          "2,GoldenEye (1995),Action Adventure\n1,Duplicate,Drama\n99,Unused,Drama\n")
    data = rec_data.read_items(items, rec_data.read_csv(ratings))
    assert data.item_titles.tolist() == ["Toy Story (1995)", "GoldenEye (1995)", "3"]
    assert data.item_genres.tolist() == ["Animation", "Action", "unknown"]
    assert data.notes["items_without_title"] == 1
    no_genres = rec_data.read_items(write(tmp_path / "t.csv", "item,name\n1,One\n"), rec_data.read_csv(ratings))
    assert no_genres.item_genres is None and no_genres.item_titles.tolist() == ["One", "2", "3"]
    with pytest.raises(ValueError, match="lists none of the 3 items"):
        rec_data.read_items(write(tmp_path / "other.csv", "item_id,title\nx,X\n"), rec_data.read_csv(ratings))
    with pytest.raises(ValueError, match=r"no title column.*'movie_title'"):
        rec_data.read_items(write(tmp_path / "bad.csv", "item_id,label\n1,X\n"), rec_data.read_csv(ratings))


# ## Sources


def test_load_interactions_dispatches_and_caps(tmp_path):
    sample = rec_data.load_interactions("sample")
    assert sample.source == "sample" and len(sample) == len(simulate(seed=0))
    small = rec_data.load_interactions("sample", max_examples=500)
    assert len(small) == 500 and small.n_users == len(np.unique(small.users)) and small.n_items < sample.n_items
    np.testing.assert_array_equal(small.user_ids[small.users], sample.user_ids[sample.users[:500]])
    assert small.item_titles[0] == sample.item_titles[sample.item_ids.tolist().index(small.item_ids[0])]
    path = write(tmp_path / "r.csv", "user_id,item_id\na,x\nb,y\nc,z\n")
    items = write(tmp_path / "i.csv", "item_id,title\nx,Ex\n")
    data = rec_data.load_interactions(str(path), items=str(items), max_examples=2)
    assert len(data) == 2 and data.source == str(path) and data.item_titles.tolist() == ["Ex", "y"]
    assert data.notes["max_examples"] == 2 and data.notes["items_without_title"] == 1


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="a folder is not accepted"):
        rec_data.load_interactions(str(tmp_path))


def test_tfds_movielens_under_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=20):
        data = rec_data.load_interactions("tfds:movielens/100k-ratings")
        capped = rec_data.load_tfds("movielens/100k-ratings", max_examples=5)
    assert data.source == "tfds:movielens/100k-ratings" and len(data) + data.notes["duplicates_dropped"] == 20
    assert data.users.dtype == np.int32 and data.ratings.dtype == np.float32 and data.timestamps.dtype == np.int64
    assert data.users.max() == data.n_users - 1 and data.items.max() == data.n_items - 1
    assert all(isinstance(i, str) for i in data.user_ids.tolist()) and len(set(data.item_ids.tolist())) == data.n_items
    assert len(data.item_titles) == len(data.item_genres) == data.n_items
    assert set(data.item_genres) <= {*tfds.builder("movielens/100k-ratings").info.features["movie_genres"]
                                     .feature.names, "unknown"}
    assert len(capped) + capped.notes["duplicates_dropped"] == 5


def test_tfds_set_without_users_and_movies_is_refused():
    with pytest.raises(ValueError, match="not a ratings set with a user_id and a movie_id"):
        rec_data.load_tfds("mnist")
    with pytest.raises(ValueError, match="not a ratings set"):
        rec_data.load_tfds("movielens/100k-movies")


# ## Splits


def test_leave_one_out_on_a_small_table():
    # rows:      0  1  2  3  4  5  6  7  8
    users = [0, 0, 1, 0, 1, 2, 3, 3, 3]
    items = [0, 1, 0, 2, 1, 3, 0, 1, 2]
    times = [5, 1, 9, 5, 2, 4, 7, 7, 7]  # user 0: rows 0 and 3 tie at 5, row 3 (later row) is the latest
    split = leave_one_out(table(users, items, timestamps=times))
    assert split.test_users.tolist() == [0, 1, 3] and split.test_items.tolist() == [2, 0, 2]
    assert split.val_users.tolist() == [0, 3] and split.val_items.tolist() == [0, 1]
    assert split.train.tolist() == [1, 4, 5, 6] and split.single_users == 1
    assert split.test_rows.tolist() == [3, 2, 8] and split.val_rows.tolist() == [0, 7]
    assert sorted([*split.train, *split.val_rows, *split.test_rows]) == list(range(9))  # each row exactly once
    untimed = leave_one_out(table(users, items))  # row order is time order
    assert untimed.test_items.tolist() == [2, 1, 2] and untimed.val_items.tolist() == [1, 1]


def test_leave_one_out_on_the_sample_evaluates_every_user():
    data = simulate()
    split = leave_one_out(data)
    assert len(split.test_users) == len(split.val_users) == data.n_users and split.single_users == 0
    assert len(split.train) == len(data) - 2 * data.n_users


def test_rating_split_fractions_and_seed():
    data = simulate(n_users=50, n_items=200)
    split = rating_split(data)
    n = len(data)
    assert len(split.test) == round(0.2 * n) and len(split.val) == round(0.1 * n)
    assert sorted([*split.train, *split.val, *split.test]) == list(range(n))
    np.testing.assert_array_equal(rating_split(data).test, split.test)
    assert not np.array_equal(rating_split(data, seed=1).test, split.test)
    with pytest.raises(ValueError, match="no ratings"):
        rating_split(table([0, 1], [0, 1]))
    with pytest.raises(ValueError, match="val_fraction"):
        rating_split(data, val_fraction=0.9)
