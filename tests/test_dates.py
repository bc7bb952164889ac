"""Dates: parsing with precision, intervals, year-less dates, and the helpers extractors use."""

from __future__ import annotations

import datetime as dt

import pytest

from benchmark.dates import DateValue, NoYear, parse_date, resolve_date, resolve_year, weekday_date


@pytest.mark.parametrize(("raw", "iso"), [
    ("2020-11-09", "2020-11-09"),
    ("9 November 2020", "2020-11-09"),
    ("November 9, 2020", "2020-11-09"),
    ("November 9 2020", "2020-11-09"),
    ("Nov. 9, 2020", "2020-11-09"),
    ("9th of November 2020", "2020-11-09"),
    ("on November 9, 2020", "2020-11-09"),
    ("on Monday, November 9, 2020", "2020-11-09"),
    ("  (November 9, 2020).  ", "2020-11-09"),
    ("1988-02", "1988-02"),
    ("February 1988", "1988-02"),
    ("in February 1988", "1988-02"),
    ("Feb, 1988", "1988-02"),
    ("1988", "1988"),
    ("2020-02-29", "2020-02-29"),
])
def test_parse_point_dates(raw, iso):
    value = parse_date(raw)
    assert isinstance(value, DateValue)
    assert (value.iso, value.is_interval) == (iso, False)


@pytest.mark.parametrize(("raw", "iso"), [
    ("1992/1994", "1992/1994"),
    ("1992-1994", "1992/1994"),
    ("1992–1994", "1992/1994"),
    ("from 1992 to 1994", "1992/1994"),
    ("between 1992 and 1994", "1992/1994"),
    ("2020-11-09/2020-11-10", "2020-11-09/2020-11-10"),
    ("2020-11-09 - 2020-11-10", "2020-11-09/2020-11-10"),
    ("November 9-10, 2020", "2020-11-09/2020-11-10"),
    ("November 9 to November 10, 2020", "2020-11-09/2020-11-10"),
    ("September 2020 - February 2021", "2020-09/2021-02"),
])
def test_parse_intervals(raw, iso):
    value = parse_date(raw)
    assert isinstance(value, DateValue)
    assert (value.iso, value.is_interval) == (iso, True)
    assert value.truncations() == ()  # intervals never earn partial credit


@pytest.mark.parametrize(("raw", "expected"), [
    ("September 27", NoYear(9, 27)),
    ("27 September", NoYear(9, 27)),
    ("Sept. 27", NoYear(9, 27)),
    ("the 27th of September", NoYear(9, 27)),
    ("on Sunday, September 27", NoYear(9, 27)),
    ("September", NoYear(9)),
    ("February 29", NoYear(2, 29)),
    ("September 27-28", NoYear(0)),
])
def test_yearless_dates(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", [
    "", "   ", "garbage", "Wednesday", "next week", "2021-02-30", "2021-13", "February 30", "2020-11-9",
    "09.11.2020", "1994-1992", "2020-11-10/2020-11-09", "November 2020 and", 2020, None,
])
def test_unparsable_dates_raise_value_error(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


def test_truncations():
    assert DateValue("2020-11-09").truncations() == ("2020-11", "2020")
    assert DateValue("1988-02").truncations() == ("1988",)
    assert DateValue("1988").truncations() == ()
    assert DateValue("1992", "1994").truncations() == ()
    assert DateValue("1992", "1994").iso == "1992/1994"


@pytest.mark.parametrize(("raw", "published", "prefer", "iso"), [
    ("September 27", "2021-02-17", "past", "2020-09-27"),
    ("September 27", "2021-02-17", "future", "2021-09-27"),
    ("September 27", "2021-02-17", "nearest", "2020-09-27"),
    ("February 20", "2021-02-17", "nearest", "2021-02-20"),
    ("February 17", "2021-02-17", "past", "2021-02-17"),
    ("February 17", "2021-02-17", "future", "2021-02-17"),
    ("January 11", "2021-02-17", "past", "2021-01-11"),
    ("December 31", "2021-01-05", "past", "2020-12-31"),
    ("December 31", "2021-01-05", "nearest", "2020-12-31"),
    ("February", "2021-02-17", "past", "2021-02"),
    ("February 29", "2021-03-01", "past", "2020-02-29"),  # the latest leap year
    ("February 29", "2021-03-01", "future", "2024-02-29"),
    ("February 29", "2020-03-01", "nearest", "2020-02-29"),
    ("9 November 2020", "2021-02-17", "past", "2020-11-09"),  # a year given is kept
    ("9 November 2020", None, "past", "2020-11-09"),
    ("September 27", None, "past", None),  # nothing to reason from
    ("garbage", "2021-02-17", "past", None),
    ("September 27-28", "2021-02-17", "past", None),
])
def test_resolve_date(raw, published, prefer, iso):
    assert resolve_date(raw, published, prefer=prefer) == iso


def test_resolve_year_accepts_dates():
    assert resolve_year(9, 27, dt.date(2021, 2, 17)) == 2020
    assert resolve_year(9, None, "2021-02-17T10:00:00") == 2020
    assert resolve_year(9, 27, None) is None


@pytest.mark.parametrize(("weekday", "published", "prefer", "iso"), [
    ("Wednesday", "2021-02-17", "past", "2021-02-17"),  # the TASS report: published on a Wednesday
    ("wednesday", "2021-02-17", "future", "2021-02-17"),
    ("Monday", "2021-02-17", "past", "2021-02-15"),
    ("Thursday", "2021-02-17", "past", "2021-02-11"),
    ("Thursday", "2021-02-17", "future", "2021-02-18"),
    ("Monday", "2021-02-17", "future", "2021-02-22"),
    ("Funday", "2021-02-17", "past", None),
    ("Monday", None, "past", None),
])
def test_weekday_date(weekday, published, prefer, iso):
    assert weekday_date(weekday, published, prefer=prefer) == iso
