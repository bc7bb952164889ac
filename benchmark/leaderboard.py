"""The CSVs, derived from the runs folder (rebuildable, never edited by hand).

A leaderboard row is one (extractor, version, config_hash, regime), built from the
newest complete predictions of each document, re-scored on the current gold. Each row
covers the documents its runs attempted (a failed document scores all fn; one never
attempted, say of another shard, is not scored): main metrics the original documents,
robustness columns the variants. A row with no original document has empty main
scores and no rank. `rank` comes from lenient F1 (ties: strict F1, then name) and
stands on both regime rows; reference rows (oracle, empty) have none. Every row's
intervals come from the same seeded resamples, so comparisons are paired. Runs
scored against another gold are re-scored only on documents of the same text.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from benchmark.errors import BadInput
from benchmark.runs import atomic_write, count_of, csv_text, dataclass_csv, locked, read_manifests, text_sha256, warn
from benchmark.types import CATEGORIES, REGIMES, Counts, FactOutcome, InputProblem, Prediction, ScoreReport, field_names


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


@dataclass(frozen=True, eq=False)  # one object per run folder: hashed by identity
class _Run:
    """One complete run folder, and those of its documents the loaded gold can score."""

    path: Path
    manifest: dict[str, Any]
    documents: frozenset[str]

    @property
    def created_at(self) -> str:
        return self.manifest.get("created_at", "")

    @property
    def gold_sha256(self) -> str:
        return self.manifest.get("gold_sha256") or ""

    def record(self, doc_id: str) -> dict[str, Any]:
        return self.manifest["documents"][doc_id]


@dataclass
class _Group:
    """Everything known about one (extractor, version, config_hash) across runs."""

    runs: list[_Run] = field(default_factory=list)  # scorable on the loaded gold
    other_gold: list[_Run] = field(default_factory=list)  # scored against another gold: skipped

    @property
    def newest(self) -> _Run:
        return max(self.runs or self.other_gold, key=lambda run: run.created_at)

    @property
    def manifest(self) -> dict[str, Any]:
        return self.newest.manifest

    @property
    def title(self) -> str:
        return f"{self.manifest['extractor']}@{self.manifest.get('config_label', '')}"


def _text_sha256(doc: Any) -> str:
    return doc.text_sha256 or text_sha256(doc.document.text)


def _scorable_documents(manifest: dict[str, Any], gold: Any) -> frozenset[str]:
    """The run's documents this gold can score: all of them when the run was scored against it; otherwise
    those extracted from the very text it holds (the gold was edited since, or another gold shares them)."""
    documents = manifest.get("documents")
    if not isinstance(documents, dict):
        return frozenset()
    same_gold = manifest.get("gold_sha256") == gold.sha256
    return frozenset(d for d, record in documents.items() if d in gold.documents and isinstance(record, dict)
                     and (same_gold or record.get("sha256") == _text_sha256(gold.documents[d])))


def _group_runs(root: Path, gold: Any) -> dict[tuple[str, str, str], _Group]:
    """Complete runs by (extractor, version, config_hash); a run of another gold none of whose documents
    this gold can score is set aside in `other_gold`."""
    groups: dict[tuple[str, str, str], _Group] = {}
    for path, manifest in read_manifests(root):
        if not manifest.get("complete"):
            continue
        key = (manifest["extractor"], manifest.get("extractor_version", ""), manifest.get("config_hash", ""))
        run = _Run(path, manifest, _scorable_documents(manifest, gold))
        group = groups.setdefault(key, _Group())
        (group.runs if run.documents or run.gold_sha256 == gold.sha256 else group.other_gold).append(run)
    return groups


def _short(sha: str) -> str:
    return f"{sha[:8]}…" if sha else "none recorded"


def _gold_shas(runs) -> str:
    """The golds some runs were scored against, shortened, for a warning."""
    return ", ".join(sorted({_short(run.gold_sha256) for run in runs}))


def _runs_of_this_gold(root: Path, gold: Any, groups: dict[tuple[str, str, str], _Group]
                       ) -> dict[tuple[str, str, str], _Group]:
    """The groups with runs to score; one warning per group whose runs of another gold are skipped. When
    every complete run is of another gold, BadInput: rescoring them here would read as all missed."""
    if groups and not any(g.runs for g in groups.values()):
        shas = _gold_shas(r for g in groups.values() for r in g.other_gold)
        raise BadInput(f"no complete run was scored against this gold (sha256 {_short(gold.sha256)}) or on its "
                       f"documents: they used sha256 {shas}; pass the --gold they used", where=str(root))
    for group in groups.values():
        if group.other_gold:
            n = len(group.other_gold)
            shas = _gold_shas(group.other_gold)
            warn(f"leaderboard: skipping {group.title} ({n} run{'s' if n != 1 else ''}): scored against another "
                 f"gold (sha256 {shas}); pass --gold")
    return {key: group for key, group in groups.items() if group.runs}


@dataclass(frozen=True)
class _Selection:
    """Per document, the newest complete run where it is ok, or why it failed in every run that tried it."""

    chosen: dict[str, _Run]
    failed: dict[str, str]

    @property
    def attempted(self) -> set[str]:
        return set(self.chosen) | set(self.failed)


def _select(group: _Group) -> _Selection:
    chosen: dict[str, _Run] = {}
    failed: dict[str, str] = {}
    for run in sorted(group.runs, key=lambda r: r.created_at):
        for doc_id in run.documents:
            record = run.record(doc_id)
            if record.get("status") == "ok":
                chosen[doc_id] = run
                failed.pop(doc_id, None)
            elif doc_id not in chosen:
                failed[doc_id] = record.get("reason", "failed")
    return _Selection(chosen, failed)


def _warn_rescored(gold: Any, group: _Group, selection: _Selection) -> None:
    """Predictions of runs scored against another gold are re-scored on this one where the texts are the
    same; a document whose text changed since is not scored, and is named."""
    runs = {run for run in selection.chosen.values() if run.gold_sha256 != gold.sha256}
    if runs:
        shas = _gold_shas(runs)
        warn(f"leaderboard: {group.title} ({len(runs)} run{'s' if len(runs) != 1 else ''}): scored against "
             f"another gold (sha256 {shas}); re-scored on this one ({_short(gold.sha256)}) where the texts are "
             "the same")
    changed = sorted({d for run in group.runs if run.gold_sha256 != gold.sha256
                      for d in run.manifest.get("documents") or {} if d in gold.documents}
                     - selection.attempted)
    if changed:
        warn(f"leaderboard: {group.title}: not scored, their text changed since they ran: {', '.join(changed)}; "
             "run them again")


def _predictions(selection: _Selection, known: Mapping[Path, Mapping[str, Any]]
                 ) -> tuple[list[Prediction], dict[str, Any]]:
    """The chosen documents' predictions, and the scoring results already known for some of them (their
    predictions are not read again)."""
    by_run: dict[_Run, list[str]] = defaultdict(list)
    for doc_id, run in selection.chosen.items():
        by_run[run].append(doc_id)
    predictions: list[Prediction] = []
    results: dict[str, Any] = {}
    for run, docs in by_run.items():
        known_here = known.get(run.path.resolve(), {})  # resolved once per run
        unread = set()
        for doc_id in docs:
            result = known_here.get(doc_id)
            if result is not None:
                results[doc_id] = result
            else:
                unread.add(doc_id)
        if unread:
            predictions += _read_run_predictions(run, unread)
    return predictions, results


def _read_run_predictions(run: _Run, docs: set[str]) -> list[Prediction]:
    """The run's predictions of `docs`; a missing, corrupt or cut-short file is named in one warning (what it
    lost scores as not predicted)."""
    from benchmark.predictions import iter_prediction_file

    path = run.path / "predictions.jsonl"
    kept: list[Prediction] = []
    errors: list[InputProblem] = []
    for item in iter_prediction_file(path, None, limit=False):
        if isinstance(item, Prediction):
            if item.doc_id in docs:
                kept.append(item)
        elif item.severity == "error":
            errors.append(item)
    problem = _file_problem(errors) or _short_documents(run, docs, kept)
    if problem:
        warn(f"{problem}; the records lost score as not predicted")
    return kept


def _file_problem(errors: list[InputProblem]) -> str | None:
    if not errors:
        return None
    first = errors[0]
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first.where}: {first.code}: {first.message}{more}"


def _short_documents(run: _Run, docs: set[str], kept: list[Prediction]) -> str | None:
    """Documents with fewer records in predictions.jsonl than the manifest counted: the file was cut short."""
    found: dict[str, int] = defaultdict(int)
    for prediction in kept:
        found[prediction.doc_id] += 1
    short = sorted(d for d in docs if found[d] < int(run.record(d).get("records") or 0))
    if not short:
        return None
    first = short[0]
    more = f" (and {len(short) - 1} more documents)" if len(short) > 1 else ""
    return (f"{run.path / 'predictions.jsonl'}: holds {found[first]} of the {run.record(first)['records']} records "
            f"the manifest counts for {first}{more}")


def _f1(counts: Counts | None) -> float | None:
    return counts.f1 if counts is not None else None


def _sum_counts(report: ScoreReport | None, regime: str, docs: list[str]) -> Counts | None:
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
    main: ScoreReport  # the original documents its runs attempted, with bootstrap intervals
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
    def _groups(self) -> list[GroupScores]:
        """The scored groups in column order (column names are unique: see `_column_names`)."""
        return sorted(self.scored.values(), key=lambda g: g.column)

    @cached_property
    def columns(self) -> list[str]:
        """The facts matrix's extractor columns (extractor@config)."""
        return [g.column for g in self._groups]

    @cached_property
    def _outcomes(self) -> list[dict[str, list[str]]]:
        """Per group: fact id -> its outcome per regime (tp, partial, fn; a wrong value in its slot is fn)."""
        regime_index = {regime: i for i, regime in enumerate(REGIMES)}
        out = []
        for group in self._groups:
            found: dict[str, list[str]] = {}
            for fact_id, regime, outcome in group.fact_cells():
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


def build(root: Path, gold_path: str | None = None, known: Mapping[Path, Mapping[str, Any]] | None = None,
          seed: int = 0) -> Board:
    """Everything the CSVs hold. `known`: run folder -> {doc_id: scoring.DocumentResult} of runs just made in
    this process (scored as they ran); results of another gold than the one loaded here are ignored.
    `seed`: the bootstrap's, one for every group, so that all of them are scored on the same resamples."""
    from benchmark.gold import load_gold

    gold = load_gold(gold_path)
    known = {path.resolve(): {d: r for d, r in results.items()
                              if r.scorer is not None and r.scorer.doc is gold.documents.get(d)}
             for path, results in (known or {}).items()}
    groups = _runs_of_this_gold(root, gold, _group_runs(root, gold))
    columns = _column_names(groups)
    rows: list[LeaderboardRow] = []
    robustness: list[RobustnessRow] = []
    scored: dict[tuple[str, str, str], GroupScores] = {}
    for key in sorted(groups):
        group = groups[key]
        selection = _select(group)
        _warn_rescored(gold, group, selection)
        scored[key] = scores = _score_group(gold, selection, known, seed, columns[key])
        rows += [_leaderboard_row(gold, group, selection, scores, regime) for regime in REGIMES]
        robustness += _robustness_rows(gold, group.manifest, scores)
    return Board(_ranked(rows), robustness, scored, gold)


def _column_names(groups: Mapping[tuple[str, str, str], _Group]) -> dict[tuple[str, str, str], str]:
    """One facts-matrix column per group, unique and the same for the same runs: extractor@label; where that
    is shared, the config hash's first 8 characters follow, then the version, then a counter."""
    def candidates(key: tuple[str, str, str], title: str) -> tuple[str, ...]:
        _, version, config_hash = key
        return title, f"{title}@{config_hash[:8]}", f"{title}@{config_hash[:8]}@{version}"

    names: dict[tuple[str, str, str], str] = {}
    pending = {key: candidates(key, group.title) for key, group in groups.items()}
    for level in range(3):
        proposed = Counter([*names.values(), *(c[level] for c in pending.values())])
        for key in sorted(pending):
            if proposed[pending[key][level]] == 1:
                names[key] = pending.pop(key)[level]
    taken = set(names.values())
    for key in sorted(pending):  # a name, label, config hash and version that read the same as another's
        number = 1
        while f"{pending[key][-1]}#{number}" in taken:
            number += 1
        names[key] = f"{pending[key][-1]}#{number}"
        taken.add(names[key])
    return names


def _score_group(gold: Any, selection: _Selection, known: Mapping[Path, Mapping[str, Any]], seed: int,
                 column: str) -> GroupScores:
    """Scores on the documents the group's runs attempted (a failed one scores all fn), never on others: a
    shard or partial run is not charged with documents it never saw."""
    from benchmark.scoring import score

    predictions, results = _predictions(selection, known)
    attempted = selection.attempted
    originals = [d for d in gold.scope("original") if d in attempted]
    variants = sorted(attempted.difference(originals))
    main = score(gold, predictions, originals, bootstrap=1000, seed=seed, known=results).report
    variant_report = score(gold, predictions, variants, bootstrap=0, known=results).report if variants else None
    return GroupScores(column, main, variant_report)


def _perturbed(gold: Any, report: ScoreReport | None, perturbation: str) -> list[str]:
    docs = report.documents if report is not None else ()
    return [d for d in docs if gold.documents[d].document.perturbation == perturbation]


def _leaderboard_row(gold: Any, group: _Group, selection: _Selection, scores: GroupScores, regime: str
                     ) -> LeaderboardRow:
    from benchmark import __version__

    m = group.manifest
    main, variants = scores.main, scores.variants
    overall = main.regimes[regime]
    per_doc: dict[str, Counts] = dict(overall.documents)
    if variants:
        per_doc.update(variants.regimes[regime].documents)
    f1_cf = _f1(_sum_counts(variants, regime, _perturbed(gold, variants, "counterfactual")))
    f1_para = _f1(_sum_counts(variants, regime, _perturbed(gold, variants, "paraphrase")))
    worst = min(((c.f1, d) for d, c in per_doc.items() if c.f1 is not None), default=(None, ""))
    chosen = selection.chosen
    runtime = sum(float(run.record(d).get("seconds") or 0.0) for d, run in chosen.items())
    loads = {run.path: run.manifest.get("timings", {}).get("load_s") or 0.0 for run in chosen.values()}
    peaks = [run.manifest.get("peak_mem_mb") for run in group.runs if run.manifest.get("peak_mem_mb")]
    unread = sum(count_of(run.record(d).get("unread")) for d, run in chosen.items())  # answers it could not read
    f1 = overall.overall.f1
    return LeaderboardRow(
        rank=None, extractor=m["extractor"], extractor_version=m.get("extractor_version", ""),
        config_label=m.get("config_label", ""), config_hash=m.get("config_hash", ""),
        reference=bool(m.get("reference")), regime=regime, f1=f1,
        precision=overall.overall.precision, recall=overall.overall.recall,
        f1_ci_low=overall.f1_ci.low if overall.f1_ci else None,
        f1_ci_high=overall.f1_ci.high if overall.f1_ci else None,
        **{f"f1_{c}": overall.categories[c].f1 for c in CATEGORIES},
        macro_f1=overall.macro_f1, unsupported_rate=main.unsupported_rate,
        parse_errors=main.parse_errors + (variants.parse_errors if variants else 0) + unread,
        duplicates=main.duplicates + (variants.duplicates if variants else 0),
        f1_counterfactual=f1_cf, f1_paraphrase=f1_para, f1_worst_doc=worst[0],
        memorization_gap=(f1 - f1_cf) if f1_cf is not None and f1 is not None else None,
        failed_docs=len(selection.failed), runtime_s=round(runtime + sum(loads.values()), 3) if chosen else None,
        peak_mem_mb=round(max(peaks), 1) if peaks else None, gold_sha256=gold.sha256,
        factbench_version=__version__, run_id=m.get("run_id", ""), created_at=m.get("created_at", ""),
        tp=overall.overall.tp, partial=overall.overall.partial, fp=overall.overall.fp, fn=overall.overall.fn,
        unsupported=main.unsupported, documents=len(main.documents), worst_doc=worst[1],
    )


def _robustness_rows(gold: Any, m: dict[str, Any], scores: GroupScores) -> list[RobustnessRow]:
    """Per regime, one row per document the group attempted: variants, then originals."""
    rows = []
    for regime in REGIMES:
        for report in (scores.variants, scores.main):
            if report is not None:
                rows += [_robust_row(m, gold.documents[doc].document, regime, report.regimes[regime].documents[doc])
                         for doc in report.documents]
    return rows


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
    # Never ranked: references, and rows with no F1 (no original document attempted, or none with gold).
    contenders = [(k, v) for k, v in by_key.items() if not v["lenient"].reference and v["lenient"].f1 is not None]

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


def rebuild(root: Path, gold_path: str | None = None, known: Mapping[Path, Mapping[str, Any]] | None = None,
            seed: int = 0) -> list[LeaderboardRow]:
    """Rebuild the three CSVs beside the runs, under the folder's lock, each by atomic rename."""

    root.mkdir(parents=True, exist_ok=True)
    with locked(root):
        board = build(root, gold_path, known, seed)
        atomic_write(root / "leaderboard.csv", dataclass_csv(LeaderboardRow, board.rows))
        atomic_write(root / "robustness.csv", dataclass_csv(RobustnessRow, board.robustness))
        # Ids are safe ids, types, slots, categories and regimes the schema's, outcomes tp, partial, fn or
        # empty: only the gold value is free text (and the header's extractor@config names, which csv_text
        # neutralizes).
        atomic_write(root / "facts_matrix.csv", csv_text(
            (*FACT_FIELDS, *board.columns), board.matrix_rows(), free=(FACT_FIELDS.index("gold_value"),)))
    return board.rows


def _rank_cell(row: LeaderboardRow) -> str | int:
    """`ref` for the references, `-` for a row left unranked (no F1: no original document attempted)."""
    return "ref" if row.reference else row.rank if row.rank is not None else "-"


def print_leaderboard(rows: list[LeaderboardRow], stream=None) -> None:
    from benchmark.reports import fmt, table

    stream = stream or sys.stdout
    body = [[_rank_cell(r), r.extractor, r.config_label, r.regime, fmt(r.f1), fmt(r.precision), fmt(r.recall),
             f"{fmt(r.f1_ci_low)}-{fmt(r.f1_ci_high)}" if r.f1_ci_low is not None else "", fmt(r.macro_f1),
             fmt(r.f1_counterfactual), fmt(r.f1_paraphrase), fmt(r.memorization_gap), r.failed_docs,
             fmt(r.runtime_s, 1)] for r in rows]
    headers = ["rank", "extractor", "config", "regime", "f1", "P", "R", "95% CI", "macro", "f1_cf", "f1_para",
               "gap", "failed", "time_s"]
    print(table(headers, body) if rows else "no complete runs yet", file=stream)


def leaderboard_command(args) -> int:
    root = Path(args.runs)
    if not root.is_dir():
        raise BadInput(f"{root}: no such runs folder")
    rows = rebuild(root, gold_path=args.gold, seed=args.seed)
    print_leaderboard(rows)
    return 0
