"""Gold loading and validation: one human-editable JSON file per document in `gold/`.

A gold file holds the document (id, text file under `seeds/`, published date, source,
variant fields), an entity table (canonical values and aliases) and records whose
scored slots refer to entities or hold literal values, each with evidence spans
`[start, end)` in code points of the stored text. `validate_gold` names every problem
by file, record and slot; `load_gold` raises on the first error.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from benchmark.errors import GoldError
from benchmark.types import (
    ENTITY_TYPES,
    OFFICE,
    RECORD_TYPES,
    SCHEMA_VERSION,
    Document,
    Entity,
    GoldDocument,
    GoldRecord,
    GoldValue,
    InputProblem,
    Span,
)
from benchmark.values import NormalizationError, Normalizer

SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")  # as hashlib's hexdigest writes it
PERTURBATIONS = ("counterfactual", "paraphrase")  # a variant's; an original has none
MAX_GOLD_BYTES = 20_000_000
MAX_GOLD_RECORDS = 10_000  # records of one gold document
MAX_GOLD_VALUE_CHARS = 500  # a canonical value, alias or literal: longer ones could never match a prediction
MAX_GOLD_DEPTH = 64


def data_dir(kind: str) -> Path:
    """`gold` or `seeds`: the source checkout's folder, else the copy installed with the package."""
    here = Path(__file__).resolve().parent
    checkout = here.parent / kind
    if checkout.is_dir() and (here.parent / "pyproject.toml").is_file():
        return checkout
    return here / "_data" / kind


def default_gold_dir() -> Path:
    return data_dir("gold")


class _Problems:
    def __init__(self, path: Path):
        self.path = path
        self.items: list[InputProblem] = []

    def add(self, code: str, message: str, record: str | None = None, slot: str | None = None) -> None:
        where = str(self.path)
        if record is not None:
            where += f": record {record}"
        if slot is not None:
            where += f" slot {slot}"
        self.items.append(InputProblem(code, where, message))


def _evidence(raw: Any, text: str, problems: _Problems, record: str, slot: str) -> tuple[Span, ...]:
    if not isinstance(raw, list) or not raw:
        problems.add("MISSING_EVIDENCE", "a scored value needs at least one evidence span", record, slot)
        return ()
    spans = []
    for item in raw:
        span = item.get("span") if isinstance(item, dict) else item
        if not (isinstance(span, list) and len(span) == 2 and type(span[0]) is int and type(span[1]) is int):
            problems.add("BAD_FIELD", f"evidence {item!r} is not {{'span': [start, end], 'text': ...}}",
                         record, slot)
            continue
        start, end = span
        if not 0 <= start < end <= len(text):
            problems.add("SPAN_OUT_OF_RANGE", f"span [{start}, {end}) outside the text (length {len(text)})",
                         record, slot)
            continue
        quoted = item.get("text") if isinstance(item, dict) else None
        if quoted is not None and text[start:end] != quoted:
            problems.add("SPAN_TEXT_MISMATCH",
                         f"span [{start}, {end}) is {text[start:end]!r}, not {quoted!r}", record, slot)
            continue
        spans.append(Span(start, end))
    return tuple(spans)


def _parse_document(raw: Any, path: Path, problems: _Problems, seeds: Path) -> tuple[Document, str, str] | None:
    if not isinstance(raw, dict):
        problems.add("MISSING_FIELD", "no 'document' object")
        return None
    doc_id = raw.get("id")
    if not isinstance(doc_id, str) or not SAFE_ID.match(doc_id):
        problems.add("BAD_DOC_ID", f"document id {doc_id!r} is not a safe identifier")
        return None
    text_file = raw.get("text_file")
    if not isinstance(text_file, str) or "/" in text_file or "\\" in text_file or text_file.startswith("."):
        problems.add("BAD_FIELD", f"text_file {text_file!r} must be a file name under seeds/")
        return None
    try:
        data = (seeds / text_file).read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add("FILE_NOT_FOUND", f"text {text_file}: {exc.__class__.__name__}")
        return None
    recorded = raw.get("text_sha256")
    digest = hashlib.sha256(data).hexdigest()
    if recorded is None:  # absent or null: the text could change unnoticed
        state = "null" if "text_sha256" in raw else "missing"
        problems.add("MISSING_FIELD", f"text_sha256 is {state}: seeds/{text_file} has sha256 {digest}")
    elif not isinstance(recorded, str):
        problems.add("BAD_FIELD", f"text_sha256 {recorded!r} is not a hex string")
    elif not SHA256_HEX.fullmatch(recorded):
        problems.add("BAD_FIELD", f"text_sha256 {recorded[:70]!r} is not a sha256 (64 lowercase hex digits)")
    elif recorded != digest:
        problems.add("TEXT_HASH_MISMATCH", f"seeds/{text_file} has sha256 {digest[:12]}…, gold says {recorded[:12]}…")
    published = raw.get("published")
    if published is not None and not (isinstance(published, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", published)):
        problems.add("BAD_FIELD", f"published {published!r} is not YYYY-MM-DD")
        published = None
    for key in ("source", "variant_of", "perturbation"):
        if raw.get(key) is not None and not isinstance(raw.get(key), str):
            problems.add("BAD_FIELD", f"{key} {str(raw.get(key))[:60]!r} must be a string or null")
            return None
    _check_variant_fields(raw.get("variant_of"), raw.get("perturbation"), problems)
    document = Document(doc_id, text, published, raw.get("source"), raw.get("variant_of"), raw.get("perturbation"))
    return document, text_file, digest


def _check_variant_fields(variant_of: str | None, perturbation: str | None, problems: _Problems) -> None:
    """An original has neither `variant_of` nor `perturbation`; a variant has both, its perturbation one of
    PERTURBATIONS. Whether `variant_of` names a document of the set is checked across files (validate_gold)."""
    if perturbation is not None and perturbation not in PERTURBATIONS:
        problems.add("BAD_FIELD", f"perturbation {perturbation[:60]!r} is not one of {', '.join(PERTURBATIONS)} "
                                  f"(null for an original)")
    elif variant_of is not None and perturbation is None:
        problems.add("MISSING_FIELD", f"perturbation is missing: a variant (variant_of {variant_of[:60]!r}) "
                                      f"is one of {', '.join(PERTURBATIONS)}")
    elif perturbation is not None and variant_of is None:
        problems.add("MISSING_FIELD", f"variant_of is missing: a {perturbation} is a variant of a document "
                                      f"(null perturbation for an original)")


def _parse_entities(raw: Any, problems: _Problems) -> dict[str, Entity]:
    entities: dict[str, Entity] = {}
    if not isinstance(raw, list):
        problems.add("MISSING_FIELD", "'entities' must be a list")
        return entities
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            problems.add("BAD_FIELD", f"entity {item!r} has no id")
            continue
        eid = item["id"]
        if eid in entities:
            problems.add("DUPLICATE_ID", f"entity id {eid!r} is used twice")
            continue
        etype, canonical = item.get("type"), item.get("canonical")
        if etype not in ENTITY_TYPES:
            problems.add("BAD_FIELD", f"entity {eid}: type {etype!r} is not one of {', '.join(ENTITY_TYPES)}")
            continue
        if not isinstance(canonical, str) or not canonical.strip():
            problems.add("BAD_FIELD", f"entity {eid}: no canonical value")
            continue
        aliases = item.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            problems.add("BAD_FIELD", f"entity {eid}: aliases must be a list of strings")
            aliases = []
        too_long = [a for a in (canonical, *aliases) if len(a) > MAX_GOLD_VALUE_CHARS]
        if too_long:
            problems.add("VALUE_TOO_LONG", f"entity {eid}: a value of {len(too_long[0])} characters "
                                           f"(limit {MAX_GOLD_VALUE_CHARS})")
            continue
        role, country = item.get("role"), item.get("country")
        if not isinstance(role, (str, type(None))) or not isinstance(country, (str, type(None))):
            problems.add("BAD_FIELD", f"entity {eid}: role and country must be strings")
            continue
        if etype == OFFICE and not role:
            problems.add("BAD_FIELD", f"office {eid}: no role")
        entities[eid] = Entity(eid, etype, canonical, tuple(aliases), role, country)
    for entity in entities.values():
        if entity.type == OFFICE and entity.country and entity.country not in entities:
            problems.add("UNKNOWN_ENTITY", f"office {entity.id}: country {entity.country!r} is not an entity")
    return entities


def _parse_records(raw: Any, doc: Document, entities: Mapping[str, Entity], normalizer: Normalizer,
                   problems: _Problems) -> tuple[GoldRecord, ...]:
    if not isinstance(raw, list):
        problems.add("MISSING_FIELD", "'records' must be a list")
        return ()
    records: list[GoldRecord] = []
    seen: set[str] = set()
    signatures: dict[tuple[str, frozenset[tuple[str, str]]], str] = {}  # -> the first record with it
    if len(raw) > MAX_GOLD_RECORDS:
        problems.add("TOO_MANY_RECORDS", f"{len(raw)} records (limit {MAX_GOLD_RECORDS})")
        return ()
    for item in raw:
        if not isinstance(item, dict):
            problems.add("NOT_AN_OBJECT", f"record {item!r} is not an object")
            continue
        rid, rtype = item.get("id"), item.get("type")
        if not isinstance(rid, str) or not SAFE_ID.match(rid):
            problems.add("BAD_FIELD", f"record id {rid!r} is not a safe identifier")
            continue
        if rid in seen:
            problems.add("DUPLICATE_ID", "record id is used twice", rid)
            continue
        seen.add(rid)
        if rtype is None:
            problems.add("MISSING_FIELD", "the record has no 'type'", rid)
            continue
        if not isinstance(rtype, str):  # a list here is unhashable
            problems.add("BAD_FIELD", f"type {str(rtype)[:60]!r} must be a string", rid)
            continue
        if rtype not in RECORD_TYPES:
            problems.add("UNKNOWN_TYPE", f"type {str(rtype)[:60]!r} is not in the schema", rid)
            continue
        before = len(problems.items)
        spec = RECORD_TYPES[rtype]
        slots = item.get("slots", {})
        if not isinstance(slots, dict):
            problems.add("BAD_FIELD", "'slots' must be an object", rid)
            continue
        descriptive = {k: str(item[k]) for k in spec if not spec[k].scored and isinstance(item.get(k), str)}
        values: list[GoldValue] = []
        for slot, raw_value in slots.items():
            if slot not in spec:
                problems.add("UNKNOWN_SLOT", f"slot {slot!r} is not a slot of {rtype}", rid, slot)
                continue
            slot_spec = spec[slot]
            if not slot_spec.scored:
                if isinstance(raw_value, str):
                    descriptive[slot] = raw_value
                continue
            items = raw_value if slot_spec.is_list else [raw_value]
            if slot_spec.is_list and not isinstance(raw_value, list):
                problems.add("BAD_FIELD", "a list slot needs a list of values", rid, slot)
                continue
            keys: set[str] = set()
            for index, value in enumerate(items):
                where = f"{slot}[{index}]" if slot_spec.is_list else slot
                gold_value = _parse_value(value, doc, rid, rtype, slot_spec, entities, normalizer, problems,
                                          where, index)
                if gold_value is None:
                    continue
                key = gold_value.entity_id or gold_value.canonical
                if key in keys:
                    problems.add("DUPLICATE_VALUE", f"{key!r} is listed twice", rid, where)
                    continue
                keys.add(key)
                values.append(gold_value)
        records.append(GoldRecord(rid, doc.id, rtype, descriptive, tuple(values), _note(item, problems, rid)))
        if values and len(problems.items) == before:  # a record missing a bad value is no copy
            first = signatures.setdefault(_signature(rtype, values), rid)
            if first != rid:
                problems.add("DUPLICATE_RECORD", f"same type and scored values as record {first!r} "
                                                 f"(evidence and descriptive slots aside)", rid)
    return tuple(records)


def _signature(rtype: str, values: Iterable[GoldValue]) -> tuple[str, frozenset[tuple[str, str]]]:
    """What makes two gold records the same fact for the scorer: the type and, slot by slot, the key of
    each scored value's normal form (`entity:ID` for an entity, the normalized literal otherwise), a list
    slot as a set. Evidence, notes, aliases and descriptive slots (`name`, `description`) are left out:
    no value is scored on them. A fact annotated twice counts twice: alignment is one-to-one, so an
    extractor that states it once is aligned with one copy and every value of the other is an fn
    (stating it twice in the same words is what the scorer collapses as a duplicate). Records without
    a scored value hold no fact and are never copies.
    """
    return rtype, frozenset((v.slot, v.normals[0].key if v.normals else v.canonical) for v in values)


def _note(item: dict[str, Any], problems: _Problems, record: str, slot: str | None = None) -> str | None:
    """A record's or a value's note: a string, or none (the dataset export gives notes a string column)."""
    note = item.get("note")
    if note is None or isinstance(note, str):
        return note
    problems.add("BAD_FIELD", f"note {str(note)[:60]!r} must be a string", record, slot)
    return None


def _parse_value(value: Any, doc: Document, rid: str, rtype: str, slot_spec: Any,
                 entities: Mapping[str, Entity], normalizer: Normalizer, problems: _Problems,
                 where: str, index: int) -> GoldValue | None:
    if not isinstance(value, dict):
        problems.add("BAD_FIELD", f"value {value!r} must be an object with 'entity' or 'value'", rid, where)
        return None
    evidence = _evidence(value.get("evidence"), doc.text, problems, rid, where)
    fact_id = f"{doc.id}/{rid}/{slot_spec.name}" + (f"/{index}" if slot_spec.is_list else "")
    common = dict(fact_id=fact_id, record_id=rid, record_type=rtype, slot=slot_spec.name,
                  value_type=slot_spec.value_type, category=slot_spec.category, evidence=evidence,
                  note=_note(value, problems, rid, where))
    if slot_spec.value_type in ENTITY_TYPES:
        eid = value.get("entity")
        entity = entities.get(eid) if isinstance(eid, str) else None
        if entity is None:
            problems.add("UNKNOWN_ENTITY", f"entity {eid!r} is not in the entity table", rid, where)
            return None
        if entity.type != slot_spec.value_type:
            problems.add("BAD_VALUE", f"entity {eid} is a {entity.type}, the slot takes {slot_spec.value_type}",
                         rid, where)
            return None
        normals = normalizer.gold_normals(slot_spec.value_type, entity.canonical, eid)
        return GoldValue(canonical=entity.canonical, entity_id=eid, aliases=(), normals=normals, **common)
    literal = value.get("value")
    aliases = value.get("aliases", [])
    if not isinstance(literal, str) or not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        problems.add("BAD_VALUE", f"value {str(literal)[:60]!r} must be a string (aliases a list of strings)",
                     rid, where)
        return None
    if any(len(a) > MAX_GOLD_VALUE_CHARS for a in (literal, *aliases)):
        problems.add("VALUE_TOO_LONG", f"a value longer than {MAX_GOLD_VALUE_CHARS} characters", rid, where)
        return None
    try:
        normals = normalizer.gold_normals(slot_spec.value_type, literal, None, [str(a) for a in aliases])
        normal = normals[0]
    except (NormalizationError, ValueError) as exc:
        problems.add("BAD_VALUE", f"{literal!r} is not a {slot_spec.value_type}: {exc}", rid, where)
        return None
    if normal.no_year or (normal.date is not None and normal.display != literal):
        problems.add("BAD_VALUE", f"gold dates are ISO with their precision ({literal!r})", rid, where)
        return None
    return GoldValue(canonical=literal, entity_id=None, aliases=tuple(str(a) for a in aliases), normals=normals,
                     **common)


def read_gold_file(path: Path, seeds: Path | None = None) -> tuple[GoldDocument | None, list[InputProblem]]:
    """Parse and validate one gold file; returns the document and every problem found."""
    problems = _Problems(path)
    raw = _decode_gold_file(path, problems)
    if raw is None:
        return None, problems.items
    parsed = _parse_document(raw.get("document"), path, problems, seeds or path.resolve().parent.parent / "seeds")
    if parsed is None:
        return None, problems.items
    return _gold_document(raw, parsed, path, problems), problems.items


def _decode_gold_file(path: Path, problems: _Problems, nesting: bool = True) -> dict[str, Any] | None:
    """The JSON object of a gold file of this schema version, or None with the problem added.
    `nesting=False` leaves the nesting limit to a later full read (a first stage reads only the document)."""
    try:
        if path.stat().st_size > MAX_GOLD_BYTES:
            problems.add("FILE_TOO_LARGE", f"larger than {MAX_GOLD_BYTES} bytes")
            return None
        raw = json.loads(path.read_text(encoding="utf-8").removeprefix("\ufeff"))
    except OSError as exc:
        problems.add("FILE_NOT_FOUND", exc.strerror or str(exc))
        return None
    except UnicodeDecodeError as exc:
        problems.add("NOT_UTF8", f"byte {exc.start} is not UTF-8")
        return None
    except json.JSONDecodeError as exc:
        problems.add("MALFORMED_JSON", f"line {exc.lineno} column {exc.colno}: {exc.msg}")
        return None
    except RecursionError:
        problems.add("NESTED_TOO_DEEP", f"nests deeper than {MAX_GOLD_DEPTH} levels")
        return None
    except ValueError as exc:  # an integer literal of more than sys.get_int_max_str_digits() digits
        problems.add("NUMBER_TOO_LARGE", str(exc).split(":")[0])
        return None
    if not isinstance(raw, dict):
        problems.add("NOT_AN_OBJECT", "a gold file is one JSON object")
        return None
    from benchmark.predictions import _too_deep

    if nesting and _too_deep(raw, MAX_GOLD_DEPTH):
        problems.add("NESTED_TOO_DEEP", f"nests deeper than {MAX_GOLD_DEPTH} levels")
        return None
    version = raw.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        problems.add("SCHEMA_VERSION", f"schema_version {raw.get('schema_version')!r}; this factbench reads "
                                        f"{SCHEMA_VERSION}")
        return None
    return raw


def _gold_document(raw: dict[str, Any], parsed: tuple[Document, str, str], path: Path,
                   problems: _Problems) -> GoldDocument:
    """Entities and records of a decoded gold file whose document is parsed."""
    document, text_file, digest = parsed
    entities = _parse_entities(raw.get("entities"), problems)
    normalizer = Normalizer(entities)
    records = _parse_records(raw.get("records"), document, entities, normalizer, problems)
    return GoldDocument(document, text_file, entities, records, str(path), normalizer, digest)


def _raise_first(problems: list[InputProblem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        extra = f" (+{len(errors) - 1} more: factbench validate-gold)" if len(errors) > 1 else ""
        raise GoldError(errors[0].message + extra, code=errors[0].code, where=errors[0].where)


def _gold_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.json"))
    return [path]


def validate_gold(path: Path | None = None) -> list[InputProblem]:
    """Every problem of every gold file under `path` (a folder or one file), plus cross-file ones.

    Across files: document ids are unique, and each variant's `variant_of` names an original document of
    the set (for one file, of the gold files beside it). `load_gold` checks the ids but not `variant_of`:
    scoring a variant without its original (`--gold gold/x-cf1.json`) is fine, only robustness pairs them.
    """
    path = path or default_gold_dir()
    if not path.exists():
        return [InputProblem("FILE_NOT_FOUND", str(path), "no such file or folder")]
    files = _gold_files(path)
    if not files:  # as load_gold: an empty folder is no gold
        return [InputProblem("FILE_NOT_FOUND", str(path), "no gold files (*.json)")]
    problems: list[InputProblem] = []
    ids: dict[str, Path] = {}
    variants: list[tuple[Path, Document]] = []
    documents: dict[str, str | None] = {}  # id -> variant_of, of every document in the set
    for file in files:
        gold, found = read_gold_file(file)
        problems.extend(found)
        if gold is not None:
            if gold.id in ids:
                message = f"document id {gold.id!r} also in {ids[gold.id]}"
                problems.append(InputProblem("DUPLICATE_ID", str(file), message))
            ids[gold.id] = file
            documents.setdefault(gold.id, gold.document.variant_of)
            if gold.document.variant_of is not None:
                variants.append((file, gold.document))
    if variants and not path.is_dir():
        documents = {**_sibling_documents(path), **documents}
    for file, document in variants:
        problems.extend(_check_variant_of(file, document, documents))
    return problems


def _check_variant_of(file: Path, document: Document, documents: Mapping[str, str | None]) -> list[InputProblem]:
    """UNKNOWN_VARIANT_OF when a variant's `variant_of` is no original document of `documents`."""
    target = document.variant_of
    assert target is not None
    if target == document.id:
        message = f"variant_of {target!r} is the document itself"
    elif target not in documents:
        message = f"variant_of {target[:60]!r} names no gold document of the set"
    elif documents[target] is not None:
        message = f"variant_of {target!r} is itself a variant (of {documents[target]!r}), not an original"
    else:
        return []
    return [InputProblem("UNKNOWN_VARIANT_OF", str(file), message)]


def _sibling_documents(file: Path) -> dict[str, str | None]:
    """id -> variant_of of the documents of the other gold files in `file`'s folder (unvalidated: a file
    that does not decode, or has no string id, is skipped; validating the folder reports it)."""
    out: dict[str, str | None] = {}
    for sibling in sorted(file.parent.glob("*.json")):
        if sibling.resolve() == file.resolve():
            continue
        raw = _decode_gold_file(sibling, _Problems(sibling), nesting=False)
        document = raw.get("document") if raw is not None else None
        if isinstance(document, dict) and isinstance(document.get("id"), str):
            variant_of = document.get("variant_of")
            out.setdefault(document["id"], variant_of if isinstance(variant_of, str) else None)
    return out


@dataclass(frozen=True)
class GoldSet:
    """Every gold document of a folder, keyed by document id."""

    documents: Mapping[str, GoldDocument]
    root: str

    def __iter__(self) -> Iterator[GoldDocument]:
        return iter(self.documents.values())

    def scope(self, which: str) -> tuple[str, ...]:
        """Document ids in scope: `original` (no variants) or `all`."""
        return scope_of((d.document for d in self), which)

    @cached_property
    def sha256(self) -> str:
        return gold_sha256(self)


def scope_of(documents: Iterable[Document], which: str) -> tuple[str, ...]:
    if which not in ("original", "all"):
        raise GoldError(f"--documents must be 'original' or 'all', not {which!r}", code="BAD_ARGUMENT")
    return tuple(d.id for d in documents if which == "all" or d.is_original)


def canonical_form(gold: GoldSet) -> list[dict[str, Any]]:
    """What the gold sha256 covers: documents, text hashes, entities and every fact, in a fixed order."""
    return [_canonical_document(doc) for doc in sorted(gold, key=lambda d: d.id)]


def _canonical_document(doc: GoldDocument) -> dict[str, Any]:
    d = doc.document
    return {
        "id": d.id, "published": d.published, "source": d.source, "variant_of": d.variant_of,
        "perturbation": d.perturbation,
        "text_sha256": doc.text_sha256 or hashlib.sha256(d.text.encode()).hexdigest(),
        "entities": sorted([e.id, e.type, e.canonical, sorted(e.aliases), e.role, e.country]
                           for e in doc.entities.values()),
        "facts": sorted([v.fact_id, v.value_type, v.canonical, v.entity_id, sorted(v.aliases),
                         sorted([s.start, s.end] for s in v.evidence)] for v in doc.facts()),
        "records": sorted([r.id, r.type, sorted(r.descriptive.items())] for r in doc.records),
    }


def _canonical_json(doc: GoldDocument) -> bytes:
    return json.dumps(_canonical_document(doc), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def gold_sha256(gold: GoldSet) -> str:
    """sha256 of the JSON of `canonical_form` (sorted keys, no spaces), hashed document by document."""
    digest = hashlib.sha256(b"[")
    for i, doc in enumerate(sorted(gold, key=lambda d: d.id)):
        digest.update(b"," + _canonical_json(doc) if i else _canonical_json(doc))
    digest.update(b"]")
    return digest.hexdigest()


_CACHE: dict[tuple[str, tuple[tuple[str, float], ...]], GoldSet] = {}


def load_gold(path: Path | str | None = None) -> GoldSet:
    """Load a gold folder (or one file); the first error raises GoldError naming file, record and slot."""
    return GoldLoader(path).finish()


class GoldLoader:
    """Loads a gold folder: at once (`load_gold`), or in stages for a run that starts extracting first.

    Staged, the constructor reads only each file's document (id, text, variant) and fails on a bad
    one, a missing text or malformed JSON; `step()` then validates one file's entities and records
    (the runner calls it while it waits for an extractor), `document(doc_id)` the one a scorer needs
    now, and `finish()` the rest and the gold sha256. Every error raises GoldError, as load_gold's do.
    """

    def __init__(self, path: Path | str | None = None, staged: bool = False):
        self.path = Path(path) if path else default_gold_dir()
        if not self.path.exists():
            raise GoldError("no such gold file or folder", code="FILE_NOT_FOUND", where=str(self.path))
        self._files = _gold_files(self.path)
        self._seeds = self._files[0].resolve().parent.parent / "seeds" if self._files else self.path
        texts = sorted(self._seeds.glob("*.txt")) if self._seeds.is_dir() else []
        self._stamp = (str(self.path.resolve()),
                       tuple((str(f), f.stat().st_mtime_ns) for f in (*self._files, *texts)))
        self.documents: dict[str, Document] = {}  # every document in file order, before its gold is validated
        self._file_of: dict[str, Path] = {}
        self.digests: dict[str, str] = {}  # sha256 of each document's text, as read
        self._parsed: dict[Path, tuple[Document, str, str]] = {}  # documents read, gold not validated yet
        self._loaded: dict[Path, GoldDocument] = {}
        self.gold: GoldSet | None = _CACHE.get(self._stamp)
        self._work: Iterator[None] = iter(())
        self._failed: GoldError | None = None
        if self.gold is not None:
            self.documents = {d.id: d.document for d in self.gold}
            self.digests = {d.id: d.text_sha256 for d in self.gold}
        elif not staged:
            for file in self._files:
                self._load(file)
            self._complete()
        else:
            for file in self._files:
                problems = _Problems(file)
                raw = _decode_gold_file(file, problems, nesting=False)
                parsed = _parse_document(raw.get("document"), file, problems, self._seeds) \
                    if raw is not None else None
                _raise_first(problems.items)
                assert parsed is not None
                self._add(file, parsed[0])
                self._parsed[file] = parsed
                self.digests[parsed[0].id] = parsed[2]
            if not self.documents:
                raise GoldError("no gold files (*.json)", code="FILE_NOT_FOUND", where=str(self.path))
            self._work = self._steps()

    def _add(self, file: Path, document: Document) -> None:
        if document.id in self.documents:
            raise GoldError(f"document id {document.id!r} is defined twice", code="DUPLICATE_ID", where=str(file))
        self.documents[document.id] = document
        self._file_of[document.id] = file

    def _load(self, file: Path) -> GoldDocument:
        problems = _Problems(file)
        raw = _decode_gold_file(file, problems)
        parsed = self._parsed.pop(file, None)
        if raw is not None and parsed is None:
            parsed = _parse_document(raw.get("document"), file, problems, self._seeds)
        gold = _gold_document(raw, parsed, file, problems) if raw is not None and parsed is not None else None
        _raise_first(problems.items)
        assert gold is not None
        if self._file_of.get(gold.id) != file:  # not read in a first stage
            self._add(file, gold.document)
            self.digests[gold.id] = gold.text_sha256
        self._loaded[file] = gold
        return gold

    def _complete(self) -> GoldSet:
        if not self._loaded:
            raise GoldError("no gold files (*.json)", code="FILE_NOT_FOUND", where=str(self.path))
        self.gold = GoldSet({g.id: g for g in (self._loaded[f] for f in self._files)}, str(self.path))
        _CACHE[self._stamp] = self.gold
        return self.gold

    def _steps(self) -> Iterator[None]:
        for file in self._files:
            if file not in self._loaded:
                self._load(file)
                yield
        gold = self._complete()
        digest = hashlib.sha256(b"[")  # as gold_sha256, a document at a time
        for i, doc in enumerate(sorted(gold, key=lambda d: d.id)):
            digest.update(b"," + _canonical_json(doc) if i else _canonical_json(doc))
            yield
        digest.update(b"]")
        gold.__dict__.setdefault("sha256", digest.hexdigest())  # GoldSet.sha256 is a cached property

    def scope(self, which: str) -> tuple[str, ...]:
        return scope_of(self.documents.values(), which)

    def step(self) -> bool:
        """Do one file's validation (or one document's share of the sha256); False when all is done."""
        if self._failed is not None:
            raise self._failed
        try:
            return next(self._work, StopIteration) is not StopIteration
        except GoldError as exc:  # the same error again on any later call, not a spent generator
            self._failed = exc
            raise

    def document(self, doc_id: str) -> GoldDocument:
        """The gold of one document, validated now if it was not yet."""
        if self.gold is not None:
            return self.gold.documents[doc_id]
        if self._failed is not None:
            raise self._failed
        file = self._file_of[doc_id]
        return self._loaded[file] if file in self._loaded else self._load(file)

    def finish(self) -> GoldSet:
        """Everything validated (and hashed): the GoldSet that load_gold returns."""
        while self.step():
            pass
        assert self.gold is not None
        return self.gold


def gold_as_records(doc: GoldDocument) -> list[dict[str, Any]]:
    """The gold of a document written as predictions (canonical values): what the oracle outputs."""
    out = []
    for record in doc.records:
        slots: dict[str, Any] = dict(record.descriptive)
        for value in record.values:
            spec = RECORD_TYPES[record.type][value.slot]
            if spec.is_list:
                slots.setdefault(value.slot, []).append(value.canonical)
            else:
                slots[value.slot] = value.canonical
        evidence = sorted({(s.start, s.end) for v in record.values for s in v.evidence})
        out.append({"doc_id": doc.id, "type": record.type, "slots": slots, "evidence": [list(s) for s in evidence]})
    return out
