"""Finance prices: the CSV variants read_csv accepts, the bad input it refuses (naming the line), the samples."""

from __future__ import annotations

import numpy as np
import pytest

from keras_zoo.applications.common.sources import parse_source
from keras_zoo.applications.finance import features as F
from keras_zoo.applications.finance.prices import Series, goog_sample, load_series, read_csv, stocks_sample

YAHOO = ("Date,Open,High,Low,Close,Adj Close,Volume\n"
         "2024-01-02,10.0,10.5,9.5,10.2,5.1,1000\n"
         "2024-01-03,10.2,11.0,10.0,10.8,5.4,1200\n"
         "2024-01-04,10.8,10.9,10.1,10.4,5.2,900\n")


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def day(text: str) -> np.datetime64:
    return np.datetime64(text, "D")


def refused(path, *fragments: str, what: str = "--data") -> str:
    """read_csv's ValueError for `path`, checked to hold every fragment."""
    with pytest.raises(ValueError) as caught:
        read_csv(path, what=what)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


# ## Variants that are read


def test_yahoo_format_with_adj_close_uses_adj_close_as_the_price(tmp_path):
    s = read_csv(write(tmp_path / "ACME.csv", YAHOO))
    assert isinstance(s, Series) and s.name == "ACME" and len(s) == 3
    assert s.dates.dtype == np.dtype("datetime64[D]")
    np.testing.assert_array_equal(s.dates, [day("2024-01-02"), day("2024-01-03"), day("2024-01-04")])
    np.testing.assert_allclose(s.close, [5.1, 5.4, 5.2])  # Adj Close, not Close
    np.testing.assert_allclose(s.open, [10.0, 10.2, 10.8])
    np.testing.assert_allclose(s.high, [10.5, 11.0, 10.9])
    np.testing.assert_allclose(s.low, [9.5, 10.0, 10.1])
    np.testing.assert_allclose(s.volume, [1000, 1200, 900])
    assert s.notes["price"] == "Adj Close" and "reversed" not in s.notes
    assert str(tmp_path / "ACME.csv") in s.source


def test_without_adj_close_the_close_is_the_price(tmp_path):
    text = "\n".join(",".join(c for k, c in enumerate(line.split(",")) if k != 5) for line in YAHOO.splitlines())
    s = read_csv(write(tmp_path / "a.csv", text + "\n"))
    np.testing.assert_allclose(s.close, [10.2, 10.8, 10.4])
    assert s.notes["price"] == "Close"


def test_lower_case_and_aliased_column_names(tmp_path):
    s = read_csv(write(tmp_path / "a.csv", YAHOO.replace("Date,Open,High,Low,Close,Adj Close,Volume",
                                                         "date,open,high,low,close,adj close,volume")))
    np.testing.assert_allclose(s.close, [5.1, 5.4, 5.2])
    assert s.notes["price"] == "Adj Close"
    for header in ("DATE,OPEN,HIGH,LOW,CLOSE,ADJ_CLOSE,VOLUME", "Date, Open, High, Low, Close, AdjClose, Volume"):
        t = read_csv(write(tmp_path / "b.csv", YAHOO.replace("Date,Open,High,Low,Close,Adj Close,Volume", header)))
        np.testing.assert_allclose(t.close, [5.1, 5.4, 5.2])
        np.testing.assert_allclose(t.volume, [1000, 1200, 900])
        assert t.notes["price"] == "Adj Close", header


def test_descending_dates_are_sorted_and_values_follow_their_dates(tmp_path):
    lines = YAHOO.splitlines()
    s = read_csv(write(tmp_path / "a.csv", "\n".join([lines[0], *lines[:0:-1]]) + "\n"))
    np.testing.assert_array_equal(s.dates, [day("2024-01-02"), day("2024-01-03"), day("2024-01-04")])
    np.testing.assert_allclose(s.close, [5.1, 5.4, 5.2])
    np.testing.assert_allclose(s.high, [10.5, 11.0, 10.9])
    np.testing.assert_allclose(s.volume, [1000, 1200, 900])
    assert s.notes.get("reversed") is True


def test_missing_volume_column_gives_no_volume_feature(tmp_path):
    text = "\n".join(line.rsplit(",", 1)[0] for line in YAHOO.splitlines()) + "\n"
    s = read_csv(write(tmp_path / "a.csv", text))
    assert s.volume is None and s.high is not None
    assert F.available_features([s]) == ("log_return", "volatility_5", "volatility_22", "range")
    assert "volume_change" in F.available_features([read_csv(write(tmp_path / "b.csv", YAHOO))])


def test_us_dates_as_in_arch_sp500_file(tmp_path):
    text = "Date,Open,High,Low,Close,Volume,Adj Close\n" \
           "1/4/1999,1229.23,1248.81,1219.1,1228.1,877000000,1228.1\n" \
           "1/5/1999,1228.1,1246.11,1228.1,1244.78,775000000,1244.78\n" \
           "12/31/1999,1464.47,1472.42,1458.19,1469.25,374050000,1469.25\n"
    s = read_csv(write(tmp_path / "sp500.csv", text))
    np.testing.assert_array_equal(s.dates, [day("1999-01-04"), day("1999-01-05"), day("1999-12-31")])
    np.testing.assert_allclose(s.close, [1228.1, 1244.78, 1469.25])


def test_date_and_close_only_gives_no_range_feature(tmp_path):
    s = read_csv(write(tmp_path / "a.csv", "Date,Close\n2024-01-02,1.5\n2024-01-03,1.6\n"))
    assert s.open is None and s.high is None and s.low is None and s.volume is None
    assert s.notes["price"] == "Close"
    assert F.available_features([s]) == ("log_return", "volatility_5", "volatility_22")


# ## Bad input: a ValueError naming the line (the header is line 1) and what is accepted


def test_non_numeric_price_names_its_line(tmp_path):
    path = write(tmp_path / "a.csv", YAHOO.replace("10.8,5.4", "abc,5.4"))
    refused(path, "line 3", "Close", "'abc'", "not a number", "a.csv")


@pytest.mark.parametrize("cell", ["", "null"])
def test_missing_price_names_its_line(tmp_path, cell):
    path = write(tmp_path / "a.csv", "Date,Close\n2024-01-02,1\n2024-01-03,2\n2024-01-04," + cell + "\n")
    refused(path, "line 4", "Close is missing", "numeric prices")


def test_duplicate_date_names_both_lines(tmp_path):
    path = write(tmp_path / "a.csv", "Date,Close\n2024-01-02,1\n2024-01-03,2\n2024-01-04,3\n2024-01-03,4\n")
    refused(path, "2024-01-03", "twice", "lines 3 and 5", "each date must appear once")


@pytest.mark.parametrize("price", ["0", "-3.5"])
def test_price_of_zero_or_below_is_refused(tmp_path, price):
    path = write(tmp_path / "a.csv", f"Date,Close\n2024-01-02,1\n2024-01-03,{price}\n")
    refused(path, "line 3", f"Close is {float(price):g}", "above 0")


def test_high_below_low_is_refused(tmp_path):
    path = write(tmp_path / "a.csv", YAHOO.replace("10.8,10.9,10.1", "10.8,10.0,10.1"))
    refused(path, "line 4", "High (10) is below Low (10.1)")


def test_unreadable_date_names_its_line_and_the_formats(tmp_path):
    path = write(tmp_path / "a.csv", "Date,Close\n2024-01-02,1\n2024-01-03,2\nyesterday,3\n")
    refused(path, "line 4", "'yesterday'", "2024-01-31", "1/31/2024")


def test_unreadable_date_in_a_us_dated_file_names_its_own_line(tmp_path):
    path = write(tmp_path / "a.csv", "Date,Close\n1/4/1999,1\n1/5/1999,2\n13/45/1999,3\n1/7/1999,4\n")
    refused(path, "line 4", "'13/45/1999'")


def test_no_close_column_lists_the_columns_found(tmp_path):
    path = write(tmp_path / "a.csv", "Date,Open,Price\n2024-01-02,1,2\n")
    refused(path, "no Close column", "date, open, price", "Date,Open,High,Low,Close")
    refused(write(tmp_path / "b.csv", "Day,Close\n2024-01-02,1\n"), "no Date column", "day, close")


def test_empty_file_and_header_without_rows(tmp_path):
    refused(write(tmp_path / "a.csv", ""), "empty")
    refused(write(tmp_path / "b.csv", "Date,Close\n"), "header", "no rows")


def test_non_utf8_file_is_refused(tmp_path):
    path = write(tmp_path / "a.csv", "Date,Close,Börse\n2024-01-02,1,x\n", encoding="latin-1")
    refused(path, "not UTF-8", "iconv")


def test_folder_without_csv_files_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("no prices here")
    with pytest.raises(ValueError, match="holds no .csv files") as caught:
        load_series(parse_source(str(tmp_path)))
    assert "sample" in str(caught.value)  # what is accepted


def test_folder_gives_one_series_per_file_named_after_it(tmp_path):
    write(tmp_path / "B.csv", "Date,Close\n2024-01-02,1\n2024-01-03,2\n")
    write(tmp_path / "A.csv", "Date,Close\n2024-01-02,3\n")
    series = load_series(parse_source(str(tmp_path)))
    assert [s.name for s in series] == ["A", "B"]


def test_tfds_source_is_refused():
    with pytest.raises(ValueError, match="no price series") as caught:
        load_series(parse_source("tfds:mnist"))
    assert "tfds:mnist" in str(caught.value) and "sample" in str(caught.value)


def test_errors_name_how_the_file_was_given(tmp_path):
    path = write(tmp_path / "a.csv", "Date,Close\n2024-01-02,abc\n")
    refused(path, "--test-data", what="--test-data")


# ## The samples


def test_goog_sample():
    s = goog_sample()
    assert s.name == "GOOG" and len(s) == 1047
    assert s.dates[0] == day("2004-08-19") and s.dates[-1] == day("2008-10-14")
    assert np.all(np.diff(s.dates.astype("int64")) > 0)  # ascending, unique
    for values in (s.close, s.open, s.high, s.low):
        assert values.shape == (1047,) and np.all(np.isfinite(values)) and np.all(values > 0)
    assert np.all(s.high >= s.low) and np.all(s.volume >= 0)
    assert [x.name for x in load_series(parse_source("sample"))] == ["GOOG"]


def test_stocks_sample():
    series = stocks_sample()
    assert [s.name for s in series] == ["IBM", "AAPL", "MSFT", "XRX", "AMZN", "DELL", "GOOGL", "ADBE", "^GSPC", "^IXIC"]
    for s in series:
        assert len(s) > 12 and len(s.close) == len(s.dates)
        assert np.all(np.isfinite(s.close)) and np.all(s.close > 0), s.name
        assert np.all(np.diff(s.dates.astype("int64")) > 0), s.name


def test_head_keeps_the_earliest_rows(tmp_path):
    s = read_csv(write(tmp_path / "a.csv", YAHOO)).head(2)
    assert len(s) == 2 and s.dates[-1] == day("2024-01-03")
    np.testing.assert_allclose(s.volume, [1000, 1200])
