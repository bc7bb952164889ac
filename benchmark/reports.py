"""Text and JSON views of scores, for the terminal and for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `factbench list` prints tables too, and must start fast
    from benchmark.types import Counts, ScoreReport


def fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A plain aligned table: numbers right, text left."""
    rows = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for cell, width in zip(cells, widths):
            numeric = cell.replace(".", "", 1).replace("-", "", 1).isdigit()
            out.append(cell.rjust(width) if numeric else cell.ljust(width))
        return "  ".join(out).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _counts_row(name: str, c: Counts) -> list[Any]:
    return [name, fmt(c.precision), fmt(c.recall), fmt(c.f1), c.tp, c.partial, c.fp, c.fn]


def score_table(report: ScoreReport) -> str:
    """Per regime: overall, then each category (empty cells where a category has no gold)."""
    from benchmark.types import CATEGORIES, REGIMES

    parts = []
    headers = ["", "precision", "recall", "f1", "tp", "partial", "fp", "fn"]
    for regime in REGIMES:
        scores = report.regimes[regime]
        ci = f" (95% CI {fmt(scores.f1_ci.low)}-{fmt(scores.f1_ci.high)})" if scores.f1_ci else ""
        rows = [_counts_row("overall", scores.overall)]
        rows += [_counts_row(f"  {c}", scores.categories[c]) for c in CATEGORIES]
        parts.append(f"{regime}: F1 {fmt(scores.overall.f1)}{ci}, macro F1 {fmt(scores.macro_f1)}\n"
                     + table(headers, rows))
    extra = (f"documents: {', '.join(report.documents)} | predicted values: {report.predicted_values} | "
             f"parse errors: {report.parse_errors} | unsupported: {report.unsupported} | "
             f"duplicates: {report.duplicates}")
    if report.unknown:
        extra += " | unscored: " + ", ".join(f"{k} x{v}" for k, v in report.unknown.items())
    return "\n\n".join(parts) + "\n\n" + extra + f"\ngold sha256: {report.gold_sha256}"


def score_json(report: ScoreReport) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=False)
