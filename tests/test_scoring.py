"""Scoring with exact counts on hand-made cases: alignment, outcomes, reasons, metrics.

Counts are written (tp, partial, fp, fn). The tiny gold (`mini`, 24 values) is described in
conftest.py; the shipped gold has 50 values.
"""

from __future__ import annotations

import copy
import datetime
import json
import random
from collections import UserDict
from types import MappingProxyType

import pytest
from conftest import MINI_ID, SHIPPED_ID, counts, mini_gold_dict, oracle, to_predictions, write_gold_dir

from benchmark.gold import gold_as_records, load_gold
from benchmark.scoring import score
from benchmark.types import CATEGORIES, REGIMES

SPEC_CATEGORIES = {"dates": 9, "signatories": 6, "participants": 5, "peacekeeping": 5, "working_group": 5,
                   "roles": 6, "other": 14}


def _oracle_with(gold, record_id: str, slot: str, value, index: int | None = None) -> list[dict]:
    """The shipped gold as predictions, with one value of one record replaced."""
    doc = gold.documents[SHIPPED_ID]
    records = copy.deepcopy(gold_as_records(doc))
    position = [r.id for r in doc.records].index(record_id)
    slots = records[position]["slots"]
    if index is None:
        slots[slot] = value
    else:
        slots[slot][index] = value
    return records


def _outcomes(scored, regime: str, **where):
    return [o for o in scored.report.outcomes if o.regime == regime
            and all(getattr(o, k) == v for k, v in where.items())]


# --------------------------------------------------------------------------- oracle and empty


def test_shipped_oracle_scores_one_in_both_regimes(shipped_gold, score_records):
    scored = score_records(shipped_gold, oracle(shipped_gold))
    for regime in REGIMES:
        scores = scored.report.regimes[regime]
        assert counts(scored, regime) == (50, 0, 0, 0)
        assert (scores.overall.precision, scores.overall.recall, scores.overall.f1) == (1.0, 1.0, 1.0)
        assert scores.macro_f1 == 1.0
        assert {c: scores.categories[c].tp for c in CATEGORIES} == SPEC_CATEGORIES
    report = scored.report
    assert (report.parse_errors, report.unsupported, report.duplicates, report.predicted_values) == (0, 0, 0, 50)
    assert report.unsupported_rate == 0.0
    assert report.unknown == {}


def test_shipped_empty_scores_zero(shipped_gold, score_records):
    scored = score_records(shipped_gold, [])
    for regime in REGIMES:
        scores = scored.report.regimes[regime]
        assert counts(scored, regime) == (0, 0, 0, 50)
        # nothing predicted: precision is undefined (0/0), recall and F1 are 0 against the gold
        assert (scores.overall.precision, scores.overall.recall, scores.overall.f1) == (None, 0.0, 0.0)
        assert scores.macro_f1 == 0.0
        assert {c: scores.categories[c].fn for c in CATEGORIES} == SPEC_CATEGORIES
    assert scored.report.predicted_values == 0
    assert scored.report.unsupported_rate is None
    assert {o.reason for o in scored.report.outcomes} == {"record_missed"}


def test_mini_oracle(mini_gold, score_records):
    scored = score_records(mini_gold, oracle(mini_gold))
    for regime in REGIMES:
        assert counts(scored, regime) == (24, 0, 0, 0)
        assert scored.report.regimes[regime].categories["working_group"].f1 is None


def test_gold_document_without_predictions_scores_all_fn(tmp_path, score_records):
    second = mini_gold_dict()
    second["document"]["id"] = "mini-b"
    write_gold_dir(tmp_path, mini_gold_dict())
    gold = load_gold(write_gold_dir(tmp_path, second, name="mini-b.json"))
    mini_only = [r for r in oracle(gold) if r["doc_id"] == MINI_ID]
    scored = score_records(gold, mini_only, doc_id=MINI_ID)
    assert counts(scored, "strict") == (24, 0, 0, 24)
    documents = scored.report.regimes["strict"].documents
    assert (documents[MINI_ID].tp, documents[MINI_ID].fn) == (24, 0)
    assert (documents["mini-b"].tp, documents["mini-b"].fn) == (0, 24)
    assert documents["mini-b"].f1 == 0.0
    # Out of scope: the second document is not counted at all.
    scoped = score(gold, to_predictions(mini_only, MINI_ID), [MINI_ID], bootstrap=0)
    assert counts(scoped, "strict") == (24, 0, 0, 0)


# --------------------------------------------------------------------------- aliases and formats

VARIANTS = [
    ("talks-2021-02-17", "participants", 0, "Putin"),
    ("talks-2021-02-17", "participants", 0, "Russian President Vladimir Putin"),
    ("talks-2021-02-17", "participants", 0, "V. Putin"),
    ("statement-2020-11-09", "date", None, "9 November 2020"),
    ("statement-2020-11-09", "date", None, "November 9, 2020"),
    ("statement-2020-11-09", "date", None, "on November 9, 2020"),
    ("statement-2020-11-09", "signatories", 0, "Russian President Vladimir Putin"),
    ("working-group", "chairs", 1, "Armenian deputy prime minister"),
    ("working-group", "chairs", 1, "deputy prime minister of Armenia"),
    ("working-group", "chairs", 0, "Russia's deputy prime minister"),
    ("deployment-peacekeepers", "country", None, "Russian"),
    ("deployment-peacekeepers", "country", None, "the Russian Federation"),
    ("deployment-peacekeepers", "locations", 1, "the Lachin corridor"),
    ("summit-2021-01-11", "duration", None, "four-hour"),
    ("summit-2021-01-11", "duration", None, "4 hours"),
    ("deployment-peacekeepers", "force", None, "The Peacekeepers."),
    ("deployment-peacekeepers", "force", None, "Russian peacekeepers"),
    ("working-group", "focus", 0, "the transport ties!"),
    ("working-group", "focus", 0, "transport links"),
    ("conflict-1988-02", "date", None, "February 1988"),
    ("war-1992-1994", "date", None, "1992-1994"),
    ("war-1992-1994", "date", None, "from 1992 to 1994"),
    ("clashes-2020-09-27", "parties", 0, "Azerbaijani"),
    ("office-pashinyan", "office", None, "Armenian Prime Minister"),
    ("office-aliyev", "person", None, "Azerbaijani President Ilham Aliyev"),
]


@pytest.mark.parametrize(("record_id", "slot", "index", "value"), VARIANTS)
def test_alias_and_format_variants_match_in_both_regimes(shipped_gold, score_records, record_id, slot, index,
                                                           value):
    scored = score_records(shipped_gold, _oracle_with(shipped_gold, record_id, slot, value, index))
    for regime in REGIMES:
        assert counts(scored, regime) == (50, 0, 0, 0)
        [outcome] = _outcomes(scored, regime, gold_record=record_id, slot=slot, predicted=value)
        assert outcome.outcome == "tp"


# --------------------------------------------------------------------------- dates


def test_truncated_date_is_partial_in_lenient_and_fp_fn_in_strict(shipped_gold, score_records):
    scored = score_records(shipped_gold, _oracle_with(shipped_gold, "statement-2020-11-09", "date", "2020-11"))
    strict, lenient = scored.report.regimes["strict"], scored.report.regimes["lenient"]
    assert counts(scored, "strict") == (49, 0, 1, 1)
    assert counts(scored, "lenient") == (49, 1, 0, 0)
    # strict: P = 49 / 50, R = 49 / 50
    assert strict.overall.precision == pytest.approx(0.98)
    assert strict.overall.recall == pytest.approx(0.98)
    assert strict.overall.f1 == pytest.approx(0.98)
    # lenient: the partial counts 0.5 in the numerator and 1 in both denominators: 49.5 / 50
    assert lenient.overall.precision == pytest.approx(0.99)
    assert lenient.overall.recall == pytest.approx(0.99)
    assert lenient.overall.f1 == pytest.approx(0.99)
    assert counts(scored, "lenient", "categories", "dates") == (8, 1, 0, 0)
    assert lenient.categories["dates"].f1 == pytest.approx(8.5 / 9)
    assert counts(scored, "strict", "slots", "agreement.date") == (1, 0, 1, 1)
    [partial] = _outcomes(scored, "lenient", outcome="partial")
    assert (partial.reason, partial.gold_value, partial.predicted) == ("truncated_date", "2020-11-09", "2020-11")
    [fp] = _outcomes(scored, "strict", outcome="fp")
    assert fp.reason == "wrong_date"


def test_lone_truncated_date_exact_numbers(mini_gold, score_records):
    scored = score_records(mini_gold, [{"type": "agreement", "slots": {"date": "January 2021"}}])
    # strict: no agreement at all, so the record is unaligned: its value is an fp, the gold record all fn.
    assert counts(scored, "strict") == (0, 0, 1, 24)
    assert scored.report.regimes["strict"].overall.f1 == 0.0
    # lenient: P = 0.5 / 1, R = 0.5 / 24, F1 = 2PR / (P + R) = 1 / 25
    lenient = scored.report.regimes["lenient"].overall
    assert counts(scored, "lenient") == (0, 1, 0, 23)
    assert lenient.precision == pytest.approx(0.5)
    assert lenient.recall == pytest.approx(1 / 48)
    assert lenient.f1 == pytest.approx(0.04)


def test_interval_never_earns_partial_credit(shipped_gold, score_records):
    scored = score_records(shipped_gold, _oracle_with(shipped_gold, "war-1992-1994", "date", "1992"))
    for regime in REGIMES:
        assert counts(scored, regime) == (49, 0, 1, 1)


def test_yearless_date_is_wrong_with_reason_no_year(shipped_gold, score_records):
    scored = score_records(shipped_gold, _oracle_with(shipped_gold, "clashes-2020-09-27", "date", "September 27"))
    for regime in REGIMES:
        assert counts(scored, regime) == (49, 0, 1, 1)
        [fp] = _outcomes(scored, regime, outcome="fp")
        assert (fp.reason, fp.gold_record, fp.predicted) == ("no_year", "clashes-2020-09-27", "September 27")
        [fn] = _outcomes(scored, regime, outcome="fn")
        assert fn.fact_id == f"{SHIPPED_ID}/clashes-2020-09-27/date"


def test_wrong_year_is_one_fp_and_one_fn(mini_gold, score_records):
    records = oracle(mini_gold)
    records[0]["slots"]["date"] = "March 2, 2020"
    scored = score_records(mini_gold, records)
    for regime in REGIMES:
        assert counts(scored, regime) == (23, 0, 1, 1)
        [fp] = _outcomes(scored, regime, outcome="fp")
        assert (fp.reason, fp.normalized, fp.gold_value) == ("wrong_date", "2020-03-02", "2021-03-02")


# --------------------------------------------------------------------------- records


def test_duplicated_record_earns_nothing(mini_gold, score_records):
    records = oracle(mini_gold)
    talks = copy.deepcopy(records[0])
    surface = copy.deepcopy(records[0])
    surface["slots"]["participants"] = ["Putin", "Pashinyan"]  # the same after normalization
    scored = score_records(mini_gold, [*records, talks, surface])
    assert scored.report.duplicates == 2
    assert scored.report.predicted_values == 24
    for regime in REGIMES:
        assert counts(scored, regime) == (24, 0, 0, 0)


def test_correct_person_in_wrong_record_is_fp_naming_its_record(mini_gold, score_records):
    meeting = {"type": "meeting", "slots": {"description": "talks in Sochi", "date": "2021-03-02",
                                            "participants": ["Putin", "Pashinyan", "Aliyev"]}}
    scored = score_records(mini_gold, [meeting])
    for regime in REGIMES:
        assert counts(scored, regime) == (3, 0, 1, 21)
        [fp] = _outcomes(scored, regime, outcome="fp")
        assert (fp.predicted, fp.gold_record, fp.reason) == ("Aliyev", "talks", "wrong_record")
        assert "record summit" in fp.explanation


def test_wrong_person_against_an_open_gold_value_names_its_record(mini_gold, score_records):
    holder = {"type": "office_holder", "slots": {"person": "Aliyev", "office": "President of Russia"}}
    scored = score_records(mini_gold, [holder])
    for regime in REGIMES:
        assert counts(scored, regime) == (1, 0, 1, 23)
        [fp] = _outcomes(scored, regime, outcome="fp")
        assert (fp.gold_record, fp.gold_value, fp.reason) == ("office-putin", "Vladimir Putin", "wrong_record")
        assert "record summit" in fp.explanation
        assert not fp.unsupported


def test_invented_record_values_are_fps_and_unsupported_where_the_text_lacks_them(mini_gold, score_records):
    invented = {"type": "meeting", "slots": {"date": "2019-05-05", "participants": ["Joe Biden"],
                                             "location": "Kremlin", "duration": "two days"}}
    scored = score_records(mini_gold, [invented])
    for regime in REGIMES:
        assert counts(scored, regime) == (0, 0, 4, 24)
        fps = _outcomes(scored, regime, outcome="fp")
        assert {o.reason for o in fps} == {"spurious"}
        assert {o.gold_record for o in fps} == {None}
        assert {o.predicted: o.unsupported for o in fps} == {
            "2019-05-05": True, "Joe Biden": True, "Kremlin": False, "two days": True}  # "the Kremlin said"
        assert {o.reason for o in _outcomes(scored, regime, outcome="fn")} == {"record_missed"}
    assert (scored.report.unsupported, scored.report.predicted_values) == (3, 4)
    assert scored.report.unsupported_rate == pytest.approx(0.75)


def test_gold_values_in_an_invented_record_are_not_unsupported(mini_gold, score_records):
    # No ceasefire in the mini gold; both values are gold elsewhere (the raw date is not in the text).
    invented = {"type": "ceasefire", "slots": {"start_date": "2021-01-11", "region": "Karabakh"}}
    scored = score_records(mini_gold, [invented])
    assert counts(scored, "strict") == (0, 0, 2, 24)
    fps = _outcomes(scored, "strict", outcome="fp")
    assert {o.reason for o in fps} == {"wrong_record"}
    assert {o.unsupported for o in fps} == {False}
    assert scored.report.unsupported == 0


def test_unsupported_values_are_counted_once_whatever_their_lenient_credit(mini_gold, score_records):
    # "2021-03" is a lenient partial of the talks' date but a strict fp whose normal form no gold value has
    # and whose string the text lacks ("March 2, 2021"): unsupported, as its strict row says, counted once.
    talks = {"type": "meeting", "slots": {"date": "2021-03", "participants": ["Putin", "Pashinyan"]}}
    scored = score_records(mini_gold, [talks])
    assert counts(scored, "strict", "types", "meeting") == (2, 0, 1, 10)
    assert counts(scored, "lenient", "types", "meeting") == (2, 1, 0, 9)
    [strict_fp] = _outcomes(scored, "strict", outcome="fp")
    assert strict_fp.unsupported
    assert (scored.report.unsupported, scored.report.predicted_values) == (1, 3)


def test_several_values_in_a_scalar_slot(mini_gold, score_records):
    def initiator(value):
        talks = {"type": "meeting", "slots": {"date": "2021-03-02", "location": "Sochi", "initiator": value}}
        return score_records(mini_gold, [talks])

    # One value however often it is given: tp.
    for value in (["Putin", "Vladimir Putin"], ["Putin", "Putin"], "Vladimir Putin, the Russian president"):
        scored = initiator(value)
        assert counts(scored, "strict", "slots", "meeting.initiator") == (1, 0, 0, 0), value
        assert scored.report.parse_errors == 0
    # Two people, in either order and either form: one parse error (an fp) and the gold value missed.
    for value in (["Putin", "Aliyev"], ["Aliyev", "Putin"], "Putin, Aliyev", "Aliyev, Putin"):
        scored = initiator(value)
        assert counts(scored, "strict", "slots", "meeting.initiator") == (0, 0, 1, 1), value
        [fp] = _outcomes(scored, "strict", outcome="fp", slot="initiator")
        assert fp.reason == "parse_error" and scored.report.parse_errors == 1
        # Given as a list, each name is looked up in the text; a string is looked up whole.
        assert fp.unsupported == isinstance(value, str) == scored.report.unsupported
    [fp] = _outcomes(initiator(["Putin", "Joe Biden"]), "strict", outcome="fp", slot="initiator")
    assert fp.reason == "parse_error" and not fp.unsupported  # one of them is in the text
    # One (wrong) value given twice, once as the text writes it ("the Kremlin said"): supported, in either order.
    for value in (["President Kremlin", "Kremlin"], ["Kremlin", "President Kremlin"]):
        scored = initiator(value)
        [fp] = _outcomes(scored, "strict", outcome="fp", slot="initiator")
        assert (fp.reason, fp.unsupported, scored.report.unsupported) == ("wrong_value", False, 0)


def test_zero_agreement_pairs_are_never_aligned(mini_gold, score_records):
    meeting = {"type": "meeting", "slots": {"description": "talks in Sochi", "date": "2019-05-05",
                                            "participants": ["Joe Biden"]}}
    scored = score_records(mini_gold, [meeting])
    for regime in REGIMES:
        assert counts(scored, regime, "types", "meeting") == (0, 0, 2, 12)
        assert {o.gold_record for o in _outcomes(scored, regime, outcome="fp")} == {None}
        assert {o.reason for o in _outcomes(scored, regime, outcome="fn", record_type="meeting")} == {
            "record_missed"}


def test_optimal_assignment_beats_greedy(mini_gold, score_records):
    # P1 agrees with summit on 4 values and with talks on 2; P2 agrees with summit on 3, with talks on 0.
    # Greedy (best pair first) takes P1-summit and leaves P2 unaligned: 4 agreeing values.
    # The optimal assignment takes P1-talks and P2-summit: 2 + 3 = 5.
    p1 = {"type": "meeting", "slots": {"participants": ["Putin", "Aliyev", "Pashinyan"], "location": "Moscow"}}
    p2 = {"type": "meeting", "slots": {"date": "2021-01-11", "location": "Moscow", "duration": "four hours"}}
    for records in ([p1, p2], [p2, p1]):
        scored = score_records(mini_gold, records)
        for regime in REGIMES:
            assert counts(scored, regime, "types", "meeting") == (5, 0, 2, 7)  # greedy: (4, 0, 3, 8)
            aligned = {(o.predicted, o.gold_record) for o in _outcomes(scored, regime, outcome="tp")}
            assert aligned == {("Putin", "talks"), ("Pashinyan", "talks"), ("2021-01-11", "summit"),
                               ("Moscow", "summit"), ("four hours", "summit")}
            fps = {(o.predicted, o.gold_record, o.reason) for o in _outcomes(scored, regime, outcome="fp")}
            assert fps == {("Aliyev", "talks", "wrong_record"), ("Moscow", "talks", "wrong_record")}


def test_descriptive_slots_break_ties(mini_gold, score_records):
    # Putin and Pashinyan took part in both meetings: the description decides.
    for description, expected in (("trilateral meeting in Moscow", "summit"), ("talks in Sochi", "talks")):
        meeting = {"type": "meeting", "slots": {"description": description, "participants": ["Putin", "Pashinyan"]}}
        scored = score_records(mini_gold, [meeting])
        assert {o.gold_record for o in _outcomes(scored, "strict", outcome="tp")} == {expected}
        assert counts(scored, "strict") == (2, 0, 0, 22)


def test_a_record_that_aligns_with_nothing_never_moves_another(mini_gold, score_records):
    # P agrees as much with talks (its date) as with summit (Aliyev); its description is closer to the
    # summit's (3/4 of the words against 1/5), so it aligns with the summit. Q agrees with no gold record:
    # its description, the summit's own, must not pull the summit away from P.
    p = {"type": "meeting", "slots": {"description": "meeting in Moscow", "date": "2021-03-02",
                                      "participants": ["Aliyev"]}}
    q = {"type": "meeting", "slots": {"description": "trilateral meeting in Moscow", "date": "2019-01-01"}}
    for records in ([p], [p, q], [q, p]):
        scored = score_records(mini_gold, records)
        for regime in REGIMES:
            assert {(o.predicted, o.gold_record) for o in _outcomes(scored, regime, outcome="tp")} == {
                ("Aliyev", "summit")}
            assert counts(scored, regime, "types", "meeting") == (1, 0, len(records), 11)
            if q in records:
                [q_fp] = _outcomes(scored, regime, outcome="fp", predicted="2019-01-01")
                assert q_fp.gold_record is None and q_fp.reason == "spurious"


def test_line_order_never_changes_the_score(mini_gold, score_records):
    records = oracle(mini_gold)
    records[0]["slots"]["date"] = "2021-03"
    records[2]["slots"]["signatories"] = "Putin and Aliyev"
    records += [
        {"type": "meeting", "slots": {"participants": ["Putin", "Pashinyan"]}},
        {"type": "meeting", "slots": {"participants": ["Pashinyan", "Putin"]}},
        {"type": "meeting", "slots": {"location": "Kremlin"}},
        {"type": "meeting", "slots": {"location": "Kremlin!!"}},  # a duplicate of the line above
        {"type": "office_holder", "slots": {"person": "Aliyev", "office": "president"}},
        {"type": "treaty", "slots": {"date": "2021"}},
    ]
    expected = json.dumps(score_records(mini_gold, records).report.as_dict(), sort_keys=True)
    rng = random.Random(7)
    for _ in range(5):
        shuffled = records[:]
        rng.shuffle(shuffled)
        assert json.dumps(score_records(mini_gold, shuffled).report.as_dict(), sort_keys=True) == expected


def test_which_duplicate_survives_never_depends_on_line_order(mini_gold, score_records):
    """Exact duplicates keep one line: the first in canonical JSON order of the whole line, for any order."""
    location = {"type": "meeting", "slots": {"location": "Sochi"}}
    records = [location, {"type": "meeting", "slots": {"location": "Sochi!!"}},  # "!" sorts before the quote
               {**location, "evidence": [{"start": 0, "end": 4}]}, {**location, "confidence": 0.5}]
    rng = random.Random(3)
    for _ in range(6):
        rng.shuffle(records)
        scored = score_records(mini_gold, records)
        assert scored.report.duplicates == 3
        assert [o.predicted for o in _outcomes(scored, "strict", outcome="tp")] == ["Sochi!!"]


@pytest.mark.parametrize("slots", [
    {}, {"b": "x", "a": ["y", "z"]}, {"a": []}, {"q": 'say "hi"\\n\n\x00\u2028é’😀'}, {"a": ["x", 1]},
    {"a": None}, {"a": 2.5}, {"a": {"k": "v"}}, {"a": ("t", "u")}, {1: "x"}, {"a": True},
    MappingProxyType({"a": "x"}), UserDict({"a": "x"}), {"a": datetime.date(2020, 11, 9)},
])
def test_canonical_record_key_is_the_json_of_the_record(slots):
    from benchmark.scoring import _record_json
    from benchmark.types import Prediction

    prediction = Prediction("d", "meeting\t", slots)
    assert _record_json(prediction) == json.dumps([prediction.type, slots], sort_keys=True, ensure_ascii=False,
                                                  default=str)


def test_slot_keys_that_do_not_sort_together_are_written_as_strings():
    from benchmark.scoring import _line_json, _record_json
    from benchmark.types import Prediction

    prediction = Prediction("d", "meeting", {1: "x", "a": "y"})
    assert _record_json(prediction) == '["meeting", {"1": "x", "a": "y"}]'
    assert _line_json(prediction) == '["meeting", {"1": "x", "a": "y"}, [], null]'


def test_records_whose_json_is_equal_are_ordered_by_the_whole_line(mini_gold):
    """A date object and its ISO string write the same JSON but are different records (one is a parse error)."""
    from benchmark.scoring import DocumentScorer, prepare_predictions
    from benchmark.types import Prediction, Span

    date = datetime.date(2021, 3, 2)
    lines = [Prediction(MINI_ID, "meeting", {"date": date}, evidence=(Span(5, 9),)),
             Prediction(MINI_ID, "meeting", {"date": date.isoformat()}, evidence=(Span(0, 4),))]
    scorer = DocumentScorer(mini_gold.documents[MINI_ID])
    for order in (lines, lines[::-1]):
        records, duplicates = prepare_predictions(order, scorer.normalizer, {})
        assert duplicates == 0
        assert [r.prediction.evidence[0].start for r in records] == [0, 5]


def test_records_whose_whole_lines_are_equal_are_ordered_by_their_normal_forms(mini_gold):
    """A date object among strings writes the JSON of its ISO string, evidence and all: the normal forms
    (here two values against three, one a parse error) still order the records, so the line order
    changes neither the alignment nor the bootstrap interval."""
    from benchmark.scoring import score
    from benchmark.types import Prediction

    iso = "2021-03-05"
    a = Prediction(MINI_ID, "deployment", {"locations": ["Nagorno-Karabakh", iso, iso]})
    b = Prediction(MINI_ID, "deployment", {"locations": ["Nagorno-Karabakh", datetime.date(2021, 3, 5), iso]})
    reports = []
    for order in ([a, b], [b, a]):
        scored = score(mini_gold, order, bootstrap=200)
        assert scored.report.duplicates == 0
        units, spurious = scored.tables["strict"].units, scored.tables["strict"].spurious[MINI_ID]
        reports.append((int(units[..., 2].sum()), int(spurious[..., 2].sum()), scored.report.regimes["strict"].f1_ci,
                        scored.report.outcomes.jsonl()))
    assert reports[0] == reports[1]
    assert reports[0][:2] == (2, 2)  # the record with a parse error sorts first ("2021-03-05" twice is one value)


# --------------------------------------------------------------------------- values inside records


def test_parse_errors_are_counted_and_fps(mini_gold, score_records):
    meeting = {"type": "meeting", "slots": {
        "description": "talks in Sochi", "date": "garbage", "participants": ["Putin", 42, "Pashinyan"],
        "location": ["Sochi", "Moscow"], "duration": "long"}}
    scored = score_records(mini_gold, [meeting])
    assert scored.report.parse_errors == 4  # date, 42, the list in a scalar slot (one error), duration
    assert scored.report.predicted_values == 6
    for regime in REGIMES:
        assert counts(scored, regime) == (2, 0, 4, 22)
        fps = _outcomes(scored, regime, outcome="fp")
        assert {o.reason for o in fps} == {"parse_error"}
        assert all(o.parse_error for o in fps)
        assert {o.slot for o in fps} == {"date", "participants", "location", "duration"}


def test_no_value_forms_are_neither_fp_nor_error(mini_gold, score_records):
    meeting = {"type": "meeting", "slots": {
        "description": "talks in Sochi", "date": "2021-03-02", "participants": [], "location": None,
        "initiator": "N/A", "duration": ""}}
    nothing = {"type": "meeting", "slots": {"date": "unknown", "participants": ["unknown", None, ""],
                                            "location": [], "initiator": "n/a"}}
    scalar_list = {"type": "deployment", "slots": {"country": ["Russia", "unknown"], "force": None}}
    scored = score_records(mini_gold, [meeting, nothing, scalar_list])
    assert (scored.report.parse_errors, scored.report.predicted_values) == (0, 2)
    for regime in REGIMES:
        assert counts(scored, regime) == (2, 0, 0, 22)


def test_string_in_list_slot_is_split(mini_gold, score_records):
    records = [
        {"type": "meeting", "slots": {"description": "talks in Sochi", "participants": "Putin and Pashinyan"}},
        {"type": "agreement", "slots": {"signatories": "Putin, Aliyev; Pashinyan"}},
        {"type": "deployment", "slots": {"locations": "Nagorno-Karabakh and the Lachin corridor"}},
    ]
    scored = score_records(mini_gold, records)
    assert scored.report.predicted_values == 7
    for regime in REGIMES:
        assert counts(scored, regime) == (7, 0, 0, 17)


def test_unknown_types_and_slots_are_counted_not_scored(mini_gold, score_records):
    records = [
        {"type": "treaty", "slots": {"date": "2021-01-11"}},
        {"type": "treaty", "slots": {}},
        {"type": "meeting", "slots": {"description": "talks in Sochi", "date": "2021-03-02", "venue": "Sochi"}},
    ]
    scored = score_records(mini_gold, records)
    assert scored.report.unknown == {"slot:meeting.venue": 1, "type:treaty": 2}
    assert scored.report.predicted_values == 1
    for regime in REGIMES:
        assert counts(scored, regime) == (1, 0, 0, 23)


def test_office_right_role_missing_country_is_lenient_partial(mini_gold, score_records):
    scored = score_records(mini_gold, [{"type": "office_holder", "slots": {"person": "Putin", "office": "President"}}])
    assert counts(scored, "strict") == (1, 0, 1, 23)
    assert counts(scored, "lenient") == (1, 1, 0, 22)
    lenient = scored.report.regimes["lenient"].overall
    assert lenient.precision == pytest.approx(1.5 / 2)
    assert lenient.recall == pytest.approx(1.5 / 24)
    [partial] = _outcomes(scored, "lenient", outcome="partial")
    assert (partial.reason, partial.gold_record) == ("missing_country", "office-putin")


def test_office_wrong_country_earns_nothing(mini_gold, score_records):
    holder = {"type": "office_holder", "slots": {"person": "Putin", "office": "President of Armenia"}}
    scored = score_records(mini_gold, [holder])
    for regime in REGIMES:
        assert counts(scored, regime) == (1, 0, 1, 23)


def test_text_fuzzy_match_only_in_lenient(tmp_path, score_records):
    gold = mini_gold_dict()
    gold["records"][3]["slots"]["force"]["value"] = "peacekeepers of the Russian armed forces"  # 5 tokens
    gold["records"][3]["slots"]["force"]["aliases"] = []
    gold_set = load_gold(write_gold_dir(tmp_path, gold))
    record = {"type": "deployment", "slots": {"force": "Russian armed forces peacekeepers", "country": "Russia"}}
    scored = score_records(gold_set, [record])  # Jaccard 4 / 5 = 0.8
    assert counts(scored, "strict") == (1, 0, 1, 23)
    assert counts(scored, "lenient") == (2, 0, 0, 22)
    [fuzzy] = _outcomes(scored, "lenient", slot="force")
    assert fuzzy.reason == "fuzzy_text"


# --------------------------------------------------------------------------- metrics


def test_macro_f1_averages_only_categories_with_gold(mini_gold, score_records):
    deployment = [r for r in oracle(mini_gold) if r["type"] == "deployment"]
    body = {"type": "body", "slots": {"chairs": ["deputy prime minister of Russia"], "focus": ["transport"]}}
    scored = score_records(mini_gold, [*deployment, body])
    for regime in REGIMES:
        scores = scored.report.regimes[regime]
        assert counts(scored, regime, "categories", "working_group") == (0, 0, 2, 0)
        assert scores.categories["working_group"].f1 is None
        assert scores.categories["working_group"].recall is None
        assert scores.categories["peacekeeping"].f1 == 1.0
        assert scores.categories["dates"].f1 == 0.0
        # six categories have gold: (1 + 0 + 0 + 0 + 0 + 0) / 6, never / 7
        assert scores.macro_f1 == pytest.approx(1 / 6)
        as_json = scores.as_dict()
        assert as_json["categories"]["working_group"]["f1"] is None


def test_every_outcome_is_explained_and_counts_add_up(shipped_gold, score_records):
    records = _oracle_with(shipped_gold, "statement-2020-11-09", "date", "2020-11")
    records.append({"type": "meeting", "slots": {"participants": ["Joe Biden"], "date": "garbage"}})
    scored = score_records(shipped_gold, records)
    for regime in REGIMES:
        outcomes = _outcomes(scored, regime)
        assert all(o.explanation and o.reason for o in outcomes)
        tallies = tuple(sum(o.outcome == kind for o in outcomes) for kind in ("tp", "partial", "fp", "fn"))
        assert tallies == counts(scored, regime)
        gold_facts = {o.fact_id for o in outcomes if o.outcome in ("tp", "partial", "fn")}
        assert len(gold_facts) == 50
