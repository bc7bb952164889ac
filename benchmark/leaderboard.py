"""The CSVs, derived from the runs folder (rebuildable, never edited by hand).

A leaderboard row is one (extractor, version, config_hash, regime), built from the
newest complete predictions of each document, re-scored on the current gold. Main
metrics cover the original documents (a document never predicted scores all fn);
variants feed the robustness columns. `rank` comes from lenient F1 (ties: strict F1,
then name) and stands on both regime rows; reference rows (oracle, empty) have none.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from benchmark.types import CATEGORIES, REGIMES, Counts, FactOutcome, Prediction, ScoreReport, field_names


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int | None
    extractor: str
    extractor_version: str
    config_label: str
    config_hash: str
    reference: bool
    regime: str
    f1: float | None
    precision: float | None
    recall: float | None
    f1_ci_low: float | None
    f1_ci_high: float | None
    f1_dates: float | None
    f1_signatories: float | None
    f1_participants: float | None
    f1_peacekeeping: float | None
    f1_working_group: float | None
    f1_roles: float | None
    f1_other: float | None
    macro_f1: float | None
    unsupported_rate: float | None
    parse_errors: int
    duplicates: int
    f1_counterfactual: float | None
    f1_paraphrase: float | None
    f1_worst_doc: float | None
    memorization_gap: float | None
    failed_docs: int
    runtime_s: float | None
    peak_mem_mb: float | None
    gold_sha256: str
    factbench_version: str
    run_id: str
    created_at: str
    tp: int = 0
    partial: int = 0
    fp: int = 0
    fn: int = 0
    unsupported: int = 0
    documents: int = 0
    worst_doc: str = ""


@dataclass(frozen=True)
class RobustnessRow:
    extractor: str
    extractor_version: str
    config_label: str
    config_hash: str
    document: str
    variant_of: str
    perturbation: str
    regime: str
    f1: float | None
    precision: float | None
    recall: float | None
    tp: int
    partial: int
    fp: int
    fn: int


@dataclass(frozen=True)
class FactRow:
    """The fixed columns of facts_matrix.csv; one column per extractor@config follows."""

    fact_id: str
    document: str
    record_type: str
    slot: str
    category: str
    gold_value: str
    regime: str


@dataclass
class _Group:
    """Everything known about one (extractor, version, config_hash) across runs."""

    manifest: dict[str, Any]
    runs: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.manifest['extractor']}@{self.manifest['config_label']}"


def _newest_predictions(group: _Group, doc_ids: set[str], known: Mapping[Path, Mapping[str, Any]]
                        ) -> tuple[list[Prediction], dict[str, str], dict, dict[str, Any]]:
    """Per document, the predictions of the newest complete run that holds it; failures; and the scoring
    results already known for some of those documents (their predictions are not read again)."""
    from benchmark.predictions import iter_prediction_file

    chosen: dict[str, tuple[Path, dict[str, Any]]] = {}
    failed: dict[str, str] = {}
    for path, manifest in sorted(group.runs, key=lambda r: r[1].get("created_at", "")):
        for doc_id, record in manifest.get("documents", {}).items():
            if doc_id not in doc_ids:
                continue
            if record.get("status") == "ok":
                chosen[doc_id] = (path, manifest)
                failed.pop(doc_id, None)
            elif doc_id not in chosen:
                failed[doc_id] = record.get("reason", "failed")
    by_run: dict[Path, set[str]] = defaultdict(set)
    results: dict[str, Any] = {}
    known_of = {path: known.get(path.resolve(), {}) for path, _ in group.runs}  # resolved once per run
    for doc_id, (path, _) in chosen.items():
        result = known_of[path].get(doc_id)
        if result is not None:
            results[doc_id] = result
        else:
            by_run[path].add(doc_id)
    predictions: list[Prediction] = []
    for path, docs in by_run.items():
        for item in iter_prediction_file(path / "predictions.jsonl", None, limit=False):
            if isinstance(item, Prediction) and item.doc_id in docs:
                predictions.append(item)
    return predictions, failed, chosen, results


def _f1(counts: Counts | None) -> float | None:
    return counts.f1 if counts is not None else None


def _sum_counts(report: ScoreReport, regime: str, docs: list[str]) -> Counts | None:
    if not docs:
        return None
    total = Counts()
    for doc in docs:
        total = total + report.regimes[regime].documents[doc]
    return total


@dataclass(frozen=True)
class GroupScores:
    """What one (extractor, version, config_hash) scored: its facts-matrix column and both reports."""

    column: str
    main: ScoreReport  # the original documents, with bootstrap intervals
    variants: ScoreReport | None  # the variants it ran on, if any

    @property
    def outcomes(self) -> tuple[FactOutcome, ...]:
        return (*self.main.outcomes, *(self.variants.outcomes if self.variants else ()))

    def fact_cells(self) -> Iterator[tuple[str, str, str]]:
        """(fact_id, regime, outcome) of every outcome tied to a gold fact, originals then variants."""
        for report in (self.main, self.variants):
            if report is not None:
                yield from report.outcomes.fact_cells()


FACT_FIELDS = field_names(FactRow)


@dataclass(frozen=True)
class Board:
    """Everything derived from a runs folder: the CSVs' rows and the reports behind them."""

    rows: list[LeaderboardRow]
    robustness: list[RobustnessRow]
    scored: dict[tuple[str, str, str], GroupScores]
    gold: Any  # the GoldSet scored against

    @cached_property
    def columns(self) -> list[str]:
        """The facts matrix's extractor columns (extractor@config)."""
        return sorted(g.column for g in self.scored.values())

    @cached_property
    def _outcomes(self) -> list[dict[str, list[str]]]:
        """Per column: fact id -> its outcome per regime (tp, partial, fn; a wrong value in its slot is fn)."""
        by_column = {g.column: g for g in self.scored.values()}
        regime_index = {regime: i for i, regime in enumerate(REGIMES)}
        out = []
        for column in self.columns:
            found: dict[str, list[str]] = {}
            for fact_id, regime, outcome in by_column[column].fact_cells():
                pair = found.get(fact_id)
                if pair is None:
                    pair = found[fact_id] = [""] * len(REGIMES)
                i = regime_index[regime]
                if outcome != "fp":
                    pair[i] = outcome
                elif not pair[i]:  # a wrong value in the fact's slot, and nothing else said of the fact
                    pair[i] = "fn"
            out.append(found)
        return out

    def matrix_rows(self) -> Iterator[list[str]]:
        """facts_matrix.csv's rows: FactRow's fields, then one outcome per column."""
        empty = [""] * len(REGIMES)
        for doc in sorted(self.gold, key=lambda d: d.id):
            for value in doc.facts():
                outcomes = [found.get(value.fact_id, empty) for found in self._outcomes]
                fixed = [value.fact_id, doc.id, value.record_type, value.slot, value.category, value.canonical]
                for i, regime in enumerate(REGIMES):
                    yield [*fixed, regime, *(pair[i] for pair in outcomes)]

    @cached_property
    def facts(self) -> list[FactRow]:
        return [FactRow(*row[:len(FACT_FIELDS)]) for row in self.matrix_rows()]

    @cached_property
    def matrix(self) -> list[dict[str, str]]:
        return [dict(zip(self.columns, row[len(FACT_FIELDS):])) for row in self.matrix_rows()]


def build(root: Path, gold_path: str | None = None, known: Mapping[Path, Mapping[str, Any]] | None = None) -> Board:
    """Everything the CSVs hold. `known`: run folder -> {doc_id: scoring.DocumentResult} of runs just made in
    this process (scored as they ran); results of another gold than the one loaded here are ignored."""
    from benchmark import __version__
    from benchmark.gold import load_gold
    from benchmark.runs import read_manifests
    from benchmark.scoring import score

    gold = load_gold(gold_path)
    known = {path.resolve(): {d: r for d, r in results.items()
                              if r.scorer is not None and r.scorer.doc is gold.documents.get(d)}
             for path, results in (known or {}).items()}
    groups: dict[tuple[str, str, str], _Group] = {}
    for path, manifest in read_manifests(root):
        if not manifest.get("complete"):
            continue
        key = (manifest["extractor"], manifest.get("extractor_version", ""), manifest.get("config_hash", ""))
        group = groups.setdefault(key, _Group(manifest))
        group.runs.append((path, manifest))
        if manifest.get("created_at", "") > group.manifest.get("created_at", ""):
            group.manifest = manifest
    originals = list(gold.scope("original"))
    all_docs = set(gold.documents)
    rows: list[LeaderboardRow] = []
    robustness: list[RobustnessRow] = []
    scored: dict[tuple[str, str, str], GroupScores] = {}
    for key in sorted(groups):
        group = groups[key]
        m = group.manifest
        predictions, failed, chosen, results = _newest_predictions(group, all_docs, known)
        attempted_variants = sorted(d for d in set(chosen) | set(failed) if d not in originals)
        main = score(gold, predictions, originals, bootstrap=1000, seed=int(m.get("seed") or 0),
                     known=results).report
        variants = score(gold, predictions, attempted_variants, bootstrap=0, known=results).report \
            if attempted_variants else None
        taken = {g.column for g in scored.values()}
        column = group.title if group.title not in taken else f"{group.title}@{key[1]}"
        scored[key] = GroupScores(column, main, variants)
        runtime = sum(float(r[1]["documents"][d].get("seconds") or 0.0) for d, r in chosen.items())
        loads = {r[0]: r[1].get("timings", {}).get("load_s") or 0.0 for r in chosen.values()}
        peaks = [r[1].get("peak_mem_mb") for r in group.runs if r[1].get("peak_mem_mb")]
        newest = max(group.runs, key=lambda r: r[1].get("created_at", ""))[1]
        for regime in REGIMES:
            scores = main.regimes[regime]
            per_doc: dict[str, Counts] = dict(scores.documents)
            cf = [d for d in attempted_variants if gold.documents[d].document.perturbation == "counterfactual"]
            para = [d for d in attempted_variants if gold.documents[d].document.perturbation == "paraphrase"]
            if variants:
                per_doc.update(variants.regimes[regime].documents)
                for doc in attempted_variants:
                    robustness.append(_robust_row(m, gold.documents[doc].document, regime,
                                                  variants.regimes[regime].documents[doc]))
            for doc in originals:
                robustness.append(_robust_row(m, gold.documents[doc].document, regime, scores.documents[doc]))
            f1_cf = _f1(_sum_counts(variants, regime, cf)) if variants else None
            f1_para = _f1(_sum_counts(variants, regime, para)) if variants else None
            worst = min(((c.f1, d) for d, c in per_doc.items() if c.f1 is not None), default=(None, ""))
            cats = scores.categories
            rows.append(LeaderboardRow(
                rank=None, extractor=m["extractor"], extractor_version=m.get("extractor_version", ""),
                config_label=m.get("config_label", ""), config_hash=m.get("config_hash", ""),
                reference=bool(m.get("reference")), regime=regime, f1=scores.overall.f1,
                precision=scores.overall.precision, recall=scores.overall.recall,
                f1_ci_low=scores.f1_ci.low if scores.f1_ci else None,
                f1_ci_high=scores.f1_ci.high if scores.f1_ci else None,
                **{f"f1_{c}": cats[c].f1 for c in CATEGORIES},
                macro_f1=scores.macro_f1, unsupported_rate=main.unsupported_rate,
                parse_errors=main.parse_errors + (variants.parse_errors if variants else 0),
                duplicates=main.duplicates + (variants.duplicates if variants else 0),
                f1_counterfactual=f1_cf, f1_paraphrase=f1_para, f1_worst_doc=worst[0],
                memorization_gap=(scores.overall.f1 - f1_cf) if f1_cf is not None and scores.overall.f1 is not None
                else None,
                failed_docs=len(failed), runtime_s=round(runtime + sum(loads.values()), 3) if chosen else None,
                peak_mem_mb=round(max(peaks), 1) if peaks else None, gold_sha256=gold.sha256,
                factbench_version=__version__, run_id=newest.get("run_id", ""),
                created_at=newest.get("created_at", ""), tp=scores.overall.tp, partial=scores.overall.partial,
                fp=scores.overall.fp, fn=scores.overall.fn, unsupported=main.unsupported,
                documents=len(originals), worst_doc=worst[1],
            ))
    return Board(_ranked(rows), robustness, scored, gold)


def _robust_row(m: dict[str, Any], document, regime: str, counts: Counts) -> RobustnessRow:
    return RobustnessRow(
        extractor=m["extractor"], extractor_version=m.get("extractor_version", ""),
        config_label=m.get("config_label", ""), config_hash=m.get("config_hash", ""), document=document.id,
        variant_of=document.variant_of or "", perturbation=document.perturbation or "original", regime=regime,
        f1=counts.f1, precision=counts.precision, recall=counts.recall, tp=counts.tp, partial=counts.partial,
        fp=counts.fp, fn=counts.fn,
    )


def _ranked(rows: list[LeaderboardRow]) -> list[LeaderboardRow]:
    from dataclasses import replace

    by_key: dict[tuple, dict[str, LeaderboardRow]] = defaultdict(dict)
    for row in rows:
        by_key[(row.extractor, row.extractor_version, row.config_hash)][row.regime] = row
    contenders = [(k, v) for k, v in by_key.items() if not v["lenient"].reference]

    def order(item):
        (name, _, config_hash), pair = item
        return (-(pair["lenient"].f1 or 0.0), -(pair["strict"].f1 or 0.0), name, pair["lenient"].config_label,
                config_hash)

    ranks = {k: i for i, (k, _) in enumerate(sorted(contenders, key=order), start=1)}
    ranked = [replace(r, rank=ranks.get((r.extractor, r.extractor_version, r.config_hash))) for r in rows]

    def position(row: LeaderboardRow):
        return (row.rank is None, row.rank or 0, -(row.f1 or 0.0) if row.rank is None else 0, row.extractor,
                row.config_label, REGIMES.index(row.regime) if row.regime in REGIMES else 9)

    return sorted(ranked, key=position)


def rebuild(root: Path, gold_path: str | None = None, known: Mapping[Path, Mapping[str, Any]] | None = None
            ) -> list[LeaderboardRow]:
    """Rebuild the three CSVs beside the runs, under the folder's lock, each by atomic rename."""
    from benchmark.runs import atomic_write, csv_text, dataclass_csv, locked

    root.mkdir(parents=True, exist_ok=True)
    with locked(root):
        board = build(root, gold_path, known)
        atomic_write(root / "leaderboard.csv", dataclass_csv(LeaderboardRow, board.rows))
        atomic_write(root / "robustness.csv", dataclass_csv(RobustnessRow, board.robustness))
        # Ids are safe ids, types, slots, categories and regimes the schema's, outcomes tp, partial, fn or
        # empty: only the gold value is free text.
        atomic_write(root / "facts_matrix.csv", csv_text(
            (*FACT_FIELDS, *board.columns), board.matrix_rows(), free=(FACT_FIELDS.index("gold_value"),)))
    return board.rows


def print_leaderboard(rows: list[LeaderboardRow], stream=None) -> None:
    from benchmark.reports import fmt, table

    stream = stream or sys.stdout
    body = [[r.rank if r.rank is not None else "ref", r.extractor, r.config_label, r.regime, fmt(r.f1),
             fmt(r.precision), fmt(r.recall), f"{fmt(r.f1_ci_low)}-{fmt(r.f1_ci_high)}" if r.f1_ci_low is not None
             else "", fmt(r.macro_f1), fmt(r.f1_counterfactual), fmt(r.f1_paraphrase), fmt(r.memorization_gap),
             r.failed_docs, fmt(r.runtime_s, 1)] for r in rows]
    headers = ["rank", "extractor", "config", "regime", "f1", "P", "R", "95% CI", "macro", "f1_cf", "f1_para",
               "gap", "failed", "time_s"]
    print(table(headers, body) if rows else "no complete runs yet", file=stream)


def leaderboard_command(args) -> int:
    root = Path(args.runs)
    if not root.is_dir():
        from benchmark.errors import BadInput

        raise BadInput(f"{root}: no such runs folder")
    rows = rebuild(root, gold_path=args.gold)
    print_leaderboard(rows)
    return 0
