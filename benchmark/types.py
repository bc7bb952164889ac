"""Core types: the record schema, documents, gold, predictions and scores.

Everything here is a frozen dataclass so a value can be hashed, compared and
written out without surprises. The record schema (`RECORD_TYPES`) is the one
table every other module reads: which slots a type has, their value types and
the category each scored slot counts towards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1

REGIMES = ("strict", "lenient")
CATEGORIES = ("dates", "signatories", "participants", "peacekeeping", "working_group", "roles", "other")

# Value types of scored slots. Descriptive slots have the value type None.
DATE, PERSON, PLACE, COUNTRY, OFFICE, DURATION, TEXT = (
    "DATE", "PERSON", "PLACE", "COUNTRY", "OFFICE", "DURATION", "TEXT",
)
VALUE_TYPES = (DATE, PERSON, PLACE, COUNTRY, OFFICE, DURATION, TEXT)
ENTITY_TYPES = (PERSON, PLACE, COUNTRY, OFFICE)


@dataclass(frozen=True)
class SlotSpec:
    """One slot of a record type: its value type, list-ness and category."""

    name: str
    value_type: str | None  # None: descriptive, never scored
    is_list: bool = False
    category: str | None = None

    @property
    def scored(self) -> bool:
        return self.value_type is not None


def _slots(*specs: SlotSpec) -> Mapping[str, SlotSpec]:
    return {spec.name: spec for spec in specs}


RECORD_TYPES: Mapping[str, Mapping[str, SlotSpec]] = {
    "agreement": _slots(
        SlotSpec("name", None),
        SlotSpec("date", DATE, category="dates"),
        SlotSpec("signatories", PERSON, is_list=True, category="signatories"),
        SlotSpec("location", PLACE, category="other"),
    ),
    "meeting": _slots(
        SlotSpec("description", None),
        SlotSpec("date", DATE, category="dates"),
        SlotSpec("participants", PERSON, is_list=True, category="participants"),
        SlotSpec("location", PLACE, category="other"),
        SlotSpec("initiator", PERSON, category="other"),
        SlotSpec("duration", DURATION, category="other"),
    ),
    "ceasefire": _slots(
        SlotSpec("description", None),
        SlotSpec("start_date", DATE, category="dates"),
        SlotSpec("region", PLACE, category="other"),
    ),
    "deployment": _slots(
        SlotSpec("force", TEXT, category="peacekeeping"),
        SlotSpec("country", COUNTRY, category="peacekeeping"),
        SlotSpec("locations", PLACE, is_list=True, category="peacekeeping"),
    ),
    "body": _slots(
        SlotSpec("name", None),
        SlotSpec("chairs", OFFICE, is_list=True, category="working_group"),
        SlotSpec("established", DATE, category="dates"),
        SlotSpec("focus", TEXT, is_list=True, category="working_group"),
    ),
    "conflict_event": _slots(
        SlotSpec("description", None),
        SlotSpec("date", DATE, category="dates"),
        SlotSpec("parties", COUNTRY, is_list=True, category="other"),
        SlotSpec("location", PLACE, category="other"),
    ),
    "office_holder": _slots(
        SlotSpec("person", PERSON, category="roles"),
        SlotSpec("office", OFFICE, category="roles"),
    ),
}


def scored_slots(record_type: str) -> tuple[SlotSpec, ...]:
    return tuple(s for s in RECORD_TYPES[record_type].values() if s.scored)


# --------------------------------------------------------------------------- documents


@dataclass(frozen=True)
class Document:
    """What an extractor sees: never the gold."""

    id: str
    text: str
    published: str | None = None
    source: str | None = None
    variant_of: str | None = None
    perturbation: str | None = None

    @property
    def is_original(self) -> bool:
        return self.variant_of is None


# --------------------------------------------------------------------------- gold


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Entity:
    """A row of a document's entity table: a canonical value and its aliases.

    OFFICE entities carry `role` and `country` (an entity id or a country name).
    """

    id: str
    type: str
    canonical: str
    aliases: tuple[str, ...] = ()
    role: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class GoldValue:
    """One scored value of a gold record: an atomic fact."""

    fact_id: str
    record_id: str
    record_type: str
    slot: str
    value_type: str
    category: str
    canonical: str  # the human-readable canonical value (entity canonical, ISO date, text)
    entity_id: str | None  # for entity-typed values
    aliases: tuple[str, ...]  # extra surface forms for TEXT values
    evidence: tuple[Span, ...]
    note: str | None = None
    # Every normal form the value accepts (values.Normal), computed once when the gold is loaded.
    normals: tuple[Any, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class GoldRecord:
    id: str
    doc_id: str
    type: str
    descriptive: Mapping[str, str]
    values: tuple[GoldValue, ...]
    note: str | None = None


@dataclass(frozen=True)
class GoldDocument:
    document: Document
    text_file: str
    entities: Mapping[str, Entity]
    records: tuple[GoldRecord, ...]
    path: str = ""
    # The loader's values.Normalizer of this document's entity table, reused by the scorer.
    normalizer: Any = field(default=None, compare=False, repr=False)
    text_sha256: str = field(default="", compare=False, repr=False)  # of the text's UTF-8 bytes, as loaded

    @property
    def id(self) -> str:
        return self.document.id

    def facts(self) -> tuple[GoldValue, ...]:
        return tuple(v for r in self.records for v in r.values)


# --------------------------------------------------------------------------- predictions


@dataclass(frozen=True)
class Prediction:
    """One predicted record as read from a predictions file (raw slot values)."""

    doc_id: str
    type: str
    slots: Mapping[str, Any]
    evidence: tuple[Span, ...] = ()
    confidence: float | None = None
    line: int = 0  # 1-based line in its file, 0 when not from a file


@dataclass(frozen=True)
class InputProblem:
    """A named problem found while reading an input file (see benchmark.errors.CODES)."""

    code: str
    where: str  # "file:line" or "file: record X slot Y"
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.code}: {self.message}"


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class FactOutcome:
    """The fate of one atomic value, gold or predicted, in one regime."""

    regime: str
    doc_id: str
    outcome: str  # tp | partial | fp | fn
    record_type: str
    slot: str
    category: str
    fact_id: str | None  # gold fact id (tp, partial, fn, and fp inside an aligned slot)
    gold_record: str | None
    gold_value: str | None
    predicted: str | None  # raw predicted value
    normalized: str | None
    reason: str  # machine-readable: match, alias, truncated_date, no_year, wrong_value, ...
    explanation: str
    pred_line: int = 0
    unsupported: bool = False
    parse_error: bool = False
    evidence: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    partial: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.partial + other.partial, self.fp + other.fp, self.fn + other.fn)

    @property
    def predicted(self) -> int:
        return self.tp + self.partial + self.fp

    @property
    def gold(self) -> int:
        return self.tp + self.partial + self.fn

    @property
    def credit(self) -> float:
        return self.tp + 0.5 * self.partial

    @property
    def precision(self) -> float | None:
        """Undefined (None) when nothing was predicted, like `unsupported_rate`: 0/0 is no evidence of error."""
        return self.credit / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.credit / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        """F1 is defined only where there is gold: a category without gold is empty, never 0."""
        if not self.gold:
            return None
        p, r = self.precision or 0.0, self.recall or 0.0
        return 0.0 if p + r == 0 else 2 * p * r / (p + r)

    def as_dict(self) -> dict[str, Any]:
        return {
            "precision": self.precision, "recall": self.recall, "f1": self.f1,
            "tp": self.tp, "partial": self.partial, "fp": self.fp, "fn": self.fn,
        }


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class RegimeScores:
    """All metrics of one regime over one scope of documents."""

    regime: str
    overall: Counts
    categories: Mapping[str, Counts]
    types: Mapping[str, Counts]
    slots: Mapping[str, Counts]  # "type.slot"
    documents: Mapping[str, Counts]
    macro_f1: float | None
    f1_ci: Interval | None = None
    category_ci: Mapping[str, Interval] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = self.overall.as_dict()
        out["categories"] = {name: c.as_dict() for name, c in self.categories.items()}
        out["types"] = {name: c.as_dict() for name, c in self.types.items()}
        out["slots"] = {name: c.as_dict() for name, c in self.slots.items()}
        out["documents"] = {name: c.as_dict() for name, c in self.documents.items()}
        out["macro_f1"] = self.macro_f1
        out["f1_ci"] = [self.f1_ci.low, self.f1_ci.high] if self.f1_ci else None
        out["category_ci"] = {k: [v.low, v.high] for k, v in self.category_ci.items()}
        return out


@dataclass(frozen=True)
class ScoreReport:
    """The result of scoring predictions against gold: metrics plus every outcome."""

    gold_sha256: str
    documents: tuple[str, ...]
    regimes: Mapping[str, RegimeScores]
    outcomes: Sequence[FactOutcome]  # scoring.Outcomes: explained on first read
    parse_errors: int
    unsupported: int
    predicted_values: int
    duplicates: int
    unknown: Mapping[str, int]  # "type:X" / "slot:type.X" -> count
    problems: tuple[InputProblem, ...] = ()

    @property
    def unsupported_rate(self) -> float | None:
        return self.unsupported / self.predicted_values if self.predicted_values else None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: scores.as_dict() for name, scores in self.regimes.items()}
        out.update(
            parse_errors=self.parse_errors,
            unsupported=self.unsupported,
            unsupported_rate=self.unsupported_rate,
            predicted_values=self.predicted_values,
            duplicates=self.duplicates,
            unknown=dict(self.unknown),
            documents=list(self.documents),
            gold_sha256=self.gold_sha256,
            problems=[str(p) for p in self.problems],
        )
        return out


def field_names(cls: type) -> tuple[str, ...]:
    """Column order for CSV files comes from dataclass fields, never a header typed twice."""
    return tuple(f.name for f in dataclasses.fields(cls))
