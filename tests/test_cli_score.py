"""`factbench score`: JSON output, exit status, one-line errors naming file and line."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINI_ID, SHIPPED_ID, oracle, write_jsonl

from benchmark.cli import main
from benchmark.types import CATEGORIES, REGIMES

METRIC_KEYS = {"precision", "recall", "f1", "tp", "partial", "fp", "fn"}
ROOT = Path(__file__).resolve().parents[1]


def _score_json(capsys, *args: str) -> dict:
    assert main(["score", *args, "--json"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    return json.loads(out.out)


def test_oracle_scores_one(shipped_gold, tmp_path, capsys):
    path = write_jsonl(tmp_path / "oracle.jsonl", oracle(shipped_gold))
    result = _score_json(capsys, "--pred", str(path), "--bootstrap", "0")
    for regime in REGIMES:
        m = result[regime]
        assert set(m) >= METRIC_KEYS
        assert (m["tp"], m["partial"], m["fp"], m["fn"]) == (50, 0, 0, 0)
        assert (m["precision"], m["recall"], m["f1"]) == (1.0, 1.0, 1.0)
        assert set(m["categories"]) == set(CATEGORIES)
        for counts in m["categories"].values():
            assert set(counts) >= METRIC_KEYS
        assert m["macro_f1"] == 1.0
    assert (result["parse_errors"], result["unsupported"], result["duplicates"]) == (0, 0, 0)
    assert result["documents"] == [SHIPPED_ID]
    assert result["gold_sha256"] == shipped_gold.sha256


def test_empty_file_scores_zero_and_exits_zero(tmp_path, capsys):
    path = write_jsonl(tmp_path / "empty.jsonl", [])
    result = _score_json(capsys, "--pred", str(path), "--bootstrap", "0")
    for regime in REGIMES:
        m = result[regime]
        assert (m["tp"], m["partial"], m["fp"], m["fn"]) == (0, 0, 0, 50)
        assert m["f1"] == 0.0


def test_empty_file_as_a_command(tmp_path):
    path = write_jsonl(tmp_path / "empty.jsonl", [])
    done = subprocess.run([sys.executable, "-m", "benchmark.cli", "score", "--pred", str(path), "--json",
                           "--bootstrap", "0"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["strict"]["fn"] == 50


def test_table_output(shipped_gold, tmp_path, capsys):
    path = write_jsonl(tmp_path / "oracle.jsonl", oracle(shipped_gold))
    assert main(["score", "--pred", str(path), "--bootstrap", "20"]) == 0
    out = capsys.readouterr().out
    assert "strict: F1 1.000 (95% CI 1.000-1.000), macro F1 1.000" in out
    assert "lenient: F1 1.000" in out
    assert "parse errors: 0" in out


def test_shuffling_lines_changes_nothing(shipped_gold, tmp_path, capsys):
    records = oracle(shipped_gold)
    doc_id = records[0]["doc_id"]
    records[0]["slots"]["date"] = "February 2021"
    records[3]["slots"]["participants"] = "Putin and Aliyev"
    records += [
        {"doc_id": doc_id, "type": "meeting", "slots": {"participants": ["Putin", "Pashinyan"]}},
        {"doc_id": doc_id, "type": "meeting", "slots": {"participants": ["Joe Biden"], "location": "Kremlin"}},
        {"doc_id": doc_id, "type": "meeting", "slots": {"participants": ["Joe Biden"], "location": "Kremlin!"}},
        {"doc_id": doc_id, "type": "office_holder", "slots": {"person": "Aliyev", "office": "president"}},
        {"doc_id": doc_id, "type": "treaty", "slots": {"date": "2021"}},
        {"doc_id": doc_id, "type": "conflict_event", "slots": {"parties": ["Armenia", "Azerbaijan"],
                                                               "date": "September 27"}},
    ]
    outputs = set()
    rng = random.Random(1)
    for index in range(4):
        if index:
            rng.shuffle(records)
        path = write_jsonl(tmp_path / f"p{index}.jsonl", records)
        assert main(["score", "--pred", str(path), "--json", "--bootstrap", "50", "--seed", "2"]) == 0
        outputs.add(capsys.readouterr().out)
    assert len(outputs) == 1
    result = json.loads(outputs.pop())
    assert result["duplicates"] == 1
    assert result["unknown"] == {"type:treaty": 1}


def test_gold_option_and_documents_scope(mini_gold, mini_gold_dir, tmp_path, capsys):
    path = write_jsonl(tmp_path / "mini.jsonl", oracle(mini_gold))
    result = _score_json(capsys, "--pred", str(path), "--gold", str(mini_gold_dir), "--documents", "all",
                         "--bootstrap", "0")
    assert result["documents"] == [MINI_ID]
    assert (result["lenient"]["tp"], result["lenient"]["fn"]) == (24, 0)
    assert result["strict"]["categories"]["working_group"]["f1"] is None


@pytest.mark.parametrize(("line", "code"), [
    ("this is not JSON", "MALFORMED_JSON"),
    ('{"type": "meeting", "slots": {}}', "MISSING_DOC_ID"),
    ('{"doc_id": "no-such-doc", "type": "meeting", "slots": {}}', "UNKNOWN_DOC"),
    ('["a", "list"]', "NOT_AN_OBJECT"),
    ('{"doc_id": "tass-2021-02-17", "slots": {}}', "MISSING_FIELD"),
])
def test_malformed_line_exits_2_with_one_line_naming_file_and_line(shipped_gold, tmp_path, capsys, line, code):
    good = json.dumps(oracle(shipped_gold)[0])
    path = write_jsonl(tmp_path / "bad.jsonl", [good, good, line, good])
    assert main(["score", "--pred", str(path), "--json", "--bootstrap", "0"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"factbench: {path}:3: {code}: ")


def test_missing_and_binary_files_exit_2(tmp_path, capsys):
    assert main(["score", "--pred", str(tmp_path / "nowhere.jsonl")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "FILE_NOT_FOUND" in err[0] and "nowhere.jsonl" in err[0]
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["score", "--pred", str(binary)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "NOT_UTF8" in err[0]


def test_bad_gold_exits_2(tmp_path, capsys):
    pred = write_jsonl(tmp_path / "empty.jsonl", [])
    assert main(["score", "--pred", str(pred), "--gold", str(tmp_path / "no-gold")]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_facts_output_never_overwrites_the_predictions_or_names_a_folder(tmp_path, capsys):
    pred = tmp_path / "pred.jsonl"
    pred.write_text('{"doc_id": "tass-2021-02-17", "type": "meeting", "slots": {}}\n')
    before = pred.read_bytes()
    assert main(["score", "--pred", str(pred), "--facts", str(pred)]) == 2
    assert capsys.readouterr().err == (f"factbench: BAD_ARGUMENT: --facts {pred}: is the input {pred}; it would be "
                                       "overwritten\n")
    assert pred.read_bytes() == before
    assert main(["score", "--pred", str(pred), "--facts", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"factbench: BAD_ARGUMENT: --facts {tmp_path}: is a folder, not a file\n"
