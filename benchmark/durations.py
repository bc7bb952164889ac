"""Durations: a written duration ("four and a half hours", "90 minutes", "PT1H30M") to one ISO 8601 form.

Equal durations must compare equal, so every reading ends in one canonical form: years and months
(12 months carry into a year), days (a week is 7 days) and a time part in hours, minutes and
seconds (60 minutes carry into an hour). Hours never carry into days: a calendar day may have 23
or 25 hours, and a text that says "24 hours" says something else than "a day".

A duration is a sum of amounts with units ("4 hours 30 minutes", "an hour and a half"). Words
that are neither amounts nor units are ignored ("a four-hour summit"); two amounts with no unit
between them are a range or a typo ("four or five hours") and raise, as does text with no
amount and unit at all.
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["parse_duration"]


_SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
NUMBER_WORDS = {w: i for i, w in enumerate(_SMALL)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)} | {"dozen": 12}
_MULTIPLIERS = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_FRACTIONS = {"half": Fraction(1, 2), "halves": Fraction(1, 2), "quarter": Fraction(1, 4),
              "quarters": Fraction(1, 4), "third": Fraction(1, 3), "thirds": Fraction(1, 3)}
_ARTICLES = frozenset({"a", "an"})
_VAGUE = frozenset({"few", "several", "many", "numerous", "couple", "dozens", "hundreds", "thousands"})

# Each unit's amount in one of three scales: months, days, seconds (they never carry into each other).
_MONTHS, _DAYS, _SECONDS = 0, 1, 2
_UNITS: dict[str, tuple[int, int]] = {}
for _names, _scale, _size in [
    (("year", "years", "yr", "yrs", "y"), _MONTHS, 12),
    (("month", "months", "mo", "mos"), _MONTHS, 1),
    (("week", "weeks", "wk", "wks", "w"), _DAYS, 7),
    (("day", "days", "d"), _DAYS, 1),
    (("hour", "hours", "hr", "hrs", "h"), _SECONDS, 3600),
    (("minute", "minutes", "min", "mins", "m"), _SECONDS, 60),
    (("second", "seconds", "sec", "secs", "s"), _SECONDS, 1),
]:
    for _name in _names:
        _UNITS[_name] = (_scale, _size)

_SINGULAR = frozenset({"hour", "day", "week", "month", "year"})  # "hour-long"; not "second"
_ISO = re.compile(r"P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?"
                  r"(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?")
_ISO_UNITS = ("y", "mo", "w", "d", "h", "m", "s")
# A number: "4", "4.5", ".5", a fraction "1/2" (never over 0); a word; a vulgar fraction.
_TOKEN = re.compile(r"(?:\d+(?:\.\d+)?|\.\d+)(?:[/⁄]0*[1-9]\d*)?|[a-z]+|[½¼¾]")
_ISO_LIKE = re.compile(r"P[\d.,YMWDTHS /+-]*")  # what an ISO 8601 duration is written with, and signs
_VULGAR = {"½": Fraction(1, 2), "¼": Fraction(1, 4), "¾": Fraction(3, 4)}
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def parse_duration(raw: str) -> str:
    """The canonical ISO 8601 duration of `raw`; raises ValueError when it reads as none (like dates.parse_date)."""
    text = raw.strip()
    upper = text.upper()
    iso = _ISO.fullmatch(upper)
    if not iso and _ISO_LIKE.fullmatch(upper) and any(c.isdigit() for c in upper):
        # "P1D2M", "P 2M": an ISO duration out of order is not read as words ("M" would be minutes)
        raise ValueError(f"not an ISO 8601 duration: {raw!r}")
    if iso and len(text) > 1 and upper != "PT":
        totals = [Fraction(0)] * 3
        for group, unit in zip(iso.groups(), _ISO_UNITS):
            if group is not None:
                scale, size = _UNITS[unit]
                totals[scale] += Fraction(group.replace(",", ".")) * size
        return _canonical(totals, raw)
    return _canonical(_read_words(_THOUSANDS.sub("", text.casefold()), raw), raw)


def _amounts(text: str) -> list[str | Fraction]:
    """The words of `text`, with each number ("4", "4.5", "½", "twenty-four", "a hundred and twenty") as
    one Fraction. Number words join only as numbers are written: "four five" stays two numbers."""
    out: list[str | Fraction] = []
    total = current = 0
    previous: str | None = None  # the kind of the number word before: "small", "tens", "multiplier"
    tokens = _TOKEN.findall(text)
    for k, token in enumerate(tokens):
        if token[0].isdigit() or token[0] == "." or token in _VULGAR:
            if previous is not None:
                out.append(Fraction(total + current))
                total = current = 0
                previous = None
            number = _VULGAR[token] if token in _VULGAR else Fraction(token.replace("⁄", "/"))
            if k + 1 < len(tokens) and tokens[k + 1] in _MULTIPLIERS:  # "2 million", "1.5 thousand"
                current, previous = number, "small"
            else:
                out.append(number)
            continue
        value = NUMBER_WORDS.get(token)
        kind = None if value is None else "tens" if value >= 20 else "small"
        if token in _MULTIPLIERS:
            kind = "multiplier"
        elif token == "and" and previous == "multiplier" and k + 1 < len(tokens) and tokens[k + 1] in NUMBER_WORDS:
            continue  # "a hundred and twenty"
        joins = kind is not None and (kind == "multiplier" or previous == "multiplier"
                                      or (previous == "tens" and value is not None and 0 < value < 10))
        if previous is not None and not joins:
            out.append(Fraction(total + current))
            total = current = 0
            previous = None
        if kind is None:
            out.append(token)
        elif kind == "multiplier":
            if _MULTIPLIERS[token] >= 1000:
                total, current = total + (current or 1) * _MULTIPLIERS[token], 0
            else:
                current = (current or 1) * 100
        else:
            current += value or 0
        if kind is not None:
            previous = kind
    if previous is not None:
        out.append(Fraction(total + current))
    return out


def _read_words(text: str, raw: str) -> list[Fraction]:
    """Amount-unit pairs of running text, summed per scale."""
    totals = [Fraction(0)] * 3
    amount: Fraction | None = None  # the amount read so far, waiting for its unit
    article = False  # `amount` is the 1 of "a"/"an": "a half", "an hour"
    after_and = False  # "and" since the last amount or unit: "four and a half", "an hour and a half"
    last_unit: tuple[int, int] | None = None
    bare_unit: tuple[int, int] | None = None  # "hour-long": one of the unit
    found = False
    tokens = _amounts(text)
    for position, token in enumerate(tokens):
        if isinstance(token, Fraction):
            if amount is None or article:
                amount, article, after_and = token, False, False
            elif token.denominator > 1 and token < 1 and amount.denominator == 1:  # "4 1/2", "4½"
                amount += token
            else:
                raise ValueError(f"two amounts without a unit in {raw!r}")
        elif token in _VAGUE:
            if token != "couple" or not article:
                raise ValueError(f"a vague amount ({token!r}) in {raw!r}")
            amount, article = Fraction(2), False  # "a couple of hours"
        elif token in _ARTICLES:
            if amount is None:
                amount, article = Fraction(1), True
        elif token in _FRACTIONS:
            part = _FRACTIONS[token]
            if amount is not None and after_and and not article:  # "four and a half"
                amount += part
            elif amount is not None and not article and not after_and:  # "three quarters"
                amount *= part
            elif (amount is None or article) and after_and and last_unit is not None:  # "an hour and a half"
                totals[last_unit[0]] += part * last_unit[1]
                amount = None
            else:  # "half an hour", "a half hour", "a quarter of an hour"
                amount = part
            article = after_and = False
        elif token == "and":
            after_and = True
        elif token in _UNITS:
            if amount is None:
                following = tokens[position + 1] if position + 1 < len(tokens) else None
                if token in _SINGULAR and following == "long" and bare_unit is None:
                    bare_unit = _UNITS[token]
                continue  # "for hours": a unit with no amount of its own
            scale, size = _UNITS[token]
            totals[scale] += amount * size
            last_unit, found = (scale, size), True
            amount, article, after_and = None, False, False
    if not found and bare_unit is not None:
        totals[bare_unit[0]] += bare_unit[1]
    elif not found:
        raise ValueError(f"not a duration: {raw!r}")
    if amount is not None and not article:
        raise ValueError(f"an amount without a unit in {raw!r}")
    return totals


def _canonical(totals: list[Fraction], raw: str) -> str:
    months, days, seconds = totals
    if months.denominator != 1:
        raise ValueError(f"a fraction of a month in {raw!r}")
    whole_days = int(days)
    seconds += (days - whole_days) * 86400  # "a day and a half": P1DT12H
    seconds = Fraction(round(seconds * 1000), 1000)  # to the millisecond: no "0S" left of a tiny fraction
    years, months = divmod(int(months), 12)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    date_part = "".join(f"{int(n)}{letter}" for n, letter in ((years, "Y"), (months, "M"), (whole_days, "D")) if n)
    time_part = "".join(f"{_decimal(n)}{letter}" for n, letter in ((hours, "H"), (minutes, "M"), (seconds, "S"))
                        if n)
    if not date_part and not time_part:
        return "PT0S"
    return "P" + date_part + ("T" + time_part if time_part else "")


def _decimal(n: Fraction) -> str:
    if n.denominator == 1:
        return str(int(n))
    return f"{float(n):.3f}".rstrip("0").rstrip(".")
