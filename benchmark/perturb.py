"""Counterfactual variants: a document and its gold rewritten together from one substitution map.

A counterfactual keeps the structure of a document and every fact's *shape*, but not its
real-world values: people, places, countries (names, demonyms, capitals standing for the
state), institutions, numbers and dates are replaced consistently in the text and in the
gold, so an extractor that recalls the world instead of reading the text is caught.

`perturb(gold, text, substitution, new_id=..., text_file=...)` returns the new text and the
new gold (a JSON-ready dict); `dumps_gold` writes a gold dict in the house style;
`surviving_names` is the check that no original name is left.

Names
    `Substitution.names` maps original surface forms to invented ones ("Vladimir Putin" ->
    "Aurel Vantok", "Putin" -> "Vantok", "Russian" -> ..., "Baku" -> ...). Matching is
    whole-word (no letter or digit on either side), case-insensitive, longest form first in
    one left-to-right pass, so "Nagorno-Karabakh" and "Karabakh" both map consistently. The
    replacement follows the case of the match: "MOSCOW" -> upper case, "putin" (in ids) ->
    lower case. The same map rewrites the gold: entity canonicals and aliases (an office
    "President of Russia" keeps its role and gets the new country), TEXT values and aliases,
    descriptions, names and notes. An entity whose value changes gets an id made from its
    new canonical ("aurel-vantok", "president-of-valdoria"); record ids are rewritten like
    text and re-slugged ("office-putin" -> "office-vantok", "talks-2021-02-17" shifted).
    Every form of every PERSON, PLACE and COUNTRY entity must change (except entities listed
    in `keep`); a substitute that is a real country, demonym or capital is refused.

Numbers
    Numbers in the text are words and change through `names` ("four-hour" -> "six-hour");
    `durations` maps the gold DURATION values accordingly ("PT4H" -> "PT6H").

Dates (the rule)
    Every day-precision date - in the text ("November 9, 2020", "9 November 2020", ISO
    "2020-11-09", and year-less "November 10" or "February 17"), in gold values, in notes,
    in ids, and the `published` date - moves by the same whole number of weeks, so every
    weekday ("on Wednesday") stays true and needs no rewriting. The week shift must move
    every day-precision date of the document by the same number of calendar years D (it is
    checked: pick the shift so that no date crosses a New Year the others do not cross);
    month-precision values ("February 1988", "1988-02"), year-only values and year
    intervals ("1992-1994", "1992/1994") and bare years (any free-standing 1500-2099) then
    shift by exactly D years and keep their month. So implied years stay true: a year-less
    date keeps its distance to the published date and resolves to the right year, and every
    "Month D, YYYY" keeps its year in step with the year-less mentions of the same event. A
    year-less date is read in the year nearest to the original published date. After rewriting, the evidence of every
    gold DATE and DURATION value is re-parsed and must give the new value (a weekday must
    be the weekday of the new date): a map that breaks a fact raises `PerturbError`.

Spans
    Evidence spans are mapped through the replacements: a boundary before, between or
    after replacements moves by the length differences before it; a boundary inside a
    replaced form is an error. Evidence `text` is re-read from the new text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from benchmark import geo
from benchmark.dates import WEEKDAYS, DateValue, NoYear, parse_date, resolve_year
from benchmark.types import COUNTRY, DATE, DURATION, PERSON, PLACE, RECORD_TYPES, TEXT
from benchmark.values import NormalizationError, parse_duration

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")
_MONTH_RE = "|".join(MONTH_NAMES)
_L = r"(?<![\w-])"  # left edge of a date expression
_R = r"(?![\w])"
_ORD = r"(?:st|nd|rd|th)?"
DATE_PATTERN = re.compile(
    "|".join([
        rf"{_L}(?P<mdy_m>{_MONTH_RE})(?P<mdy_s1>\s+)(?P<mdy_d>\d{{1,2}})(?P<mdy_o>{_ORD})(?P<mdy_s2>,?\s+)"
        rf"(?P<mdy_y>\d{{4}}){_R}",
        rf"{_L}(?P<dmy_d>\d{{1,2}})(?P<dmy_o>{_ORD})(?P<dmy_s1>\s+)(?P<dmy_m>{_MONTH_RE})(?P<dmy_s2>,?\s+)"
        rf"(?P<dmy_y>\d{{4}}){_R}",
        rf"{_L}(?P<my_m>{_MONTH_RE})(?P<my_s>,?\s+)(?P<my_y>\d{{4}}){_R}",
        rf"{_L}(?P<md_m>{_MONTH_RE})(?P<md_s>\s+)(?P<md_d>\d{{1,2}})(?P<md_o>{_ORD}){_R}",
        rf"{_L}(?P<dm_d>\d{{1,2}})(?P<dm_o>{_ORD})(?P<dm_s>\s+)(?P<dm_m>{_MONTH_RE}){_R}",
        r"(?<![\w])(?P<yy_a>\d{4})(?P<yy_s>\s*[-–/]\s*)(?P<yy_b>\d{4})(?![\w])",
        r"(?<![\w])(?P<iso_y>\d{4})-(?P<iso_m>\d{2})-(?P<iso_d>\d{2})(?![\w])",
        r"(?<![\w])(?P<isom_y>\d{4})-(?P<isom_m>\d{2})(?![\w])",
        r"(?<![\w])(?P<y>1[5-9]\d\d|20\d\d)(?![\w])",
    ])
)
_WORD = re.compile(r"\w")


class PerturbError(ValueError):
    """A substitution map that cannot give a consistent variant (named problem)."""


@dataclass(frozen=True)
class Substitution:
    """One counterfactual: invented names for original surface forms, a week shift, durations.

    names: original surface form -> substitute (whole words, any case, longest first).
    weeks: whole weeks every day-precision date moves (month/year values follow, see the module doc).
    durations: gold DURATION value -> new value (the text changes through `names`).
    keep: entity ids deliberately left as they are (generic places such as "contact line").
    """

    names: Mapping[str, str]
    weeks: int
    durations: Mapping[str, str] = field(default_factory=dict)
    keep: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    new: str


# --------------------------------------------------------------------------- text rewriting


def _follow_case(matched: str, key: str, new: str) -> str:
    if matched == key:
        return new
    letters = [c for c in matched if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return new.upper()
    if letters and all(c.islower() for c in letters):
        return new.lower()
    if matched[:1].isupper() and new[:1].islower():
        return new[:1].upper() + new[1:]
    return new


def _ordinal(day: int, template: str) -> str:
    if not template:
        return ""
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _day(day: int, template: str) -> str:
    return f"{day:02d}" if len(template) == 2 and template.startswith("0") else str(day)


class _Rewriter:
    """Applies one substitution to any string of the document or its gold."""

    def __init__(self, sub: Substitution, published: str | None):
        if sub.weeks == 0:
            raise PerturbError("a counterfactual needs a non-zero week shift")
        self.sub = sub
        self.published = published
        self.days = dt.timedelta(weeks=sub.weeks)
        self.year_shift: int | None = None  # D: set by `fix_year_shift`
        names = sorted(sub.names, key=lambda k: (-len(k), k))
        lowered: dict[str, str] = {}
        for key in names:
            if not key.strip() or key != key.strip():
                raise PerturbError(f"substitution key {key!r} is empty or padded")
            if key.casefold() in lowered and sub.names[key] != sub.names[lowered[key.casefold()]]:
                raise PerturbError(f"{key!r} and {lowered[key.casefold()]!r} differ only in case")
            lowered.setdefault(key.casefold(), key)
        self.lookup = lowered
        self.pattern = (re.compile(r"(?<![\w])(?:" + "|".join(re.escape(k) for k in names) + r")(?![\w])",
                                   re.IGNORECASE) if names else None)

    # -- dates -------------------------------------------------------------------------------
    def shift_day(self, day: dt.date) -> dt.date:
        return day + self.days

    def _year(self, year: int) -> int:
        assert self.year_shift is not None
        return year + self.year_shift

    def _yearless(self, month: int, day: int) -> dt.date:
        year = resolve_year(month, day, self.published, prefer="nearest") if self.published else None
        if year is None:
            raise PerturbError(f"year-less date {MONTH_NAMES[month - 1]} {day} in a document without "
                               "a published date")
        return dt.date(year, month, day)

    def day_dates(self, text: str) -> list[dt.date]:
        """Every day-precision date written in `text` (year-less ones in their nearest year)."""
        out = []
        for m in DATE_PATTERN.finditer(text):
            g = m.groupdict()
            try:
                if g["mdy_m"]:
                    out.append(dt.date(int(g["mdy_y"]), MONTH_NAMES.index(g["mdy_m"]) + 1, int(g["mdy_d"])))
                elif g["dmy_m"]:
                    out.append(dt.date(int(g["dmy_y"]), MONTH_NAMES.index(g["dmy_m"]) + 1, int(g["dmy_d"])))
                elif g["md_m"]:
                    out.append(self._yearless(MONTH_NAMES.index(g["md_m"]) + 1, int(g["md_d"])))
                elif g["dm_m"]:
                    out.append(self._yearless(MONTH_NAMES.index(g["dm_m"]) + 1, int(g["dm_d"])))
                elif g["iso_y"]:
                    out.append(dt.date(int(g["iso_y"]), int(g["iso_m"]), int(g["iso_d"])))
            except ValueError:
                continue
        return out

    def fix_year_shift(self, dates: Iterable[dt.date]) -> int:
        deltas = {self.shift_day(d).year - d.year: d for d in dates}
        if len(deltas) > 1:
            shown = ", ".join(f"{d.isoformat()} -> {self.shift_day(d).isoformat()}" for d in deltas.values())
            raise PerturbError(f"a shift of {self.sub.weeks} weeks moves the document's dates by different "
                               f"numbers of years ({shown}); pick a shift that crosses no New Year alone")
        self.year_shift = next(iter(deltas)) if deltas else round(self.days.days / 365.2425)
        return self.year_shift

    def _date_edit(self, m: re.Match[str]) -> str | None:
        g = m.groupdict()
        try:
            if g["mdy_m"]:
                new = self.shift_day(dt.date(int(g["mdy_y"]), MONTH_NAMES.index(g["mdy_m"]) + 1, int(g["mdy_d"])))
                return (f"{MONTH_NAMES[new.month - 1]}{g['mdy_s1']}{_day(new.day, g['mdy_d'])}"
                        f"{_ordinal(new.day, g['mdy_o'])}{g['mdy_s2']}{new.year}")
            if g["dmy_m"]:
                new = self.shift_day(dt.date(int(g["dmy_y"]), MONTH_NAMES.index(g["dmy_m"]) + 1, int(g["dmy_d"])))
                return (f"{_day(new.day, g['dmy_d'])}{_ordinal(new.day, g['dmy_o'])}{g['dmy_s1']}"
                        f"{MONTH_NAMES[new.month - 1]}{g['dmy_s2']}{new.year}")
            if g["my_m"]:
                return f"{g['my_m']}{g['my_s']}{self._year(int(g['my_y']))}"
            if g["md_m"]:
                new = self.shift_day(self._yearless(MONTH_NAMES.index(g["md_m"]) + 1, int(g["md_d"])))
                return (f"{MONTH_NAMES[new.month - 1]}{g['md_s']}{_day(new.day, g['md_d'])}"
                        f"{_ordinal(new.day, g['md_o'])}")
            if g["dm_m"]:
                new = self.shift_day(self._yearless(MONTH_NAMES.index(g["dm_m"]) + 1, int(g["dm_d"])))
                return (f"{_day(new.day, g['dm_d'])}{_ordinal(new.day, g['dm_o'])}{g['dm_s']}"
                        f"{MONTH_NAMES[new.month - 1]}")
            if g["yy_a"]:
                return f"{self._year(int(g['yy_a']))}{g['yy_s']}{self._year(int(g['yy_b']))}"
            if g["iso_y"]:
                return self.shift_day(dt.date(int(g["iso_y"]), int(g["iso_m"]), int(g["iso_d"]))).isoformat()
            if g["isom_y"]:
                if not 1 <= int(g["isom_m"]) <= 12:
                    return None
                return f"{self._year(int(g['isom_y'])):04d}-{g['isom_m']}"
            if g["y"]:
                return str(self._year(int(g["y"])))
        except ValueError:  # not a real date ("February 30"): leave it
            return None
        return None

    # -- strings -----------------------------------------------------------------------------
    def edits(self, text: str) -> list[_Edit]:
        """Non-overlapping replacements of `text`, in order: dates first, then names."""
        out: list[_Edit] = []
        taken: list[tuple[int, int]] = []
        for m in DATE_PATTERN.finditer(text):
            new = self._date_edit(m)
            if new is not None:
                taken.append((m.start(), m.end()))
                if new != m.group(0):
                    out.append(_Edit(m.start(), m.end(), new))
        if self.pattern is not None:
            for m in self.pattern.finditer(text):
                if any(s < m.end() and m.start() < e for s, e in taken):
                    continue
                key = self.lookup[m.group(0).casefold()]
                out.append(_Edit(m.start(), m.end(), _follow_case(m.group(0), key, self.sub.names[key])))
        return sorted(out, key=lambda e: e.start)

    def rewrite(self, text: str) -> str:
        return _apply(text, self.edits(text))

    def rewrite_id(self, ident: str) -> str:
        return _slug(self.rewrite(ident))

    def shift_iso(self, value: str) -> str:
        """A gold DATE value: days by weeks, months and years by D years; intervals part by part."""
        parts = value.split("/")
        out = []
        for part in parts:
            pieces = [int(x) for x in part.split("-")]
            if len(pieces) == 3:
                out.append(self.shift_day(dt.date(*pieces)).isoformat())
            elif len(pieces) == 2:
                out.append(f"{self._year(pieces[0]):04d}-{pieces[1]:02d}")
            else:
                out.append(f"{self._year(pieces[0]):04d}")
        return "/".join(out)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._]+", "-", text.casefold()).strip("-")


def _apply(text: str, edits: list[_Edit]) -> str:
    pieces, last = [], 0
    for edit in edits:
        pieces.append(text[last:edit.start])
        pieces.append(edit.new)
        last = edit.end
    pieces.append(text[last:])
    return "".join(pieces)


def _map_offset(pos: int, edits: list[_Edit], where: str) -> int:
    delta = 0
    for edit in edits:
        if edit.end <= pos:
            delta += len(edit.new) - (edit.end - edit.start)
        elif edit.start < pos:
            raise PerturbError(f"{where}: span boundary {pos} falls inside the replaced form "
                               f"[{edit.start}, {edit.end})")
    return pos + delta


# --------------------------------------------------------------------------- checks


def replaced_names(gold: Mapping[str, Any], sub: Substitution) -> list[str]:
    """The original names a variant must not contain: every form of every replaced entity, every key."""
    names = set(sub.names)
    for entity in gold.get("entities", []):
        if entity["type"] in (PERSON, PLACE, COUNTRY) and entity["id"] not in sub.keep:
            names.update([entity["canonical"], *entity.get("aliases", [])])
    return sorted(names, key=lambda n: (-len(n), n))


def _strings(obj: Any, path: str = "") -> Iterable[tuple[str, str]]:
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, Mapping):
        for key, value in obj.items():
            if path == "document" and key == "variant_of":
                continue  # names the original document on purpose
            yield from _strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            yield from _strings(value, f"{path}[{index}]")


def surviving_names(text: str, gold: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    """Where an original name survives in a variant's text or gold (any case, any word ending).

    A name counts wherever it starts a word ("Armenians" and "ARMENIA" both contain
    "Armenia"); ids count too ("president-of-russia"). Empty list: the variant is clean.
    """
    found = []
    for name in names:
        pattern = re.compile(r"(?<![\w])" + re.escape(name), re.IGNORECASE)
        for m in pattern.finditer(text):
            found.append(f"text[{m.start()}]: {m.group(0)!r} ({name})")
        for where, value in _strings(gold):
            for m in pattern.finditer(value):
                found.append(f"gold {where}: {m.group(0)!r} ({name})")
    return found


def _check_substitutes(gold: Mapping[str, Any], sub: Substitution, rewriter: _Rewriter) -> None:
    for entity in gold.get("entities", []):
        if entity["type"] not in (PERSON, PLACE, COUNTRY) or entity["id"] in sub.keep:
            continue
        for form in [entity["canonical"], *entity.get("aliases", [])]:
            new = rewriter.rewrite(form)
            if re.search(r"(?<![\w])" + re.escape(form), new, re.IGNORECASE):
                raise PerturbError(f"entity {entity['id']}: form {form!r} has no substitute")
    for original, new in sub.names.items():
        for word in (new, *new.split()):
            world = geo.lookup(word) or geo.capitals().get(geo.fold(word))
            if world and len(word) > 3:
                raise PerturbError(f"substitute {new!r} for {original!r} is a real name ({world}): use an "
                                   "invented one")


def _check_facts(gold: Mapping[str, Any], text: str) -> None:
    for record in gold["records"]:
        spec = RECORD_TYPES[record["type"]]
        for slot, raw in record.get("slots", {}).items():
            if slot not in spec or spec[slot].value_type not in (DATE, DURATION):
                continue
            for value in raw if isinstance(raw, list) else [raw]:
                for ev in value.get("evidence", []):
                    _check_evidence(record["id"], slot, spec[slot].value_type, value["value"], ev["text"])


def _check_evidence(record: str, slot: str, value_type: str, value: str, quoted: str) -> None:
    where = f"record {record} slot {slot}"
    if value_type == DURATION:
        try:
            read, wanted = parse_duration(quoted), parse_duration(value)
        except NormalizationError:
            return
        if read != wanted:
            raise PerturbError(f"{where}: evidence {quoted!r} reads {read}, the value is {value}")
        return
    word = quoted.strip().casefold()
    if word in WEEKDAYS:
        if len(value) != 10 or WEEKDAYS[dt.date.fromisoformat(value).weekday()] != word:
            raise PerturbError(f"{where}: {value} is not a {quoted}")
        return
    try:
        read = parse_date(quoted)
    except ValueError:
        return
    if isinstance(read, DateValue) and read.iso != value:
        raise PerturbError(f"{where}: evidence {quoted!r} reads {read.iso}, the value is {value}")
    if isinstance(read, NoYear) and read.month:
        parts = value.split("-")
        if len(parts) < 2 or int(parts[1]) != read.month or (read.day and int(parts[2]) != read.day):
            raise PerturbError(f"{where}: evidence {quoted!r} does not name {value}")


# --------------------------------------------------------------------------- the variant


def perturb(gold: Mapping[str, Any], text: str, sub: Substitution, *, new_id: str, text_file: str,
            perturbation: str = "counterfactual") -> tuple[str, dict[str, Any]]:
    """The counterfactual text and gold of `gold` (a gold file's JSON object) and its `text`."""
    doc = gold["document"]
    published = doc.get("published")
    rewriter = _Rewriter(sub, published)
    day_values = [dt.date.fromisoformat(p) for p in [published] if p]
    for record in gold["records"]:
        spec = RECORD_TYPES[record["type"]]
        for slot, raw in record.get("slots", {}).items():
            if slot in spec and spec[slot].value_type == DATE:
                for value in raw if isinstance(raw, list) else [raw]:
                    day_values += [dt.date.fromisoformat(p) for p in value["value"].split("/") if len(p) == 10]
    rewriter.fix_year_shift([*day_values, *rewriter.day_dates(text)])
    _check_substitutes(gold, sub, rewriter)

    edits = rewriter.edits(text)
    new_text = _apply(text, edits)

    def evidence(items: list[Any], where: str) -> list[dict[str, Any]]:
        out = []
        for item in items:
            start, end = item["span"]
            new_start, new_end = _map_offset(start, edits, where), _map_offset(end, edits, where)
            out.append({"span": [new_start, new_end], "text": new_text[new_start:new_end]})
        return out

    def value_of(value: Mapping[str, Any], value_type: str | None, where: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "entity":
                out[key] = id_map.get(item, item)
            elif key == "evidence":
                out[key] = evidence(item, where)
            elif key == "value" and value_type == DATE:
                out[key] = rewriter.shift_iso(item)
            elif key == "value" and value_type == DURATION:
                out[key] = sub.durations.get(item, item)
            elif key in ("value", "note") or (key == "aliases" and value_type == TEXT):
                out[key] = [rewriter.rewrite(a) for a in item] if isinstance(item, list) else rewriter.rewrite(item)
            else:
                out[key] = item
        return out

    entities, id_map = [], {}
    for entity in gold["entities"]:
        new = dict(entity)
        new["canonical"] = rewriter.rewrite(entity["canonical"])
        # an entity whose value changes is named after its new value ("president-of-valdoria")
        changed = new["canonical"] != entity["canonical"]
        new["id"] = id_map[entity["id"]] = _slug(new["canonical"]) if changed else entity["id"]
        aliases = dict.fromkeys(rewriter.rewrite(a) for a in entity.get("aliases", []))
        new["aliases"] = [a for a in aliases if a != new["canonical"]]
        entities.append(new)
    for new in entities:
        if new.get("country"):
            new["country"] = id_map.get(new["country"], rewriter.rewrite_id(new["country"]))
    ids = [e["id"] for e in entities]
    if len(set(ids)) != len(ids):
        raise PerturbError(f"rewritten entity ids collide: {ids}")

    records = []
    for record in gold["records"]:
        spec = RECORD_TYPES[record["type"]]
        new_record: dict[str, Any] = {}
        for key, item in record.items():
            if key == "id":
                new_record[key] = rewriter.rewrite_id(item)
            elif key == "slots":
                slots = {}
                for slot, raw in item.items():
                    vtype = spec[slot].value_type if slot in spec else None
                    where = f"record {record['id']} slot {slot}"
                    if isinstance(raw, list):
                        slots[slot] = [value_of(v, vtype, where) for v in raw]
                    elif isinstance(raw, Mapping):
                        slots[slot] = value_of(raw, vtype, where)
                    else:
                        slots[slot] = rewriter.rewrite(raw) if isinstance(raw, str) else raw
                new_record[key] = slots
            elif isinstance(item, str) and key != "type":
                new_record[key] = rewriter.rewrite(item)
            else:
                new_record[key] = item
        records.append(new_record)
    record_ids = [r["id"] for r in records]
    if len(set(record_ids)) != len(record_ids):
        raise PerturbError(f"rewritten record ids collide: {record_ids}")

    document = dict(doc)
    document.update(
        id=new_id,
        text_file=text_file,
        published=rewriter.shift_day(dt.date.fromisoformat(published)).isoformat() if published else None,
        variant_of=doc["id"],
        perturbation=perturbation,
        text_sha256=hashlib.sha256(new_text.encode("utf-8")).hexdigest(),
    )
    new_gold = {key: value for key, value in gold.items() if key not in ("document", "entities", "records")}
    new_gold = {"schema_version": gold["schema_version"], **new_gold, "document": document,
                "entities": entities, "records": records}
    _check_facts(new_gold, new_text)
    survivors = surviving_names(new_text, new_gold, replaced_names(gold, sub))
    if survivors:
        raise PerturbError("original names survive: " + "; ".join(survivors[:5]))
    return new_text, new_gold


# --------------------------------------------------------------------------- writing


def _compact(obj: Any) -> bool:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return True
    if isinstance(obj, list):
        return all(x is None or isinstance(x, (str, int, float, bool)) for x in obj)
    return isinstance(obj, Mapping) and set(obj) <= {"span", "text"}


def _dump(obj: Any, indent: int) -> str:
    if _compact(obj):
        return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(obj, list):
        return "[\n" + ",\n".join(inner + _dump(x, indent + 1) for x in obj) + "\n" + pad + "]"
    items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, indent + 1)}" for k, v in obj.items()]
    return "{\n" + ",\n".join(items) + "\n" + pad + "}"


def dumps_gold(gold: Mapping[str, Any]) -> str:
    """A gold object in the house style: two-space indents, evidence and short lists on one line."""
    return _dump(gold, 0) + "\n"
