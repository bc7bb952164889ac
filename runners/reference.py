"""Reference rows: `oracle` (the gold itself, the ceiling) and `empty` (nothing, the floor).

They bound every leaderboard and check the harness end to end; neither is ever ranked.
The oracle is the only extractor allowed to read the gold.
"""

from __future__ import annotations

from typing import Any

from benchmark.extractor import Extractor
from benchmark.types import Document


class OracleExtractor(Extractor):
    name = "oracle"
    version = "1.0"
    default_config = {"gold": ""}  # a gold folder; empty: the shipped gold
    reference = True
    reads_gold = True

    def load(self) -> None:
        from benchmark.gold import load_gold

        self._gold = load_gold(self.config["gold"] or None)

    def extract(self, document: Document) -> list[dict[str, Any]]:
        from benchmark.gold import gold_as_records

        gold = self._gold.documents.get(document.id)
        if gold is None:
            return []
        return [{k: v for k, v in record.items() if k != "doc_id"} for record in gold_as_records(gold)]


class EmptyExtractor(Extractor):
    name = "empty"
    version = "1.0"
    reference = True

    def extract(self, document: Document) -> list[dict[str, Any]]:
        return []
