"""Gold loading and validation: the shipped gold, the tiny gold, and every named problem."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest
from conftest import MINI_ID, MINI_TEXT, SHIPPED_ID, ev, mini_gold_dict, write_gold_dir

from benchmark.cli import main
from benchmark.errors import GoldError
from benchmark.gold import default_gold_dir, gold_as_records, gold_sha256, load_gold, validate_gold

SPEC_CATEGORIES = {"dates": 9, "signatories": 6, "participants": 5, "peacekeeping": 5, "working_group": 5,
                   "roles": 6, "other": 14}


def _problems(tmp_path, gold, text=MINI_TEXT):
    folder = write_gold_dir(tmp_path, gold, text)
    return folder / "mini.json", validate_gold(folder)


def _only(problems, code):
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, problems
    return found[0]


# --------------------------------------------------------------------------- the shipped gold


def test_shipped_gold_folder_validates():
    assert validate_gold() == []
    assert validate_gold(default_gold_dir() / f"{SHIPPED_ID}.json") == []


def test_shipped_original_has_the_facts_the_spec_describes(shipped_gold):
    assert SHIPPED_ID in shipped_gold.scope("original")
    doc = shipped_gold.documents[SHIPPED_ID]
    assert doc.document.published == "2021-02-17"
    facts = doc.facts()
    assert len(facts) == 50
    assert dict(Counter(f.category for f in facts)) == SPEC_CATEGORIES
    assert len({f.fact_id for f in facts}) == 50
    assert len(doc.records) == 13
    for fact in facts:  # every scored value has evidence inside the text
        assert fact.evidence
        assert all(0 <= s.start < s.end <= len(doc.document.text) for s in fact.evidence)


def test_scope(shipped_gold):
    assert SHIPPED_ID in shipped_gold.scope("original")
    assert set(shipped_gold.scope("original")) <= set(shipped_gold.scope("all"))
    assert all(shipped_gold.documents[d].document.is_original for d in shipped_gold.scope("original"))
    with pytest.raises(GoldError):
        shipped_gold.scope("variants")


def test_gold_as_records_round_trip(mini_gold):
    records = gold_as_records(mini_gold.documents[MINI_ID])
    assert [r["type"] for r in records] == ["meeting", "meeting", "agreement", "deployment", "office_holder",
                                            "office_holder"]
    talks = records[0]
    assert talks["doc_id"] == MINI_ID
    assert talks["slots"] == {"description": "talks in Sochi", "date": "2021-03-02",
                              "participants": ["Vladimir Putin", "Nikol Pashinyan"], "location": "Sochi",
                              "initiator": "Vladimir Putin", "duration": "PT3H"}
    assert records[3]["slots"]["locations"] == ["Nagorno-Karabakh", "Lachin corridor"]


# --------------------------------------------------------------------------- the tiny gold


def test_mini_gold_is_valid_with_code_point_spans(tmp_path):
    path, problems = _problems(tmp_path, mini_gold_dict())
    assert problems == []
    gold = load_gold(path.parent)
    doc = gold.documents[MINI_ID]
    assert len(doc.facts()) == 24
    # The text has a multi-byte em dash before every span: byte offsets would differ.
    start = ev("Vladimir Putin")["span"][0]
    assert len(MINI_TEXT[:start].encode("utf-8")) != start
    assert doc.document.text[start:start + 14] == "Vladimir Putin"


def test_gold_sha256_is_stable_and_covers_the_facts(tmp_path):
    gold = mini_gold_dict()
    first = gold_sha256(load_gold(write_gold_dir(tmp_path / "a", gold)))
    # Same content, other layout: same hash.
    folder = write_gold_dir(tmp_path / "b", gold)
    (folder / "mini.json").write_text(json.dumps(gold, sort_keys=True), encoding="utf-8")
    assert gold_sha256(load_gold(folder)) == first
    # One alias more: another hash.
    gold["entities"][0]["aliases"].append("V. V. Putin")
    assert gold_sha256(load_gold(write_gold_dir(tmp_path / "c", gold))) != first
    # Another text: another hash.
    changed = mini_gold_dict()
    changed["document"]["text_sha256"] = hashlib.sha256((MINI_TEXT + "\nMore.\n").encode("utf-8")).hexdigest()
    assert gold_sha256(load_gold(write_gold_dir(tmp_path / "d", changed, MINI_TEXT + "\nMore.\n"))) != first


# --------------------------------------------------------------------------- named problems


def test_span_text_mismatch_names_file_record_and_slot(tmp_path):
    gold = mini_gold_dict()
    evidence = gold["records"][0]["slots"]["participants"][1]["evidence"][0]
    evidence["span"] = [evidence["span"][0] + 1, evidence["span"][1] + 1]
    path, problems = _problems(tmp_path, gold)
    problem = _only(problems, "SPAN_TEXT_MISMATCH")
    assert problem.where == f"{path}: record talks slot participants[1]"
    assert "'Nikol Pashinyan'" in problem.message
    assert str(problem).startswith(f"{path}: record talks slot participants[1]: SPAN_TEXT_MISMATCH")


def test_span_out_of_range(tmp_path):
    gold = mini_gold_dict()
    gold["records"][3]["slots"]["force"]["evidence"] = [{"span": [len(MINI_TEXT), len(MINI_TEXT) + 4]}]
    path, problems = _problems(tmp_path, gold)
    assert _only(problems, "SPAN_OUT_OF_RANGE").where == f"{path}: record deployment slot force"


@pytest.mark.parametrize("span", [[5, 5], [-1, 3], [3, 1]])
def test_empty_or_reversed_spans_are_out_of_range(tmp_path, span):
    gold = mini_gold_dict()
    gold["records"][3]["slots"]["force"]["evidence"] = [{"span": span}]
    _, problems = _problems(tmp_path, gold)
    _only(problems, "SPAN_OUT_OF_RANGE")


def test_unknown_entity(tmp_path):
    gold = mini_gold_dict()
    gold["records"][0]["slots"]["participants"][0]["entity"] = "biden"
    path, problems = _problems(tmp_path, gold)
    problem = _only(problems, "UNKNOWN_ENTITY")
    assert problem.where == f"{path}: record talks slot participants[0]"
    assert "'biden'" in problem.message


def test_office_country_must_be_an_entity(tmp_path):
    gold = mini_gold_dict()
    gold["entities"][-1]["country"] = "atlantis"
    _, problems = _problems(tmp_path, gold)
    assert "prime-minister-of-armenia" in _only(problems, "UNKNOWN_ENTITY").message


def test_duplicate_record_id(tmp_path):
    gold = mini_gold_dict()
    gold["records"][1]["id"] = "talks"
    path, problems = _problems(tmp_path, gold)
    assert _only(problems, "DUPLICATE_ID").where == f"{path}: record talks"


def test_duplicate_entity_id(tmp_path):
    gold = mini_gold_dict()
    gold["entities"].append(dict(gold["entities"][0]))
    _, problems = _problems(tmp_path, gold)
    assert "'putin'" in _only(problems, "DUPLICATE_ID").message


def test_duplicate_document_id_across_files(tmp_path):
    folder = write_gold_dir(tmp_path, mini_gold_dict())
    write_gold_dir(tmp_path, mini_gold_dict(), name="copy.json")
    problem = _only(validate_gold(folder), "DUPLICATE_ID")
    assert MINI_ID in problem.message
    with pytest.raises(GoldError, match="DUPLICATE_ID"):
        load_gold(folder)


def test_duplicate_value_in_a_list_slot(tmp_path):
    gold = mini_gold_dict()
    participants = gold["records"][0]["slots"]["participants"]
    participants[1] = dict(participants[0])
    path, problems = _problems(tmp_path, gold)
    assert _only(problems, "DUPLICATE_VALUE").where == f"{path}: record talks slot participants[1]"


@pytest.mark.parametrize("value", ["2021-02-30", "2021-13-01", "March 2, 2021", "2021-3-2", "September 27", "soon"])
def test_bad_iso_date(tmp_path, value):
    gold = mini_gold_dict()
    gold["records"][0]["slots"]["date"]["value"] = value
    path, problems = _problems(tmp_path, gold)
    problem = _only(problems, "BAD_VALUE")
    assert problem.where == f"{path}: record talks slot date"
    assert repr(value) in problem.message


def test_good_iso_forms(tmp_path):
    gold = mini_gold_dict()
    gold["records"][0]["slots"]["date"]["value"] = "2021-03"
    gold["records"][1]["slots"]["date"]["value"] = "2021-01-11/2021-01-12"
    _, problems = _problems(tmp_path, gold)
    assert problems == []


def test_entity_of_the_wrong_type(tmp_path):
    gold = mini_gold_dict()
    gold["records"][0]["slots"]["location"]["entity"] = "putin"
    path, problems = _problems(tmp_path, gold)
    assert _only(problems, "BAD_VALUE").where == f"{path}: record talks slot location"


def test_missing_evidence(tmp_path):
    gold = mini_gold_dict()
    gold["records"][0]["slots"]["duration"]["evidence"] = []
    path, problems = _problems(tmp_path, gold)
    assert _only(problems, "MISSING_EVIDENCE").where == f"{path}: record talks slot duration"


def test_unknown_type_and_slot(tmp_path):
    gold = mini_gold_dict()
    gold["records"][0]["slots"]["venue"] = {"entity": "sochi", "evidence": [ev("Sochi", 1)]}
    gold["records"].append({"id": "treaty", "type": "treaty", "slots": {}})
    path, problems = _problems(tmp_path, gold)
    assert _only(problems, "UNKNOWN_SLOT").where == f"{path}: record talks slot venue"
    assert _only(problems, "UNKNOWN_TYPE").where == f"{path}: record treaty"


def test_schema_version_malformed_json_and_text_hash(tmp_path):
    gold = mini_gold_dict()
    gold["schema_version"] = 2
    _only(_problems(tmp_path / "a", gold)[1], "SCHEMA_VERSION")
    folder = write_gold_dir(tmp_path / "b", mini_gold_dict())
    (folder / "mini.json").write_text("{not json", encoding="utf-8")
    _only(validate_gold(folder), "MALFORMED_JSON")
    gold = mini_gold_dict()
    gold["document"]["text_sha256"] = "0" * 64
    _only(_problems(tmp_path / "c", gold)[1], "TEXT_HASH_MISMATCH")


def test_every_problem_is_reported_and_load_gold_raises_on_the_first(tmp_path):
    gold = mini_gold_dict()
    gold["records"][0]["slots"]["date"]["value"] = "2021-02-30"
    gold["records"][0]["slots"]["participants"][0]["entity"] = "biden"
    folder = write_gold_dir(tmp_path, gold)
    assert sorted(p.code for p in validate_gold(folder)) == ["BAD_VALUE", "UNKNOWN_ENTITY"]
    with pytest.raises(GoldError) as info:
        load_gold(folder)
    assert "record talks" in str(info.value)
    assert "(+1 more: factbench validate-gold)" in str(info.value)
    assert info.value.exit_status == 2


def test_load_gold_missing_path(tmp_path):
    with pytest.raises(GoldError, match="FILE_NOT_FOUND"):
        load_gold(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(GoldError, match="FILE_NOT_FOUND"):
        load_gold(tmp_path / "empty")


# --------------------------------------------------------------------------- the command


def test_validate_gold_command_rejects_and_names_the_problem(tmp_path, capsys):
    gold = mini_gold_dict()
    gold["records"][0]["slots"]["participants"][1]["evidence"][0]["text"] = "Nikol Pashinian"
    folder = write_gold_dir(tmp_path, gold)
    assert main(["validate-gold", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"{folder / 'mini.json'}: record talks slot participants[1]: SPAN_TEXT_MISMATCH")


def test_validate_gold_command_accepts_valid_gold(mini_gold_dir, capsys):
    assert main(["validate-gold", str(mini_gold_dir)]) == 0
    out = capsys.readouterr()
    assert "gold is valid" in out.out
    assert out.err == ""
