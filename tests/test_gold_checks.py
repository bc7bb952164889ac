"""Gold checks beyond single values: record types, empty folders, document and variant fields, copied records."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from conftest import MINI_ID, MINI_TEXT, MINI_TEXT_FILE, ev, mini_gold_dict, write_gold_dir, write_jsonl

from benchmark.cli import main
from benchmark.errors import GoldError
from benchmark.gold import default_gold_dir, load_gold, validate_gold
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


@pytest.mark.parametrize(("value", "shown"), [(["a", "b"], "['a', 'b']"), (7, "7"), ({"x": 1}, "{'x': 1}")])
def test_a_note_that_is_not_a_string_is_a_bad_field(tmp_path, value, shown):
    gold = mini_gold_dict()
    _record(gold, "talks")["note"] = value
    next(iter(_record(gold, "talks")["slots"].values()))["note"] = value
    path, problems = _problems(tmp_path, gold)
    slot = next(iter(_record(gold, "talks")["slots"]))
    message = f"note {shown!r} must be a string"
    assert problems == [InputProblem("BAD_FIELD", f"{path}: record talks slot {slot}", message),
                        InputProblem("BAD_FIELD", f"{path}: record talks", message)]
    with pytest.raises(GoldError, match="BAD_FIELD: note"):
        load_gold(path.parent)


def test_a_string_or_null_note_is_kept(tmp_path):
    gold = mini_gold_dict()
    _record(gold, "talks")["note"] = "reported as a visit"
    next(iter(_record(gold, "talks")["slots"].values()))["note"] = None
    path, problems = _problems(tmp_path, gold)
    assert problems == []
    record = next(r for r in load_gold(path.parent).documents[MINI_ID].records if r.id == "talks")
    assert record.note == "reported as a visit"
    assert record.values[0].note is None


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


# --------------------------------------------------------------------------- text_sha256


@pytest.mark.parametrize(("state", "edit"), [("missing", lambda d: d.pop("text_sha256")),
                                             ("null", lambda d: d.update(text_sha256=None))])
def test_a_missing_or_null_text_sha256_is_an_error_naming_the_field(tmp_path, state, edit):
    gold = mini_gold_dict()
    edit(gold["document"])
    path, problems = _problems(tmp_path, gold)
    assert problems == [InputProblem(
        "MISSING_FIELD", str(path), f"text_sha256 is {state}: seeds/{MINI_TEXT_FILE} has sha256 {MINI_SHA}")]
    with pytest.raises(GoldError, match=f"MISSING_FIELD: text_sha256 is {state}"):
        load_gold(path.parent)


@pytest.mark.parametrize("value", ["xyz", MINI_SHA.upper(), MINI_SHA[:63], MINI_SHA + "0", "", f" {MINI_SHA}"],
                         ids=["not-hex", "upper-case", "63-digits", "65-digits", "empty", "leading-space"])
def test_a_text_sha256_that_is_not_64_lowercase_hex_digits_is_a_bad_field(tmp_path, value):
    gold = mini_gold_dict()
    gold["document"]["text_sha256"] = value
    path, problems = _problems(tmp_path, gold)
    assert problems == [InputProblem(
        "BAD_FIELD", str(path), f"text_sha256 {value!r} is not a sha256 (64 lowercase hex digits)")]


def test_a_text_sha256_that_is_not_a_string_is_a_bad_field(tmp_path):
    gold = mini_gold_dict()
    gold["document"]["text_sha256"] = 12
    path, problems = _problems(tmp_path, gold)
    assert problems == [InputProblem("BAD_FIELD", str(path), "text_sha256 12 is not a hex string")]


def test_a_well_formed_but_wrong_text_sha256_is_still_a_hash_mismatch(tmp_path):
    gold = mini_gold_dict()
    gold["document"]["text_sha256"] = "0" * 64
    path, problems = _problems(tmp_path, gold)
    assert [(p.code, p.where) for p in problems] == [("TEXT_HASH_MISMATCH", str(path))]


def test_the_fixture_text_sha256_is_the_texts(tmp_path):
    """The tiny gold records its text's sha256, as every gold file must."""
    folder = write_gold_dir(tmp_path, mini_gold_dict())
    assert json.loads((folder / "mini.json").read_text(encoding="utf-8"))["document"]["text_sha256"] == MINI_SHA
    assert load_gold(folder).documents[MINI_ID].text_sha256 == MINI_SHA


# --------------------------------------------------------------------------- variants


def _variant(**fields):
    gold = mini_gold_dict()
    gold["document"].update(id="mini-cf", variant_of=MINI_ID, perturbation="counterfactual")
    gold["document"].update(fields)
    return gold


def _variant_problems(tmp_path, variant, original=True):
    if original:
        write_gold_dir(tmp_path, mini_gold_dict())
    folder = write_gold_dir(tmp_path, variant, name="mini-cf.json")
    return folder / "mini-cf.json", validate_gold(folder)


def test_a_variant_of_a_document_in_the_set_is_valid(tmp_path):
    path, problems = _variant_problems(tmp_path, _variant())
    assert problems == []
    assert validate_gold(path) == []  # one file: its original is looked up beside it
    gold = load_gold(path.parent)
    assert gold.scope("original") == (MINI_ID,)
    assert gold.documents["mini-cf"].document.perturbation == "counterfactual"


@pytest.mark.parametrize("perturbation", ["weird", "Counterfactual", "original", ""])
def test_an_unknown_perturbation_is_a_bad_field(tmp_path, perturbation):
    path, problems = _variant_problems(tmp_path, _variant(perturbation=perturbation))
    assert problems == [InputProblem(
        "BAD_FIELD", str(path),
        f"perturbation {perturbation!r} is not one of counterfactual, paraphrase (null for an original)")]
    with pytest.raises(GoldError, match="BAD_FIELD: perturbation"):
        load_gold(path.parent)


def test_an_original_with_a_perturbation_has_no_variant_of(tmp_path):
    gold = mini_gold_dict()
    gold["document"]["perturbation"] = "paraphrase"
    path, problems = _problems(tmp_path, gold)
    assert problems == [InputProblem(
        "MISSING_FIELD", str(path),
        "variant_of is missing: a paraphrase is a variant of a document (null perturbation for an original)")]


@pytest.mark.parametrize("edit", [lambda d: d.update(perturbation=None), lambda d: d.pop("perturbation")])
def test_a_variant_without_a_perturbation(tmp_path, edit):
    variant = _variant()
    edit(variant["document"])
    path, problems = _variant_problems(tmp_path, variant)
    assert problems == [InputProblem(
        "MISSING_FIELD", str(path),
        f"perturbation is missing: a variant (variant_of {MINI_ID!r}) is one of counterfactual, paraphrase")]


def test_a_variant_of_no_document_of_the_set(tmp_path):
    path, problems = _variant_problems(tmp_path, _variant(variant_of="mini-2099-01-01"))
    assert problems == [InputProblem(
        "UNKNOWN_VARIANT_OF", str(path), "variant_of 'mini-2099-01-01' names no gold document of the set")]
    assert main(["validate-gold", str(path.parent)]) == 2
    assert validate_gold(path) == problems  # one file: nor beside it


def test_a_variant_whose_original_is_not_in_the_set(tmp_path):
    path, problems = _variant_problems(tmp_path, _variant(), original=False)
    assert problems == [InputProblem(
        "UNKNOWN_VARIANT_OF", str(path), f"variant_of {MINI_ID!r} names no gold document of the set")]


def test_a_variant_of_itself_or_of_another_variant(tmp_path):
    path, problems = _variant_problems(tmp_path / "a", _variant(variant_of="mini-cf"))
    assert problems == [InputProblem("UNKNOWN_VARIANT_OF", str(path), "variant_of 'mini-cf' is the document itself")]
    second = _variant(id="mini-cf-2", variant_of="mini-cf", perturbation="paraphrase")
    folder = write_gold_dir(tmp_path / "b", mini_gold_dict())
    write_gold_dir(tmp_path / "b", _variant(), name="mini-cf.json")
    write_gold_dir(tmp_path / "b", second, name="mini-cf-2.json")
    assert validate_gold(folder) == [InputProblem(
        "UNKNOWN_VARIANT_OF", str(folder / "mini-cf-2.json"),
        f"variant_of 'mini-cf' is itself a variant (of {MINI_ID!r}), not an original")]


def test_load_gold_scores_a_variant_without_its_original(tmp_path):
    """Scoring one variant file is fine; only validate-gold checks that the set holds its original."""
    path, _ = _variant_problems(tmp_path, _variant(), original=False)
    assert list(load_gold(path).documents) == ["mini-cf"]


@pytest.mark.parametrize("name", sorted(p.name for p in default_gold_dir().glob("*.json")))
def test_each_shipped_gold_file_validates_alone(name):
    assert validate_gold(default_gold_dir() / name) == []


# --------------------------------------------------------------------------- duplicate records


def test_a_record_copied_under_a_new_id_is_a_duplicate(tmp_path):
    gold = mini_gold_dict()
    _copy_of(gold, "summit", "summit-again")
    path, problems = _problems(tmp_path, gold)
    assert problems == [InputProblem(
        "DUPLICATE_RECORD", f"{path}: record summit-again",
        "same type and scored values as record 'summit' (evidence and descriptive slots aside)")]
    with pytest.raises(GoldError) as info:
        load_gold(path.parent)
    assert str(info.value) == (f"{path}: record summit-again: DUPLICATE_RECORD: same type and scored values as "
                               f"record 'summit' (evidence and descriptive slots aside)")


def test_a_duplicate_ignores_descriptive_slots_evidence_notes_and_list_order(tmp_path):
    gold = mini_gold_dict()
    copied = _copy_of(gold, "talks", "talks-2")
    copied["description"] = "another description entirely"
    copied["note"] = "a note"
    copied["slots"]["participants"].reverse()  # a list slot is a set
    copied["slots"]["participants"][0]["evidence"] = [ev("Pashinyan", 1)]
    copied["slots"]["initiator"]["evidence"] = [ev("Putin", 1)]
    copied["slots"]["date"]["note"] = "another note"
    path, problems = _problems(tmp_path, gold)
    problem = _only(problems, "DUPLICATE_RECORD")
    assert problem.where == f"{path}: record talks-2"
    assert "'talks'" in problem.message
    assert len(problems) == 1


def test_a_duplicate_compares_literal_values_by_their_normal_form(tmp_path):
    gold = mini_gold_dict()
    copied = _copy_of(gold, "deployment", "deployment-2")
    copied["slots"]["force"] = {"value": "Peacekeepers", "evidence": [ev("peacekeepers")]}  # no aliases either
    path, problems = _problems(tmp_path, gold)
    problem = _only(problems, "DUPLICATE_RECORD")
    assert (problem.where, problem.message) == (
        f"{path}: record deployment-2",
        "same type and scored values as record 'deployment' (evidence and descriptive slots aside)")


def test_each_later_copy_names_the_first_record(tmp_path):
    gold = mini_gold_dict()
    _copy_of(gold, "office-putin", "office-putin-2")
    _copy_of(gold, "office-putin", "office-putin-3")
    path, problems = _problems(tmp_path, gold)
    assert [(p.code, p.where, p.message.split(" (")[0]) for p in problems] == [
        ("DUPLICATE_RECORD", f"{path}: record office-putin-2", "same type and scored values as record 'office-putin'"),
        ("DUPLICATE_RECORD", f"{path}: record office-putin-3", "same type and scored values as record 'office-putin'"),
    ]


@pytest.mark.parametrize("change", ["one value more", "one value less", "another value", "another type"])
def test_records_that_differ_in_a_scored_value_or_type_are_not_duplicates(tmp_path, change):
    gold = mini_gold_dict()
    copied = _copy_of(gold, "summit", "summit-2")
    if change == "one value more":
        copied["slots"]["initiator"] = {"entity": "putin", "evidence": [ev("Putin", 3)]}
    elif change == "one value less":
        del copied["slots"]["duration"]
    elif change == "another value":
        copied["slots"]["participants"][1] = {"entity": "pashinyan", "evidence": [ev("Pashinyan", 2)]}
        copied["slots"]["participants"].pop(2)
    else:  # the statement has the summit's date and people: another type, another fact
        copied["type"] = "agreement"
        copied["slots"] = {k: v for k, v in copied["slots"].items() if k in ("date", "location")}
        copied["slots"]["signatories"] = _record(gold, "summit")["slots"]["participants"]
    _, problems = _problems(tmp_path, gold)
    assert problems == []


def test_a_copy_with_a_bad_value_reports_only_the_bad_value(tmp_path):
    """Without its bad value the copy would equal the original: that is not reported on top."""
    gold = mini_gold_dict()
    copied = _copy_of(gold, "summit", "summit-2")
    copied["slots"]["participants"].append({"entity": "biden", "evidence": [ev("Putin", 3)]})
    path, problems = _problems(tmp_path, gold)
    assert [(p.code, p.where) for p in problems] == [
        ("UNKNOWN_ENTITY", f"{path}: record summit-2 slot participants[3]")]


def test_records_without_scored_values_are_never_duplicates(tmp_path):
    gold = mini_gold_dict()
    gold["records"].append({"id": "empty-a", "type": "ceasefire", "description": "one", "slots": {}})
    gold["records"].append({"id": "empty-b", "type": "ceasefire", "description": "two", "slots": {}})
    _, problems = _problems(tmp_path, gold)
    assert problems == []


def test_the_shipped_gold_has_no_duplicate_records(capsys):
    assert validate_gold() == []
    assert main(["validate-gold"]) == 0
    assert capsys.readouterr().out.strip() == f"{default_gold_dir()}: gold is valid"
