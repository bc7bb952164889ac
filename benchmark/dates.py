"""Dates: parsing surface forms into ISO values with their precision, and helpers for extractors.

The scorer only *parses* (it never guesses a year: "September 27" is `NoYear`).
Extractors may *resolve* implied years and weekdays from the published date with
`resolve_date` and `weekday_date`; that is their reading, and it is scored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_MONTH = r"(?P<{g}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<{g}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{g}>\d{{4}})"


def _p(template: str, **groups: str) -> re.Pattern[str]:
    parts = {k: v.format(g=k) for k, v in groups.items()}
    return re.compile(r"^" + template.format(**parts) + r"$")


_DAY_MONTH_YEAR = _p(r"{d}\s+(?:of\s+)?{m},?\s+{y}", d=_DAY, m=_MONTH, y=_YEAR)
_MONTH_DAY_YEAR = _p(r"{m}\s+{d},?\s+{y}", d=_DAY, m=_MONTH, y=_YEAR)
_MONTH_YEAR = _p(r"{m},?\s+(?:of\s+)?{y}", m=_MONTH, y=_YEAR)
_DAY_MONTH = _p(r"{d}\s+(?:of\s+)?{m}", d=_DAY, m=_MONTH)
_MONTH_DAY = _p(r"{m}\s+{d}", d=_DAY, m=_MONTH)
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_PLAIN_ISO = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")  # for fullmatch: what _clean leaves as it is
_SPACES = re.compile(r"\s+")
_SEPARATOR = re.compile(r"\s*(?:/|–|—|-|\bto\b|\band\b|\buntil\b|\bthrough\b)\s*")
_RANGE_PREFIX = re.compile(r"^(?:between|from)\s+")
_DAY_YEAR = re.compile(r"^(?P<d>[0-3]?\d)(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?$")
_NOISE_PREFIX = re.compile(
    r"^(?:(?:on|in|since|from|starting\s+from|starting|as\s+of|dated|of|the)\s+)+", re.I
)
_WEEKDAY_PREFIX = re.compile(r"^(?:" + "|".join(WEEKDAYS) + r"),?\s+", re.I)


@dataclass(frozen=True)
class DateValue:
    """An ISO date with its precision: `start` alone, or an interval `start/end`."""

    start: str
    end: str | None = None

    @property
    def iso(self) -> str:
        return f"{self.start}/{self.end}" if self.end else self.start

    @property
    def is_interval(self) -> bool:
        return self.end is not None

    def truncations(self) -> tuple[str, ...]:
        """Coarser forms of this date (month, year): a lenient partial if predicted."""
        if self.end:
            return ()
        parts = self.start.split("-")
        return tuple("-".join(parts[:n]) for n in range(len(parts) - 1, 0, -1))


@dataclass(frozen=True)
class NoYear:
    """A day or month named without its year ("September 27"): the scorer marks it `no_year`."""

    month: int
    day: int | None = None


def _iso(year: int, month: int | None = None, day: int | None = None) -> str:
    if month is None:
        return f"{year:04d}"
    if day is None:
        dt.date(year, month, 1)
        return f"{year:04d}-{month:02d}"
    dt.date(year, month, day)  # raises ValueError for impossible dates
    return f"{year:04d}-{month:02d}-{day:02d}"


def _clean(raw: str) -> str:
    text = raw.strip().strip(".,;:()[]\"'“”").strip()
    text = _SPACES.sub(" ", text)
    text = _NOISE_PREFIX.sub("", text)
    text = _WEEKDAY_PREFIX.sub("", text)
    return text.strip().lower()


def _parse_point(text: str) -> DateValue | NoYear:
    m = _ISO.match(text)
    if m:
        year, month, day = m.group(1), m.group(2), m.group(3)
        return DateValue(_iso(int(year), int(month) if month else None, int(day) if day else None))
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        m = pattern.match(text)
        if m:
            return DateValue(_iso(int(m["y"]), MONTHS[m["m"]], int(m["d"])))
    m = _MONTH_YEAR.match(text)
    if m:
        return DateValue(_iso(int(m["y"]), MONTHS[m["m"]]))
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        m = pattern.match(text)
        if m:
            month, day = MONTHS[m["m"]], int(m["d"])
            dt.date(2000, month, day)  # leap year: validates day-of-month
            return NoYear(month, day)
    if text in MONTHS:
        return NoYear(MONTHS[text])
    raise ValueError(f"not a date: {text!r}")


def parse_date(raw: str) -> DateValue | NoYear:
    """Parse a date, month, year or interval. Raises ValueError when it is none of them."""
    if not isinstance(raw, str):
        raise ValueError(f"not a date: {raw!r}")
    # An ISO date as extractors mostly write it has nothing to clean.
    text = raw if _PLAIN_ISO.fullmatch(raw) else _clean(raw)
    if not text:
        raise ValueError("empty date")
    try:
        return _parse_point(text)
    except ValueError:
        pass
    return _parse_interval(text, raw)


def _parse_interval(text: str, raw: str) -> DateValue | NoYear:
    """An interval `start/end` ("1992-1994", "2020-11-09/2020-11-10", "November 9-10, 2020").

    Every separator is tried from the left, so the hyphens inside ISO dates never end the
    left side too early; an interval lacking a year on both sides is `NoYear(0)`.
    """
    body = _RANGE_PREFIX.sub("", text)
    for sep in _SEPARATOR.finditer(body):
        left, right = _clean(body[:sep.start()]), _clean(body[sep.end():])
        if not left or not right:
            continue
        try:
            start = _parse_point(left)
        except ValueError:
            continue
        try:
            end = _parse_point(right)
        except ValueError:
            # "November 9-10, 2020": the right side is a day of the left side's month.
            m = _DAY_YEAR.match(right)
            if not (m and isinstance(start, NoYear) and start.day):
                continue
            if m["y"] is None:
                return NoYear(0)
            end = DateValue(_iso(int(m["y"]), start.month, int(m["d"])))
        if isinstance(start, NoYear) and isinstance(end, DateValue) and start.month:
            # "November 9 - November 10, 2020": borrow the year of the right side.
            start = DateValue(_iso(int(end.start[:4]), start.month, start.day))
        if isinstance(start, DateValue) and isinstance(end, DateValue):
            if end.start < start.start:
                raise ValueError(f"interval ends before it starts: {raw!r}")
            return DateValue(start.start, end.start)
        return NoYear(0)
    raise ValueError(f"not a date: {raw!r}")


# --------------------------------------------------------------------------- for extractors


def _as_date(published: str | dt.date | None) -> dt.date | None:
    if published is None or isinstance(published, dt.date):
        return published
    return dt.date.fromisoformat(published[:10])


def resolve_year(month: int, day: int | None, published: str | dt.date | None,
                 *, prefer: str = "past") -> int | None:
    """The year a news text most likely means by a year-less date.

    prefer="past": the latest such date on or before `published` (events already reported);
    "future": the earliest on or after it (announced events); "nearest": whichever is closer.
    Returns None when there is no published date to reason from.
    """
    pub = _as_date(published)
    if pub is None:
        return None
    day = day or 1

    def on(year: int) -> dt.date | None:
        try:
            return dt.date(year, month, day)
        except ValueError:  # 29 February outside a leap year
            return None

    # The nearest years (a leap year for 29 February) on each side; 8 years cover every leap cycle.
    past = next((y for y in range(pub.year, pub.year - 9, -1) if (d := on(y)) and d <= pub), None)
    future = next((y for y in range(pub.year, pub.year + 9) if (d := on(y)) and d >= pub), None)
    if past is None or future is None:
        return None
    if prefer == "past":
        return past
    if prefer == "future":
        return future
    return past if (pub - dt.date(past, month, day)) <= (dt.date(future, month, day) - pub) else future


def resolve_date(raw: str, published: str | dt.date | None, *, prefer: str = "past") -> str | None:
    """ISO form of `raw`, with an implied year resolved from the published date; None if unparsable."""
    try:
        value = parse_date(raw)
    except ValueError:
        return None
    if isinstance(value, DateValue):
        return value.iso
    if not value.month:
        return None
    year = resolve_year(value.month, value.day, published, prefer=prefer)
    if year is None:
        return None
    return _iso(year, value.month, value.day)


def weekday_date(weekday: str, published: str | dt.date | None, *, prefer: str = "past") -> str | None:
    """The date a weekday name refers to, relative to the published date ("on Wednesday")."""
    pub = _as_date(published)
    name = weekday.strip().lower()
    if pub is None or name not in WEEKDAYS:
        return None
    delta = (pub.weekday() - WEEKDAYS.index(name)) % 7
    if prefer == "future":
        return (pub + dt.timedelta(days=(WEEKDAYS.index(name) - pub.weekday()) % 7)).isoformat()
    return (pub - dt.timedelta(days=delta)).isoformat()
