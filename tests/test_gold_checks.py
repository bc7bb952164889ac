"""Gold checks beyond single values: record types, empty folders, document and variant fields, copied records."""

from __future__ import annotations

import copy
import hashlib

import pytest
from conftest import MINI_ID, MINI_TEXT, mini_gold_dict, write_gold_dir, write_jsonl

from benchmark.cli import main
from benchmark.errors import GoldError
from benchmark.gold import load_gold, validate_gold
from benchmark.types import InputProblem

MINI_SHA = hashlib.sha256(MINI_TEXT.encode("utf-8")).hexdigest()


def _problems(tmp_path, gold):
    folder = write_gold_dir(tmp_path, gold)
    return folder / "mini.json", validate_gold(folder)


def _only(problems, code):
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, problems
    return found[0]


def _record(gold, rid):
    return next(r for r in gold["records"] if r["id"] == rid)


def _copy_of(gold, rid, new_id):
    record = copy.deepcopy(_record(gold, rid))
    record["id"] = new_id
    gold["records"].append(record)
    return record


# --------------------------------------------------------------------------- record types


@pytest.mark.parametrize("edit", [lambda r: r.pop("type"), lambda r: r.update(type=None)])
def test_a_record_without_a_type_is_a_missing_field(tmp_path, edit):
    gold = mini_gold_dict()
    edit(_record(gold, "talks"))
    path, problems = _problems(tmp_path, gold)
    assert problems == [InputProblem("MISSING_FIELD", f"{path}: record talks", "the record has no 'type'")]
    with pytest.raises(GoldError, match="record talks: MISSING_FIELD: the record has no 'type'"):
        load_gold(path.parent)


@pytest.mark.parametrize(("value", "shown"), [(["meeting"], "['meeting']"), (3, "3"), ({"a": 1}, "{'a': 1}")])
def test_a_record_type_that_is_not_a_string_is_a_bad_field(tmp_path, value, shown):
    gold = mini_gold_dict()
    _record(gold, "talks")["type"] = value
    path, problems = _problems(tmp_path, gold)
    assert problems == [InputProblem("BAD_FIELD", f"{path}: record talks", f"type {shown!r} must be a string")]


def test_an_unknown_record_type_is_still_unknown_type(tmp_path):
    gold = mini_gold_dict()
    _record(gold, "talks")["type"] = "treaty"
    path, problems = _problems(tmp_path, gold)
    assert problems == [InputProblem("UNKNOWN_TYPE", f"{path}: record talks", "type 'treaty' is not in the schema")]


# --------------------------------------------------------------------------- a folder without gold files


@pytest.mark.parametrize("content", [[], ["README.txt"]])
def test_a_folder_without_gold_files_is_file_not_found_in_validate_and_score(tmp_path, capsys, content):
    empty = tmp_path / "gold"
    empty.mkdir()
    for name in content:
        (empty / name).write_text("not gold\n", encoding="utf-8")
    assert validate_gold(empty) == [InputProblem("FILE_NOT_FOUND", str(empty), "no gold files (*.json)")]
    assert main(["validate-gold", str(empty)]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines() == [f"{empty}: FILE_NOT_FOUND: no gold files (*.json)"]
    pred = write_jsonl(tmp_path / "pred.jsonl", [{"doc_id": MINI_ID, "type": "meeting", "slots": {}}])
    assert main(["score", "--pred", str(pred), "--gold", str(empty)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"factbench: {empty}: FILE_NOT_FOUND: no gold files (*.json)"]
