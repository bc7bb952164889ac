"""What a report shows, gathered from a runs folder: nothing here draws or formats.

The leaderboard rows, robustness rows and facts matrix come from `benchmark.leaderboard.build`
(the same code that writes the CSVs), so the report and `leaderboard.csv` always agree. The
per-extractor detail that the CSVs do not hold (category intervals, every fact's outcome with
its explanation and evidence) comes from re-scoring the same newest predictions with the same
seed, using the leaderboard's own grouping helpers.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.types import REGIMES, FactOutcome

# Grid cell states, in legend order.
RECOVERED, PARTIAL, WRONG, MISSED, NOT_RUN = "recovered", "partial", "wrong", "missed", "not run"
CELL_STATES = (RECOVERED, PARTIAL, WRONG, MISSED, NOT_RUN)


@dataclass(frozen=True)
class ExtractorView:
    """One leaderboard entry (extractor, version, config) with both regimes and its outcomes."""

    column: str  # "extractor@config", the facts_matrix.csv column
    extractor: str
    version: str
    config_label: str
    config_hash: str
    reference: bool
    rank: int | None
    rows: dict[str, Any]  # regime -> LeaderboardRow
    category_ci: dict[str, dict[str, tuple[float, float]]]  # regime -> category -> (low, high)
    outcomes: tuple[FactOutcome, ...]  # originals then attempted variants, both regimes


@dataclass(frozen=True)
class Fact:
    fact_id: str
    document: str
    record_id: str
    record_type: str
    slot: str
    category: str
    gold_value: str
    label: str  # "meeting.date = 2021-01-11", with the record id when that alone is ambiguous


@dataclass
class ReportData:
    rows: list[Any]  # LeaderboardRow, leaderboard order
    robustness: list[Any]  # RobustnessRow
    extractors: list[ExtractorView]  # leaderboard order
    documents: list[Any]  # benchmark.types.Document: originals first, then variants, by id
    texts: dict[str, str]
    facts: dict[str, list[Fact]]  # document -> facts in gold order
    cells: dict[tuple[str, str, str], str]  # (fact_id, regime, column) -> cell state
    gold_sha256: str
    factbench_version: str
    category_gold: dict[str, int] = field(default_factory=dict)  # category -> gold facts in originals


def _record_id(fact_id: str, document: str) -> str:
    rest = fact_id[len(document) + 1:] if fact_id.startswith(document + "/") else fact_id
    return rest.split("/", 1)[0]


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fact_labels(fact_rows: list[Any]) -> dict[str, list[Fact]]:
    """Facts per document (strict rows of the matrix; both regimes hold the same facts)."""
    by_doc: dict[str, list[Fact]] = defaultdict(list)
    seen: set[str] = set()
    for row in fact_rows:
        if row.fact_id in seen:
            continue
        seen.add(row.fact_id)
        record_id = _record_id(row.fact_id, row.document)
        base = f"{row.record_type}.{row.slot} = {_short(row.gold_value, 40)}"
        by_doc[row.document].append(Fact(row.fact_id, row.document, record_id, row.record_type, row.slot,
                                          row.category, row.gold_value, base))
    for doc, facts in by_doc.items():
        counts: dict[str, int] = defaultdict(int)
        for fact in facts:
            counts[fact.label] += 1
        by_doc[doc] = [f if counts[f.label] == 1 else
                       Fact(**{**f.__dict__, "label": f"{f.label}  [{_short(f.record_id, 28)}]"}) for f in facts]
    return dict(by_doc)


def _rescore(board) -> dict[tuple[str, str, str], tuple[Any, dict]]:
    """(extractor, version, config_hash) -> (column, {"outcomes", "category_ci", "f1"}), from build()'s reports."""
    out: dict[tuple[str, str, str], tuple[Any, dict]] = {}
    for key, group in board.scored.items():
        main = group.main
        ci = {regime: {c: (i.low, i.high) for c, i in main.regimes[regime].category_ci.items()}
              for regime in REGIMES}
        out[key] = (group.column, {"outcomes": group.outcomes, "category_ci": ci,
                                   "f1": {r: main.regimes[r].overall.f1 for r in REGIMES}})
    return out


def _cell(base: str, wrong: bool) -> str:
    if base == "tp":
        return RECOVERED
    if base == "partial":
        return PARTIAL
    if base == "fn":
        return WRONG if wrong else MISSED
    return NOT_RUN


def gather(root: Path, gold_path: str | None = None, seed: int = 0) -> ReportData:
    from benchmark import __version__
    from benchmark.gold import load_gold
    from benchmark.leaderboard import build

    board = build(root, gold_path, seed=seed)
    rows, robustness, fact_rows, columns, matrix = (board.rows, board.robustness, board.facts, board.columns,
                                                    board.matrix)
    gold = load_gold(gold_path)
    originals = list(gold.scope("original"))
    rescored = _rescore(board)

    extractors: list[ExtractorView] = []
    by_key: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(dict)
    for row in rows:
        by_key[(row.extractor, row.extractor_version, row.config_hash)][row.regime] = row
    for key, pair in by_key.items():  # dicts keep the leaderboard's order
        column, extra = rescored[key]
        first = pair.get("lenient") or next(iter(pair.values()))
        extractors.append(ExtractorView(
            column=column, extractor=first.extractor, version=first.extractor_version,
            config_label=first.config_label, config_hash=first.config_hash, reference=first.reference,
            rank=first.rank, rows=pair, category_ci=extra["category_ci"], outcomes=extra["outcomes"]))

    wrong: set[tuple[str, str, str]] = set()
    for view in extractors:
        for o in view.outcomes:
            if o.outcome == "fp" and o.fact_id:
                wrong.add((o.fact_id, o.regime, view.column))
    cells: dict[tuple[str, str, str], str] = {}
    for fact, row in zip(fact_rows, matrix):
        for column in columns:
            key = (fact.fact_id, fact.regime, column)
            cells[key] = _cell(row.get(column, ""), key in wrong)

    documents = sorted((d.document for d in gold), key=lambda d: (not d.is_original, d.variant_of or d.id, d.id))
    category_gold: dict[str, int] = defaultdict(int)
    for doc in originals:
        for value in gold.documents[doc].facts():
            category_gold[value.category] += 1
    return ReportData(
        rows=rows, robustness=robustness, extractors=extractors, documents=documents,
        texts={d.id: d.text for d in documents}, facts=fact_labels(fact_rows), cells=cells,
        gold_sha256=gold.sha256, factbench_version=__version__, category_gold=dict(category_gold))


# --------------------------------------------------------------------------- sentences

_SEPARATOR = re.compile(r"(?<=[.!?])[\"'”’»)\]]*[ \t]+|\n+")


class Sentences:
    """Sentence boundaries of one text, found once; a span maps to the sentences it touches."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0]
        self.ends = []
        for m in _SEPARATOR.finditer(text):
            self.ends.append(m.start() if m.group().strip(" \t\n") == "" else m.start() + len(m.group().rstrip()))
            self.starts.append(m.end())
        self.ends.append(len(text))

    def around(self, start: int, end: int) -> tuple[int, int]:
        first = max(0, bisect.bisect_right(self.starts, start) - 1)
        last = max(first, bisect.bisect_right(self.starts, max(start, end - 1)) - 1)
        return self.starts[first], self.ends[last]


def valid_spans(spans: Any, length: int) -> list[tuple[int, int]]:
    out = []
    for span in spans or ():
        try:
            start, end = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            continue
        if 0 <= start < end <= length:
            out.append((start, end))
    return sorted(set(out))


def snippets(text: str, spans: list[tuple[int, int]], sentences: Sentences, limit: int = 2,
             width: int = 420) -> tuple[list[tuple[str, list[tuple[int, int]], bool, bool]], int]:
    """Up to `limit` sentences holding the spans: (sentence, spans relative to it, cut before, cut after).

    Returns the snippets and how many more sentences hold spans.
    """
    groups: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for start, end in spans:
        groups.setdefault(sentences.around(start, end), []).append((start, end))
    out = []
    for (s, e), inner in sorted(groups.items())[:limit]:
        lo, hi = min(a for a, _ in inner), max(b for _, b in inner)
        cut_before = cut_after = False
        if e - s > width:  # a very long "sentence": a window around the marks
            pad = max(40, (width - (hi - lo)) // 2)
            if lo - pad > s:
                s, cut_before = lo - pad, True
            if hi + pad < e:
                e, cut_after = hi + pad, True
        merged: list[tuple[int, int]] = []
        for a, b in sorted(inner):
            a, b = max(a, s) - s, min(b, e) - s
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            elif a < b:
                merged.append((a, b))
        out.append((text[s:e], merged, cut_before, cut_after))
    return out, max(0, len(groups) - limit)


def find_value(text: str, value: str | None) -> tuple[int, int] | None:
    """The first case-insensitive occurrence of a predicted string in the text, if any."""
    if not value or not str(value).strip():
        return None
    needle = " ".join(str(value).split()).casefold()
    index = text.casefold().find(needle)
    if index < 0 or len(text.casefold()) != len(text):
        return None
    return index, index + len(needle)
