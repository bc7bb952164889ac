"""Generate benchmark/data/countries.tsv, the world-countries table used to normalize
country names and demonyms ("Russian" -> Russia, "the Russian Federation" -> Russia).

Sources (general, covering every ISO 3166-1 country and territory; nothing hand-picked):

* PyPI ``countryinfo``: per-country JSON with name, altSpellings, demonym, capital, ISO codes.
* PyPI ``pycountry``: the ISO 3166-1 list (which codes are current) and its official names.

Neither is a project dependency; run the script from a scratch venv::

    python3 -m venv /tmp/countries-venv
    /tmp/countries-venv/bin/pip install countryinfo==1.0.1 pycountry==26.2.16
    /tmp/countries-venv/bin/python scripts/make_countries.py

Output: UTF-8, LF, tab-separated, one ``#`` comment line naming the sources and their
versions, then the header ``name  iso2  demonyms  aliases  capital`` and one row per
current ISO 3166-1 code, sorted by name. ``demonyms`` and ``aliases`` are ``|``-separated.
The output depends only on the two packages' data: running it twice gives the same bytes.

Rules, applied to every row alike:

* Rows: one per code in pycountry's current ISO 3166-1 list (sovereign states and
  territories). countryinfo's entries for dissolved states (e.g. Serbia and Montenegro,
  Netherlands Antilles) are left out. Duplicate countryinfo entries for one code are merged.
  countryinfo's ``data_no_iso`` folder is used only for an entry that lists a row's name
  among its altSpellings, i.e. an old name of that country (Burma -> Myanmar).
* name: countryinfo's common name, without a leading "The", uninverted if in ISO comma form
  ("Virgin Islands, British" -> "British Virgin Islands") and without a parenthesized
  qualifier ("Saint Martin (French part)" -> "Saint Martin").
* aliases: the other names of both packages (official names, alternative spellings, the
  original forms of the name), in Latin script only, uninverted when in ISO comma form, plus
  the forms with and without "the", accent-free spellings, and forms without a parenthesized
  qualifier. Pure ISO codes are dropped except the well-known ``KEEP_CODES``.
* demonyms: countryinfo's demonym, split at commas. A demonym that several rows share
  ("Chinese" for China, Hong Kong, Macau) is kept only on the row that has at least
  ``DEMONYM_DOMINANCE`` times the population of every other such row, and dropped from all of
  them when no row dominates (e.g. "Channel Islander" for Guernsey and Jersey).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from importlib.metadata import version
from pathlib import Path
from typing import Any

import countryinfo
import pycountry

OUTPUT = Path(__file__).resolve().parent.parent / "benchmark" / "data" / "countries.tsv"
COLUMNS = ("name", "iso2", "demonyms", "aliases", "capital")

# ISO codes that are also the everyday name of the country in English text.
# ("UK", "UAE", "DRC" are not ISO codes and are kept as ordinary aliases.)
KEEP_CODES = frozenset({"USA"})

# A shared demonym stays on the most populous row only if it is this many times larger.
DEMONYM_DOMINANCE = 10

# --- Overrides: only for errors or stale values in the source data. -------------------------

# Countries renamed after the countryinfo data was compiled; the old name becomes an alias.
NAME_OVERRIDES = {
    "MK": "North Macedonia",  # source: "Republic of Macedonia" (renamed 2019)
    "SZ": "Eswatini",  # source: "Swaziland" (renamed 2018)
    "VA": "Vatican City",  # source: two entries, "Vatican City State" / "Holy See (Vatican City State)"
}

# Demonyms that are misspelled, obsolete, the country's name, or another country's demonym
# in the source. The value replaces the source's demonyms; an empty list removes them.
DEMONYM_OVERRIDES: dict[str, list[str]] = {
    "CV": ["Cape Verdean"],  # source: "Cape Verdian" (misspelling)
    "MV": ["Maldivian"],  # source: "Maldivan" (misspelling)
    "KG": ["Kyrgyz"],  # source: "Kirghiz" (obsolete transliteration)
    "TJ": ["Tajik"],  # source: "Tadzhik" (obsolete transliteration)
    "DJ": ["Djiboutian"],  # source: "Djibouti" (the country's name)
    "GI": ["Gibraltarian"],  # source: "Gibraltar" (the territory's name)
    "CX": ["Christmas Islander"],  # source: "Christmas Island" (the territory's name)
    "IO": [],  # source: "Indian" (India's demonym; the territory has no population of its own)
    "CW": ["Curaçaoan"],  # source: missing
    "GF": ["French Guianese"],  # source: empty string
    "TC": ["Turks and Caicos Islander"],  # source: missing
}

# Capitals that changed after the countryinfo data was compiled.
CAPITAL_OVERRIDES = {
    "KZ": "Astana",  # source: "Nur-Sultan" (renamed back in 2022)
    "BI": "Gitega",  # source: "Bujumbura" (capital moved in 2019)
}

# altSpellings that are fragments of a longer name split at a comma or space in the source,
# or native names that are ordinary English words and would match unrelated text.
ALIAS_DROPS = {
    "BN": {"the Abode of Peace"},  # fragment of "Nation of Brunei, the Abode of Peace"
    "MX": {"Mexicanos"},  # fragment of "Estados Unidos Mexicanos"
    "PT": {"Portuguesa"},  # fragment of "República Portuguesa"
    "TH": {"Prathet"},  # fragment of "Prathet Thai"
    "IS": {"Island"},  # Icelandic name; the English word "island"
    "IM": {"Mann"},  # Manx name; a common surname
}

# ---------------------------------------------------------------------------------------------

# Nouns after which an English country name takes "the" ("the Russian Federation",
# "the United Kingdom", "the Cayman Islands"): the noun ends the name or is followed by "of".
THE_NOUNS = (
    "Republic|Kingdom|Federation|Union|States|Emirates|Commonwealth|Principality|Duchy|"
    "Confederation|Sultanate|State|Islands|Isles|Isle|Territory|Territories|Lands|Bailiwick"
)
THE_RE = re.compile(rf"\b(?:{THE_NOUNS})\b(?: of\b|$)")
PAREN_RE = re.compile(r"\s*\([^)]*\)")
ISO_CODE_RE = re.compile(r"^[A-Z]{2,3}$")


def fold(text: str) -> str:
    """The text without accents (NFKD, combining marks removed)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def is_latin(text: str) -> bool:
    """True if every letter is Latin script (IPA letters excluded)."""
    return all(
        unicodedata.name(ch, "").startswith("LATIN") and not 0x0250 <= ord(ch) <= 0x02AF
        for ch in text
        if ch.isalpha()
    )


def uninvert(text: str) -> str | None:
    """Undo the ISO comma form; return None for comma forms that have no plain reading.

    "Korea, Republic of" -> "Republic of Korea"; "Virgin Islands, U.S." -> "U.S. Virgin Islands";
    "Saint Helena, Ascension and Tristan da Cunha" is a list and stays; "Taiwan, Province of
    China" has no plain reading and is dropped.
    """
    if ", " not in text:
        return text
    head, _, tail = text.rpartition(", ")
    if re.search(r"\bof(?: the)?$", tail, re.IGNORECASE) or " " not in tail:
        return f"{tail} {head}"
    if " and " in tail:
        return text
    return None


def clean(text: str) -> str:
    text = " ".join(text.split())
    if text.startswith("The "):
        text = "the " + text[4:]
    return text


def variants(alias: str) -> list[str]:
    """The alias with and without "the", without a parenthesized qualifier, accent-free."""
    forms = {alias}
    bare = PAREN_RE.sub("", alias).strip()
    if bare:
        forms.add(bare)
    for form in list(forms):
        if form.startswith("the "):
            forms.add(form[4:])
        elif THE_RE.search(form):
            forms.add("the " + form)
    for form in list(forms):
        folded = fold(form)
        if folded != form and folded.isascii():
            forms.add(folded)
    return sorted(forms)


def load_countryinfo() -> tuple[dict[str, list[tuple[str, dict[str, Any]]]], list[dict[str, Any]]]:
    base = Path(countryinfo.__file__).resolve().parent
    by_code: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for path in sorted((base / "data").glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        code = (entry.get("ISO") or {}).get("alpha2")
        if code and entry.get("name"):
            by_code.setdefault(code, []).append((path.name, entry))
    extra = []
    for path in sorted((base / "data_no_iso").glob("*.json")):
        entry = json.loads(path.read_text(encoding="utf-8"))
        if entry.get("name"):
            extra.append(entry)
    return by_code, extra


def primary_first(entries: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Duplicate entries for one code: the one with a demonym and the larger population first."""

    def key(item: tuple[str, dict[str, Any]]) -> tuple[bool, int, str]:
        filename, entry = item
        return (not entry.get("demonym"), -(entry.get("population") or 0), filename)

    return [entry for _, entry in sorted(entries, key=key)]


def first_str(value: Any) -> str:
    """A capital: the first one if the source gives a list; "The Valley" keeps its capital T."""
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join((value or "").split())


def make_name(code: str, source_name: str) -> str:
    if code in NAME_OVERRIDES:
        return NAME_OVERRIDES[code]
    name = uninvert(clean(source_name)) or clean(source_name)
    name = PAREN_RE.sub("", name).strip()
    if name.startswith("the "):
        name = name[4:]
    return name


def build_rows() -> list[dict[str, Any]]:
    by_code, extra = load_countryinfo()
    rows = []
    for country in pycountry.countries:
        code = country.alpha_2
        entries = primary_first(by_code.get(code, []))
        main = entries[0] if entries else {}
        name = make_name(code, main.get("name") or getattr(country, "common_name", country.name))

        codes = {code, country.alpha_3}
        raw_aliases: list[str] = []
        for entry in entries:
            raw_aliases.append(entry["name"])
            raw_aliases.extend(entry.get("altSpellings") or [])
            codes.update(v for k, v in (entry.get("ISO") or {}).items() if k != "numeric" and v)
        for entry in extra:
            if name in (entry.get("altSpellings") or []) or main.get("name") in (
                entry.get("altSpellings") or []
            ):
                raw_aliases.append(entry["name"])
                raw_aliases.extend(entry["altSpellings"])
        for field in ("name", "official_name", "common_name"):
            value = getattr(country, field, None)
            if value:
                raw_aliases.append(value)

        if code in DEMONYM_OVERRIDES:
            demonyms = list(DEMONYM_OVERRIDES[code])
        else:
            source = next((e["demonym"] for e in entries if e.get("demonym")), "")
            demonyms = [clean(d) for d in source.split(",") if d.strip()]

        drops = ALIAS_DROPS.get(code, set())
        aliases: dict[str, str] = {}
        for raw in raw_aliases:
            text = clean(raw)
            if not text or text in drops or not is_latin(text):
                continue
            if ISO_CODE_RE.match(text) and text in codes and text not in KEEP_CODES:
                continue
            plain = uninvert(text)
            if plain is None:
                continue
            for form in variants(clean(plain)):
                aliases.setdefault(form.casefold(), form)
        for form in variants(name):
            aliases.setdefault(form.casefold(), form)
        blocked = {name.casefold()} | {d.casefold() for d in demonyms}
        alias_list = sorted(
            (a for k, a in aliases.items() if k not in blocked), key=lambda a: (fold(a).casefold(), a)
        )

        capital = CAPITAL_OVERRIDES.get(code) or next(
            (first_str(e.get("capital")) for e in entries if first_str(e.get("capital"))), ""
        )
        rows.append(
            {
                "name": name,
                "iso2": code,
                "demonyms": demonyms,
                "aliases": alias_list,
                "capital": capital,
                "population": main.get("population") or 0,
            }
        )
    resolve_shared_demonyms(rows)
    drop_cross_row_aliases(rows)
    rows.sort(key=lambda r: (fold(r["name"]).casefold(), r["name"]))
    return rows


def resolve_shared_demonyms(rows: list[dict[str, Any]]) -> None:
    holders: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        for demonym in row["demonyms"]:
            holders.setdefault(demonym.casefold(), []).append(row)
    for key, group in sorted(holders.items()):
        if len(group) < 2:
            continue
        group = sorted(group, key=lambda r: -r["population"])
        top, rest = group[0], group[1:]
        dominant = all(top["population"] >= DEMONYM_DOMINANCE * r["population"] for r in rest)
        losers = rest if dominant else group
        for row in losers:
            row["demonyms"] = [d for d in row["demonyms"] if d.casefold() != key]


def drop_cross_row_aliases(rows: list[dict[str, Any]]) -> None:
    """An alias that is another row's name, or that several rows share, names no row reliably."""
    names = {row["name"].casefold(): row for row in rows}
    count: dict[str, int] = {}
    for row in rows:
        for alias in row["aliases"]:
            count[alias.casefold()] = count.get(alias.casefold(), 0) + 1
    for row in rows:
        row["aliases"] = [
            a for a in row["aliases"] if count[a.casefold()] == 1 and names.get(a.casefold(), row) is row
        ]


def render(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"# generated by scripts/make_countries.py from PyPI countryinfo {version('countryinfo')} "
        f"and pycountry {version('pycountry')}; do not edit by hand",
        "\t".join(COLUMNS),
    ]
    for row in rows:
        cells = [
            row["name"],
            row["iso2"],
            "|".join(row["demonyms"]),
            "|".join(row["aliases"]),
            row["capital"],
        ]
        for cell in cells:
            if "\t" in cell or "\n" in cell:
                raise ValueError(f"tab or newline in {cell!r}")
        for item in row["demonyms"] + row["aliases"]:
            if "|" in item:
                raise ValueError(f"'|' in {item!r}")
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")
    args = parser.parse_args(argv)
    text = render(build_rows())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(text.encode("utf-8"))
    print(f"wrote {text.count(chr(10)) - 2} rows to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
