"""Entity layer of the `rules` extractor: countries, people, offices and their coreference.

Countries come from the general world table (`benchmark.geo`, built from `data/countries.tsv`)
and, for names the table does not know (invented countries in counterfactual texts), from the
document itself: a nationality adjective such as "Xanian" is matched to a capitalized word of
the same stem elsewhere in the text ("Xania"). Place names are never listed here.

People are found through title cues: "<Nationality> <Title> <Name>", "<Country>'s <Title> <Name>",
"<Title> <Name> of <Country>", "<Name>, the <Title> of <Country>", "Mr <Name>". Each becomes a
`Person` with its office (role, country). Later mentions are resolved within the document:
surnames and first names to full names, "the <Nationality> leader" / "his <Nationality>
counterpart" to the person whose office has that country, and "the leaders of A, B and C" to the
office holders of those countries.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from benchmark import geo
from benchmark.geo import fold

NAME_TOKEN = r"(?:[A-Z][a-z]*[A-Z]?[a-z]+|[A-Z]\.)(?:-[A-Z]?[a-z]+|['’][A-Z]?[a-z]{2,})*"
_PARTICLE = r"(?:(?:de|da|di|van|von|der|bin|ibn|al|el|le|la|du|dos|del)\s+|(?:al|el)-)"
NAME = rf"{NAME_TOKEN}(?:\s+{_PARTICLE}?{NAME_TOKEN}){{0,2}}"

TITLES = [
    "first deputy prime minister", "deputy prime minister", "vice prime minister", "vice premier",
    "prime minister", "foreign minister", "defence minister", "defense minister", "interior minister",
    "economy minister", "finance minister", "deputy foreign minister", "minister of foreign affairs",
    "vice president", "vice-president", "president", "chancellor", "premier", "king", "queen", "emir",
    "sultan", "crown prince", "prince", "supreme leader", "secretary of state", "secretary-general",
    "secretary general", "speaker", "governor", "mayor", "general", "ambassador", "envoy", "spokesman",
    "spokeswoman", "spokesperson", "minister", "chairman", "chairwoman", "leader", "head of state",
    "patriarch", "commander", "senator",
]
_TITLE_ALT = "|".join(
    r"\s+".join(("[" + w[0].upper() + w[0] + "]" + re.escape(w[1:])) for w in t.split())
    for t in sorted(TITLES, key=len, reverse=True)
)
TITLE = rf"(?:{_TITLE_ALT})"
_NOT_NAMES = frozenset(
    [
        "The", "A", "An", "This", "That", "These", "Those", "He", "She", "They", "It", "His", "Her", "Their",
        "Its", "We", "I", "On", "In", "At", "By", "For", "From", "With", "After", "Before", "During", "Under",
        "Over", "Since", "Until", "When", "While", "As", "And", "But", "Or", "If", "Then", "There", "Here",
        "Mr", "Mrs", "Ms", "Dr", "Sir", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
        "Sunday", "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December", "Government", "Cabinet", "Parliament", "Ministry", "Office"
    ]
)
_LEADER_WORDS = r"(?:leader|president|premier|prime\s+minister|head\s+of\s+state|counterpart|head\s+of\s+government)"
_GROUP_NOUNS = r"(?:countries|states|nations|sides|parties|republics)"
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "both": 2}


# --------------------------------------------------------------------------- the world table

@functools.lru_cache(maxsize=1)
def _table() -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    """(folded name/alias/demonym -> country, folded capital -> country, folded demonyms)."""
    return dict(geo.name_index()), dict(geo.capitals()), frozenset(geo.demonym_index())


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class Countries:
    """Country resolution for one document: the world table first, then the document's own words."""

    _DEMONYM_END = re.compile(r"(?:ian|ean|an|ani|i|ese|ish|ic|ite|ot|ine)$")

    def __init__(self, text: str):
        self.text = text
        self.index, self.capitals, self.demonyms = _table()
        words = re.findall(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)*\b", text)
        self.words = sorted(set(words))
        self._cache: dict[str, str | None] = {}

    def _surface(self, canonical: str) -> str:
        """The form of a table country that this document uses (its own name if it appears)."""
        if re.search(rf"\b{re.escape(canonical)}\b", self.text):
            return canonical
        for key, value in self.index.items():
            if value == canonical and key not in self.demonyms and not key.endswith("s"):
                m = re.search(rf"\b{re.escape(key)}\b", self.text, re.I)
                if m and m.group(0)[0].isupper():
                    return m.group(0)
        return canonical

    def resolve(self, phrase: str, *, adjective: bool = False) -> str | None:
        """The country a name, alias or nationality word stands for, or None."""
        key = (phrase, adjective)
        if key not in self._cache:
            self._cache[key] = self._resolve(phrase, adjective)  # type: ignore[index]
        return self._cache[key]  # type: ignore[index]

    def _resolve(self, phrase: str, adjective: bool) -> str | None:
        folded = fold(phrase)
        if not folded:
            return None
        hit = self.index.get(folded)
        if hit:
            return self._surface(hit)
        word = re.sub(r"['’]s$", "", phrase.strip())
        if not re.fullmatch(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)*", word):
            return None
        # A nationality word of a country the table does not know: a shorter word of the same stem.
        best = None
        for other in self.words:
            if other == word or len(other) < 4 or len(other) >= len(word) or other in _NOT_NAMES:
                continue
            common = _common_prefix(other.lower(), word.lower())
            if common >= max(4, len(other) - 1) and (best is None or len(other) > len(best)):
                best = other
        if best is not None:
            return self._surface(self.index[fold(best)]) if fold(best) in self.index else best
        if self.is_country(word):
            return word
        if adjective:  # a nationality word the table lacks, of a country it knows ("Xanian" -> "Xan", "Xania")
            for suffix in ("ian", "ean", "an", "n", "ese", "ish", "i"):
                stem = word[: -len(suffix)] if word.endswith(suffix) else ""
                for cand in (stem, stem + "a", stem + "ia") if len(stem) >= 3 else ():
                    folded_cand = fold(cand)
                    if folded_cand in self.index and folded_cand not in self.demonyms:
                        return self._surface(self.index[folded_cand])
        if adjective and re.search(r"ian$", word) and len(word) > 5:
            return word[:-1]
        return None

    def is_country(self, phrase: str) -> bool:
        """A name (not an adjective) of a country: in the table, or the stem of a nationality word here."""
        folded = fold(phrase)
        if folded in self.index and folded not in self.demonyms and not (
            folded.endswith("s") and folded[:-1] in self.demonyms
        ):
            return True
        word = phrase.strip()
        if not re.fullmatch(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)*", word) or word in _NOT_NAMES:
            return False
        for other in self.words:
            if len(other) > len(word) and self._DEMONYM_END.search(other.lower()):
                common = _common_prefix(other.lower(), word.lower())
                if common >= max(4, len(word) - 1) and len(other) - len(word) <= 4:
                    return True
        return False

    def country_lists(self) -> list[tuple[int, list[str]]]:
        """Coordinations of country names in the text ("Russia, Armenia and Azerbaijan"), with offsets."""
        out: list[tuple[int, list[str]]] = []
        item = r"[A-Z][a-z]+(?:[- ][A-Z][a-z]+)?"
        for m in re.finditer(rf"\b{item}(?:\s*,\s*{item})*,?\s+and\s+{item}\b", self.text):
            parts = [p.strip() for p in re.split(r",|\band\b", m.group(0)) if p.strip()]
            if len(parts) >= 2 and all(self.is_country(p) for p in parts):
                out.append((m.start(), [self.resolve(p) or p for p in parts]))
        return out


# --------------------------------------------------------------------------- people

@dataclass(eq=False)
class Person:
    name: str
    role: str | None = None
    country: str | None = None
    spans: list[tuple[int, int]] = field(default_factory=list)
    order: int = 0

    @property
    def tokens(self) -> list[str]:
        return [t for t in self.name.split() if not re.fullmatch(_PARTICLE.strip(r"\s+"), t)]

    @property
    def office(self) -> str | None:
        if not self.role:
            return None
        return f"{self.role} of {self.country}" if self.country else self.role


@dataclass
class Mention:
    start: int
    end: int
    persons: list[Person]
    kind: str = "name"  # name | coref | group


def _role(title: str) -> str:
    role = re.sub(r"\s+", " ", title.strip()).lower()
    return {"premier": "Prime Minister", "head of state": "President"}.get(role, role.title()
                                                                            if role != role.upper() else role)


_ROLE_RANK = ("President", "Prime Minister", "Chancellor", "King", "Queen", "Emir", "Sultan", "Supreme Leader")


class People:
    """The people of one document, found by title cues, and their mentions."""

    def __init__(self, text: str, countries: Countries):
        self.text = text
        self.countries = countries
        self.persons: list[Person] = []
        self._find_titled()

    # -- discovery ---------------------------------------------------------------------
    def _add(self, name: str, role: str | None, country: str | None, span: tuple[int, int]) -> None:
        name = re.sub(r"\s+", " ", name.strip())
        words = name.split()
        while words and words[0] in _NOT_NAMES:
            words.pop(0)
        if not words or (len(words) == 1 and not role):
            return
        name = " ".join(words)
        if self.countries.is_country(name) or fold(name) in self.countries.index:
            return
        for person in self.persons:
            if person.name == name or (len(words) == 1 and words[0] in person.tokens):
                person.spans.append(span)
                if role and not person.role:
                    person.role, person.country = role, country
                elif role and person.role == role and country and not person.country:
                    person.country = country
                return
            if len(words) > 1 and len(person.tokens) == 1 and person.tokens[0] == words[-1]:
                person.name = name
                person.spans.append(span)
                return
        self.persons.append(Person(name, role, country, [span], len(self.persons)))

    def _find_titled(self) -> None:
        text = self.text
        title_heads = sorted({t.split()[0].capitalize() for t in TITLES if " " in t})
        qual = rf"(?:(?!(?:{'|'.join(title_heads)})\b)(?P<adj>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?P<poss>['’]s)?\s+)"
        patterns = [
            # Xanian President Ana Bell / Xania's President Ana Bell / President Ana Bell of Xania
            rf"{qual}?(?P<title>{TITLE})\s+(?P<name>{NAME})(?:\s+of\s+(?:the\s+)?(?P<of>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?))?",
            # President of Xania Ana Bell
            rf"(?P<title>{TITLE})\s+of\s+(?:the\s+)?(?P<of>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+(?P<name>{NAME})",
            # Ana Bell, the Xanian President / Xania's president / the President of Xania
            rf"(?P<name>{NAME}),\s+(?:the\s+|a\s+)?{qual}?(?P<title>{TITLE})"
            rf"(?:\s+of\s+(?:the\s+)?(?P<of>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?))?(?![ \t]+[A-Z])",
            # the Xanian president, Ana Bell, ... / Xania's prime minister, Ana Bell,
            rf"\b(?:the\s+|[Tt]he\s+)?{qual}(?P<title>{TITLE}),\s+(?P<name>{NAME})(?=\s*[,)]|\s+(?:and|said|who)\b)",
        ]
        for pattern in patterns:
            for m in re.finditer(pattern, text):
                name = m.group("name")
                adj = m.groupdict().get("adj")
                country = self.countries.resolve(adj, adjective=True) if adj else None
                if country is None and m.groupdict().get("of"):
                    of = m.group("of")
                    country = self.countries.resolve(of) or self.countries.resolve(of.split()[0])
                    if country is None and of.split()[0] not in _NOT_NAMES and not self.by_token(of.split()[0]):
                        country = of  # "President X of <country>": the construction names a state
                if adj and country is None and adj not in _NOT_NAMES and pattern in (patterns[2], patterns[3]):
                    continue
                name_words = name.split()
                # a name run may swallow a following capitalized word ("... Bell Monday"): drop it
                while len(name_words) > 1 and (name_words[-1] in _NOT_NAMES
                                               or self.countries.resolve(name_words[-1])):
                    name_words.pop()
                if not name_words or name_words[0] in _NOT_NAMES:
                    continue
                if len(name_words) == 1 and self.countries.resolve(name_words[0]):
                    continue
                self._add(" ".join(name_words), _role(m.group("title")), country, m.span())
        for m in re.finditer(rf"\b(?:Mr|Mrs|Ms|Dr)\.?\s+(?P<name>{NAME})", text):
            self._add(m.group("name"), None, None, m.span())

    # -- mentions ----------------------------------------------------------------------
    def by_token(self, token: str) -> Person | None:
        hits = [p for p in self.persons if token in p.tokens]
        if len(hits) == 1:
            return hits[0]
        last = [p for p in hits if p.tokens[-1] == token]
        return last[0] if len(last) == 1 else None

    def head_of(self, country: str) -> Person | None:
        """The leading office holder of a country in this document."""
        cands = [p for p in self.persons if p.country == country and p.role]
        if not cands:
            return None

        def rank(p: Person) -> tuple[int, int]:
            r = _ROLE_RANK.index(p.role) if p.role in _ROLE_RANK else len(_ROLE_RANK)
            return (r, p.order)

        return sorted(cands, key=rank)[0]

    def mentions(self, start: int, end: int) -> list[Mention]:
        """Person mentions inside [start, end): names, "the X leader", "the leaders of A and B"."""
        chunk = self.text[start:end]
        found: list[Mention] = []
        taken: list[tuple[int, int]] = []

        def free(a: int, b: int) -> bool:
            return all(b <= x or a >= y for x, y in taken)

        # the leaders of A, B and C
        for m in re.finditer(r"\b(?:the\s+)?(?:leaders|heads\s+of\s+state|presidents)\s+of\s+"
                             r"((?:[A-Z][\w-]+\s*,\s*)*[A-Z][\w-]+,?\s+and\s+[A-Z][\w-]+)", chunk):
            names = [x.strip() for x in re.split(r",|\band\b", m.group(1)) if x.strip()]
            persons = [self.head_of(c) for c in (self.countries.resolve(n) for n in names) if c]
            persons = [p for p in persons if p]
            if persons:
                found.append(Mention(start + m.start(), start + m.end(), persons, "group"))
                taken.append((m.start(), m.end()))
        # the Russian leader / his Armenian counterpart / Russia's president (without a name)
        for m in re.finditer(rf"\b(?:the|his|her|their)\s+(?P<adj>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)\s+{_LEADER_WORDS}\b"
                             rf"(?!\s+{NAME_TOKEN})|\b(?P<cty>[A-Z][a-z]+)['’]s\s+{_LEADER_WORDS}\b(?!\s+{NAME_TOKEN})",
                             chunk):
            word = m.group("adj") or m.group("cty")
            country = self.countries.resolve(word, adjective=True)
            person = self.head_of(country) if country else None
            if person and free(m.start(), m.end()):
                found.append(Mention(start + m.start(), start + m.end(), [person], "coref"))
                taken.append((m.start(), m.end()))
        # names: full names first, then single tokens
        for person in sorted(self.persons, key=lambda p: -len(p.name)):
            for m in re.finditer(rf"\b{re.escape(person.name)}\b", chunk):
                if free(m.start(), m.end()):
                    found.append(Mention(start + m.start(), start + m.end(), [person]))
                    taken.append((m.start(), m.end()))
        for m in re.finditer(rf"\b{NAME_TOKEN}\b", chunk):
            if not free(m.start(), m.end()):
                continue
            person = self.by_token(m.group(0))
            if person:
                found.append(Mention(start + m.start(), start + m.end(), [person]))
                taken.append((m.start(), m.end()))
        found.sort(key=lambda x: x.start)
        return found


def group_size(phrase: str) -> int | None:
    """"the three countries" -> 3."""
    m = re.search(rf"\b(two|three|four|five|six|both|\d)\s+{_GROUP_NOUNS}\b", phrase, re.I)
    if not m:
        return None
    word = m.group(1).lower()
    return int(word) if word.isdigit() else NUMBER_WORDS[word]
