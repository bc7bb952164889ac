"""Value normalization and comparison: one place decides when two values are the same fact.

`Normalizer` turns a raw predicted string into a `Normal` value in the context of one
gold document (its entity table resolves aliases); `compare` says how much credit a
predicted value earns against a gold value in a regime, and why.

| type | example predictions that match the gold value |
|---|---|
| DATE | "9 November 2020", "November 9, 2020", "2020-11-09" = 2020-11-09 |
| PERSON | "Putin", "Vladimir Putin", "Russian President Vladimir Putin" = Vladimir Putin |
| COUNTRY | "Russian", "the Russian Federation" = Russia |
| OFFICE | "Armenian deputy prime minister", "deputy prime minister of Armenia" |
| DURATION | "four-hour", "4 hours", "PT4H" = PT4H |
| TEXT | "The peacekeepers." = peacekeepers |
"""

from __future__ import annotations

import copy
import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from benchmark import durations, geo
from benchmark.dates import DateValue, NoYear, parse_date
from benchmark.types import COUNTRY, DATE, DURATION, OFFICE, PERSON, PLACE, TEXT, Entity

NO_VALUE = frozenset({"", "unknown", "n/a", "na", "none", "null", "-", "?", "not stated", "not mentioned"})
FULL, PARTIAL, NONE = 1.0, 0.5, 0.0

TITLE_WORDS = frozenset([
    "president", "prime", "minister", "deputy", "vice", "foreign", "defence", "defense", "secretary",
    "general", "chancellor", "king", "queen", "prince", "princess", "mr", "mrs", "ms", "dr", "sir", "leader",
    "premier", "pm", "chairman", "chairwoman", "chair", "head", "state", "governor", "mayor", "senator",
    "ambassador", "spokesman", "spokeswoman", "spokesperson", "former", "acting", "first", "lady",
    "minister's", "emir", "sheikh", "sultan", "pope", "patriarch", "commander", "chief", "gen", "col", "lt",
    "officer", "envoy", "representative", "co", "of", "the", "his", "her", "their", "interim", "elect",
])
ROLE_SYNONYMS = {
    "pm": "prime minister",
    "premier": "prime minister",
    "deputy pm": "deputy prime minister",
    "vice premier": "deputy prime minister",
    "vice prime minister": "deputy prime minister",
    "head of state": "president",
    "fm": "foreign minister",
    "minister of foreign affairs": "foreign minister",
}
ARTICLES = frozenset({"a", "an", "the"})
# Compiled once: these run for every predicted value.
# ",", ";" and "&", each with an "and" after it ("A, B, and C"), or "and" as a word, in any case.
_LIST_SEPARATOR = re.compile(r"\s*[,;&]\s*(?:and\s+)?|\s+and\s+", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_PARENTHESES = re.compile(r"\([^)]*\)")
_POSSESSIVE = re.compile(r"'s\b")
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*")
_OFFICE_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|'s")
_TRAILING_OF = re.compile(r"\s+of$")


# Pure functions of a string, memoized: the same words (roles, country names, dates) recur in every
# document, and normalization is most of the scorer's time. Bounded, so memory stays flat.
_MEMO = 1 << 16
_fold = functools.lru_cache(maxsize=_MEMO)(geo.fold)
_parse_date = functools.lru_cache(maxsize=_MEMO)(parse_date)  # DateValue and NoYear are frozen
_parse_duration = functools.lru_cache(maxsize=_MEMO)(durations.parse_duration)  # a str; errors are not kept


def _lookup(text: str) -> str | None:
    """geo.lookup through the memoized fold."""
    return geo.name_index().get(_fold(text))


@functools.lru_cache(maxsize=1)
def _country_name_tokens() -> frozenset[str]:
    """Every word of the world table's country names, aliases and demonyms (plural s dropped)."""
    return frozenset(t.rstrip("s") for key in geo.name_index() for t in key.split())


@functools.lru_cache(maxsize=_MEMO)
def _words_of_no_world_country(word: str) -> tuple[str, ...] | None:
    """The words of `word` (plural s dropped) in no country name of the world table, or None when one is
    "the" (fold() drops a leading article): only these need the document's own country names."""
    tokens = word.replace("-", " ").split()
    if "the" in tokens:
        return None
    known = _country_name_tokens()
    return tuple(t.rstrip("s") for t in tokens if t.rstrip("s") not in known)


class NormalizationError(ValueError):
    """A value that cannot be normalized: a parse error of the prediction."""


class Normal(NamedTuple):
    """A normalized value: `key` decides equality; the rest serves partial credit and explanations.

    A named tuple: one is built for every distinct predicted string, faster than a frozen dataclass.
    """

    value_type: str
    key: str
    display: str
    via: str = "canonical"
    date: DateValue | None = None
    no_year: bool = False
    role: str | None = None
    country: str | None = None
    tokens: frozenset[str] = frozenset()


# Vulgar fractions spelled out first: NFKC would glue "4½" into "41⁄2".
_FRACTION_CHARS = str.maketrans({"½": " 1/2", "¼": " 1/4", "¾": " 3/4"})


def _compatible(text: str) -> str:
    """Full-width letters and digits, ligatures and other compatibility characters as their plain forms
    (NFKC): "Ｐｕｔｉｎ" is Putin. ASCII text, nearly all of it, is returned as it is."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text.translate(_FRACTION_CHARS))


def is_no_value(raw: object) -> bool:
    if type(raw) is str:
        return _compatible(raw).strip().casefold() in NO_VALUE
    if raw is None:
        return True
    if isinstance(raw, (list, tuple)):
        return all(is_no_value(x) for x in raw)
    return isinstance(raw, str) and raw.strip().casefold() in NO_VALUE


def split_list(raw: object) -> list[object]:
    """A list slot's values: a string is split on `,`, `;` and `and`."""
    if isinstance(raw, (list, tuple)):
        items: list[object] = []
        for item in raw:
            if isinstance(item, str):
                items.extend(split_list(item))  # its parts are no "no value" already
            elif not is_no_value(item):
                items.append(item)
        return items
    if isinstance(raw, str):
        text = _compatible(raw).strip()  # a full-width comma separates too
        # Most values hold no separator: the split would return the text itself.
        parts = [x.strip() for x in _LIST_SEPARATOR.split(text)] if (
            "," in text or ";" in text or "&" in text or "and" in text.lower()) else [text]
        return [p for p in parts if p and not is_no_value(p) and p.casefold() != "and"]
    return [raw]


@functools.lru_cache(maxsize=_MEMO)
def text_tokens(text: str) -> tuple[str, ...]:
    """TEXT normal form: casefolded words, punctuation and articles dropped."""
    words = _WORD.findall(text.casefold().replace("’", "'"))
    return tuple(w for w in words if w not in ARTICLES)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


@functools.lru_cache(maxsize=_MEMO)
def person_tokens(raw: str) -> tuple[str, ...]:
    """A name without titles, nationality words, punctuation or case."""
    text = raw.split(",")[0] if "," in raw else raw
    text = _PARENTHESES.sub(" ", text.casefold().replace("’", "'"))
    text = _POSSESSIVE.sub("", text)
    words = _NAME_WORD.findall(text)
    demonyms = geo.demonym_index()
    while words and (words[0] in TITLE_WORDS or _fold(words[0]) in demonyms or _lookup(words[0])):
        words.pop(0)
    return tuple(w.replace("-", " ") for w in words)


def _name_form(tokens: tuple[str, ...], name: tuple[str, ...]) -> bool:
    """Every word is a word of the name or an initial of one ("V. Putin" for "Vladimir Putin")."""
    return all(t in name or (len(t) == 1 and any(n.startswith(t) for n in name)) for t in tokens)


def _role_words(text: str) -> list[str]:
    return [_singular(w) for w in text_tokens(text) if w not in {"of", "s"}]


# Synonym keys in the form office_role compares them in ("head of state" -> "head state").
_ROLE_SYNONYMS = {" ".join(_role_words(k)): v for k, v in ROLE_SYNONYMS.items()}


@functools.lru_cache(maxsize=_MEMO)
def office_role(text: str) -> str:
    words = _role_words(text)
    role = " ".join(words)
    if role in _ROLE_SYNONYMS:
        return _ROLE_SYNONYMS[role]
    # "deputy premier", "first deputy PM": the short forms inside a longer role.
    role = " ".join("prime minister" if w in ("pm", "premier") else w for w in words)
    return _ROLE_SYNONYMS.get(role, role)


def parse_duration(raw: str) -> str:
    """The canonical ISO 8601 form of a duration (durations.py); a NormalizationError when it reads as none."""
    try:
        return _parse_duration(raw)
    except ValueError as exc:
        raise NormalizationError(str(exc)) from None


class Normalizer:
    """Normalizes values against one document's entity table (aliases, offices, countries)."""

    def __init__(self, entities: Mapping[str, Entity]):
        self.entities = entities
        self._country_keys: dict[str, tuple[str, str, str]] = {}  # memo of _country_key
        self._alias: dict[str, dict[str, tuple[str, str]]] = {t: {} for t in (PERSON, PLACE, COUNTRY)}
        self._offices: dict[tuple[str, str | None], str] = {}
        self._persons: list[tuple[tuple[str, ...], str]] = []
        self._country_names: dict[str, str] = {}  # world canonical name -> entity id
        for entity in entities.values():
            if entity.type == OFFICE:
                self._offices[(office_role(entity.role or entity.canonical), self._gold_country(entity))] = entity.id
                continue
            forms = (entity.canonical, *entity.aliases)
            for form in forms:
                key = " ".join(person_tokens(form)) if entity.type == PERSON else _fold(form)
                via = "canonical" if form == entity.canonical else f"alias {form!r}"
                self._alias[entity.type].setdefault(key, (entity.id, via))
            if entity.type == PERSON:
                self._persons.append((person_tokens(entity.canonical), entity.id))
            if entity.type == COUNTRY:
                world = _lookup(entity.canonical)
                if world:
                    self._country_names.setdefault(world, entity.id)
        # Words of the document's country names (folded, any plural s dropped): see _may_start_country.
        self._country_tokens = frozenset(t.rstrip("s") for key in self._alias[COUNTRY] for t in key.split())
        self._cache: dict[tuple[str, str], Normal] = {}
        self._entity_normals: dict[tuple[str, str], tuple[Normal, ...]] = {}

    def fresh(self) -> Normalizer:
        """The same entity tables with empty memos: a memo of predicted strings belongs to one scorer."""
        new = copy.copy(self)
        new._cache = {}
        new._country_keys = {}
        return new

    def _gold_country(self, entity: Entity) -> str | None:
        if not entity.country:
            return None
        if entity.country in self.entities:
            return f"entity:{entity.country}"
        return self._country_key(entity.country)[0]

    # -- entity resolution -----------------------------------------------------------
    def _country_key(self, raw: str) -> tuple[str, str, str]:
        """(key, display, via) of a country mention; key is `entity:ID` when the table knows it."""
        found = self._country_keys.get(raw)
        if found is None:
            found = self._country_keys[raw] = self._find_country_key(raw)
        return found

    def _find_country_key(self, raw: str) -> tuple[str, str, str]:
        folded = _fold(raw)
        hit = self._alias[COUNTRY].get(folded) or self._alias[COUNTRY].get(folded.rstrip("s"))
        if hit:
            return f"entity:{hit[0]}", self.entities[hit[0]].canonical, hit[1]
        world = _lookup(raw)
        if world:
            if world in self._country_names:
                entity_id = self._country_names[world]
                return f"entity:{entity_id}", self.entities[entity_id].canonical, f"country table {raw!r}"
            return f"country:{_fold(world)}", world, f"country table {raw!r}"
        return f"country:{folded}", raw.strip(), "unknown country"

    def _person(self, raw: str) -> Normal:
        found = self._one_person(raw)
        if "," in raw and found.key.startswith("entity:"):
            # After a comma comes a description ("Ilham Aliyev, president") or another name ("Putin,
            # Aliyev"): a second known person makes several values in one, whichever comes first.
            for part in raw.split(",")[1:]:
                try:
                    other = self._one_person(part)
                except NormalizationError:
                    continue
                if other.key.startswith("entity:") and other.key != found.key:
                    raise NormalizationError(f"several names in one value: {raw!r}")
        return found

    def _one_person(self, raw: str) -> Normal:
        tokens = person_tokens(raw)
        # Nationality words and titles before a name, with the document's own country aliases
        # (invented ones in counterfactual variants: "Valdorian President Aurel Vantok").
        countries = self._alias[COUNTRY]
        while len(tokens) > 1 and (tokens[0] in countries or tokens[0] in TITLE_WORDS
                                   or tokens[0].removesuffix("s") in countries):  # "Valdorians' Vantok"
            tokens = tokens[1:]
        if not tokens:
            raise NormalizationError(f"not a name: {raw!r}")
        key = " ".join(tokens)
        hit = self._alias[PERSON].get(key)
        if hit:
            return Normal(PERSON, f"entity:{hit[0]}", self.entities[hit[0]].canonical, hit[1])
        # A form of a known name: its words are the name's words, ending on the surname.
        matches = {eid for name, eid in self._persons if tokens[-1] == name[-1] and _name_form(tokens, name)}
        if len(matches) == 1:
            eid = matches.pop()
            return Normal(PERSON, f"entity:{eid}", self.entities[eid].canonical, f"name form {raw!r}")
        return Normal(PERSON, f"person:{key}", raw.strip(), "unknown person")

    def _place(self, raw: str) -> Normal:
        folded = _fold(raw)
        if not folded:
            raise NormalizationError(f"not a place: {raw!r}")
        hit = self._alias[PLACE].get(folded)
        if hit:
            return Normal(PLACE, f"entity:{hit[0]}", self.entities[hit[0]].canonical, hit[1])
        key, display, via = self._country_key(raw)
        if key.startswith("entity:") or via != "unknown country":
            return Normal(PLACE, key, display, via)
        return Normal(PLACE, f"place:{folded}", raw.strip(), "unknown place")

    def _country(self, raw: str) -> Normal:
        if not _fold(raw):
            raise NormalizationError(f"not a country: {raw!r}")
        key, display, via = self._country_key(raw)
        return Normal(COUNTRY, key, display, via)

    def _office_parts(self, raw: str) -> tuple[str, str | None]:
        text = raw.casefold().replace("’", "'")
        words = _OFFICE_WORD.findall(text)
        country: str | None = None
        rest: list[str] = []
        i = 0
        span = geo.max_name_words()
        while i < len(words):
            found = None
            # Once the country is found the other words are the role; and a word that is in no country
            # name (the table's or the document's) starts none.
            for n in range(min(span, len(words) - i) if country is None and self._may_start_country(words[i])
                           else 0, 0, -1):
                phrase = " ".join(words[i:i + n])
                if phrase in ("of", "the", "s", "'s"):
                    break
                key, _, via = self._country_key(phrase)
                if via != "unknown country":
                    found = (key, n)
                    break
            if found and country is None:
                country, i = found[0], i + found[1]
            else:
                rest.append(words[i])
                i += 1
        role = office_role(" ".join(w for w in rest if w != "'s"))
        role = _TRAILING_OF.sub("", role).strip()
        if not role:
            raise NormalizationError(f"not an office: {raw!r}")
        return role, country

    def _may_start_country(self, word: str) -> bool:
        """False only when no country name can start with `word` (a word of `_office_parts`)."""
        unknown = _words_of_no_world_country(word)
        return unknown is None or all(t in self._country_tokens for t in unknown)

    def _office(self, raw: str) -> Normal:
        role, country = self._office_parts(raw)
        entity_id = self._offices.get((role, country))
        display = f"{role} ({country.split(':', 1)[1] if country else 'no country'})"
        if entity_id:
            return Normal(OFFICE, f"entity:{entity_id}", self.entities[entity_id].canonical,
                          f"office {raw!r}", role=role, country=country)
        return Normal(OFFICE, f"office:{role}|{country}", display, "unknown office", role=role, country=country)

    # -- public ------------------------------------------------------------------------
    def normalize(self, raw: object, value_type: str) -> Normal:
        """Normal form of a predicted value; raises NormalizationError for a parse error."""
        if type(raw) is str:
            text = _compatible(raw).strip()
        elif isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise NormalizationError(f"{type(raw).__name__} is not a {value_type} value")
        else:
            text = str(raw).strip()
        if len(text) > 500:
            raise NormalizationError("value longer than 500 characters")
        cache_key = (text, value_type)
        cached = self._cache.get(cache_key)
        if cached is None:
            cached = self._normalize(text, value_type)
            self._cache[cache_key] = cached
        return cached

    def _normalize(self, text: str, value_type: str) -> Normal:
        if value_type == DATE:
            try:
                parsed = _parse_date(text)
            except ValueError as exc:
                raise NormalizationError(str(exc)) from None
            if isinstance(parsed, NoYear):
                return Normal(DATE, f"noyear:{_fold(text)}", text, "no year", no_year=True)
            return Normal(DATE, f"date:{parsed.iso}", parsed.iso, "date", date=parsed)
        if value_type == PERSON:
            return self._person(text)
        if value_type == PLACE:
            return self._place(text)
        if value_type == COUNTRY:
            return self._country(text)
        if value_type == OFFICE:
            return self._office(text)
        if value_type == DURATION:
            iso = parse_duration(text)
            return Normal(DURATION, f"duration:{iso}", iso, "duration")
        if value_type == TEXT:
            tokens = text_tokens(text)
            if not tokens:
                raise NormalizationError(f"empty text {text!r}")
            return Normal(TEXT, "text:" + " ".join(tokens), " ".join(tokens), "text", tokens=frozenset(tokens))
        raise NormalizationError(f"unknown value type {value_type}")

    def gold_normals(self, value_type: str, canonical: str, entity_id: str | None,
                     aliases: Iterable[str] = ()) -> tuple[Normal, ...]:
        """Every normal form a gold value accepts (TEXT values list their aliases)."""
        if entity_id is not None:
            found = self._entity_normals.get((value_type, entity_id))
            if found is None:
                entity = self.entities[entity_id]
                role = office_role(entity.role or entity.canonical) if entity.type == OFFICE else None
                country = self._gold_country(entity) if entity.type == OFFICE else None
                found = self._entity_normals[(value_type, entity_id)] = (
                    Normal(value_type, f"entity:{entity_id}", entity.canonical, role=role, country=country),)
            return found
        forms = (canonical, *aliases)
        return tuple(self._normalize(form, value_type) for form in forms)


def compare(pred: Normal, gold: tuple[Normal, ...], regime: str) -> tuple[float, str]:
    """Credit of a predicted value against a gold value (all its accepted forms), and the reason."""
    for form_index, form in enumerate(gold):
        if pred.key == form.key:
            if form_index:
                return FULL, f"alias of {gold[0].display!r}"
            return FULL, "match" if pred.via in ("canonical", "date", "text", "duration") else "alias"
    head = gold[0]
    if pred.value_type == DATE:
        if pred.no_year:
            return NONE, "no_year"
        if regime == "lenient" and head.date and pred.date and pred.date.iso in head.date.truncations():
            return PARTIAL, "truncated_date"
        return NONE, "wrong_date"
    if (regime == "lenient" and pred.value_type == OFFICE and pred.role == head.role
            and pred.country is None and head.country is not None):
        return PARTIAL, "missing_country"
    if regime == "lenient" and pred.value_type == TEXT:
        for form in gold:
            union = pred.tokens | form.tokens
            if union and len(pred.tokens & form.tokens) / len(union) >= 0.8:
                return FULL, "fuzzy_text"
    return NONE, "wrong_value"
