"""Rebuilding the CSVs from a runs folder: unreadable manifests named, facts-matrix header cells
neutralized, and precision left undefined when nothing was predicted.

Most run folders here are written by hand, as `factbench run` writes them (`write_run`), on the tiny
gold of conftest.py (24 facts a document); a few tests go through `factbench run` itself.
"""

from __future__ import annotations

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
from benchmark.leaderboard import rebuild
from benchmark.runs import safe_part
from benchmark.types import REGIMES, Counts
from tests.conftest import MINI_ID, write_jsonl

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


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def factbench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmark.cli", *args], capture_output=True, text=True,
                          timeout=240, cwd=ROOT, env=os.environ)


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


# --------------------------------------------------------------------------- facts_matrix.csv columns


def test_facts_matrix_header_is_neutralized(tmp_path, mini_gold_dir, mini_gold):
    runs = tmp_path / "runs"
    write_run(runs, mini_gold, "=HYPERLINK(1)", {MINI_ID: SOME})
    rebuild(runs, str(mini_gold_dir))
    with (runs / "facts_matrix.csv").open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header[-1] == "'=HYPERLINK(1)@default"
    assert read_csv(runs / "leaderboard.csv")[0]["extractor"] == "'=HYPERLINK(1)"


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
