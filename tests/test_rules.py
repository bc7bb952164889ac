"""Tests of the rule-based extractor `rules` (runners/rules*.py).

Most texts here are invented (invented people, places, countries and dates, in several date
formats), so the rules cannot pass by remembering the benchmark's article. The article itself is
used only (a) to check that no literal of it was written into the extractor and (b) through a
counterfactual copy in which every name, place and date is consistently replaced: the copy must
give the same records, mapped.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

import pytest

from benchmark.types import RECORD_TYPES, Document
from runners.rules import RulesExtractor
from runners.rules_text import find_dates, segment

ROOT = Path(__file__).resolve().parent.parent
RUNNERS = ROOT / "runners"
ARTICLE = ROOT / "seeds" / "tass_2021-02-17_putin_pashinyan_karabakh.txt"
ARTICLE_PUBLISHED = "2021-02-17"

# The article's people and places, and its dates: none may be written anywhere under runners/.
ARTICLE_NAMES = ("Putin", "Vladimir", "Pashinyan", "Nikol", "Aliyev", "Ilham", "Lachin", "Karabakh", "Nagorno",
                 "Moscow", "Baku", "Yerevan")
ARTICLE_DATES = ("November 9", "9 November", "January 11", "September 27", "1988", "1992")


def run(text: str, published: str | None) -> list[dict[str, Any]]:
    return RulesExtractor().extract(Document("test", text, published))


def canon(records: list[dict[str, Any]]) -> list[tuple[str, tuple]]:
    """Records as comparable tuples: scored and descriptive slots, lists as sorted tuples."""
    out = []
    for r in records:
        slots = []
        for key, value in sorted(r["slots"].items()):
            if key in ("name", "description"):
                continue
            slots.append((key, tuple(sorted(value)) if isinstance(value, list) else value))
        out.append((r["type"], tuple(slots)))
    return sorted(out)


def rec(kind: str, **slots: Any) -> tuple[str, tuple]:
    return canon([{"type": kind, "slots": slots}])[0]


def assert_well_formed(records: list[dict[str, Any]], text: str) -> None:
    for r in records:
        assert r["type"] in RECORD_TYPES, r
        assert set(r["slots"]) <= set(RECORD_TYPES[r["type"]]), r
        assert r["evidence"], r
        for start, end in r["evidence"]:
            assert 0 <= start < end <= len(text), r


# --------------------------------------------------------------------------- hygiene


def test_no_article_literal_under_runners():
    offenders = []
    for path in sorted(RUNNERS.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for literal in ARTICLE_NAMES:
            if re.search(re.escape(literal), source, re.I):
                offenders.append(f"{path.name}: {literal}")
        for literal in ARTICLE_DATES:
            if literal in source:
                offenders.append(f"{path.name}: {literal}")
    assert offenders == []


def test_rules_never_reads_the_gold():
    for path in sorted(RUNNERS.glob("rules*.py")):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\bgold\b", source, re.I), path.name
        assert "reads_gold = True" not in source


def test_identity():
    ex = RulesExtractor()
    assert ex.name == "rules" and not ex.reads_gold and ex.offline


# --------------------------------------------------------------------------- dates


def _dates(text: str, published: str | None) -> list[tuple[str, str | None]]:
    layout = segment(text)
    return [(d.text, d.iso) for d in find_dates(text, layout, published)]


def test_date_grammar_absolute_partial_intervals():
    text = ("Talks were held on 4 March 2016 and again on March 5, 2016. The dispute began in June 1971. "
            "Fighting raged in 1983-1985 and flared between 1990 and 1991. A truce came from 2003 to 2004.")
    assert _dates(text, "2016-06-01") == [
        ("4 March 2016", "2016-03-04"), ("March 5, 2016", "2016-03-05"), ("June 1971", "1971-06"),
        ("1983-1985", "1983/1985"), ("between 1990 and 1991", "1990/1991"), ("from 2003 to 2004", "2003/2004"),
    ]


def test_weekday_and_relative_dates_use_published():
    text = "The envoys met on Monday. They met again the next day. Two days later they signed a pact."
    # 2019-05-08 is a Wednesday: Monday is 2019-05-06
    assert _dates(text, "2019-05-08") == [
        ("Monday", "2019-05-06"), ("the next day", "2019-05-07"), ("Two days later", "2019-05-09"),
    ]


def test_year_less_dates_follow_the_narrative_else_the_latest_past():
    text = ("In March 2011, the two sides signed a treaty. On June 4, they met again.\n\n"
            "Clashes broke out on October 3.\n\n"
            "On 30 December 2014, a truce was signed, effective from 2 January.")
    assert _dates(text, "2015-08-12") == [
        ("March 2011", "2011-03"), ("June 4", "2011-06-04"),  # the paragraph narrates 2011
        ("October 3", "2014-10-03"),  # no anchor: the latest October 3 on or before publication
        ("30 December 2014", "2014-12-30"), ("2 January", "2015-01-02"),  # forward from its anchor
    ]


def test_no_published_date_means_no_guessed_year():
    records = run("Clashes between Dravonia and Kestria erupted on October 3 in the Selvan Valley. "
                  "Envoys met on Friday.", None)
    for r in records:
        for key in ("date", "start_date", "established"):
            value = r["slots"].get(key)
            assert value is None or re.match(r"^\d{4}", value), r


# --------------------------------------------------------------------------- invented news texts

T1 = """Kessel and Moran sign energy memorandum

VELMORA, 28 February. /NPA/. Ostrevian President Dario Kessel and Tarvanian Prime Minister Ilse Moran held talks \
in Port Amsel on Tuesday, the presidential office said.

The three-hour meeting was initiated by the Tarvanian leader. After the talks, Kessel and Moran signed a \
memorandum establishing a joint commission headed by the foreign ministers of Ostrevia and Tarvania, which will \
focus on energy and water cooperation.
"""

T2 = """Fighting between Dravonia and Kestria broke out on 14 July 2019 in the Selvan Valley. A truce brokered by \
Ulmark took effect on 2 August 2019 across the Selvan Valley.

Ulmarkian peacekeepers were stationed along the demarcation line and in the town of Brisk.

Talks between Dravonian Foreign Minister Anya Rusk and Kestrian Foreign Minister Pol Idris took place in Lenz \
on 20 August 2019. They met again the next day.
"""

T3 = """GRENHOLM (Nordwire) - Relations between the two northern neighbours have improved markedly.

In March 2018, Prime Minister Sofia Lind of Vesteria and President Tomas Ekberg of Norhavia signed a border \
treaty in Halden. On June 4, the two leaders met again in Grenholm for a two-hour summit.

The dispute between Vesteria and Norhavia had escalated into armed clashes between 2014 and 2016.
"""


def test_invented_meeting_signing_and_commission():
    records = run(T1, "2023-03-03")  # a Friday: Tuesday is 28 February
    assert_well_formed(records, T1)
    kessel, moran = "Dario Kessel", "Ilse Moran"
    assert canon(records) == sorted([
        rec("meeting", date="2023-02-28", participants=[kessel, moran], location="Port Amsel", initiator=moran,
            duration="PT3H"),
        rec("agreement", date="2023-02-28", signatories=[kessel, moran], location="Port Amsel"),
        rec("body", chairs=["foreign minister of Ostrevia", "foreign minister of Tarvania"], established="2023-02-28",
            focus=["energy cooperation", "water cooperation"]),
        rec("office_holder", person=kessel, office="President of Ostrevia"),
        rec("office_holder", person=moran, office="Prime Minister of Tarvania"),
    ])


def test_invented_conflict_truce_deployment_and_next_day():
    records = run(T2, "2019-09-30")
    assert_well_formed(records, T2)
    rusk, idris = "Anya Rusk", "Pol Idris"
    assert canon(records) == sorted([
        rec("conflict_event", date="2019-07-14", parties=["Dravonia", "Kestria"], location="Selvan Valley"),
        rec("ceasefire", start_date="2019-08-02", region="Selvan Valley"),
        rec("deployment", force="peacekeepers", country="Ulmark", locations=["demarcation line", "Brisk"]),
        rec("meeting", date="2019-08-20", participants=[rusk, idris], location="Lenz"),
        rec("meeting", date="2019-08-21", participants=[rusk, idris]),
        rec("office_holder", person=rusk, office="Foreign Minister of Dravonia"),
        rec("office_holder", person=idris, office="Foreign Minister of Kestria"),
    ])


def test_invented_narrative_year_titles_after_names_and_intervals():
    records = run(T3, "2020-05-06")
    assert_well_formed(records, T3)
    lind, ekberg = "Sofia Lind", "Tomas Ekberg"
    assert canon(records) == sorted([
        rec("agreement", date="2018-03", signatories=[lind, ekberg], location="Halden"),
        rec("meeting", date="2018-06-04", participants=[lind, ekberg], location="Grenholm", duration="PT2H"),
        rec("conflict_event", date="2014/2016", parties=["Vesteria", "Norhavia"]),
        rec("office_holder", person=lind, office="Prime Minister of Vesteria"),
        rec("office_holder", person=ekberg, office="President of Norhavia"),
    ])


def test_coreference_to_the_leader_of_a_country_and_group_expansion():
    text = ("Ruritanian President Ana Velmor, Freedonian Prime Minister Tomas Drell and Sylvanian President Ida Marr "
            "met in Zenda on 3 May 2022, at the invitation of the Sylvanian leader. The leaders of Ruritania, "
            "Freedonia and Sylvania then signed a declaration creating a task force co-chaired by the deputy "
            "prime ministers of the three countries, tasked with border and customs issues.")
    records = run(text, "2022-05-10")
    by_type = {r["type"]: r["slots"] for r in records if r["type"] != "office_holder"}
    assert by_type["meeting"]["initiator"] == "Ida Marr"
    assert by_type["meeting"]["location"] == "Zenda"
    assert sorted(by_type["agreement"]["signatories"]) == ["Ana Velmor", "Ida Marr", "Tomas Drell"]
    assert by_type["agreement"]["date"] == "2022-05-03"
    assert sorted(by_type["body"]["chairs"]) == [
        "deputy prime minister of Freedonia", "deputy prime minister of Ruritania", "deputy prime minister of Sylvania"]
    assert by_type["body"]["focus"] == ["border issues", "customs issues"]
    assert by_type["body"]["established"] == "2022-05-03"


def test_dateline_is_never_a_location():
    text = "ZENDA, May 4. /RNA/. Ruritanian President Ana Velmor and Freedonian Prime Minister Tomas Drell " \
           "discussed trade on Wednesday, the palace said."
    records = run(text, "2022-05-04")
    meeting = next(r for r in records if r["type"] == "meeting")
    assert "location" not in meeting["slots"]
    assert meeting["slots"]["date"] == "2022-05-04"


# --------------------------------------------------------------------------- the article, counterfactually

# Every name, place and date of the article -> an invented one (longest first when applied).
SUBSTITUTIONS = {
    "Vladimir Putin": "Halvard Strand", "Putin": "Strand",
    "Nikol Pashinyan": "Emil Varga", "Pashinyan": "Varga",
    "Ilham Aliyev": "Ravi Okonjo", "Aliyev": "Okonjo",
    "Azerbaijani": "Kalmerian", "Azerbaijan": "Kalmeria",
    "Armenians": "Ostrevians", "Armenian": "Ostrevian", "Armenia": "Ostrevia",
    "Russian": "Norvalian", "Russia": "Norvalia",
    "Nagorno-Karabakh": "Upper Drevnia", "Karabakh": "Drevnia", "Lachin": "Morsk",
    "MOSCOW": "VALGRAD", "Moscow": "Valgrad", "Baku": "Kesh", "Kremlin": "Amber Palace",
    "Soviet Union": "Grand Union", "Soviet": "Grand", "TASS": "NVA",
    # dates shift by 20 weeks (140 days); the published date with them, so weekdays stay true
    "November 9, 2020": "March 29, 2021", "November 10": "March 30", "January 11, 2021": "June 1, 2021",
    "January 11": "June 1", "September 27": "February 14", "February 17": "July 7", "February 1988": "July 1988",
    "1992-1994": "1993-1995",
}
SHIFTED_PUBLISHED = "2021-07-07"
ISO_MAP = {"2020-11-09": "2021-03-29", "2020-11-10": "2021-03-30", "2021-01-11": "2021-06-01",
           "2020-09-27": "2021-02-14", "2021-02-17": "2021-07-07", "1988-02": "1988-07", "1992/1994": "1993/1995"}


def _substitute(text: str) -> str:
    keys = sorted(SUBSTITUTIONS, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(k) for k in keys))
    return pattern.sub(lambda m: SUBSTITUTIONS[m.group(0)], text)


def _map_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_map_value(v) for v in value]
    if isinstance(value, str):
        return ISO_MAP.get(value) or _substitute(value)
    return value


@pytest.mark.skipif(not ARTICLE.exists(), reason="the article is not in seeds/")
def test_counterfactual_article_gives_the_same_structure():
    text = ARTICLE.read_text(encoding="utf-8")
    variant = _substitute(text)
    for name in ARTICLE_NAMES:
        assert name.lower() not in variant.lower()
    assert dt.date.fromisoformat(SHIFTED_PUBLISHED).weekday() == dt.date.fromisoformat(ARTICLE_PUBLISHED).weekday()
    original = run(text, ARTICLE_PUBLISHED)
    mapped = [{"type": r["type"], "slots": {k: _map_value(v) for k, v in r["slots"].items()}} for r in original]
    assert canon(run(variant, SHIFTED_PUBLISHED)) == canon(mapped)
    # and the structure is the one the annotation rules ask for
    kinds = sorted(r["type"] for r in original)
    assert kinds == sorted(["meeting", "meeting", "agreement", "agreement", "ceasefire", "deployment", "body",
                            "conflict_event", "conflict_event", "conflict_event",
                            "office_holder", "office_holder", "office_holder"])
    slots = {k: v for r in original for k, v in r["slots"].items() if r["type"] == "body"}
    assert len(slots["chairs"]) == 3 and len(slots["focus"]) == 2


@pytest.mark.skipif(not ARTICLE.exists(), reason="the article is not in seeds/")
def test_article_is_fast_and_well_formed():
    text = ARTICLE.read_text(encoding="utf-8")
    start = time.perf_counter()
    records = run(text, ARTICLE_PUBLISHED)
    assert time.perf_counter() - start < 2.0
    assert_well_formed(records, text)
    assert all(re.match(r"^\d{4}", r["slots"][k]) for r in records
               for k in ("date", "start_date", "established") if k in r["slots"])


PARAPHRASE = """Kremlin: Putin, Pashinyan talk Karabakh

MOSCOW, Feb 17 (TASS) — The Kremlin said on Wednesday that Russian President Vladimir Putin and Armenian Prime \
Minister Nikol Pashinyan had discussed how the Nagorno-Karabakh agreements were being implemented.

The two leaders talked about the November 9, 2020 statement by the leaders of Russia, Armenia and Azerbaijan, and \
about the deals struck at the January 11, 2021 trilateral summit in Moscow.

Background

The latest round of hostilities between Azerbaijan and Armenia began on September 27 in Nagorno-Karabakh. Armenia \
and Azerbaijan have been in conflict over Nagorno-Karabakh since February 1988. From 1992 to 1994 the confrontation \
turned into a full-scale war for control over the region.

A joint statement on a complete ceasefire in Nagorno-Karabakh, effective from November 10, was signed on November 9, \
2020 by Russian President Vladimir Putin, Azerbaijani President Ilham Aliyev and Armenian Prime Minister Nikol \
Pashinyan. Russia deployed peacekeepers along the contact line and in the Lachin corridor. The Russian \
peacekeeping contingent was also stationed in Nagorno-Karabakh.

Putin, Aliyev and Pashinyan met in Moscow on January 11 at Putin's initiative. The summit lasted four hours. They \
signed a joint statement that set up a working group co-chaired by the Russian, Azerbaijani and Armenian deputy \
prime ministers. The working group will deal with unblocking transport and economic ties in the region.
"""


@pytest.mark.skipif(not ARTICLE.exists(), reason="the article is not in seeds/")
def test_hand_written_paraphrase_gives_the_articles_records():
    """Passive signing, pre-noun dates, "X's initiative", a later sentence about the group, no dateline place."""
    article = canon(run(ARTICLE.read_text(encoding="utf-8"), ARTICLE_PUBLISHED))
    paraphrase = canon(run(PARAPHRASE, ARTICLE_PUBLISHED))
    assert paraphrase == article


# --------------------------------------------------------------------------- held-out patterns (invented sentences)


def _slots(records: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in r["slots"].items() if k not in ("name", "description")}
            for r in records if r["type"] == kind]


def test_month_abbreviation_is_never_a_place():
    text = "Clashes between Peru and Chile erupted on Sept. 3, 2019, with heavy battles in Tarsk."
    assert _slots(run(text, "2019-10-01"), "conflict_event") == [
        {"date": "2019-09-03", "parties": ["Peru", "Chile"], "location": "Tarsk"}]


def test_a_signing_takes_no_place_from_a_meeting_of_another_date_in_its_sentence():
    text = ("Peruvian President Ana Bell and Chilean President Rui Costa met in Quito on Monday. The two leaders "
            "went over a pact that was signed by the leaders of Peru and Chile on March 3, 2019, and deals reached at "
            "a summit held in Lima on May 5, 2019, officials said.")
    agreements = _slots(run(text, "2019-09-04"), "agreement")
    assert agreements == [{"date": "2019-03-03", "signatories": ["Ana Bell", "Rui Costa"]}]


def test_initiator_from_a_relative_clause_and_gathering_verbs():
    text = ("Peruvian President Ana Bell and Chilean President Rui Costa came together in Lima on May 5, 2019 for a "
            "summit that the Chilean president had convened. On June 2, 2019, Bell hosted Costa in Cusco for talks "
            "that she had initiated.")
    meetings = _slots(run(text, "2019-09-04"), "meeting")
    assert meetings == [
        {"date": "2019-05-05", "participants": ["Ana Bell", "Rui Costa"], "location": "Lima", "initiator": "Rui Costa"},
        {"date": "2019-06-02", "participants": ["Ana Bell", "Rui Costa"], "location": "Cusco",
         "initiator": "Ana Bell"}]


def test_document_signed_on_a_date_by_appositive_signatories():
    text = ("It was ended by a document signed on June 1, 2019 by two men: Ana Bell, the president of Peru; "
            "and Rui Costa, Chile's president.")
    records = run(text, "2019-09-04")
    assert _slots(records, "agreement") == [{"date": "2019-06-01", "signatories": ["Ana Bell", "Rui Costa"]}]
    assert sorted(r["slots"]["office"] for r in records if r["type"] == "office_holder") == [
        "President of Chile", "President of Peru"]


def test_dispute_that_broke_out_and_set_one_country_against_another():
    text = ("The dispute over the Cenepa valley is old. It broke out in July 1941 and has set Peru against Chile "
            "ever since.")
    assert _slots(run(text, "2019-09-04"), "conflict_event") == [
        {"date": "1941-07", "parties": ["Peru", "Chile"], "location": "Cenepa valley"}]


def test_conflict_dating_back_to_a_month():
    text = "The conflict between Peru and Chile over the Tarn valley dates back to March 1981."
    assert _slots(run(text, "2019-09-04"), "conflict_event") == [
        {"date": "1981-03", "parties": ["Peru", "Chile"], "location": "Tarn valley"}]


def test_troops_of_two_nationalities_clashed():
    text = "Peruvian and Ecuadorian troops clashed near Tiwinza on Sept. 3 last year."
    assert _slots(run(text, "2019-09-04"), "conflict_event") == [
        {"date": "2018-09-03", "parties": ["Peru", "Ecuador"], "location": "Tiwinza"}]


def test_deployment_across_sentences_they_and_the_contingent():
    text = ("Chile then sent peacekeepers. They were deployed to the Tarn pass, the only road into the valley, and "
            "along the border line. The situation calmed after the Chilean contingent arrived in Tiwinza.")
    assert _slots(run(text, "2019-09-04"), "deployment") == [
        {"force": "peacekeepers", "country": "Chile", "locations": ["Tarn pass", "border line", "Tiwinza"]}]


def test_coordinated_force_keeps_its_nationality():
    text = "Some 800 Kenyan monitors and peacekeepers were deployed to the Tarn pass."
    assert _slots(run(text, "2019-09-04"), "deployment") == [
        {"force": "peacekeepers", "country": "Kenya", "locations": ["Tarn pass"]}]


def test_chairs_from_a_list_of_countries():
    text = ("On May 5, 2019, the presidents signed a joint statement setting up a commission, co-chaired by deputy "
            "foreign ministers from Peru and Chile, which will focus on trade.")
    assert _slots(run(text, "2019-09-04"), "body") == [
        {"chairs": ["deputy foreign minister of Peru", "deputy foreign minister of Chile"],
         "established": "2019-05-05", "focus": ["trade"]}]


def test_trade_dispute_is_no_conflict_and_a_requester_is_no_participant():
    text = ("Kenyan President Jane Otieno said the tariff dispute dates back to 2019. Delegations came together in "
            "Geneva on May 3, 2022 for talks that Otieno had requested.")
    records = run(text, "2022-05-12")
    assert _slots(records, "conflict_event") == []
    assert _slots(records, "meeting") == [{"date": "2022-05-03", "location": "Geneva", "initiator": "Jane Otieno"}]
