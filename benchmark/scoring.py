"""The scorer: normalize, collapse duplicates, align records, judge every atomic value.

1. Each predicted value is normalized against its document's entity table (values.py).
2. Exact duplicate records (same type, same normal forms) collapse into one.
3. Per document, type and regime, predicted and gold records are aligned one-to-one by
   optimal assignment on the sum of agreeing scored values (1 a match, 0.5 a partial);
   a pair agreeing on nothing is never aligned. Ties break on descriptive-slot token
   overlap, then on the canonical JSON order of the predictions, so line order never matters.
4. Values are compared only within the same slot of aligned records. Every gold value
   ends tp, partial or fn; every predicted value tp, partial or fp, with a reason.

A document's judgments (`DocumentResult`) depend only on its gold and its predictions: the
runner computes them as predictions arrive, and `score` assembles any scope from them, with
counts as integer codes (one bincount) and the paired bootstrap of stats.py.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from benchmark.gold import GoldSet
from benchmark.matching import (
    NO_MATCH,
    GoldIndex,
    GoldView,
    PredRecord,
    PredValue,
    SlotMatch,
    align,
    positive_cells,
)
from benchmark.outcomes import (
    CAT_INDEX,
    FN,
    FN_MISSED,
    FN_RECORD,
    FP,
    FP_NO_SLOT,
    FP_NOT_A,
    FP_NOT_GOLD,
    FP_UNALIGNED,
    MATCHED,
    N_SLOTS,
    PARTIAL,
    SCORED,
    SLOT_CATEGORY,
    SLOT_NUMBER,
    SLOTS,
    TP,
    Outcomes,
    explain,
    jsonl_lines,
)
from benchmark.types import (
    CATEGORIES,
    RECORD_TYPES,
    REGIMES,
    Counts,
    GoldDocument,
    GoldValue,
    InputProblem,
    Prediction,
    RegimeScores,
    ScoreReport,
    SlotSpec,
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

# --------------------------------------------------------------------------- preparation


def _raw_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _pred_values(raw: object, spec: SlotSpec, normalizer: Normalizer) -> tuple[PredValue, ...]:
    if type(raw) is str and not spec.is_list:  # the common case, in short
        if is_no_value(raw):
            return ()
        try:
            return (PredValue(raw, normalizer.normalize(raw, spec.value_type or "")),)
        except NormalizationError as exc:
            return (PredValue(raw, None, str(exc)),)
    # A list holding only no values leaves no items below: only other values need this test.
    if not isinstance(raw, (list, tuple)) and is_no_value(raw):
        return ()
    if spec.is_list:
        items = split_list(raw)
    elif isinstance(raw, (list, tuple)):
        items = [x for x in raw if not is_no_value(x)]
        if len(items) > 1:
            return _scalar_of_several(raw, items, spec, normalizer)
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


def _scalar_of_several(raw: object, items: list[object], spec: SlotSpec, normalizer: Normalizer
                       ) -> tuple[PredValue, ...]:
    """A list in a scalar slot: one value when every item has the same normal form (["Putin", "Vladimir
    Putin"]), else a parse error that keeps each item's string."""
    normals = []
    for item in items:
        try:
            normals.append(normalizer.normalize(item, spec.value_type or ""))
        except NormalizationError:
            break
    else:
        if len({normal.key for normal in normals}) == 1:
            return (PredValue(_raw_text(raw), normals[0], None, tuple(map(_raw_text, items))),)
    return (PredValue(_raw_text(raw), None, "several values in a scalar slot", tuple(map(_raw_text, items))),)


def prepare_predictions(predictions: Iterable[Prediction], normalizer: Normalizer,
                        unknown: dict[str, int]) -> tuple[list[PredRecord], int]:
    """Normalize one document's predictions; returns the records (duplicates collapsed) and the count.

    Records come out by type, then in canonical order (their JSON), whatever the order of lines.
    Of exact duplicates (same type, same normal forms) the one first in canonical order of the
    whole line (with evidence and confidence) survives: which one, and so its raw strings and its
    line, does not depend on the order of lines either.
    """
    groups: dict[tuple, list[PredRecord]] = {}
    for prediction in predictions:
        record = _record(prediction, normalizer, unknown)
        if record is not None:
            groups.setdefault(record.dedup_key, []).append(record)
    duplicates = sum(len(group) - 1 for group in groups.values())
    # min keeps the first of equal keys, as a stable sort would.
    survivors = [group[0] if len(group) == 1 else min(group, key=lambda r: _line_json(r.prediction))
                 for group in groups.values()]
    return _canonical_order(survivors), duplicates


def _canonical_order(records: list[PredRecord]) -> list[PredRecord]:
    """Records by type, then by the JSON of their type and slots, then by that of the whole line.

    Only records of one type are ever compared, so a type with one record needs no key. Two
    survivors write the same JSON only when a Python caller's values are not JSON (a date object
    and its ISO string, both written with str): the whole line then decides, and where that is
    equal too, the normal forms (survivors never share them), so no order is left to the input.
    """
    by_type: dict[str, list[PredRecord]] = {}
    for record in records:
        by_type.setdefault(record.prediction.type, []).append(record)
    ordered: list[PredRecord] = []
    for rtype in sorted(by_type):
        group = by_type[rtype]
        if len(group) > 1:
            keys = {id(r): _record_json(r.prediction) for r in group}
            if len(set(keys.values())) == len(group):
                group.sort(key=lambda r: keys[id(r)])
            else:
                group.sort(key=lambda r: (keys[id(r)], _line_json(r.prediction), r.dedup_key))
        ordered.extend(group)
    return ordered


def _record(prediction: Prediction, normalizer: Normalizer, unknown: dict[str, int]) -> PredRecord | None:
    """One prediction's normalized record, or None for an unknown type (counted in `unknown`)."""
    spec = RECORD_TYPES.get(prediction.type)
    if spec is None:
        unknown[f"type:{prediction.type}"] = unknown.get(f"type:{prediction.type}", 0) + 1
        return None
    values: dict[str, tuple[PredValue, ...]] = {}
    descriptive: list[str] = []
    for slot, raw in prediction.slots.items():
        slot_spec = spec.get(slot)
        if slot_spec is None:
            key = f"slot:{prediction.type}.{slot}"
            unknown[key] = unknown.get(key, 0) + 1
        elif slot_spec.value_type is None:  # descriptive
            if isinstance(raw, str):
                descriptive.extend(text_tokens(raw))
        else:
            found = _pred_values(raw, slot_spec, normalizer)
            if found:
                values[slot] = found
    normal_keys = []
    for slot, vals in values.items():
        keys = [v.normal.key if v.normal else "error:" + v.raw for v in vals]
        normal_keys.append((slot, tuple(sorted(keys) if len(keys) > 1 else keys)))
    if len(normal_keys) > 1:
        normal_keys.sort()
    dedup_key = (prediction.type, tuple(normal_keys), tuple(sorted(set(descriptive))) if descriptive else ())
    return PredRecord(prediction, values, frozenset(descriptive), dedup_key)


_encode_string = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes a string with


def _record_json(prediction: Prediction) -> str:
    """`_json([type, slots])`, written directly when every slot is a string or a list of strings."""
    slots = prediction.slots
    if isinstance(slots, dict) and all(type(slot) is str for slot in slots):
        parts = []
        for slot, raw in sorted(slots.items()):
            if type(raw) is str:
                parts.append(f"{_encode_string(slot)}: {_encode_string(raw)}")
            elif type(raw) is list and all(type(item) is str for item in raw):
                parts.append(f"{_encode_string(slot)}: [{', '.join(map(_encode_string, raw))}]")
            else:
                return _json([prediction.type, slots])
        return f"[{_encode_string(prediction.type)}, {{{', '.join(parts)}}}]"
    return _json([prediction.type, slots])


def _line_json(prediction: Prediction) -> str:
    return _json([prediction.type, prediction.slots, [[s.start, s.end] for s in prediction.evidence],
                  prediction.confidence])


def _json(value: object) -> str:
    """Canonical JSON: sorted keys, anything else written with str. Keys that do not sort together (a
    Python caller's 1 and "a") are written as strings first."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except TypeError:
        return json.dumps(_string_keys(value), sort_keys=True, ensure_ascii=False, default=str)


def _string_keys(value: object) -> object:
    if isinstance(value, dict):
        return {str(key): _string_keys(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_string_keys(item) for item in value]
    return value


_NO_TOKENS: frozenset[str] = frozenset()


def prepare_gold(doc: GoldDocument, normalizer: Normalizer) -> list[GoldView]:
    views = []
    for record in doc.records:
        by_slot: dict[str, list[tuple[GoldValue, tuple[Normal, ...]]]] = {}
        for value in record.values:
            normals = value.normals or normalizer.gold_normals(value.value_type, value.canonical, value.entity_id,
                                                                value.aliases)
            found = by_slot.get(value.slot)
            if found is None:
                by_slot[value.slot] = [(value, normals)]
            else:
                found.append((value, normals))
        tokens = frozenset(t for text in record.descriptive.values() for t in text_tokens(text)) if (
            record.descriptive) else _NO_TOKENS
        views.append(GoldView(record, {k: tuple(v) for k, v in by_slot.items()}, tokens))
    return views


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

    __slots__ = ("codes", "duplicates", "entries", "keep", "parse_errors", "predicted_values", "predictions",
                 "scorer", "unknown", "unsupported")

    def __init__(self, scorer: DocumentScorer, predictions: Sequence[Prediction], keep: bool = True):
        self.scorer: DocumentScorer | None = scorer
        self.predictions = tuple(predictions)
        self.unknown: dict[str, int] = {}
        records, self.duplicates = prepare_predictions(self.predictions, scorer.normalizer, self.unknown)
        self.predicted_values = sum(len(values) for record in records for values in record.values.values())
        self.parse_errors = sum(1 for record in records for values in record.values.values()
                                for v in values if v.normal is None)
        self.keep = keep  # False: counts only, no outcome is built and `entries` stay empty
        self.entries: tuple[list[tuple], ...] = tuple([] for _ in REGIMES)
        self.codes: tuple[list[int], ...] = tuple([] for _ in REGIMES)
        self.unsupported = 0
        scorer.score(records, self)
        if not keep:  # counts only: what explains the outcomes is let go (a large corpus holds no more)
            self.scorer, self.predictions = None, ()

    def jsonl(self, regime_index: int) -> str:
        """This document's lines of facts.jsonl in one regime."""
        regime = REGIMES[regime_index]
        return jsonl_lines(explain(regime, e) for e in self.entries[regime_index])


# --------------------------------------------------------------------------- judging


# Each record type's scored slots with their slot number as a code's part ((... + slot) * 4).
_SLOT_CODES = {rtype: tuple((spec, SLOT_NUMBER[(rtype, spec.name)] * 4) for spec in SCORED[rtype])
               for rtype in RECORD_TYPES}


class DocumentScorer:
    """Scores one document's predictions in every regime."""

    def __init__(self, doc: GoldDocument):
        self.doc = doc
        # The loader's entity tables, with a memo of predicted strings of this scorer's own.
        self.normalizer = doc.normalizer.fresh() if doc.normalizer is not None else Normalizer(doc.entities)
        self.gold = prepare_gold(doc, self.normalizer)
        self.gold_by_type: dict[str, list[GoldView]] = defaultdict(list)
        # The unit (gold record) position of each view within the document: records are units in file order.
        self.position: dict[int, int] = {}
        for i, view in enumerate(self.gold):
            self.gold_by_type[view.record.type].append(view)
            self.position[id(view)] = i
        self.index = GoldIndex(self.gold_by_type)
        self._folded_text: str | None = None  # built on first use: counts-only scoring may need none of these
        self._spans: dict[str, tuple[tuple[int, int], ...]] | None = None
        self._unsupported: dict[tuple[str, tuple[str, ...], str | None], bool] = {}
        self._by_key: dict[str, list[GoldValue]] | None = None
        self._gold_keys: frozenset[str] | None = None

    @property
    def by_key(self) -> dict[str, list[GoldValue]]:
        """The gold values of each normal form's key."""
        if self._by_key is None:
            self._by_key = defaultdict(list)
            for view in self.gold:
                for values in view.values.values():
                    for gv, normals in values:
                        for n in normals:
                            self._by_key[n.key].append(gv)
        return self._by_key

    def spans(self, gv: GoldValue) -> tuple[tuple[int, int], ...]:
        if self._spans is None:
            self._spans = {f.fact_id: tuple((s.start, s.end) for s in f.evidence) for f in self.doc.facts()}
        found = self._spans.get(gv.fact_id)
        return found if found is not None else tuple((s.start, s.end) for s in gv.evidence)

    def unsupported(self, pv: PredValue) -> bool:
        """A predicted value that is no gold value and does not occur in the text."""
        key = (pv.raw, pv.parts, pv.normal.key if pv.normal is not None else None)
        found = self._unsupported.get(key)
        if found is None:
            if self._folded_text is None:
                self._folded_text = " ".join(self.doc.document.text.casefold().split())
                # Every gold normal form's key: by_key without the values, which only explanations need.
                self._gold_keys = frozenset(n.key for view in self.gold for values in view.values.values()
                                            for _, normals in values for n in normals)
            # Several values given as one are supported when one of them is in the text.
            found = self._unsupported[key] = not (pv.normal is not None and pv.normal.key in self._gold_keys) and all(
                " ".join(text.casefold().split()) not in self._folded_text for text in pv.parts or (pv.raw,))
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
            strict, lenient = positive_cells(preds, rtype, self.index) if preds and golds else ({}, None)
            entries, codes = result.entries[0], result.codes[0]
            first_entry, first_code = len(entries), len(codes)
            self._score_type(rtype, preds, golds, align(preds, golds, strict), result, 0)
            if lenient is None:
                # No lenient credit beyond strict: the same alignment, outcomes and reasons (a gold value
                # a lenient comparison would credit is always a cell).
                result.codes[1].extend(codes[first_code:])
                result.entries[1].extend(entries[first_entry:])
            else:
                self._score_type(rtype, preds, golds, align(preds, golds, lenient), result, 1)

    def _score_type(self, rtype: str, preds: Sequence[PredRecord], golds: Sequence[GoldView],
                    aligned: list[tuple[int, int, dict[str, SlotMatch]]], result: DocumentResult, ri: int) -> None:
        """Judge one record type in regime ri (0: strict, which also counts the unsupported fps).

        Unsupported fps are counted once, in strict: an unsupported value has a normal form no gold value has, so it
        earns no strict credit and is an fp there (a lenient partial, "2020-11" for 2020-11-09, is one too).
        """
        regime = REGIMES[ri]
        count_unsupported = ri == 0
        add, code = result.entries[ri].append, result.codes[ri].append
        keep = result.keep
        slots = _SLOT_CODES[rtype]
        aligned_p = {a[0] for a in aligned}
        aligned_g = {a[1] for a in aligned}
        for pi, gi, matches in aligned:
            pred, view = preds[pi], golds[gi]
            base = self.position[id(view)] * N_SLOTS * 4
            for spec, number in slots:
                name = spec.name
                pvals = pred.values.get(name, ())
                gvals = view.values.get(name, ())
                if not pvals and not gvals:
                    continue
                pairs = matches.get(name, NO_MATCH).pairs
                for i, j, credit, reason in pairs:
                    kind = TP if credit == 1.0 else PARTIAL
                    if keep:
                        add(("tp" if kind == TP else "partial", spec, rtype, self, pred, pvals[i], gvals[j][0], view,
                             reason, MATCHED))
                    code(base + number + kind)
                if len(pairs) == len(pvals) == len(gvals):  # every value of the slot matched: no fp, no fn
                    continue
                used_p = {m[0] for m in pairs}
                used_g = {m[1] for m in pairs}
                for i, pv in enumerate(pvals):
                    if i in used_p:
                        continue
                    if keep:  # what explains the fp
                        target: GoldValue | None = None
                        if not gvals:
                            how, reason = FP_NO_SLOT, "spurious"
                        else:
                            # The first gold value of the slot left unmatched explains the miss (no_year, ...).
                            first = next((j for j in range(len(gvals)) if j not in used_g), None) if pv.normal else None
                            if first is not None:
                                pair = gvals[first]
                                _, reason = compare(pv.normal, pair[1], regime)
                                how, target = FP_NOT_GOLD, pair[0]
                            else:
                                how, reason = FP_NOT_A, "spurious"
                        add(("fp", spec, rtype, self, pred, pv, target, view, reason, how))
                    code(base + number + FP)
                    if count_unsupported and self.unsupported(pv):
                        result.unsupported += 1
                for j, (gv, _) in enumerate(gvals):
                    if j not in used_g:
                        if keep:
                            add(("fn", spec, rtype, self, pred, None, gv, view, "missed", FN_MISSED))
                        code(base + number + FN)
        free = len(self.gold) * N_SLOTS * 4
        for pi, pred in enumerate(preds):
            if pi in aligned_p:
                continue
            for spec, number in slots:
                for pv in pred.values.get(spec.name, ()):
                    if keep:
                        add(("fp", spec, rtype, self, pred, pv, None, None, "spurious", FP_UNALIGNED))
                    code(free + number + FP)
                    if count_unsupported and self.unsupported(pv):
                        result.unsupported += 1
        for gi, view in enumerate(golds):
            if gi in aligned_g:
                continue
            base = self.position[id(view)] * N_SLOTS * 4
            for slot, vals in view.values.items():
                spec = RECORD_TYPES[rtype][slot]
                number = SLOT_NUMBER[(rtype, slot)] * 4
                for gv, _ in vals:
                    if keep:
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
    spurious = {documents[int(d)]: free[d] for d in with_fp}
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
          known: Mapping[str, DocumentResult] | None = None, keep_outcomes: bool = True, jobs: int = 1) -> Scored:
    """Score predictions against the gold documents in scope (default: every gold document).

    `known` maps documents to results already computed (by `score_document`) for their predictions;
    those documents are not scored again, and their lines in `predictions` are ignored.
    `keep_outcomes=False` judges every value the same way but keeps only the counts: the report's
    outcomes cannot be read, and memory stays flat on large corpora. `jobs` processes (0: every
    core; see parallel.py) score the documents when counting only, and share the bootstrap; the
    report is the same for any `jobs`.
    """
    with no_cycle_collection():
        return _score(gold, predictions, documents, bootstrap=bootstrap, seed=seed, problems=problems,
                      known=known or {}, keep=keep_outcomes, jobs=jobs)


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
           known: Mapping[str, DocumentResult], keep: bool, jobs: int = 1) -> Scored:
    documents = tuple(documents if documents is not None else gold.documents)
    in_scope = set(documents)
    grouped: dict[str, list[Prediction]] = defaultdict(list)
    for prediction in predictions:
        if prediction.doc_id in in_scope and prediction.doc_id not in known:
            grouped[prediction.doc_id].append(prediction)
    if keep:
        computed = {d: score_document(gold.documents[d], grouped.get(d, ()), True) for d in documents
                    if d not in known}
    else:
        from benchmark.parallel import score_counts

        computed = score_counts(gold, grouped, [d for d in documents if d not in known], jobs)
    results = [known.get(doc_id) or computed[doc_id] for doc_id in documents]
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
        from benchmark.parallel import usable_jobs

        found = bootstrap_intervals_many([(tables[r].units, tables[r].fixed()) for r in wanted], bootstrap, seed,
                                         jobs=usable_jobs(jobs))
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
