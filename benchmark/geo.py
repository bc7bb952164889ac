"""The world's countries: names, aliases, demonyms and capitals, from `data/countries.tsv`.

The table is generated from a general source (see `scripts/make_countries.py`), so
normalizers and extractors know every country, not only the ones of one article.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

_TABLE = Path(__file__).with_name("data") / "countries.tsv"


@dataclass(frozen=True)
class Country:
    name: str
    iso2: str
    demonyms: tuple[str, ...]
    aliases: tuple[str, ...]
    capital: str


_POSSESSIVE = re.compile(r"'s\b")
_PUNCTUATION = re.compile(r"[^\w\s]")


def fold(text: str) -> str:
    """Casefold, drop a leading article and punctuation, collapse whitespace: the lookup key."""
    text = text.casefold().replace("’", "'")
    text = _POSSESSIVE.sub("", text)
    text = _PUNCTUATION.sub(" ", text)
    text = " ".join(text.split())
    return text[4:] if text.startswith("the ") else text


def _split(cell: str) -> tuple[str, ...]:
    return tuple(x for x in cell.split("|") if x)


@functools.lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    rows = []
    with _TABLE.open(encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle if line.strip() and not line.startswith("#")]
    header = lines[0].split("\t")
    for line in lines[1:]:
        cells = dict(zip(header, line.split("\t")))
        rows.append(Country(cells["name"], cells.get("iso2", ""), _split(cells.get("demonyms", "")),
                            _split(cells.get("aliases", "")), cells.get("capital", "")))
    return tuple(rows)


@functools.lru_cache(maxsize=1)
def name_index() -> dict[str, str]:
    """Folded name, alias or demonym (and its plural) -> the country's common name."""
    index: dict[str, str] = {}
    for country in countries():
        for form in (country.name, *country.aliases):
            index.setdefault(fold(form), country.name)
    for country in countries():
        for demonym in country.demonyms:
            key = fold(demonym)
            index.setdefault(key, country.name)
            index.setdefault(key + "s", country.name)
    index.pop("", None)
    return index


def lookup(text: str) -> str | None:
    """The common name of the country `text` names or qualifies ("Russian" -> "Russia"), else None."""
    return name_index().get(fold(text))


@functools.lru_cache(maxsize=1)
def demonym_index() -> dict[str, str]:
    return {fold(d): c.name for c in countries() for d in c.demonyms if d}


def is_demonym(word: str) -> bool:
    return fold(word) in demonym_index()


@functools.lru_cache(maxsize=1)
def capitals() -> dict[str, str]:
    """Folded capital -> country name (capitals may stand for their state: metonymy)."""
    return {fold(c.capital): c.name for c in countries() if c.capital}


@functools.lru_cache(maxsize=1)
def max_name_words() -> int:
    return max(len(key.split()) for key in name_index())
