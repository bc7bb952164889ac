"""Outcomes: every judged value, recorded compactly while scoring and explained on demand.

An outcome is counted as one integer and recorded as a tuple of references (the predicted value,
the gold value, the records, the reason); `Outcomes` turns them into `FactOutcome`s, with their
explanation text, only when someone reads them (facts.jsonl, reports).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING

import numpy as np

from benchmark.types import CATEGORIES, RECORD_TYPES, REGIMES, FactOutcome, SlotSpec, scored_slots

if TYPE_CHECKING:
    from benchmark.scoring import DocumentResult

CAT_INDEX = {c: i for i, c in enumerate(CATEGORIES)}
TP, PARTIAL, FP, FN = range(4)
SCORED = {rtype: scored_slots(rtype) for rtype in RECORD_TYPES}


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
                    yield explain(regime, entry)

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


def explain(regime: str, entry: tuple) -> FactOutcome:
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
_ENCODE_JSON = json.JSONEncoder(ensure_ascii=False).encode


def jsonl_lines(outcomes: Iterable[FactOutcome]) -> str:
    """facts.jsonl lines: the JSON of each outcome's fields, as `dataclasses.asdict` gives them, without its
    recursive deep copies (they cost more than the scoring itself on large runs)."""
    names = _FACT_FIELDS
    return "".join([_ENCODE_JSON({n: getattr(o, n) for n in names}) + "\n" for o in outcomes])
