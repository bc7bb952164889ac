"""`rules`: a rule-based fact extractor (standard library + the world country table).

Approach, in four passes over one document:

1. Text (`rules_text`): lines become paragraphs; a dateline ("CITY, Month D. /AGENCY/.") is cut
   off and never read for events; paragraphs are split into sentences with offsets; every date
   mention is parsed by one grammar and resolved to ISO (implied years from the narrative and the
   published date, weekdays and "the next day" from the published date / the previous date).
2. Entities (`rules_entities`): countries from the world table or, for unknown names, from the
   document's own nationality words; people from title cues, with their offices; mentions of
   people by full name, surname, "the <Nationality> leader" and "the leaders of A, B and C".
3. Triggers: each sentence is scanned for event triggers (meeting, agreement, ceasefire,
   deployment, body, conflict). Dates and people are attached to triggers by position: what
   stands before the first trigger is the sentence's subject and time ("On DATE, A and B held
   talks"); what follows a trigger belongs to the nearest trigger before it that accepts it
   ("a statement ... of DATE", "a ceasefire starting from DATE", "initiated by X"). Places come
   from "in/over/along/to X" after the trigger; "the enclave"/"the region" refer back.
4. Events: mentions are merged into one record per real event (same date, same participants,
   or a definite back-reference such as "the summit" / "they"), linked records share values
   (a statement signed after a summit has its date, place and signatories; a body set up by a
   statement has its date), and records with no scored value are dropped.

Nothing here names a person, place or date of any particular article: every cue is generic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from benchmark.extractor import Extractor
from benchmark.types import Document
from runners.rules_entities import Countries, People, Person, fold, group_size
from runners.rules_text import DateMention, Sentence, find_dates, segment

# --------------------------------------------------------------------------- trigger grammar

_MEET_NOUN = (r"(?:talks|summit|meeting|(?:phone|telephone)\s+(?:call|conversation|talks)|call|conversation|"
              r"negotiations|discussions?|consultations|videoconference|video\s+conference)")
MEET_VERB = re.compile(
    r"\b(?:held|hold|holds|holding|had|have|has|conducted)\s+(?:(?:a|an|the|their|its)\s+)?"
    r"(?:[\w-]+\s+){0,3}?" + _MEET_NOUN + r"\b"
    r"|\b(?:met|meets|discussed|discuss|discusses|talked|spoke|conferred|negotiated|hosted|hosts|received)\b"
    r"|\b(?:came|come|comes|coming|got|get|gets)\s+together\b|\b(?:gathered|sat\s+down)\s+(?:in|at|for|with)\b"
    r"|\b(?:went|go|goes|going)\s+over\b|\b(?:took\s+stock\s+of|exchanged\s+views)\b"
    r"|\bmeet\b(?!\s+(?:the|their|its)\s+(?:demands?|needs?|requirements?|targets?|obligations?))",
    re.I,
)
MEET_NOUN = re.compile(
    r"\b(?:talks|summit|meeting|(?:phone|telephone)\s+(?:call|conversation|talks)|telephone\s+conversation|"
    r"negotiations|videoconference|video\s+conference)\b", re.I)
_DOC = (r"(?:(?:joint|trilateral|bilateral|tripartite|final|peace|ceasefire)\s+)*(?:statement|declaration|"
        r"agreement|deal|accord|treaty|memorandum|protocol|communiqu[eé]|pact|roadmap|document)s?")
SIGN = re.compile(
    r"\b(?:signed|sign|signs|signing|inked|adopted|adopt|put\s+their\s+names\s+to|put\s+their\s+signatures\s+to|"
    r"concluded|initialed|initialled)\s+(?:[\w-]+\s+){0,5}?" + _DOC + r"\b"
    r"|\b" + _DOC + r"\b(?:\s+[\w-]+){0,6}?\s+(?:was|were|had\s+been|has\s+been|is)\s+(?:signed|adopted|inked)\b"
    r"|\bsigning\s+of\s+(?:the\s+|a\s+)?" + _DOC + r"\b"
    # "a document signed on DATE by A, B and C" (a reduced relative clause)
    r"|\b" + _DOC + r"\s+(?:jointly\s+)?signed\s+(?=(?:on|by|in|at|last|earlier)\b)",
    re.I,
)
DOC_NOUN = re.compile(r"\b" + _DOC + r"\b", re.I)
CEASEFIRE = re.compile(r"\b(?:ceasefire|cease-fire|truce|armistice)\b", re.I)
_CEASE_CUE = re.compile(
    r"(?:starting\s+(?:from|on|at)?|from|as\s+of|effective(?:\s+from|\s+as\s+of)?|beginning(?:\s+on)?|"
    r"(?:took|takes|take|taking)\s+effect(?:\s+on|\s+from)?|(?:came|come|entered|enter)\s+into\s+force(?:\s+on)?|"
    r"(?:began|begins|started|starts|in\s+force\s+since|since)(?:\s+on)?)\s*(?:midnight\s+(?:on\s+)?)?$",
    re.I,
)
CONFLICT_NOUN = re.compile(
    r"(?<!prisoners of )(?<!prisoner of )\b(?:clashes|clash|conflict|war|fighting|hostilities|military\s+action|"
    r"battles|skirmishes|confrontation|feud|quarrel|standoff|stand-off|insurgency|"
    # a dispute is a conflict when it is over a named place or territorial, not a trade or legal dispute
    r"(?:territorial|border)\s+dispute|dispute(?=\s+(?:over|between)\s+(?:the\s+)?[A-Z])|"
    r"military\s+operations?|offensive|violence)\b", re.I)
CONFLICT_VERB = re.compile(
    r"\b(?:erupted|erupt|erupts|broke\s+out|break\s+out|breaks\s+out|resumed|resume|resumes|exploded|explode|"
    r"broken\s+out|flared(?:\s+up)?|reignited|re-erupted|reopened|escalated|boiled\s+over|began|begun|started|clashed|"
    r"fought|(?:dates|date|dating|dated|goes|go|going|traces|trace|tracing)\s+back|"
    r"raged|waged|(?:turned|developed|grew|spiralled|spiraled|escalated|descended)\s+into)\b", re.I)
DEPLOY_VERB = re.compile(
    r"\b(?:deployed|deploy|deploys|deploying|deployment|stationed|station|took\s+up\s+positions|"
    r"take\s+up\s+positions|taking\s+up\s+positions|dispatched|moved\s+into|were\s+sent|was\s+sent|sent|sends|"
    r"been\s+sent|arrived|arrive|entered)\b", re.I)
FORCE = re.compile(
    r"\b(?:(?P<adj>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?P<poss>['’]s)?\s+(?:[a-z]+\s+and\s+)?)?"  # "Xian monitors and ..."
    r"(?P<force>[Pp]eacekeepers|[Pp]eacemakers|"
    r"[Pp]eace-keepers|[Pp]eacekeeping\s+(?:contingent|forces?|troops|mission|units?)|[Mm]ilitary\s+observers|"
    r"[Tt]roops|[Ss]oldiers|[Ss]ervicemen|[Bb]order\s+guards|[Cc]ontingent)\b(?:\s+from\s+(?P<from>[A-Z][a-z]+))?")
BODY = re.compile(
    r"\b(?:(?:joint|trilateral|bilateral|tripartite|intergovernmental|inter-governmental|special|"
    r"interagency|inter-agency|permanent|new)\s+)*(?:working\s+group|work\s+group|task\s+force|commission|"
    r"committee|subgroup|sub-group)\b", re.I)
_CHAIR_CUE = re.compile(r"\b(?:co-chaired|chaired|headed|co-headed|led|co-led|presided\s+over)\s+(?:jointly\s+)?by\s+"
                        r"|\bunder\s+the\s+(?:co-)?chairmanship\s+of\s+", re.I)
_FOCUS_CUE = re.compile(
    r"\b(?:focus(?:ed|es|ing)?\s+on|concentrate\s+on|deal(?:s|ing)?\s+with|work\s+on|responsible\s+for|"
    r"tasked\s+with|charged\s+with|aimed\s+at|in\s+charge\s+of|dedicated\s+to|devoted\s+to|to\s+address|"
    r"oversee|to\s+oversee|handle|to\s+handle)\s+", re.I)
_PURPOSE = re.compile(r"\b(?:to|will|would|should|shall|must)\s+(?!be\b|have\b|meet\b|hold\b)[a-z]+\s+", re.I)
_ESTABLISH = re.compile(r"\b(?:establish\w*|set\s+up|setting\s+up|creat\w+|form(?:ed|ing)?|launch\w*)\b", re.I)
_INITIATOR = re.compile(
    r"\b(?:initiated\s+by|at\s+the\s+initiative\s+of|on\s+the\s+initiative\s+of|at\s+the\s+invitation\s+of|"
    r"at\s+the\s+request\s+of|requested\s+by|convened\s+by|proposed\s+by|called\s+by|organi[sz]ed\s+by)\s+$", re.I)
# "a summit that he had initiated" / "talks which the X leader proposed": a relative clause names the initiator
_INITIATOR_REL = re.compile(
    r"\s*(?:that|which)\s+(?P<who>.{1,40}?)\s+(?:had\s+|has\s+)?(?:initiated|called|convened|proposed|requested|"
    r"organi[sz]ed)\b", re.I)
_GROUP_SUBJECT = re.compile(
    r"\b(?:they|both\s+leaders|both\s+sides|the\s+(?:two|three|four|both)\s+(?:leaders|presidents|heads\s+of\s+state|"
    r"sides|parties|men)|the\s+(?:two|three|four)\b(?!\s+(?:countries|states|nations|days|weeks|months|years))"
    r"|the\s+leaders|the\s+presidents)\b", re.I)
_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
        "ten": 10, "eleven": 11, "twelve": 12, "a": 1, "an": 1, "half": 0}
_DURATION = re.compile(
    r"\b(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|half|an?)[- ]"
    r"(?P<u>hour|minute)(?:s)?(?:-long)?\b|\bhour-long\b", re.I)
_FEATURE = r"(?:corridor|line|border|frontier|front\s+line|frontline|zone|buffer\s+zone|crossing|checkpoint)"
# a capitalized name may end in a lower-case geographic head ("the Sorel valley", "the Tarn pass")
_GEO_HEAD = r"(?:valley|pass|river|gorge|strait|peninsula|basin|plateau|mountains|hills|islands?|lake|bay|gulf)"
PLACE = (r"(?:[A-Z][\w’'-]*(?:\s+(?:of\s+)?[A-Z][\w’'-]*)*(?:\s+(?:" + _FEATURE + "|" + _GEO_HEAD + r"))?"
         r"|(?:[a-z][\w-]*\s+){0,2}" + _FEATURE + r"(?:\s+of\s+(?:contact|control|separation))?)")
_AREA = r"(?:region|area|enclave|territory|republic|province|city|capital|town|village|district|zone|country)"
_AREA_COREF = re.compile(r"^(?:the\s+)?(?:[a-z-]+\s+)?(?:enclave|region|territory|republic|area)\b", re.I)
_MONTHS = frozenset([
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"
])
_WEEKDAYS = frozenset(["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
_PLACE_STOP = {"the", "a", "an", "this", "that", "his", "her", "their", "its", "particular", "general",
               "addition", "turn", "fact", "total", "order", "response", "return", "meantime"}


def _duration(sentence: str) -> str | None:
    m = _DURATION.search(sentence)
    if not m:
        return None
    if m.group(0).lower() == "hour-long":
        return "PT1H"
    n = m.group("n").lower()
    amount = int(n) if n.isdigit() else _NUM.get(n, 1)
    unit = m.group("u").lower()
    if n == "half":
        return "PT30M" if unit == "hour" else None
    return f"PT{amount}H" if unit == "hour" else f"PT{amount}M"


# --------------------------------------------------------------------------- mentions and events

@dataclass
class Trigger:
    type: str  # meeting | agreement | ceasefire | deployment | body | conflict
    start: int
    end: int
    sentence: Sentence
    verb: bool = True  # meeting: a verb ("held talks"); agreement: signed (vs a bare noun)
    definite: bool = False
    dates: list[DateMention] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    group: bool = False  # subject is "they" / "the two leaders"
    initiator: Person | None = None
    event: Any = None
    anaphoric: bool = False  # "It broke out in ...", "They were deployed to ...": the subject is in the sentence before


@dataclass
class Event:
    type: str
    values: dict[str, Any] = field(default_factory=dict)
    persons: list[Person] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    evidence: list[tuple[int, int]] = field(default_factory=list)
    last: int = 0
    para: int = 0
    link: Any = None  # agreement/body -> the event it belongs to

    def add_evidence(self, s: Sentence) -> None:
        span = (s.start, s.end)
        if span not in self.evidence:
            self.evidence.append(span)
        self.last = max(self.last, s.start)
        self.para = s.para

    def add_persons(self, persons: list[Person]) -> None:
        for p in persons:
            if p not in self.persons:
                self.persons.append(p)

    def set(self, key: str, value: Any) -> None:
        if value and not self.values.get(key):
            self.values[key] = value


def _name_of(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _first_date(dates: list[DateMention]) -> str | None:
    for d in dates:
        if d.iso:
            return d.iso
    return None


class Reader:
    """One document read by the rules."""

    def __init__(self, text: str, published: str | None):
        self.text = text
        self.published = published
        self.layout = segment(text)
        self.dates = [d for d in find_dates(text, self.layout, published) if d.iso]
        self.countries = Countries(text)
        self.people = People(text, self.countries)
        self.country_lists = self.countries.country_lists()
        self.triggers: list[Trigger] = []
        # institutions that speak ("the X said") are sources, never places
        self.speakers = {m.group(1) for m in re.finditer(
            r"\b[Tt]he\s+((?:[A-Z][\w’'-]+\s+)*[A-Z][\w’'-]+)(?:['’]s\s+[\w ]{0,30}?)?\s+(?:said|says|added|reported|"
            r"pointed\s+out|stated|announced|noted|told)\b", text)}

    # -- places -------------------------------------------------------------------------
    def _clean_place(self, raw: str) -> str | None:
        words = raw.strip().split()
        while words and words[-1].lower() in ("of", "and", "the"):
            words.pop()
        while words and words[0].lower() in _PLACE_STOP:
            words.pop(0)
        if not words:
            return None
        place = " ".join(words)
        low = place.lower()
        if words[0].lower() in _MONTHS or words[0].lower() in _WEEKDAYS or re.match(r"\d", place):
            return None
        if any(place == p.name or place in p.tokens for p in self.people.persons):
            return None
        if place[0].isupper() and fold(place) in self.countries.demonyms:
            return None
        if low in ("government", "cabinet", "parliament") or place in self.speakers:
            return None
        return place

    def place_after(self, start: int, end: int, preps: str, *, near: int | None = None,
                    skip: set[str] | None = None) -> tuple[str | None, int]:
        """The first named place introduced by one of `preps` in text[start:end] (and where it ends)."""
        chunk = self.text[start:end]
        pattern = re.compile(
            rf"\b(?:{preps})\s+(?:the\s+)?(?:(?:[a-z][\w-]*\s+){{0,2}}?{_AREA}\s+of\s+(?:the\s+)?)?(?P<place>{PLACE})",
        )
        for m in pattern.finditer(chunk):
            if near is not None and m.start() > near:
                break
            place = self._clean_place(m.group("place"))
            if place and skip and (place in skip or self.countries.resolve(place) in skip):
                continue
            if place and not (place[0].islower() and not re.search(_FEATURE + r"\b", place)):
                return place, start + m.end()
        return None, -1

    def area_coref(self, start: int, end: int, preps: str) -> bool:
        """Does text[start:end] refer to an area by a definite description ("over the enclave")?"""
        chunk = self.text[start:end]
        return bool(re.search(rf"\b(?:{preps})\s+(?:the\s+)?(?:[a-z-]+\s+)?(?:enclave|region|territory)\b"
                              rf"(?!\s+of\s+[A-Z])", chunk))

    # -- triggers -------------------------------------------------------------------------
    def find_triggers(self, s: Sentence) -> list[Trigger]:
        text, base = s.text, s.start
        out: list[Trigger] = []
        taken: list[tuple[int, int]] = []

        def add(kind: str, a: int, b: int, **kw: Any) -> None:
            if any(a < y and b > x for x, y in taken):
                return
            taken.append((a, b))
            out.append(Trigger(kind, base + a, base + b, s, **kw))

        for m in SIGN.finditer(text):
            add("agreement", m.start(), m.end(), verb=True)
        for m in MEET_VERB.finditer(text):
            add("meeting", m.start(), m.end(), verb=True)
        for m in MEET_NOUN.finditer(text):
            before = text[max(0, m.start() - 30): m.start()].lower()
            definite = bool(re.search(r"\b(?:the|this|that|these|their|its)\s+(?:[\w-]+\s+){0,2}$", before))
            add("meeting", m.start(), m.end(), verb=False, definite=definite)
        for m in DOC_NOUN.finditer(text):
            add("agreement", m.start(), m.end(), verb=False)
            passive = re.compile(r"\b(?:was|were|has\s+been|had\s+been)\s+(?:signed|adopted|inked)\b")
            p = passive.search(text, m.end())
            if out[-1].start == base + m.start() and p and not DOC_NOUN.search(text, m.end(), p.start()):
                out[-1].verb, out[-1].end = True, base + p.end()
        for m in CEASEFIRE.finditer(text):
            add("ceasefire", m.start(), m.end())
        nouns = [n for n in CONFLICT_NOUN.finditer(text) if not any(n.start() < y and n.end() > x for x, y in taken)]
        verbs = [v for v in CONFLICT_VERB.finditer(text) if not any(v.start() < y and v.end() > x for x, y in taken)]
        dated = [n for n in nouns if re.match(r"[^,;.]{0,60}?\b(?:since|in|on)\s+(?:(?:early|late|mid-?)\s*)?"
                                              r"(?:[A-Z][a-z]+\s+)?\d", text[n.end():])]
        if nouns and (verbs or dated):
            a = min(nouns[0].start(), verbs[0].start()) if verbs else dated[0].start()
            b = max(nouns[0].end(), verbs[0].end()) if verbs else dated[0].end()
            out.append(Trigger("conflict", base + a, base + b, s))
        elif verbs and re.search(r"\b(?:forces|troops|armies|soldiers|militaries|fighters)\s+(?:\w+\s+)?"
                                 r"(?:clashed|fought|battled)\b", text):
            v = verbs[0]  # "Xian and Yian troops clashed near Z on DATE": the verb is the event
            out.append(Trigger("conflict", base + v.start(), base + v.end(), s))
        elif verbs and re.match(r"\s*(?:It|This|That)\s+(?:[a-z]+\s+){0,2}$", text[: verbs[0].start()]):
            prev = self._previous(s)
            if prev is not None and CONFLICT_NOUN.search(prev.text):  # "It broke out in ..." about "the dispute"
                v = verbs[0]
                out.append(Trigger("conflict", base + v.start(), base + v.end(), s, anaphoric=True))
        m = DEPLOY_VERB.search(text)
        if m and FORCE.search(text):
            out.append(Trigger("deployment", base + m.start(), base + m.end(), s))
        elif m and re.match(r"\s*(?:They|These|Those)\s+(?:[a-z]+\s+){0,2}$", text[: m.start()]):
            prev = self._previous(s)
            if prev is not None and FORCE.search(prev.text):  # "They were deployed to ..." about the force
                out.append(Trigger("deployment", base + m.start(), base + m.end(), s, anaphoric=True))
        m = BODY.search(text)
        if m and (_CHAIR_CUE.search(text) or _ESTABLISH.search(text) or _FOCUS_CUE.search(text)):
            out.append(Trigger("body", base + m.start(), base + m.end(), s))
        out.sort(key=lambda t: t.start)
        merged: list[Trigger] = []
        for t in out:
            prev = merged[-1] if merged else None
            if (prev is not None and prev.type == t.type == "meeting" and t.start - prev.end <= 30
                    and not re.search(r"[,;:]", self.text[prev.end : t.start])):
                prev.end, prev.verb = t.end, prev.verb or t.verb
                continue
            merged.append(t)
        return merged

    def _previous(self, s: Sentence) -> Sentence | None:
        """The sentence before `s` in the same paragraph."""
        if s.index == 0:
            return None
        prev = self.layout.sentences[s.index - 1]
        return prev if prev.para == s.para and not prev.heading else None

    # -- attaching dates and people to triggers ------------------------------------------------
    def _accepts(self, t: Trigger, d: DateMention) -> bool:
        gap = self.text[t.end : d.start]
        cue = gap[-40:].strip()
        if t.type == "ceasefire":
            return bool(_CEASE_CUE.search(cue))
        if _CEASE_CUE.search(cue) and re.search(r"\b(?:starting|effective|as\s+of)\b", cue, re.I):
            return False
        if t.type == "agreement" and not t.verb:
            return d.kind != "weekday" and bool(
                re.search(r"\b(?:of|dated)\s*$", gap)
                or re.fullmatch(r"\s*(?:of|dated|signed\s+on)?\s*", gap)
                or (re.search(r"\bon\s*$", gap) and re.search(
                    r"\b(?:made|signed|adopted|inked|issued|reached|concluded|agreed|approved)\b", gap)))
        if t.type == "deployment":
            return False
        if t.type == "body":
            return bool(re.search(r"\b(?:on|in)\s*$", gap)) and len(gap) < 40
        return not (t.type == "meeting" and not t.verb and d.kind == "weekday")

    def attach(self, s: Sentence, triggers: list[Trigger]) -> None:
        """Give each trigger its dates, people and initiator, by position in the sentence."""
        dates = [d for d in self.dates if s.start <= d.start < s.end]
        first = triggers[0].start
        lead_dates = [d for d in dates if d.end <= first]
        weekdays: list[DateMention] = []
        loose: list[DateMention] = []
        for d in dates:
            nxt = [t for t in triggers if t.start >= d.end and t.start - d.end <= 25]
            if (nxt and not nxt[0].verb and nxt[0].type in ("agreement", "meeting") and d.kind != "weekday"
                    and re.search(r"\b(?:the|a|an|its|their|this)\s+$", self.text[max(s.start, d.start - 8):d.start],
                                  re.I)
                    and not re.search(r"[,;]", self.text[d.end:nxt[0].start])):
                nxt[0].dates.append(d)
                if d in lead_dates:
                    lead_dates.remove(d)
                continue
            if d in lead_dates:
                continue
            before = sorted((t for t in triggers if t.end <= d.start), key=lambda t: t.end)
            if before and self._accepts(before[-1], d):
                before[-1].dates.append(d)
                continue
            nxt = [t for t in triggers if t.start >= d.end and t.start - d.end <= 12]
            if nxt and nxt[0].type == "agreement":
                nxt[0].dates.append(d)
            elif d.kind == "weekday":
                weekdays.append(d)
            else:
                loose.append(d)
        main_types = ("meeting", "agreement", "conflict", "body")
        has_signing = any(t.type == "agreement" and t.verb for t in triggers)
        has_meet_verb = any(t.type == "meeting" and t.verb for t in triggers)
        for t in triggers:
            if t.dates:
                continue
            if t.type in main_types and (t.verb or t.type != "agreement"):
                if t.type == "meeting" and not t.verb and has_meet_verb:
                    continue
                if lead_dates:
                    t.dates = [lead_dates[-1]]
                elif loose and t.type in ("meeting", "agreement"):
                    t.dates = [loose[0]]
                elif weekdays and t.type in ("meeting", "agreement"):
                    t.dates = [weekdays[0]]
            if t.type == "ceasefire" and lead_dates and not has_signing and re.search(
                r"\b(?:took\s+effect|came\s+into\s+force|entered\s+into\s+force|began|started|was\s+declared)\b",
                s.text, re.I):
                t.dates = [lead_dates[-1]]

        def is_verb(t: Trigger) -> bool:
            return t.type in ("meeting", "agreement") and t.verb

        # "talks that X had requested": X is named as the initiator, not (by this mention) as a participant
        clauses = [(c.start("who"), c.end("who")) for c in
                   (_INITIATOR_REL.match(self.text, t.end, s.end) for t in triggers if t.type == "meeting") if c]
        for m in self.people.mentions(s.start, s.end):
            if any(a <= m.start and m.end <= b for a, b in clauses):
                continue
            lead = self.text[max(s.start, m.start - 40): m.start]
            before = sorted((t for t in triggers if t.end <= m.start), key=lambda t: t.end)
            if _INITIATOR.search(lead) or re.match(r"['’]s\s+(?:initiative|invitation|request)\b",
                                                   self.text[m.end : m.end + 20]):
                meeting = next((x for x in reversed(before) if x.type == "meeting"), None)
                if meeting is not None and meeting.initiator is None:
                    meeting.initiator = m.persons[0]
                    continue
            after = [t for t in triggers if t.start >= m.end]
            # a merged trigger ("hosted B in C for talks") contains its object: B takes part
            target = next((t for t in triggers if t.start < m.start and m.end <= t.end
                           and t.type in ("meeting", "agreement")), None)
            tied = bool(before) and bool(re.search(r"\b(?:with|between|by)\s+(?:[\w'’-]+\s+){0,4}$",
                                                   self.text[before[-1].end : m.start]))
            if target is None and after and is_verb(after[0]) and not tied:
                between = self.text[m.end : after[0].start]
                if not re.search(r"[;:]|\b(?:which|who|whom|after|before|when|while|because|said|says)\b", between):
                    target = after[0]
            if target is None and before and before[-1].type in ("meeting", "agreement"):
                target = before[-1]
            if target is not None:
                target.persons.extend(p for p in m.persons if p not in target.persons)
        self._relative_initiators(s, triggers)
        for i, t in enumerate(triggers):
            if is_verb(t) and not t.persons:
                zone = self.text[triggers[i - 1].end if i else s.start : t.start]
                t.group = bool(_GROUP_SUBJECT.search(zone))

    def _relative_initiators(self, s: Sentence, triggers: list[Trigger]) -> None:
        """"a summit that he had initiated", "talks which the X leader called": the clause's subject."""
        for t in triggers:
            if t.type != "meeting" or t.initiator is not None:
                continue
            m = _INITIATOR_REL.match(self.text, t.end, s.end)
            if not m:
                continue
            a, b = m.start("who"), m.end("who")
            who = m.group("who").strip()
            person = None
            if re.fullmatch(r"(?i:he|she)", who):
                # a pronoun: the person the sentence is about, its first named subject
                subject = [x for x in self.people.mentions(s.start, t.start) if len(x.persons) == 1]
                person = subject[0].persons[0] if subject else None
            else:
                inside = [x for x in self.people.mentions(a, b) if len(x.persons) == 1]
                person = inside[0].persons[0] if inside else None
            if person is not None:
                t.initiator = person

    # -- the events -----------------------------------------------------------------------------
    def read(self) -> list[dict[str, Any]]:
        for s in self.layout.sentences:
            if s.heading:
                continue
            triggers = self.find_triggers(s)
            if not triggers:
                continue
            self.attach(s, triggers)
            self.triggers.extend(triggers)
        meetings = self._meetings()
        agreements = self._agreements(meetings)
        bodies = self._bodies(meetings)
        ceasefires = self._ceasefires()
        conflicts = self._conflicts()
        deployments = self._deployments()
        records: list[dict[str, Any]] = []
        for e in meetings:
            records.append(self._record("meeting", e, description=e.values.get("description", "meeting"),
                                        date=e.values.get("date"),
                                        participants=[p.name for p in e.persons],
                                        location=e.values.get("location"),
                                        initiator=e.values["initiator"].name if e.values.get("initiator") else None,
                                        duration=e.values.get("duration")))
        for e in agreements:
            records.append(self._record("agreement", e, name=e.values.get("name", "agreement"),
                                        date=e.values.get("date"), signatories=[p.name for p in e.persons],
                                        location=e.values.get("location")))
        for e in ceasefires:
            records.append(self._record("ceasefire", e, description="ceasefire",
                                        start_date=e.values.get("start_date"), region=e.values.get("region")))
        for e in deployments:
            records.append(self._record("deployment", e, force=e.values.get("force"),
                                        country=e.values.get("country"), locations=list(e.places)))
        for e in bodies:
            records.append(self._record("body", e, name=e.values.get("name"), chairs=e.values.get("chairs", []),
                                        established=e.values.get("established"),
                                        focus=e.values.get("focus", [])))
        for e in conflicts:
            records.append(self._record("conflict_event", e, description=e.values.get("description"),
                                        date=e.values.get("date"), parties=e.values.get("parties", []),
                                        location=e.values.get("location")))
        for p in self.people.persons:
            if p.role:
                records.append({"type": "office_holder", "slots": {"person": p.name, "office": p.office},
                                "evidence": [list(x) for x in p.spans], "confidence": 0.8})
        return [r for r in records if r is not None]

    def _record(self, kind: str, e: Event, **slots: Any) -> dict[str, Any] | None:
        descriptive = {"description", "name"}
        clean = {k: v for k, v in slots.items() if v not in (None, "", [])}
        if not any(k not in descriptive for k in clean):
            return None
        return {"type": kind, "slots": clean, "evidence": [list(x) for x in sorted(e.evidence)], "confidence": 0.7}

    # meetings --------------------------------------------------------------------------------
    def _meetings(self) -> list[Event]:
        events: list[Event] = []
        latest: Event | None = None
        for t in (x for x in self.triggers if x.type == "meeting"):
            date = _first_date(t.dates)
            persons = list(t.persons)
            target: Event | None = None
            same = [x for x in self.triggers if x.type == "meeting" and x.sentence is t.sentence
                    and x.start < t.start and x.event is not None]
            if same and (not date or same[-1].event.values.get("date") in (None, date)):
                target = same[-1].event  # one sentence, one meeting ("held a call ... to discuss")
            elif date:
                target = next((e for e in events if e.values.get("date") == date), None)
                if target is None and persons:
                    target = next((e for e in events if not e.values.get("date") and set(e.persons) == set(persons)),
                                  None)
            elif persons:
                cands = [e for e in events if set(persons) <= set(e.persons) or set(e.persons) <= set(persons)]
                target = max(cands, key=lambda e: e.last) if cands else None
            elif latest is not None:
                target = latest
            if date and not persons and t.group:
                persons = self._last_group(t)
            if target is None:
                if not (date or persons):
                    continue
                target = Event("meeting")
                events.append(target)
            self._fill_meeting(target, t, date, persons, anaphoric=not (date or persons or t.definite or t.verb))
            t.event = target
            latest = max(events, key=lambda e: e.last) if events else None
        return events

    def _last_group(self, t: Trigger) -> list[Person]:
        """The people of the latest meeting or signing before `t` that had several ("they")."""
        for x in reversed([x for x in self.triggers if x.end <= t.start and x.type in ("meeting", "agreement")]):
            if len(x.persons) >= 2:
                return list(x.persons)
            if x.event is not None and len(x.event.persons) >= 2:
                return list(x.event.persons)
        return []

    def _fill_meeting(self, e: Event, t: Trigger, date: str | None, persons: list[Person], *,
                      anaphoric: bool = False) -> None:
        s = t.sentence
        e.add_evidence(s)
        e.set("date", date)
        e.add_persons(persons)
        if t.initiator:
            e.set("initiator", t.initiator)
        window = self.text[max(s.start, t.start - 40): t.end + 60]
        e.set("duration", _duration(window))
        if anaphoric:
            return
        nxt = [x for x in self.triggers if x.sentence is s and x.start > t.start and x.type != "meeting"]
        limit = nxt[0].start if nxt else s.end
        place, _ = self.place_after(t.start, limit, "in|at")
        if place is None:
            m = re.match(rf"\s*[\"“]?In\s+(?:the\s+)?({PLACE})\s*,", s.text)
            if m and t.verb:
                place = self._clean_place(m.group(1))
        if place and self.countries.resolve(place) and not self.countries.is_country(place):
            place = None
        e.set("location", place)
        desc = re.sub(r"\s+", " ", self.text[t.start:t.end]).lower()
        e.set("description", desc)

    # agreements --------------------------------------------------------------------------------
    def _linked_meeting(self, t: Trigger, meetings: list[Event]) -> Event | None:
        date = _first_date(t.dates)
        same = [x for x in self.triggers if x.sentence is t.sentence and x.type == "meeting" and x.event is not None
                and (not date or x.event.values.get("date") in (None, date))]
        if same:
            return same[0].event  # a meeting of another date in the same sentence is another event
        before = [e for e in meetings if e.last < t.start and t.sentence.para - e.para <= 1]
        if t.group or not t.persons:
            return max(before, key=lambda e: e.last) if before else None
        # "A and B then signed ...": the signing belongs to the meeting of the previous sentence
        prev = [e for e in before if any(x.event is e and x.sentence.index == t.sentence.index - 1
                                         for x in self.triggers if x.type == "meeting")]
        if prev and set(t.persons) <= set(prev[-1].persons) and not t.dates:
            return prev[-1]
        return None

    def _agreements(self, meetings: list[Event]) -> list[Event]:
        events: list[Event] = []
        for t in (x for x in self.triggers if x.type == "agreement"):
            date = _first_date(t.dates)
            persons = list(t.persons)
            link = self._linked_meeting(t, meetings) if t.verb else None
            if link is not None:
                date = date or link.values.get("date")
                if not persons:
                    persons = list(link.persons)
            if not t.verb and not date:
                continue
            if not date and not persons:
                continue
            target = None
            if date:
                target = next((e for e in events if e.values.get("date") == date), None)
            elif persons:
                target = next((e for e in events if set(e.persons) == set(persons)), None)
            if target is None:
                target = Event("agreement")
                events.append(target)
            target.add_evidence(t.sentence)
            target.set("date", date)
            target.add_persons(persons)
            if link is not None and target.link is None:
                target.link = link
            t.event = target
            nxt = [x for x in self.triggers if x.sentence is t.sentence and x.start > t.start]
            limit = nxt[0].start if nxt else t.sentence.end
            place, _ = self.place_after(t.end, limit, "in", near=3) if t.verb else (None, -1)
            target.set("location", place)
            doc = DOC_NOUN.search(self.text, t.start, t.end)
            target.set("name", _name_of(doc.group(0).lower() if doc else self.text[t.start:t.end]))
        for e in events:
            if not e.values.get("location"):
                link = e.link or next((m for m in meetings if e.values.get("date")
                                       and m.values.get("date") == e.values.get("date")), None)
                if link is not None:
                    e.set("location", link.values.get("location"))
        return events

    # bodies -----------------------------------------------------------------------------------
    def _bodies(self, meetings: list[Event]) -> list[Event]:
        events: list[Event] = []
        for t in (x for x in self.triggers if x.type == "body"):
            s = t.sentence
            name = re.sub(r"\s+", " ", self.text[t.start:t.end]).lower()
            target = next((e for e in events if e.values.get("name") == name), None)
            if target is None:
                target = Event("body")
                events.append(target)
            target.add_evidence(s)
            target.set("name", name)
            established = _first_date(t.dates)
            if not established:
                agreement = next((x for x in self.triggers if x.sentence is s and x.type == "agreement"
                                  and x.event is not None and x.start < t.start), None)
                if agreement is not None:
                    established = agreement.event.values.get("date")
            if not established:
                meeting = next((x for x in self.triggers if x.sentence is s and x.type == "meeting"
                                and x.event is not None), None)
                if meeting is not None:
                    established = meeting.event.values.get("date")
            target.set("established", established)
            after = self.text[t.end : s.end]
            m = _CHAIR_CUE.search(after)
            if m:
                target.set("chairs", self._chairs(after[m.end():], t, meetings))
            m = _FOCUS_CUE.search(after) or _PURPOSE.search(after)
            if m:
                target.set("focus", self._focus(after[m.end():]))
        # later sentences about "the group" / "it": its chairs and focus
        for s in self.layout.sentences:
            if s.heading or not events or any(t.sentence is s and t.type == "body" for t in self.triggers):
                continue
            if not re.match(r"\s*(?:The|This|That|It|Its)\b(?:\s+(?:new|joint|working|trilateral|bilateral))*"
                            r"(?:\s+(?:group|commission|committee|body|task\s+force|panel))?", s.text):
                continue
            subject = re.match(r"\s*(?:The|This|That)\s+(?:[a-z-]+\s+){0,2}(group|commission|committee|body|panel|"
                               r"force)\b|\s*It\b", s.text)
            if not subject:
                continue
            body = max((e for e in events if e.last < s.start), key=lambda e: e.last, default=None)
            if body is None:
                continue
            m = _CHAIR_CUE.search(s.text)
            if m and not body.values.get("chairs"):
                fake = Trigger("body", s.start, s.start, s)
                body.set("chairs", self._chairs(s.text[m.end():], fake, meetings))
                body.add_evidence(s)
            m = _FOCUS_CUE.search(s.text) or _PURPOSE.search(s.text)
            if m and not body.values.get("focus"):
                body.set("focus", self._focus(s.text[m.end():]))
                body.add_evidence(s)
        return events

    def _chairs(self, chunk: str, t: Trigger, meetings: list[Event]) -> list[str]:
        chunk = re.split(r"[;.(]|,(?!\s*[A-Z])|\b(?:which|that|who|to\s+(?!the\b)|and\s+(?:will|should|would|is|"
                         r"was|to))\b", chunk)[0].strip()
        chunk = re.sub(r"^(?:the|a|an)\s+", "", chunk)
        m = re.match(r"(?P<role>[a-z][a-z -]*?)s?\s+(?:of|from)\s+(?P<who>.+)$", chunk)
        m2 = re.match(r"(?P<who>(?:[A-Z][a-z]+(?:-[A-Z][a-z]+)?\s*,\s*)*[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
                      r"(?:,?\s+and\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?)?)\s+(?P<role>[a-zA-Z][a-zA-Z -]*?)s?$", chunk)
        if m:
            role, who = m.group("role"), m.group("who")
        elif m2:
            role, who = m2.group("role"), m2.group("who")
        else:
            return []
        role = re.sub(r"\s+", " ", role.strip().lower())
        role = re.sub(r"(?:ministers|ministe)$", "minister", role)
        role = re.sub(r"men$", "man", role)
        size = group_size(who)
        countries: list[str] = []
        if size:
            lists = [c for pos, c in self.country_lists if len(c) == size and pos < t.start] or \
                    [c for pos, c in self.country_lists if len(c) == size]
            if lists:
                countries = lists[-1]
            else:
                link = next((x.event for x in self.triggers if x.sentence is t.sentence and x.event is not None
                             and x.event.persons), None)
                if link is not None:
                    countries = [p.country for p in link.persons if p.country]
        else:
            for part in re.split(r"\s*,\s*|\s+and\s+", re.sub(r"^the\s+", "", who.strip())):
                country = self.countries.resolve(part, adjective=True)
                if country:
                    countries.append(country)
        if not countries:
            return [role]
        seen: list[str] = []
        for c in countries:
            if c not in seen:
                seen.append(c)
        return [f"{role} of {c}" for c in seen]

    def _focus(self, chunk: str) -> list[str]:
        chunk = re.split(r"[;.(]|,(?!\s*and\b)|\b(?:which|that|who|while)\b", chunk)[0]
        chunk = re.split(r"\s+\b(?:in|between|across|among|within|throughout|along|for|by|with)\b\s+", chunk)[0]
        parts = [p.strip() for p in re.split(r"\s*,\s*|\s+and\s+|\s+as\s+well\s+as\s+", chunk) if p.strip()]
        cleaned: list[str] = []
        for p in parts:
            words = [w for w in p.split() if w.lower() not in ("the", "a", "an")]
            while words and re.fullmatch(r"[a-z]+ing", words[0]) and len(words) > 1:
                words = [w for w in words[1:] if w.lower() not in ("the", "a", "an")]
            if words:
                cleaned.append(" ".join(words).lower())
        if len(cleaned) >= 2 and len(cleaned[-1].split()) >= 2:
            head = cleaned[-1].split()[-1]
            cleaned = [c if len(c.split()) > 1 or c.endswith("s") else f"{c} {head}" for c in cleaned[:-1]] + \
                      [cleaned[-1]]
        return cleaned

    # ceasefires -----------------------------------------------------------------------------
    def _ceasefires(self) -> list[Event]:
        events: list[Event] = []
        for t in (x for x in self.triggers if x.type == "ceasefire"):
            s = t.sentence
            date = _first_date(t.dates)
            nxt = [x for x in self.triggers if x.sentence is s and x.start > t.start and x.type != "ceasefire"]
            limit = nxt[0].start if nxt else s.end
            region, _ = self.place_after(t.end, limit, "in|across|over|for|throughout|along")
            if not date and not region:
                continue
            target = next((e for e in events if not date or not e.values.get("start_date")
                           or e.values.get("start_date") == date), None)
            if target is None:
                target = Event("ceasefire")
                events.append(target)
            target.add_evidence(s)
            target.set("start_date", date)
            target.set("region", region)
        return events

    # conflicts ------------------------------------------------------------------------------
    def _conflicts(self) -> list[Event]:
        events: list[Event] = []
        pending: list[Event] = []
        for t in (x for x in self.triggers if x.type == "conflict"):
            s = t.sentence
            date = _first_date(t.dates)
            e = Event("conflict_event")
            e.add_evidence(s)
            e.set("date", date)
            nouns = CONFLICT_NOUN.search(self.text, t.start, s.end)
            e.set("description", nouns.group(0).lower() if nouns else "conflict")
            parties: list[str] = []
            for m in re.finditer(r"\b[Bb]etween\s+(?:the\s+)?(.{3,80}?)(?=\s+(?:over|in|on|erupted|broke|resumed|"
                                 r"flared|began|started|escalated|exploded|raged|which|that|since|after|before|"
                                 r"for|had|has|have|were|was)\b|[,.;])", s.text):
                if parties:
                    break
                for part in re.split(r"\s*,\s*|\s+and\s+", m.group(1)):
                    part = re.sub(r"^(?:the\s+)|\s+(?:forces|troops|armies|army|military|sides?)$", "", part.strip())
                    country = self.countries.resolve(part, adjective=True) or (
                        part if re.fullmatch(r"[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?", part) else None)
                    if country and country not in parties:
                        parties.append(country)
            if not parties:
                # "set A against B", "Xian and Yian forces clashed"
                for m in re.finditer(r"\b([A-Z][\w-]+)\s+against\s+([A-Z][\w-]+)\b"
                                     r"|\b([A-Z][\w-]+)\s+and\s+([A-Z][\w-]+)\s+(?:forces|troops|armies|soldiers|"
                                     r"militaries|units|fighters)\b", s.text):
                    words = [w for w in m.groups() if w]
                    found = [self.countries.resolve(w, adjective=True) for w in words]
                    if all(found):
                        parties = [c for c in dict.fromkeys(found) if c]
                        break
            if not parties:
                subject = self.text[s.start : t.start]
                m = re.search(r"\b([A-Z][\w-]+)\s+and\s+([A-Z][\w-]+)\s*$", subject)
                if m and all(self.countries.is_country(x) for x in m.groups()):
                    parties = [self.countries.resolve(x) or x for x in m.groups()]
            e.set("parties", parties)
            place, _ = self.place_after(t.start, s.end,
                                        r"in|over|for\s+control\s+over|for\s+control\s+of|around|across|near|on",
                                        skip=set(parties))
            prev_s = self._previous(s) if t.anaphoric else None
            if place is None and prev_s is not None:  # "It broke out ...": the place of the sentence before
                place, _ = self.place_after(prev_s.start, prev_s.end, r"over|in", skip=set(parties))
            if place is None and self.area_coref(s.start, s.end, r"[Tt]he"):
                prev = next((x.values.get("location") for x in reversed(events) if x.values.get("location")), None)
                place = prev or self._salient_place()
            if place and place in parties:
                place = None
            e.set("location", place)
            if not date:
                pending.append(e)
                continue
            same = next((x for x in events if x.values.get("date") == date), None)
            if same is not None:
                same.add_evidence(s)
                for key in ("parties", "location"):
                    same.set(key, e.values.get(key))
                continue
            if not parties:
                prev = next((x for x in reversed(events) if x.para == s.para and x.values.get("parties")), None)
                if prev is not None:
                    e.set("parties", list(prev.values["parties"]))
            events.append(e)
        if not events:
            events = [e for e in pending if e.values.get("parties")]
        return events

    def _salient_place(self) -> str | None:
        counts: dict[str, int] = {}
        for t in self.triggers:
            for m in re.finditer(rf"\b(?:in|over|to)\s+(?:the\s+)?({PLACE})", t.sentence.text):
                place = self._clean_place(m.group(1))
                if place and place[0].isupper() and not self.countries.is_country(place):
                    counts[place] = counts.get(place, 0) + 1
        return max(counts, key=lambda k: counts[k]) if counts else None

    # deployments ----------------------------------------------------------------------------
    def _deployments(self) -> list[Event]:
        events: list[Event] = []
        for t in (x for x in self.triggers if x.type == "deployment"):
            s = t.sentence
            forces = [m for m in FORCE.finditer(s.text)]
            if not forces and t.anaphoric and events:  # "They were deployed to ...": the force of the sentence before
                target = events[-1]
                target.add_evidence(s)
                for place in self._deploy_places(t, s):
                    if place not in target.places:
                        target.places.append(place)
                continue
            if not forces:
                continue
            f = min(forces, key=lambda m: abs(s.start + m.start() - t.start))
            head = re.sub(r"\s+", " ", f.group("force").lower())
            kind = "peace" if "peace" in head else head
            country = None
            if f.group("adj"):
                country = self.countries.resolve(f.group("adj"), adjective=True)
            if country is None and f.group("from"):
                country = self.countries.resolve(f.group("from"))
            if country is None:
                m = re.search(r"\b([A-Z][a-z]+)\s+(?:has\s+|had\s+|have\s+)?(?:then\s+|also\s+|later\s+|soon\s+|"
                              r"quickly\s+|[a-z]+ly\s+)?(?:deployed|sent|dispatched|stationed)\b", s.text)
                if m and self.countries.is_country(m.group(1)):
                    country = self.countries.resolve(m.group(1)) or m.group(1)
            generic = kind in ("contingent", "troops", "forces")  # "the X contingent": the force already named
            target = next((e for e in reversed(events) if (generic or e.values.get("kind") == kind) and
                           (country is None or e.values.get("country") in (None, country))), None)
            if target is None:
                target = Event("deployment")
                events.append(target)
            target.add_evidence(s)
            target.set("kind", kind)
            target.set("force", head)
            target.set("country", country)
            for place in self._deploy_places(t, s):
                if place not in target.places:
                    target.places.append(place)
        return events

    def _deploy_places(self, t: Trigger, s: Sentence) -> list[str]:
        chunk = self.text[t.end : s.end]
        # an appositive about a place ("the corridor, the road linking A to B, and ...") names no deployment place
        chunk = re.sub(r",\s+(?:the|a|an)\s+[a-z][^,;.]*?,", ",", chunk)
        chunk = re.split(r",\s*(?:which|where|who|that|while|and\s+(?!(?:to|along|in|into|at|across|on)\b))|[;.:]"
                         r"|,(?!\s*(?:and\s+)?(?:to|along|in|into|at|across|on|near)\b)", chunk)[0]
        places: list[str] = []
        for m in re.finditer(rf"\b(?:along|to|in|into|at|across|on|near|throughout)\s+(?:the\s+)?"
                             rf"(?:(?:[a-z][\w-]*\s+){{0,2}}?{_AREA}\s+of\s+(?:the\s+)?)?({PLACE})", chunk):
            place = self._clean_place(m.group(1))
            if not place:
                continue
            if place[0].islower() and not re.search(_FEATURE + r"\b", place):
                continue
            if place.lower() in ("region", "area"):
                continue
            places.append(place)
        return places


class RulesExtractor(Extractor):
    """Rule-based extraction: date grammar, title cues, trigger patterns, in-document coreference."""

    name = "rules"
    version = "1.1.0"
    default_config: dict[str, Any] = {}
    needs = ()

    def extract(self, document: Document) -> list[dict[str, Any]]:
        return Reader(document.text, document.published).read()

