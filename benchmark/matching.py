"""Matching: which predicted values can earn credit against which gold values, and the optimal
one-to-one pairing of values within a slot and of records within a type.

The scorer (scoring.py) normalizes both sides into the types below, asks `positive_cells` for
every (predicted value, gold value) pair with credit, found through an index of the gold by key
rather than by comparing every pair, and aligns records with `align`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from benchmark.assignment import maximum_assignment
from benchmark.types import DATE, OFFICE, TEXT, GoldRecord, GoldValue, Prediction
from benchmark.values import Normal, compare

TIE_BREAK = 0.4  # summed over every aligned pair, descriptive overlap never outweighs half a value


# The per-value and per-record types of scoring are named tuples: there are millions of them on a large
# corpus, and a named tuple is built several times faster than a frozen dataclass.


class PredValue(NamedTuple):
    raw: str
    normal: Normal | None
    error: str | None = None
    parts: tuple[str, ...] = ()  # a list given to a scalar slot: the strings of its items


class PredRecord(NamedTuple):
    prediction: Prediction
    values: Mapping[str, tuple[PredValue, ...]]
    descriptive: frozenset[str]
    dedup_key: tuple  # type and normal forms: equal for exact duplicates


class GoldView(NamedTuple):
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


class GoldIndex:
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
        keys = self.keys
        for rtype, views in by_type.items():
            for g, view in enumerate(views):
                for slot, values in view.values.items():
                    for j, (_, normals) in enumerate(values):
                        entry = (g, j, normals)
                        head = normals[0]
                        if len(normals) == 1:
                            keys[(rtype, slot, head.key)].append(entry)
                        else:
                            for key in dict.fromkeys(n.key for n in normals):
                                keys[(rtype, slot, key)].append(entry)
                        if head.value_type in LENIENT_TYPES:
                            if head.date is not None:
                                for t in head.date.truncations():
                                    self.truncations[(rtype, slot, t)].append(entry)
                            elif head.value_type == OFFICE and head.country is not None:
                                self.roles[(rtype, slot, head.role)].append(entry)
                            elif head.value_type == TEXT:
                                self.texts[(rtype, slot)].append(entry)

    def lenient_candidates(self, rtype: str, slot: str, normal: Normal):
        """Gold values a lenient comparison may credit beyond equal keys (only for LENIENT_TYPES)."""
        if normal.value_type == DATE:
            if normal.date is not None and not normal.no_year:
                return self.truncations.get((rtype, slot, normal.date.iso))
        elif normal.value_type == OFFICE:
            if normal.country is None:
                return self.roles.get((rtype, slot, normal.role))
        elif normal.value_type == TEXT:
            return self.texts.get((rtype, slot))
        return None


LENIENT_TYPES = frozenset({DATE, OFFICE, TEXT})  # the value types with lenient credit beyond equal keys

Cell = tuple[int, int, float, str]  # (pred value index, gold value index, credit, reason) within one slot


CellsByPair = dict[tuple[int, int], dict[str, list[Cell]]]  # (pred record, gold record) -> slot -> cells


def positive_cells(preds: Sequence[PredRecord], rtype: str, index: GoldIndex
                   ) -> tuple[CellsByPair, CellsByPair | None]:
    """Every (predicted value, gold value) pair with credit, per record pair and slot: (strict, lenient).

    Equal keys earn the same credit in both regimes; the lenient extras come on top. Lenient is None
    when it has no extra (most record types of most documents): then both regimes judge alike.
    """
    strict: CellsByPair = {}
    lenient: CellsByPair | None = None
    keys = index.keys
    for p, record in enumerate(preds):
        for slot, pvals in record.values.items():
            for i, pv in enumerate(pvals):
                normal = pv.normal
                if normal is None:
                    continue
                hits = keys.get((rtype, slot, normal.key), ())
                for g, j, normals in hits:
                    credit, reason = compare(normal, normals, "strict")
                    cell = (i, j, credit, reason)
                    strict.setdefault((p, g), {}).setdefault(slot, []).append(cell)
                    if lenient is not None:
                        lenient.setdefault((p, g), {}).setdefault(slot, []).append(cell)
                if normal.value_type not in LENIENT_TYPES:
                    continue
                candidates = index.lenient_candidates(rtype, slot, normal)
                if not candidates:
                    continue
                full = {(g, j) for g, j, _ in hits}
                for g, j, normals in candidates:
                    if (g, j) in full:
                        continue
                    credit, reason = compare(normal, normals, "lenient")
                    if credit > 0:
                        if lenient is None:  # the first extra: lenient starts as every strict cell so far
                            lenient = {pair: {k: list(v) for k, v in by_slot.items()}
                                       for pair, by_slot in strict.items()}
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
    matrix = [[0.0] * n_gold for _ in range(n_pred)]
    found = {}
    for i, j, credit, reason in cells:
        matrix[i][j] = credit
        found[(i, j)] = (i, j, credit, reason)
    return SlotMatch.of(tuple(found[(r, c)] for r, c in maximum_assignment(matrix) if matrix[r][c] > 0))


def align(preds: Sequence[PredRecord], golds: Sequence[GoldView],
          cells: Mapping[tuple[int, int], Mapping[str, list[Cell]]]) -> list[tuple[int, int, dict[str, SlotMatch]]]:
    """One-to-one alignment of predicted to gold records of one type; never a zero-agreement pair.

    Only a pair's agreement decides the alignment: the matches of a slot are built for the aligned
    pairs alone (a slot with one positive cell, most of them, needs no matching to know its credit).
    """
    if not cells:
        return []
    credits: dict[tuple[int, int], float] = {}
    matched: dict[tuple[tuple[int, int], str], SlotMatch] = {}  # the slots with several cells, matched once
    for pair, by_slot in cells.items():
        total = 0.0
        for slot, slot_cells in by_slot.items():
            if len(slot_cells) == 1:
                total += slot_cells[0][2]
            else:
                p, g = pair
                match = matched[(pair, slot)] = match_slot(slot_cells, len(preds[p].values[slot]),
                                                           len(golds[g].values[slot]))
                total += match.credit
        credits[pair] = total

    def matches(pair: tuple[int, int]) -> dict[str, SlotMatch]:
        return {slot: SlotMatch((slot_cells[0],), slot_cells[0][2]) if len(slot_cells) == 1
                else matched[(pair, slot)] for slot, slot_cells in cells[pair].items()}

    positive = sorted(pair for pair, credit in credits.items() if credit > 0)
    if _disjoint(positive):
        # Agreement comes in steps of 0.5 and the tie-break adds at most TIE_BREAK < 0.5 in all, so an
        # optimal assignment takes every positive pair when none competes: exactly these, in row order.
        return [(p, g, matches((p, g))) for p, g in positive]
    # The tie-break weighs only pairs that agree: a pair that is never aligned must not pull a record
    # of its row or column away from its own best pair.
    weight = TIE_BREAK / max(1, min(len(preds), len(golds)))
    matrix = [[0.0] * len(golds) for _ in preds]
    for (p, g), credit in credits.items():
        if credit > 0:
            matrix[p][g] = credit + weight * _jaccard(preds[p].descriptive, golds[g].descriptive)
    return [(p, g, matches((p, g))) for p, g in maximum_assignment(matrix) if credits.get((p, g), 0.0) > 0]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0
