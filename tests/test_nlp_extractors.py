"""Tests of the NLP extractors (spacy, minilm-qa, hf-ner) and their shared helpers.

All texts are invented: invented people, places and countries (an injected country table), so
nothing here can pass by remembering the benchmark's article.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from benchmark.types import RECORD_TYPES, Document
from runners import nlp_common as nc

ROWS = (
    nc.CountryRow("Ruritania", "RU", ("Ruritanian",), ("Kingdom of Ruritania",), "Strelsau"),
    nc.CountryRow("Freedonia", "FR", ("Freedonian",), (), "Fredville"),
    nc.CountryRow("Sylvania", "SY", ("Sylvanian",), (), "Sylvan City"),
)

TEXT = (
    "Velmor, Drell discuss trade\n\n"
    "STRELSAU, April 6. /ANA/. Ruritanian President Ana Velmor and Freedonian Prime Minister Tomas Drell "
    "discussed trade, the palace said on Wednesday.\n\n"
    "Fierce clashes between Ruritania and Freedonia erupted on May 5, 2019, with battles raging in the "
    "disputed region of Vask. Sylvanian peacekeepers were deployed to the Orlen Pass.\n\n"
    "On March 3, Velmor and Drell held talks in Strelsau, initiated by the Ruritanian leader. "
    "After the two-hour summit, they signed a joint declaration establishing a commission chaired by "
    "foreign ministers of the two countries, which should focus on trade and energy links.\n"
)
PUBLISHED = "2022-04-06"  # a Wednesday


@pytest.fixture()
def table() -> nc.CountryTable:
    return nc.CountryTable(ROWS)


def assert_well_formed(records, text):
    assert isinstance(records, list)
    for record in records:
        assert nc.well_formed(record, text) == [], record
        assert record["type"] in RECORD_TYPES
        assert set(record["slots"]) <= set(RECORD_TYPES[record["type"]])
        assert record["evidence"], record
        json.dumps(record)


# --------------------------------------------------------------------------- helpers (exact numbers)


def test_split_sentences_offsets_headings_and_dateline():
    sents = nc.split_sentences(TEXT)
    assert [s.kind for s in sents] == ["heading", "dateline", "body", "body", "body", "body", "body"]
    for s in sents:
        assert TEXT[s.start:s.end] == s.text
    assert sents[0].text == "Velmor, Drell discuss trade"
    assert sents[1].text == "STRELSAU, April 6. /ANA/. "
    assert sents[2].start == 55
    assert sents[4].text == "Sylvanian peacekeepers were deployed to the Orlen Pass."


def test_split_sentences_keeps_abbreviations_and_initials():
    text = "Mr. Ivo K. Brandt arrived. He met Dr. Lena Osk on Monday."
    assert [s.text for s in nc.split_sentences(text)] == ["Mr. Ivo K. Brandt arrived.",
                                                          "He met Dr. Lena Osk on Monday."]


def test_country_table_lookup_and_find(table):
    assert len(table) == 3
    assert table.lookup("Ruritanian") == "Ruritania"
    assert table.lookup("the Kingdom of Ruritania") == "Ruritania"
    assert table.lookup("Strelsau") is None
    assert table.lookup("Strelsau", capitals=True) == "Ruritania"
    assert table.lookup("Ruritanians") == "Ruritania"
    found = table.find("Ruritanians and Freedonia met in Strelsau.", capitals=True)
    assert [(m.start, m.end, m.country, m.kind) for m in found] == [
        (0, 11, "Ruritania", "people"), (16, 25, "Freedonia", "name"), (33, 41, "Ruritania", "capital")]


def test_country_table_from_tsv(tmp_path):
    path = tmp_path / "c.tsv"
    path.write_text("# comment\nname\tiso2\tdemonyms\taliases\tcapital\n"
                    "Ruritania\tRU\tRuritanian\tKingdom of Ruritania|Rurit\tStrelsau\n", encoding="utf-8")
    t = nc.CountryTable.from_tsv(path)
    assert len(t) == 1 and t.lookup("Rurit") == "Ruritania" and t.capital_of("Ruritania") == "Strelsau"


def test_country_coordinations_and_groups(table):
    text = "Leaders of Ruritania, Freedonia and Sylvania met; Ruritania and Freedonia agreed."
    runs = [[m.country for m in run] for run in nc.country_coordinations(text, table)]
    assert runs == [["Ruritania", "Freedonia", "Sylvania"], ["Ruritania", "Freedonia"]]
    assert nc.resolve_country_group("ministers of the three countries", runs) == ["Ruritania", "Freedonia",
                                                                                  "Sylvania"]
    assert nc.resolve_country_group("both countries", runs) == ["Ruritania", "Freedonia"]
    assert nc.resolve_country_group("the five countries", runs) == []


def test_find_dates_resolves_years():
    text = "On March 3, 2020 they met; the truce starts from March 4. In 1990-1993 and in May 1999, on Friday."
    got = [(d.text, d.iso, d.kind) for d in nc.find_dates(text, "2022-04-06")]
    assert got == [
        ("March 3, 2020", "2020-03-03", "day"),
        ("March 4", "2020-03-04", "day_noyear"),
        ("1990-1993", "1990/1993", "range"),
        ("May 1999", "1999-05", "month"),
        ("Friday", "2022-04-01", "weekday"),
    ]
    assert [d.iso for d in nc.find_dates("On June 30, they met.", "2022-04-06")] == ["2021-06-30"]
    assert nc.find_dates("On June 30, they met.", None) == []
    d = nc.find_dates("x on 7 July 2001", None, offset=100)[0]
    assert (d.start, d.end, d.iso) == (105, 116, "2001-07-07")


def test_find_durations():
    got = [(d.text, d.iso) for d in nc.find_durations("a four-hour summit, 90 minutes, a two-day visit, 3 weeks")]
    assert got == [("four-hour", "PT4H"), ("90 minutes", "PT90M"), ("two-day", "P2D"), ("3 weeks", "P3W")]


def test_office_holders_and_office_strings(table):
    text = ("Ruritanian President Ana Velmor met Freedonia's Prime Minister Tomas Drell and "
            "Ivo Brandt, the foreign minister of Sylvania.")
    got = [(o.person, o.office, text[o.person_start:o.person_end]) for o in nc.find_office_holders(text, table)]
    assert got == [("Ana Velmor", "President of Ruritania", "Ana Velmor"),
                   ("Tomas Drell", "Prime Minister of Freedonia", "Tomas Drell"),
                   ("Ivo Brandt", "Foreign Minister of Sylvania", "Ivo Brandt")]
    assert nc.office_string("Deputy Prime Ministers", "Sylvania") == "Deputy Prime Minister of Sylvania"
    assert nc.role_name("Foreign  Ministers") == "foreign minister"


def test_person_index_resolves_short_names():
    people = nc.PersonIndex()
    people.add("President Ana Velmor")
    people.add("Tomas Drell")
    people.add("Lena Drell")
    assert people.full_names == ["Ana Velmor", "Tomas Drell", "Lena Drell"]
    assert people.resolve("Velmor") == "Ana Velmor"
    assert people.resolve("Ana") == "Ana Velmor"
    assert people.resolve("Drell") == "Drell"  # ambiguous: left as is
    assert people.knows("Velmor") and not people.knows("Drell")


def test_split_coordination_and_articles():
    assert nc.split_coordination("the trade and energy links") == ["trade links", "energy links"]
    assert nc.split_coordination("Velmor, Drell and Osk") == ["Velmor", "Drell", "Osk"]
    assert nc.strip_article("the Orlen Pass,") == "Orlen Pass"


def test_make_record_and_well_formed():
    rec = nc.make_record("meeting", {"date": "2022-03-03", "participants": ["A B", "A B", " C D "],
                                     "location": None}, [(5, 9), (1, 3), (5, 9)], 0.71234)
    assert rec == {"type": "meeting", "slots": {"date": "2022-03-03", "participants": ["A B", "C D"]},
                   "evidence": [[1, 3], [5, 9]], "confidence": 0.712}
    assert nc.make_record("body", {"name": "a commission"}) is None  # descriptive slots only
    assert nc.well_formed(rec, "x" * 10) == []
    assert nc.well_formed({"type": "meeting", "slots": {"venue": "X"}}) == ["unknown slot meeting.venue"]
    with pytest.raises(KeyError):
        nc.make_record("meeting", {"venue": "X"})


def test_availability_without_heavy_imports():
    from runners.hf_ner import HFNERExtractor, entity_label
    from runners.minilm_qa import MiniLMQAExtractor
    from runners.spacy_ner import SpacyExtractor

    assert "no token-classification model" in HFNERExtractor().is_available()
    assert [entity_label(x) for x in ("B-PER", "I-LOC", "S-GPE", "E-ORG", "NORP", "LABEL_0", "O")] == [
        "PER", "LOC", "LOC", "ORG", "MISC", None, None]
    for cls, extra in ((SpacyExtractor, "spacy"), (MiniLMQAExtractor, "minilm"), (HFNERExtractor, "ner")):
        assert cls.needs == (extra,)
        assert cls.name and cls.version


# --------------------------------------------------------------------------- models


def _by_type(records, rtype):
    return [r for r in records if r["type"] == rtype]


@pytest.mark.model
@pytest.mark.skipif(importlib.util.find_spec("spacy") is None, reason="spacy not installed")
def test_spacy_extractor_on_invented_text(table):
    from runners.spacy_ner import SpacyExtractor

    ext = SpacyExtractor()
    if ext.is_available():
        pytest.skip(ext.is_available())
    ext.ensure_loaded()
    ext.table = table
    assert ext.model_info["name"].startswith("core_web_sm") and ext.model_info["version"].startswith("3.8")
    records = ext.extract(Document("invented", TEXT, PUBLISHED))
    assert_well_formed(records, TEXT)
    assert ext.last_stats["extract_s"] < 60 and "load_s" in ext.last_stats
    holders = {(r["slots"]["person"], r["slots"]["office"]) for r in _by_type(records, "office_holder")}
    assert holders == {("Ana Velmor", "President of Ruritania"), ("Tomas Drell", "Prime Minister of Freedonia")}
    meetings = {r["slots"].get("date"): r["slots"] for r in _by_type(records, "meeting")}
    assert meetings["2022-04-06"]["participants"] == ["Ana Velmor", "Tomas Drell"]
    summit = meetings["2022-03-03"]
    assert set(summit["participants"]) == {"Ana Velmor", "Tomas Drell"}
    assert summit["location"] == "Strelsau" and summit["duration"] == "PT2H"
    assert summit["initiator"] == "Ana Velmor"
    [agreement] = _by_type(records, "agreement")
    assert agreement["slots"]["date"] == "2022-03-03" and agreement["slots"]["location"] == "Strelsau"
    [body] = _by_type(records, "body")
    assert body["slots"]["chairs"] == ["Foreign Minister of Ruritania", "Foreign Minister of Freedonia"]
    assert body["slots"]["focus"] == ["trade links", "energy links"]
    [conflict] = _by_type(records, "conflict_event")
    assert conflict["slots"]["date"] == "2019-05-05" and conflict["slots"]["location"] == "Vask"
    assert conflict["slots"]["parties"] == ["Ruritania", "Freedonia"]
    [deployment] = _by_type(records, "deployment")
    assert deployment["slots"] == {"force": "peacekeepers", "country": "Sylvania", "locations": ["Orlen Pass"]}


@pytest.mark.model
@pytest.mark.skipif(importlib.util.find_spec("all_minilm_l6_v2") is None, reason="minilm package not installed")
def test_minilm_qa_on_invented_text(table, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from runners.minilm_qa import MiniLMQAExtractor

    ext = MiniLMQAExtractor()
    if ext.is_available():
        pytest.skip(ext.is_available())
    ext.ensure_loaded()
    ext.table = table
    vec = ext.embed(["a short sentence", "another one"])
    assert tuple(vec.shape) == (2, 384)
    assert abs(float((vec[0] ** 2).sum()) - 1.0) < 1e-4
    records = ext.extract(Document("invented", TEXT, PUBLISHED))
    assert_well_formed(records, TEXT)
    assert ext.last_stats["extract_s"] < 60
    dates = {r["slots"].get("date") for r in _by_type(records, "meeting")}
    assert "2022-03-03" in dates
    holders = {(r["slots"]["person"], r["slots"]["office"]) for r in _by_type(records, "office_holder")}
    assert ("Ana Velmor", "President of Ruritania") in holders
    assert any(r["slots"].get("country") == "Sylvania" for r in _by_type(records, "deployment"))


@pytest.mark.skipif(importlib.util.find_spec("transformers") is None or importlib.util.find_spec("torch") is None
                    or importlib.util.find_spec("tokenizers") is None, reason="transformers/torch missing")
def test_hf_ner_end_to_end_on_tiny_random_model(tmp_path, table, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertForTokenClassification, PreTrainedTokenizerFast

    from runners.hf_ner import HFNERExtractor

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = sorted({w for w, _ in pre_tokenizers.Whitespace().pre_tokenize_str(TEXT)})
    vocab = {tok: i for i, tok in enumerate(specials + words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                   model_max_length=128)
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC", "B-DATE", "I-DATE"]
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, num_labels=len(labels),
                        id2label=dict(enumerate(labels)), label2id={lab: i for i, lab in enumerate(labels)})
    model = BertForTokenClassification(config)
    model_dir = tmp_path / "tiny-ner"
    model.save_pretrained(model_dir)
    fast.save_pretrained(model_dir)

    ext = HFNERExtractor({"model": str(model_dir)})
    assert ext.is_available() is None
    ext.ensure_loaded()
    ext.table = table
    assert set(ext.model_info["labels"]) == set(labels)
    records = ext.extract(Document("invented", TEXT, PUBLISHED))
    assert_well_formed(records, TEXT)
    assert ext.last_stats["extract_s"] >= 0 and ext.last_stats["load_s"] >= 0
