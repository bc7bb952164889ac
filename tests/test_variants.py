"""Document variants: the shipped counterfactuals and paraphrase, and `benchmark.perturb` itself."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from benchmark.dates import WEEKDAYS, weekday_date
from benchmark.gold import gold_as_records, load_gold, read_gold_file, validate_gold
from benchmark.perturb import (
    PerturbError,
    Substitution,
    dumps_gold,
    perturb,
    replaced_names,
    surviving_names,
)
from benchmark.predictions import parse_records
from benchmark.scoring import score

ROOT = Path(__file__).resolve().parent.parent
GOLD, SEEDS = ROOT / "gold", ROOT / "seeds"
ORIGINAL = "tass-2021-02-17"
_SHIPPED = {d.id: d.document for d in load_gold(GOLD)}
COUNTERFACTUALS = tuple(sorted(i for i, d in _SHIPPED.items() if d.perturbation == "counterfactual"))
PARAPHRASES = tuple(sorted(i for i, d in _SHIPPED.items() if d.perturbation == "paraphrase"))
PARAPHRASE = "tass-2021-02-17-para1"
VARIANTS = (*COUNTERFACTUALS, *PARAPHRASES)
# Written out independently of the substitution maps: none may appear in a counterfactual.
REAL_NAMES = ("Putin", "Vladimir", "Pashinyan", "Nikol", "Aliyev", "Ilham", "Russia", "Armenia", "Azerbaijan",
              "Karabakh", "Nagorno", "Moscow", "Baku", "Lachin", "Kremlin", "Soviet")


def _script():
    spec = importlib.util.spec_from_file_location("make_variants", ROOT / "scripts" / "make_variants.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_variants", module)
    spec.loader.exec_module(module)
    return module


def _raw(doc_id: str) -> dict:
    return json.loads((GOLD / f"{doc_id}.json").read_text(encoding="utf-8"))


def _text(raw: dict) -> str:
    return (SEEDS / raw["document"]["text_file"]).read_bytes().decode("utf-8")


def _category_counts(doc) -> Counter:
    return Counter(v.category for v in doc.facts())


def _oracle_f1(gold, doc_id: str, records: list[dict]) -> tuple[float, float]:
    preds, problems = parse_records(records, doc_id, "test")
    assert not problems
    report = score(gold, preds, [doc_id], bootstrap=0).report
    return report.regimes["strict"].overall.f1, report.regimes["lenient"].overall.f1


# --------------------------------------------------------------------------- shipped variants


def test_gold_folder_validates():
    assert [str(p) for p in validate_gold(GOLD)] == []


@pytest.mark.parametrize("doc_id", VARIANTS)
def test_variant_validates_and_names_its_original(doc_id):
    gold, problems = read_gold_file(GOLD / f"{doc_id}.json")
    assert problems == []
    assert gold.id == doc_id
    assert gold.document.variant_of == ORIGINAL
    assert gold.document.perturbation == ("paraphrase" if doc_id in PARAPHRASES else "counterfactual")
    assert not gold.document.is_original
    assert load_gold(GOLD).scope("original") == (ORIGINAL,)


@pytest.mark.parametrize("doc_id", VARIANTS)
def test_variant_has_the_original_fact_counts(doc_id):
    gold = load_gold(GOLD)
    original, variant = gold.documents[ORIGINAL], gold.documents[doc_id]
    assert _category_counts(variant) == _category_counts(original)
    assert sum(_category_counts(variant).values()) == 50
    assert Counter(r.type for r in variant.records) == Counter(r.type for r in original.records)


@pytest.mark.parametrize("doc_id", VARIANTS)
def test_gold_as_predictions_scores_one(doc_id):
    gold = load_gold(GOLD)
    assert _oracle_f1(gold, doc_id, gold_as_records(gold.documents[doc_id])) == (1.0, 1.0)


@pytest.mark.parametrize("doc_id", COUNTERFACTUALS)
def test_recalled_real_world_facts_fail_on_counterfactuals(doc_id):
    """The original's facts, predicted for a counterfactual, match only the generic values."""
    gold = load_gold(GOLD)
    records = gold_as_records(gold.documents[ORIGINAL])
    for record in records:
        record["doc_id"] = doc_id
    strict, lenient = _oracle_f1(gold, doc_id, records)
    assert strict < 0.15 and lenient < 0.15


@pytest.mark.parametrize("doc_id", COUNTERFACTUALS)
def test_no_original_name_survives(doc_id):
    raw = _raw(doc_id)
    text = _text(raw)
    spec = _script().VARIANTS[doc_id]
    names = replaced_names(_raw(ORIGINAL), _script().substitution(spec))
    assert "Azerbaijani" in names and "Baku" in names and "Russian Federation" in names
    assert surviving_names(text, raw, names) == []
    assert surviving_names(text, raw, REAL_NAMES) == []
    # the check itself bites: one lower-case survivor anywhere is found
    assert surviving_names(text + " putin", raw, names)
    raw["records"][0]["slots"]["date"]["note"] += " (Karabakh)"
    assert surviving_names(text, raw, names)


@pytest.mark.parametrize("doc_id", COUNTERFACTUALS)
def test_counterfactual_dates_shift_by_whole_weeks(doc_id):
    gold = load_gold(GOLD)
    original, variant = gold.documents[ORIGINAL], gold.documents[doc_id]
    old_pub = dt.date.fromisoformat(original.document.published)
    new_pub = dt.date.fromisoformat(variant.document.published)
    shift = new_pub - old_pub
    assert shift.days % 7 == 0 and shift.days != 0
    assert shift.days // 7 == _script().VARIANTS[doc_id]["weeks"]
    years = {new_pub.year - old_pub.year}
    pairs = [(old, new) for old, new in zip(original.facts(), variant.facts()) if old.value_type == "DATE"]
    assert len(pairs) == 9 and all(new.value_type == "DATE" for _, new in pairs)
    # record ids are rewritten too: the facts pair up in record order
    for old, new in pairs:
        assert old.canonical != new.canonical
        for a, b in zip(old.canonical.split("/"), new.canonical.split("/")):
            if len(a) == 10:
                assert dt.date.fromisoformat(b) - dt.date.fromisoformat(a) == shift
                years.add(int(b[:4]) - int(a[:4]))
            else:
                assert a[4:] == b[4:]  # month kept, only the year moves
                years.add(int(b[:4]) - int(a[:4]))
    assert len(years) == 1, f"dates moved by different numbers of years: {years}"


@pytest.mark.parametrize("doc_id", (ORIGINAL, *VARIANTS))
def test_every_weekday_names_the_weekday_of_its_date(doc_id):
    gold = load_gold(GOLD)
    doc = gold.documents[doc_id]
    text, published = doc.document.text, doc.document.published
    mentions = list(re.finditer(r"\b[Oo]n (" + "|".join(w.title() for w in WEEKDAYS) + r")\b", text))
    assert mentions, "the article reports the talks 'on Wednesday'"
    dated = {(s.start, s.end): v.canonical for v in doc.facts() if v.value_type == "DATE" for s in v.evidence}
    for m in mentions:
        day = weekday_date(m.group(1), published)
        assert WEEKDAYS[dt.date.fromisoformat(day).weekday()] == m.group(1).lower()
        assert dated[(m.start(1), m.end(1))] == day  # the gold date of "on Wednesday" is that weekday
    assert dt.date.fromisoformat(published).weekday() == dt.date.fromisoformat("2021-02-17").weekday()


def test_regenerating_gives_identical_files(tmp_path):
    script = _script()
    built = script.build(ROOT)
    assert len(built) == 2 * len(COUNTERFACTUALS)
    for path, data in built.items():
        assert path.read_bytes() == data, f"{path} differs from what scripts/make_variants.py writes"
    assert script.build(ROOT) == built
    assert script.main(["--check"]) == 0


def test_paraphrase_states_the_original_facts():
    gold = load_gold(GOLD)
    original, para = gold.documents[ORIGINAL], gold.documents[PARAPHRASE]
    assert para.document.published == original.document.published
    assert para.document.text != original.document.text
    facts = {f.fact_id.split("/", 1)[1]: f.canonical for f in original.facts()}
    assert {f.fact_id.split("/", 1)[1]: f.canonical for f in para.facts()} == facts
    # different surface forms: day-month dates, "Mr", the dateline is not an event's location
    assert "9 November 2020" in para.document.text and "November 9, 2020" not in para.document.text
    assert "Mr Putin" in para.document.text


def test_house_style_round_trips_the_original_gold():
    path = GOLD / f"{ORIGINAL}.json"
    assert dumps_gold(json.loads(path.read_text(encoding="utf-8"))) == path.read_text(encoding="utf-8")


def test_titled_name_with_invented_demonym_resolves():
    from benchmark.values import Normalizer

    normalizer = Normalizer(load_gold(GOLD).documents["tass-2021-02-17-cf1"].entities)
    assert normalizer.normalize("Valdorian President Aurel Vantok", "PERSON").key == "entity:aurel-vantok"


# --------------------------------------------------------------------------- perturb on a tiny document

TINY_TEXT = ("MOSCOW, March 3. Russian President Vladimir Putin met Armenian Prime Minister Nikol Pashinyan in "
             "Moscow on Wednesday. The two-hour talks followed their meeting of November 9, 2020. The dispute "
             "began in February 1988.")
TINY_SUB = Substitution(
    names={"Vladimir Putin": "Aurel Vantok", "Putin": "Vantok", "Nikol Pashinyan": "Teodor Imbrasca",
           "Pashinyan": "Imbrasca", "Russia": "Valdoria", "Russian": "Valdorian", "Armenia": "Ostrevia",
           "Armenian": "Ostrevian", "Moscow": "Castrelle", "two-hour": "three-hour"},
    weeks=52,
    durations={"PT2H": "PT3H"},
)


def _ev(text: str, start: int, end: int) -> dict:
    return {"span": [start, end], "text": text[start:end]}


def _tiny_gold() -> dict:
    t = TINY_TEXT
    return {
        "schema_version": 1,
        "document": {"id": "tiny", "text_file": "tiny.txt", "published": "2021-03-03", "source": "test",
                     "variant_of": None, "perturbation": None, "text_sha256": None},
        "entities": [
            {"id": "putin", "type": "PERSON", "canonical": "Vladimir Putin", "aliases": ["Putin"]},
            {"id": "pashinyan", "type": "PERSON", "canonical": "Nikol Pashinyan", "aliases": ["Pashinyan"]},
            {"id": "russia", "type": "COUNTRY", "canonical": "Russia", "aliases": ["Russian"]},
            {"id": "armenia", "type": "COUNTRY", "canonical": "Armenia", "aliases": ["Armenian"]},
            {"id": "moscow", "type": "PLACE", "canonical": "Moscow", "aliases": []},
            {"id": "president-of-russia", "type": "OFFICE", "canonical": "President of Russia",
             "role": "president", "country": "russia", "aliases": []},
        ],
        "records": [
            {"id": "talks-2021-03-03", "type": "meeting", "description": "Putin met Pashinyan in Moscow",
             "slots": {
                 "date": {"value": "2021-03-03", "evidence": [_ev(t, 107, 116)],
                          "note": "'on Wednesday': the Wednesday of the published date, 2021-03-03"},
                 "participants": [{"entity": "putin", "evidence": [_ev(t, 35, 49)]},
                                  {"entity": "pashinyan", "evidence": [_ev(t, 78, 93)]}],
                 "location": {"entity": "moscow", "evidence": [_ev(t, 97, 103)]},
                 "duration": {"value": "PT2H", "evidence": [_ev(t, 122, 130)]},
             }},
            {"id": "meeting-2020-11-09", "type": "meeting", "description": "their earlier meeting",
             "slots": {"date": {"value": "2020-11-09", "evidence": [_ev(t, 163, 179)]}}},
            {"id": "dispute-1988-02", "type": "conflict_event", "description": "the dispute began",
             "slots": {"date": {"value": "1988-02", "evidence": [_ev(t, 202, 215)]}}},
            {"id": "office-putin", "type": "office_holder",
             "slots": {"person": {"entity": "putin", "evidence": [_ev(t, 35, 49)]},
                       "office": {"entity": "president-of-russia", "evidence": [_ev(t, 17, 34)]}}},
        ],
    }


def test_perturb_tiny_document_exactly(tmp_path):
    new_text, new = perturb(_tiny_gold(), TINY_TEXT, TINY_SUB, new_id="tiny-cf", text_file="tiny_cf.txt")
    assert new_text == (
        "CASTRELLE, March 2. Valdorian President Aurel Vantok met Ostrevian Prime Minister Teodor Imbrasca in "
        "Castrelle on Wednesday. The three-hour talks followed their meeting of November 8, 2021. The dispute "
        "began in February 1989.")
    doc = new["document"]
    assert (doc["id"], doc["text_file"], doc["published"], doc["variant_of"], doc["perturbation"]) == (
        "tiny-cf", "tiny_cf.txt", "2022-03-02", "tiny", "counterfactual")
    assert [(e["id"], e["canonical"], e["aliases"], e.get("country")) for e in new["entities"]] == [
        ("aurel-vantok", "Aurel Vantok", ["Vantok"], None),
        ("teodor-imbrasca", "Teodor Imbrasca", ["Imbrasca"], None),
        ("valdoria", "Valdoria", ["Valdorian"], None),
        ("ostrevia", "Ostrevia", ["Ostrevian"], None),
        ("castrelle", "Castrelle", [], None),
        ("president-of-valdoria", "President of Valdoria", [], "valdoria"),
    ]
    talks, earlier, dispute, office = new["records"]
    assert [r["id"] for r in new["records"]] == ["talks-2022-03-02", "meeting-2021-11-08", "dispute-1989-02",
                                                 "office-vantok"]
    assert talks["description"] == "Vantok met Imbrasca in Castrelle"
    slots = talks["slots"]
    assert slots["date"] == {"value": "2022-03-02", "evidence": [{"span": [114, 123], "text": "Wednesday"}],
                             "note": "'on Wednesday': the Wednesday of the published date, 2022-03-02"}
    assert slots["participants"] == [
        {"entity": "aurel-vantok", "evidence": [{"span": [40, 52], "text": "Aurel Vantok"}]},
        {"entity": "teodor-imbrasca", "evidence": [{"span": [82, 97], "text": "Teodor Imbrasca"}]}]
    assert slots["location"] == {"entity": "castrelle", "evidence": [{"span": [101, 110], "text": "Castrelle"}]}
    assert slots["duration"] == {"value": "PT3H", "evidence": [{"span": [129, 139], "text": "three-hour"}]}
    assert earlier["slots"]["date"] == {"value": "2021-11-08",
                                        "evidence": [{"span": [172, 188], "text": "November 8, 2021"}]}
    assert dispute["slots"]["date"] == {"value": "1989-02",
                                        "evidence": [{"span": [211, 224], "text": "February 1989"}]}
    assert office["slots"]["office"] == {"entity": "president-of-valdoria",
                                         "evidence": [{"span": [20, 39], "text": "Valdorian President"}]}
    # the result is a valid gold file over the written text
    (tmp_path / "seeds").mkdir()
    (tmp_path / "gold").mkdir()
    (tmp_path / "seeds" / "tiny_cf.txt").write_bytes(new_text.encode("utf-8"))
    (tmp_path / "gold" / "tiny-cf.json").write_text(dumps_gold(new), encoding="utf-8")
    gold, problems = read_gold_file(tmp_path / "gold" / "tiny-cf.json")
    assert problems == [] and len(gold.facts()) == 9
    assert surviving_names(new_text, new, replaced_names(_tiny_gold(), TINY_SUB)) == []


def test_perturb_is_deterministic_and_leaves_its_input_alone():
    original = _tiny_gold()
    frozen = json.dumps(original, sort_keys=True)
    first = perturb(original, TINY_TEXT, TINY_SUB, new_id="x", text_file="x.txt")
    assert json.dumps(original, sort_keys=True) == frozen
    assert perturb(original, TINY_TEXT, TINY_SUB, new_id="x", text_file="x.txt") == first


def test_perturb_refuses_a_map_missing_an_alias():
    names = {k: v for k, v in TINY_SUB.names.items() if k != "Pashinyan"}
    with pytest.raises(PerturbError, match="Pashinyan"):
        perturb(_tiny_gold(), TINY_TEXT, Substitution(names, 52, TINY_SUB.durations), new_id="x", text_file="x.txt")


def test_perturb_refuses_real_substitutes():
    names = {**TINY_SUB.names, "Russia": "Georgia"}
    with pytest.raises(PerturbError, match="real name"):
        perturb(_tiny_gold(), TINY_TEXT, Substitution(names, 52, TINY_SUB.durations), new_id="x", text_file="x.txt")


def test_perturb_refuses_a_shift_that_splits_the_years():
    # +8 weeks moves November 9, 2020 into 2021 but March 3, 2021 stays in 2021
    with pytest.raises(PerturbError, match="different numbers of years"):
        perturb(_tiny_gold(), TINY_TEXT, Substitution(TINY_SUB.names, 8, TINY_SUB.durations),
                new_id="x", text_file="x.txt")


def test_perturb_refuses_a_duration_its_text_contradicts():
    with pytest.raises(PerturbError, match="three-hour"):
        perturb(_tiny_gold(), TINY_TEXT, Substitution(TINY_SUB.names, 52, {}), new_id="x", text_file="x.txt")


def test_names_follow_case_and_longest_form_first():
    text = "KARABAKH and Nagorno-Karabakh: the Karabakh talks."
    gold = {"schema_version": 1, "document": {"id": "k", "text_file": "k.txt", "published": "2021-01-06"},
            "entities": [{"id": "nk", "type": "PLACE", "canonical": "Nagorno-Karabakh", "aliases": ["Karabakh"]}],
            "records": []}
    sub = Substitution({"Nagorno-Karabakh": "Vel-Tolmerin", "Karabakh": "Tolmerin"}, weeks=1)
    new_text, new = perturb(gold, text, sub, new_id="k2", text_file="k2.txt")
    assert new_text == "TOLMERIN and Vel-Tolmerin: the Tolmerin talks."
    assert new["entities"] == [{"id": "vel-tolmerin", "type": "PLACE", "canonical": "Vel-Tolmerin",
                                "aliases": ["Tolmerin"]}]
    assert new["document"]["published"] == "2021-01-13"
