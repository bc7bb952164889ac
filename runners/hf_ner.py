"""hf-ner: any transformers token-classification (NER) model, its entities turned into records by
simple sentence-level rules.

Config: `model` (required: a local folder or an id already in the local HF cache; nothing is
downloaded, HF_HUB_OFFLINE is set) and `aggregation_strategy` (simple | first | average | max).
No NER weights ship on PyPI, so with no model configured `is_available()` names the reason and the
default run skips this extractor: `factbench run -e hf-ner --set hf-ner.model=/path/to/ner-model`.

Labels of any BIO/BIOES scheme are mapped by their suffix: PER/PERSON -> person, LOC/GPE/LOCATION ->
place, ORG, MISC/NORP (nationalities: a country via the world table), DATE/TIME. Rules per sentence:
office_holder (a person right after "[Demonym] Title"), meeting (talk/meet/summit trigger: its persons,
"in LOC", dates), agreement (signed + statement/agreement: persons = signatories), conflict_event
(clashes/war + erupted/broke out: country places are parties), deployment (deployed + troops:
nationality, places), ceasefire ("ceasefire ... from DATE"). Records of a type that share a date merge.
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
from pathlib import Path
from typing import Any, ClassVar

from benchmark.extractor import Extractor, require
from benchmark.types import Document
from runners.nlp_common import (
    TITLE_PATTERN,
    PersonIndex,
    find_dates,
    find_durations,
    find_office_holders,
    load_country_table,
    make_record,
    office_string,
    split_sentences,
)

LABELS = {
    "PER": "PER", "PERSON": "PER", "PEOPLE": "PER",
    "LOC": "LOC", "GPE": "LOC", "LOCATION": "LOC", "FAC": "LOC", "PLACE": "LOC",
    "ORG": "ORG", "ORGANIZATION": "ORG", "ORGANISATION": "ORG",
    "MISC": "MISC", "NORP": "MISC", "NAT": "MISC",
    "DATE": "DATE", "TIME": "DATE",
}
_MEETING = re.compile(r"\b(?:talks|discuss(?:ed|es)?|summit|met|meeting|negotiations|phone call)\b", re.I)
_AGREEMENT = re.compile(r"\b(?:signed|adopted|concluded)\b.{0,60}?\b(?:statement|declaration|agreement|deal|"
                        r"treaty|accord|memorandum)\b", re.I)
_CONFLICT = re.compile(r"\b(?:clashes|conflict|war|hostilities|fighting|military action)\b", re.I)
_CONFLICT_VERB = re.compile(r"\b(?:erupted|broke out|flared|exploded|escalated|began|resumed)\b", re.I)
_DEPLOY = re.compile(r"\b(?:deployed|stationed|dispatched)\b", re.I)
_FORCE = re.compile(r"\b(?P<f>peacekeepers|peacemakers|troops|forces|soldiers|observers)\b", re.I)
_CEASEFIRE = re.compile(r"\b(?:cease-?fire|truce)\b(?!\s+violation)", re.I)
_INITIATED = re.compile(r"\binitiated\s+by\b", re.I)


def entity_label(raw: str) -> str | None:
    """Map a model label (B-PER, I-LOC, S-GPE, PER, LABEL_3 ...) to PER/LOC/ORG/MISC/DATE or None."""
    label = re.sub(r"^(?:[BIESLU])[-_]", "", str(raw).upper())
    return LABELS.get(label)


class HFNERExtractor(Extractor):
    """A token-classification model + sentence rules."""

    name: ClassVar[str] = "hf-ner"
    version: ClassVar[str] = "0.1.0"
    default_config: ClassVar[dict[str, Any]] = {"model": "", "aggregation_strategy": "simple", "batch_size": 8}
    needs: ClassVar[tuple[str, ...]] = ("ner",)

    def __init__(self, config=None):
        super().__init__(config)
        self.last_stats: dict[str, Any] = {}
        self.model_info: dict[str, Any] = {}

    def is_available(self) -> str | None:
        if not self.config.get("model"):
            return ("no token-classification model configured (no NER weights ship on PyPI): "
                    "--set hf-ner.model=/path/to/model")
        for module in ("torch", "transformers"):
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed: pip install 'factbench[ner]'"
        path = Path(str(self.config["model"])).expanduser()
        if (path.is_absolute() or str(self.config["model"]).startswith(".")) and not path.exists():
            return f"model folder {path} does not exist"
        return None

    def load(self) -> None:
        t0 = time.perf_counter()
        require("torch", extra="ner")
        require("transformers", extra="ner")
        if not self.config.get("model"):
            from benchmark.errors import BadInput

            raise BadInput("hf-ner needs a model: --set hf-ner.model=/path/to/token-classification-model")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

        model_path = str(self.config["model"])
        tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        model = AutoModelForTokenClassification.from_pretrained(model_path, local_files_only=True)
        model.eval()
        self.pipe = pipeline("token-classification", model=model, tokenizer=tokenizer,
                             aggregation_strategy=self.config["aggregation_strategy"], device=-1)
        self.table = load_country_table()
        labels = sorted(set(model.config.id2label.values()))
        self.model_info = {"model": model_path, "labels": labels,
                           "mapped": {lab: entity_label(lab) for lab in labels}}
        self.last_stats = {"load_s": round(time.perf_counter() - t0, 3)}

    # -- extraction -----------------------------------------------------------------------
    def entities(self, sents) -> list[list[dict[str, Any]]]:
        texts = [s.text for s in sents]
        raw = self.pipe(texts, batch_size=int(self.config["batch_size"])) if texts else []
        out = []
        for s, ents in zip(sents, raw):
            found = []
            for e in ents or []:
                label = entity_label(e.get("entity_group") or e.get("entity") or "")
                start, end = e.get("start"), e.get("end")
                if label is None or start is None or end is None or end <= start:
                    continue
                surface = s.text[start:end].strip(" ,.;:\"'“”")
                if not surface:
                    continue
                lead = len(s.text[start:end]) - len(s.text[start:end].lstrip(" ,.;:\"'“”"))
                found.append({"label": label, "text": surface, "start": s.start + start + lead,
                              "end": s.start + start + lead + len(surface), "score": float(e.get("score", 0))})
            out.append(found)
        return out

    def extract(self, document: Document) -> list[dict[str, Any]]:
        self.ensure_loaded()
        t0 = time.perf_counter()
        text, published = document.text, document.published
        sents = [s for s in split_sentences(text) if s.kind != "dateline"]
        ents = self.entities(sents)
        persons = PersonIndex()
        offices = []
        for s in sents:
            offices += find_office_holders(s.text, self.table, offset=s.start)
        for o in offices:
            persons.add(o.person)
        for sent_ents in ents:
            for e in sent_ents:
                if e["label"] == "PER":
                    persons.add(e["text"])
        records: list[tuple[str, dict[str, Any], list[tuple[int, int]], float]] = []
        last_group: list[str] = []
        for s, sent_ents in zip(sents, ents):
            pers = [e for e in sent_ents if e["label"] == "PER" and not self.table.lookup(e["text"])]
            names = list(dict.fromkeys(persons.resolve(TITLE_PATTERN.sub("", e["text"]).strip()) for e in pers))
            names = [n for n in names if n]
            locs = [e for e in sent_ents if e["label"] == "LOC"]
            dates = find_dates(s.text, published, offset=s.start)
            ev = [(e["start"], e["end"]) for e in pers]
            conf = round(sum(e["score"] for e in sent_ents) / len(sent_ents), 3) if sent_ents else 0.3
            # office holders: a PER right after "[Demonym] Title"
            for e in pers:
                before = text[max(s.start, e["start"] - 60): e["start"]]
                m = re.search(r"(?:(?P<d>[A-Z][a-z]+)\s+)?(?P<t>" + TITLE_PATTERN.pattern + r")\s*$", before)
                if m:
                    country = self.table.lookup(m.group("d")) if m.group("d") else None
                    records.append(("office_holder", {"person": persons.resolve(e["text"]),
                                                      "office": office_string(m.group("t"), country)},
                                    [(e["start"] - len(m.group(0)), e["end"])], conf))
            if len(names) >= 2:
                last_group = names
            if _AGREEMENT.search(s.text):
                signers = names or (last_group if re.search(r"\bthey\b", s.text, re.I) else [])
                records.append(("agreement", {"date": dates[0].iso if dates else None, "signatories": signers},
                                ev + [(d.start, d.end) for d in dates[:1]], conf))
            elif _MEETING.search(s.text):
                slots: dict[str, Any] = {"date": dates[0].iso if dates else None, "participants": names}
                for e in locs:
                    if re.search(r"\b(?:in|at)\s+(?:the\s+)?$", text[max(0, e["start"] - 8): e["start"]]):
                        slots["location"] = e["text"]
                        ev.append((e["start"], e["end"]))
                        break
                m = _INITIATED.search(s.text)
                if m:
                    after = [e for e in pers if e["start"] >= s.start + m.end()]
                    if after:
                        slots["initiator"] = persons.resolve(after[0]["text"])
                durations = find_durations(s.text, offset=s.start)
                if durations:
                    slots["duration"] = durations[0].iso
                records.append(("meeting", slots, ev + [(d.start, d.end) for d in dates[:1]], conf))
            if _CONFLICT.search(s.text) and _CONFLICT_VERB.search(s.text):
                parties = [self.table.lookup(e["text"]) for e in locs if self.table.lookup(e["text"])]
                places = [e["text"] for e in locs if not self.table.lookup(e["text"], capitals=True)]
                records.append(("conflict_event", {"date": dates[0].iso if dates else None,
                                                   "parties": list(dict.fromkeys(parties)),
                                                   "location": places[0] if places else None},
                                [(e["start"], e["end"]) for e in locs], conf))
            force = _FORCE.search(s.text)
            if _DEPLOY.search(s.text) and force:
                nationality = [self.table.lookup(e["text"]) for e in sent_ents
                               if e["label"] in ("MISC", "LOC") and e["end"] <= s.start + force.start()
                               and self.table.lookup(e["text"])]
                places = [e["text"] for e in locs if e["start"] > s.start + force.end()]
                records.append(("deployment", {"force": force.group("f").lower(),
                                               "country": nationality[-1] if nationality else None,
                                               "locations": places},
                                [(s.start + force.start(), s.start + force.end())], conf))
            cf = _CEASEFIRE.search(s.text)
            if cf:
                start = [d for d in dates if re.search(r"\bfrom\s+$|\bas of\s+$",
                                                       text[max(0, d.start - 10): d.start])]
                region = [e["text"] for e in locs if e["start"] > s.start + cf.end()]
                records.append(("ceasefire", {"start_date": start[0].iso if start else None,
                                              "region": region[0] if region else None},
                                [(s.start + cf.start(), s.start + cf.end())], conf))
        out = _merge(records)
        self.last_stats.update(extract_s=round(time.perf_counter() - t0, 3), sentences=len(sents),
                               records=len(out), doc_id=document.id)
        return out


def _merge(records) -> list[dict[str, Any]]:
    merged: list[list[Any]] = []
    keys = {"agreement": "date", "meeting": "date", "conflict_event": "date", "ceasefire": None,
            "deployment": None, "office_holder": "person"}
    for rtype, slots, evidence, conf in records:
        key = keys.get(rtype)
        target = next((m for m in merged if m[0] == rtype and (
            key is None or (slots.get(key) and slots.get(key) == m[1].get(key)))), None)
        if target is None or (rtype == "office_holder" and target[1].get("office") != slots.get("office")):
            merged.append([rtype, dict(slots), list(evidence), conf])
            continue
        for k, v in slots.items():
            if isinstance(v, list):
                target[1][k] = list(dict.fromkeys([*(target[1].get(k) or []), *v]))
            elif v and not target[1].get(k):
                target[1][k] = v
        target[2].extend(evidence)
    out = []
    for rtype, slots, evidence, conf in merged:
        rec = make_record(rtype, slots, evidence, max(0.0, min(1.0, conf)))
        if rec:
            out.append(rec)
    return out
