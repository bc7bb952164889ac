"""The gold as Hugging Face `datasets`: a `documents` split and a `facts` split (one row per atomic fact).

Scoring reads the gold files directly; this view is for analysis and for sharing the
benchmark. `datasets` is imported only here, when asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmark.gold import load_gold


def document_rows(gold) -> list[dict[str, Any]]:
    return [{
        "id": d.document.id, "text": d.document.text, "published": d.document.published or "",
        "source": d.document.source or "", "variant_of": d.document.variant_of or "",
        "perturbation": d.document.perturbation or "", "text_file": d.text_file,
    } for d in sorted(gold, key=lambda d: d.id)]


def fact_rows(gold) -> list[dict[str, Any]]:
    rows = []
    for doc in sorted(gold, key=lambda d: d.id):
        for v in doc.facts():
            entity = doc.entities.get(v.entity_id) if v.entity_id else None
            rows.append({
                "fact_id": v.fact_id, "doc_id": doc.id, "record_id": v.record_id, "record_type": v.record_type,
                "slot": v.slot, "value_type": v.value_type, "category": v.category, "value": v.canonical,
                "entity_id": v.entity_id or "", "aliases": list(entity.aliases if entity else v.aliases),
                "evidence_start": [s.start for s in v.evidence], "evidence_end": [s.end for s in v.evidence],
                "evidence_text": [doc.document.text[s.start:s.end] for s in v.evidence], "note": v.note or "",
            })
    return rows


def load_dataset(gold_path: str | Path | None = None):
    """A `datasets.DatasetDict` with `documents` and `facts`."""
    from benchmark.extractor import require

    require("datasets", package="datasets")
    import datasets

    gold = load_gold(gold_path)
    return datasets.DatasetDict({
        "documents": datasets.Dataset.from_list(document_rows(gold)),
        "facts": datasets.Dataset.from_list(fact_rows(gold)),
    })
