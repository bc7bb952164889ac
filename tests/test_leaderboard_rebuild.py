"""Rebuilding the CSVs from a runs folder: one bootstrap seed for every row, rows scored only on the
documents their runs attempted, runs of another gold set aside, unreadable files named, unique and
neutralized facts-matrix columns, and precision left undefined when nothing was predicted.

Most run folders here are written by hand, as `factbench run` writes them (`write_run`), on the tiny
gold of conftest.py (24 facts a document); a few tests go through `factbench run` itself.
"""

from __future__ import annotations

import copy
import csv
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmark.cli import main
from benchmark.gold import gold_as_records, load_gold
from benchmark.leaderboard import build, rebuild
from benchmark.runs import safe_part
from benchmark.scoring import score
from benchmark.types import REGIMES, Counts
from tests.conftest import MINI_ID, mini_gold_dict, to_predictions, write_gold_dir, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
SECOND_ID = "mini-2021-03-04"  # a second original document: the same text and facts under another id
PARA_ID = "mini-2021-03-03-para1"  # a paraphrase variant of MINI_ID (the same text: enough here)

# The Sochi talks (6 values) and the joint statement (4 values): 10 of a document's 24 facts, nothing wrong.
SOME = [
    {"type": "meeting", "slots": {"date": "2021-03-02", "participants": ["Putin", "Pashinyan"], "location": "Sochi",
                                  "initiator": "Putin", "duration": "PT3H"}},
    {"type": "agreement", "slots": {"date": "2021-01-11", "signatories": ["Putin", "Aliyev", "Pashinyan"]}},
]

_CLOCK = itertools.count()


def write_run(runs: Path, gold: Any, extractor: str, documents: dict[str, list[dict] | str], *,
              label: str = "default", config_hash: str = "c0ffee000000", version: str = "1", seed: int = 0,
              gold_sha256: str | None = None, reference: bool = False) -> Path:
    """A complete run folder as `factbench run` writes it; `documents`: doc id -> its records (ok) or why it
    failed. Each run is newer than the one written before it."""
    tick = next(_CLOCK)
    folder = runs / f"{tick:05d}-{safe_part(extractor)}-{config_hash}"
    folder.mkdir(parents=True)
    records, lines = {}, []
    for doc_id, output in documents.items():
        doc = gold.documents.get(doc_id)
        record: dict[str, Any] = {"sha256": doc.text_sha256 if doc is not None else "0" * 64}
        if isinstance(output, str):
            record.update(status="failed", reason=output)
        else:
            record.update(status="ok", source="run", seconds=0.5, records=len(output))
            lines += [{**r, "doc_id": doc_id} for r in output]
        records[doc_id] = record
    manifest = {
        "run_id": folder.name, "extractor": extractor, "extractor_version": version, "config": {},
        "config_hash": config_hash, "config_label": label, "reference": reference,
        "gold_sha256": gold_sha256 or gold.sha256, "seed": seed, "documents": records,
        "timings": {"load_s": 0.25}, "peak_mem_mb": 20.0, "created_at": f"2024-01-01T00:00:00.{tick:05d}Z",
        "complete": True, "status": "ok",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_jsonl(folder / "predictions.jsonl", lines)
    return folder


def everything(gold: Any, doc_id: str) -> list[dict[str, Any]]:
    return gold_as_records(gold.documents[doc_id])


def interval(gold: Any, records: list[dict], doc_ids: list[str], seed: int, regime: str) -> tuple[float, float]:
    """The F1 interval `factbench score` gives these records with this seed."""
    predictions = [p for d in doc_ids for p in to_predictions(records, d)]
    ci = score(gold, predictions, doc_ids, bootstrap=1000, seed=seed).report.regimes[regime].f1_ci
    return ci.low, ci.high


def rows_of(board_rows: list, regime: str = "lenient") -> dict[str, Any]:
    return {r.extractor: r for r in board_rows if r.regime == regime}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def factbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmark.cli", *args], capture_output=True, text=True,
                          timeout=240, cwd=ROOT, env=os.environ)


@pytest.fixture
def three_docs(tmp_path: Path) -> Path:
    """Two original documents (MINI_ID, SECOND_ID) and a paraphrase of the first."""
    folder = write_gold_dir(tmp_path / "gold3", mini_gold_dict())
    for doc_id, variant in ((SECOND_ID, {}), (PARA_ID, {"variant_of": MINI_ID, "perturbation": "paraphrase"})):
        gold = copy.deepcopy(mini_gold_dict())
        gold["document"].update(id=doc_id, text_file=f"{doc_id}.txt", **variant)
        write_gold_dir(tmp_path / "gold3", gold, name=f"{doc_id}.json")
    return folder


# --------------------------------------------------------------------------- one seed for every row


def test_every_group_is_scored_on_the_resamples_of_the_one_seed_given(tmp_path, mini_gold_dir, mini_gold):
    runs = tmp_path / "runs"
    write_run(runs, mini_gold, "alpha", {MINI_ID: SOME}, seed=3)
    write_run(runs, mini_gold, "beta", {MINI_ID: SOME}, seed=11)
    assert interval(mini_gold, SOME, [MINI_ID], 3, "lenient") != interval(mini_gold, SOME, [MINI_ID], 11, "lenient")
    for regime in REGIMES:
        rows = rows_of(build(runs, str(mini_gold_dir), seed=5).rows, regime)
        expected = interval(mini_gold, SOME, [MINI_ID], 5, regime)
        assert (rows["alpha"].f1_ci_low, rows["alpha"].f1_ci_high) == expected
        assert (rows["beta"].f1_ci_low, rows["beta"].f1_ci_high) == expected
    default = rows_of(build(runs, str(mini_gold_dir)).rows)["alpha"]
    assert (default.f1_ci_low, default.f1_ci_high) == interval(mini_gold, SOME, [MINI_ID], 0, "lenient")


def test_leaderboard_takes_a_seed_and_checks_it(tmp_path, mini_gold_dir, mini_gold, capsys):
    runs = tmp_path / "runs"
    write_run(runs, mini_gold, "alpha", {MINI_ID: SOME}, seed=3)
    assert main(["leaderboard", "--runs", str(runs), "--gold", str(mini_gold_dir), "--seed", "5"]) == 0
    (row,) = [r for r in read_csv(runs / "leaderboard.csv") if r["regime"] == "lenient"]
    low, high = interval(mini_gold, SOME, [MINI_ID], 5, "lenient")
    assert (float(row["f1_ci_low"]), float(row["f1_ci_high"])) == (round(low, 6), round(high, 6))
    capsys.readouterr()
    for bad in ("-1", str(2**32)):
        assert main(["leaderboard", "--runs", str(runs), "--gold", str(mini_gold_dir), "--seed", bad]) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line == f"factbench: BAD_ARGUMENT: --seed {bad}: expected 0 <= seed < 2**32"


def test_run_rebuilds_every_row_with_its_own_seed(tmp_path, mini_gold_dir, mini_gold):
    runs = tmp_path / "runs"
    write_run(runs, mini_gold, "alpha", {MINI_ID: SOME}, seed=3)  # made earlier, with another seed
    result = factbench("run", "-e", "empty", "--gold", str(mini_gold_dir), "--seed", "9", "--out", str(runs))
    assert result.returncode == 0, result.stderr
    (row,) = [r for r in read_csv(runs / "leaderboard.csv") if r["extractor"] == "alpha" and r["regime"] == "strict"]
    low, high = interval(mini_gold, SOME, [MINI_ID], 9, "strict")
    assert (float(row["f1_ci_low"]), float(row["f1_ci_high"])) == (round(low, 6), round(high, 6))


# --------------------------------------------------------------------------- documents attempted


def test_rows_cover_only_the_documents_their_runs_attempted(tmp_path, three_docs):
    gold = load_gold(three_docs)
    runs = tmp_path / "runs"
    write_run(runs, gold, "second-only", {SECOND_ID: everything(gold, SECOND_ID)})
    write_run(runs, gold, "failing", {MINI_ID: "timeout: no answer after 3 s"})
    write_run(runs, gold, "para-only", {PARA_ID: everything(gold, PARA_ID)})
    board = build(runs, str(three_docs))
    assert [(r.rank, r.extractor, r.regime) for r in board.rows] == [
        (1, "second-only", "strict"), (1, "second-only", "lenient"), (2, "failing", "strict"),
        (2, "failing", "lenient"), (None, "para-only", "strict"), (None, "para-only", "lenient")]
    rows = rows_of(board.rows)
    second, failing, para = rows["second-only"], rows["failing"], rows["para-only"]
    assert (second.f1, second.tp, second.fn, second.documents, second.failed_docs) == (1.0, 24, 0, 1, 0)
    assert (failing.f1, failing.precision, failing.recall, failing.fn, failing.documents, failing.failed_docs) == (
        0.0, None, 0.0, 24, 1, 1)
    assert (para.f1, para.precision, para.recall, para.f1_ci_low, para.f1_ci_high, para.macro_f1) == (None,) * 6
    assert (para.tp, para.fn, para.documents, para.f1_paraphrase, para.memorization_gap) == (0, 0, 0, 1.0, None)
    assert {(r.extractor, r.document) for r in board.robustness} == {
        ("second-only", SECOND_ID), ("failing", MINI_ID), ("para-only", PARA_ID)}
    assert len(board.robustness) == 3 * len(REGIMES)
    by_document = {(fact.document, fact.regime): cells for fact, cells in zip(board.facts, board.matrix)}
    assert set(by_document[(SECOND_ID, "strict")].values()) == {"", "tp"}
    assert by_document[(MINI_ID, "strict")]["second-only@default"] == ""  # not run there, not missed


def test_a_row_without_original_documents_is_written_with_empty_cells(tmp_path, three_docs, capsys):
    gold = load_gold(three_docs)
    runs = tmp_path / "runs"
    write_run(runs, gold, "para-only", {PARA_ID: everything(gold, PARA_ID)})
    assert main(["leaderboard", "--runs", str(runs), "--gold", str(three_docs)]) == 0
    row = read_csv(runs / "leaderboard.csv")[0]
    assert (row["rank"], row["f1"], row["precision"], row["f1_ci_low"], row["documents"]) == ("", "", "", "", "0")
    assert row["f1_paraphrase"] == "1.0"
    assert capsys.readouterr().out.splitlines()[2].startswith("-     para-only")


def test_one_shard_without_the_original_is_not_scored_as_missing_it(tmp_path):
    runs = tmp_path / "runs"
    result = factbench("run", "-e", "oracle", "--shard", "1/2", "--out", str(runs))
    assert result.returncode == 0, result.stderr
    rows = read_csv(runs / "leaderboard.csv")
    assert [(r["f1"], r["fn"], r["documents"], r["f1_counterfactual"]) for r in rows] == [("", "0", "0", "1.0")] * 2
    (manifest,) = [json.loads(p.read_text()) for p in runs.glob("*/manifest.json")]
    assert {r["document"] for r in read_csv(runs / "robustness.csv")} == set(manifest["documents"])


# --------------------------------------------------------------------------- runs of another gold


def test_runs_of_another_gold_are_skipped_with_one_warning_per_group(tmp_path, mini_gold_dir, mini_gold, capsys):
    runs = tmp_path / "runs"
    write_run(runs, mini_gold, "alpha", {MINI_ID: SOME})
    for _ in range(2):
        write_run(runs, mini_gold, "stale", {"other-doc": []}, gold_sha256="ab" * 32)
    board = build(runs, str(mini_gold_dir))
    assert {r.extractor for r in board.rows} == {"alpha"}
    assert capsys.readouterr().err.splitlines() == [
        "factbench: warning: leaderboard: skipping stale@default (2 runs): scored against another gold "
        "(sha256 abababab…); pass --gold"]


def test_no_run_of_this_gold_is_bad_input_and_keeps_the_csvs(tmp_path, mini_gold_dir, mini_gold, capsys):
    runs = tmp_path / "runs"
    write_run(runs, mini_gold, "stale", {"other-doc": []}, gold_sha256="ab" * 32)
    (runs / "leaderboard.csv").write_text("as written before\n")
    assert main(["leaderboard", "--runs", str(runs), "--gold", str(mini_gold_dir)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"factbench: {runs}: BAD_ARGUMENT: no complete run was scored against this gold (")
    assert line.endswith("they used sha256 abababab…; pass the --gold they used")
    assert (runs / "leaderboard.csv").read_text() == "as written before\n"
    assert not (runs / "facts_matrix.csv").exists()


def test_a_run_of_an_edited_gold_is_rescored_on_the_same_texts(tmp_path, mini_gold_dir, mini_gold, capsys):
    runs = tmp_path / "runs"
    write_run(runs, mini_gold, "alpha", {MINI_ID: SOME}, gold_sha256="cd" * 32)
    row = rows_of(build(runs, str(mini_gold_dir)).rows)["alpha"]
    assert (row.tp, row.fn, row.documents, row.gold_sha256) == (10, 14, 1, mini_gold.sha256)
    assert capsys.readouterr().err.splitlines() == [
        "factbench: warning: leaderboard: alpha@default (1 run): scored against another gold (sha256 cdcdcdcd…); "
        f"re-scored on this one ({mini_gold.sha256[:8]}…) where the texts are the same"]


def test_a_document_whose_text_changed_since_its_run_is_named_not_scored(tmp_path, mini_gold_dir, mini_gold,
                                                                         capsys):
    runs = tmp_path / "runs"
    folder = write_run(runs, mini_gold, "alpha", {MINI_ID: SOME}, gold_sha256="cd" * 32)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["documents"][MINI_ID]["sha256"] = "1" * 64  # extracted from a text that has changed since
    (folder / "manifest.json").write_text(json.dumps(manifest))
    write_run(runs, mini_gold, "beta", {MINI_ID: SOME})
    board = build(runs, str(mini_gold_dir))
    assert {r.extractor for r in board.rows} == {"beta"}
    assert capsys.readouterr().err.splitlines() == [
        "factbench: warning: leaderboard: skipping alpha@default (1 run): scored against another gold "
        "(sha256 cdcdcdcd…); pass --gold"]


def test_leaderboard_without_the_gold_of_the_runs_keeps_their_csv(tmp_path, mini_gold_dir):
    runs = tmp_path / "runs"
    made = factbench("run", "-e", "oracle", "--set", f"oracle.gold={mini_gold_dir}", "--gold", str(mini_gold_dir),
                     "--out", str(runs))
    assert made.returncode == 0, made.stderr
    before = (runs / "leaderboard.csv").read_text()
    assert [r["f1"] for r in read_csv(runs / "leaderboard.csv")] == ["1.0", "1.0"]
    plain = factbench("leaderboard", "--runs", str(runs))
    assert plain.returncode == 2
    (line,) = plain.stderr.splitlines()
    assert "pass the --gold they used" in line
    assert (runs / "leaderboard.csv").read_text() == before


# --------------------------------------------------------------------------- files that cannot be read


def test_an_unreadable_manifest_is_named_and_the_rest_is_counted(tmp_path, mini_gold_dir, mini_gold, capsys):
    runs = tmp_path / "runs"
    write_run(runs, mini_gold, "alpha", {MINI_ID: SOME})
    cut = write_run(runs, mini_gold, "beta", {MINI_ID: SOME}) / "manifest.json"
    cut.write_text(cut.read_text()[:40])
    rebuild(runs, str(mini_gold_dir))
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"factbench: warning: {cut}: is not valid JSON, truncated or corrupt (")
    assert line.endswith("; its run is not counted")
    assert [r["extractor"] for r in read_csv(runs / "leaderboard.csv")] == ["alpha", "alpha"]


@pytest.mark.parametrize(("damage", "message", "tp"), [
    ("delete", "predictions.jsonl: FILE_NOT_FOUND: No such file or directory", 0),
    ("cut a line", "predictions.jsonl:2: MALFORMED_JSON: not JSON (", 6),
    ("drop a line", "predictions.jsonl: holds 1 of the 2 records the manifest counts for mini-2021-03-03", 6),
])
def test_damaged_predictions_of_a_complete_run_are_named(tmp_path, mini_gold_dir, mini_gold, capsys, damage,
                                                        message, tp):
    runs = tmp_path / "runs"
    path = write_run(runs, mini_gold, "alpha", {MINI_ID: SOME}) / "predictions.jsonl"
    first, second = path.read_text().splitlines()
    if damage == "delete":
        path.unlink()
    else:
        path.write_text(first + "\n" + (second[:30] + "\n" if damage == "cut a line" else ""))
    rows = rows_of(rebuild(runs, str(mini_gold_dir)))
    assert rows["alpha"].tp == tp  # the talks' 6 values when the first line survives
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"factbench: warning: {path.parent}/{message}")
    assert line.endswith("the records lost score as not predicted")


# --------------------------------------------------------------------------- facts_matrix.csv columns


def test_facts_matrix_header_is_neutralized(tmp_path, mini_gold_dir, mini_gold):
    runs = tmp_path / "runs"
    write_run(runs, mini_gold, "=HYPERLINK(1)", {MINI_ID: SOME})
    rebuild(runs, str(mini_gold_dir))
    with (runs / "facts_matrix.csv").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[-1] == "'=HYPERLINK(1)@default"
    assert read_csv(runs / "leaderboard.csv")[0]["extractor"] == "'=HYPERLINK(1)"


def test_configs_with_one_label_get_columns_of_their_own(tmp_path, mini_gold_dir, mini_gold):
    runs = tmp_path / "runs"
    for config_hash, records in (("aaaaaaaa0000", everything(mini_gold, MINI_ID)), ("bbbbbbbb0000", []),
                                 ("cccccccc0000", SOME)):
        write_run(runs, mini_gold, "half", {MINI_ID: records}, label="-x", config_hash=config_hash)
    rebuild(runs, str(mini_gold_dir))
    rows = read_csv(runs / "facts_matrix.csv")
    columns = ["half@-x@aaaaaaaa", "half@-x@bbbbbbbb", "half@-x@cccccccc"]
    assert list(rows[0])[-3:] == columns
    strict = [r for r in rows if r["regime"] == "strict"]
    assert [sum(r[c] == "tp" for r in strict) for c in columns] == [24, 0, 10]
    assert [sum(r[c] == "fn" for r in strict) for c in columns] == [0, 24, 14]


def test_column_names_stay_unique_past_label_and_config_hash(tmp_path, mini_gold_dir, mini_gold):
    runs = tmp_path / "runs"
    for extractor, label, version in (("a@b", "c", "1"), ("a", "b@c", "1"), ("a", "b@c", "2"), ("d", "e", "1")):
        write_run(runs, mini_gold, extractor, {MINI_ID: SOME}, label=label, version=version, config_hash="f" * 12)
    assert build(runs, str(mini_gold_dir)).columns == [
        "a@b@c@ffffffff@1#1", "a@b@c@ffffffff@1#2", "a@b@c@ffffffff@2", "d@e"]


# --------------------------------------------------------------------------- precision of nothing predicted


def test_precision_is_undefined_when_nothing_is_predicted():
    assert (Counts(fn=3).precision, Counts(fn=3).recall, Counts(fn=3).f1) == (None, 0.0, 0.0)
    assert (Counts().precision, Counts().recall, Counts().f1) == (None, None, None)
    assert (Counts(fp=2, fn=1).precision, Counts(fp=2, fn=1).f1) == (0.0, 0.0)
    assert Counts(tp=1, partial=1, fp=2).precision == pytest.approx(1.5 / 4)


def test_score_of_no_predictions_leaves_precision_empty(tmp_path, mini_gold_dir, capsys):
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    assert main(["score", "--pred", str(empty), "--gold", str(mini_gold_dir), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for regime in REGIMES:
        assert (result[regime]["precision"], result[regime]["recall"], result[regime]["f1"]) == (None, 0.0, 0.0)
        assert result[regime]["categories"]["dates"]["precision"] is None
    assert main(["score", "--pred", str(empty), "--gold", str(mini_gold_dir)]) == 0
    overall = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith("overall")]
    assert overall == [["overall", "0.000", "0.000", "0", "0", "0", "24"]] * 2  # precision's cell is empty


def test_the_empty_reference_has_no_precision_but_an_f1_of_zero(tmp_path, mini_gold_dir, mini_gold):
    runs = tmp_path / "runs"
    write_run(runs, mini_gold, "empty", {MINI_ID: []}, reference=True)
    rebuild(runs, str(mini_gold_dir))
    assert [(r["precision"], r["recall"], r["f1"]) for r in read_csv(runs / "leaderboard.csv")] == [
        ("", "0.0", "0.0")] * 2


def test_the_report_of_a_shard_without_the_original_shows_no_score_and_no_rank(tmp_path):
    runs = tmp_path / "runs"
    assert factbench("run", "-e", "rules", "--shard", "1/2", "--out", str(runs)).returncode == 0
    result = factbench("report", "--runs", str(runs), "--seed", "3")
    assert result.returncode == 0, result.stderr
    page = (runs / "report" / "index.html").read_text(encoding="utf-8")
    assert "0 ranked extractor configurations and 0 reference rows (1 not ranked: no original document run)" in page
    summary = (runs / "report" / "report.md").read_text(encoding="utf-8")
    assert "****" not in summary
    assert factbench("report", "--runs", str(runs), "--seed", "-1").returncode == 2
    bad = factbench("leaderboard", "--runs", str(runs), "--seed", "-1")
    assert bad.returncode == 2 and "BAD_ARGUMENT: --seed -1: expected 0 <= seed < 2**32" in bad.stderr


def test_a_document_whose_text_changed_is_named_and_the_others_rescored(tmp_path, three_docs, capsys):
    gold = load_gold(three_docs)
    runs = tmp_path / "runs"
    folder = write_run(runs, gold, "alpha", {MINI_ID: everything(gold, MINI_ID),
                                             SECOND_ID: everything(gold, SECOND_ID)}, gold_sha256="cd" * 32)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["documents"][SECOND_ID]["sha256"] = "1" * 64  # its text has changed since the run
    (folder / "manifest.json").write_text(json.dumps(manifest))
    row = rows_of(build(runs, str(three_docs)).rows)["alpha"]
    assert (row.f1, row.tp, row.documents) == (1.0, 24, 1)
    assert capsys.readouterr().err.splitlines() == [
        "factbench: warning: leaderboard: alpha@default (1 run): scored against another gold (sha256 cdcdcdcd…); "
        f"re-scored on this one ({gold.sha256[:8]}…) where the texts are the same",
        f"factbench: warning: leaderboard: alpha@default: not scored, their text changed since they ran: {SECOND_ID}; "
        "run them again"]
