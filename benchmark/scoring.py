"""The scorer: normalize, collapse duplicates, align records, judge every atomic value.

1. Each predicted value is normalized against its document's entity table (values.py).
2. Exact duplicate records (same type, same normal forms) collapse into one.
3. Per document, type and regime, predicted and gold records are aligned one-to-one by
   optimal assignment on the sum of agreeing scored values (1 a match, 0.5 a partial);
   a pair agreeing on nothing is never aligned. Ties break on descriptive-slot token
   overlap, then on the canonical JSON order of the predictions, so line order never matters.
4. Values are compared only within the same slot of aligned records. Every gold value
   ends tp, partial or fn; every predicted value tp, partial or fp, with a reason.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from benchmark.gold import GoldSet
from benchmark.types import (
    CATEGORIES,
    DATE,
    OFFICE,
    RECORD_TYPES,
    REGIMES,
    TEXT,
    Counts,
    FactOutcome,
    GoldDocument,
    GoldRecord,
    GoldValue,
    InputProblem,
    Prediction,
    RegimeScores,
    ScoreReport,
    SlotSpec,
    scored_slots,
)
from benchmark.values import (
    Normal,
    NormalizationError,
    Normalizer,
    compare,
    is_no_value,
    split_list,
    text_tokens,
)

TIE_BREAK = 0.4  # summed over every aligned pair, descriptive overlap never outweighs half a value
CAT_INDEX = {c: i for i, c in enumerate(CATEGORIES)}
TP, PARTIAL, FP, FN = range(4)
KIND = {"tp": TP, "partial": PARTIAL, "fp": FP, "fn": FN}
SCORED = {rtype: scored_slots(rtype) for rtype in RECORD_TYPES}


@dataclass(frozen=True)
class PredValue:
    raw: str
    normal: Normal | None
    error: str | None = None


@dataclass(frozen=True)
class PredRecord:
    prediction: Prediction
    values: Mapping[str, tuple[PredValue, ...]]
    descriptive: frozenset[str]
    order_key: str
    dedup_key: tuple


@dataclass(frozen=True)
class GoldView:
    record: GoldRecord
    values: Mapping[str, tuple[tuple[GoldValue, tuple[Normal, ...]], ...]]
    descriptive: frozenset[str]


class SlotMatch(NamedTuple):
    """The matched values of one slot of an aligned pair (a named tuple: there is one per slot and pair)."""

    pairs: tuple[tuple[int, int, float, str], ...]  # (pred index, gold index, credit, reason)
    credit: float = 0.0  # sum of the pairs' credits

    @classmethod
    def of(cls, pairs: tuple[tuple[int, int, float, str], ...]) -> SlotMatch:
        return cls(pairs, sum(p[2] for p in pairs)) if pairs else NO_MATCH


NO_MATCH = SlotMatch(())


# --------------------------------------------------------------------------- preparation


def _raw_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _pred_values(raw: object, spec: SlotSpec, normalizer: Normalizer) -> tuple[PredValue, ...]:
    if is_no_value(raw):
        return ()
    if spec.is_list:
        items = split_list(raw)
    elif isinstance(raw, (list, tuple)):
        items = [x for x in raw if not is_no_value(x)]
        if len(items) > 1:
            return (PredValue(_raw_text(raw), None, "several values in a scalar slot"),)
    else:
        items = [raw]
    out = []
    seen: set[str] = set()
    for item in items:
        try:
            normal = normalizer.normalize(item, spec.value_type or "")
        except NormalizationError as exc:
            out.append(PredValue(_raw_text(item), None, str(exc)))
            continue
        if normal.key in seen:  # a list slot is a set after normalization
            continue
        seen.add(normal.key)
        out.append(PredValue(_raw_text(item), normal))
    return tuple(out)


def prepare_predictions(predictions: Iterable[Prediction], normalizer: Normalizer,
                        unknown: dict[str, int]) -> tuple[list[PredRecord], int]:
    """Normalize one document's predictions; returns the records (duplicates collapsed) and the count.

    Records come out in canonical order (their JSON), whatever the order of lines.
    """
    predictions = list(predictions)
    found: dict[str, int] = {}
    records, duplicates = _prepare(predictions, normalizer, found)
    if duplicates:
        # Which of two duplicates survives (its raw strings, its line) must not depend on the order of
        # lines either: again in canonical order (normal forms are memoized: the second pass is cheap).
        found.clear()
        records, duplicates = _prepare(sorted(predictions, key=lambda p: json.dumps(
            [p.type, p.slots, [[s.start, s.end] for s in p.evidence], p.confidence],
            sort_keys=True, ensure_ascii=False, default=str)), normalizer, found)
    for key, count in found.items():
        unknown[key] = unknown.get(key, 0) + count
    return records, duplicates


def _prepare(predictions: Iterable[Prediction], normalizer: Normalizer, unknown: dict[str, int]
             ) -> tuple[list[PredRecord], int]:
    records: list[PredRecord] = []
    seen: set[tuple] = set()
    duplicates = 0
    for prediction in predictions:
        spec = RECORD_TYPES.get(prediction.type)
        if spec is None:
            unknown[f"type:{prediction.type}"] = unknown.get(f"type:{prediction.type}", 0) + 1
            continue
        values: dict[str, tuple[PredValue, ...]] = {}
        descriptive: list[str] = []
        for slot, raw in prediction.slots.items():
            slot_spec = spec.get(slot)
            if slot_spec is None:
                key = f"slot:{prediction.type}.{slot}"
                unknown[key] = unknown.get(key, 0) + 1
            elif not slot_spec.scored:
                if isinstance(raw, str):
                    descriptive.extend(text_tokens(raw))
            else:
                found = _pred_values(raw, slot_spec, normalizer)
                if found:
                    values[slot] = found
        dedup_key = (prediction.type, tuple(sorted(
            (slot, tuple(sorted(v.normal.key if v.normal else "error:" + v.raw for v in vals)))
            for slot, vals in values.items())), tuple(sorted(set(descriptive))))
        if dedup_key in seen:
            duplicates += 1
            continue
        seen.add(dedup_key)
        order_key = json.dumps([prediction.type, prediction.slots], sort_keys=True, ensure_ascii=False, default=str)
        records.append(PredRecord(prediction, values, frozenset(descriptive), order_key, dedup_key))
    records.sort(key=lambda r: r.order_key)
    return records, duplicates


def prepare_gold(doc: GoldDocument, normalizer: Normalizer) -> list[GoldView]:
    views = []
    for record in doc.records:
        by_slot: dict[str, list[tuple[GoldValue, tuple[Normal, ...]]]] = defaultdict(list)
        for value in record.values:
            normals = value.normals or normalizer.gold_normals(value.value_type, value.canonical, value.entity_id,
                                                                value.aliases)
            by_slot[value.slot].append((value, normals))
        tokens = frozenset(t for text in record.descriptive.values() for t in text_tokens(text))
        views.append(GoldView(record, {k: tuple(v) for k, v in by_slot.items()}, tokens))
    return views


# --------------------------------------------------------------------------- matching


class _GoldIndex:
    """Where a predicted value can earn credit in one document's gold, by (type, slot, key).

    `compare` gives credit only for equal keys (any regime) or, leniently, a truncated date,
    an office without its country, or a TEXT value; these indexes find exactly those
    candidates, so the scorer compares a value with a handful of gold values, not all of them.
    Entries are (gold record position within its type, value position within the slot, forms).
    """

    def __init__(self, by_type: Mapping[str, Sequence[GoldView]]):
        self.keys: dict[tuple[str, str, str], list[tuple[int, int, tuple[Normal, ...]]]] = defaultdict(list)
        self.truncations: dict[tuple[str, str, str], list[tuple[int, int, tuple[Normal, ...]]]] = defaultdict(list)
        self.roles: dict[tuple[str, str, str | None], list[tuple[int, int, tuple[Normal, ...]]]] = defaultdict(list)
        self.texts: dict[tuple[str, str], list[tuple[int, int, tuple[Normal, ...]]]] = defaultdict(list)
        for rtype, views in by_type.items():
            for g, view in enumerate(views):
                for slot, values in view.values.items():
                    for j, (_, normals) in enumerate(values):
                        entry = (g, j, normals)
                        for key in dict.fromkeys(n.key for n in normals):
                            self.keys[(rtype, slot, key)].append(entry)
                        head = normals[0]
                        if head.date is not None:
                            for t in head.date.truncations():
                                self.truncations[(rtype, slot, t)].append(entry)
                        if head.value_type == OFFICE and head.country is not None:
                            self.roles[(rtype, slot, head.role)].append(entry)
                        if head.value_type == TEXT:
                            self.texts[(rtype, slot)].append(entry)

    def lenient_candidates(self, rtype: str, slot: str, normal: Normal):
        if normal.value_type == DATE:
            if normal.date is not None and not normal.no_year:
                return self.truncations.get((rtype, slot, normal.date.iso))
        elif normal.value_type == OFFICE:
            if normal.country is None:
                return self.roles.get((rtype, slot, normal.role))
        elif normal.value_type == TEXT:
            return self.texts.get((rtype, slot))
        return None


Cell = tuple[int, int, float, str]  # (pred value index, gold value index, credit, reason) within one slot


CellsByPair = dict[tuple[int, int], dict[str, list[Cell]]]  # (pred record, gold record) -> slot -> cells


def positive_cells(preds: Sequence[PredRecord], rtype: str, index: _GoldIndex) -> tuple[CellsByPair, CellsByPair]:
    """Every (predicted value, gold value) pair with credit, per record pair and slot: (strict, lenient).

    Equal keys earn the same credit in both regimes; the lenient extras come on top.
    """
    strict: CellsByPair = {}
    lenient: CellsByPair = {}
    keys = index.keys
    for p, record in enumerate(preds):
        for slot, pvals in record.values.items():
            for i, pv in enumerate(pvals):
                normal = pv.normal
                if normal is None:
                    continue
                full: set[tuple[int, int]] = set()
                for g, j, normals in keys.get((rtype, slot, normal.key), ()):
                    full.add((g, j))
                    credit, reason = compare(normal, normals, "strict")
                    cell = (i, j, credit, reason)
                    strict.setdefault((p, g), {}).setdefault(slot, []).append(cell)
                    lenient.setdefault((p, g), {}).setdefault(slot, []).append(cell)
                for g, j, normals in index.lenient_candidates(rtype, slot, normal) or ():
                    if (g, j) in full:
                        continue
                    credit, reason = compare(normal, normals, "lenient")
                    if credit > 0:
                        lenient.setdefault((p, g), {}).setdefault(slot, []).append((i, j, credit, reason))
    return strict, lenient


def _disjoint(positive: Sequence[tuple]) -> bool:
    """True when no two positive cells share a row or a column (a partial permutation)."""
    return len({c[0] for c in positive}) == len(positive) == len({c[1] for c in positive})


def match_slot(cells: list[Cell], n_pred: int, n_gold: int) -> SlotMatch:
    """Optimal one-to-one matching of a slot's values, from its positive cells."""
    if len(cells) == 1:
        return SlotMatch((cells[0],), cells[0][2])
    cells.sort()
    if _disjoint(cells):
        # No two positive cells compete: every optimal assignment takes exactly these (in row order,
        # as linear_sum_assignment returns them), and its zero cells are dropped anyway.
        return SlotMatch.of(tuple(cells))
    from scipy.optimize import linear_sum_assignment

    matrix = np.zeros((n_pred, n_gold))
    found = {}
    for i, j, credit, reason in cells:
        matrix[i, j] = credit
        found[(i, j)] = (i, j, credit, reason)
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    return SlotMatch.of(tuple(found[(int(r), int(c))] for r, c in zip(rows, cols) if matrix[r, c] > 0))


def align(preds: Sequence[PredRecord], golds: Sequence[GoldView],
          cells: Mapping[tuple[int, int], Mapping[str, list[Cell]]]) -> list[tuple[int, int, dict[str, SlotMatch]]]:
    """One-to-one alignment of predicted to gold records of one type; never a zero-agreement pair."""
    if not cells:
        return []
    matches: dict[tuple[int, int], dict[str, SlotMatch]] = {}
    credits: dict[tuple[int, int], float] = {}
    for (p, g), by_slot in cells.items():
        pvals, gvals = preds[p].values, golds[g].values
        found = {slot: match_slot(slot_cells, len(pvals[slot]), len(gvals[slot]))
                 for slot, slot_cells in by_slot.items()}
        matches[(p, g)] = found
        credits[(p, g)] = sum(m.credit for m in found.values())
    positive = sorted(pair for pair, credit in credits.items() if credit > 0)
    if _disjoint(positive):
        # Agreement comes in steps of 0.5 and the tie-break adds at most TIE_BREAK < 0.5 in all, so an
        # optimal assignment takes every positive pair when none competes: exactly these, in row order.
        return [(p, g, matches[(p, g)]) for p, g in positive]
    agreement = np.zeros((len(preds), len(golds)))
    for (p, g), credit in credits.items():
        agreement[p, g] = credit
    overlap = np.array([[_jaccard(p.descriptive, g.descriptive) for g in golds] for p in preds])
    from scipy.optimize import linear_sum_assignment

    weight = TIE_BREAK / max(1, min(len(preds), len(golds)))
    rows, cols = linear_sum_assignment(agreement + weight * overlap, maximize=True)
    return [(int(r), int(c), matches[(int(r), int(c))]) for r, c in zip(rows, cols) if agreement[r, c] > 0]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


# --------------------------------------------------------------------------- outcomes

# Every scored slot of the schema gets a number: an outcome is counted as one integer,
# ((unit * N_SLOTS + slot) * 4 + kind), and all counts come from one bincount at the end.
SLOTS: tuple[tuple[str, SlotSpec], ...] = tuple((rtype, spec) for rtype in RECORD_TYPES for spec in SCORED[rtype])
SLOT_NUMBER = {(rtype, spec.name): k for k, (rtype, spec) in enumerate(SLOTS)}
N_SLOTS = len(SLOTS)
SLOT_CATEGORY = np.array([CAT_INDEX[spec.category or "other"] for _, spec in SLOTS], dtype=np.int64)

# How an outcome is explained; the text is written only when someone reads it.
MATCHED, FP_NO_SLOT, FP_NOT_GOLD, FP_NOT_A, FP_UNALIGNED, FN_MISSED, FN_RECORD = range(7)


class Outcomes(Sequence[FactOutcome]):
    """Every outcome of a score, recorded compactly per document and explained as FactOutcomes on demand.

    Scoring a large corpus judges millions of values; writing each explanation eagerly cost more
    than the judging. Order: regime by regime (REGIMES), documents in scope order, scoring order.
    """

    def __init__(self, results: Sequence[DocumentResult]):
        self._results = results
        self._built: tuple[FactOutcome, ...] | None = None
        self.kept = all(result.scorer is not None for result in results)

    def _check(self) -> None:
        if not self.kept:
            raise RuntimeError("outcomes were not kept: score(..., keep_outcomes=True) keeps them")

    def _all(self) -> tuple[FactOutcome, ...]:
        if self._built is None:
            self._built = tuple(self._explained())
        return self._built

    def _explained(self):
        self._check()
        for ri, regime in enumerate(REGIMES):
            for result in self._results:
                for entry in result.entries[ri]:
                    yield _explain(regime, entry)

    def __len__(self) -> int:
        return sum(len(codes) for result in self._results for codes in result.codes)

    def __getitem__(self, index):
        return self._all()[index]

    def __iter__(self):
        return iter(self._built) if self._built is not None else self._explained()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Sequence[FactOutcome]) -> tuple[FactOutcome, ...]:
        return (*self, *other)

    def __repr__(self) -> str:
        return f"Outcomes({len(self)} outcomes)"

    def jsonl(self) -> str:
        """facts.jsonl text (see `facts_jsonl`), document by document."""
        self._check()
        return "".join(result.jsonl(ri) for ri in range(len(REGIMES)) for result in self._results)

    def fact_cells(self):
        """(fact_id, regime, outcome) of every outcome tied to a gold fact, without explaining them."""
        self._check()
        for ri, regime in enumerate(REGIMES):
            for result in self._results:
                for entry in result.entries[ri]:
                    gv = entry[6]
                    if gv is not None:
                        yield gv.fact_id, regime, entry[0]


def _explain(regime: str, entry: tuple) -> FactOutcome:
    """The FactOutcome of a compact entry (see `DocumentResult`)."""
    outcome, spec, rtype, scorer, pred, pv, gv, view, reason, how = entry
    doc_id = scorer.doc.id
    if how == MATCHED:
        return FactOutcome(
            regime=regime, doc_id=doc_id, outcome=outcome, record_type=rtype, slot=spec.name,
            category=gv.category, fact_id=gv.fact_id, gold_record=view.record.id, gold_value=gv.canonical,
            predicted=pv.raw, normalized=pv.normal.display if pv.normal else None, reason=reason,
            explanation=f"{pv.raw!r} matches gold {gv.canonical!r} ({reason}; normalized {pv.normal.display!r})",
            pred_line=pred.prediction.line, evidence=scorer.spans(gv),
        )
    if outcome == "fn":
        if how == FN_MISSED:
            explanation = f"gold {gv.canonical!r} not predicted in the aligned record (line {pred.prediction.line})"
        else:
            explanation = f"no predicted {rtype} aligns with gold record {view.record.id}"
        return FactOutcome(
            regime=regime, doc_id=doc_id, outcome="fn", record_type=gv.record_type, slot=gv.slot,
            category=gv.category, fact_id=gv.fact_id, gold_record=gv.record_id, gold_value=gv.canonical,
            predicted=None, normalized=None, reason=reason, explanation=explanation, evidence=scorer.spans(gv),
        )
    gold = view.record if view is not None else None
    if how == FP_NO_SLOT:
        explanation = f"{pv.raw!r}: gold record {gold.id} has no {spec.name}"
    elif how == FP_NOT_GOLD:
        explanation = f"{pv.raw!r} (normalized {pv.normal.display!r}) is not gold {gv.canonical!r}: {reason}"
    elif how == FP_NOT_A:
        explanation = f"{pv.raw!r} is not a {spec.name} of gold record {gold.id}"
    else:
        explanation = f"{pv.raw!r}: the {rtype} record (line {pred.prediction.line}) matches no gold {rtype}"
    if pv.normal is None:
        reason, explanation = "parse_error", f"{pv.raw!r} cannot be normalized as {spec.value_type}: {pv.error}"
    elif reason in ("spurious", "wrong_value", "wrong_date"):
        # A value that is gold elsewhere (another record, or another slot) is in the wrong record.
        here = (gold.id, spec.name) if gold is not None else None
        elsewhere = next((g for g in scorer.by_key.get(pv.normal.key, ()) if (g.record_id, g.slot) != here), None)
        if elsewhere is not None:
            explanation += f"; {pv.normal.display!r} is gold in record {elsewhere.record_id}, slot {elsewhere.slot}"
            reason = "wrong_record"
    return FactOutcome(
        regime=regime, doc_id=doc_id, outcome="fp", record_type=rtype, slot=spec.name,
        category=spec.category or "other", fact_id=gv.fact_id if gv else None, gold_record=gold.id if gold else None,
        gold_value=gv.canonical if gv else None, predicted=pv.raw,
        normalized=pv.normal.display if pv.normal else None, reason=reason, explanation=explanation,
        pred_line=pred.prediction.line, unsupported=scorer.unsupported(pv), parse_error=pv.normal is None,
        evidence=tuple((s.start, s.end) for s in pred.prediction.evidence),
    )


_FACT_FIELDS = tuple(f.name for f in fields(FactOutcome))
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


class DocumentResult:
    """One document's judgments in every regime: what corpus scores are assembled from.

    A document's outcomes depend only on its gold and its predictions, so a result can be
    computed as soon as the predictions exist (the runner does, while the extractor works on
    the next document) and reused for any scope that holds the document.

    `entries[r]` are regime r's outcomes as (outcome, slot spec, record type, scorer, predicted
    record, predicted value, gold value, gold view, reason, how it is explained); `codes[r]` count
    them, one integer each: (unit * N_SLOTS + slot number) * 4 + kind, where the unit is the gold
    record's position in the document, or the number of records for a value no gold record carries.
    """

    __slots__ = ("codes", "duplicates", "entries", "parse_errors", "predicted_values", "predictions", "scorer",
                 "unknown", "unsupported")

    def __init__(self, scorer: DocumentScorer, predictions: Sequence[Prediction], keep: bool = True):
        self.scorer: DocumentScorer | None = scorer
        self.predictions = tuple(predictions)
        self.unknown: dict[str, int] = {}
        records, self.duplicates = prepare_predictions(self.predictions, scorer.normalizer, self.unknown)
        self.predicted_values = sum(len(values) for record in records for values in record.values.values())
        self.parse_errors = sum(1 for record in records for values in record.values.values()
                                for v in values if v.normal is None)
        self.entries: tuple[list[tuple], ...] = tuple([] for _ in REGIMES)
        self.codes: tuple[list[int], ...] = tuple([] for _ in REGIMES)
        self.unsupported = 0
        scorer.score(records, self)
        if not keep:  # counts only: what explains the outcomes is let go (a large corpus holds no more)
            self.scorer, self.predictions = None, ()
            self.entries = tuple([] for _ in REGIMES)

    def jsonl(self, regime_index: int) -> str:
        """This document's lines of facts.jsonl in one regime."""
        regime, names = REGIMES[regime_index], _FACT_FIELDS
        return "".join([_ENCODE({n: getattr(o, n) for n in names}) + "\n"
                        for o in (_explain(regime, e) for e in self.entries[regime_index])])


# --------------------------------------------------------------------------- judging


class DocumentScorer:
    """Scores one document's predictions in every regime."""

    def __init__(self, doc: GoldDocument):
        self.doc = doc
        # The loader's entity tables, with a memo of predicted strings of this scorer's own.
        self.normalizer = doc.normalizer.fresh() if doc.normalizer is not None else Normalizer(doc.entities)
        self.gold = prepare_gold(doc, self.normalizer)
        self.gold_by_type: dict[str, list[GoldView]] = defaultdict(list)
        for view in self.gold:
            self.gold_by_type[view.record.type].append(view)
        # The unit (gold record) position of each view within the document: records are units in file order.
        self.position = {id(view): i for i, view in enumerate(self.gold)}
        self.index = _GoldIndex(self.gold_by_type)
        self.folded_text = " ".join(doc.document.text.casefold().split())
        self._spans = {gv.fact_id: tuple((s.start, s.end) for s in gv.evidence) for gv in doc.facts()}
        self._unsupported: dict[tuple[str, str | None], bool] = {}
        self.by_key: dict[str, list[GoldValue]] = defaultdict(list)
        for view in self.gold:
            for vals in view.values.values():
                for gv, normals in vals:
                    for n in normals:
                        self.by_key[n.key].append(gv)

    def spans(self, gv: GoldValue) -> tuple[tuple[int, int], ...]:
        found = self._spans.get(gv.fact_id)
        return found if found is not None else tuple((s.start, s.end) for s in gv.evidence)

    def unsupported(self, pv: PredValue) -> bool:
        """A predicted value that is no gold value and does not occur in the text."""
        key = (pv.raw, pv.normal.key if pv.normal is not None else None)
        found = self._unsupported.get(key)
        if found is None:
            found = self._unsupported[key] = not (pv.normal is not None and pv.normal.key in self.by_key) and (
                " ".join(pv.raw.casefold().split()) not in self.folded_text)
        return found

    def score(self, predictions: Sequence[PredRecord], result: DocumentResult) -> None:
        """Judge every value in every regime into `result`."""
        by_type_p: dict[str, list[PredRecord]] = defaultdict(list)
        for record in predictions:
            by_type_p[record.prediction.type].append(record)
        for rtype in RECORD_TYPES:
            preds, golds = by_type_p.get(rtype, ()), self.gold_by_type.get(rtype, ())
            if not preds and not golds:
                continue
            cells = positive_cells(preds, rtype, self.index) if preds and golds else ({}, {})
            for ri, regime_cells in enumerate(cells):
                self._score_type(rtype, preds, golds, align(preds, golds, regime_cells), result, ri)

    def _score_type(self, rtype: str, preds: Sequence[PredRecord], golds: Sequence[GoldView],
                    aligned: list[tuple[int, int, dict[str, SlotMatch]]], result: DocumentResult, ri: int) -> None:
        regime = REGIMES[ri]
        add, code = result.entries[ri].append, result.codes[ri].append
        lenient = regime == "lenient"
        specs = SCORED[rtype]
        numbers = [SLOT_NUMBER[(rtype, spec.name)] * 4 for spec in specs]
        aligned_p = {a[0] for a in aligned}
        aligned_g = {a[1] for a in aligned}
        for pi, gi, matches in aligned:
            pred, view = preds[pi], golds[gi]
            base = self.position[id(view)] * N_SLOTS * 4
            for spec, number in zip(specs, numbers):
                name = spec.name
                pvals = pred.values.get(name, ())
                gvals = view.values.get(name, ())
                if not pvals and not gvals:
                    continue
                match = matches.get(name, NO_MATCH)
                used_p = {m[0] for m in match.pairs}
                used_g = {m[1] for m in match.pairs}
                for i, j, credit, reason in match.pairs:
                    kind = TP if credit == 1.0 else PARTIAL
                    add(("tp" if kind == TP else "partial", spec, rtype, self, pred, pvals[i], gvals[j][0], view,
                         reason, MATCHED))
                    code(base + number + kind)
                for i, pv in enumerate(pvals):
                    if i in used_p:
                        continue
                    target = None
                    if not gvals:
                        how, reason = FP_NO_SLOT, "spurious"
                    else:
                        # The first gold value of the slot left unmatched explains the miss (no_year, wrong_date, ...).
                        first = next((j for j in range(len(gvals)) if j not in used_g), None) if pv.normal else None
                        if first is not None:
                            target = gvals[first]
                            _, reason = compare(pv.normal, target[1], regime)
                            how, target = FP_NOT_GOLD, target[0]
                        else:
                            how, reason = FP_NOT_A, "spurious"
                    add(("fp", spec, rtype, self, pred, pv, target, view, reason, how))
                    code(base + number + FP)
                    if lenient and self.unsupported(pv):
                        result.unsupported += 1
                for j, (gv, _) in enumerate(gvals):
                    if j not in used_g:
                        add(("fn", spec, rtype, self, pred, None, gv, view, "missed", FN_MISSED))
                        code(base + number + FN)
        free = len(self.gold) * N_SLOTS * 4
        for pi, pred in enumerate(preds):
            if pi in aligned_p:
                continue
            for spec, number in zip(specs, numbers):
                for pv in pred.values.get(spec.name, ()):
                    add(("fp", spec, rtype, self, pred, pv, None, None, "spurious", FP_UNALIGNED))
                    code(free + number + FP)
                    if lenient and self.unsupported(pv):
                        result.unsupported += 1
        for gi, view in enumerate(golds):
            if gi in aligned_g:
                continue
            base = self.position[id(view)] * N_SLOTS * 4
            for slot, vals in view.values.items():
                spec = RECORD_TYPES[rtype][slot]
                number = SLOT_NUMBER[(rtype, slot)] * 4
                for gv, _ in vals:
                    add(("fn", spec, rtype, self, None, None, gv, view, "record_missed", FN_RECORD))
                    code(base + number + FN)


# --------------------------------------------------------------------------- aggregation


def counts_of(array: np.ndarray) -> Counts:
    return Counts(int(array[TP]), int(array[PARTIAL]), int(array[FP]), int(array[FN]))


@dataclass(frozen=True)
class Tables:
    """The arrays behind a regime's scores: per gold record x category x outcome, plus spurious per document."""

    units: np.ndarray
    unit_docs: tuple[str, ...]
    spurious: Mapping[str, np.ndarray]

    def fixed(self) -> np.ndarray:
        total = np.zeros((len(CATEGORIES), 4), dtype=np.int64)
        for array in self.spurious.values():
            total += array
        return total


@dataclass(frozen=True)
class _Counted:
    """A regime's counts, from its codes: per unit x slot x kind, then folded every way the report needs."""

    tables: Tables
    slots: np.ndarray  # N_SLOTS x 4
    documents: np.ndarray  # documents x 4


def _global_codes(results: Sequence[DocumentResult], ri: int, unit_base: np.ndarray, n_units: int) -> np.ndarray:
    """Regime ri's codes of every document, with units numbered across the scope (gold records in document
    order, then one unit per document for the values no gold record carries)."""
    lengths = np.fromiter((len(r.codes[ri]) for r in results), dtype=np.int64, count=len(results))
    local = np.fromiter(itertools.chain.from_iterable(r.codes[ri] for r in results), dtype=np.int64,
                        count=int(lengths.sum()))
    position = np.repeat(np.arange(len(results), dtype=np.int64), lengths)
    unit, rest = np.divmod(local, N_SLOTS * 4)
    records = np.diff(np.append(unit_base, n_units))[position]
    unit = np.where(unit == records, n_units + position, unit_base[position] + unit)
    return unit * (N_SLOTS * 4) + rest


def _count(array: np.ndarray, documents: Sequence[str], unit_doc: np.ndarray) -> _Counted:
    n_units = len(unit_doc)
    n_docs = len(documents)
    kind = array % 4
    slot = (array // 4) % N_SLOTS
    unit = array // (4 * N_SLOTS)
    per_slot = np.bincount(slot * 4 + kind, minlength=N_SLOTS * 4).reshape(N_SLOTS, 4)
    by_cat = np.bincount((unit * len(CATEGORIES) + SLOT_CATEGORY[slot]) * 4 + kind,
                         minlength=(n_units + n_docs) * len(CATEGORIES) * 4).reshape(n_units + n_docs,
                                                                                     len(CATEGORIES), 4)
    owner = np.concatenate([unit_doc, np.arange(n_docs, dtype=np.int64)])  # every unit's document position
    per_doc = np.bincount(owner[unit] * 4 + kind, minlength=n_docs * 4).reshape(n_docs, 4)
    free = by_cat[n_units:]
    with_fp = np.flatnonzero(free.reshape(n_docs, len(CATEGORIES) * 4).any(axis=1))
    spurious = {documents[d]: free[d] for d in with_fp}
    unit_docs = tuple(documents[d] for d in unit_doc)
    return _Counted(Tables(by_cat[:n_units], unit_docs, spurious), per_slot, per_doc)


def _has_gold(tables: Tables) -> bool:
    per_cat = tables.units.sum(axis=0) + tables.fixed()
    return counts_of(per_cat.sum(axis=0)).gold > 0


def regime_scores(regime: str, counted: _Counted, documents: Sequence[str], bootstrap: int, seed: int,
                  intervals: tuple | None = None) -> RegimeScores:
    """Metrics of one regime; `intervals` are its bootstrap intervals when already computed."""
    from benchmark.stats import bootstrap_intervals

    tables = counted.tables
    types: dict[str, np.ndarray] = {}
    slots: dict[str, Counts] = {}
    for k, (rtype, spec) in enumerate(SLOTS):
        row = counted.slots[k]
        if row.any():
            slots[f"{rtype}.{spec.name}"] = counts_of(row)
            types[rtype] = types[rtype] + row if rtype in types else row
    per_cat = tables.units.sum(axis=0) + tables.fixed()
    categories = {c: counts_of(per_cat[CAT_INDEX[c]]) for c in CATEGORIES}
    overall = counts_of(per_cat.sum(axis=0))
    with_gold = [c.f1 for c in categories.values() if c.gold]
    macro = sum(with_gold) / len(with_gold) if with_gold else None
    f1_ci, cat_ci = (None, {})
    if bootstrap and overall.gold:
        f1_ci, cat_ci = intervals if intervals is not None else bootstrap_intervals(
            tables.units, tables.fixed(), bootstrap, seed)
    return RegimeScores(
        regime=regime, overall=overall, categories=categories,
        types={k: counts_of(v) for k, v in sorted(types.items())},
        slots=dict(sorted(slots.items())),
        documents={d: counts_of(counted.documents[i]) for i, d in enumerate(documents)},
        macro_f1=macro, f1_ci=f1_ci, category_ci=cat_ci,
    )


@dataclass(frozen=True)
class Scored:
    """A score report plus the arrays that paired statistics (bootstrap, compare) need."""

    report: ScoreReport
    tables: Mapping[str, Tables]


def facts_jsonl(outcomes: Iterable[FactOutcome]) -> str:
    """facts.jsonl text, byte-identical to `runs.facts_jsonl` (json of `dataclasses.asdict`) without its
    recursive deep copies, which cost more than the scoring itself on large runs."""
    if isinstance(outcomes, Outcomes):
        return outcomes.jsonl()
    encode = json.JSONEncoder(ensure_ascii=False).encode
    names = _FACT_FIELDS
    return "".join([encode({n: getattr(o, n) for n in names}) + "\n" for o in outcomes])


_SCORERS: dict[tuple[int, str], DocumentScorer] = {}


def _scorer(doc: GoldDocument) -> DocumentScorer:
    key = (id(doc), doc.id)
    if key not in _SCORERS:
        if len(_SCORERS) > 4096:
            _SCORERS.clear()
        _SCORERS[key] = DocumentScorer(doc)
    return _SCORERS[key]


def score_document(doc: GoldDocument, predictions: Sequence[Prediction], keep: bool = True) -> DocumentResult:
    """Judge one document's predictions (all of the same doc_id) in every regime; `keep`: see `score`."""
    return DocumentResult(_scorer(doc), predictions, keep)


def score(gold: GoldSet, predictions: Iterable[Prediction], documents: Sequence[str] | None = None, *,
          bootstrap: int = 1000, seed: int = 0, problems: Sequence[InputProblem] = (),
          known: Mapping[str, DocumentResult] | None = None, keep_outcomes: bool = True) -> Scored:
    """Score predictions against the gold documents in scope (default: every gold document).

    `known` maps documents to results already computed (by `score_document`) for their predictions;
    those documents are not scored again, and their lines in `predictions` are ignored.
    `keep_outcomes=False` judges every value the same way but keeps only the counts: the report's
    outcomes cannot be read, and memory stays flat on large corpora.
    """
    with no_cycle_collection():
        return _score(gold, predictions, documents, bootstrap=bootstrap, seed=seed, problems=problems,
                      known=known or {}, keep=keep_outcomes)


@contextlib.contextmanager
def no_cycle_collection():
    """Scoring allocates millions of small objects, keeps them, and makes no reference cycles: the
    cyclic collector would rescan the growing heap again and again for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _score(gold: GoldSet, predictions: Iterable[Prediction], documents: Sequence[str] | None, *,
           bootstrap: int, seed: int, problems: Sequence[InputProblem],
           known: Mapping[str, DocumentResult], keep: bool) -> Scored:
    documents = tuple(documents if documents is not None else gold.documents)
    in_scope = set(documents)
    grouped: dict[str, list[Prediction]] = defaultdict(list)
    for prediction in predictions:
        if prediction.doc_id in in_scope and prediction.doc_id not in known:
            grouped[prediction.doc_id].append(prediction)
    results = [known.get(doc_id) or score_document(gold.documents[doc_id], grouped.get(doc_id, ()), keep)
               for doc_id in documents]
    records = np.fromiter((len(gold.documents[d].records) for d in documents), dtype=np.int64, count=len(documents))
    unit_base = np.concatenate([[0], np.cumsum(records)[:-1]]).astype(np.int64) if len(documents) else records
    n_units = int(records.sum())
    unit_doc = np.repeat(np.arange(len(documents), dtype=np.int64), records)
    counted = {regime: _count(_global_codes(results, ri, unit_base, n_units), documents, unit_doc)
               for ri, regime in enumerate(REGIMES)}
    tables = {regime: c.tables for regime, c in counted.items()}
    intervals: dict[str, tuple] = {}
    if bootstrap:
        from benchmark.stats import bootstrap_intervals_many

        # Both regimes resample the same gold records with the same seed: one pass draws for both.
        wanted = [regime for regime in REGIMES if _has_gold(tables[regime])]
        found = bootstrap_intervals_many([(tables[r].units, tables[r].fixed()) for r in wanted], bootstrap, seed)
        intervals = dict(zip(wanted, found))
    regimes = {regime: regime_scores(regime, counted[regime], documents, bootstrap, seed, intervals.get(regime))
               for regime in REGIMES}
    unknown: dict[str, int] = {}
    for result in results:
        for key, count in result.unknown.items():
            unknown[key] = unknown.get(key, 0) + count
    report = ScoreReport(
        gold_sha256=gold.sha256, documents=documents, regimes=regimes, outcomes=Outcomes(results),
        parse_errors=sum(r.parse_errors for r in results), unsupported=sum(r.unsupported for r in results),
        predicted_values=sum(r.predicted_values for r in results), duplicates=sum(r.duplicates for r in results),
        unknown=dict(sorted(unknown.items())), problems=tuple(problems),
    )
    return Scored(report, tables)
