"""Durations: every way a text writes one duration reads as the same canonical ISO 8601 form."""

import pytest

from benchmark.durations import parse_duration


@pytest.mark.parametrize(("raw", "iso"), [
    # number and unit, in figures or words
    ("four-hour", "PT4H"), ("4 hours", "PT4H"), ("4 hrs", "PT4H"), ("4h", "PT4H"), ("Four Hours", "PT4H"),
    ("a four-hour summit", "PT4H"), ("the summit's four hours", "PT4H"), ("an hour", "PT1H"),
    ("hour-long talks", "PT1H"), ("two days", "P2D"), ("ten-day", "P10D"), ("a year", "P1Y"),
    ("twenty-four hours", "PT24H"), ("twenty four hours", "PT24H"), ("a hundred and twenty days", "P120D"),
    ("one thousand two hundred years", "P1200Y"), ("1,000 years", "P1000Y"), ("a couple of hours", "PT2H"),
    # fractions
    ("half an hour", "PT30M"), ("a half hour", "PT30M"), ("a quarter of an hour", "PT15M"),
    ("three quarters of an hour", "PT45M"), ("1.5 hours", "PT1H30M"), ("one and a half hours", "PT1H30M"),
    ("four and a half hours", "PT4H30M"), ("4 1/2 hours", "PT4H30M"), ("4½ hours", "PT4H30M"),
    ("an hour and a half", "PT1H30M"), ("two hours and a half", "PT2H30M"), ("a day and a half", "P1DT12H"),
    ("a year and a half", "P1Y6M"),
    # sums, and one form for equal durations
    ("4 hours 30 minutes", "PT4H30M"), ("4 hours and 30 minutes", "PT4H30M"), ("4h30m", "PT4H30M"),
    ("240 minutes", "PT4H"), ("90 minutes", "PT1H30M"), ("18 months", "P1Y6M"), ("3 weeks", "P21D"),
    ("36 hours", "PT36H"),  # hours never carry into days
    # ISO 8601, canonicalized the same way
    ("PT4H", "PT4H"), ("pt4h", "PT4H"), ("PT90M", "PT1H30M"), ("P2W", "P14D"), ("P1Y2M", "P1Y2M"),
    ("PT1,5H", "PT1H30M"), ("P0.5D", "PT12H"), ("PT0.5S", "PT0.5S"),
    (".5 hours", "PT30M"), ("a million years", "P1000000Y"), ("two million years", "P2000000Y"),
    ("1 hour 0.0001 seconds", "PT1H"),  # to the millisecond
    ("an hour-long meeting", "PT1H"),
    ("2 thousand seconds", "PT33M20S"), ("1.5 million hours", "PT1500000H"),
])
def test_reads_canonical_form(raw, iso):
    assert parse_duration(raw) == iso


@pytest.mark.parametrize(("raw", "why"), [
    ("long", "not a duration"), ("4", "not a duration"), ("for hours", "not a duration"), ("PT", "not a duration"),
    ("four or five hours", "two amounts"), ("between four and five hours", "two amounts"),
    ("4 5 hours", "two amounts"), ("four five hours", "two amounts"),
    ("a few hours", "vague"), ("several days", "vague"),
    ("half a month", "fraction of a month"), ("1.5 months", "fraction of a month"),
    ("3/0 hours", "two amounts"),  # never a division by zero
    ("P1D2M", "not an ISO 8601 duration"), ("P 2M", "not an ISO 8601 duration"),  # never minutes
    ("P-1D", "not an ISO 8601 duration"), ("PT1/2H", "not an ISO 8601 duration"),
    ("the second day", "not a duration"), ("hour", "not a duration"),
])
def test_unreadable_durations_raise_with_the_reason(raw, why):
    with pytest.raises(ValueError, match=why):
        parse_duration(raw)
