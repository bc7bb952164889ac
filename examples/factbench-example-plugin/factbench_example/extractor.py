"""Office holders from "<Nationality> <Title> <First> <Last>" patterns, e.g. "Valdorian President Mira Talven".

A complete plugin in one file: a name, a version, a config, and `extract`. Install the
package (`pip install ./examples/factbench-example-plugin`) and run `factbench run -e titles`.
"""

from __future__ import annotations

import re

from benchmark.extractor import Extractor
from benchmark.types import Document

TITLES = r"(?:President|Prime Minister|Deputy Prime Minister|Foreign Minister|Chancellor|King|Queen)"
PATTERN = re.compile(rf"\b([A-Z][a-z]+(?:an|ian|ese|ish|i|ic))\s+({TITLES})\s+((?:[A-Z][a-z]+\s)?[A-Z][a-z]+)")


class TitlesExtractor(Extractor):
    name = "titles"
    version = "0.1.0"
    default_config = {"min_name_words": 1}

    def extract(self, document: Document) -> list[dict]:
        records = []
        for match in PATTERN.finditer(document.text):
            person = match.group(3)
            if len(person.split()) < int(self.config["min_name_words"]):
                continue
            records.append({
                "type": "office_holder",
                "slots": {"person": person, "office": f"{match.group(1)} {match.group(2)}"},
                "evidence": [[match.start(), match.end()]],
                "confidence": 0.7,
            })
        return records
