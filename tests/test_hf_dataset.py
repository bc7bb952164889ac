"""The gold as Hugging Face `datasets`: one row per document, one row per atomic fact."""

from __future__ import annotations

from collections import Counter

from benchmark.gold import load_gold
from benchmark.hf import load_dataset


def test_documents_and_facts_splits_mirror_the_gold() -> None:
    gold = load_gold()
    data = load_dataset()
    assert sorted(data) == ["documents", "facts"]
    assert data["documents"].num_rows == len(gold.documents)
    assert data["facts"].num_rows == sum(len(d.facts()) for d in gold)
    original = data["facts"].filter(lambda row: row["doc_id"] == "tass-2021-02-17")
    assert Counter(original["category"]) == {"other": 14, "dates": 9, "signatories": 6, "roles": 6,
                                             "participants": 5, "peacekeeping": 5, "working_group": 5}
    talks = next(r for r in original if r["fact_id"] == "tass-2021-02-17/talks-2021-02-17/date")
    assert (talks["value"], talks["evidence_text"]) == ("2021-02-17", ["Wednesday"])
    document = next(r for r in data["documents"] if r["id"] == "tass-2021-02-17")
    text = document["text"]
    for row in original:
        for start, end, quoted in zip(row["evidence_start"], row["evidence_end"], row["evidence_text"]):
            assert text[start:end] == quoted
