"""Shared fixtures of the core suite: a tiny hand-made gold folder and the shipped gold.

The tiny document (`mini-2021-03-03`) is small enough that every count in a test can be
worked out by hand. Its gold has 24 scored values:

| record | type | scored values |
|---|---|---|
| talks | meeting | date 2021-03-02, participants [Putin, Pashinyan], location Sochi, initiator Putin, duration PT3H |
| summit | meeting | date 2021-01-11, participants [Putin, Aliyev, Pashinyan], location Moscow, duration PT4H |
| statement | agreement | date 2021-01-11, signatories [Putin, Aliyev, Pashinyan] |
| deployment | deployment | force peacekeepers, country Russia, locations [Nagorno-Karabakh, Lachin corridor] |
| office-putin | office_holder | person Putin, office President of Russia |
| office-pashinyan | office_holder | person Pashinyan, office Prime Minister of Armenia |

Per category: dates 3, participants 5, other 5, signatories 3, peacekeeping 4, roles 4,
working_group 0 (no gold: its F1 is empty, never 0). The text has an em dash before every
span, so spans counted in bytes instead of code points would not validate.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from benchmark.gold import GoldSet, gold_as_records, load_gold
from benchmark.predictions import record_from_json
from benchmark.scoring import Scored, score
from benchmark.types import Prediction

MINI_ID = "mini-2021-03-03"
MINI_TEXT_FILE = "mini_2021-03-03.txt"
MINI_TEXT = (
    "Putin and Pashinyan meet in Sochi\n"
    "\n"
    "SOCHI — March 3. Russian President Vladimir Putin and Armenian Prime Minister Nikol Pashinyan held "
    "three-hour talks in Sochi on March 2, 2021, the Kremlin said. The talks were held at Putin's invitation.\n"
    "\n"
    "On January 11, 2021, Putin, Azerbaijani President Ilham Aliyev and Pashinyan met in Moscow for four hours "
    "and signed a joint statement.\n"
    "\n"
    "Russian peacekeepers remain deployed in Nagorno-Karabakh and the Lachin corridor.\n"
)
SHIPPED_ID = "tass-2021-02-17"


def ev(quote: str, nth: int = 0, text: str = MINI_TEXT) -> dict[str, Any]:
    """The evidence object of the `nth` occurrence of `quote` (code-point offsets)."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(quote, start + 1)
    return {"span": [start, start + len(quote)], "text": quote}


def _entity(eid: str, etype: str, canonical: str, *aliases: str, **extra: str) -> dict[str, Any]:
    return {"id": eid, "type": etype, "canonical": canonical, "aliases": list(aliases), **extra}


def mini_gold_dict() -> dict[str, Any]:
    """The tiny gold as a fresh JSON-ready dict (tests mutate copies to make invalid gold)."""
    putin = lambda q="Vladimir Putin", n=0: {"entity": "putin", "evidence": [ev(q, n)]}  # noqa: E731
    pashinyan = lambda q="Nikol Pashinyan", n=0: {"entity": "pashinyan", "evidence": [ev(q, n)]}  # noqa: E731
    aliyev = {"entity": "aliyev", "evidence": [ev("Ilham Aliyev")]}
    return {
        "schema_version": 1,
        "document": {
            "id": MINI_ID, "text_file": MINI_TEXT_FILE, "published": "2021-03-03", "source": "hand-made",
            "variant_of": None, "perturbation": None,
            "text_sha256": hashlib.sha256(MINI_TEXT.encode("utf-8")).hexdigest(),
        },
        "entities": [
            _entity("putin", "PERSON", "Vladimir Putin", "Putin"),
            _entity("pashinyan", "PERSON", "Nikol Pashinyan", "Pashinyan"),
            _entity("aliyev", "PERSON", "Ilham Aliyev", "Aliyev"),
            _entity("russia", "COUNTRY", "Russia", "Russian", "Russian Federation"),
            _entity("armenia", "COUNTRY", "Armenia", "Armenian"),
            _entity("azerbaijan", "COUNTRY", "Azerbaijan", "Azerbaijani"),
            _entity("sochi", "PLACE", "Sochi"),
            _entity("moscow", "PLACE", "Moscow"),
            _entity("nagorno-karabakh", "PLACE", "Nagorno-Karabakh", "Karabakh"),
            _entity("lachin-corridor", "PLACE", "Lachin corridor", "Lachin"),
            _entity("president-of-russia", "OFFICE", "President of Russia", role="president", country="russia"),
            _entity("prime-minister-of-armenia", "OFFICE", "Prime Minister of Armenia", role="prime minister",
                    country="armenia"),
        ],
        "records": [
            {
                "id": "talks", "type": "meeting", "description": "talks in Sochi",
                "slots": {
                    "date": {"value": "2021-03-02", "evidence": [ev("March 2, 2021")]},
                    "participants": [putin(), pashinyan()],
                    "location": {"entity": "sochi", "evidence": [ev("Sochi", 1)]},
                    "initiator": putin("Putin", 2),
                    "duration": {"value": "PT3H", "evidence": [ev("three-hour")]},
                },
            },
            {
                "id": "summit", "type": "meeting", "description": "trilateral meeting in Moscow",
                "slots": {
                    "date": {"value": "2021-01-11", "evidence": [ev("January 11, 2021")]},
                    "participants": [putin("Putin", 3), aliyev, pashinyan("Pashinyan", 2)],
                    "location": {"entity": "moscow", "evidence": [ev("Moscow")]},
                    "duration": {"value": "PT4H", "evidence": [ev("four hours")]},
                },
            },
            {
                "id": "statement", "type": "agreement", "name": "joint statement",
                "slots": {
                    "date": {"value": "2021-01-11", "evidence": [ev("January 11, 2021")]},
                    "signatories": [putin("Putin", 3), aliyev, pashinyan("Pashinyan", 2)],
                },
            },
            {
                "id": "deployment", "type": "deployment",
                "slots": {
                    "force": {"value": "peacekeepers", "aliases": ["Russian peacekeepers"],
                              "evidence": [ev("peacekeepers")]},
                    "country": {"entity": "russia", "evidence": [ev("Russian", 1)]},
                    "locations": [
                        {"entity": "nagorno-karabakh", "evidence": [ev("Nagorno-Karabakh")]},
                        {"entity": "lachin-corridor", "evidence": [ev("Lachin corridor")]},
                    ],
                },
            },
            {
                "id": "office-putin", "type": "office_holder",
                "slots": {
                    "person": putin(),
                    "office": {"entity": "president-of-russia", "evidence": [ev("Russian President")]},
                },
            },
            {
                "id": "office-pashinyan", "type": "office_holder",
                "slots": {
                    "person": pashinyan(),
                    "office": {"entity": "prime-minister-of-armenia", "evidence": [ev("Armenian Prime Minister")]},
                },
            },
        ],
    }


def write_gold_dir(root: Path, gold: dict[str, Any], text: str = MINI_TEXT, name: str = "mini.json") -> Path:
    """Write `root/gold/NAME` and its text under `root/seeds/`; returns the gold folder."""
    (root / "gold").mkdir(parents=True, exist_ok=True)
    (root / "seeds").mkdir(parents=True, exist_ok=True)
    (root / "seeds" / gold["document"]["text_file"]).write_text(text, encoding="utf-8")
    (root / "gold" / name).write_text(json.dumps(gold, indent=1, ensure_ascii=False), encoding="utf-8")
    return root / "gold"


def write_jsonl(path: Path, records: Iterable[Any]) -> Path:
    """One JSON value per line (strings are written as they are: for malformed lines)."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def to_predictions(records: Iterable[dict[str, Any]], doc_id: str) -> list[Prediction]:
    out = []
    for line, record in enumerate(records, start=1):
        item = record_from_json({"doc_id": doc_id, **record}, f"test:{line}", None, line=line)
        assert isinstance(item, Prediction), item
        out.append(item)
    return out


def oracle(gold: GoldSet, documents: str = "original") -> list[dict[str, Any]]:
    """The gold of every document in scope re-emitted as predictions (canonical values)."""
    return [record for doc_id in gold.scope(documents) for record in gold_as_records(gold.documents[doc_id])]


@pytest.fixture
def mini_gold_dir(tmp_path: Path) -> Path:
    return write_gold_dir(tmp_path, mini_gold_dict())


@pytest.fixture
def mini_gold(mini_gold_dir: Path) -> GoldSet:
    return load_gold(mini_gold_dir)


@pytest.fixture
def mini_dict() -> dict[str, Any]:
    return copy.deepcopy(mini_gold_dict())


@pytest.fixture(scope="session")
def shipped_gold() -> GoldSet:
    return load_gold()


@pytest.fixture
def score_records() -> Callable[..., Scored]:
    """score_records(gold, records, doc_id=None, bootstrap=0, seed=0, documents="original").

    Records are dicts; those without a doc_id get `doc_id` (default: the first document in scope).
    The scope is the original documents unless documents="all" (as `factbench score`).
    """

    def run(gold: GoldSet, records: Iterable[dict[str, Any]], doc_id: str | None = None,
            bootstrap: int = 0, seed: int = 0, documents: str = "original") -> Scored:
        scope = gold.scope(documents)
        doc_id = doc_id or scope[0]
        return score(gold, to_predictions(records, doc_id), scope, bootstrap=bootstrap, seed=seed)

    return run


def counts(scored: Scored, regime: str, part: str | None = None, name: str | None = None) -> tuple[int, ...]:
    """(tp, partial, fp, fn) overall, or of one category/type/slot."""
    scores = scored.report.regimes[regime]
    c = scores.overall if part is None else getattr(scores, part)[name]
    return c.tp, c.partial, c.fp, c.fn


@pytest.fixture
def tally() -> Callable[..., tuple[int, ...]]:
    return counts
