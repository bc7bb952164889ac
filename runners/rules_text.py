"""Text layer of the `rules` extractor: paragraphs, sentences, the dateline and the date grammar.

Everything here works on character offsets into the document text as stored, so every
mention can become an evidence span. Dates are found by one grammar (absolute, partial,
interval, weekday and relative forms) and resolved to ISO values in document order:

* an explicit year is taken as written;
* a year-less date ("October 3") takes its year from the narrative: the latest dated
  mention of the same paragraph that precedes it (or a dated mention later in the same
  sentence) anchors it; the date goes forward from the anchor, unless the same-year date lies
  shortly before it (a look back). Without an anchor it is the latest such date on or before
  the published date (`benchmark.dates.resolve_year`);
* a weekday ("on Wednesday") is the latest such day on or before the published date;
* "the next day", "two days later", "yesterday" count from the previous dated mention or
  from the published date.
A date that cannot be given a year is dropped: the scorer marks year-less dates wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from benchmark.dates import MONTHS, WEEKDAYS, resolve_year, weekday_date

# --------------------------------------------------------------------------- segmentation

_ABBREVIATIONS = frozenset(
    [
        "mr", "mrs", "ms", "dr", "gen", "col", "lt", "sgt", "capt", "sen", "rep", "gov", "st", "jr", "sr",
        "no", "vs", "etc", "prof", "adm", "maj", "cmdr", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "approx", "est", "dept", "inc", "corp", "co", "ltd"
    ]
)
_BOUNDARY = re.compile(r"[.!?]+[\"”’)\]]*\s+(?=[\"“‘(\[]*[A-Z0-9])")
_MONTH_WORD = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
               r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)")
_DATELINE = re.compile(
    r"^[A-Z][A-Z'’.\- ]{1,40}(?:,\s*[A-Za-z.'’ ]{1,30}(?=,))?"
    r"(?:,\s+(?:" + _MONTH_WORD + r"\s+\d{1,2}|\d{1,2}\s+" + _MONTH_WORD + r")(?:,?\s+\d{4})?)?"
    r"\s*[.,]?\s*(?:/[^/\n]{1,25}/\.?|\([^)\n]{1,25}\))?\s*[-–—]?\s*"
)


@dataclass
class Sentence:
    index: int
    start: int
    end: int
    text: str
    para: int
    heading: bool = False


@dataclass
class Layout:
    sentences: list[Sentence]
    dateline: tuple[int, int] | None
    paragraphs: list[tuple[int, int]] = field(default_factory=list)


def _is_heading(block: str) -> bool:
    stripped = block.strip()
    return not re.search(r"[.!?\"”’)]$", stripped) and len(stripped.split()) <= 14


def _dateline_end(block: str) -> int:
    """Length of a dateline ("CITY, Month D. /AGENCY/.", "CITY (Agency) -") opening a paragraph."""
    m = _DATELINE.match(block)
    if not m:
        # "Capital, 17 February (Agency) - ": a title-case city needs both a date and an agency marker
        m = re.match(r"^[A-Z][A-Za-z'’.\- ]{1,40},\s+(?:" + _MONTH_WORD + r"\s+\d{1,2}|\d{1,2}\s+" + _MONTH_WORD
                     + r")(?:,?\s+\d{4})?\s*[.,]?\s*(?:/[^/\n]{1,25}/\.?|\([^)\n]{1,25}\))\s*[-–—]?\s*", block)
        return m.end() if m else 0
    head = block[: m.end()]
    # It must carry a date or an agency marker, or end in a dash: never swallow a plain sentence.
    if not re.search(r"\d|/|\(|[-–—]\s*$", head):
        return 0
    if not re.match(r"^[A-Z][A-Z'’.\- ]+[,(]", head) and not re.match(r"^[A-Z]{2,}", head):
        return 0
    return m.end()


def segment(text: str) -> Layout:
    """Paragraphs (lines), an optional dateline, and sentences with offsets."""
    sentences: list[Sentence] = []
    paragraphs: list[tuple[int, int]] = []
    dateline: tuple[int, int] | None = None
    for m in re.finditer(r"[^\n]+", text):
        block = m.group(0)
        if not block.strip():
            continue
        para = len(paragraphs)
        paragraphs.append((m.start(), m.end()))
        start = m.start()
        if dateline is None and para <= 2:
            cut = _dateline_end(block)
            if cut:
                dateline = (m.start(), m.start() + cut)
                start = m.start() + cut
        if _is_heading(block):
            sentences.append(Sentence(len(sentences), m.start(), m.end(), block, para, heading=True))
            continue
        body = text[start : m.end()]
        pos = 0
        for b in _BOUNDARY.finditer(body):
            before = body[: b.start() + 1]
            word = re.search(r"([A-Za-z.]+)\.$", before.rstrip(".!?") + ".")
            token = word.group(1).rstrip(".").lower() if word else ""
            if before.endswith(".") and (token in _ABBREVIATIONS or re.fullmatch(r"[a-z]", token or "xx")
                                         or re.search(r"(?:\b[A-Z]\.){2,}$", before)):
                continue
            end = b.end()
            chunk = body[pos:end].rstrip()
            if chunk:
                s = start + pos
                sentences.append(Sentence(len(sentences), s, s + len(chunk), chunk, para))
            pos = end
        chunk = body[pos:].rstrip()
        if chunk.strip():
            s = start + pos
            sentences.append(Sentence(len(sentences), s, s + len(chunk), chunk, para))
    return Layout(sentences, dateline, paragraphs)


# --------------------------------------------------------------------------- dates

_M = r"(?P<{g}>" + _MONTH_WORD + r")"
_D = r"(?P<{g}>[0-3]?\d)(?:st|nd|rd|th)?"
_Y = r"(?P<{g}>1[6-9]\d\d|20\d\d)"
_WD = r"(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
            "nine": 9, "ten": 10, "a": 1, "an": 1}


def _f(template: str, **groups: str) -> str:
    return template.format(**{k: v.format(g=k) for k, v in groups.items()})


_DATE_PATTERNS: list[tuple[str, str]] = [
    ("iso", r"\b(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b"),
    ("yrange", r"\b(?:[Bb]etween\s+(?P<ya>1[6-9]\d\d|20\d\d)\s+and\s+(?P<yb>1[6-9]\d\d|20\d\d)"
               r"|[Ff]rom\s+(?P<fa>1[6-9]\d\d|20\d\d)\s+(?:to|until|till|through)\s+(?P<fb>1[6-9]\d\d|20\d\d))\b"),
    ("yspan", r"\b(?P<sa>1[6-9]\d\d|20\d\d)\s*[-–—/]\s*(?P<sb>1[6-9]\d\d|20\d\d|\d\d)\b(?!-)"),
    ("dmy", _f(r"\b{d}\s+(?:of\s+)?{m},?\s+{y}\b", d=_D, m=_M, y=_Y)),
    ("mdy", _f(r"\b{m}\s+{d},?\s+{y}\b", d=_D, m=_M, y=_Y)),
    ("my", _f(r"\b{m},?\s+(?:of\s+)?{y}\b", m=_M, y=_Y)),
    ("dm", _f(r"\b{d}\s+(?:of\s+)?{m}(?![\w])", d=_D, m=_M)),
    ("md", _f(r"\b{m}\s+{d}\b(?!\s*[-–]?\s*\d)", d=_D, m=_M)),
    ("year", r"(?<![\w-])(?P<yy>1[6-9]\d\d|20\d\d)(?![\w-])"),
    ("weekday", r"\b" + _WD + r"\b"),
    ("relative", r"\b(?i:(?:the\s+)?(?P<rnext>next|following|previous|preceding)\s+day"
                 r"|(?P<rn>a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+(?P<ru>day|week)s?\s+"
                 r"(?P<rdir>later|earlier|before|after)"
                 r"|the\s+day\s+(?P<rday>before|after)"
                 r"|(?P<rword>yesterday|today|tomorrow))\b"),
]


def _rename(pattern: str, kind: str) -> str:
    return re.sub(r"\(\?P<(\w+)>", lambda m: f"(?P<{kind}_{m.group(1)}>", pattern)


_DATE_RE = re.compile("|".join(f"(?P<{k}>{_rename(p, k)})" for k, p in _DATE_PATTERNS))


@dataclass
class DateMention:
    start: int
    end: int
    text: str
    kind: str  # full | month | year | interval | partial | weekday | relative
    iso: str | None = None
    explicit: bool = False  # the year is written
    sentence: int = -1
    para: int = -1
    month: int | None = None
    day: int | None = None
    offset_days: int | None = None  # relative mentions

    @property
    def day_precise(self) -> bool:
        return self.iso is not None and len(self.iso) == 10


def _month(word: str) -> int:
    return MONTHS[word.rstrip(".").lower()]


def _valid(year: int, month: int, day: int | None) -> bool:
    try:
        dt.date(year, month, day or 1)
    except ValueError:
        return False
    return True


def _read(m: re.Match[str]) -> DateMention | None:
    kind = m.lastgroup or ""
    g = m.groupdict()
    text = m.group(0)
    start, end = m.span()
    if kind == "iso":
        y, mo, d = int(g["iso_iy"]), int(g["iso_im"]), int(g["iso_id"])
        return DateMention(start, end, text, "full", f"{y:04d}-{mo:02d}-{d:02d}", True) if _valid(y, mo, d) else None
    if kind in ("dmy", "mdy"):
        y, mo, d = int(g[f"{kind}_y"]), _month(g[f"{kind}_m"]), int(g[f"{kind}_d"])
        return DateMention(start, end, text, "full", f"{y:04d}-{mo:02d}-{d:02d}", True) if _valid(y, mo, d) else None
    if kind == "my":
        y, mo = int(g["my_y"]), _month(g["my_m"])
        return DateMention(start, end, text, "month", f"{y:04d}-{mo:02d}", True)
    if kind in ("dm", "md"):
        mo, d = _month(g[f"{kind}_m"]), int(g[f"{kind}_d"])
        if not _valid(2000, mo, d):
            return None
        return DateMention(start, end, text, "partial", None, False, month=mo, day=d)
    if kind == "yrange":
        a = int(g["yrange_ya"] or g["yrange_fa"])
        b = int(g["yrange_yb"] or g["yrange_fb"])
        return DateMention(start, end, text, "interval", f"{a}/{b}", True) if b > a else None
    if kind == "yspan":
        a, raw_b = int(g["yspan_sa"]), g["yspan_sb"]
        b = int(raw_b) if len(raw_b) == 4 else (a // 100) * 100 + int(raw_b)
        return DateMention(start, end, text, "interval", f"{a}/{b}", True) if a < b <= a + 50 else None
    if kind == "year":
        return DateMention(start, end, text, "year", g["year_yy"], True)
    if kind == "weekday":
        return DateMention(start, end, text, "weekday")
    if kind == "relative":
        if g.get("relative_rword"):
            offset = {"yesterday": -1, "today": 0, "tomorrow": 1}[g["relative_rword"].lower()]
            return DateMention(start, end, text, "relative", offset_days=offset, explicit=False, month=0)
        if g.get("relative_rnext"):
            sign = 1 if g["relative_rnext"].lower() in ("next", "following") else -1
            return DateMention(start, end, text, "relative", offset_days=sign)
        if g.get("relative_rday"):
            return DateMention(start, end, text, "relative",
                               offset_days=-1 if g["relative_rday"].lower() == "before" else 1)
        n = g["relative_rn"].lower()
        count = int(n) if n.isdigit() else _NUMBERS.get(n, 1)
        unit = 7 if g["relative_ru"].lower() == "week" else 1
        sign = 1 if g["relative_rdir"].lower() in ("later", "after") else -1
        return DateMention(start, end, text, "relative", offset_days=sign * count * unit)
    return None


def _anchor_year(month: int, day: int | None, anchor: DateMention, pub: dt.date | None) -> int:
    """The year of a year-less date narrated after `anchor`: forward, unless a short look back."""
    parts = anchor.iso.split("/")[0].split("-") if anchor.iso else []
    a_year = int(parts[0])
    a_date = dt.date(a_year, int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
    if len(parts) == 1:  # a year: the date lies in it
        year = a_year
    else:
        same = dt.date(a_year, month, min(day or 1, 28) if month == 2 else (day or 1))
        year = a_year if same >= a_date or (a_date - same).days <= 75 else a_year + 1
    if pub is not None:
        while year > pub.year - 60 and dt.date(year, month, min(day or 1, 28)) > pub:
            year -= 1
    return year


def find_dates(text: str, layout: Layout, published: str | None) -> list[DateMention]:
    """Every date mention outside the dateline, resolved to ISO where a year can be given."""
    pub = dt.date.fromisoformat(published[:10]) if published else None
    mentions: list[DateMention] = []
    for sent in layout.sentences:
        if sent.heading:
            continue
        for m in _DATE_RE.finditer(sent.text):
            mention = _read(m)
            if mention is None:
                continue
            mention.start += sent.start
            mention.end += sent.start
            mention.sentence, mention.para = sent.index, sent.para
            if mention.kind == "year" and _number_context(text, mention):
                continue
            mentions.append(mention)
    mentions.sort(key=lambda d: d.start)
    previous_day: DateMention | None = None
    for i, mention in enumerate(mentions):
        if mention.kind == "partial":
            anchor = None
            for other in reversed(mentions[:i]):
                if other.para != mention.para:
                    break
                if other.explicit and other.kind in ("full", "month", "year") and other.iso:
                    anchor = other
                    break
            if anchor is None:
                anchor = next((o for o in mentions[i + 1:] if o.sentence == mention.sentence
                               and o.explicit and o.kind in ("full", "month") and o.iso), None)
            rel = re.match(r",?\s+(last|this|next|previous)\s+year\b", text[mention.end : mention.end + 20], re.I)
            if rel and pub is not None:
                year = pub.year + {"last": -1, "previous": -1, "this": 0, "next": 1}[rel.group(1).lower()]
            elif anchor is not None:
                year = _anchor_year(mention.month or 1, mention.day, anchor, pub)
            else:
                year = resolve_year(mention.month or 1, mention.day, pub, prefer="past") if pub else None
            if year is not None:
                mention.iso = f"{year:04d}-{mention.month:02d}-{mention.day:02d}"
        elif mention.kind == "weekday":
            mention.iso = weekday_date(mention.text, pub, prefer="past") if pub else None
        elif mention.kind == "relative":
            if mention.month == 0:  # yesterday / today / tomorrow count from the published date
                base = pub
            else:
                base = dt.date.fromisoformat(previous_day.iso) if previous_day and previous_day.iso else None
            if base is not None and mention.offset_days is not None:
                mention.iso = (base + dt.timedelta(days=mention.offset_days)).isoformat()
        if mention.day_precise:
            previous_day = mention
    return mentions


def _number_context(text: str, mention: DateMention) -> bool:
    """A bare four-digit number that counts things ("2000 troops"), not a year."""
    after = text[mention.end : mention.end + 20].lower()
    return bool(re.match(r"\s+(?:troops|soldiers|people|residents|km|kilometers|kilometres|meters|"
                         r"metres|dollars|euros|servicemen|personnel|units|men|tons|tonnes)\b", after))


__all__ = ["WEEKDAYS", "DateMention", "Layout", "Sentence", "find_dates", "segment"]
