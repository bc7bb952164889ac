"""Shared, dependency-free helpers of the NLP extractors (spacy, minilm-qa, hf-ner).

Everything here works on plain text with character offsets into `document.text`, so
every extractor can give evidence spans. Nothing here knows any particular article:
countries come from the world table `benchmark/data/countries.tsv`, titles and
trigger words are general English news vocabulary.

- `split_sentences`: sentences with offsets; headings and datelines are marked.
- `CountryTable`: names, aliases, demonyms and capitals of every country.
- `find_dates`, `find_durations`: typed DATE / DURATION mentions, year-less dates
  resolved from a full date in the same sentence or from the published date.
- `find_office_holders`, `office_string`: "Ruritanian President Ana Bel" -> person + office.
- `PersonIndex`: short names ("Bel") resolved to the full names of the document.
- `make_record`, `well_formed`: records in the factbench schema.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark import geo
from benchmark.dates import WEEKDAYS, resolve_date, weekday_date
from benchmark.geo import fold
from benchmark.types import RECORD_TYPES

# --------------------------------------------------------------------------- sentences

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "col", "lt", "sgt", "capt", "prof", "no", "vs",
    "etc", "inc", "ltd", "co", "corp", "gov", "sen", "rep", "adm", "maj", "brig", "cmdr", "rev", "hon",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "fig",
}
_SENT_END = re.compile(r"[.!?…]+[\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")
# "CITY, Month 17. /AGENCY/." or "CITY (Agency) -": a dateline, never an event's location.
DATELINE_RE = re.compile(
    r"^(?P<city>[A-Z][A-Z.'\- ]{1,40}?)(?:,\s+[A-Z][a-z]{2,9}\.?\s+\d{1,2})?[.,]?\s*"
    r"(?:/[A-Za-z .\-]{2,30}/|\([A-Za-z .\-]{2,30}\))\s*[.\-–—:]?\s*"
)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str
    kind: str = "body"  # body | heading | dateline
    paragraph: int = 0


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Non-blank lines (news paragraphs) with their offsets."""
    spans = []
    for m in re.finditer(r"[^\n]+", text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
    return spans


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with character offsets. Each line is a paragraph; a short line without final
    punctuation is a `heading`; a leading "CITY, Month D. /AGENCY/." is a `dateline`."""
    out: list[Sentence] = []
    for p_index, (p_start, p_end) in enumerate(_paragraphs(text)):
        para = text[p_start:p_end]
        offset = 0
        m = DATELINE_RE.match(para)
        if m and m.end() < len(para):
            out.append(Sentence(p_start, p_start + m.end(), para[: m.end()], "dateline", p_index))
            offset = m.end()
        if not re.search(r"[.!?…\"”:]$", para) and len(para.split()) <= 15 and offset == 0:
            out.append(Sentence(p_start, p_end, para, "heading", p_index))
            continue
        start = offset
        for cut in _SENT_END.finditer(para, offset):
            before = para[start: cut.start() + 1]
            last = re.findall(r"([A-Za-z]+)\.$", before.rstrip("\"”’')]"))
            if last and (last[0].lower() in _ABBREVIATIONS or len(last[0]) == 1):
                continue
            end = cut.end()
            seg = para[start:end].rstrip()
            if seg:
                out.append(Sentence(p_start + start, p_start + start + len(seg), seg, "body", p_index))
            start = end
        seg = para[start:].rstrip()
        if seg:
            out.append(Sentence(p_start + start, p_start + start + len(seg), seg, "body", p_index))
    return out


# --------------------------------------------------------------------------- countries


@dataclass(frozen=True)
class CountryRow:
    name: str
    iso2: str = ""
    demonyms: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    capital: str = ""


@dataclass(frozen=True)
class CountryMention:
    start: int
    end: int
    text: str
    country: str
    kind: str  # name | alias | demonym | people | capital




class CountryTable:
    """Every country with its surface forms; matching is case-sensitive on the forms as listed."""

    def __init__(self, rows: Iterable[CountryRow]):
        self.rows = tuple(rows)
        self._forms: dict[str, tuple[str, str]] = {}
        for kind in ("name", "alias", "demonym", "capital"):
            for row in self.rows:
                forms: Iterable[str]
                if kind == "name":
                    forms = (row.name,)
                elif kind == "alias":
                    forms = row.aliases
                elif kind == "demonym":
                    forms = row.demonyms
                else:
                    forms = (row.capital,) if row.capital and "/" not in row.capital else ()
                for form in forms:
                    form = form.strip()
                    if len(form) < 2 or not form[0].isupper():
                        continue
                    self._forms.setdefault(form, (row.name, kind))
                    if kind == "demonym" and form[-1] in "ni":
                        self._forms.setdefault(form + "s", (row.name, "people"))
        self._folded = {fold(f): v for f, v in self._forms.items()}
        alternatives = sorted(self._forms, key=len, reverse=True)
        self._regex = (
            re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w-])")
            if alternatives else None
        )

    @classmethod
    def from_tsv(cls, path: str | Path) -> CountryTable:
        rows: list[CountryRow] = []
        header: list[str] | None = None
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = [c.strip() for c in cells]
                continue
            row = dict(zip(header, cells))

            def split(key: str, row: dict[str, str] = row) -> tuple[str, ...]:
                return tuple(x.strip() for x in row.get(key, "").split("|") if x.strip())

            rows.append(CountryRow(row.get("name", "").strip(), row.get("iso2", "").strip(),
                                   split("demonyms"), split("aliases"), row.get("capital", "").strip()))
        return cls(r for r in rows if r.name)

    def __len__(self) -> int:
        return len(self.rows)

    def lookup(self, surface: str, *, capitals: bool = False) -> str | None:
        """The country a name, alias or demonym names ("Ruritanian" -> "Ruritania"), else None."""
        hit = self._forms.get(surface.strip()) or self._folded.get(fold(surface))
        if hit is None or (hit[1] == "capital" and not capitals):
            return None
        return hit[0]

    def kind(self, surface: str) -> str | None:
        hit = self._forms.get(surface.strip()) or self._folded.get(fold(surface))
        return hit[1] if hit else None

    def capital_of(self, country: str) -> str | None:
        for row in self.rows:
            if row.name == country:
                return row.capital or None
        return None

    def find(self, text: str, *, offset: int = 0, capitals: bool = False) -> list[CountryMention]:
        if self._regex is None:
            return []
        out = []
        for m in self._regex.finditer(text):
            country, kind = self._forms[m.group(0)]
            if kind == "capital" and not capitals:
                continue
            out.append(CountryMention(offset + m.start(), offset + m.end(), m.group(0), country, kind))
        return out


@functools.lru_cache(maxsize=1)
def load_country_table() -> CountryTable:
    """The world table shipped with factbench."""
    return CountryTable(CountryRow(c.name, c.iso2, tuple(c.demonyms), tuple(c.aliases), c.capital)
                        for c in geo.countries())


def country_coordinations(text: str, table: CountryTable, *, offset: int = 0) -> list[list[CountryMention]]:
    """Runs of country names joined by commas and "and" ("A, B and C"), in text order."""
    mentions = [m for m in table.find(text, offset=offset) if m.kind in ("name", "alias")]
    runs: list[list[CountryMention]] = []
    current: list[CountryMention] = []
    for m in mentions:
        if current:
            gap = text[current[-1].end - offset: m.start - offset]
            if re.fullmatch(r"\s*(?:,\s*(?:and\s+)?|and\s+|&\s*)", gap):
                current.append(m)
                continue
            if len(current) >= 2:
                runs.append(current)
        current = [m]
    if len(current) >= 2:
        runs.append(current)
    return runs


NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "both": 2, "a": 1, "an": 1,
}


def parse_number(word: str) -> int | None:
    word = word.strip().lower()
    if word.isdigit():
        return int(word)
    if word in NUMBER_WORDS:
        return NUMBER_WORDS[word]
    parts = re.split(r"[- ]", word)
    if len(parts) == 2 and parts[0] in NUMBER_WORDS and parts[1] in NUMBER_WORDS:
        return NUMBER_WORDS[parts[0]] + NUMBER_WORDS[parts[1]]
    return None


_COUNTRY_GROUP = re.compile(r"\b(?:the\s+)?(?P<n>\w+)\s+(?:countries|states|nations|sides)\b", re.I)


def resolve_country_group(phrase: str, coordinations: Sequence[Sequence[str]]) -> list[str]:
    """"the three countries" -> the first run of three coordinated countries of the document."""
    m = _COUNTRY_GROUP.search(phrase)
    if not m:
        return []
    n = parse_number(m.group("n"))
    if n is None:
        return []
    for run in coordinations:
        names = list(dict.fromkeys(run))
        if len(names) == n:
            return names
    return []


# --------------------------------------------------------------------------- dates and durations

_MONTH_NAMES = (
    "January|February|March|April|May|June|July|August|September|October|November|December|"
    "Jan\\.|Feb\\.|Mar\\.|Apr\\.|Jun\\.|Jul\\.|Aug\\.|Sept?\\.|Oct\\.|Nov\\.|Dec\\."
)
_M = rf"(?:{_MONTH_NAMES})"
_D = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
_Y = r"(?:1[5-9]\d\d|20\d\d)"
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("range", re.compile(rf"\b{_Y}\s*[-–—/]\s*{_Y}\b")),
    ("day", re.compile(rf"\b{_D}\s+(?:of\s+)?{_M},?\s+{_Y}\b")),
    ("day", re.compile(rf"\b{_M}\s+{_D},?\s+{_Y}\b")),
    ("month", re.compile(rf"\b{_M},?\s+(?:of\s+)?{_Y}\b")),
    ("day_noyear", re.compile(rf"\b{_D}\s+(?:of\s+)?{_M}(?![\w])")),
    ("day_noyear", re.compile(rf"\b{_M}\s+{_D}\b(?!,?\s*{_Y})")),
    ("weekday", re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")),
    ("year", re.compile(rf"(?:(?<=\bin )|(?<=\bIn )|(?<=\bof )|(?<=\bsince )|(?<=\bSince )|(?<=\bby )"
                        rf"|(?<=\buntil )){_Y}\b(?![-–—/]\d)")),
    ("relative", re.compile(r"\b(?:today|yesterday|tomorrow)\b")),
)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    iso: str
    kind: str  # range | day | month | year | day_noyear | weekday | relative


def find_dates(text: str, published: str | dt.date | None, *, offset: int = 0) -> list[DateMention]:
    """Dates in `text` as ISO values. A year-less day takes the year that puts it nearest to a full
    date earlier in the same text (a sentence), else the latest one on or before `published`;
    a weekday or "yesterday" is counted from `published`. Unresolvable mentions are dropped."""
    taken: list[tuple[int, int, str]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e, _ in taken):
                continue
            taken.append((m.start(), m.end(), kind))
    taken.sort()
    out: list[DateMention] = []
    anchor: str | None = None
    for s, e, kind in taken:
        raw = text[s:e]
        iso: str | None
        if kind == "weekday":
            iso = weekday_date(raw, published)
        elif kind == "relative":
            pub = _as_date(published)
            shift = {"today": 0, "yesterday": -1, "tomorrow": 1}[raw.lower()]
            iso = (pub + dt.timedelta(days=shift)).isoformat() if pub else None
        elif kind == "day_noyear" and anchor:
            iso = resolve_date(raw, anchor, prefer="nearest")
        else:
            iso = resolve_date(raw, published, prefer="past")
        if iso is None:
            continue
        if kind == "day":
            anchor = iso
        out.append(DateMention(offset + s, offset + e, raw, iso, kind))
    return out


def _as_date(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


_UNITS = {"second": "S", "minute": "M", "hour": "H", "day": "D", "week": "W", "month": "M", "year": "Y"}
_NUM = r"(?:\d+(?:\.\d+)?|" + "|".join(sorted((k for k in NUMBER_WORDS if len(k) > 2), key=len,
                                               reverse=True)) + r")"
_DURATION_RE = re.compile(
    rf"\b(?P<n>{_NUM}(?:-{_NUM})?)(?:-|\s+)(?P<u>second|minute|hour|day|week|month|year)s?(?:-long)?\b", re.I
)


@dataclass(frozen=True)
class DurationMention:
    start: int
    end: int
    text: str
    iso: str


def duration_iso(number: float, unit: str) -> str:
    unit = unit.lower().rstrip("s")
    n = int(number) if float(number).is_integer() else number
    code = _UNITS[unit]
    return f"PT{n}{code}" if unit in ("second", "minute", "hour") else f"P{n}{code}"


def find_durations(text: str, *, offset: int = 0) -> list[DurationMention]:
    """"four-hour", "3 hours", "two-day" -> ISO 8601 durations (PT4H, PT3H, P2D)."""
    out = []
    for m in _DURATION_RE.finditer(text):
        raw_n = m.group("n").lower()
        n: float | None
        n = float(raw_n) if re.fullmatch(r"\d+(?:\.\d+)?", raw_n) else parse_number(raw_n)
        if n is None:
            continue
        out.append(DurationMention(offset + m.start(), offset + m.end(), m.group(0), duration_iso(n, m.group("u"))))
    return out


# --------------------------------------------------------------------------- titles and offices

TITLES = (
    "first deputy prime minister", "deputy prime minister", "prime minister", "vice president",
    "vice-president", "president", "vice premier", "premier", "chancellor", "vice chancellor",
    "foreign minister", "defense minister", "defence minister", "finance minister", "interior minister",
    "economy minister", "economic development minister", "deputy foreign minister", "minister of foreign affairs",
    "minister of defense", "minister of defence", "secretary of state", "foreign secretary", "king", "queen",
    "emir", "crown prince", "prince", "sultan", "supreme leader", "speaker", "ambassador", "envoy",
    "special envoy", "governor", "mayor", "head of state", "chief of staff", "defense secretary",
    "defence secretary", "national security adviser", "security council secretary", "minister",
    "deputy minister", "chairman", "chairwoman", "chief of general staff", "ombudsman", "spokesperson",
    "spokesman", "spokeswoman", "leader",
)
_TITLE_RE = r"(?:" + "|".join(
    r"\s+".join(f"[{w[0].upper()}{w[0]}]{re.escape(w[1:])}" for w in t.replace("-", " - ").split()).replace(
        r"\s+\-\s+", "-")
    for t in sorted(TITLES, key=len, reverse=True)
) + r")"
TITLE_PATTERN = re.compile(rf"\b{_TITLE_RE}\b")
_NAME_WORD = r"[A-Z][a-zA-Z'’\-]+"
_NAME_RE = rf"(?P<name>{_NAME_WORD}(?:\s+(?:{_NAME_WORD}|[A-Z]\.)){{0,3}})"
_LOWER_PARTICLES = {"of", "the", "and"}
# Capitalized words that end a name rather than belong to it.
_NOT_NAME = {
    "On", "In", "At", "After", "Before", "The", "A", "An", "And", "But", "Under", "With", "By", "For", "As",
    "He", "She", "They", "It", "This", "That", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
    "Saturday", "Sunday", "Mr", "Mrs", "Ms", "Dr",
}


def role_name(title: str) -> str:
    """Normalized role: lower-case singular ("Deputy Prime Ministers" -> "deputy prime minister")."""
    role = re.sub(r"\s+", " ", title.strip()).lower()
    role = re.sub(r"(?<=minister)s\b|(?<=president)s\b|(?<=leader)s\b|(?<=ambassador)s\b", "", role)
    role = re.sub(r"\bsecretaries\b", "secretary", role)
    return role


def office_string(role: str, country: str | None) -> str:
    """An OFFICE value: "President of Ruritania" ("leader"s are not offices: the role stays as is)."""
    words = role_name(role).split()
    pretty = " ".join(w if w in _LOWER_PARTICLES else w[:1].upper() + w[1:] for w in words)
    return f"{pretty} of {country}" if country else pretty


def clean_name(name: str) -> str:
    """Trim trailing non-name words and possessives from a captured name."""
    words = re.sub(r"[’']s$", "", name.strip()).split()
    while words and (words[-1] in _NOT_NAME or words[-1].lower() in _LOWER_PARTICLES):
        words.pop()
    return " ".join(words)


@dataclass(frozen=True)
class OfficeMention:
    start: int
    end: int
    person: str
    role: str
    country: str | None
    person_start: int
    person_end: int

    @property
    def office(self) -> str:
        return office_string(self.role, self.country)


def find_office_holders(text: str, table: CountryTable, *, offset: int = 0) -> list[OfficeMention]:
    """"Ruritanian President Ana Bel", "Ruritania's Prime Minister Ana Bel",
    "President of Ruritania Ana Bel", "Ana Bel, the President of Ruritania"."""
    country_forms = sorted((f for f, (_, k) in table._forms.items() if k in ("name", "alias", "demonym")),
                           key=len, reverse=True)
    if not country_forms:
        country_forms = ["(?!x)x"]
    c_re = r"(?P<c>" + "|".join(re.escape(f) for f in country_forms) + r")"
    patterns = (
        re.compile(rf"(?<![\w-]){c_re}(?:[’']s)?\s+(?P<t>{_TITLE_RE})\s+{_NAME_RE}"),
        re.compile(rf"\b(?P<t>{_TITLE_RE})\s+of\s+(?:the\s+)?{c_re}(?:,\s*|\s+){_NAME_RE}"),
        re.compile(rf"{_NAME_RE},\s+(?:the\s+)?{c_re}(?:[’']s)?\s+(?P<t>{_TITLE_RE})\b"),
        re.compile(rf"{_NAME_RE},\s+(?:the\s+)?(?P<t>{_TITLE_RE})\s+of\s+(?:the\s+)?{c_re}"),
    )
    out: list[OfficeMention] = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            name = clean_name(m.group("name"))
            if not name or table.lookup(name) or TITLE_PATTERN.fullmatch(name):
                continue
            if any(m.start() < o.end - offset and o.start - offset < m.end() for o in out):
                continue
            ps = m.start("name")
            out.append(OfficeMention(offset + m.start(), offset + m.end(), name, role_name(m.group("t")),
                                     table.lookup(m.group("c")), offset + ps, offset + ps + len(name)))
    out.sort(key=lambda o: o.start)
    return out


# --------------------------------------------------------------------------- persons


PLACE_HEADS = {
    "pass", "corridor", "valley", "line", "river", "mountains", "mountain", "region", "province", "district",
    "city", "island", "islands", "sea", "lake", "bay", "strait", "border", "square", "street", "palace",
    "airport", "port", "bridge", "base", "republic", "kingdom", "union", "oblast", "county", "state",
}


def looks_like_place(name: str) -> bool:
    """"the Orlen Pass", "Vask Valley": a named place rather than a person."""
    words = name.split()
    return bool(words) and (words[0].lower() == "the" or words[-1].lower() in PLACE_HEADS)


@dataclass
class PersonIndex:
    """Full names of a document; short forms resolve to them ("Bel" -> "Ana Bel")."""

    full_names: list[str] = field(default_factory=list)

    def add(self, name: str) -> None:
        if looks_like_place(name.strip()):
            return
        name = clean_name(TITLE_PATTERN.sub("", name).strip(" ,"))
        if len(name.split()) >= 2 and name not in self.full_names:
            self.full_names.append(name)

    def resolve(self, name: str) -> str:
        name = clean_name(TITLE_PATTERN.sub("", name).strip(" ,"))
        if not name:
            return name
        if name in self.full_names:
            return name
        words = name.split()
        hits = [f for f in self.full_names if f.split()[-len(words):] == words]
        if not hits:
            hits = [f for f in self.full_names if f.split()[: len(words)] == words]
        return hits[0] if len(set(hits)) == 1 else name

    def knows(self, name: str) -> bool:
        return self.resolve(name) in self.full_names


def split_coordination(phrase: str) -> list[str]:
    """"A, B and C" -> [A, B, C]; "transport and economic ties" -> [transport ties, economic ties]."""
    phrase = re.sub(r"\s+", " ", phrase.strip(" ,.;"))
    m = re.fullmatch(r"(?:the\s+)?(\w+)\s+and\s+(\w+)\s+(\w+)", phrase, re.I)
    if m and m.group(3).lower().endswith("s"):
        return [f"{m.group(1)} {m.group(3)}", f"{m.group(2)} {m.group(3)}"]
    parts = re.split(r"\s*(?:,|;|\band\b|&)\s*", phrase)
    return [p.strip() for p in parts if p.strip()]


def strip_article(phrase: str) -> str:
    return re.sub(r"^(?:the|a|an)\s+", "", phrase.strip(), flags=re.I).strip(" ,.;")


# --------------------------------------------------------------------------- trigger vocabulary

MEETING_NOUNS = {"talks", "talk", "meeting", "summit", "conversation", "negotiations", "call",
                 "phone call", "videoconference", "consultations", "visit"}
MEETING_VERBS = {"discuss", "meet", "negotiate", "confer"}
AGREEMENT_NOUNS = {"statement", "declaration", "agreement", "deal", "treaty", "accord", "memorandum",
                   "communique", "communiqué", "pact", "protocol", "agreements", "truce"}
AGREEMENT_VERBS = {"sign", "adopt", "conclude", "ink", "reach", "approve", "endorse"}
CONFLICT_NOUNS = {"clashes", "clash", "conflict", "war", "fighting", "hostilities", "battles",
                  "action", "offensive", "violence", "skirmishes", "escalation", "tensions"}
CONFLICT_VERBS = {"erupt", "break", "flare", "explode", "escalate", "begin", "start", "resume"}
DEPLOY_NOUNS = {"peacekeepers", "peacemakers", "troops", "forces", "contingent", "soldiers", "servicemen",
                "observers", "units", "battalion", "battalions", "brigade", "mission", "military"}
DEPLOY_VERBS = {"deploy", "station", "send", "dispatch", "move", "redeploy", "arrive", "enter"}
BODY_NOUNS = {"group", "commission", "committee", "council", "task force", "taskforce", "panel",
              "working group", "board", "center", "centre"}
CEASEFIRE_WORDS = {"ceasefire", "cease-fire", "truce", "armistice"}
REPORTING_VERBS = {"say", "add", "report", "state", "announce", "note", "point", "tell", "stress", "write"}


# --------------------------------------------------------------------------- records


def _clean_value(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        seen: list[Any] = []
        for v in value:
            if isinstance(v, str):
                v = re.sub(r"\s+", " ", v).strip()
            if v and v not in seen:
                seen.append(v)
        return seen
    if isinstance(value, str):
        return re.sub(r"\s+", " ", value).strip()
    return value


def make_record(rtype: str, slots: dict[str, Any], evidence: Iterable[Sequence[int]] = (),
                confidence: float | None = None) -> dict[str, Any] | None:
    """A record in the factbench schema; None when no scored slot has a value."""
    schema = RECORD_TYPES[rtype]
    clean: dict[str, Any] = {}
    for name, value in slots.items():
        if name not in schema:
            raise KeyError(f"{rtype} has no slot {name!r}")
        value = _clean_value(value)
        if value in (None, "", []):
            continue
        if schema[name].is_list and isinstance(value, str):
            value = [value]
        if not schema[name].is_list and isinstance(value, list):
            value = value[0]
        clean[name] = value
    if not any(schema[name].scored for name in clean):
        return None
    spans = sorted({(int(s), int(e)) for s, e in evidence if e > s})
    record: dict[str, Any] = {"type": rtype, "slots": clean, "evidence": [list(s) for s in spans]}
    if confidence is not None:
        record["confidence"] = round(float(confidence), 3)
    return record


def well_formed(record: Any, text: str | None = None) -> list[str]:
    """Problems of one record against the schema (empty list: fine)."""
    problems = []
    if not isinstance(record, dict):
        return ["not a dict"]
    rtype = record.get("type")
    if rtype not in RECORD_TYPES:
        return [f"unknown type {rtype!r}"]
    slots = record.get("slots")
    if not isinstance(slots, dict):
        return ["slots is not a dict"]
    for name, value in slots.items():
        spec = RECORD_TYPES[rtype].get(name)
        if spec is None:
            problems.append(f"unknown slot {rtype}.{name}")
        elif spec.is_list and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(f"{rtype}.{name} is not a list of strings")
        elif not spec.is_list and not isinstance(value, str):
            problems.append(f"{rtype}.{name} is not a string")
    for span in record.get("evidence", []):
        if not (isinstance(span, list) and len(span) == 2 and all(isinstance(x, int) for x in span)
                and 0 <= span[0] < span[1] and (text is None or span[1] <= len(text))):
            problems.append(f"bad evidence span {span!r}")
    conf = record.get("confidence")
    if conf is not None and not (isinstance(conf, (int, float)) and 0 <= conf <= 1):
        problems.append(f"bad confidence {conf!r}")
    return problems


def weekday_names() -> tuple[str, ...]:
    return WEEKDAYS
