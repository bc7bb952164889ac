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

import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

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


@dataclass(frozen=True)
class SlotMatch:
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
    """Normalize one document's predictions; returns the records (duplicates collapsed) and the count."""
    records: list[PredRecord] = []
    seen: set[tuple] = set()
    duplicates = 0
    # Canonical order first: which of two duplicates survives (its raw strings, its line) never
    # depends on the order of lines.
    predictions = sorted(predictions, key=lambda p: json.dumps(
        [p.type, p.slots, [[s.start, s.end] for s in p.evidence], p.confidence],
        sort_keys=True, ensure_ascii=False, default=str))
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
            normals = normalizer.gold_normals(value.value_type, value.canonical, value.entity_id, value.aliases)
            by_slot[value.slot].append((value, normals))
        tokens = frozenset(t for text in record.descriptive.values() for t in text_tokens(text))
        views.append(GoldView(record, {k: tuple(v) for k, v in by_slot.items()}, tokens))
    return views


# --------------------------------------------------------------------------- matching


_PARSE_ERROR = (0.0, "parse_error")


def _compare(pred: PredValue, gold: tuple[GoldValue, tuple[Normal, ...]], regime: str,
             memo: dict | None) -> tuple[float, str]:
    """`compare` of a predicted value and a gold value, remembered per (normal form, gold value, regime).

    Normal forms come from the document's normalizer cache and gold forms from its GoldViews, so
    both live as long as the memo (a DocumentScorer's): their ids are stable keys.
    """
    if pred.normal is None:
        return _PARSE_ERROR
    if memo is None:
        return compare(pred.normal, gold[1], regime)
    key = (id(pred.normal), id(gold[1]), regime)
    found = memo.get(key)
    if found is None:
        found = memo[key] = compare(pred.normal, gold[1], regime)
    return found


def _disjoint(positive: list[tuple[int, int]]) -> bool:
    """True when no two positive cells share a row or a column (a partial permutation)."""
    return len({r for r, _ in positive}) == len(positive) == len({c for _, c in positive})


def match_slot(preds: Sequence[PredValue], golds: Sequence[tuple[GoldValue, tuple[Normal, ...]]],
               regime: str, memo: dict | None = None) -> SlotMatch:
    """Optimal one-to-one matching of a slot's predicted and gold values."""
    if not preds or not golds:
        return NO_MATCH
    scores = [[_compare(p, g, regime, memo) for g in golds] for p in preds]
    if len(preds) == 1 and len(golds) == 1:
        credit, reason = scores[0][0]
        return SlotMatch.of(((0, 0, credit, reason),) if credit > 0 else ())
    positive = [(r, c) for r, row in enumerate(scores) for c, s in enumerate(row) if s[0] > 0]
    if _disjoint(positive):
        # No two positive cells compete: every optimal assignment takes exactly these (in row order,
        # as linear_sum_assignment returns them), and its zero cells are dropped anyway.
        return SlotMatch.of(tuple((r, c, scores[r][c][0], scores[r][c][1]) for r, c in positive))
    from scipy.optimize import linear_sum_assignment

    matrix = np.array([[s[0] for s in row] for row in scores])
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    return SlotMatch.of(tuple((int(r), int(c), scores[r][c][0], scores[r][c][1])
                              for r, c in zip(rows, cols) if matrix[r, c] > 0))


def _pair_matches(pred: PredRecord, gold: GoldView, regime: str, memo: dict | None = None) -> dict[str, SlotMatch]:
    pvals, gvals = pred.values, gold.values
    return {
        spec.name: match_slot(pvals.get(spec.name, ()), gvals.get(spec.name, ()), regime, memo)
        for spec in SCORED[gold.record.type]
    }


def _gold_hooks(view: GoldView, lenient: bool) -> set[tuple[str, str]]:
    """What a predicted value must bring to earn credit against this gold record (see `_pred_hooks`)."""
    hooks = set()
    for slot, values in view.values.items():
        for _, normals in values:
            for n in normals:
                hooks.add((slot, n.key))
            head = normals[0]
            if lenient:
                if head.date is not None:
                    hooks.update((slot, "trunc:" + t) for t in head.date.truncations())
                if head.value_type == OFFICE and head.country is not None:
                    hooks.add((slot, "role:" + str(head.role)))
                if head.value_type == TEXT:
                    hooks.add((slot, "text"))
    return hooks


def _pred_hooks(record: PredRecord, lenient: bool) -> set[tuple[str, str]]:
    """A superset of the ways a predicted record can agree with a gold record: every case where
    `compare` gives credit (equal keys; leniently, a truncated date, an office without its country,
    any TEXT value) shares a hook with the gold record. No shared hook: no agreement at all."""
    hooks = set()
    for slot, values in record.values.items():
        for pv in values:
            n = pv.normal
            if n is None:
                continue
            hooks.add((slot, n.key))
            if lenient:
                if n.value_type == DATE and n.date is not None and not n.no_year:
                    hooks.add((slot, "trunc:" + n.date.iso))
                elif n.value_type == OFFICE and n.country is None:
                    hooks.add((slot, "role:" + str(n.role)))
                elif n.value_type == TEXT:
                    hooks.add((slot, "text"))
    return hooks


def align(preds: Sequence[PredRecord], golds: Sequence[GoldView], regime: str, memo: dict | None = None
          ) -> list[tuple[int, int, dict[str, SlotMatch]]]:
    """One-to-one alignment of predicted to gold records of one type; never a zero-agreement pair."""
    if not preds or not golds:
        return []
    lenient = regime == "lenient"
    gold_hooks = [_gold_hooks(g, lenient) for g in golds]
    matches = []
    for p in preds:
        hooks = _pred_hooks(p, lenient)
        # Pairs that share no hook agree on nothing: they are never aligned, so never matched here.
        matches.append([_pair_matches(p, g, regime, memo) if not hooks.isdisjoint(gh) else None
                        for g, gh in zip(golds, gold_hooks)])
    credits = [[sum(m.credit for m in row_m.values()) if row_m is not None else 0.0 for row_m in row]
               for row in matches]
    positive = [(r, c) for r, row in enumerate(credits) for c, credit in enumerate(row) if credit > 0]
    if not positive:
        return []
    if _disjoint(positive):
        # Agreement comes in steps of 0.5 and the tie-break adds at most TIE_BREAK < 0.5 in all, so an
        # optimal assignment takes every positive pair when none competes: exactly these, in row order.
        return [(r, c, matches[r][c]) for r, c in positive]
    agreement = np.array(credits)
    overlap = np.array([[_jaccard(p.descriptive, g.descriptive) for g in golds] for p in preds])
    from scipy.optimize import linear_sum_assignment

    weight = TIE_BREAK / max(1, min(len(preds), len(golds)))
    rows, cols = linear_sum_assignment(agreement + weight * overlap, maximize=True)
    return [(int(r), int(c), matches[r][c]) for r, c in zip(rows, cols) if agreement[r, c] > 0]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


# --------------------------------------------------------------------------- judging


class _Tally:
    """Outcomes of one regime, plus the per-gold-record arrays the bootstrap resamples."""

    def __init__(self, regime: str, gold_index: Mapping[tuple[str, str], int]):
        self.regime = regime
        self.outcomes: list[FactOutcome] = []
        self.units = np.zeros((len(gold_index), len(CATEGORIES), 4), dtype=np.int64)
        self.doc_spurious: dict[str, np.ndarray] = {}
        self.gold_index = gold_index
        self.unsupported = 0

    def add(self, outcome: FactOutcome, unit: tuple[str, str] | None) -> None:
        self.outcomes.append(outcome)
        kind = KIND[outcome.outcome]
        cat = CAT_INDEX[outcome.category]
        if unit is not None:
            self.units[self.gold_index[unit], cat, kind] += 1
        else:
            self.doc_spurious.setdefault(outcome.doc_id, np.zeros((len(CATEGORIES), 4), dtype=np.int64))
            self.doc_spurious[outcome.doc_id][cat, kind] += 1
        if outcome.unsupported:
            self.unsupported += 1


def _explain_match(pv: PredValue, gv: GoldValue, reason: str) -> str:
    return f"{pv.raw!r} matches gold {gv.canonical!r} ({reason}; normalized {pv.normal.display!r})"


class DocumentScorer:
    """Scores one document's predictions in every regime."""

    def __init__(self, doc: GoldDocument):
        self.doc = doc
        self.normalizer = Normalizer(doc.entities)
        self.gold = prepare_gold(doc, self.normalizer)
        self.gold_keys = {n.key for view in self.gold for vals in view.values.values() for _, ns in vals for n in ns}
        self.folded_text = " ".join(doc.document.text.casefold().split())
        self.memo: dict[tuple[int, int, str], tuple[float, str]] = {}  # compare() results, see _compare
        self.spans = {gv.fact_id: tuple((s.start, s.end) for s in gv.evidence) for gv in doc.facts()}
        self.by_key: dict[str, list[GoldValue]] = defaultdict(list)
        for view in self.gold:
            for vals in view.values.values():
                for gv, normals in vals:
                    for n in normals:
                        self.by_key[n.key].append(gv)

    def _spans(self, gv: GoldValue) -> tuple[tuple[int, int], ...]:
        found = self.spans.get(gv.fact_id)
        return found if found is not None else tuple((s.start, s.end) for s in gv.evidence)

    def _unsupported(self, pv: PredValue) -> bool:
        if pv.normal is not None and pv.normal.key in self.gold_keys:
            return False
        return " ".join(pv.raw.casefold().split()) not in self.folded_text

    def _fp(self, tally: _Tally, pred: PredRecord, spec: SlotSpec, pv: PredValue, reason: str,
            explanation: str, gold: GoldRecord | None, gold_value: GoldValue | None = None) -> None:
        if pv.normal is None:
            reason, explanation = "parse_error", f"{pv.raw!r} cannot be normalized as {spec.value_type}: {pv.error}"
        elif reason in ("spurious", "wrong_value", "wrong_date"):
            # A value that is gold elsewhere (another record, or another slot) is in the wrong record.
            here = (gold.id, spec.name) if gold is not None else None
            elsewhere = next((gv for gv in self.by_key.get(pv.normal.key, ())
                              if (gv.record_id, gv.slot) != here), None)
            if elsewhere is not None:
                explanation += (f"; {pv.normal.display!r} is gold in record {elsewhere.record_id}, "
                                f"slot {elsewhere.slot}")
                reason = "wrong_record"
        unit = (self.doc.id, gold.id) if gold is not None else None
        tally.add(FactOutcome(
            regime=tally.regime, doc_id=self.doc.id, outcome="fp", record_type=pred.prediction.type,
            slot=spec.name, category=spec.category or "other", fact_id=gold_value.fact_id if gold_value else None,
            gold_record=gold.id if gold else None, gold_value=gold_value.canonical if gold_value else None,
            predicted=pv.raw, normalized=pv.normal.display if pv.normal else None, reason=reason,
            explanation=explanation, pred_line=pred.prediction.line, unsupported=self._unsupported(pv),
            parse_error=pv.normal is None,
            evidence=tuple((s.start, s.end) for s in pred.prediction.evidence),
        ), unit)

    def _fn(self, tally: _Tally, gv: GoldValue, reason: str, explanation: str) -> None:
        tally.add(FactOutcome(
            regime=tally.regime, doc_id=self.doc.id, outcome="fn", record_type=gv.record_type, slot=gv.slot,
            category=gv.category, fact_id=gv.fact_id, gold_record=gv.record_id, gold_value=gv.canonical,
            predicted=None, normalized=None, reason=reason, explanation=explanation,
            evidence=self._spans(gv),
        ), (self.doc.id, gv.record_id))

    def _judge_pair(self, tally: _Tally, pred: PredRecord, gold: GoldView, matches: Mapping[str, SlotMatch]) -> None:
        for spec in SCORED[gold.record.type]:
            pvals = pred.values.get(spec.name, ())
            gvals = gold.values.get(spec.name, ())
            match = matches[spec.name]
            used_p = {m[0] for m in match.pairs}
            used_g = {m[1] for m in match.pairs}
            for pi, gi, credit, reason in match.pairs:
                pv, (gv, _) = pvals[pi], gvals[gi]
                tally.add(FactOutcome(
                    regime=tally.regime, doc_id=self.doc.id, outcome="tp" if credit == 1.0 else "partial",
                    record_type=gold.record.type, slot=spec.name, category=gv.category, fact_id=gv.fact_id,
                    gold_record=gold.record.id, gold_value=gv.canonical, predicted=pv.raw,
                    normalized=pv.normal.display if pv.normal else None, reason=reason,
                    explanation=_explain_match(pv, gv, reason), pred_line=pred.prediction.line,
                    evidence=self._spans(gv),
                ), (self.doc.id, gold.record.id))
            missing = [gvals[i][0] for i in range(len(gvals)) if i not in used_g]
            for pi, pv in enumerate(pvals):
                if pi in used_p:
                    continue
                if not gvals:
                    self._fp(tally, pred, spec, pv, "spurious",
                             f"{pv.raw!r}: gold record {gold.record.id} has no {spec.name}", gold.record)
                    continue
                # The first gold value of the slot left unmatched explains the miss (no_year, wrong_date, ...).
                first = next((i for i in range(len(gvals)) if i not in used_g), None) if pv.normal else None
                if first is not None:
                    _, reason = _compare(pv, gvals[first], tally.regime, self.memo)
                    target = gvals[first][0]
                    text = (f"{pv.raw!r} (normalized {pv.normal.display!r}) is not gold {target.canonical!r}: "
                            f"{reason}")
                    self._fp(tally, pred, spec, pv, reason, text, gold.record, target)
                else:
                    self._fp(tally, pred, spec, pv, "spurious",
                             f"{pv.raw!r} is not a {spec.name} of gold record {gold.record.id}", gold.record)
            for gv in missing:
                self._fn(tally, gv, "missed", f"gold {gv.canonical!r} not predicted in the aligned record "
                                               f"(line {pred.prediction.line})")

    def score(self, predictions: Sequence[PredRecord], tally: _Tally) -> None:
        by_type_p: dict[str, list[PredRecord]] = defaultdict(list)
        for record in predictions:
            by_type_p[record.prediction.type].append(record)
        by_type_g: dict[str, list[GoldView]] = defaultdict(list)
        for view in self.gold:
            by_type_g[view.record.type].append(view)
        for rtype in RECORD_TYPES:
            preds, golds = by_type_p.get(rtype, []), by_type_g.get(rtype, [])
            aligned = align(preds, golds, tally.regime, self.memo)
            aligned_p = {a[0] for a in aligned}
            aligned_g = {a[1] for a in aligned}
            for pi, gi, matches in aligned:
                self._judge_pair(tally, preds[pi], golds[gi], matches)
            for pi, pred in enumerate(preds):
                if pi in aligned_p:
                    continue
                for spec in SCORED[rtype]:
                    for pv in pred.values.get(spec.name, ()):
                        self._fp(tally, pred, spec, pv, "spurious",
                                 f"{pv.raw!r}: the {rtype} record (line {pred.prediction.line}) matches no gold "
                                 f"{rtype}", None)
            for gi, view in enumerate(golds):
                if gi in aligned_g:
                    continue
                for vals in view.values.values():
                    for gv, _ in vals:
                        self._fn(tally, gv, "record_missed", f"no predicted {rtype} aligns with gold record "
                                                               f"{view.record.id}")


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


def _has_gold(tables: Tables) -> bool:
    per_cat = tables.units.sum(axis=0) + tables.fixed()
    return counts_of(per_cat.sum(axis=0)).gold > 0


def regime_scores(regime: str, outcomes: Sequence[FactOutcome], tables: Tables, documents: Sequence[str],
                  bootstrap: int, seed: int, intervals: tuple | None = None) -> RegimeScores:
    """Metrics of one regime; `intervals` are its bootstrap intervals when already computed."""
    from benchmark.stats import bootstrap_intervals

    types: dict[str, list[int]] = {}
    slots: dict[str, list[int]] = {}
    docs: dict[str, list[int]] = {}
    for o in outcomes:
        i = KIND[o.outcome]
        rtype = o.record_type
        row = types.get(rtype)
        if row is None:
            row = types[rtype] = [0, 0, 0, 0]
        row[i] += 1
        key = f"{rtype}.{o.slot}"
        row = slots.get(key)
        if row is None:
            row = slots[key] = [0, 0, 0, 0]
        row[i] += 1
        row = docs.get(o.doc_id)
        if row is None:
            row = docs[o.doc_id] = [0, 0, 0, 0]
        row[i] += 1
    per_cat = tables.units.sum(axis=0) + tables.fixed()
    categories = {c: counts_of(per_cat[CAT_INDEX[c]]) for c in CATEGORIES}
    overall = counts_of(per_cat.sum(axis=0))
    with_gold = [c.f1 for c in categories.values() if c.gold]
    macro = sum(with_gold) / len(with_gold) if with_gold else None
    f1_ci, cat_ci = (None, {})
    if bootstrap and overall.gold:
        f1_ci, cat_ci = intervals if intervals is not None else bootstrap_intervals(
            tables.units, tables.fixed(), bootstrap, seed)
    zero = (0, 0, 0, 0)
    documents_counts = {d: counts_of(docs.get(d, zero)) for d in documents}
    return RegimeScores(
        regime=regime, overall=overall, categories=categories,
        types={k: counts_of(v) for k, v in sorted(types.items())},
        slots={k: counts_of(v) for k, v in sorted(slots.items())},
        documents=documents_counts, macro_f1=macro, f1_ci=f1_ci, category_ci=cat_ci,
    )


@dataclass(frozen=True)
class Scored:
    """A score report plus the arrays that paired statistics (bootstrap, compare) need."""

    report: ScoreReport
    tables: Mapping[str, Tables]


def facts_jsonl(outcomes: Iterable[FactOutcome]) -> str:
    """facts.jsonl text, byte-identical to `runs.facts_jsonl` (json of `dataclasses.asdict`) without its
    recursive deep copies, which cost more than the scoring itself on large runs."""
    names = tuple(f.name for f in fields(FactOutcome))
    dumps = json.dumps
    return "".join(dumps({n: getattr(o, n) for n in names}, ensure_ascii=False) + "\n" for o in outcomes)


_SCORERS: dict[tuple[int, str], DocumentScorer] = {}


def _scorer(doc: GoldDocument) -> DocumentScorer:
    key = (id(doc), doc.id)
    if key not in _SCORERS:
        if len(_SCORERS) > 4096:
            _SCORERS.clear()
        _SCORERS[key] = DocumentScorer(doc)
    return _SCORERS[key]


def score(gold: GoldSet, predictions: Iterable[Prediction], documents: Sequence[str] | None = None, *,
          bootstrap: int = 1000, seed: int = 0, problems: Sequence[InputProblem] = ()) -> Scored:
    """Score predictions against the gold documents in scope (default: every gold document)."""
    # Scoring allocates millions of small objects and frees none until the end: the cyclic
    # collector would rescan the growing heap again and again for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _score(gold, predictions, documents, bootstrap=bootstrap, seed=seed, problems=problems)
    finally:
        if enabled:
            gc.enable()


def _score(gold: GoldSet, predictions: Iterable[Prediction], documents: Sequence[str] | None, *,
           bootstrap: int, seed: int, problems: Sequence[InputProblem]) -> Scored:
    documents = tuple(documents if documents is not None else gold.documents)
    in_scope = set(documents)
    grouped: dict[str, list[Prediction]] = defaultdict(list)
    for prediction in predictions:
        if prediction.doc_id in in_scope:
            grouped[prediction.doc_id].append(prediction)
    gold_index = {(d, r.id): i for i, (d, r) in enumerate(
        (d, r) for d in documents for r in gold.documents[d].records)}
    unit_docs = tuple(d for d in documents for _ in gold.documents[d].records)
    tallies = {regime: _Tally(regime, gold_index) for regime in REGIMES}
    unknown: dict[str, int] = {}
    duplicates = parse_errors = predicted_values = 0
    for doc_id in documents:
        scorer = _scorer(gold.documents[doc_id])
        records, dups = prepare_predictions(grouped.get(doc_id, ()), scorer.normalizer, unknown)
        duplicates += dups
        for record in records:
            for values in record.values.values():
                predicted_values += len(values)
                parse_errors += sum(1 for v in values if v.normal is None)
        for tally in tallies.values():
            scorer.score(records, tally)
    regimes = {}
    tables = {regime: Tables(tally.units, unit_docs, tally.doc_spurious) for regime, tally in tallies.items()}
    intervals: dict[str, tuple] = {}
    if bootstrap:
        from benchmark.stats import bootstrap_intervals_many

        # Both regimes resample the same gold records with the same seed: one pass draws for both.
        wanted = [regime for regime in tallies if _has_gold(tables[regime])]
        found = bootstrap_intervals_many([(tables[r].units, tables[r].fixed()) for r in wanted], bootstrap, seed)
        intervals = dict(zip(wanted, found))
    for regime, tally in tallies.items():
        regimes[regime] = regime_scores(regime, tally.outcomes, tables[regime], documents, bootstrap, seed,
                                        intervals.get(regime))
    outcomes = tuple(o for regime in REGIMES for o in tallies[regime].outcomes)
    report = ScoreReport(
        gold_sha256=gold.sha256, documents=documents, regimes=regimes, outcomes=outcomes,
        parse_errors=parse_errors, unsupported=tallies["lenient"].unsupported,
        predicted_values=predicted_values, duplicates=duplicates, unknown=dict(sorted(unknown.items())),
        problems=tuple(problems),
    )
    return Scored(report, tables)
