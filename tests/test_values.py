"""Value normalization and comparison (benchmark.values), and the docs/values.md table checked row by row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SHIPPED_ID

from benchmark.scoring import _pred_values
from benchmark.types import ENTITY_TYPES, REGIMES, VALUE_TYPES, Entity, SlotSpec
from benchmark.values import (
    FULL,
    NONE,
    PARTIAL,
    NormalizationError,
    Normalizer,
    compare,
    is_no_value,
    office_role,
    split_list,
    text_tokens,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "values.md"
LABELS = {FULL: "match", PARTIAL: "partial", NONE: "no match"}


@pytest.fixture(scope="module")
def doc(shipped_gold):
    return shipped_gold.documents[SHIPPED_ID]


@pytest.fixture(scope="module")
def normalizer(doc):
    return Normalizer(doc.entities)


def _gold(doc, normalizer, value_type: str, canonical: str):
    """Every accepted normal form of the shipped gold value with this canonical value (else a literal)."""
    for value in doc.facts():
        if value.value_type == value_type and value.canonical == canonical:
            return normalizer.gold_normals(value.value_type, value.canonical, value.entity_id, value.aliases)
    assert value_type not in ENTITY_TYPES, f"no {value_type} {canonical!r} in the shipped gold"
    return normalizer.gold_normals(value_type, canonical, None)


def _credit(normalizer, doc, value_type, raw, gold, regime):
    return compare(normalizer.normalize(raw, value_type), _gold(doc, normalizer, value_type, gold), regime)


# --------------------------------------------------------------------------- the documented table


def _doc_rows() -> list[list[str]]:
    rows = []
    in_table = False
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        if line.startswith("| type | prediction |"):
            in_table = True
            continue
        if in_table and line.startswith("|---"):
            continue
        if in_table and line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
        elif in_table:
            break
    return rows


DOC_ROWS = _doc_rows()


def test_docs_table_is_found_and_covers_every_value_type():
    assert len(DOC_ROWS) >= 60
    assert all(len(row) == 7 for row in DOC_ROWS), [row for row in DOC_ROWS if len(row) != 7]
    types = {row[0].removesuffix("[]") for row in DOC_ROWS}
    assert set(VALUE_TYPES) | {"any"} <= types
    # the lenient-only rules are documented with an example each
    assert {(row[0], row[4], row[5]) for row in DOC_ROWS} >= {
        ("DATE", "no match", "partial"), ("OFFICE", "no match", "partial"), ("TEXT", "no match", "match")}


@pytest.mark.parametrize("row", DOC_ROWS, ids=[f"{r[0]}:{r[1]}" for r in DOC_ROWS])
def test_docs_table_row_holds(row, doc, normalizer):
    value_type, prediction, normal_form, gold, strict, lenient, _rule = row
    assert prediction.startswith("`") and prediction.endswith("`"), prediction
    raw = json.loads(prediction[1:-1])
    if value_type == "any":
        for vt in VALUE_TYPES:
            for is_list in (False, True):
                assert _pred_values(raw, SlotSpec("x", vt, is_list), normalizer) == ()
        assert normal_form == "(no value)"
        return
    is_list = value_type.endswith("[]")
    base = value_type.removesuffix("[]")
    values = _pred_values(raw, SlotSpec("x", base, is_list), normalizer)
    if normal_form == "(no value)":
        assert values == ()
    elif normal_form == "(parse error)":
        assert len(values) == 1
        assert values[0].normal is None
    elif normal_form == "(no year)":
        assert len(values) == 1
        assert values[0].normal.no_year
    else:
        assert all(v.normal is not None for v in values), [v.error for v in values]
        assert "; ".join(v.normal.display for v in values) == normal_form
    if gold == "—":
        assert (strict, lenient) == ("—", "—")
        return
    assert len(values) == 1
    golds = _gold(doc, normalizer, base, gold)
    for regime, expected in (("strict", strict), ("lenient", lenient)):
        credit, reason = compare(values[0].normal, golds, regime)
        assert LABELS[credit] == expected, (regime, reason)
        if normal_form == "(no year)":
            assert reason == "no_year"


# --------------------------------------------------------------------------- aliases and formats (both regimes)


@pytest.mark.parametrize(("value_type", "raw", "gold"), [
    ("PERSON", "Putin", "Vladimir Putin"),
    ("PERSON", "Vladimir Putin", "Vladimir Putin"),
    ("PERSON", "Russian President Vladimir Putin", "Vladimir Putin"),
    ("PERSON", "President Putin", "Vladimir Putin"),
    ("PERSON", "Mr. Putin", "Vladimir Putin"),
    ("PERSON", "Ilham Aliyev, president", "Ilham Aliyev"),
    ("PERSON", "Ｐｕｔｉｎ", "Vladimir Putin"),  # full-width letters (NFKC)
    ("TEXT", "ＰＥＡＣＥＫＥＥＰＥＲＳ", "peacekeepers"),
    ("DATE", "9 November 2020", "2020-11-09"),
    ("DATE", "November 9, 2020", "2020-11-09"),
    ("DATE", "2020-11-09", "2020-11-09"),
    ("DATE", "9th of November 2020", "2020-11-09"),
    ("OFFICE", "Armenian deputy prime minister", "Deputy Prime Minister of Armenia"),
    ("OFFICE", "deputy prime minister of Armenia", "Deputy Prime Minister of Armenia"),
    ("OFFICE", "Deputy Prime Minister of the Russian Federation", "Deputy Prime Minister of Russia"),
    ("OFFICE", "deputy PM of Azerbaijan", "Deputy Prime Minister of Azerbaijan"),
    ("OFFICE", "Russian President", "President of Russia"),
    ("COUNTRY", "Russian", "Russia"),
    ("COUNTRY", "Armenians", "Armenia"),
    ("COUNTRY", "Azerbaijani", "Azerbaijan"),
    ("PLACE", "Lachin", "Lachin corridor"),
    ("DURATION", "four-hour", "PT4H"),
    ("DURATION", "four hours", "PT4H"),
    ("DURATION", "a four-hour summit", "PT4H"),
    ("DURATION", "pt4h", "PT4H"),
    ("TEXT", "The peacekeepers.", "peacekeepers"),
    ("TEXT", "PEACEKEEPERS", "peacekeepers"),
    ("TEXT", "a peacekeeping contingent", "peacekeepers"),
    ("TEXT", "Transport-ties", "transport ties"),
])
def test_alias_and_format_variants_match_in_both_regimes(doc, normalizer, value_type, raw, gold):
    for regime in REGIMES:
        credit, _ = _credit(normalizer, doc, value_type, raw, gold, regime)
        assert credit == FULL


def test_match_reasons(doc, normalizer):
    assert _credit(normalizer, doc, "PERSON", "Vladimir Putin", "Vladimir Putin", "strict") == (FULL, "match")
    assert _credit(normalizer, doc, "PERSON", "Putin", "Vladimir Putin", "strict") == (FULL, "alias")
    assert _credit(normalizer, doc, "DATE", "9 November 2020", "2020-11-09", "strict") == (FULL, "match")
    assert _credit(normalizer, doc, "TEXT", "Russian peacekeepers", "peacekeepers", "strict") == (
        FULL, "alias of 'peacekeepers'")


def test_normal_forms(normalizer):
    assert normalizer.normalize("Russian President Vladimir Putin", "PERSON").key == "entity:putin"
    assert normalizer.normalize("V. Putin", "PERSON").key == "entity:putin"
    assert normalizer.normalize("Joe Biden", "PERSON").key == "person:joe biden"
    assert normalizer.normalize("Russian", "COUNTRY").key == "entity:russia"
    assert normalizer.normalize("France", "COUNTRY").key == "country:france"
    assert normalizer.normalize("Sochi", "PLACE").key == "place:sochi"
    assert normalizer.normalize("Armenia", "PLACE").key == "entity:armenia"  # a country named as a place
    office = normalizer.normalize("deputy prime minister", "OFFICE")
    assert (office.key, office.role, office.country) == ("office:deputy prime minister|None",
                                                         "deputy prime minister", None)
    assert normalizer.normalize("four-hour", "DURATION").key == "duration:PT4H"
    assert normalizer.normalize("The Peacekeepers!", "TEXT").key == "text:peacekeepers"
    assert normalizer.normalize(2020, "DATE").key == "date:2020"
    assert normalizer.normalize("September 27", "DATE").no_year


def test_document_country_aliases_before_a_name_are_dropped():
    # Counterfactual variants invent countries: their demonyms are in the document's table, not the world's.
    normalizer = Normalizer({
        "vantok": Entity("vantok", "PERSON", "Aurel Vantok", ("Vantok",)),
        "valdoria": Entity("valdoria", "COUNTRY", "Valdoria", ("Valdorian",)),
    })
    assert normalizer.normalize("Valdorian President Aurel Vantok", "PERSON").key == "entity:vantok"
    assert normalizer.normalize("Valdorian leader Vantok", "PERSON").key == "entity:vantok"
    assert normalizer.normalize("Valdorian", "PERSON").key == "person:valdorian"  # never strips the last word


# --------------------------------------------------------------------------- regime differences


def test_truncated_date_is_partial_only_in_lenient(doc, normalizer):
    assert _credit(normalizer, doc, "DATE", "2020-11", "2020-11-09", "strict") == (NONE, "wrong_date")
    assert _credit(normalizer, doc, "DATE", "2020-11", "2020-11-09", "lenient") == (PARTIAL, "truncated_date")
    assert _credit(normalizer, doc, "DATE", "2020", "2020-11-09", "lenient") == (PARTIAL, "truncated_date")
    assert _credit(normalizer, doc, "DATE", "1988", "1988-02", "lenient") == (PARTIAL, "truncated_date")
    # wrong truncations, finer predictions and intervals earn nothing
    assert _credit(normalizer, doc, "DATE", "2020-10", "2020-11-09", "lenient") == (NONE, "wrong_date")
    assert _credit(normalizer, doc, "DATE", "1988-02-01", "1988-02", "lenient") == (NONE, "wrong_date")
    assert _credit(normalizer, doc, "DATE", "1992", "1992/1994", "lenient") == (NONE, "wrong_date")
    assert _credit(normalizer, doc, "DATE", "1992-1993", "1992/1994", "lenient") == (NONE, "wrong_date")


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("raw", ["September 27", "27 September", "Sept. 27", "September", "September 27-28"])
def test_yearless_date_is_wrong_with_reason_no_year(doc, normalizer, raw, regime):
    assert _credit(normalizer, doc, "DATE", raw, "2020-09-27", regime) == (NONE, "no_year")


@pytest.mark.parametrize("regime", REGIMES)
def test_wrong_year_is_wrong(doc, normalizer, regime):
    assert _credit(normalizer, doc, "DATE", "September 27, 2019", "2020-09-27", regime) == (NONE, "wrong_date")


def test_office_missing_country_is_partial_only_in_lenient(doc, normalizer):
    gold = "Deputy Prime Minister of Armenia"
    assert _credit(normalizer, doc, "OFFICE", "deputy prime minister", gold, "strict") == (NONE, "wrong_value")
    assert _credit(normalizer, doc, "OFFICE", "deputy prime minister", gold, "lenient") == (PARTIAL,
                                                                                            "missing_country")
    assert _credit(normalizer, doc, "OFFICE", "deputy premiers", gold, "lenient") == (PARTIAL, "missing_country")
    # wrong country or wrong role: nothing in either regime
    for regime in REGIMES:
        assert _credit(normalizer, doc, "OFFICE", "deputy prime minister of Russia", gold, regime)[0] == NONE
        assert _credit(normalizer, doc, "OFFICE", "prime minister", gold, regime)[0] == NONE


def test_text_jaccard_only_in_lenient(normalizer):
    gold = normalizer.gold_normals("TEXT", "working group on transport and economic ties", None)
    near = normalizer.normalize("working group on transport economic ties", "TEXT")  # 6 / 7
    far = normalizer.normalize("working group on transport", "TEXT")  # 4 / 7
    assert compare(near, gold, "strict") == (NONE, "wrong_value")
    assert compare(near, gold, "lenient") == (FULL, "fuzzy_text")
    assert compare(far, gold, "lenient") == (NONE, "wrong_value")
    four_of_five = normalizer.normalize("a b c d", "TEXT")
    assert compare(four_of_five, normalizer.gold_normals("TEXT", "a b c d e", None), "lenient") == (
        NONE, "wrong_value")  # "a" is an article: {b, c, d} vs {b, c, d, e} = 0.75
    assert compare(normalizer.normalize("w x y z", "TEXT"), normalizer.gold_normals("TEXT", "w x y z v", None),
                   "lenient") == (FULL, "fuzzy_text")  # exactly 0.8


# --------------------------------------------------------------------------- no value, lists, parse errors


@pytest.mark.parametrize("raw", [None, "", "  ", "unknown", "Unknown", "N/A", "n/a", "none", "null", "-", "?",
                                 "not stated", "not mentioned", [], [None, ""], ["unknown", "N/A"]])
def test_no_value_forms(raw):
    assert is_no_value(raw)


@pytest.mark.parametrize("raw", ["Ｎ／Ａ", "ｕｎｋｎｏｗｎ", ["Ｎ／Ａ", None]])
def test_full_width_no_value_forms_are_no_value(raw):
    assert is_no_value(raw)


@pytest.mark.parametrize("raw", ["Putin", 0, 2020, ["Putin", None], "unknown person"])
def test_values_that_are_not_no_value(raw):
    assert not is_no_value(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Putin, Aliyev and Pashinyan", ["Putin", "Aliyev", "Pashinyan"]),
    ("Putin; Aliyev", ["Putin", "Aliyev"]),
    ("Putin and Aliyev", ["Putin", "Aliyev"]),
    ("Putin,Aliyev,", ["Putin", "Aliyev"]),
    ("Putin, unknown", ["Putin"]),
    (["Putin and Aliyev", None, "unknown"], ["Putin", "Aliyev"]),
    (["Putin", 42], ["Putin", 42]),
    ("Sandra Anderson", ["Sandra Anderson"]),  # "and" only as a word
    ("Putin, Aliyev, and Pashinyan", ["Putin", "Aliyev", "Pashinyan"]),  # the serial comma
    ("Putin AND Aliyev And Pashinyan", ["Putin", "Aliyev", "Pashinyan"]),
    ("Putin & Aliyev; and Pashinyan", ["Putin", "Aliyev", "Pashinyan"]),
    ("ANDREW ANDERSON", ["ANDREW ANDERSON"]),
    ("Putin，Pashinyan", ["Putin", "Pashinyan"]),  # a full-width comma (NFKC)
])
def test_split_list(raw, expected):
    assert split_list(raw) == expected


@pytest.mark.parametrize(("value_type", "raw"), [
    ("DATE", "garbage"), ("DATE", "2021-02-30"), ("DATE", "Wednesday"), ("PERSON", "123"), ("PERSON", "..."),
    ("PLACE", "!!!"), ("COUNTRY", "--"), ("OFFICE", "of the"), ("DURATION", "long"), ("DURATION", "4"),
    ("TEXT", "..."), ("DATE", True), ("PERSON", {"name": "Putin"}), ("TEXT", "x" * 501),
])
def test_garbage_values_raise(normalizer, value_type, raw):
    with pytest.raises(NormalizationError):
        normalizer.normalize(raw, value_type)


def test_pred_values_scalar_and_list_slots(normalizer):
    scalar = SlotSpec("initiator", "PERSON")
    listed = SlotSpec("participants", "PERSON", is_list=True)
    [several] = _pred_values(["Putin", "Aliyev"], scalar, normalizer)
    assert several.normal is None and "several values" in several.error
    [one] = _pred_values(["Putin", "unknown"], scalar, normalizer)
    assert one.normal.key == "entity:putin"
    as_set = _pred_values(["Putin", "Vladimir Putin", "V. Putin", "Aliyev"], listed, normalizer)
    assert [v.normal.key for v in as_set] == ["entity:putin", "entity:aliyev"]
    mixed = _pred_values(["Putin", 42], listed, normalizer)
    assert [v.normal is None for v in mixed] == [False, True]


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(("raw", "role"), [
    ("Deputy Prime Ministers", "deputy prime minister"), ("PM", "prime minister"), ("premier", "prime minister"),
    ("deputy premier", "deputy prime minister"), ("vice premier", "deputy prime minister"),
    ("minister of foreign affairs", "foreign minister"), ("FM", "foreign minister"),
    ("President", "president"),
])
def test_office_role(raw, role):
    assert office_role(raw) == role


def test_text_tokens():
    assert text_tokens("The Peacekeepers, an army!") == ("peacekeepers", "army")
    assert text_tokens("Russia’s troops") == text_tokens("Russia's troops") == ("russia", "s", "troops")


def test_plural_demonyms_of_a_documents_own_countries_are_dropped_before_a_name(shipped_gold):
    # The counterfactual's invented country (Valdoria) as a plural possessive, as "Russians' Putin" is read.
    doc = shipped_gold.documents["tass-2021-02-17-cf1"]
    normalizer = Normalizer(doc.entities)
    assert normalizer.normalize("Valdorians' Vantok", "PERSON") == normalizer.normalize("Vantok", "PERSON")
    assert normalizer.normalize("Vantok", "PERSON").key.startswith("entity:")
